//! Rule 8.14 (required): do not use the restrict qualifier.
//!
//! ## What it checks
//! Every `restrict` type qualifier.
//!
//! ## Why
//! The compiler may optimise on a promise of no aliasing that nobody checks; breaking it is undefined behaviour.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! void copy(float32_t *restrict d, const float32_t *restrict s);   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.14"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use the restrict qualifier."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &n in u.nodes("type_qualifier") {
                if u.text(n).contains("restrict") {
                    out.at(u, n, "restrict qualifier", "remove restrict");
                }
            }
        }
    }
}
