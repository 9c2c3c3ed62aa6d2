//! Rule 12.2 (required): keep a shift count below the width of the left operand's essential type.
//!
//! ## What it checks
//! A `<<`, `>>`, `<<=` or `>>=` whose right operand is a constant (literal, constant macro or constant expression, see rule 14.3) that is negative, or at least the width in bits of the essential type of the left operand when the essential type model (see `essential`) gives it: objects, members, elements and calls of fixed-width, character, `short`, `int` or `long long` types (through typedef chains), casts, composite expressions, object-like macros, and integer constants (whose essential type is the smallest type that holds their value: `1U` is 8 bits wide, `0x100U` 16; a `UL` literal keeps its type). A negative constant amount is reported whatever the left operand.
//!
//! ## Why
//! Shifting by the width of the type or more, or by a negative amount, is undefined behaviour in C; measured against the essential type, the check also catches shifts that only work because of integer promotion.
//!
//! ## Known limits
//! Shift amounts that are not constant are not checked (no value ranges). Left operands the model cannot type, and those of type `long` or `size_t` (32 or 64 bits depending on the target), are skipped. `int` is taken as 32 bits, as on every target timber supports.
//!
//! ## Example
//! ```c
//! uint8_t b = 1U;
//! uint32_t w = (uint32_t)b << 8U;   /* fine: the cast makes the operand 32 bits wide */
//! uint32_t v = b << 8U;             /* flagged: uint8_t is 8 bits wide */
//! ```

use crate::check::finding::Category;
use crate::check::rules::constant::{self, Macros, Value};
use crate::check::rules::essential::Typer;
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "12.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Keep a shift count below the width of the left operand's essential type."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let macros = Macros::new(program);
        for u in &program.units {
            let t = Typer::new(program, u);
            let mut shifts = Vec::new();
            for kind in ["binary_expression", "assignment_expression"] {
                for &e in u.nodes(kind) {
                    if matches!(source::operator(u, e), "<<" | ">>" | "<<=" | ">>=") {
                        shifts.push(e);
                    }
                }
            }
            shifts.sort_by_key(|n| n.start_byte());
            for e in shifts {
                let (Some(l), Some(r)) = (e.child_by_field_name("left"), e.child_by_field_name("right"))
                else {
                    continue;
                };
                let Value::Int(amount) = constant::eval(program, &macros, u, r) else {
                    continue;
                };
                if amount < 0 {
                    out.at(u, r, &format!("shift by a negative amount ({amount})"), "shift amounts must be between 0 and the operand's width minus one");
                    continue;
                }
                let Some(width) = t.ess(l).and_then(|e| e.width) else {
                    continue;
                };
                if amount >= i128::from(width) {
                    let msg = format!("shift by {amount} of an operand whose essential type is {width} bits wide");
                    out.at(u, r, &msg, "cast the left operand to a type wide enough first, or shift by less");
                }
            }
        }
    }
}
