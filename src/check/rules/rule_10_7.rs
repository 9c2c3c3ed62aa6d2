//! Rule 10.7 (required): do not widen a composite operand through the usual arithmetic conversions.
//!
//! ## What it checks
//! An operator that converts its operands to a common type (`+ - * / % & | ^ < > <= >= == !=` and the compound assignments `+= -= *= /= %= &= |= ^=`) where one operand is a composite expression (see rule 10.6) and the other operand has the same essential type category but a wider type: `u32 * (a16 + b16)`.
//!
//! ## Why
//! The composite operand is computed in its narrower type and only then widened, which is rarely what the wider operand suggests.
//!
//! ## Known limits
//! Operands the essential type model cannot type, and widths that vary by target (`long`, `size_t`), are not judged; operands of different categories are rule 10.4's finding.
//!
//! ## Example
//! ```c
//! r = u32 * (a16 + b16);            /* flagged */
//! r = u32 * ((uint32_t)a16 + b16);  /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential::{self, Typer};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "10.7"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not widen a composite operand through the usual arithmetic conversions."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let t = Typer::new(program, u);
            let mut found = Vec::new();
            for (e, op, l, r) in essential::operations(u, essential::converts) {
                let (Some(a), Some(b)) = (t.ess(l), t.ess(r)) else {
                    continue;
                };
                if a.cat != b.cat {
                    continue;
                }
                for (c, other) in [(&a, &b), (&b, &a)] {
                    if let (true, Some(cw), Some(ow)) = (c.composite, c.width, other.width) {
                        if ow > cw {
                            let msg = format!(
                                    "a composite {} operand of `{op}` is widened to {} bits by the other operand",
                                    c.describe(),
                                    ow
                                );
                            found.push((e, msg));
                            break;
                        }
                    }
                }
            }
            found.sort_by_key(|(n, _)| n.start_byte());
            for (n, msg) in found {
                out.at(
                    u,
                    n,
                    &msg,
                    "cast an operand of the composite expression to the wider type",
                );
            }
        }
    }
}
