//! Rule 5.7 (required): a tag name is unique.
//!
//! ## What it checks
//! A structure, union or enumeration tag that is defined (with its body) more than once in the checked files, or whose name is also used for another identifier: an object, function, parameter, member, typedef, enumeration constant or label. A typedef that names the tag itself may share its name (`typedef struct s { ... } s;`). A forward declaration (`struct s;`) and the definition are one tag. Each definition of such a tag is reported.
//!
//! ## Why
//! Two types with one tag, or a tag that is also an object's name, make it easy to mean one and write the other.
//!
//! ## Known limits
//! Identifiers are compared across the checked files only; macro names are left to rule 5.5. Tags in different scopes are compared as one (a tag defined inside a function clashes with a file-scope one, which is also what the guideline asks). Declarations produced by macro expansion are not seen.
//!
//! ## Example
//! ```c
//! struct sample { uint32_t v; };
//! static uint32_t sample;        /* the tag `sample` is flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::names::{self, Kind};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "5.7"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A tag name is unique."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let all = names::collect(program);
        for (name, decls) in &all {
            let tags: Vec<_> = decls.iter().filter(|d| d.kind == Kind::Tag).collect();
            if tags.is_empty() {
                continue;
            }
            let defs: Vec<_> = tags.iter().copied().filter(|d| d.body).collect();
            let other = decls.iter().find(|d| {
                d.kind != Kind::Tag && !(d.kind == Kind::Typedef && d.own_tag == Some(*name))
            });
            if defs.len() < 2 && other.is_none() {
                continue;
            }
            let shown = if defs.is_empty() { tags.clone() } else { defs };
            for t in shown {
                let u = &program.units[t.unit];
                let msg = match other {
                    Some(o) => format!("tag `{name}` is also used as {}", o.kind.name()),
                    None => format!("tag `{name}` is defined more than once"),
                };
                out.at(u, t.node, &msg, "give each type a tag used for nothing else");
            }
        }
    }
}
