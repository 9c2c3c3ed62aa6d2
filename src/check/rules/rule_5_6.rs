//! Rule 5.6 (required): a typedef name is unique.
//!
//! ## What it checks
//! A typedef name that is declared by more than one typedef in the checked files (a typedef in a header counts once, however many files include it) or that is also used for any other identifier of the checked files: an object, function, parameter, member, tag, enumeration constant or label. The tag of the structure, union or enumeration the typedef itself names may share its name (`typedef struct s { ... } s;`). Each typedef declaration of such a name is reported.
//!
//! ## Why
//! One name with two meanings makes the reader, and sometimes the compiler, pick the wrong one.
//!
//! ## Known limits
//! Identifiers are compared across the checked files only; macro names are left to rule 5.5. Declarations produced by macro expansion are not seen.
//!
//! ## Example
//! ```c
//! typedef uint32_t count_t;
//! static uint32_t count_t;   /* flagged at the typedef: the name is reused */
//! ```

use crate::check::finding::Category;
use crate::check::rules::names::{self, Kind};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "5.6"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A typedef name is unique."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let all = names::collect(program);
        for (name, decls) in &all {
            let typedefs: Vec<_> = decls.iter().filter(|d| d.kind == Kind::Typedef).collect();
            if typedefs.is_empty() {
                continue;
            }
            // The tag a typedef names may share the typedef's name.
            let names_own_tag = typedefs.iter().any(|t| t.own_tag == Some(*name));
            let other = decls
                .iter()
                .find(|d| d.kind != Kind::Typedef && !(d.kind == Kind::Tag && names_own_tag));
            if typedefs.len() < 2 && other.is_none() {
                continue;
            }
            for t in &typedefs {
                let u = &program.units[t.unit];
                let msg = match other {
                    Some(o) => format!("typedef name `{name}` is also used as {}", o.kind.name()),
                    None => format!("typedef name `{name}` is declared by more than one typedef"),
                };
                out.at(u, t.node, &msg, "give the typedef a name used for nothing else");
            }
        }
    }
}
