//! Rule 14.4 (required): controlling expressions of if and loops are essentially Boolean.
//!
//! ## What it checks
//! The condition of `if`, `while`, `do ... while` and `for` when its essential type (see `essential`: typedef chains, members, elements, calls, macros and every operator are typed) is not Boolean, or when it is a pointer: a number, an arithmetic or bitwise expression, `++`/`--`, an object or call of a non-Boolean type.
//!
//! ## Why
//! Writing the comparison out (`x != 0U`, `p != NULL`) states the intent and avoids mixing up integers, pointers and truth values.
//!
//! ## Known limits
//! Conditions the model cannot type are not flagged. A typedef of an integer type counts as Boolean when its name contains "bool" (the project's Boolean type); `bool`/`_Bool` and comparisons are Boolean.
//!
//! ## Example
//! ```c
//! while (n) { n--; }        /* flagged */
//! while (n > 0U) { n--; }   /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential::{Cat, Typer};
use crate::check::source;
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
            let t = Typer::new(program, u);
            for kind in ["if_statement", "while_statement", "do_statement", "for_statement"] {
                for &n in u.nodes(kind) {
                    let Some(cond) = n.child_by_field_name("condition") else {
                        continue;
                    };
                    let not_boolean = match t.ess(cond) {
                        Some(e) => e.cat != Cat::Boolean,
                        None => t.ty(cond).is_pointer(),
                    };
                    if not_boolean {
                        out.at(u, source::unparen(cond), "controlling expression is not essentially Boolean", "compare explicitly, e.g. `x != 0U` or `p != NULL`");
                    }
                }
            }
        }
    }
}
