//! Rule 20.9 (required): identifiers in #if and #elif conditions are defined before use.
//!
//! ## What it checks
//! An identifier in an `#if` or `#elif` condition (outside `defined(...)`) that is not defined as a macro anywhere in the checked files.
//!
//! ## Why
//! An undefined identifier silently evaluates to 0, so a misspelt configuration macro goes unnoticed.
//!
//! ## Known limits
//! Macros defined by the compiler command line or by unchecked headers are reported; list them in a checked configuration header or deviate.
//!
//! ## Example
//! ```c
//! #if TIMBER_FAST   /* flagged unless TIMBER_FAST is #defined */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.9"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Identifiers in #if and #elif conditions are defined before use."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let mut conds = Vec::new();
            for kind in ["preproc_if", "preproc_elif"] {
                for &n in u.nodes(kind) {
                    conds.extend(n.child_by_field_name("condition"));
                }
            }
            for cond in conds {
                for id in source::descendants(cond) {
                    if id.kind() != "identifier" {
                        continue;
                    }
                    let in_defined = id.parent().map(|p| p.kind() == "preproc_defined").unwrap_or(false);
                    let name = u.text(id);
                    if !in_defined && !program.macros.contains(name) {
                        let msg = format!("`{name}` is not defined where the condition is evaluated");
                        out.at(u, id, &msg, "#define it, or test it with defined()");
                    }
                }
            }
        }
    }
}
