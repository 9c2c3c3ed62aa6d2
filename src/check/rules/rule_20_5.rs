//! Rule 20.5 (advisory): do not use #undef.
//!
//! ## What it checks
//! Every `#undef` directive.
//!
//! ## Why
//! Undefining a macro makes its meaning depend on where in the file it is used.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! #undef LIMIT   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.5"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not use #undef."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &n in u.nodes("preproc_call") {
                let directive = n.child_by_field_name("directive").map(|d| u.text(d)).unwrap_or("");
                if directive == "#undef" {
                    out.at(u, n, "#undef directive", "give the macro one definition for the whole file");
                }
            }
        }
    }
}
