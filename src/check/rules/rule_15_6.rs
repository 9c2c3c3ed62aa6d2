//! Rule 15.6 (required): bodies of loops, selections and switches are compound statements.
//!
//! ## What it checks
//! The body of `if`, `else`, `while`, `do`, `for` and `switch` when it is not enclosed in braces (`else if` is allowed).
//!
//! ## Why
//! Braces stop a statement added later, or a macro expanding to two statements, from silently falling outside the body.
//!
//! The finding is placed on the keyword that owns the body (`if`, `else`,
//! `while`, `for`, `do`, `switch`).
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! if (x > 0) y = 1;   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "15.6"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Bodies of loops, selections and switches are compound statements."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let mut bodies = Vec::new();
            for &n in u.nodes("if_statement") {
                bodies.extend(n.child_by_field_name("consequence").map(|b| (n, b)));
            }
            for &n in u.nodes("else_clause") {
                if let Some(s) = n.named_child(0).filter(|s| s.kind() != "if_statement") {
                    bodies.push((n, s));
                }
            }
            for kind in ["while_statement", "do_statement", "for_statement", "switch_statement"] {
                for &n in u.nodes(kind) {
                    bodies.extend(n.child_by_field_name("body").map(|b| (n, b)));
                }
            }
            bodies.sort_by_key(|(owner, _)| owner.start_byte());
            for (owner, b) in bodies {
                if b.kind() != "compound_statement" {
                    out.at(u, owner, "body is not a compound statement", "enclose the body in braces");
                }
            }
        }
    }
}
