//! Rule 8.10 (required): declare inline functions static.
//!
//! ## What it checks
//! A function declared or defined `inline` without `static`.
//!
//! ## Why
//! An inline function with external linkage may be a different definition in each translation unit, and which one is called is unspecified.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! inline uint32_t sq(uint32_t x) { return x * x; }   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.10"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Declare inline functions static."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for kind in ["function_definition", "declaration"] {
                for &f in u.nodes(kind) {
                    let mut c = f.walk();
                    let specs: Vec<&str> = f
                        .children(&mut c)
                        .filter(|n| n.kind() == "storage_class_specifier")
                        .map(|n| u.text(n))
                        .collect();
                    if specs.contains(&"inline") && !specs.contains(&"static") {
                        out.at(u, f, "inline function without static", "declare it static inline");
                    }
                }
            }
        }
    }
}
