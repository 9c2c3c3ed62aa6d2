//! Rule 10.1 (required): operands have an appropriate essential type.
//!
//! ## What it checks
//! The clear cases: a shift or bitwise operator (`<< >> & | ^ ~`) applied to an operand that is essentially signed or floating (a variable of such a declared type, or a floating constant); a logical operator (`&& || !`) applied to an operand that is certainly not Boolean; arithmetic or bitwise operators applied to a Boolean variable; unary minus applied to an essentially unsigned variable or constant.
//!
//! ## Why
//! Bit operations on signed values and arithmetic on truth values are implementation-defined or meaningless; the essential type model keeps such mixing visible.
//!
//! ## Known limits
//! Essential types are derived from declarations in the same file and from typedef names as spelt (intN_t signed, uintN_t unsigned, names with float or double floating); expressions of unknown type are not flagged, so only a subset of the rule is enforced.
//!
//! ## Example
//! ```c
//! x = s32 << 2U;        /* flagged: signed operand */
//! if (n && ok) { }     /* flagged: n is not Boolean */
//! ```

use tree_sitter::Node;

use crate::check::source::{self, Unit};
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "10.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Operands have an appropriate essential type."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &b in u.nodes("binary_expression") {
                let op = crate::check::source::operator(u, b);
                let (Some(l), Some(r)) = (b.child_by_field_name("left"), b.child_by_field_name("right")) else {
                    continue;
                };
                match op {
                    "<<" | ">>" | "&" | "|" | "^" => {
                        for operand in [l, r] {
                            if matches!(essential(u, operand), Some(Essential::Signed | Essential::Floating)) {
                                out.at(u, source::unparen(operand), "signed or floating operand of a bitwise or shift operator", "use an unsigned operand");
                            }
                        }
                    }
                    "&&" | "||" => {
                        for operand in [l, r] {
                            if source::is_boolean_expr(program, u, operand) == Some(false) {
                                out.at(u, source::unparen(operand), "non-Boolean operand of a logical operator", "compare explicitly, e.g. `x != 0U`");
                            }
                        }
                    }
                    "+" | "-" | "*" | "/" | "%" | "<" | ">" | "<=" | ">=" => {
                        for operand in [l, r] {
                            if essential(u, operand) == Some(Essential::Boolean) {
                                out.at(u, source::unparen(operand), "Boolean operand of an arithmetic operator", "use an integer, or a conditional");
                            }
                        }
                    }
                    _ => {}
                }
            }
            for &n in u.nodes("unary_expression") {
                let op = crate::check::source::operator(u, n);
                let Some(arg) = n.child_by_field_name("argument") else {
                    continue;
                };
                let bad = match op {
                    "~" => matches!(essential(u, arg), Some(Essential::Signed | Essential::Floating | Essential::Boolean)),
                    "!" => source::is_boolean_expr(program, u, arg) == Some(false),
                    "-" => essential(u, arg) == Some(Essential::Unsigned),
                    _ => false,
                };
                if bad {
                    let msg = format!("operand of unary `{op}` has an inappropriate essential type");
                    out.at(u, source::unparen(arg), &msg, "change the operand type or the operator");
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Essential {
    Boolean,
    Signed,
    Unsigned,
    Floating,
}

/// Essential type of an operand when it is clear from the text.
fn essential(u: &Unit<'_>, e: Node<'_>) -> Option<Essential> {
    let e = source::unparen(e);
    match e.kind() {
        "number_literal" => {
            let t = u.text(e).to_ascii_lowercase();
            let hex = t.starts_with("0x");
            let floating = if hex {
                t.contains('p')
            } else {
                t.contains(['.', 'e']) || t.ends_with('f')
            };
            if floating {
                Some(Essential::Floating)
            } else if t.contains('u') {
                Some(Essential::Unsigned)
            } else {
                None
            }
        }
        "identifier" => {
            let t = u.var_type(u.text(e), e)?;
            if t.is_pointer() {
                return None;
            }
            classify(&t.base)
        }
        _ => None,
    }
}

fn classify(base: &str) -> Option<Essential> {
    let words: Vec<&str> = base.split_whitespace().filter(|w| *w != "const" && *w != "volatile").collect();
    let name = words.join(" ");
    let lower = name.to_ascii_lowercase();
    if lower == "_bool" || lower == "bool" || lower.contains("bool") {
        return Some(Essential::Boolean);
    }
    if lower.contains("float") || lower.contains("double") {
        return Some(Essential::Floating);
    }
    if words.contains(&"unsigned") || (lower.starts_with("uint") && lower.ends_with("_t")) {
        return Some(Essential::Unsigned);
    }
    let signed_word = words.iter().any(|w| matches!(*w, "signed" | "int" | "short" | "long"));
    if signed_word || (lower.starts_with("int") && lower.ends_with("_t")) {
        return Some(Essential::Signed);
    }
    None
}
