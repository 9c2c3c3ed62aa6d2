//! Rule 18.4 (advisory): do not apply +, -, += or -= to pointers.
//!
//! ## What it checks
//! Addition or subtraction with an operand that is a variable of known pointer or array type, and `+=`/`-=` applied to one.
//!
//! ## Why
//! Array indexing states the intent and keeps the bounds visible; pointer arithmetic hides them.
//!
//! ## Known limits
//! Pointer types are known only from declarations in the same file; `++`/`--` on pointers is allowed by the rule.
//!
//! ## Example
//! ```c
//! q = p + 1;   /* flagged */
//! q = &p[1];  /* fine */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "18.4"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not apply +, -, += or -= to pointers."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let is_pointer = |n: tree_sitter::Node<'_>| {
                let n = source::unparen(n);
                n.kind() == "identifier" && u.var_type(u.text(n), n).map(|t| t.is_pointer()).unwrap_or(false)
            };
            for &b in u.nodes("binary_expression") {
                let op = crate::check::source::operator(u, b);
                if !matches!(op, "+" | "-") {
                    continue;
                }
                let (Some(l), Some(r)) = (b.child_by_field_name("left"), b.child_by_field_name("right")) else {
                    continue;
                };
                if is_pointer(l) || is_pointer(r) {
                    out.at(u, b, "arithmetic on a pointer", "index the array instead");
                }
            }
            for &a in u.nodes("assignment_expression") {
                let op = crate::check::source::operator(u, a);
                if matches!(op, "+=" | "-=") && a.child_by_field_name("left").map(is_pointer).unwrap_or(false) {
                    out.at(u, a, "arithmetic on a pointer", "index the array instead");
                }
            }
        }
    }
}
