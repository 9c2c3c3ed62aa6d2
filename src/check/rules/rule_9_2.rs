//! Rule 9.2 (required): enclose the initializer of an aggregate or union in braces.
//!
//! ## What it checks
//! - an array object initialised with something other than a brace-enclosed list (a string literal for a character array is allowed);
//! - a multi-dimensional array whose brace list gives the elements of an inner dimension without their own braces (`int32_t m[2][2] = { 1, 2, 3, 4 }`); the `{ 0 }` form that zeroes the whole object is allowed.
//!
//! ## Why
//! Braces that follow the shape of the object show which element each value goes to; without them a missing value shifts every later one silently.
//!
//! ## Known limits
//! Only arrays are checked: structures and unions are not, since their member types come from declarations the checker does not resolve (a structure initialised from another expression of its type is fine anyway). Array dimensions reached through a typedef of an array type are not seen.
//!
//! ## Example
//! ```c
//! static const uint8_t m[2][2] = { 1U, 2U, 3U, 4U };           /* flagged */
//! static const uint8_t n[2][2] = { { 1U, 2U }, { 3U, 4U } };   /* fine */
//! ```

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program, Unit};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "9.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Enclose the initializer of an aggregate or union in braces."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &d in u.nodes("init_declarator") {
                let (Some(decl), Some(init)) = (
                    d.child_by_field_name("declarator"),
                    d.child_by_field_name("value"),
                ) else {
                    continue;
                };
                let dims = array_dimensions(decl);
                if dims == 0 {
                    continue;
                }
                check_level(u, init, dims, true, out);
            }
        }
    }
}

/// Number of array dimensions of the object a declarator declares (0 for
/// a pointer to an array or a non-array).
fn array_dimensions(decl: Node<'_>) -> usize {
    let mut dims = 0;
    let mut cur = Some(decl);
    while let Some(n) = cur {
        match n.kind() {
            "array_declarator" => dims += 1,
            "parenthesized_declarator" | "pointer_declarator" | "function_declarator" => return 0,
            _ => return dims,
        }
        cur = n.child_by_field_name("declarator");
    }
    dims
}

/// Check the initializer of an array with `dims` dimensions left (a work
/// list, not recursion: the number of dimensions is the input's to choose).
fn check_level(u: &Unit<'_>, init: Node<'_>, dims: usize, top: bool, out: &mut Emit) {
    let mut work = vec![(init, dims, top)];
    while let Some((init, dims, top)) = work.pop() {
        let init = if init.kind() == "initializer_pair" {
            match init.child_by_field_name("value") {
                Some(v) => v,
                None => continue,
            }
        } else {
            init
        };
        if init.kind() != "initializer_list" {
            let string = matches!(init.kind(), "string_literal" | "concatenated_string");
            if !(string && dims == 1) {
                let msg = if top {
                    "an array is initialised without braces"
                } else {
                    "the elements of an inner array are not enclosed in braces"
                };
                out.at(u, init, msg, "enclose the initializer of each array level in braces");
            }
            continue;
        }
        if dims <= 1 {
            continue;
        }
        let mut c = init.walk();
        let items: Vec<Node<'_>> = init
            .named_children(&mut c)
            .filter(|n| n.kind() != "comment")
            .collect();
        let zero_all = top && items.len() == 1 && u.text(items[0]).trim() == "0";
        if zero_all {
            continue;
        }
        // Reversed so the items are checked in document order.
        work.extend(items.into_iter().rev().map(|item| (item, dims - 1, false)));
    }
}
