//! Rule 12.3 (advisory): do not use the comma operator.
//!
//! ## What it checks
//! Every comma operator (commas separating arguments, declarators or initializers are not operators).
//!
//! ## Why
//! The comma operator hides sequencing inside an expression and is easy to confuse with an argument separator.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! for (i = 0U, j = 9U; i < j; i++) { }   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "12.3"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not use the comma operator."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &n in u.nodes("comma_expression") {
                if u.parent(n).map(|p| p.kind() != "comma_expression").unwrap_or(true) {
                    out.at(u, n, "comma operator", "split into separate statements");
                }
            }
        }
    }
}
