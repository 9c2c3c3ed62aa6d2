//! Rule 13.4 (advisory): do not use the result of an assignment.
//!
//! ## What it checks
//! An assignment whose value is used: inside a condition, an argument, another assignment, an initializer or any larger expression. Assignments standing as a statement or as the first or third clause of a `for` are fine.
//!
//! ## Why
//! Mixing assignment into an expression invites confusing `=` with `==` and hides a side effect.
//!
//! ## Known limits
//! An assignment inside a comma expression in a statement position is accepted (the comma itself is 12.3).
//!
//! ## Example
//! ```c
//! if ((n = read()) > 0) { }   /* flagged */
//! a = b = 0U;                /* flagged: the inner one */
//! ```

use std::collections::HashSet;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "13.4"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not use the result of an assignment."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            // Assignments in statement position, found top-down (cheaper than
            // climbing parents on large files).
            let mut roots = Vec::new();
            for &st in u.nodes("expression_statement") {
                roots.extend(st.named_child(0));
            }
            for &f in u.nodes("for_statement") {
                roots.extend(f.child_by_field_name("initializer"));
                roots.extend(f.child_by_field_name("update"));
            }
            let mut allowed = HashSet::new();
            while let Some(n) = roots.pop() {
                match n.kind() {
                    "assignment_expression" => {
                        allowed.insert(n.id());
                    }
                    "comma_expression" => {
                        roots.extend(n.child_by_field_name("left"));
                        roots.extend(n.child_by_field_name("right"));
                    }
                    _ => {}
                }
            }
            for &a in u.nodes("assignment_expression") {
                if !allowed.contains(&a.id()) {
                    out.at(u, a, "result of an assignment is used", "make the assignment a statement of its own");
                }
            }
        }
    }
}
