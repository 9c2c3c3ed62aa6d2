//! Rule 8.11 (advisory): state the size of an external array explicitly.
//!
//! ## What it checks
//! A file-scope declaration of an array with external linkage (not `static`) and no size.
//!
//! ## Why
//! Without a size the compiler cannot check indexing against the extent of the array.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! extern const float32_t table[];   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.11"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "State the size of an external array explicitly."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &d in u.nodes("declaration") {
                if u.enclosing_function(d).is_some() {
                    continue;
                }
                let mut c = d.walk();
                let is_static = d
                    .children(&mut c)
                    .any(|ch| ch.kind() == "storage_class_specifier" && u.text(ch) == "static");
                if is_static {
                    continue;
                }
                let mut c2 = d.walk();
                for decl in d.children_by_field_name("declarator", &mut c2) {
                    if decl.kind() == "array_declarator" && decl.child_by_field_name("size").is_none() {
                        out.at(u, decl, "external array without an explicit size", "state the number of elements");
                    }
                }
            }
        }
    }
}
