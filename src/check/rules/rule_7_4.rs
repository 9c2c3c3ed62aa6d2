//! Rule 7.4 (required): assign a string literal only to a pointer to const-qualified char.
//!
//! ## What it checks
//! A string literal used to initialize or assigned to a variable declared as a pointer to non-const char.
//!
//! ## Why
//! Modifying a string literal is undefined behaviour; const lets the compiler catch the attempt.
//!
//! ## Known limits
//! Passing a literal to a non-const parameter is not checked; types are known only from declarations in the same file.
//!
//! ## Example
//! ```c
//! char *s = "text";         /* flagged */
//! const char *t = "text";   /* fine */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "7.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Assign a string literal only to a pointer to const-qualified char."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &d in u.nodes("init_declarator") {
                let (Some(decl), Some(v)) = (d.child_by_field_name("declarator"), d.child_by_field_name("value")) else {
                    continue;
                };
                if v.kind() != "string_literal" || decl.kind() != "pointer_declarator" {
                    continue;
                }
                let Some(name) = source::declared_name(decl) else {
                    continue;
                };
                if u.var_type(u.text(name), name).map(|t| !t.pointee_const).unwrap_or(false) {
                    out.at(u, v, "string literal bound to a pointer to non-const char", "declare the pointer as const char *");
                }
            }
            for &a in u.nodes("assignment_expression") {
                let (Some(l), Some(r)) = (a.child_by_field_name("left"), a.child_by_field_name("right")) else {
                    continue;
                };
                if r.kind() != "string_literal" || l.kind() != "identifier" {
                    continue;
                }
                if u.var_type(u.text(l), l).map(|t| t.pointers > 0 && !t.pointee_const).unwrap_or(false) {
                    out.at(u, r, "string literal bound to a pointer to non-const char", "declare the pointer as const char *");
                }
            }
        }
    }
}
