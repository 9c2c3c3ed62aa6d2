//! Rule 20.4 (required): do not define a macro with the name of a keyword.
//!
//! ## What it checks
//! A `#define` whose name is a C keyword.
//!
//! ## Why
//! Redefining a keyword changes the language under the feet of the reader.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! #define inline   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not define a macro with the name of a keyword."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for kind in ["preproc_def", "preproc_function_def"] {
                for &n in u.nodes(kind) {
                    let Some(name) = n.child_by_field_name("name") else {
                        continue;
                    };
                    if source::KEYWORDS.contains(&u.text(name)) {
                        let msg = format!("macro named after the keyword `{}`", u.text(name));
                        out.at(u, name, &msg, "choose another macro name");
                    }
                }
            }
        }
    }
}
