//! Rule 17.8 (advisory): do not modify a function parameter.
//!
//! ## What it checks
//! An assignment, `++` or `--` whose target is a parameter of the enclosing function.
//!
//! ## Why
//! A parameter that changes during the function no longer tells the reader what the caller passed.
//!
//! ## Known limits
//! Only direct assignments to the parameter name are seen (writing through a pointer parameter is fine).
//!
//! ## Example
//! ```c
//! void f(uint32_t n) { n++; }   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "17.8"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not modify a function parameter."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let mut targets = Vec::new();
            for &a in u.nodes("assignment_expression") {
                targets.extend(a.child_by_field_name("left"));
            }
            for &a in u.nodes("update_expression") {
                targets.extend(a.child_by_field_name("argument"));
            }
            for t in targets {
                let t = source::unparen(t);
                if t.kind() != "identifier" {
                    continue;
                }
                if u.var_type(u.text(t), t).map(|v| v.param).unwrap_or(false) {
                    let msg = format!("parameter `{}` is modified", u.text(t));
                    out.at(u, t, &msg, "copy the parameter into a local variable");
                }
            }
        }
    }
}
