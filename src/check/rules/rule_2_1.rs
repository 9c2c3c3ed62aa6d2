//! Rule 2.1 (required): no unreachable code.
//!
//! ## What it checks
//! Two syntactic forms of code that control can never reach:
//! - a statement that follows a `return`, `break`, `continue` or `goto` in the same block (or in the same `case` clause) with no label in between; the first such statement of each run is reported;
//! - a statement of a `switch` body that comes before its first `case` or `default` label.
//!
//! ## Why
//! Code no path reaches is never tested and often shows a mistake in the control flow (a misplaced `return`, a forgotten label).
//!
//! ## Known limits
//! Reachability is decided from the block structure only, without data flow: code after an `if`/`else` whose every branch jumps, after a call to a function that never returns, after an infinite loop, or behind a condition that is always false is not reported (rule 14.3 reports constant conditions). A statement after a jump but separated from it by a preprocessor conditional is not reported, since the directive may remove the jump. Labels make the following code reachable even when no `goto` names them.
//!
//! ## Example
//! ```c
//! return status;
//! count++;            /* flagged: follows the return */
//! ```

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program, Unit};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "2.1"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "No unreachable code."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &block in u.nodes("compound_statement") {
                let switch_body = u.parent(block)
                    .is_some_and(|p| p.kind() == "switch_statement");
                if !switch_body {
                    scan(u, block, 0, out);
                }
            }
            for &clause in u.nodes("case_statement") {
                // Statements of a clause follow `case V :` / `default :`.
                let first = if clause.child_by_field_name("value").is_some() {
                    3
                } else {
                    2
                };
                scan(u, clause, first, out);
            }
            for &sw in u.nodes("switch_statement") {
                let Some(body) = sw.child_by_field_name("body") else {
                    continue;
                };
                let mut c = body.walk();
                for ch in body.named_children(&mut c) {
                    match ch.kind() {
                        "case_statement" => break,
                        "comment" => {}
                        k if k.starts_with("preproc") => break,
                        _ => {
                            out.at(
                                u,
                                ch,
                                "code before the first label of a switch is never executed",
                                "move it before the switch or into a clause",
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Report the first statement after a jump in the children of `parent`,
/// starting at child index `from` (all children, named or not).
fn scan(u: &Unit<'_>, parent: Node<'_>, from: usize, out: &mut Emit) {
    // None: reachable; Some(reported): after a jump, and whether this run was reported.
    let mut dead: Option<bool> = None;
    let mut c = parent.walk();
    for ch in parent.children(&mut c).skip(from) {
        if !ch.is_named() {
            continue;
        }
        match ch.kind() {
            "comment" => {}
            "labeled_statement" | "case_statement" => dead = None,
            k if k.starts_with("preproc") => dead = None,
            "return_statement" | "break_statement" | "continue_statement" | "goto_statement"
                if dead.is_none() =>
            {
                dead = Some(false);
            }
            _ if dead == Some(false) => {
                let msg = "this statement follows an unconditional jump and is never executed";
                out.at(u, ch, msg, "remove it, or move it before the jump");
                dead = Some(true);
            }
            _ => {}
        }
    }
}
