//! Rule 10.4 (required): both operands of the usual arithmetic conversions share an essential type category.
//!
//! ## What it checks
//! Every operator that converts its operands to a common type (`+ - * / % & | ^ < > <= >= == !=`, the compound assignments `+= -= *= /= %= &= |= ^=`, and the two branches of `?:`) whose two operands have essential types (see `essential`: typedefs, members, elements, calls, macros and composite expressions are typed) of different categories: signed against unsigned, floating against integer, Boolean against a number, two different enumerations. Integer constants count too: `u + 1` mixes unsigned and signed, `u + 1U` does not. Adding an integer to a character, or subtracting one from it, is rule 10.2's business and not reported here.
//!
//! ## Why
//! Mixing categories makes the compiler convert one operand implicitly (a negative signed value becomes a huge unsigned one; an integer loses precision in a float), usually without the author noticing.
//!
//! ## Known limits
//! Operands the model cannot type are not judged. Narrower against wider within one category is not a 10.4 matter (see 10.7).
//!
//! ## Example
//! ```c
//! uint32_t u; int32_t s;
//! if (u < s) { ... }           /* flagged: unsigned against signed */
//! if (u < (uint32_t)s) { ... } /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential::{self, Cat, Typer};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "10.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Both operands of the usual arithmetic conversions share an essential type category."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let t = Typer::new(program, u);
            let mut pairs = essential::operations(u, essential::converts);
            for &e in u.nodes("conditional_expression") {
                if let (Some(l), Some(r)) = (
                    e.child_by_field_name("consequence"),
                    e.child_by_field_name("alternative"),
                ) {
                    pairs.push((e, "?:", l, r));
                }
            }
            pairs.sort_by_key(|(e, _, _, _)| e.start_byte());
            for (e, op, l, r) in pairs {
                let (Some(a), Some(b)) = (t.ess(l), t.ess(r)) else {
                    continue;
                };
                if a.cat == b.cat {
                    continue;
                }
                let character = match op {
                    "+" | "+=" => {
                        (a.cat == Cat::Char && b.cat.is_integer())
                            || (b.cat == Cat::Char && a.cat.is_integer())
                    }
                    "-" | "-=" => a.cat == Cat::Char && b.cat.is_integer(),
                    _ => false,
                };
                if character {
                    continue;
                }
                let msg = format!(
                    "operands of `{op}` are {} and {}",
                    a.cat.name(),
                    b.cat.name()
                );
                out.at(u, e, &msg, "cast one operand (or suffix a constant with U) so both have the same essential type category");
            }
        }
    }
}
