//! Rule 8.7 (advisory): do not give external linkage to what only one unit uses.
//!
//! ## What it checks
//! A function or object defined with external linkage that no other checked file mentions and no checked header declares. The rule only runs when at least one header is among the checked files: without headers the checker cannot tell the interface of the code.
//!
//! ## Why
//! Internal linkage (static) keeps names that are private to a file from clashing with, or being misused by, other files.
//!
//! ## Known limits
//! Uses are matched by name. Interfaces declared only in unchecked headers, or used only by code outside the checked files, are reported; check the headers with the sources.
//!
//! ## Example
//! ```c
//! uint32_t helper(uint32_t x) { ... }   /* flagged when only this file calls it */
//! ```

use std::collections::{BTreeMap, BTreeSet};

use tree_sitter::Node;

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.7"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not give external linkage to what only one unit uses."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let headers: Vec<usize> = program
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.path.ends_with(".h"))
            .map(|(i, _)| i)
            .collect();
        if headers.is_empty() {
            return;
        }
        // Names mentioned in each unit, and names declared in headers.
        let mut mentioned: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for (i, u) in program.units.iter().enumerate() {
            for &id in u.nodes("identifier") {
                mentioned.entry(u.text(id)).or_default().insert(i);
            }
        }
        for (i, u) in program.units.iter().enumerate() {
            if headers.contains(&i) {
                continue;
            }
            let mut defined: Vec<Node<'_>> = Vec::new();
            for &f in u.nodes("function_definition") {
                let mut c = f.walk();
                let is_static = f
                    .children(&mut c)
                    .any(|n| n.kind() == "storage_class_specifier" && u.text(n) == "static");
                if is_static {
                    continue;
                }
                if let Some(name) = f
                    .child_by_field_name("declarator")
                    .and_then(source::function_declarator)
                    .and_then(|fd| fd.child_by_field_name("declarator"))
                    .filter(|n| n.kind() == "identifier")
                {
                    if u.text(name) != "main" {
                        defined.push(name);
                    }
                }
            }
            defined.extend(source::file_scope_objects(u).into_iter().filter(|(_, s)| !s).map(|(n, _)| n));
            for name in defined {
                let t = u.text(name);
                let elsewhere = mentioned.get(t).map(|s| s.iter().any(|&j| j != i)).unwrap_or(false);
                if !elsewhere {
                    let msg = format!("`{t}` has external linkage but no other file uses it");
                    out.at(u, name, &msg, "declare it static, or declare it in the header that forms the interface");
                }
            }
        }
    }
}

