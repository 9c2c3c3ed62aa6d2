//! Rule 14.2 (required): a for loop is well-formed.
//!
//! ## What it checks
//! The syntactic part of a well-formed `for`: the loop counter (the single variable set in the first clause) must not be modified in the loop body; the second clause must have no side effect (assignment, `++`/`--`, call); the third clause may modify only the loop counter.
//!
//! ## Why
//! A for loop that reads like a counted loop should behave like one; hidden changes to the counter or side effects in the header make the iteration count hard to see.
//!
//! ## Known limits
//! Modifications through pointers or by called functions are not seen, and loops with no counter in the first clause are not checked for body modifications.
//!
//! ## Example
//! ```c
//! for (i = 0U; i < n; i++) { i += 2U; }   /* flagged: counter changed in the body */
//! ```

use tree_sitter::Node;

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "14.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A for loop is well-formed."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &f in u.nodes("for_statement") {
                let counter = f.child_by_field_name("initializer").and_then(|init| {
                    let targets: Vec<_> = source::descendants(init)
                        .into_iter()
                        .filter_map(|d| match d.kind() {
                            "assignment_expression" => d.child_by_field_name("left").map(source::unparen),
                            "init_declarator" => d.child_by_field_name("declarator").and_then(source::declared_name),
                            _ => None,
                        })
                        .filter(|t| t.kind() == "identifier")
                        .collect();
                    match targets.as_slice() {
                        [only] => Some(u.text(*only)),
                        _ => None,
                    }
                });
                if let Some(cond) = f.child_by_field_name("condition") {
                    let effect = source::descendants(cond)
                        .into_iter()
                        .find(|d| matches!(d.kind(), "assignment_expression" | "update_expression" | "call_expression"));
                    if let Some(e) = effect {
                        out.at(u, e, "side effect in the condition of a for loop", "move it into the loop body");
                    }
                }
                if let (Some(update), Some(counter)) = (f.child_by_field_name("update"), counter) {
                    for t in modified(update) {
                        if u.text(t) != counter {
                            let msg = format!("third clause modifies `{}`, not the loop counter", u.text(t));
                            out.at(u, t, &msg, "only update the loop counter in the third clause");
                        }
                    }
                }
                if let (Some(body), Some(counter)) = (f.child_by_field_name("body"), counter) {
                    for t in modified(body) {
                        if u.text(t) == counter {
                            let msg = format!("loop counter `{counter}` is modified in the loop body");
                            out.at(u, t, &msg, "use a while loop, or do not touch the counter in the body");
                        }
                    }
                }
            }
        }
    }
}

/// Identifiers assigned or incremented/decremented under `n`.
fn modified(n: Node<'_>) -> Vec<Node<'_>> {
    source::descendants(n)
        .into_iter()
        .filter_map(|d| match d.kind() {
            "assignment_expression" => d.child_by_field_name("left"),
            "update_expression" => d.child_by_field_name("argument"),
            _ => None,
        })
        .map(source::unparen)
        .filter(|t| t.kind() == "identifier")
        .collect()
}
