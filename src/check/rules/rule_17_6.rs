//! Rule 17.6 (mandatory): do not use static inside the brackets of an array parameter.
//!
//! ## What it checks
//! Array parameter declarators of the form `a[static N]`.
//!
//! ## Why
//! The promise that at least N elements are passed cannot be checked, and breaking it is undefined behaviour.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! void f(float32_t x[static 4]);   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "17.6"
    }
    fn category(&self) -> Category {
        Category::Mandatory
    }
    fn summary(&self) -> &'static str {
        "Do not use static inside the brackets of an array parameter."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &a in u.nodes("array_declarator") {
                let mut c = a.walk();
                let has_static = a.children(&mut c).any(|ch| ch.kind() == "static" || u.text(ch) == "static");
                if has_static {
                    out.at(u, a, "static in an array parameter declarator", "remove static and check the length explicitly");
                }
            }
        }
    }
}
