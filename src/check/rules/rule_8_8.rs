//! Rule 8.8 (required): use static on every declaration of an internal-linkage object or function.
//!
//! ## What it checks
//! A function declared or defined without `static` in a file where another declaration of the same function is `static`.
//!
//! ## Why
//! Whether a later declaration without static has internal linkage depends on an easily missed earlier declaration.
//!
//! ## Known limits
//! Objects are not checked, only functions.
//!
//! ## Example
//! ```c
//! static void f(void);
//! void f(void) { }   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.8"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Use static on every declaration of an internal-linkage object or function."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let mut decls = Vec::new();
            for kind in ["function_definition", "declaration"] {
                for &n in u.nodes(kind) {
                    if u.enclosing_function(n).is_some() {
                        continue;
                    }
                    let Some(name) = n
                        .child_by_field_name("declarator")
                        .and_then(source::function_declarator)
                        .and_then(|fd| source::function_name(u, fd))
                    else {
                        continue;
                    };
                    let mut c = n.walk();
                    let is_static = n
                        .children(&mut c)
                        .any(|ch| ch.kind() == "storage_class_specifier" && u.text(ch) == "static");
                    decls.push((name, is_static, n));
                }
            }
            for &(name, is_static, n) in &decls {
                if !is_static && decls.iter().any(|&(m, s, _)| s && m == name) {
                    let msg = format!("`{name}` has internal linkage but this declaration lacks static");
                    out.at(u, n, &msg, "add static");
                }
            }
        }
    }
}
