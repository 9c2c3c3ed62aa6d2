//! Rule 4.2 (advisory): do not use trigraphs.
//!
//! ## What it checks
//! Every trigraph sequence (`??` followed by one of `= ( ) / ' < > ! -`) anywhere in the text.
//!
//! ## Why
//! Trigraphs are replaced before anything else, so a string such as "??-" silently changes.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! s = "what??!";   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "4.2"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not use trigraphs."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for (pos, _) in u.src.match_indices("??") {
                let next = u.src.as_bytes().get(pos + 2).copied().unwrap_or(0);
                if b"=()/'<>!-".contains(&next) {
                    out.at_byte(u, pos, "trigraph", "write the character directly or escape a question mark");
                }
            }
        }
    }
}
