//! Rule 20.3 (required): #include is followed by a <file> or quoted file name.
//!
//! ## What it checks
//! An `#include` whose operand is neither `<file>` nor `"file"`, unless it is a macro defined in the checked files whose replacement is such a name.
//!
//! ## Why
//! Any other form of #include has undefined behaviour.
//!
//! ## Known limits
//! A macro defined outside the checked files is reported, as its replacement cannot be seen.
//!
//! ## Example
//! ```c
//! #include HEADER   /* flagged unless HEADER is #defined as "x.h" or <x.h> */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.3"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "#include is followed by a <file> or quoted file name."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let mut header_macros = std::collections::BTreeSet::new();
        for u in &program.units {
            for &d in u.nodes("preproc_def") {
                let (Some(name), Some(value)) = (d.child_by_field_name("name"), d.child_by_field_name("value")) else {
                    continue;
                };
                let v = u.text(value).trim();
                let quoted = v.len() > 2 && v.starts_with('"') && v.ends_with('"');
                let angled = v.len() > 2 && v.starts_with('<') && v.ends_with('>');
                if quoted || angled {
                    header_macros.insert(u.text(name).to_string());
                }
            }
        }
        for u in &program.units {
            for &inc in u.nodes("preproc_include") {
                let Some(p) = inc.child_by_field_name("path") else {
                    continue;
                };
                let ok = match p.kind() {
                    "string_literal" | "system_lib_string" => true,
                    "identifier" => header_macros.contains(u.text(p)),
                    _ => false,
                };
                if !ok {
                    out.at(u, p, "#include operand is not a <file> or \"file\" name", "write the header name directly");
                }
            }
        }
    }
}
