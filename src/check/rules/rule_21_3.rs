//! Rule 21.3 (required): do not use the memory allocation functions of stdlib.h.
//!
//! ## What it checks
//! Every use of malloc, calloc, realloc, aligned_alloc or free.
//!
//! ## Why
//! Heap use can fail at run time, fragment memory and make timing unpredictable.
//!
//! ## Known limits
//! Uses hidden behind macros from unchecked headers are not seen; an object of your own with one of these names is flagged too.
//!
//! ## Example
//! ```c
//! p = malloc(16U);   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.3"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use the memory allocation functions of stdlib.h."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &[], &["malloc", "calloc", "realloc", "free", "aligned_alloc"], "use statically sized storage");
    }
}
