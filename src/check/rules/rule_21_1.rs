//! Rule 21.1 (required): do not #define or #undef reserved identifiers or macro names.
//!
//! ## What it checks
//! `#define` or `#undef` of a name starting with `__` or `_` and an uppercase letter, of `defined`, or of a standard library macro name.
//!
//! ## Why
//! Reserved names belong to the implementation; redefining them has undefined behaviour.
//!
//! ## Known limits
//! The list of library macro names covers the common ones (NULL, EOF, errno, assert, limits and stdint macros), not every one.
//!
//! ## Example
//! ```c
//! #define _LIMIT 4   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not #define or #undef reserved identifiers or macro names."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        const LIBRARY: &[&str] = &[
            "defined", "NULL", "EOF", "errno", "assert", "offsetof", "bool", "true", "false",
            "INT8_MAX", "INT16_MAX", "INT32_MAX", "INT64_MAX", "INT8_MIN", "INT16_MIN", "INT32_MIN",
            "INT64_MIN", "UINT8_MAX", "UINT16_MAX", "UINT32_MAX", "UINT64_MAX", "INT_MAX", "INT_MIN",
            "UINT_MAX", "CHAR_BIT", "SIZE_MAX", "FLT_MAX", "FLT_MIN", "FLT_EPSILON", "DBL_MAX",
            "DBL_MIN", "DBL_EPSILON", "NAN", "INFINITY", "HUGE_VAL", "EXIT_SUCCESS", "EXIT_FAILURE",
        ];
        for u in &program.units {
            let mut names = Vec::new();
            for kind in ["preproc_def", "preproc_function_def"] {
                for &n in u.nodes(kind) {
                    names.extend(n.child_by_field_name("name"));
                }
            }
            for &n in u.nodes("preproc_call") {
                let directive = n.child_by_field_name("directive").map(|d| u.text(d)).unwrap_or("");
                if directive == "#undef" {
                    if let Some(arg) = n.child_by_field_name("argument") {
                        names.push(arg);
                    }
                }
            }
            for name in names {
                let t = u.text(name).trim();
                if source::is_reserved_name(t) || LIBRARY.contains(&t) {
                    let msg = format!("#define or #undef of reserved name `{t}`");
                    out.at(u, name, &msg, "choose a name outside the reserved set");
                }
            }
        }
    }
}
