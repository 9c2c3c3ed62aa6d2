//! Rule 16.6 (required): a switch has at least two clauses.
//!
//! ## What it checks
//! A `switch` with fewer than two clauses (a clause is one or more labels followed by statements).
//!
//! ## Why
//! A switch with one clause is an if statement in disguise and usually signals a mistake.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! switch (m) { default: { x = 1; break; } }   /* flagged */
//! ```

use super::switch;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "16.6"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A switch has at least two clauses."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &sw in u.nodes("switch_statement") {
                let clauses = switch::labels(sw)
                    .into_iter()
                    .filter(|&c| !switch::statements(c).is_empty())
                    .count();
                if clauses < 2 {
                    out.at(u, sw, "switch with fewer than two clauses", "use an if statement instead");
                }
            }
        }
    }
}
