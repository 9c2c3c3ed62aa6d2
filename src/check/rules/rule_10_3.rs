//! Rule 10.3 (required): do not assign to a narrower essential type or a different essential type category.
//!
//! ## What it checks
//! Every place a value is stored in an object of scalar type: simple assignments (to objects, members, elements, dereferenced pointers), initialisations, `return` (against the function's declared result) and arguments of calls to functions with a prototype in the checked files or the headers they include. The value's essential type (see `essential`; typedefs resolved) must have the object's category and be no wider. Integer constants have the smallest type that holds their value, so `uint8_t b = 200U;` is fine and `uint8_t b = 300U;` is not. A non-negative signed constant expression may be stored in an unsigned object that holds its value (`uint32_t n = 0;`).
//!
//! ## Why
//! An implicit conversion across categories silently drops the fraction, changes the sign or wraps the value; one to a narrower type drops high bits.
//!
//! ## Known limits
//! Values the model cannot type are not judged. Aggregate initialisers (`{ ... }`) and `switch` case labels are not checked. Widths of `long`, `size_t` and `long double` differ between targets and are not compared (their category is). Calls through function pointers are not checked.
//!
//! ## Example
//! ```c
//! int16_t s = a;            /* flagged when a is int32_t: narrower */
//! level = gain;             /* flagged: floating into signed */
//! level = (int32_t)gain;    /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential::{self, an, describe, utlr, Cat, Typer};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "10.3"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not assign to a narrower essential type or a different essential type category."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let t = Typer::new(program, u);
            for (at, to, value) in essential::assignments(&t) {
                let Some(v) = t.ess(value) else {
                    continue;
                };
                let verb = verb(at.kind(), at == value);
                if to.cat != v.cat {
                    let fits = v.cat == Cat::Signed
                        && to.cat == Cat::Unsigned
                        && v.constant
                        && v.value.is_some_and(|x| {
                            x >= 0 && to.width.is_none_or(|w| utlr(x).is_some_and(|n| n <= w))
                        });
                    if !fits {
                        let msg = format!("{} value is {verb} {} object", an(&v.describe()), an(&describe(&to)));
                        out.at(u, at, &msg, "convert explicitly with a cast, or change the object's type");
                    }
                } else if let (Some(a), Some(b)) = (v.width, to.width) {
                    if b < a {
                        let msg = format!(
                            "{} value is {verb} the narrower {} object",
                            an(&v.describe()),
                            describe(&to)
                        );
                        out.at(u, at, &msg, "convert explicitly with a cast, or widen the object");
                    }
                }
            }
        }
    }
}

/// How the value reaches the object, for the message.
pub(super) fn verb(kind: &str, argument: bool) -> &'static str {
    if argument {
        "passed to"
    } else if kind == "return_statement" {
        "returned as"
    } else {
        "assigned to"
    }
}
