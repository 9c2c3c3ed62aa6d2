//! Rule 21.2 (required): do not declare reserved identifiers or macro names.
//!
//! ## What it checks
//! Declarations (objects, functions, parameters, typedefs, tags, enumerators, members) whose name starts with `__` or with `_` and an uppercase letter.
//!
//! ## Why
//! Such names are reserved for the implementation; declaring one has undefined behaviour.
//!
//! ## Known limits
//! File-scope names starting with `_` and a lowercase letter, and standard library names, are not checked.
//!
//! ## Example
//! ```c
//! static uint32_t _Count;   /* flagged */
//! ```

use tree_sitter::Node;

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not declare reserved identifiers or macro names."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let mut names = Vec::new();
            for kind in ["identifier", "type_identifier", "field_identifier"] {
                for &n in u.nodes(kind) {
                    if source::is_reserved_name(u.text(n)) && is_declared_here(n) {
                        names.push(n);
                    }
                }
            }
            names.sort_by_key(|n| n.start_byte());
            for n in names {
                let msg = format!("declaration of reserved name `{}`", u.text(n));
                out.at(u, n, &msg, "rename without the leading underscore");
            }
        }
    }
}

/// Is this name node the name being declared (not a use)?
fn is_declared_here(n: Node<'_>) -> bool {
    let Some(p) = n.parent() else {
        return false;
    };
    let field_is = |field: &str| p.child_by_field_name(field).map(|c| c.id()) == Some(n.id());
    match p.kind() {
        "init_declarator" | "pointer_declarator" | "array_declarator" | "function_declarator"
        | "parenthesized_declarator" | "parameter_declaration" | "declaration"
        | "field_declaration" | "type_definition" => field_is("declarator"),
        "struct_specifier" | "union_specifier" | "enum_specifier" => {
            field_is("name") && p.child_by_field_name("body").is_some()
        }
        "enumerator" => field_is("name"),
        _ => false,
    }
}
