//! Rule 6.1 (required): declare bit-fields only with appropriate types.
//!
//! ## What it checks
//! A bit-field declared with a type other than `unsigned int`, `signed int` or `_Bool`/`bool` when the type is written as a basic type (plain `int`, `char`, `short`, `long`, an enum, a floating type).
//!
//! ## Why
//! Whether a plain int bit-field is signed is implementation-defined, and other types are not portable for bit-fields.
//!
//! ## Known limits
//! Bit-fields declared with a typedef name (including the stdint names) are
//! accepted: the typedef is assumed to name an appropriate type.
//!
//! ## Example
//! ```c
//! struct s { int flag : 1; };   /* flagged: plain int */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "6.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Declare bit-fields only with appropriate types."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &f in u.nodes("field_declaration") {
                let mut c = f.walk();
                if !f.named_children(&mut c).any(|n| n.kind() == "bitfield_clause") {
                    continue;
                }
                let Some(ty) = f.child_by_field_name("type") else {
                    continue;
                };
                let t = u.text(ty).split_whitespace().collect::<Vec<_>>().join(" ");
                let ok = match ty.kind() {
                    "type_identifier" => true,
            _ if (t.starts_with("int") || t.starts_with("uint")) && t.ends_with("_t") => true,
                    _ => matches!(t.as_str(), "unsigned int" | "signed int" | "unsigned" | "signed" | "_Bool" | "bool"),
                };
                if !ok {
                    let msg = format!("bit-field of type `{t}`");
                    out.at(u, ty, &msg, "use unsigned int, signed int or _Bool");
                }
            }
        }
    }
}
