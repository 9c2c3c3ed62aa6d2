//! Rule 20.10 (advisory): do not use the # and ## operators.
//!
//! ## What it checks
//! A macro replacement list that uses `#` or `##` (outside string and character literals).
//!
//! ## Why
//! The order in which # and ## are evaluated is unspecified, and the results are hard to read.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! #define CAT(a, b) a ## b   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.10"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not use the # and ## operators."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for kind in ["preproc_def", "preproc_function_def"] {
                for &d in u.nodes(kind) {
                    let Some(v) = d.child_by_field_name("value") else {
                        continue;
                    };
                    if let Some(pos) = hash_outside_literals(u.text(v)) {
                        out.at_byte(u, v.start_byte() + pos, "# or ## operator in a macro", "write the code without token pasting or stringizing");
                    }
                }
            }
        }
    }
}

fn hash_outside_literals(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, ch) in text.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == q {
                    quote = None;
                }
            }
            None => match ch {
                '"' | '\'' => quote = Some(ch),
                '#' => return Some(i),
                _ => {}
            },
        }
    }
    None
}
