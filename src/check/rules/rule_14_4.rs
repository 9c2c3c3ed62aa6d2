//! Rule 14.4 (required): controlling expressions of if and loops are essentially Boolean.
//!
//! ## What it checks
//! The condition of `if`, `while`, `do ... while` and `for` when it is certainly not Boolean: a number, an arithmetic or bitwise expression, `++`/`--`, or a variable, call or cast whose declared type is not bool.
//!
//! ## Why
//! Writing the comparison out (`x != 0U`, `p != NULL`) states the intent and avoids mixing up integers, pointers and truth values.
//!
//! ## Known limits
//! Types come from declarations in the same file (function scope first, then file scope) and from function declarations in the checked files; an identifier of unknown type is not flagged. Typedefs count as Boolean when their name contains "bool".
//!
//! ## Example
//! ```c
//! while (n) { n--; }        /* flagged */
//! while (n > 0U) { n--; }   /* fine */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "14.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Controlling expressions of if and loops are essentially Boolean."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for kind in ["if_statement", "while_statement", "do_statement", "for_statement"] {
                for &n in u.nodes(kind) {
                    let Some(cond) = n.child_by_field_name("condition") else {
                        continue;
                    };
                    if source::is_boolean_expr(program, u, cond) == Some(false) {
                        out.at(u, source::unparen(cond), "controlling expression is not essentially Boolean", "compare explicitly, e.g. `x != 0U` or `p != NULL`");
                    }
                }
            }
        }
    }
}
