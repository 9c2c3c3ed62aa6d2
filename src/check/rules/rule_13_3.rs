//! Rule 13.3 (advisory): a full expression with ++ or -- has no other potential side effect.
//!
//! ## What it checks
//! A full expression that contains `++` or `--` together with another potential side effect: another `++`/`--`, an assignment, or a function call.
//!
//! ## Why
//! Combining side effects in one expression makes the order of effects hard to see and sometimes unspecified.
//!
//! ## Known limits
//! The full expression is found by climbing expression nodes; macros that expand to calls are not seen.
//!
//! ## Example
//! ```c
//! a[i++] = 0U;   /* flagged */
//! i++;           /* fine */
//! ```

use std::collections::{BTreeSet, HashMap};

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "13.3"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "A full expression with ++ or -- has no other potential side effect."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        const EXPRESSION: &[&str] = &[
            "binary_expression", "unary_expression", "update_expression", "assignment_expression",
            "call_expression", "argument_list", "subscript_expression", "parenthesized_expression",
            "cast_expression", "conditional_expression", "comma_expression", "field_expression",
            "pointer_expression",
        ];
        for u in &program.units {
            let mut seen = BTreeSet::new();
            // The full expression of each node climbed so far: every node is
            // climbed once, however deeply the increments nest.
            let mut root_of: HashMap<usize, Node<'_>> = HashMap::new();
            for &n in u.nodes("update_expression") {
                let root = match root_of.get(&n.id()) {
                    Some(&r) => r,
                    None => {
                        let mut path = vec![n.id()];
                        let mut cur = n;
                        let root = loop {
                            match u.parent(cur).filter(|p| EXPRESSION.contains(&p.kind())) {
                                None => break cur,
                                Some(p) => {
                                    if let Some(&r) = root_of.get(&p.id()) {
                                        break r;
                                    }
                                    path.push(p.id());
                                    cur = p;
                                }
                            }
                        };
                        for id in path {
                            root_of.insert(id, root);
                        }
                        root
                    }
                };
                if !seen.insert(root.id()) {
                    continue;
                }
                let effects = u.subtree(root)
                    .iter().copied()
                    .filter(|d| matches!(d.kind(), "update_expression" | "assignment_expression" | "call_expression"))
                    .count();
                if effects > 1 {
                    out.at(u, n, "++ or -- combined with another side effect", "put the increment or decrement in a statement of its own");
                }
            }
        }
    }
}
