//! Rule 13.5 (required): the right operand of && or || has no persistent side effect.
//!
//! ## What it checks
//! An assignment or `++`/`--` in the right operand of `&&` or `||`.
//!
//! ## Why
//! The right operand is evaluated only sometimes, so its side effect happens only sometimes.
//!
//! ## Known limits
//! Function calls are not flagged: whether a call has a persistent side effect is not visible from the call site. Volatile accesses are not recognised.
//!
//! ## Example
//! ```c
//! if ((n > 0U) && (k++ < 3U)) { }   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "13.5"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "The right operand of && or || has no persistent side effect."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &b in u.nodes("binary_expression") {
                let op = crate::check::source::operator(u, b);
                if !matches!(op, "&&" | "||") {
                    continue;
                }
                let Some(r) = b.child_by_field_name("right") else {
                    continue;
                };
                let effect = u.first_within(r, &["update_expression", "assignment_expression"]);
                if let Some(e) = effect {
                    out.at(u, e, "side effect in the right operand of && or ||", "evaluate the side effect before the condition");
                }
            }
        }
    }
}
