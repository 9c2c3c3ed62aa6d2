//! Rule 10.1 (required): operands have an appropriate essential type.
//!
//! ## What it checks
//! Every operand whose essential type the model works out (see `essential`: typedef chains, members, elements, calls, macros and every operator are typed) against the operator's needs:
//! - Boolean operands only where a truth value is meant: not in arithmetic (`+ - * / %`, unary `+ -`), bitwise or shift operators, or relational comparisons (`< > <= >=`);
//! - operands of `! && ||` and the first operand of `?:` must be essentially Boolean;
//! - character operands not in `* / %`, unary `+ -`, bitwise or shift operators, nor as an array index;
//! - named enumeration operands not in arithmetic, bitwise or shift operators;
//! - signed operands not in bitwise operators (`~ & | ^`) nor as the left operand of a shift; a shift count must be unsigned unless it is a non-negative constant;
//! - unary minus not on an unsigned operand; floating operands not in `%`, bitwise or shift operators, nor as an array index.
//!
//! Compound assignments (`+=`, `<<=`, ...) are checked like their operators.
//!
//! ## Why
//! Bit operations on signed values and arithmetic on truth values, characters or enumerations are implementation-defined or meaningless; the essential type model keeps such mixing visible.
//!
//! ## Known limits
//! Operands the model cannot type (objects declared in headers the checker did not read, function-like macros before preprocessing) are not judged. Pointers are outside the model: `p && q` is not reported here. A typedef of an integer type whose name contains "bool" is taken as the project's Boolean type.
//!
//! ## Example
//! ```c
//! x = s32 << 2U;        /* flagged: signed operand */
//! if (n && ok) { }     /* flagged: n is not Boolean */
//! ```

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::essential::{Cat, Ess, Typer};
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pos {
    Left,
    Right,
    Only,
}

/// Why an operand of this essential type does not suit the operator, if it does not.
fn inappropriate(op: &str, pos: Pos, e: &Ess) -> Option<&'static str> {
    use Cat::*;
    let c = &e.cat;
    let bitwise = |c: &Cat| matches!(c, Boolean | Char | Enum(_) | Signed | Float);
    let bad = match (op, pos) {
        ("+" | "-" | "+=" | "-=", Pos::Left | Pos::Right) => matches!(c, Boolean | Enum(_)),
        ("*" | "/" | "*=" | "/=", _) => matches!(c, Boolean | Char | Enum(_)),
        ("%" | "%=", _) => matches!(c, Boolean | Char | Enum(_) | Float),
        ("<" | ">" | "<=" | ">=", _) => matches!(c, Boolean),
        ("&&" | "||" | "!" | "?:", _) => !matches!(c, Boolean),
        ("<<" | ">>" | "<<=" | ">>=", Pos::Left) => bitwise(c),
        ("<<" | ">>" | "<<=" | ">>=", _) => match c {
            Signed => !(e.constant && e.value.is_some_and(|v| v >= 0)),
            c => matches!(c, Boolean | Char | Enum(_) | Float),
        },
        ("&" | "|" | "^" | "&=" | "|=" | "^=" | "~", _) => bitwise(c),
        ("-", Pos::Only) => matches!(c, Boolean | Char | Enum(_) | Unsigned),
        ("+", Pos::Only) => matches!(c, Boolean | Char | Enum(_)),
        ("[]", _) => matches!(c, Boolean | Char | Float),
        _ => false,
    };
    if !bad {
        return None;
    }
    Some(match (op, c) {
        ("&&" | "||" | "!" | "?:", _) => "compare explicitly, e.g. `x != 0U`",
        (_, Boolean) => "use an integer, or a conditional",
        (_, Signed) => "use an unsigned operand",
        (_, Unsigned) => "negate a signed value instead",
        _ => "change the operand type or the operator",
    })
}

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
            let t = Typer::new(program, u);
            let mut operands: Vec<(&str, Pos, Node<'_>)> = Vec::new();
            let mut judge = |op, pos, operand| operands.push((op, pos, operand));
            for kind in ["binary_expression", "assignment_expression"] {
                for &b in u.nodes(kind) {
                    let op = source::operator(u, b);
                    if op == "=" {
                        continue;
                    }
                    if let Some(l) = b.child_by_field_name("left") {
                        judge(op, Pos::Left, l);
                    }
                    if let Some(r) = b.child_by_field_name("right") {
                        judge(op, Pos::Right, r);
                    }
                }
            }
            for &n in u.nodes("unary_expression") {
                let op = source::operator(u, n);
                if let Some(a) = n.child_by_field_name("argument") {
                    judge(op, Pos::Only, a);
                }
            }
            for &n in u.nodes("subscript_expression") {
                if let Some(i) = n.child_by_field_name("index") {
                    judge("[]", Pos::Only, i);
                }
            }
            for &n in u.nodes("conditional_expression") {
                if let Some(c) = n.child_by_field_name("condition") {
                    judge("?:", Pos::Only, c);
                }
            }
            let mut found = Vec::new();
            for (op, pos, operand) in operands {
                let operand = source::unparen(operand);
                if let Some(e) = t.ess(operand) {
                    if let Some(hint) = inappropriate(op, pos, &e) {
                        let msg = format!("{} operand of `{op}`", e.describe());
                        found.push((operand, msg, hint));
                    }
                }
            }
            found.sort_by_key(|(n, _, _)| n.start_byte());
            for (n, msg, hint) in found {
                out.at(u, n, &msg, hint);
            }
        }
    }
}
