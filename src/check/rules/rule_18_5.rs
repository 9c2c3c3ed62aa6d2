//! Rule 18.5 (advisory): use at most two levels of pointer nesting.
//!
//! ## What it checks
//! Declarators with three or more levels of pointer, e.g. `T ***p`.
//!
//! ## Why
//! Deep pointer nesting is hard to read and to get right.
//!
//! ## Known limits
//! Levels added through typedefs are not counted.
//!
//! ## Example
//! ```c
//! uint8_t ***table;   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "18.5"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Use at most two levels of pointer nesting."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for kind in ["pointer_declarator", "abstract_pointer_declarator"] {
                for &p in u.nodes(kind) {
                    if u.parent(p).map(|x| x.kind() == kind).unwrap_or(false) {
                        continue;
                    }
                    let mut depth = 0;
                    let mut cur = Some(p);
                    while let Some(n) = cur.filter(|n| n.kind() == kind) {
                        depth += 1;
                        cur = n.child_by_field_name("declarator");
                    }
                    if depth > 2 {
                        out.at(u, p, "more than two levels of pointer nesting", "introduce a typedef or restructure the data");
                    }
                }
            }
        }
    }
}
