//! Rule 16.4 (required): every switch has a default label.
//!
//! ## What it checks
//! A `switch` statement without a `default` label.
//!
//! ## Why
//! A default clause makes the handling of unexpected values explicit.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! switch (m) { case 0: { x = 1; break; } }   /* flagged */
//! ```

use super::switch;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "16.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Every switch has a default label."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &sw in u.nodes("switch_statement") {
                if !switch::labels(sw).iter().any(|&c| switch::is_default(u, c)) {
                    out.at(u, sw, "switch without a default label", "add `default:` with defensive handling or a comment");
                }
            }
        }
    }
}
