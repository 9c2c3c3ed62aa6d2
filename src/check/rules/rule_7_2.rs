//! Rule 7.2 (required): give an unsigned integer constant a u or U suffix.
//!
//! ## What it checks
//! Hexadecimal and octal constants without a `u`/`U` suffix whose value does not fit a signed 32-bit int (without an `l` suffix) or a signed 64-bit type, so the C rules give them an unsigned type.
//!
//! ## Why
//! The type of such a constant is unsigned only by an implicit rule; the suffix makes it visible and portable.
//!
//! ## Known limits
//! Assumes 32-bit int and a long of 32 or 64 bits, and flags a constant that is unsigned on either. Decimal constants never become unsigned without a suffix in C99 and are not checked.
//!
//! ## Example
//! ```c
//! mask = 0x80000000;    /* flagged */
//! mask = 0x80000000U;   /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "7.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Give an unsigned integer constant a u or U suffix."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &n in u.nodes("number_literal") {
                let t = u.text(n).to_ascii_lowercase();
                let (radix, body) = if let Some(h) = t.strip_prefix("0x") {
                    (16, h)
                } else if t.len() > 1 && t.starts_with('0') && !t.contains(['.', 'e']) {
                    (8, &t[1..])
                } else {
                    continue;
                };
                if radix == 16 && body.contains(['.', 'p']) {
                    continue;
                }
                let split = body.find(['u', 'l']).unwrap_or(body.len());
                let (digits, suffix) = body.split_at(split);
                if suffix.contains('u') {
                    continue;
                }
                let Ok(v) = u128::from_str_radix(digits, radix) else {
                    continue;
                };
                let longs = suffix.matches('l').count();
                let unsigned32 = longs < 2 && v > 0x7FFF_FFFF && v <= 0xFFFF_FFFF;
                let unsigned64 = v > 0x7FFF_FFFF_FFFF_FFFF && v <= 0xFFFF_FFFF_FFFF_FFFF;
                if unsigned32 || unsigned64 {
                    out.at(u, n, "constant of unsigned type without a U suffix", "add a U suffix");
                }
            }
        }
    }
}
