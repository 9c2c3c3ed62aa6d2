//! Rule 19.2 (advisory): do not use unions.
//!
//! ## What it checks
//! Every `union` type specifier.
//!
//! ## Why
//! Reading a union member other than the one last written has unspecified behaviour.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! union bits { float f; uint32_t u; };   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "19.2"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not use unions."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &n in u.nodes("union_specifier") {
                out.at(u, n, "union type", "use a struct, or memcpy for type punning");
            }
        }
    }
}
