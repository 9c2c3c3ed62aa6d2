//! Rule 21.4 (required): do not use setjmp.h.
//!
//! ## What it checks
//! Includes of setjmp.h and every use of setjmp or longjmp.
//!
//! ## Why
//! Non-local jumps bypass normal function exits and have much undefined behaviour.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! if (setjmp(env) == 0) { }   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use setjmp.h."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &["setjmp.h"], &["setjmp", "longjmp"], "use structured control flow and status codes");
    }
}
