//! Rule 12.5 (mandatory): do not apply sizeof to a parameter declared as an array.
//!
//! ## What it checks
//! A `sizeof` whose operand is a function parameter declared with array syntax.
//!
//! ## Why
//! Such a parameter is a pointer, so sizeof gives the pointer size, not the array size.
//!
//! ## Known limits
//! Only parameters of the enclosing function definition are known.
//!
//! ## Example
//! ```c
//! void f(uint8_t buf[16]) { n = sizeof(buf); }   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "12.5"
    }
    fn category(&self) -> Category {
        Category::Mandatory
    }
    fn summary(&self) -> &'static str {
        "Do not apply sizeof to a parameter declared as an array."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &s in u.nodes("sizeof_expression") {
                let Some(v) = s.child_by_field_name("value").map(source::unparen) else {
                    continue;
                };
                if v.kind() != "identifier" {
                    continue;
                }
                if u.var_type(u.text(v), v).map(|t| t.param && t.array).unwrap_or(false) {
                    out.at(u, s, "sizeof of an array parameter gives the pointer size", "pass the length as a separate parameter");
                }
            }
        }
    }
}
