//! Rule 4.1 (required): terminate octal and hexadecimal escape sequences.
//!
//! ## What it checks
//! An octal or hexadecimal escape sequence in a character or string literal that is followed by another character of the same literal that is not the start of another escape sequence.
//!
//! ## Why
//! Where an escape sequence ends is easy to misread: "\x1fa" is one character, not two.
//!
//! ## Known limits
//! Escapes spelled across adjacent string literals (`"\x1f" "a"`) are fine, as the rule intends.
//!
//! ## Example
//! ```c
//! s = "\x41g";   /* flagged */
//! s = "\x41" "g";   /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "4.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Terminate octal and hexadecimal escape sequences."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for kind in ["string_literal", "char_literal"] {
                for &lit in u.nodes(kind) {
                    let mut c = lit.walk();
                    let parts: Vec<_> = lit.children(&mut c).collect();
                    for (i, part) in parts.iter().enumerate() {
                        if part.kind() != "escape_sequence" {
                            continue;
                        }
                        let t = u.text(*part);
                        let numeric = t.starts_with("\\x") || t.as_bytes().get(1).map(|b| (b'0'..=b'7').contains(b)).unwrap_or(false);
                        if !numeric {
                            continue;
                        }
                        let next = parts.get(i + 1).map(|n| (n.kind(), n.start_byte() == part.end_byte()));
                        let terminated = match next {
                            Some(("escape_sequence", _)) => true,
                            Some((_, adjacent)) => {
                                !adjacent || parts.get(i + 1).map(|n| u.text(*n).starts_with(['"', '\''])).unwrap_or(true)
                            }
                            None => true,
                        };
                        if !terminated {
                            out.at(u, *part, "escape sequence not terminated", "end the literal or start a new one after the escape");
                        }
                    }
                }
            }
        }
    }
}
