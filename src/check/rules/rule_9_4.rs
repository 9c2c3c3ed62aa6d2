//! Rule 9.4 (required): initialize each element of an object at most once.
//!
//! ## What it checks
//! Within one brace initializer list: two index designators with the same constant value (`[2] = a, [2] = b`), an index designator naming an element a positional value already set (`{ a, b, [0] = c }`) or a positional value landing on an element a designator set, and two member designators naming the same member (`.x = 1, .x = 2`).
//!
//! ## Why
//! C lets the later value win without a diagnostic, so one of the two values is dead and probably a mistake.
//!
//! ## Known limits
//! Index designators whose value the checker cannot compute (not a literal, constant macro or constant expression over these) are skipped, and positions after them are not tracked. Positional values in a structure initializer are not matched with member designators, since member order is not resolved. Nested designators (`[1].x`, `.a.b`) are compared by their text.
//!
//! ## Example
//! ```c
//! static const uint8_t t[4] = { [1] = 5U, [1] = 6U, 0U, 0U };   /* flagged: element 1 twice */
//! ```

use std::collections::BTreeSet;

use crate::check::finding::Category;
use crate::check::rules::constant::{self, Macros, Value};
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "9.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Initialize each element of an object at most once."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let mut macros: Option<Macros> = None;
        for u in &program.units {
            // Only lists holding a designator can initialise an element twice.
            let mut lists: Vec<tree_sitter::Node<'_>> = u
                .nodes("initializer_pair")
                .iter()
                .filter_map(|&p| u.parent(p))
                .collect();
            lists.sort_by_key(|l| l.start_byte());
            lists.dedup_by_key(|l| l.id());
            for list in lists {
                let mut c = list.walk();
                let items: Vec<_> = list
                    .named_children(&mut c)
                    .filter(|n| n.kind() != "comment")
                    .collect();
                let m = macros.get_or_insert_with(|| Macros::new(program));
                let mut indices: BTreeSet<i128> = BTreeSet::new();
                let mut members: BTreeSet<String> = BTreeSet::new();
                // Next positional index; None once it cannot be tracked.
                let mut pos: Option<i128> = Some(0);
                let mut array_like = false;
                for item in items {
                    let mut dup = false;
                    if item.kind() == "initializer_pair" {
                        let mut dc = item.walk();
                        let designators: Vec<_> =
                            item.children_by_field_name("designator", &mut dc).collect();
                        let Some(&first) = designators.first() else {
                            pos = None;
                            continue;
                        };
                        let nested = designators.len() > 1;
                        if first.kind() == "subscript_designator" {
                            array_like = true;
                            let v = first
                                .named_child(0)
                                .map(|e| constant::eval(program, m, u, e));
                            match v {
                                Some(Value::Int(i)) if nested => {
                                    let key: String = designators.iter().map(|d| u.text(*d)).collect();
                                    dup = !members.insert(format!("[{i}]{key}"));
                                    pos = i.checked_add(1);
                                }
                                Some(Value::Int(i)) => {
                                    dup = !indices.insert(i);
                                    pos = i.checked_add(1);
                                }
                                _ => pos = None,
                            }
                        } else {
                            let key: String = designators.iter().map(|d| u.text(*d)).collect();
                            dup = !members.insert(key);
                            pos = None;
                        }
                    } else if let Some(p) = pos {
                        dup = array_like && !indices.insert(p);
                        if !array_like {
                            indices.insert(p);
                        }
                        pos = p.checked_add(1);
                    }
                    if dup {
                        out.at(u, item, "this element is already initialised in the same list", "initialise each element once");
                    }
                }
            }
        }
    }
}
