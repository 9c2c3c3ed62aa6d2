//! Directive 4.10 (required): protect every header file against being included twice.
//!
//! ## What it checks
//! A header (`.h`) whose code is not wholly inside an `#ifndef NAME` / `#define NAME` ... `#endif` guard.
//!
//! ## Why
//! Including a header twice can redefine types and objects.
//!
//! ## Known limits
//! Comments may stand outside the guard; `#pragma once` is not accepted because it is not standard C.
//!
//! ## Example
//! ```c
//! /* a.h without #ifndef A_H / #define A_H ... #endif: flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "D4.10"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Protect every header file against being included twice."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            if !u.path.ends_with(".h") {
                continue;
            }
            let mut c = u.root.walk();
            let items: Vec<_> = u.root.named_children(&mut c).filter(|n| n.kind() != "comment").collect();
            let guarded = match items.as_slice() {
                [only] if only.kind() == "preproc_ifdef" => {
                    let is_ifndef = u.text(*only).starts_with("#ifndef");
                    let name = only.child_by_field_name("name").map(|n| u.text(n));
                    let mut c2 = only.walk();
                    let defines = only.named_children(&mut c2).find(|n| n.kind() == "preproc_def").and_then(|d| d.child_by_field_name("name")).map(|n| u.text(n));
                    is_ifndef && name.is_some() && name == defines
                }
                [] => true,
                _ => false,
            };
            if !guarded {
                out.at_byte(u, 0, "header without an include guard", "wrap the header in #ifndef NAME / #define NAME ... #endif");
            }
        }
    }
}
