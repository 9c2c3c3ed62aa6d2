//! Rule 12.1 (advisory): make operator precedence explicit.
//!
//! ## What it checks
//! A binary operator (arithmetic, shift, relational, equality, bitwise or logical) or a `?:` whose operand is, without parentheses, a binary expression of a tighter-binding operator, e.g. `a + b * c`, `a << b + c`, `a && b || c`, `a == b < c`, `a == b && c == d`, `x > 0 ? a : b`. Operands of the same precedence level (`a + b - c`), unary operands, casts, calls, and the operands of assignment and comma operators are not reported.
//!
//! ## Why
//! Readers (and reviewers) misjudge C's fifteen precedence levels; parentheses state the intended grouping.
//!
//! ## Known limits
//! Expressions produced by macro expansion are not seen; a macro argument spliced into an expression is checked only as written.
//!
//! ## Example
//! ```c
//! r = base + idx * 4U;      /* flagged */
//! r = base + (idx * 4U);    /* fine */
//! ```

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program, Unit};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "12.1"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Make operator precedence explicit."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &e in u.nodes("binary_expression") {
                let p = precedence(source::operator(u, e));
                let tighter = ["left", "right"].iter().any(|f| {
                    e.child_by_field_name(f)
                        .is_some_and(|o| operand_precedence(u, o).is_some_and(|q| q > p))
                });
                if tighter {
                    if let Some(op) = op_token(e, None) {
                        report(u, out, op);
                    }
                }
            }
            for &e in u.nodes("conditional_expression") {
                let binary = |f: &str| {
                    e.child_by_field_name(f)
                        .is_some_and(|o| operand_precedence(u, o).is_some())
                };
                if binary("condition") {
                    if let Some(op) = op_token(e, Some("?")) {
                        report(u, out, op);
                    }
                }
                if binary("consequence") || binary("alternative") {
                    if let Some(op) = op_token(e, Some(":")) {
                        report(u, out, op);
                    }
                }
            }
        }
    }
}

fn report(u: &Unit<'_>, out: &mut Emit, op: Node<'_>) {
    let msg = format!(
        "an operand of `{}` is an unparenthesized expression of higher precedence",
        u.text(op)
    );
    out.at(u, op, &msg, "parenthesize the operand to state the grouping");
}

/// The operator token of `e` (the first unnamed child, or the one spelled `want`).
fn op_token<'a>(e: Node<'a>, want: Option<&str>) -> Option<Node<'a>> {
    let mut c = e.walk();
    let found = e
        .children(&mut c)
        .find(|ch| !ch.is_named() && want.is_none_or(|w| ch.kind() == w));
    found
}

/// Precedence of a binary expression operand (higher binds tighter); None for anything else.
fn operand_precedence(u: &Unit<'_>, o: Node<'_>) -> Option<u8> {
    (o.kind() == "binary_expression").then(|| precedence(source::operator(u, o)))
}

fn precedence(op: &str) -> u8 {
    match op {
        "*" | "/" | "%" => 12,
        "+" | "-" => 11,
        "<<" | ">>" => 10,
        "<" | ">" | "<=" | ">=" => 9,
        "==" | "!=" => 8,
        "&" => 7,
        "^" => 6,
        "|" => 5,
        "&&" => 4,
        "||" => 3,
        _ => 16,
    }
}
