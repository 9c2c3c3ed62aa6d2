//! Rule 14.3 (required): controlling expressions are not invariant.
//!
//! ## What it checks
//! The controlling expression of an `if`, `while`, `do ... while`, `for` or `?:` when its value cannot change:
//! - a constant expression: literals, enumeration constants, `sizeof`, object-like macros whose body is itself constant (defined once in the checked files), and operators over these;
//! - a comparison of an object of a known unsigned type with zero that is always true or always false (`u >= 0U`, `u < 0U`, and the mirrored forms).
//!
//! Two forms are permitted: an infinite loop written as `while (1)` / `while (true)` (any non-zero literal, also as the condition of a `for`) or `for (;;)`, and `do { ... } while (0)` / `while (false)` (a literal zero), or a `do` loop whose condition is a non-zero literal.
//!
//! ## Why
//! A condition that cannot change makes one branch dead or a loop run never or forever, which is rarely what was meant and hides mistakes in configuration macros.
//!
//! ## Known limits
//! No data flow: an object that never changes, or a condition implied by an earlier one, is not seen. Stricter than the guideline on one point: an infinite loop is accepted only when written with a literal; `while (RUN_FOREVER)` with a constant macro is reported (write `while (1)` or deviate). A macro defined with two different bodies (under `#if`) is not treated as constant, and neither are macros from unchecked headers.
//!
//! ## Example
//! ```c
//! #define N_OUT 1U
//! if (N_OUT > 1U) { ... }      /* flagged: always false */
//! while (1) { ... }            /* permitted infinite loop */
//! ```

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::constant::{self, Macros, Value};
use crate::check::rules::essential::{self, Cat};
use crate::check::rules::Rule;
use crate::check::source::{self, unparen, Emit, Program, Unit};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctl {
    If,
    While,
    For,
    Do,
    Ternary,
}

impl Rule for Check {
    fn id(&self) -> &'static str {
        "14.3"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Controlling expressions are not invariant."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let macros = Macros::new(program);
        for u in &program.units {
            let mut conds: Vec<(Node<'_>, Ctl)> = Vec::new();
            for (kind, ctl) in [
                ("if_statement", Ctl::If),
                ("while_statement", Ctl::While),
                ("do_statement", Ctl::Do),
                ("for_statement", Ctl::For),
                ("conditional_expression", Ctl::Ternary),
            ] {
                for &n in u.nodes(kind) {
                    if let Some(c) = n.child_by_field_name("condition") {
                        conds.push((c, ctl));
                    }
                }
            }
            conds.sort_by_key(|(n, _)| n.start_byte());
            for (cond, ctl) in conds {
                check_one(program, &macros, u, cond, ctl, out);
            }
        }
    }
}

fn check_one(
    program: &Program<'_>,
    macros: &Macros,
    u: &Unit<'_>,
    cond: Node<'_>,
    ctl: Ctl,
    out: &mut Emit,
) {
    let e = unparen(cond);
    let v = constant::eval(program, macros, u, e);
    if v.is_constant() {
        let literal = matches!(e.kind(), "number_literal" | "true" | "false")
            || (e.kind() == "identifier" && matches!(u.text(e), "true" | "false"));
        let permitted = literal
            && match (ctl, v) {
                (Ctl::While | Ctl::For, Value::Int(x)) => x != 0,
                (Ctl::Do, Value::Int(_)) => true,
                _ => false,
            };
        if !permitted {
            let what = match v {
                Value::Int(0) => "is always false",
                Value::Int(_) => "is always true",
                _ => "is a constant expression",
            };
            let msg = format!("the controlling expression {what}");
            let hint = match ctl {
                Ctl::While | Ctl::For | Ctl::Do => {
                    "write an intended infinite loop as while (1) or for (;;); otherwise use a condition that can change"
                }
                _ => "remove the dead branch, or use #if for a configuration choice",
            };
            out.at(u, cond, &msg, hint);
        }
        return;
    }
    if let Some(always) = unsigned_zero_comparison(program, macros, u, e) {
        let msg = format!(
            "an unsigned value compared with zero: the condition is always {}",
            if always { "true" } else { "false" }
        );
        out.at(u, cond, &msg, "an unsigned value is never negative; fix the comparison");
    }
}

/// `u >= 0`, `u < 0`, `0 <= u`, `0 > u` with `u` of a known unsigned type:
/// Some(always true?).
fn unsigned_zero_comparison(
    program: &Program<'_>,
    macros: &Macros,
    u: &Unit<'_>,
    e: Node<'_>,
) -> Option<bool> {
    if e.kind() != "binary_expression" {
        return None;
    }
    let l = e.child_by_field_name("left")?;
    let r = e.child_by_field_name("right")?;
    let op = source::operator(u, e);
    let is_zero = |n: Node<'_>| constant::eval(program, macros, u, n) == Value::Int(0);
    let is_unsigned = |n: Node<'_>| essential::of_operand(u, n) == Some(Cat::Unsigned);
    match op {
        ">=" if is_unsigned(l) && is_zero(r) => Some(true),
        "<" if is_unsigned(l) && is_zero(r) => Some(false),
        "<=" if is_zero(l) && is_unsigned(r) => Some(true),
        ">" if is_zero(l) && is_unsigned(r) => Some(false),
        _ => None,
    }
}
