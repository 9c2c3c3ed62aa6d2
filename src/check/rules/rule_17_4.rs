//! Rule 17.4 (mandatory): every exit of a non-void function returns a value.
//!
//! ## What it checks
//! In a function with a non-void return type: a `return;` without a value, and a body whose last statement is not a `return` (so control can reach the closing brace).
//!
//! ## Why
//! Using the value of a function that fell off its end is undefined behaviour.
//!
//! ## Known limits
//! A body that ends in an if/else or switch returning on every branch is flagged too (the rule 15.5 style of one final return avoids this); a call to a function that never returns is not recognised.
//!
//! ## Example
//! ```c
//! int32_t f(int32_t x) { if (x > 0) { return 1; } }   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "17.4"
    }
    fn category(&self) -> Category {
        Category::Mandatory
    }
    fn summary(&self) -> &'static str {
        "Every exit of a non-void function returns a value."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &f in u.nodes("function_definition") {
                let Some(ty) = f.child_by_field_name("type") else {
                    continue;
                };
                let pointer = f.child_by_field_name("declarator").map(|d| d.kind() == "pointer_declarator").unwrap_or(false);
                if u.text(ty) == "void" && !pointer {
                    continue;
                }
                let Some(body) = f.child_by_field_name("body") else {
                    continue;
                };
                for &r in u.nodes("return_statement") {
                    if r.start_byte() >= body.start_byte() && r.end_byte() <= body.end_byte() && r.named_child_count() == 0 {
                        out.at(u, r, "return without a value in a non-void function", "return a value of the function's type");
                    }
                }
                let mut c = body.walk();
                let last = body.named_children(&mut c).filter(|s| s.kind() != "comment").last();
                if last.map(|l| l.kind() != "return_statement").unwrap_or(true) {
                    let end = body.end_byte().saturating_sub(1);
                    out.at_byte(u, end, "control can reach the end of a non-void function", "end the function with a return statement");
                }
            }
        }
    }
}
