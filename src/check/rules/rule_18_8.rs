//! Rule 18.8 (required): do not use variable-length array types.
//!
//! ## What it checks
//! Array declarators inside a function or a parameter list whose size uses an identifier that is not a macro or enumeration constant of the checked files and not written in capitals (taken to be a macro from an unchecked header); also `[*]`.
//!
//! ## Why
//! The size of a variable-length array is only known at run time, so stack use cannot be bounded, and a bad size is undefined behaviour.
//!
//! ## Known limits
//! A capitalised variable used as a size is taken for a macro and missed.
//!
//! ## Example
//! ```c
//! void f(uint32_t n) { float32_t tmp[n]; }   /* flagged */
//! ```


use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "18.8"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use variable-length array types."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &a in u.nodes("array_declarator") {
                let in_function = u.enclosing_function(a).is_some()
                    || u.has_ancestor(a, "parameter_list");
                if !in_function {
                    continue;
                }
                let Some(size) = a.child_by_field_name("size") else {
                    let star = u.text(a).replace(' ', "").ends_with("[*]");
                    if star {
                        out.at(u, a, "variable-length array type", "use a fixed size");
                    }
                    continue;
                };
                let variable = u.subtree(size).iter().copied().any(|n| {
                    if n.kind() != "identifier" {
                        return false;
                    }
                    let t = u.text(n);
                    let capitals = t.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                    !program.macros.contains(t) && !program.enum_constants.contains(t) && !capitals
                });
                if variable {
                    out.at(u, a, "variable-length array type", "use a fixed size known at compile time");
                }
            }
        }
    }
}
