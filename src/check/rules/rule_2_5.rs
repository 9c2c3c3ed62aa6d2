//! Rule 2.5 (advisory): no unused macro definitions.
//!
//! ## What it checks
//! A macro `#define`d in the checked files whose name appears nowhere else in them: not in code, not in another macro's body, not in `#if`, `#ifdef`, `#ifndef` or `defined()`. An `#undef` is not a use.
//!
//! ## Why
//! An unused macro is dead text that a reader must still understand, and may hide a mistake (a misspelt use).
//!
//! ## Known limits
//! Uses are matched by name across all checked files, so a same-named identifier counts as a use. Macros meant for code outside the checked files (a library's public header, configuration macros read by the build) are reported; check them with their users, or deviate.
//!
//! ## Example
//! ```c
//! #define RETRIES 3U   /* flagged when nothing mentions RETRIES */
//! ```

use std::collections::HashMap;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "2.5"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "No unused macro definitions."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let counts = source::word_counts(program, false);
        let mut defined: HashMap<&str, usize> = HashMap::new();
        let mut names = Vec::new();
        for u in &program.units {
            for kind in ["preproc_def", "preproc_function_def"] {
                for &d in u.nodes(kind) {
                    if let Some(name) = d.child_by_field_name("name") {
                        *defined.entry(u.text(name)).or_default() += 1;
                        names.push((u, name));
                    }
                }
            }
        }
        for (u, name) in names {
            let t = u.text(name);
            if counts.get(t).copied().unwrap_or(0) <= defined.get(t).copied().unwrap_or(0) {
                let msg = format!("macro `{t}` is defined but never used");
                out.at(u, name, &msg, "remove the unused macro");
            }
        }
    }
}
