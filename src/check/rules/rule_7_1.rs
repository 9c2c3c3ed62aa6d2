//! Rule 7.1 (required): do not use octal constants.
//!
//! ## What it checks
//! Integer constants written with a leading zero and more digits (octal), e.g. `010`.
//!
//! ## Why
//! A leading zero silently changes the base: `010` is eight, not ten.
//!
//! ## Known limits
//! Octal escape sequences in character and string literals are not integer constants and are not flagged.
//!
//! ## Example
//! ```c
//! x = 010;   /* flagged: means 8 */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "7.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not use octal constants."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &n in u.nodes("number_literal") {
                let t = u.text(n);
                let digits = t.trim_end_matches(['u', 'U', 'l', 'L']);
                if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
                    out.at(u, n, "octal constant", "write the value in decimal or hexadecimal");
                }
            }
        }
    }
}
