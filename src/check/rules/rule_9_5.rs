//! Rule 9.5 (required): size arrays explicitly when designated initializers are used.
//!
//! ## What it checks
//! An array declared without a size (`[]`) whose brace initializer uses an index designator (`[N] = value`).
//!
//! ## Why
//! With designators the size of an unsized array follows from the largest index used, so changing one designator silently changes the array's size.
//!
//! ## Known limits
//! Designators inside nested initializer lists of an unsized inner dimension are checked only for the outermost dimension (C allows only the first dimension to be unsized).
//!
//! ## Example
//! ```c
//! static const uint8_t t[] = { [0] = 1U, [3] = 2U };   /* flagged: size 4 by accident */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "9.5"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Size arrays explicitly when designated initializers are used."
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
                if decl.kind() != "array_declarator"
                    || decl.child_by_field_name("size").is_some()
                    || init.kind() != "initializer_list"
                {
                    continue;
                }
                let mut c = init.walk();
                let designated = init.named_children(&mut c).any(|item| {
                    item.kind() == "initializer_pair"
                        && item
                            .child_by_field_name("designator")
                            .is_some_and(|d| d.kind() == "subscript_designator")
                });
                if designated {
                    out.at(
                        u,
                        decl,
                        "an array without an explicit size is initialised with index designators",
                        "give the array its size explicitly",
                    );
                }
            }
        }
    }
}
