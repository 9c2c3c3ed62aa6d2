//! Rule 2.8 (advisory): no unused object definitions.
//!
//! ## What it checks
//! An object defined in a block (not `extern`) whose name is never used in its function after the definition, and a file-scope `static` object whose name is never used anywhere else in its file (for an object defined in a header: in any checked file, since the files including the header use it). A name counts as used wherever it appears as an identifier, and in the body of any macro of the checked files.
//!
//! ## Why
//! An object nobody reads or writes is leftover code that costs memory and suggests a missing use.
//!
//! ## Known limits
//! Uses are matched by name: a use of another entity with the same name (a hiding declaration, see rule 5.3, or a member access `s.x`, which is not counted) can mask an unused object. An object that is only written is counted as used. Objects with external linkage are not checked, since files outside the checked set may use them.
//!
//! ## Example
//! ```c
//! void f(void)
//! {
//!     uint32_t spare = 0U;   /* flagged: never used */
//! }
//! ```

use std::collections::{HashMap, HashSet};

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "2.8"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "No unused object definitions."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let mut macro_words: HashSet<&str> = HashSet::new();
        for u in &program.units {
            for &n in u.nodes("preproc_arg") {
                macro_words.extend(source::words(u.text(n)));
            }
        }
        for u in &program.units {
            // Last position of each name per function (by start byte), and
            // file-wide uses that are not file-scope declarators; built lazily.
            let mut last_in_fn: HashMap<usize, HashMap<&str, usize>> = HashMap::new();
            let mut file_uses: Option<HashSet<&str>> = None;
            for &d in u.nodes("declaration") {
                let mut sc = d.walk();
                let specs: Vec<&str> = d
                    .children(&mut sc)
                    .filter(|n| n.kind() == "storage_class_specifier")
                    .map(|n| u.text(n))
                    .collect();
                if specs.contains(&"extern") {
                    continue;
                }
                let func = u.enclosing_function(d);
                if func.is_none() && !specs.contains(&"static") {
                    continue;
                }
                let mut c = d.walk();
                for decl in d.children_by_field_name("declarator", &mut c) {
                    if source::function_declarator(decl).is_some() {
                        continue;
                    }
                    let Some(name) = source::declared_name(decl) else {
                        continue;
                    };
                    let text = u.text(name);
                    if macro_words.contains(text) {
                        continue;
                    }
                    let used = match func {
                        Some(f) => {
                            let last = last_in_fn.entry(f.start_byte()).or_insert_with(|| {
                                let mut m: HashMap<&str, usize> = HashMap::new();
                                for &i in u.nodes_within("identifier", f) {
                                    let e = m.entry(u.text(i)).or_default();
                                    *e = (*e).max(i.start_byte());
                                }
                                m
                            });
                            last.get(text).is_some_and(|&b| b > name.start_byte())
                        }
                        None => {
                            // A static object defined in a header is used by the files including it.
                            let scope: Vec<&source::Unit<'_>> = if u.path.ends_with(".h") {
                                program.units.iter().collect()
                            } else {
                                vec![u]
                            };
                            file_uses
                                .get_or_insert_with(|| {
                                    scope
                                        .iter()
                                        .flat_map(|w| {
                                            w.nodes("identifier")
                                                .iter()
                                                .filter(|&&i| !is_file_scope_declarator(w, i))
                                                .map(|&i| w.text(i))
                                        })
                                        .collect()
                                })
                                .contains(text)
                        }
                    };
                    if !used {
                        let msg = format!("object `{text}` is defined but never used");
                        out.at(u, name, &msg, "remove the definition, or use the object");
                    }
                }
            }
        }
    }
}

/// Is this identifier the declared name of another file-scope declaration
/// (a repeated tentative definition is not a use)?
fn is_file_scope_declarator(u: &source::Unit<'_>, i: tree_sitter::Node<'_>) -> bool {
    u.parent(i).is_some_and(|p| {
        matches!(p.kind(), "init_declarator" | "declaration" | "array_declarator" | "pointer_declarator")
            && p.child_by_field_name("declarator").map(|x| x.id()) == Some(i.id())
            && u.enclosing_function(i).is_none()
    })
}
