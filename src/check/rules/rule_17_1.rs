//! Rule 17.1 (required): do not use the features of stdarg.h.
//!
//! ## What it checks
//! Includes of stdarg.h and every use of va_list, va_start, va_arg, va_end or va_copy.
//!
//! ## Why
//! Variable argument access is not type checked and has many undefined cases.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! va_list ap;   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "17.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use the features of stdarg.h."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &["stdarg.h"], &["va_list", "va_start", "va_arg", "va_end", "va_copy"], "use a fixed parameter list");
    }
}
