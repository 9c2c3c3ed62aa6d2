//! Rule 20.2 (required): header names do not contain quote, backslash or comment characters.
//!
//! ## What it checks
//! An `#include` whose header name contains `'`, `"` (inside <>), `\`, `/*` or `//`.
//!
//! ## Why
//! The meaning of these characters in a header name is undefined.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! #include "dir\file.h"   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Header names do not contain quote, backslash or comment characters."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &inc in u.nodes("preproc_include") {
                let Some(p) = inc.child_by_field_name("path") else {
                    continue;
                };
                let t = u.text(p);
                let inner = t.get(1..t.len().saturating_sub(1)).unwrap_or("");
                if inner.contains(['\'', '"', '\\']) || inner.contains("/*") || inner.contains("//") {
                    out.at(u, p, "unusual character in a header name", "use plain names and forward slashes");
                }
            }
        }
    }
}
