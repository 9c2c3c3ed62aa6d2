//! Rule 2.3 (advisory): no unused type declarations.
//!
//! ## What it checks
//! A `typedef` name that is never mentioned anywhere in the checked files (code or macro bodies) apart from its own declaration.
//!
//! ## Why
//! An unused type is dead text: a reader wonders what uses it, and it may be a leftover of a change that went wrong.
//!
//! ## Known limits
//! Uses are matched by name across all checked files, so a same-named identifier elsewhere counts as a use. Types meant for code outside the checked files (a library's public header) are reported; check them with their users, or deviate.
//!
//! ## Example
//! ```c
//! typedef uint16_t unused_word_t;   /* flagged when nothing names unused_word_t */
//! ```

use std::collections::HashMap;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "2.3"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "No unused type declarations."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let counts = source::word_counts(program, true);
        // How many typedef declarations each name has (each counts once).
        let mut declared: HashMap<&str, usize> = HashMap::new();
        let mut names = Vec::new();
        for u in &program.units {
            for &t in u.nodes("type_definition") {
                let mut c = t.walk();
                for d in t.children_by_field_name("declarator", &mut c) {
                    if let Some(name) = typedef_name(d) {
                        *declared.entry(u.text(name)).or_default() += 1;
                        names.push((u, name));
                    }
                }
            }
        }
        for (u, name) in names {
            let t = u.text(name);
            if counts.get(t).copied().unwrap_or(0) <= declared.get(t).copied().unwrap_or(0) {
                let msg = format!("type `{t}` is declared but never used");
                out.at(u, name, &msg, "remove the unused typedef");
            }
        }
    }
}

/// The type_identifier a typedef declarator declares.
fn typedef_name(d: tree_sitter::Node<'_>) -> Option<tree_sitter::Node<'_>> {
    let mut cur = d;
    loop {
        match cur.kind() {
            "type_identifier" | "primitive_type" => return Some(cur),
            "pointer_declarator" | "array_declarator" | "parenthesized_declarator" | "function_declarator"
            | "attributed_declarator" => {
                cur = cur.child_by_field_name("declarator").or_else(|| cur.named_child(0))?;
            }
            _ => return None,
        }
    }
}
