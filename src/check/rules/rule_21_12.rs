//! Rule 21.12 (required): do not use the exception-handling features of fenv.h.
//!
//! ## What it checks
//! Every use of the floating-point exception flag functions of fenv.h.
//!
//! ## Why
//! Whether and when the flags are raised is not reliably specified across implementations.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! if (fetestexcept(FE_OVERFLOW) != 0) { }   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.12"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use the exception-handling features of fenv.h."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &[], &["feclearexcept", "fegetexceptflag", "feraiseexcept", "fesetexceptflag", "fetestexcept"], "check inputs and results explicitly instead of relying on FP exception flags");
    }
}
