//! Rule 3.1 (required): no comment opener sequence inside a comment.
//!
//! ## What it checks
//! A `/*` inside any comment, and a `//` inside a `/* */` comment.
//!
//! ## Why
//! A nested opener usually means a comment was not closed where the author thought, hiding code.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! /* see http://example.invalid */   /* flagged: the // */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "3.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "No comment opener sequence inside a comment."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &c in u.nodes("comment") {
                let t = u.text(c);
                let (inner, offset, block) = if let Some(rest) = t.strip_prefix("/*") {
                    (rest.strip_suffix("*/").unwrap_or(rest), 2, true)
                } else if let Some(rest) = t.strip_prefix("//") {
                    (rest, 2, false)
                } else {
                    continue;
                };
                let hit = inner.find("/*").or_else(|| if block { inner.find("//") } else { None });
                if let Some(pos) = hit {
                    out.at_byte(u, c.start_byte() + offset + pos, "comment opener inside a comment", "close the comment first or reword");
                }
            }
        }
    }
}
