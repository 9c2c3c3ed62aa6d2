//! Directive 4.12 (required): do not use dynamic memory allocation.
//!
//! ## What it checks
//! Every use of the standard heap functions (the only dynamic allocation visible in C text).
//!
//! ## Why
//! Dynamic allocation brings failure modes (exhaustion, leaks, fragmentation) that static storage avoids.
//!
//! ## Known limits
//! Allocators of your own (a pool handing out blocks) are not recognised.
//!
//! ## Example
//! ```c
//! buf = calloc(n, 4U);   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "D4.12"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use dynamic memory allocation."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        source::ban(program, out, &[], &["malloc", "calloc", "realloc", "free", "aligned_alloc"], "use statically sized storage");
    }
}
