//! Rule 21.5 (required): do not use signal.h.
//!
//! ## What it checks
//! Includes of signal.h and every use of signal or raise.
//!
//! ## Why
//! Signal handling is largely undefined or implementation-defined.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! #include <signal.h>   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.5"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use signal.h."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &["signal.h"], &["signal", "raise"], "handle events through the platform, not C signals");
    }
}
