//! Rule 9.3 (required): do not partially initialize arrays.
//!
//! ## What it checks
//! An array declared with a literal size N and a brace initializer with more than one but fewer than N elements (the `{ 0 }` form that zeroes the whole array is allowed).
//!
//! ## Why
//! A short initializer list silently zero-fills the rest, which may hide a missing value.
//!
//! ## Known limits
//! Sizes given by macros or expressions, and initializers with designators, are not checked.
//!
//! ## Example
//! ```c
//! const uint32_t t[4] = { 1U, 2U };   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "9.3"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not partially initialize arrays."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &d in u.nodes("init_declarator") {
                let (Some(decl), Some(init)) = (d.child_by_field_name("declarator"), d.child_by_field_name("value")) else {
                    continue;
                };
                if decl.kind() != "array_declarator" || init.kind() != "initializer_list" {
                    continue;
                }
                let Some(size) = decl
                    .child_by_field_name("size")
                    .and_then(|s| u.text(s).trim_end_matches(['u', 'U', 'l', 'L']).parse::<usize>().ok())
                else {
                    continue;
                };
                let mut c = init.walk();
                let items: Vec<_> = init.named_children(&mut c).filter(|n| n.kind() != "comment").collect();
                if items.iter().any(|n| n.kind() == "initializer_pair") {
                    continue;
                }
                let zero_all = items.len() == 1 && u.text(items[0]) == "0";
                if !zero_all && !items.is_empty() && items.len() < size {
                    let msg = format!("{} of {size} array elements initialized", items.len());
                    out.at(u, init, &msg, "initialize every element, or use { 0 } to zero the whole array");
                }
            }
        }
    }
}
