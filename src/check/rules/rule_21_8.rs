//! Rule 21.8 (required): do not use the termination functions of stdlib.h.
//!
//! ## What it checks
//! Every use of abort, exit, _Exit or quick_exit, and of getenv (listed with them in the original 2012 text).
//!
//! ## Why
//! Ending the program from inside a library takes the decision away from the system that must stay safe.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! if (bad) { exit(1); }   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.8"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use the termination functions of stdlib.h."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &[], &["abort", "exit", "_Exit", "quick_exit", "getenv"], "return a status code to the caller instead");
    }
}
