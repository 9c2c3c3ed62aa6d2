//! Rule 10.5 (advisory): do not cast to an inappropriate essential type.
//!
//! ## What it checks
//! A cast (including `(T)(x)` with a typedef name `T`) whose operand's essential type does not suit the target: to Boolean from anything but Boolean (the constants 0 and 1 excepted); to character from Boolean, enumeration or floating; to an enumeration from anything but the same enumeration; to signed or unsigned from Boolean; to floating from Boolean or character.
//!
//! ## Why
//! Such casts have no meaning in the model (a truth value is not a number, a number is not an enumerator) and hide a design mistake behind an explicit conversion.
//!
//! ## Known limits
//! Operands the essential type model cannot type are not judged; casts to pointer types and to `void` are outside this rule.
//!
//! ## Example
//! ```c
//! bool_t ok = (bool_t)count;     /* flagged: number to Boolean */
//! uint8_t b = (uint8_t)flag;     /* flagged: Boolean to unsigned */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential::{an, describe, Cat, Typer};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};
use crate::check::types::Ty;

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "10.5"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Do not cast to an inappropriate essential type."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let t = Typer::new(program, u);
            for (cast, to, value) in casts(&t) {
                let Ty::Scalar(to) = to else { continue };
                let Some(from) = t.ess(value) else { continue };
                use Cat::*;
                let bad = match (&to.cat, &from.cat) {
                    (Boolean, Boolean) => false,
                    (Boolean, Signed | Unsigned) => {
                        !(from.constant && matches!(from.value, Some(0 | 1)))
                    }
                    (Boolean, _) => true,
                    (Char, Boolean | Enum(_) | Float) => true,
                    (Enum(a), Enum(b)) => a != b,
                    (Enum(_), _) => true,
                    (Signed | Unsigned, Boolean) => true,
                    (Float, Boolean | Char) => true,
                    _ => false,
                };
                if bad {
                    let msg = format!("{} value is cast to the {} type", an(&from.describe()), describe(&to));
                    out.at(u, cast, &msg, "convert with an explicit comparison or a conditional instead");
                }
            }
        }
    }
}

/// Every cast of a unit: (the cast, its target type, its operand), in document order.
pub(super) fn casts<'u>(
    t: &Typer<'_, '_, 'u>,
) -> Vec<(tree_sitter::Node<'u>, Ty, tree_sitter::Node<'u>)> {
    let u = t.unit;
    let mut v = Vec::new();
    for &c in u.nodes("cast_expression") {
        if let Some(val) = c.child_by_field_name("value") {
            v.push((c, t.ty(c), val));
        }
    }
    for &c in u.nodes("call_expression") {
        if let Some((_, arg)) = t.cast_call(c) {
            v.push((c, t.ty(c), arg));
        }
    }
    v.sort_by_key(|(c, _, _)| c.start_byte());
    v
}
