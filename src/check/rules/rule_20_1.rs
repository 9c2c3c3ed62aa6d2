//! Rule 20.1 (advisory): put #include directives before any code.
//!
//! ## What it checks
//! An `#include` that follows a declaration, definition or statement at file scope (other directives and comments may precede it).
//!
//! ## Why
//! Including a header after code lets that code change what the header means.
//!
//! ## Known limits
//! Code inside conditional blocks before the include is recognised only at the levels enclosing the include.
//!
//! ## Example
//! ```c
//! static uint32_t n;
//! #include "b.h"   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.1"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Put #include directives before any code."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        const CODE: &[&str] = &[
            "function_definition", "declaration", "type_definition", "expression_statement",
            "struct_specifier", "union_specifier", "enum_specifier",
        ];
        for u in &program.units {
            for &inc in u.nodes("preproc_include") {
                // Named siblings before the include and before each of its
                // ancestors (children listed through the parent: tree-sitter's
                // own sibling links walk down from the root each time).
                let mut after_code = false;
                let mut cur = inc;
                while let Some(p) = u.parent(cur) {
                    let mut c = p.walk();
                    after_code |= p
                        .named_children(&mut c)
                        .take_while(|s| s.id() != cur.id())
                        .any(|s| CODE.contains(&s.kind()));
                    cur = p;
                }
                if after_code {
                    out.at(u, inc, "#include after code", "move the include to the top of the file");
                }
            }
        }
    }
}
