//! Rule 18.7 (required): do not declare flexible array members.
//!
//! ## What it checks
//! A structure whose last member is an array declared without a size.
//!
//! ## Why
//! Flexible array members are meant for dynamically sized allocations, and copying such a structure silently drops the array.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! struct msg { uint32_t n; uint8_t data[]; };   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "18.7"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not declare flexible array members."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &list in u.nodes("field_declaration_list") {
                let mut c = list.walk();
                let last = list.named_children(&mut c).filter(|n| n.kind() == "field_declaration").last();
                let Some(last) = last else {
                    continue;
                };
                let Some(d) = last.child_by_field_name("declarator") else {
                    continue;
                };
                if d.kind() == "array_declarator" && d.child_by_field_name("size").is_none() {
                    out.at(u, d, "flexible array member", "give the array a fixed size");
                }
            }
        }
    }
}
