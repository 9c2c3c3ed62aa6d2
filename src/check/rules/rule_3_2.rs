//! Rule 3.2 (required): no line splicing inside a // comment.
//!
//! ## What it checks
//! A `//` comment whose line ends in a backslash, which splices the next line
//! into the comment; the swallowed line is reported.
//!
//! ## Why
//! The next line silently becomes part of the comment.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! // path C:\dir\    <- flagged: the next line is commented out
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "3.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "No line splicing inside a // comment."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &c in u.nodes("comment") {
                let t = u.text(c);
                if t.starts_with("//") {
                    if let Some(pos) = t.find('\n') {
                        out.at_byte(
                            u,
                            c.start_byte() + pos + 1,
                            "line spliced into a // comment",
                            "remove the trailing backslash on the line before",
                        );
                    }
                }
            }
        }
    }
}
