//! Rule 10.6 (required): do not assign a composite expression to a wider essential type.
//!
//! ## What it checks
//! The places rule 10.3 watches (assignments, initialisations, returns, prototyped arguments) where the value is a composite expression (the non-constant result of `* / % + - & | ^ << >>`, or a `?:` with such a branch, parentheses allowed) and the object's essential type has the same category but is wider than the expression's: `uint32_t p = a16 * b16;`.
//!
//! ## Why
//! The operation is done in the narrower type and may already have wrapped or lost bits; storing it in a wider object suggests otherwise.
//!
//! ## Known limits
//! As for rule 10.3: values the model cannot type, aggregate initialisers and targets of `long`/`size_t` width are not judged; a change of category is rule 10.3's finding, not this one's.
//!
//! ## Example
//! ```c
//! uint32_t p = a16 * b16;            /* flagged */
//! uint32_t q = (uint32_t)a16 * b16;  /* fine: the product is 32 bits */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential::{self, describe, Typer};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "10.6"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not assign a composite expression to a wider essential type."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let t = Typer::new(program, u);
            for (at, to, value) in essential::assignments(&t) {
                let Some(v) = t.ess(value) else { continue };
                if !v.composite || v.cat != to.cat {
                    continue;
                }
                if let (Some(a), Some(b)) = (v.width, to.width) {
                    if b > a {
                        let msg = format!(
                            "a composite {} expression is {} the wider {} object",
                            v.describe(),
                            super::rule_10_3::verb(at.kind(), at == value),
                            describe(&to)
                        );
                        out.at(u, at, &msg, "cast an operand to the wider type, so the operation is done in it");
                    }
                }
            }
        }
    }
}
