//! Rule 2.4 (advisory): no unused tag declarations.
//!
//! ## What it checks
//! A struct, union or enum tag that no other `struct`/`union`/`enum` reference in the checked files (or word of a macro body) names, e.g. the tag of `typedef struct cfg { ... } cfg_t;` when the code only ever writes `cfg_t`.
//!
//! ## Why
//! An unused tag is noise that suggests a use that does not exist.
//!
//! ## Known limits
//! Tags are matched by name across all checked files, whatever their scope and kind. Tags meant for code outside the checked files are reported.
//!
//! ## Example
//! ```c
//! typedef struct cfg { uint8_t mode; } cfg_t;   /* flagged: the tag cfg is never used */
//! ```

use std::collections::HashMap;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "2.4"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "No unused tag declarations."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        // References to each tag name (specifiers without a body), and macro-body words.
        let mut uses: HashMap<&str, usize> = HashMap::new();
        let mut defined = Vec::new();
        for u in &program.units {
            for kind in ["struct_specifier", "union_specifier", "enum_specifier"] {
                for &s in u.nodes(kind) {
                    let Some(name) = s.child_by_field_name("name") else {
                        continue;
                    };
                    if s.child_by_field_name("body").is_some() {
                        defined.push((u, name));
                    } else {
                        *uses.entry(u.text(name)).or_default() += 1;
                    }
                }
            }
            for &n in u.nodes("preproc_arg") {
                for w in source::words(u.text(n)) {
                    *uses.entry(w).or_default() += 1;
                }
            }
        }
        for (u, name) in defined {
            let t = u.text(name);
            if !uses.contains_key(t) {
                let msg = format!("tag `{t}` is declared but never used");
                out.at(u, name, &msg, "remove the tag name");
            }
        }
    }
}
