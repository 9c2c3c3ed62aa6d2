//! Rule 16.5 (required): the default label is the first or the last switch label.
//!
//! ## What it checks
//! A `default` label that is neither the first nor the last label of its switch.
//!
//! ## Why
//! Default in the middle is easy to miss when reading the switch.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! switch (m) { case 0: break; default: break; case 1: break; }   /* flagged */
//! ```

use super::switch;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "16.5"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "The default label is the first or the last switch label."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &sw in u.nodes("switch_statement") {
                let labels = switch::labels(sw);
                for (i, &c) in labels.iter().enumerate() {
                    if switch::is_default(u, c) && i != 0 && i + 1 != labels.len() {
                        out.at(u, c, "default label in the middle of the switch", "move default to the first or last position");
                    }
                }
            }
        }
    }
}
