//! Rule 21.10 (required): do not use the time and date functions.
//!
//! ## What it checks
//! Includes of time.h and every use of its functions.
//!
//! ## Why
//! Their results are implementation-defined, and some are not reentrant.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! #include <time.h>   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.10"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use the time and date functions."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &["time.h"], &["time", "clock", "difftime", "mktime", "asctime", "ctime", "gmtime", "localtime", "strftime", "timespec_get"], "take time from a platform service passed in by the integrator");
    }
}
