//! Rule 13.1 (required): initializer lists have no persistent side effects.
//!
//! ## What it checks
//! An assignment or `++`/`--` inside a brace-enclosed initializer list.
//!
//! ## Why
//! The order in which initializer expressions are evaluated is unspecified, so side effects there are unpredictable.
//!
//! ## Known limits
//! Function calls are not flagged: whether a call has a persistent side effect is not visible at the call site. Volatile reads are not recognised.
//!
//! ## Example
//! ```c
//! uint32_t a[2] = { i++, i++ };   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "13.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Initializer lists have no persistent side effects."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &list in u.nodes("initializer_list") {
                // Nested lists (directly or through a compound literal) are
                // scanned with their outermost list.
                if u.has_ancestor(list, "initializer_list") {
                    continue;
                }
                for &d in u.subtree(list) {
                    if matches!(d.kind(), "update_expression" | "assignment_expression") {
                        out.at(u, d, "side effect in an initializer list", "compute the value before the initializer");
                    }
                }
            }
        }
    }
}
