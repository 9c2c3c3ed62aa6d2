//! Rule 5.8 (required): identifiers with external linkage are unique.
//!
//! ## What it checks
//! A name that some file-scope object or function declares with external linkage, reused for any other identifier of the checked files: a block-scope object, a parameter, a member, a tag, a typedef, an enumeration constant, a label, or a `static` object or function. Each reuse is reported; declarations of the external entity itself (prototypes, `extern` declarations, the definition) are not.
//!
//! ## Why
//! An external name is visible in every file of the program; reusing it elsewhere hides it or makes readers confuse the two.
//!
//! ## Known limits
//! Only the checked files are compared: a name external in a library that is not checked is not known. Macro names are left to rule 5.5. Declarations produced by macro expansion are not seen.
//!
//! ## Example
//! ```c
//! uint32_t timeout;                         /* external */
//! void f(void) { uint32_t timeout = 0U; }   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::names::{self, Kind};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "5.8"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Identifiers with external linkage are unique."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let all = names::collect(program);
        for (name, decls) in &all {
            if !decls.iter().any(|d| d.kind == Kind::External) {
                continue;
            }
            for d in decls.iter().filter(|d| d.kind != Kind::External) {
                let u = &program.units[d.unit];
                let msg = format!("`{name}` has external linkage elsewhere and is reused here as {}", d.kind.name());
                out.at(u, d.node, &msg, "rename it: an external identifier is used for nothing else");
            }
        }
    }
}
