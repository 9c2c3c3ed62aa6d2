//! Rule 15.5 (advisory): a function has one exit, at its end.
//!
//! ## What it checks
//! Every `return` that is not the last statement of its function body.
//!
//! ## Why
//! One exit at the end makes the state on leaving a function obvious and keeps clean-up in one place.
//!
//! ## Known limits
//! A `return` introduced by a macro expansion is not seen.
//!
//! ## Example
//! ```c
//! if (x == NULL) { return -1; }   /* flagged */
//! return 0;
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "15.5"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "A function has one exit, at its end."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &r in u.nodes("return_statement") {
                let Some(f) = u.enclosing_function(r) else {
                    continue;
                };
                let Some(body) = f.child_by_field_name("body") else {
                    continue;
                };
                let mut c = body.walk();
                let last = body
                    .named_children(&mut c)
                    .filter(|s| s.kind() != "comment")
                    .last();
                if last.map(|l| l.id()) != Some(r.id()) {
                    out.at(u, r, "return before the end of the function", "assign a result variable and return once at the end");
                }
            }
        }
    }
}
