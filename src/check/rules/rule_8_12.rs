//! Rule 8.12 (required): implicitly valued enumerators are unique within their enumeration.
//!
//! ## What it checks
//! An enumerator without an explicit value whose implied value equals the value of another enumerator of the same enumeration.
//!
//! ## Why
//! A duplicate value created implicitly is almost always a mistake made when a list is edited.
//!
//! ## Known limits
//! Enumerations whose explicit values are not plain integer literals are skipped.
//!
//! ## Example
//! ```c
//! enum e { A = 1, B = 0, C };   /* flagged: C is 1, like A */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.12"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Implicitly valued enumerators are unique within their enumeration."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &list in u.nodes("enumerator_list") {
                let mut c = list.walk();
                let mut values: Vec<(i128, bool, tree_sitter::Node<'_>)> = Vec::new();
                let mut next: i128 = 0;
                let mut known = true;
                for e in list.named_children(&mut c).filter(|n| n.kind() == "enumerator") {
                    let v = match e.child_by_field_name("value") {
                        Some(v) => match parse_int(u.text(v)) {
                            Some(x) => (x, false),
                            None => {
                                known = false;
                                break;
                            }
                        },
                        None => (next, true),
                    };
                    next = v.0 + 1;
                    values.push((v.0, v.1, e));
                }
                if !known {
                    continue;
                }
                for (i, &(v, implicit, e)) in values.iter().enumerate() {
                    if implicit && values.iter().enumerate().any(|(j, &(w, _, _))| j != i && w == v) {
                        out.at(u, e, "implicit enumerator value duplicates another", "give the enumerator an explicit, unique value");
                    }
                }
            }
        }
    }
}

fn parse_int(t: &str) -> Option<i128> {
    let t = t.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, t),
    };
    let t = t.trim_end_matches(['u', 'U', 'l', 'L']);
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i128::from_str_radix(h, 16).ok()?
    } else if t.len() > 1 && t.starts_with('0') {
        i128::from_str_radix(&t[1..], 8).ok()?
    } else {
        t.parse().ok()?
    };
    Some(if neg { -v } else { v })
}
