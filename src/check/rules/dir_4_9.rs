//! Directive 4.9 (advisory): prefer a function to a function-like macro where either would do.
//!
//! ## What it checks
//! Every function-like macro definition.
//!
//! ## Why
//! A function has type-checked parameters, evaluates each argument once and can be stepped through in a debugger.
//!
//! ## Known limits
//! The checker cannot tell when a macro is needed (e.g. for a constant expression); review and deviate those.
//!
//! ## Example
//! ```c
//! #define SQ(x) ((x) * (x))   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "D4.9"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Prefer a function to a function-like macro where either would do."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &d in u.nodes("preproc_function_def") {
                out.at(u, d, "function-like macro", "use a static inline function if possible");
            }
        }
    }
}
