//! Rule 8.9 (advisory): define an object at block scope if only one function uses it.
//!
//! ## What it checks
//! A file-scope object definition whose name is used inside exactly one function of the checked files (for a static object: of its own file), when that function is in the object's own file. An external object used by a single function of another translation unit is not flagged: it cannot move to block scope without merging the two files (e.g. constant tables kept in their own file for placement in flash).
//!
//! ## Why
//! Block scope keeps the object out of reach of code that has no business touching it.
//!
//! ## Known limits
//! Uses are matched by name; a local of the same name in another function counts as a use. Objects used by no function are left to rule 2.8.
//!
//! ## Example
//! ```c
//! static uint32_t calls;   /* flagged when only count() uses it */
//! void count(void) { calls++; }
//! ```

use std::collections::{BTreeMap, BTreeSet};


use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.9"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Define an object at block scope if only one function uses it."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        // Functions (by unit index and start byte) that mention each name.
        let mut users: BTreeMap<(Option<usize>, &str), Users> = BTreeMap::new();
        for (i, u) in program.units.iter().enumerate() {
            for &id in u.nodes("identifier") {
                let Some(f) = u.enclosing_function(id) else {
                    continue;
                };
                let name = u.text(id);
                users.entry((None, name)).or_default().insert((i, f.start_byte()));
                users.entry((Some(i), name)).or_default().insert((i, f.start_byte()));
            }
        }
        for (i, u) in program.units.iter().enumerate() {
            for (name, is_static) in source::file_scope_objects(u) {
                let key = (if is_static { Some(i) } else { None }, u.text(name));
                let one_local_user = users
                    .get(&key)
                    .is_some_and(|s| s.len() == 1 && s.iter().all(|&(unit, _)| unit == i));
                if one_local_user {
                    let msg = format!("`{}` is used by one function only", u.text(name));
                    out.at(u, name, &msg, "define it inside that function (static if it must keep its value)");
                }
            }
        }
    }
}

/// Functions using a name, as (unit index, function start byte).
type Users = BTreeSet<(usize, usize)>;

