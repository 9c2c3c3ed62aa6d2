//! Rule 2.6 (advisory): no unused labels in a function.
//!
//! ## What it checks
//! A label that no `goto` in the same function names.
//!
//! ## Why
//! An unused label is clutter, or a sign that a jump is missing.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! done: ;   /* flagged when no goto names it */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "2.6"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "No unused labels in a function."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &l in u.nodes("labeled_statement") {
                let Some(label) = l.child_by_field_name("label") else {
                    continue;
                };
                let f = u.enclosing_function(l).map(|f| f.id());
                let used = u.nodes("goto_statement").iter().any(|&g| {
                    u.enclosing_function(g).map(|x| x.id()) == f
                        && g.child_by_field_name("label").map(|x| u.text(x)) == Some(u.text(label))
                });
                if !used {
                    let msg = format!("label `{}` is never used", u.text(label));
                    out.at(u, label, &msg, "remove the label");
                }
            }
        }
    }
}
