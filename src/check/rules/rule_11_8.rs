//! Rule 11.8 (required): do not cast away const, volatile or _Atomic from the pointed-to type.
//!
//! ## What it checks
//! A cast to a pointer type without `const` applied to a variable declared as a pointer to const.
//!
//! ## Why
//! Writing through the resulting pointer to a const object is undefined behaviour.
//!
//! ## Known limits
//! Only variables whose declaration is in the same file are known; volatile is not tracked.
//!
//! ## Example
//! ```c
//! uint8_t *w = (uint8_t *)ro;   /* flagged when ro is const uint8_t * */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "11.8"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not cast away const, volatile or _Atomic from the pointed-to type."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &c in u.nodes("cast_expression") {
                let (Some(ty), Some(v)) = (c.child_by_field_name("type"), c.child_by_field_name("value")) else {
                    continue;
                };
                let v = source::unparen(v);
                let ty = u.text(ty);
                if v.kind() != "identifier" || !ty.contains('*') || ty.contains("const") {
                    continue;
                }
                if u.var_type(u.text(v), v).map(|t| t.pointee_const).unwrap_or(false) {
                    out.at(u, c, "cast removes const from the pointed-to type", "keep the const qualifier in the target type");
                }
            }
        }
    }
}
