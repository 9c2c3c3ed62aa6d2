//! Rule 20.11 (required): a # operand is not immediately followed by ##.
//!
//! ## What it checks
//! A macro replacement list in which a parameter stringized with `#` is immediately followed by `##`.
//!
//! ## Why
//! The order of evaluation of # and ## is unspecified.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! #define M(a) #a ## x   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.11"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A # operand is not immediately followed by ##."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &d in u.nodes("preproc_function_def") {
                let Some(value) = d.child_by_field_name("value") else {
                    continue;
                };
                let toks = super::rule_20_7::tokens(u.text(value));
                for w in toks.windows(3) {
                    if w[0].1 == "#" && w[2].1 == "##" {
                        out.at_byte(u, value.start_byte() + w[0].0, "# operand followed by ##", "split the stringizing and the pasting into two macros");
                    }
                }
            }
        }
    }
}
