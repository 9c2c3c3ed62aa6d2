//! Rule 8.2 (required): function types are prototypes with named parameters.
//!
//! ## What it checks
//! Function declarators with an empty parameter list `()`, with an unnamed parameter (other than a lone `void`), or with an old-style identifier list.
//!
//! ## Why
//! Without a prototype the compiler cannot check the arguments of a call; names document what each parameter means.
//!
//! ## Known limits
//! Function types written as abstract declarators (e.g. in a cast or a typedef of a function pointer without names) are not checked.
//!
//! ## Example
//! ```c
//! int32_t f();                 /* flagged: use (void) */
//! int32_t g(int32_t);          /* flagged: name the parameter */
//! ```

use crate::check::source::Unit;
use tree_sitter::Node;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Function types are prototypes with named parameters."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &fd in u.nodes("function_declarator") {
                let Some(params) = fd.child_by_field_name("parameters") else {
                    continue;
                };
                let mut c = params.walk();
                let items: Vec<_> = params.named_children(&mut c).filter(|p| p.kind() != "comment").collect();
                if items.is_empty() {
                    out.at(u, params, "empty parameter list is not a prototype", "write (void)");
                    continue;
                }
                for p in items {
                    match p.kind() {
                        "parameter_declaration" => {
                            let named = p
                                .child_by_field_name("declarator")
                                .map(|d| !d.kind().starts_with("abstract_"))
                                .unwrap_or(false);
                            let lone_void = items_is_lone_void(u, p);
                            if !named && !lone_void {
                                out.at(u, p, "unnamed parameter", "give the parameter a name");
                            }
                        }
                        "identifier" => out.at(u, p, "old-style parameter list", "declare the function as a prototype"),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Is this parameter the `void` of `f(void)`?
fn items_is_lone_void(u: &Unit<'_>, p: Node<'_>) -> bool {
    let is_void = p.child_by_field_name("type").map(|t| u.text(t) == "void").unwrap_or(false)
        && p.child_by_field_name("declarator").is_none();
    let alone = u.parent(p).map(|l| l.named_child_count() == 1).unwrap_or(false);
    is_void && alone
}
