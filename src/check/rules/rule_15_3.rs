//! Rule 15.3 (required): a goto label is in the goto's block or an enclosing block.
//!
//! ## What it checks
//! A `goto` whose label sits in a block that does not contain the goto (a jump into a block).
//!
//! ## Why
//! Jumping into a block skips its initialisations and makes its entry conditions unclear.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! if (a) { goto in; }
//! while (b) { in: n++; }   /* the goto is flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "15.3"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A goto label is in the goto's block or an enclosing block."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &g in u.nodes("goto_statement") {
                let Some(target) = super::rule_15_2::goto_target(u, g) else {
                    continue;
                };
                let Some(block) = u.parent(target) else {
                    continue;
                };
                if !u.is_inside(g, block) {
                    out.at(u, g, "goto into a block that does not enclose it", "move the label to an enclosing block");
                }
            }
        }
    }
}
