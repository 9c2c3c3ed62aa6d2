//! Rule 21.9 (required): do not use bsearch or qsort.
//!
//! ## What it checks
//! Every use of bsearch or qsort.
//!
//! ## Why
//! Their behaviour with equal elements and bad comparators is unspecified or undefined, and qsort may recurse deeply.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! qsort(a, n, sizeof a[0], cmp);   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.9"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use bsearch or qsort."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &[], &["bsearch", "qsort"], "write a bounded search or sort with known behaviour");
    }
}
