//! Rule 15.4 (advisory): a loop has at most one break or goto that leaves it.
//!
//! ## What it checks
//! Loops with more than one `break` (belonging to the loop, not to an inner switch or loop) or `goto` leaving the loop; every exit after the first is reported.
//!
//! ## Why
//! One exit from a loop keeps its termination condition easy to reason about.
//!
//! ## Known limits
//! A `goto` counts as leaving the loop when its label is not inside the loop.
//!
//! ## Example
//! ```c
//! while (k > 0U) {
//!     if (a) { break; }
//!     if (b) { break; }   /* flagged */
//! }
//! ```

use std::collections::BTreeMap;

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "15.4"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "A loop has at most one break or goto that leaves it."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        const LOOPS: &[&str] = &["for_statement", "while_statement", "do_statement"];
        for u in &program.units {
            let mut exits: BTreeMap<usize, Vec<Node<'_>>> = BTreeMap::new();
            for &b in u.nodes("break_statement") {
                let mut cur = u.parent(b);
                while let Some(p) = cur {
                    if p.kind() == "switch_statement" {
                        break;
                    }
                    if LOOPS.contains(&p.kind()) {
                        exits.entry(p.id()).or_default().push(b);
                        break;
                    }
                    cur = u.parent(p);
                }
            }
            for &g in u.nodes("goto_statement") {
                let label = g.child_by_field_name("label").map(|l| u.text(l));
                let f = u.enclosing_function(g);
                let target = u.nodes("labeled_statement").iter().copied().find(|l| {
                    l.child_by_field_name("label").map(|x| u.text(x)) == label
                        && u.enclosing_function(*l).map(|x| x.id()) == f.map(|x| x.id())
                });
                let mut cur = u.parent(g);
                while let Some(p) = cur {
                    if LOOPS.contains(&p.kind()) && !target.map(|t| u.is_inside(t, p)).unwrap_or(false) {
                        exits.entry(p.id()).or_default().push(g);
                    }
                    cur = u.parent(p);
                }
            }
            for mut list in exits.into_values() {
                list.sort_by_key(|n| n.start_byte());
                for &extra in list.iter().skip(1) {
                    out.at(u, extra, "second exit from the same loop", "combine the exit conditions into the loop condition or a flag");
                }
            }
        }
    }
}
