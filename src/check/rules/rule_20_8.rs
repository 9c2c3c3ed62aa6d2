//! Rule 20.8 (required): #if and #elif conditions evaluate to 0 or 1.
//!
//! ## What it checks
//! An `#if` or `#elif` whose condition is an integer constant other than 0 or 1, or a single macro defined in the checked files as such a constant.
//!
//! ## Why
//! A condition meant as a truth value that evaluates to another number often hides a mistake in the configuration.
//!
//! ## Known limits
//! Only conditions that are a single number or a single macro name are evaluated.
//!
//! ## Example
//! ```c
//! #define LEVEL 2
//! #if LEVEL   /* flagged: evaluates to 2 */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.8"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "#if and #elif conditions evaluate to 0 or 1."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let mut values = std::collections::BTreeMap::new();
        for u in &program.units {
            for &d in u.nodes("preproc_def") {
                if let (Some(name), Some(value)) = (d.child_by_field_name("name"), d.child_by_field_name("value")) {
                    values.insert(u.text(name).to_string(), u.text(value).trim().to_string());
                }
            }
        }
        for u in &program.units {
            for kind in ["preproc_if", "preproc_elif"] {
                for &n in u.nodes(kind) {
                    let Some(cond) = n.child_by_field_name("condition") else {
                        continue;
                    };
                    let text = u.text(cond).trim();
                    let value = match cond.kind() {
                        "number_literal" => Some(text.to_string()),
                        "identifier" => values.get(text).cloned(),
                        _ => None,
                    };
                    let Some(v) = value else {
                        continue;
                    };
                    let digits = v.trim_end_matches(['u', 'U', 'l', 'L']);
                    if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() && digits != "0" && digits != "1" {
                        let msg = format!("condition evaluates to {digits}, not 0 or 1");
                        out.at(u, cond, &msg, "compare explicitly, e.g. #if LEVEL == 2");
                    }
                }
            }
        }
    }
}
