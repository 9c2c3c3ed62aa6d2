//! Rule 21.21 (required): do not use system.
//!
//! ## What it checks
//! Every use of system.
//!
//! ## Why
//! What system does depends entirely on the host environment.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! (void)system("reboot");   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.21"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use system."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &[], &["system"], "do not run commands from embedded code");
    }
}
