//! Rule 5.5 (required): identifiers are distinct from macro names.
//!
//! ## What it checks
//! An object, function, parameter, type, tag, member or enumerator declared with the name of a macro defined in the checked files.
//!
//! ## Why
//! Whether the name means the macro or the declared entity depends on where the macro is defined, which confuses readers.
//!
//! ## Known limits
//! Macros from unchecked headers are not known.
//!
//! ## Example
//! ```c
//! #define limit 4U
//! uint32_t limit(void);   /* flagged */
//! ```

use tree_sitter::Node;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program, Unit};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "5.5"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Identifiers are distinct from macro names."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let mut names = Vec::new();
            for kind in ["identifier", "type_identifier", "field_identifier"] {
                for &n in u.nodes(kind) {
                    if program.macros.contains(u.text(n)) && is_declared_here(u, n) {
                        names.push(n);
                    }
                }
            }
            names.sort_by_key(|n| n.start_byte());
            for n in names {
                let msg = format!("`{}` is also the name of a macro", u.text(n));
                out.at(u, n, &msg, "rename the macro or the identifier");
            }
        }
    }
}

/// Is this name node the name being declared (not a use)?
fn is_declared_here(u: &Unit<'_>, n: Node<'_>) -> bool {
    let Some(p) = u.parent(n) else {
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
