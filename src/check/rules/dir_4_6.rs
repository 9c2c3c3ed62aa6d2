//! Directive 4.6 (advisory): use typedefs that state size and signedness instead of the basic numeric types.
//!
//! ## What it checks
//! Uses of `short`, `int`, `long`, `float`, `double` and the `signed`/`unsigned` forms outside a `typedef` (plain `char` and `_Bool` are not numeric types here); `int` as the return type of `main` is allowed.
//!
//! ## Why
//! The width of the basic types varies between targets; names such as `int32_t` or `float32_t` say what the code relies on.
//!
//! ## Known limits
//! A basic type hidden in a macro is not seen. Bit-field declarations are
//! accepted, as their width is stated explicitly.
//!
//! ## Example
//! ```c
//! typedef float float32_t;   /* fine: defines a sized type */
//! int n;                     /* flagged */
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
        "D4.6"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Use typedefs that state size and signedness instead of the basic numeric types."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        const BASIC: &[&str] = &["short", "int", "long", "float", "double", "signed", "unsigned"];
        for u in &program.units {
            let mut nodes: Vec<_> = u.nodes("primitive_type").to_vec();
            nodes.extend_from_slice(u.nodes("sized_type_specifier"));
            for n in nodes {
                if n.kind() == "primitive_type" && !BASIC.contains(&u.text(n)) {
                    continue;
                }
                if u.parent(n).map(|p| p.kind() == "sized_type_specifier").unwrap_or(false) {
                    continue;
                }
                if u.has_ancestor(n, "type_definition") || is_main_return(u, n) || is_bitfield_type(u, n) {
                    continue;
                }
                let msg = format!("basic numeric type `{}` used directly", u.text(n));
                out.at(u, n, &msg, "use a typedef with explicit size and signedness, e.g. int32_t or float32_t");
            }
        }
    }
}

/// Bit-fields state their width explicitly, so a basic type there is accepted.
fn is_bitfield_type(u: &Unit<'_>, n: Node<'_>) -> bool {
    let Some(f) = u.parent(n).filter(|p| p.kind() == "field_declaration") else {
        return false;
    };
    let mut c = f.walk();
    let found = f.named_children(&mut c).any(|ch| ch.kind() == "bitfield_clause");
    found
}

fn is_main_return(u: &Unit<'_>, n: Node<'_>) -> bool {
    u.parent(n)
        .filter(|p| p.kind() == "function_definition")
        .and_then(|f| source::function_name(u, f))
        == Some("main")
        && u.text(n) == "int"
}
