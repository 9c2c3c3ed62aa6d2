//! Rule 10.8 (required): do not cast a composite expression to a different category or a wider type.
//!
//! ## What it checks
//! A cast (including `(T)(x)` with a typedef name `T`, which the parser reads as a call) whose operand is a composite expression (the non-constant result of `* / % + - & | ^ << >>`, or a `?:` with such a branch) when the cast changes the essential type category or, within one category, widens the type. The operand's essential type comes from the model (see `essential`): typedef chains such as `timber_float32_t`, members, elements, calls and object-like macros are typed, and integer constants have the smallest type that holds their value.
//!
//! ## Why
//! The cast suggests the arithmetic is done in the target type, but it was already done, and possibly wrapped or truncated, in the operand type: `(uint32_t)(a16 * b16)` multiplies in 16 bits first; `(int32_t)(f + 0.5f)` rounds in floating point and then converts.
//!
//! ## Known limits
//! Operands the model cannot type are not judged; widths that vary by target (`long`, `size_t`) are not compared.
//!
//! ## Example
//! ```c
//! uint16_t a, b;
//! uint32_t p = (uint32_t)(a * b);   /* flagged: the product is 16 bits wide */
//! uint32_t q = (uint32_t)a * b;     /* fine: the cast widens an operand */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential::{describe, Typer};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};
use crate::check::types::Ty;

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "10.8"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not cast a composite expression to a different category or a wider type."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let t = Typer::new(program, u);
            for (cast, to, value) in super::rule_10_5::casts(&t) {
                let Ty::Scalar(to) = to else { continue };
                let Some(from) = t.ess(value) else { continue };
                if !from.composite {
                    continue;
                }
                if to.cat != from.cat {
                    let msg = format!(
                        "a composite {} expression is cast to the {} type",
                        from.describe(),
                        describe(&to)
                    );
                    out.at(u, cast, &msg, "compute into an object of the operand's type first, then cast that object");
                } else if let (Some(a), Some(b)) = (from.width, to.width) {
                    if b > a {
                        let msg = format!(
                            "a composite {} expression is cast to the wider {} type",
                            from.describe(),
                            describe(&to)
                        );
                        out.at(u, cast, &msg, "cast an operand instead, so the operation is done in the wider type");
                    }
                }
            }
        }
    }
}
