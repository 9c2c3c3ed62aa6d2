//! Rule 14.1 (required): a loop counter is not essentially floating.
//!
//! ## What it checks
//! A `for` loop whose first clause assigns or declares a variable of floating type (float, double, or a typedef name containing "float" or "double"), or whose third clause updates one.
//!
//! ## Why
//! Rounding makes the number of iterations of a floating-point counted loop depend on the values and the target.
//!
//! ## Known limits
//! Types are known from declarations in the same file; while loops with floating counters are not recognised.
//!
//! ## Example
//! ```c
//! for (x = 0.0F; x < 1.0F; x += 0.1F) { }   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "14.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A loop counter is not essentially floating."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &f in u.nodes("for_statement") {
                let mut counters = Vec::new();
                for field in ["initializer", "update"] {
                    let Some(clause) = f.child_by_field_name(field) else {
                        continue;
                    };
                    for &d in u.subtree(clause) {
                        let target = match d.kind() {
                            "assignment_expression" => d.child_by_field_name("left"),
                            "update_expression" => d.child_by_field_name("argument"),
                            "init_declarator" => d.child_by_field_name("declarator").and_then(source::declared_name),
                            _ => None,
                        };
                        counters.extend(target.map(source::unparen).filter(|t| t.kind() == "identifier"));
                    }
                }
                let floating = counters.iter().find(|&&c| {
                    u.var_type(u.text(c), c)
                        .map(|t| {
                            let b = t.base.to_ascii_lowercase();
                            !t.is_pointer() && (b.contains("float") || b.contains("double"))
                        })
                        .unwrap_or(false)
                });
                if let Some(&c) = floating {
                    out.at(u, c, "floating-point loop counter", "count with an integer and derive the floating value");
                }
            }
        }
    }
}
