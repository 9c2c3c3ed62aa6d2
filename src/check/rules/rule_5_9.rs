//! Rule 5.9 (advisory): identifiers with internal linkage are unique.
//!
//! ## What it checks
//! A name that a file-scope `static` object or function declares, reused for any other identifier of the checked files: an identifier of any kind in another file (another `static` entity included), or, in the same file, a block-scope object, parameter, member, tag, typedef, enumeration constant or label. Each reuse is reported; declarations of the `static` entity itself within its file are not.
//!
//! ## Why
//! A name that means one thing in one file and another thing elsewhere makes code review and search unreliable.
//!
//! ## Known limits
//! Only the checked files are compared. A `static` function defined in a header is one declaration, however many files include the header. Macro names are left to rule 5.5; a name with internal linkage in one file and external in another is reported by both this rule and 5.8. Declarations produced by macro expansion are not seen.
//!
//! ## Example
//! ```c
//! static uint32_t scale(uint32_t x);                 /* in a.c */
//! void g(void) { uint32_t scale = 2U; (void)scale; } /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::names::{self, Kind};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "5.9"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Identifiers with internal linkage are unique."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let all = names::collect(program);
        for (name, decls) in &all {
            let internal_units: Vec<usize> = decls
                .iter()
                .filter(|d| d.kind == Kind::Internal)
                .map(|d| d.unit)
                .collect();
            let Some(&home) = internal_units.first() else {
                continue;
            };
            for d in decls {
                let same_entity = d.kind == Kind::Internal && d.unit == home;
                if same_entity {
                    continue;
                }
                let u = &program.units[d.unit];
                let msg = format!("`{name}` has internal linkage in {} and is reused here as {}", program.units[home].path, d.kind.name());
                out.at(u, d.node, &msg, "rename it: an identifier with internal linkage is used for nothing else");
            }
        }
    }
}
