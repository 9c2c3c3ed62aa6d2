//! Rule 11.9 (required): use NULL as the only integer null pointer constant.
//!
//! ## What it checks
//! The literal `0` compared with, assigned to, or used to initialize a variable of known pointer type.
//!
//! ## Why
//! Writing NULL makes clear that a pointer, not a number, is meant.
//!
//! ## Known limits
//! Pointer types are known only from declarations in the same file; `0` passed as a pointer argument or returned from a pointer function is not seen.
//!
//! ## Example
//! ```c
//! if (p != 0) { }     /* flagged */
//! if (p != NULL) { }  /* fine */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "11.9"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Use NULL as the only integer null pointer constant."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let is_pointer = |n: tree_sitter::Node<'_>| {
                let n = source::unparen(n);
                n.kind() == "identifier" && u.var_type(u.text(n), n).map(|t| t.pointers > 0).unwrap_or(false)
            };
            let is_zero = |n: tree_sitter::Node<'_>| {
                let n = source::unparen(n);
                n.kind() == "number_literal" && u.text(n) == "0"
            };
            for &b in u.nodes("binary_expression") {
                let op = crate::check::source::operator(u, b);
                let (Some(l), Some(r)) = (b.child_by_field_name("left"), b.child_by_field_name("right")) else {
                    continue;
                };
                if matches!(op, "==" | "!=") {
                    for (p, z) in [(l, r), (r, l)] {
                        if is_pointer(p) && is_zero(z) {
                            out.at(u, source::unparen(z), "0 used as a null pointer constant", "write NULL");
                        }
                    }
                }
            }
            for &a in u.nodes("assignment_expression") {
                let (Some(l), Some(r)) = (a.child_by_field_name("left"), a.child_by_field_name("right")) else {
                    continue;
                };
                if is_pointer(l) && is_zero(r) {
                    out.at(u, source::unparen(r), "0 used as a null pointer constant", "write NULL");
                }
            }
            for &d in u.nodes("init_declarator") {
                let (Some(decl), Some(v)) = (d.child_by_field_name("declarator"), d.child_by_field_name("value")) else {
                    continue;
                };
                if decl.kind() == "pointer_declarator" && is_zero(v) {
                    out.at(u, source::unparen(v), "0 used as a null pointer constant", "write NULL");
                }
            }
        }
    }
}
