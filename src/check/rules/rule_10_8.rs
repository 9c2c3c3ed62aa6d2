//! Rule 10.8 (required): do not cast a composite expression to a different category or a wider type.
//!
//! ## What it checks
//! A cast whose operand is a composite expression (an arithmetic or bitwise binary operator `+ - * / % & | ^ << >>` that is not a constant expression) when the cast changes the essential type category (signed, unsigned, floating) or, within one category, widens the type. The essential type of the operand is worked out from its parts: objects of declared scalar types, casts, literals (`int`-typed literals have the smallest type that holds their value), and operators over operands of one category (the wider operand's type; a shift has its left operand's type).
//!
//! ## Why
//! The cast suggests the arithmetic is done in the target type, but it was already done, and possibly wrapped or truncated, in the narrower operand type: `(uint32_t)(a16 * b16)` multiplies in 16 bits first.
//!
//! ## Known limits
//! Operands the checker cannot type (members, array elements, calls, objects declared through typedefs other than the standard fixed-width names, `long`) make the whole expression untyped and it is skipped, as are operands that mix categories (rule 10.4's concern). A conditional operator `?:` whose branches are composite is not treated as composite. Casts to Boolean, character and enum types are not compared. A cast to a typedef name the parser does not know, followed by a parenthesised operand, parses as a call; it is recognised as a cast only for the type names the checker knows (`float32_t`, `float64_t` and the standard ones).
//!
//! ## Example
//! ```c
//! uint16_t a, b;
//! uint32_t p = (uint32_t)(a * b);   /* flagged: the product is 16 bits wide */
//! uint32_t q = (uint32_t)a * b;     /* fine: the cast widens an operand */
//! ```

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::constant::{self, Macros};
use crate::check::rules::essential;
use crate::check::rules::Rule;
use crate::check::source::{self, unparen, Emit, Program};

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
        let mut macros: Option<Macros> = None;
        for u in &program.units {
            let mut casts: Vec<(Node<'_>, Node<'_>, Node<'_>)> = Vec::new();
            for &cast in u.nodes("cast_expression") {
                if let (Some(ty), Some(val)) = (
                    cast.child_by_field_name("type"),
                    cast.child_by_field_name("value"),
                ) {
                    casts.push((cast, ty, val));
                }
            }
            // `(float32_t)(a + b)` parses as a call when the parser does not know
            // the type name; a parenthesised known type name is a cast.
            for &call in u.nodes("call_expression") {
                let Some(f) = call.child_by_field_name("function") else {
                    continue;
                };
                let Some(args) = call.child_by_field_name("arguments") else {
                    continue;
                };
                if f.kind() != "parenthesized_expression" || args.named_child_count() != 1 {
                    continue;
                }
                let Some(name) = f.named_child(0).filter(|n| n.kind() == "identifier") else {
                    continue;
                };
                if u.var_type(u.text(name), name).is_none() && essential::of_type(u.text(name)).is_some() {
                    if let Some(arg) = args.named_child(0) {
                        casts.push((call, name, arg));
                    }
                }
            }
            casts.sort_by_key(|(c, _, _)| c.start_byte());
            for (cast, ty, val) in casts {
                let inner = unparen(val);
                if inner.kind() != "binary_expression"
                    || !matches!(
                        source::operator(u, inner),
                        "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>"
                    )
                {
                    continue;
                }
                let ty_text = u.text(ty);
                if ty_text.contains('*') {
                    continue;
                }
                let Some((to_cat, to_width)) = essential::of_type(ty_text) else {
                    continue;
                };
                let Some((from_cat, from_width)) = essential::of_expression(u, inner, 0) else {
                    continue;
                };
                let m = macros.get_or_insert_with(|| Macros::new(program));
                if constant::eval(program, m, u, inner).is_constant() {
                    continue;
                }
                if to_cat != from_cat {
                    let msg = format!(
                        "a composite {} expression is cast to the {} type `{ty_text}`",
                        from_cat.name(),
                        to_cat.name()
                    );
                    out.at(u, cast, &msg, "cast the operands instead, so the operation is done in the intended type");
                } else if let (Some(a), Some(b)) = (from_width, to_width) {
                    if b > a {
                        let msg = format!(
                            "a composite expression {a} bits wide is cast to the wider type `{ty_text}`"
                        );
                        out.at(u, cast, &msg, "cast an operand instead, so the operation is done in the wider type");
                    }
                }
            }
        }
    }
}
