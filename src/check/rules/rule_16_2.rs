//! Rule 16.2 (required): a switch label sits only directly in the switch body.
//!
//! ## What it checks
//! A `case` or `default` label nested inside a block or statement within the switch body.
//!
//! ## Why
//! Labels inside nested blocks (as in the Duff device) make the control flow very hard to follow.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! switch (m) { case 0: { case 1: x = 1; } }   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "16.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A switch label sits only directly in the switch body."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &c in u.nodes("case_statement") {
                let direct = u.parent(c)
                    .filter(|p| p.kind() == "compound_statement")
                    .and_then(|p| u.parent(p))
                    .map(|s| s.kind() == "switch_statement")
                    .unwrap_or(false);
                if !direct {
                    out.at(u, c, "switch label not directly in the switch body", "move the label to the outer level of the switch");
                }
            }
        }
    }
}
