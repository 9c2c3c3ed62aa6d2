//! Rule 15.7 (required): an if ... else if chain ends with an else.
//!
//! ## What it checks
//! An `else if` with no final `else`.
//!
//! ## Why
//! A final else shows that the remaining cases were considered, even if it only holds a comment.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! if (a) { } else if (b) { }   /* flagged: no final else */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "15.7"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "An if ... else if chain ends with an else."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &n in u.nodes("if_statement") {
                let chained = u.parent(n).map(|p| p.kind() == "else_clause").unwrap_or(false);
                if chained && n.child_by_field_name("alternative").is_none() {
                    out.at(u, n, "if ... else if chain without a final else", "add an else clause (a comment saying why nothing is done is enough)");
                }
            }
        }
    }
}
