//! Rule 1.4 (required): do not use emergent language features.
//!
//! ## What it checks
//! Language features newer than C99 that the C99 code base must not rely on: `_Generic`, `_Noreturn`, `_Atomic`, `_Thread_local`, `_Alignas`, `_Alignof`, `_Static_assert`, and includes of stdatomic.h, stdalign.h, stdnoreturn.h and threads.h.
//!
//! ## Why
//! Newer features are less mature in compilers and analysis tools, and some have undefined behaviour of their own.
//!
//! ## Known limits
//! Features reached only through macros from unchecked headers are not seen.
//!
//! ## Example
//! ```c
//! _Static_assert(sizeof(float32_t) == 4U, "size");   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "1.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use emergent language features."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        const KEYWORDS: &[&str] = &[
            "_Generic", "_Noreturn", "_Atomic", "_Thread_local", "_Alignas", "_Alignof", "_Static_assert",
        ];
        for u in &program.units {
            for n in source::includes_of(u, &["stdatomic.h", "stdalign.h", "stdnoreturn.h", "threads.h"]) {
                out.at(u, n, "include of a header newer than C99", "stay within C99");
            }
            let mut hits: Vec<_> = KEYWORDS.iter().flat_map(|k| u.nodes(k).iter().copied()).collect();
            hits.extend(source::identifiers_named(u, KEYWORDS));
            hits.sort_by_key(|n| n.start_byte());
            hits.dedup_by_key(|n| n.start_byte());
            for n in hits {
                let msg = format!("`{}` is newer than C99", u.text(n));
                out.at(u, n, &msg, "stay within C99");
            }
        }
    }
}
