//! Rule 10.3 (required): do not assign to a narrower essential type or a different essential type category.
//!
//! ## What it checks
//! A simple assignment `x = y` or an initialization `T x = y;` where both the object and the value are of types the checker knows for certain (the value an identifier of a declared scalar type, or a cast) and their categories differ: a floating value into an integer object or the reverse, or a signed value into an unsigned object or the reverse.
//!
//! ## Why
//! An implicit conversion across categories silently drops the fraction, changes the sign or wraps the value.
//!
//! ## Known limits
//! Only the category change is reported, not narrowing within a category (`uint8_t` from `uint32_t`). Values that are constants, calls, members, array elements or compound expressions are not typed and not checked; objects must be plain identifiers of declared scalar types with standard or fixed-width type names. Arguments passed to parameters and returned values are not checked.
//!
//! ## Example
//! ```c
//! float32_t gain; int32_t level;
//! level = gain;             /* flagged: floating into signed */
//! level = (int32_t)gain;    /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::essential::{self, Cat};
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program, Unit};

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
            for &e in u.nodes("assignment_expression") {
                if source::operator(u, e) != "=" {
                    continue;
                }
                let (Some(l), Some(r)) = (e.child_by_field_name("left"), e.child_by_field_name("right")) else {
                    continue;
                };
                if source::unparen(l).kind() != "identifier" {
                    continue;
                }
                report(u, out, e, essential::of_operand(u, l), essential::of_operand(u, r));
            }
            for &d in u.nodes("init_declarator") {
                let (Some(decl), Some(v)) = (d.child_by_field_name("declarator"), d.child_by_field_name("value")) else {
                    continue;
                };
                if decl.kind() != "identifier" {
                    continue;
                }
                let Some(ty) = u.parent(d).and_then(|p| p.child_by_field_name("type")) else {
                    continue;
                };
                report(u, out, d, essential::of_type_name(u.text(ty)), essential::of_operand(u, v));
            }
        }
    }
}

fn report(u: &Unit<'_>, out: &mut Emit, at: tree_sitter::Node<'_>, to: Option<Cat>, from: Option<Cat>) {
    if let (Some(to), Some(from)) = (to, from) {
        if to != from {
            let msg = format!("a {} value is assigned to a {} object", from.name(), to.name());
            out.at(u, at, &msg, "convert explicitly with a cast, or change the object's type");
        }
    }
}
