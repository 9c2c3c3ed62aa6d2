//! Rule 21.11 (advisory): do not use tgmath.h.
//!
//! ## What it checks
//! Includes of tgmath.h.
//!
//! ## Why
//! Type-generic macros hide which function, and so which precision, is used.
//!
//! ## Known limits
//! Only the include is seen; the type-generic macros themselves look like ordinary calls.
//!
//! ## Example
//! ```c
//! #include <tgmath.h>   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.11"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not use tgmath.h."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &["tgmath.h"], &[], "call the function for the intended type explicitly");
    }
}
