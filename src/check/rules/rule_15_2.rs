//! Rule 15.2 (required): a goto jumps only forward to a label in the same function.
//!
//! ## What it checks
//! A `goto` whose label appears before it in the function.
//!
//! ## Why
//! Backward jumps build loops that the loop statements would express more clearly.
//!
//! ## Known limits
//! None known.
//!
//! ## Example
//! ```c
//! again: n++;
//! if (n < 3U) { goto again; }   /* flagged */
//! ```

use tree_sitter::Node;

use crate::check::source::Unit;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "15.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A goto jumps only forward to a label in the same function."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &g in u.nodes("goto_statement") {
                let Some(target) = goto_target(u, g) else {
                    continue;
                };
                if target.start_byte() < g.start_byte() {
                    out.at(u, g, "goto jumps backwards", "use a loop");
                }
            }
        }
    }
}

/// The labeled statement a goto names, in the same function.
pub(super) fn goto_target<'a>(u: &Unit<'a>, g: Node<'a>) -> Option<Node<'a>> {
    let label = g.child_by_field_name("label").map(|l| u.text(l))?;
    let f = u.enclosing_function(g).map(|f| f.id());
    u.nodes("labeled_statement").iter().copied().find(|&l| {
        l.child_by_field_name("label").map(|x| u.text(x)) == Some(label)
            && u.enclosing_function(l).map(|x| x.id()) == f
    })
}
