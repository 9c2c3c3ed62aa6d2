//! Rule 15.1 (advisory): no `goto`.
//!
//! ## What it checks
//! Every `goto` statement.
//!
//! ## Why
//! Jumps make the control flow of a function harder to follow and to
//! cover with tests; structured statements say the same thing plainly.
//!
//! ## Known limits
//! A `goto` produced by a macro expansion is not seen (macros are not expanded).
//!
//! ## Example
//! ```c
//! if (err != 0) { goto out; }   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "15.1"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not use goto."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &n in u.nodes("goto_statement") {
                out.at(u, n, "goto statement", "restructure with if/else or a loop condition");
            }
        }
    }
}
