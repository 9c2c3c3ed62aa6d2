//! Rule 2.7 (advisory): no unused function parameters.
//!
//! ## What it checks
//! A named parameter of a function definition that is never mentioned in the body.
//!
//! ## Why
//! An unused parameter often means the function does not do what its interface promises.
//!
//! ## Known limits
//! A use hidden inside a macro defined elsewhere is not seen. Casting to (void) counts as a use.
//!
//! ## Example
//! ```c
//! int32_t first(int32_t a, int32_t b) { return a; }   /* flagged: b */
//! ```

use std::collections::BTreeSet;

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "2.7"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "No unused function parameters."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &f in u.nodes("function_definition") {
                let (Some(decl), Some(body)) = (f.child_by_field_name("declarator"), f.child_by_field_name("body")) else {
                    continue;
                };
                let Some(params) = source::function_declarator(decl).and_then(|fd| fd.child_by_field_name("parameters")) else {
                    continue;
                };
                let used: BTreeSet<&str> = u
                    .nodes_within("identifier", body)
                    .iter()
                    .map(|&n| u.text(n))
                    .collect();
                let mut c = params.walk();
                for p in params.named_children(&mut c) {
                    let Some(name) = p.child_by_field_name("declarator").and_then(source::declared_name) else {
                        continue;
                    };
                    if !used.contains(u.text(name)) {
                        let msg = format!("parameter `{}` is never used", u.text(name));
                        out.at(u, name, &msg, "remove the parameter or cast it to (void) with a comment");
                    }
                }
            }
        }
    }
}
