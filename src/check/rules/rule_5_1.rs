//! Rule 5.1 (required): external identifiers are distinct.
//!
//! ## What it checks
//! Two different names, each declaring an object or function with external linkage somewhere in the checked files, that agree in their first 31 characters, the number of significant initial characters C99 guarantees for external identifiers. The later-declared name is reported (files in the order given, then document order).
//!
//! ## Why
//! A linker that keeps only 31 characters would merge the two into one symbol.
//!
//! ## Known limits
//! External names of unchecked files and libraries are not known. Case is significant (C99 requires it); universal character names count as written. Declarations produced by macro expansion are not seen.
//!
//! ## Example
//! ```c
//! uint32_t sensor_calibration_offset_channel_a;
//! uint32_t sensor_calibration_offset_channel_b;   /* flagged: same first 31 characters */
//! ```

use crate::check::finding::Category;
use crate::check::rules::names::{self, Kind};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "5.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "External identifiers are distinct."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let all = names::collect(program);
        let mut items: Vec<(&str, names::Decl<'_>)> = all
            .iter()
            .filter_map(|(name, decls)| {
                decls
                    .iter()
                    .find(|d| d.kind == Kind::External)
                    .map(|d| (*name, *d))
            })
            .collect();
        items.sort_by_key(|(_, d)| (d.unit, d.node.start_byte()));
        for (d, earlier) in names::prefix_clashes(&items, 31) {
            let u = &program.units[d.unit];
            let msg = format!(
                "external identifier `{}` is not distinct from `{earlier}` in its first 31 characters",
                u.text(d.node)
            );
            out.at(u, d.node, &msg, "make external names differ within their first 31 characters");
        }
    }
}
