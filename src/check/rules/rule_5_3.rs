//! Rule 5.3 (required): an inner-scope identifier does not hide an outer one.
//!
//! ## What it checks
//! A declaration inside a function whose name is also a parameter of that function (in a nested block), a file-scope object, or a function of the checked files.
//!
//! ## Why
//! Two entities with one name in nested scopes make it easy to use the wrong one.
//!
//! ## Known limits
//! Hiding between two nested blocks of the same function is not detected; tags, labels and members are not considered.
//!
//! ## Example
//! ```c
//! static uint32_t count;
//! void f(void) { uint32_t count = 0U; }   /* flagged */
//! ```

use tree_sitter::Node;

use crate::check::source::{self, Unit};
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "5.3"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "An inner-scope identifier does not hide an outer one."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &d in u.nodes("declaration") {
                let Some(func) = u.enclosing_function(d) else {
                    continue;
                };
                let mut c = d.walk();
                for decl in d.children_by_field_name("declarator", &mut c) {
                    let Some(name) = source::declared_name(decl) else {
                        continue;
                    };
                    let t = u.text(name);
                    let in_body_block = u.parent(d).map(|p| p.id()) != func.child_by_field_name("body").map(|b| b.id());
            let param = in_body_block && parameter_names(u, func).contains(&t);
            let outer = u.file_scope_var(t).is_some() || program.functions.contains_key(t);
                    if param || outer {
                        let msg = format!("`{t}` hides an identifier of an outer scope");
                        out.at(u, name, &msg, "choose a distinct name");
                    }
                }
            }
        }
    }
}

fn parameter_names<'a>(u: &Unit<'a>, func: Node<'a>) -> Vec<&'a str> {
    let Some(params) = func
        .child_by_field_name("declarator")
        .and_then(source::function_declarator)
        .and_then(|fd| fd.child_by_field_name("parameters"))
    else {
        return Vec::new();
    };
    let mut c = params.walk();
    let names: Vec<&'a str> = params
        .named_children(&mut c)
        .filter_map(|p| p.child_by_field_name("declarator"))
        .filter_map(source::declared_name)
        .map(|n| u.text(n))
        .collect();
    names
}
