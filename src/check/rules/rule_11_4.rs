//! Rule 11.4 (advisory): do not convert between an object pointer and an integer.
//!
//! ## What it checks
//! Casts to a pointer type from an integer constant other than 0 or from a variable of known integer type, and casts to an integer type from an address (`&x`) or a variable of known pointer type.
//!
//! ## Why
//! Integer/pointer conversions depend on the implementation and can produce misaligned or invalid pointers.
//!
//! ## Known limits
//! Types are known only from declarations in the same file; conversions hidden in macros are not seen.
//!
//! ## Example
//! ```c
//! reg = (uint32_t *)0x40000000U;   /* flagged */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "11.4"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not convert between an object pointer and an integer."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &c in u.nodes("cast_expression") {
                let (Some(ty), Some(v)) = (c.child_by_field_name("type"), c.child_by_field_name("value")) else {
                    continue;
                };
                let v = source::unparen(v);
                let to_pointer = u.text(ty).contains('*');
                let to_integer = !to_pointer && is_integer_type(u.text(ty));
                let from_integer = match v.kind() {
                    "number_literal" => u.text(v) != "0" && !u.text(v).contains(['.']),
                    "identifier" => u.var_type(u.text(v), v).map(|t| !t.is_pointer() && is_integer_type(&t.base)).unwrap_or(false),
                    _ => false,
                };
                let from_pointer = match v.kind() {
                    "pointer_expression" => u.text(v).starts_with('&'),
                    "identifier" => u.var_type(u.text(v), v).map(|t| t.is_pointer()).unwrap_or(false),
                    _ => false,
                };
                if (to_pointer && from_integer) || (to_integer && from_pointer) {
                    out.at(u, c, "conversion between a pointer and an integer", "keep addresses in pointer types");
                }
            }
        }
    }
}

/// Does the type name look like an integer type (standard or fixed-width)?
fn is_integer_type(t: &str) -> bool {
    let t = t.trim();
    ["char", "short", "int", "long", "signed", "unsigned", "size_t", "intptr_t", "uintptr_t"]
        .iter()
        .any(|k| t.split_whitespace().any(|w| w == *k))
        || ((t.starts_with("int") || t.starts_with("uint")) && t.ends_with("_t"))
}
