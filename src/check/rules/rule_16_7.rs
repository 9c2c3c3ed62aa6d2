//! Rule 16.7 (required): a switch expression is not essentially Boolean.
//!
//! ## What it checks
//! A `switch` whose controlling expression is a comparison, a logical operator, `!`, `true`/`false`, or a variable declared bool.
//!
//! ## Why
//! Switching on a Boolean is an if/else written obscurely.
//!
//! ## Known limits
//! Booleans are recognised from syntax and declared types seen in the file; typedefs are recognised by a name containing "bool".
//!
//! ## Example
//! ```c
//! switch (a > b) { ... }   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "16.7"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A switch expression is not essentially Boolean."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &sw in u.nodes("switch_statement") {
                let Some(cond) = sw.child_by_field_name("condition") else {
                    continue;
                };
                if source::is_boolean_expr(program, u, source::unparen(cond)) == Some(true) {
                    out.at(u, cond, "switch on a Boolean expression", "use if/else");
                }
            }
        }
    }
}
