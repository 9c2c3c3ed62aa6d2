//! Rule 16.3 (required): every switch clause ends with an unconditional break.
//!
//! ## What it checks
//! A switch clause (labels followed by statements) whose last statement is not `break;` (directly, or as the last statement of a braced block).
//!
//! ## Why
//! Falling through to the next clause is a classic source of errors when it is not intended.
//!
//! ## Known limits
//! A clause ending in `return` is flagged too, as the rule asks for a break.
//!
//! ## Example
//! ```c
//! case 1: x = 2;   /* flagged: falls through */
//! case 2: x = 3; break;
//! ```

use super::switch;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "16.3"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Every switch clause ends with an unconditional break."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &sw in u.nodes("switch_statement") {
                for c in switch::labels(sw) {
                    let stmts = switch::statements(c);
                    let Some(&last) = stmts.last() else {
                        continue;
                    };
                    let ends_in_break = match last.kind() {
                        "break_statement" => true,
                        "compound_statement" => {
                            let mut cur = last.walk();
                            let inner = last
                                .named_children(&mut cur)
                                .filter(|s| s.kind() != "comment")
                                .last();
                            inner.map(|s| s.kind() == "break_statement").unwrap_or(false)
                        }
                        _ => false,
                    };
                    if !ends_in_break {
                        out.at(u, c, "switch clause does not end with break", "end the clause with `break;`");
                    }
                }
            }
        }
    }
}
