//! Rule 6.2 (required): a single-bit named bit-field is not of a signed type.
//!
//! ## What it checks
//! A named bit-field of width 1 declared `signed`, `signed int` or with a typedef name starting with `int` (such as int32_t).
//!
//! ## Why
//! A signed one-bit field can only hold 0 and -1, which surprises readers who expect 1.
//!
//! ## Known limits
//! Typedef names are judged by their spelling.
//!
//! ## Example
//! ```c
//! struct s { signed int flag : 1; };   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "6.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A single-bit named bit-field is not of a signed type."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &f in u.nodes("field_declaration") {
                let mut c = f.walk();
                let Some(width) = f.named_children(&mut c).find(|n| n.kind() == "bitfield_clause") else {
                    continue;
                };
                if u.text(width).trim_start_matches(':').trim() != "1" || f.child_by_field_name("declarator").is_none() {
                    continue;
                }
                let Some(ty) = f.child_by_field_name("type") else {
                    continue;
                };
                let t = u.text(ty).split_whitespace().collect::<Vec<_>>().join(" ");
                let signed = t.starts_with("signed") || (ty.kind() == "type_identifier" && t.starts_with("int"));
                if signed {
                    out.at(u, f, "single-bit bit-field of a signed type", "use an unsigned type");
                }
            }
        }
    }
}
