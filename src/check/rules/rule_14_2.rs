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

use std::collections::BTreeMap;

use tree_sitter::Node;

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program, Unit};

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
            let mut bodies: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
            for &f in u.nodes("for_statement") {
                let counter = f.child_by_field_name("initializer").and_then(|init| {
                    let targets: Vec<_> = u.subtree(init)
                        .iter().copied()
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
                    let effect = u.first_within(cond, &["assignment_expression", "update_expression", "call_expression"]);
                    if let Some(e) = effect {
                        out.at(u, e, "side effect in the condition of a for loop", "move it into the loop body");
                    }
                }
                if let (Some(update), Some(counter)) = (f.child_by_field_name("update"), counter) {
                    for t in modified(u, update) {
                        if u.text(t) != counter {
                            let msg = format!("third clause modifies `{}`, not the loop counter", u.text(t));
                            out.at(u, t, &msg, "only update the loop counter in the third clause");
                        }
                    }
                }
                if let (Some(body), Some(counter)) = (f.child_by_field_name("body"), counter) {
                    bodies.entry(counter).or_default().push((body.start_byte(), body.end_byte()));
                }
            }
            // A counter modified in the body of a loop it controls: each
            // modification is looked up among the outermost bodies of the loops
            // with that counter (nested loops need no repeated walk).
            for ranges in bodies.values_mut() {
                ranges.sort_unstable();
                let mut outer: Vec<(usize, usize)> = Vec::new();
                for &(s, e) in ranges.iter() {
                    if outer.last().is_none_or(|&(_, oe)| s >= oe) {
                        outer.push((s, e));
                    }
                }
                *ranges = outer;
            }
            let targets = u
                .nodes("assignment_expression")
                .iter()
                .chain(u.nodes("update_expression"))
                .filter_map(|&d| target(d));
            for t in targets {
                let Some(ranges) = bodies.get(u.text(t)) else {
                    continue;
                };
                let at = t.start_byte();
                let i = ranges.partition_point(|&(s, _)| s <= at);
                if i.checked_sub(1).and_then(|j| ranges.get(j)).is_some_and(|&(_, e)| at < e) {
                    let msg = format!("loop counter `{}` is modified in the loop body", u.text(t));
                    out.at(u, t, &msg, "use a while loop, or do not touch the counter in the body");
                }
            }
        }
    }
}

/// The identifier an assignment or increment/decrement modifies.
fn target(d: Node<'_>) -> Option<Node<'_>> {
    let t = match d.kind() {
        "assignment_expression" => d.child_by_field_name("left"),
        "update_expression" => d.child_by_field_name("argument"),
        _ => None,
    }?;
    Some(source::unparen(t)).filter(|t| t.kind() == "identifier")
}

/// Identifiers assigned or incremented/decremented under `n`.
fn modified<'a>(u: &Unit<'a>, n: Node<'_>) -> Vec<Node<'a>> {
    u.subtree(n).iter().filter_map(|&d| target(d)).collect()
}
