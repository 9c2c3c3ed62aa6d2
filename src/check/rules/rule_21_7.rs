//! Rule 21.7 (required): do not use atof, atoi, atol or atoll.
//!
//! ## What it checks
//! Every use of atof, atoi, atol or atoll.
//!
//! ## Why
//! These functions give undefined behaviour when the text does not represent a value in range.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! n = atoi(text);   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.7"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use atof, atoi, atol or atoll."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &[], &["atof", "atoi", "atol", "atoll"], "parse with strtol/strtod-style code that reports errors");
    }
}
