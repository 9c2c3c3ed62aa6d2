//! Rule 10.4 (required): both operands of the usual arithmetic conversions share an essential type category.
//!
//! ## What it checks
//! A binary arithmetic, bitwise, relational or equality operator (`+ - * / % & | ^ < > <= >= == !=`) or compound assignment (`+=` ... `^=`) whose two operands are each an identifier of a declared scalar type, or a cast, and whose categories clearly differ: signed against unsigned, or floating against integer (e.g. `u32 + s32`, `f + (int32_t)x`). Types are recognized by the standard and fixed-width names (`uint32_t`, `int`, `unsigned long`, `float`, ...).
//!
//! ## Why
//! Mixing categories makes the compiler convert one operand implicitly (a negative signed value becomes a huge unsigned one; an integer loses precision in a float), usually without the author noticing.
//!
//! ## Known limits
//! Only operands whose type the checker knows for certain are compared: constants (whose essential type depends on their value), calls, member accesses, array elements and compound expressions are not typed, so `u + 1`, `u + s * 2` or `a[i] + b` are not checked. Typedefs other than the standard names, enums, characters and Booleans are not classified. Narrower-vs-wider of the same category is not a 10.4 matter and not reported.
//!
//! ## Example
//! ```c
//! uint32_t u; int32_t s;
//! if (u < s) { ... }           /* flagged: unsigned against signed */
//! if (u < (uint32_t)s) { ... } /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential;
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program};

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
            for kind in ["binary_expression", "assignment_expression"] {
                for &e in u.nodes(kind) {
                    let op = source::operator(u, e);
                    let arith = matches!(
                        op,
                        "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<" | ">" | "<=" | ">=" | "==" | "!="
                            | "+=" | "-=" | "*=" | "/=" | "%=" | "&=" | "|=" | "^="
                    );
                    if !arith {
                        continue;
                    }
                    let (Some(l), Some(r)) = (e.child_by_field_name("left"), e.child_by_field_name("right")) else {
                        continue;
                    };
                    let (Some(a), Some(b)) = (essential::of_operand(u, l), essential::of_operand(u, r)) else {
                        continue;
                    };
                    if a != b {
                        let msg = format!("operands of `{op}` are {} and {}", a.name(), b.name());
                        out.at(u, e, &msg, "cast one operand so both have the same essential type category");
                    }
                }
            }
        }
    }
}
