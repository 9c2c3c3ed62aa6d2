//! Rule 13.6 (required): the operand of sizeof has no potential side effect.
//!
//! ## What it checks
//! A `sizeof` applied to an expression that contains an assignment, `++`/`--`, or a function call.
//!
//! ## Why
//! The operand of sizeof is not evaluated, so the side effect a reader expects never happens.
//!
//! ## Known limits
//! Volatile reads are not recognised.
//!
//! ## Example
//! ```c
//! n = sizeof(a[i++]);   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "13.6"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "The operand of sizeof has no potential side effect."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &s in u.nodes("sizeof_expression") {
                let Some(v) = s.child_by_field_name("value") else {
                    continue;
                };
                let effect = u
                    .first_within(v, &["update_expression", "assignment_expression", "call_expression"])
                    .is_some();
                if effect {
                    out.at(u, s, "side effect in the operand of sizeof", "move the side effect out of sizeof");
                }
            }
        }
    }
}
