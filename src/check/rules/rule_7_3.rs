//! Rule 7.3 (required): do not use a lowercase l in a literal suffix.
//!
//! ## What it checks
//! Integer and floating constants whose suffix contains a lowercase `l`.
//!
//! ## Why
//! A lowercase l is easily read as the digit 1.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! n = 10l;   /* flagged */
//! n = 10L;   /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "7.3"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use a lowercase l in a literal suffix."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &n in u.nodes("number_literal") {
                if u.text(n).contains('l') {
                    out.at(u, n, "lowercase l in a literal suffix", "use an uppercase L");
                }
            }
        }
    }
}
