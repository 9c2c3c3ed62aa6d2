//! Rule 5.2 (required): identifiers in one scope and name space are distinct.
//!
//! ## What it checks
//! Two different names declared in the same scope and name space that agree in their first 63 characters, the number of significant initial characters C99 guarantees for internal identifiers. Scopes compared: the file scope of each file (objects, functions, typedef names and enumeration constants; tags separately), each block together with the parameters of its function when it is the function body, the members of each structure or union, and the labels of each function. The later declaration is reported.
//!
//! ## Why
//! A compiler that keeps only 63 characters sees the two as one identifier, silently redeclaring or hiding it.
//!
//! ## Known limits
//! Enumeration constants and typedefs declared inside a block are compared with that block's objects; tags inside blocks are not compared. Declarations produced by macro expansion are not seen. Identifiers in different files are rule 5.1's concern (external ones) or no concern.
//!
//! ## Example
//! ```c
//! static uint32_t filter_coefficients_for_the_second_order_section_of_stage_one_a;
//! static uint32_t filter_coefficients_for_the_second_order_section_of_stage_one_b;  /* flagged */
//! ```

use std::collections::BTreeMap;


use crate::check::finding::Category;
use crate::check::rules::names::{self, Kind};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

/// (unit, name space, start byte of the scope).
type ScopeKey = (usize, u8, usize);

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "5.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Identifiers in one scope and name space are distinct."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let all = names::collect(program);
        // Key: (unit, name space, scope start byte).
        let mut scopes: BTreeMap<ScopeKey, Vec<(&str, names::Decl<'_>)>> = BTreeMap::new();
        for (name, decls) in &all {
            for d in decls {
                let Some(key) = scope_of(program, d) else {
                    continue;
                };
                scopes.entry(key).or_default().push((*name, *d));
            }
        }
        let mut found = Vec::new();
        for items in scopes.values_mut() {
            items.sort_by_key(|(_, d)| d.node.start_byte());
            items.dedup_by_key(|(n, _)| *n);
            found.extend(names::prefix_clashes(items, 63));
        }
        for (d, earlier) in found {
            let u = &program.units[d.unit];
            let msg = format!(
                "`{}` is not distinct from `{earlier}` in its first 63 characters (same scope)",
                u.text(d.node)
            );
            out.at(u, d.node, &msg, "make names in one scope differ within their first 63 characters");
        }
    }
}

/// (unit, name space, scope) of a declaration; None when not compared.
fn scope_of(program: &Program<'_>, d: &names::Decl<'_>) -> Option<ScopeKey> {
    let u = &program.units[d.unit];
    let func = u.enclosing_function(d.node);
    match d.kind {
        Kind::Member => {
            let list = u.ancestor(d.node, "field_declaration_list")?;
            Some((d.unit, 2, list.start_byte()))
        }
        Kind::Label => Some((d.unit, 3, func?.start_byte())),
        Kind::Tag => func.is_none().then_some((d.unit, 1, 0)),
        Kind::Param => {
            // Parameters of a definition share the scope of its body.
            let f = func?;
            let body = f.child_by_field_name("body")?;
            let own = f
                .child_by_field_name("declarator")
                .is_some_and(|decl| d.node.start_byte() >= decl.start_byte() && d.node.end_byte() <= decl.end_byte());
            own.then_some((d.unit, 0, body.start_byte()))
        }
        _ => match func {
            None => Some((d.unit, 0, 0)),
            Some(_) => {
                let block = u.ancestor(d.node, "compound_statement")?;
                Some((d.unit, 0, block.start_byte()))
            }
        },
    }
}
