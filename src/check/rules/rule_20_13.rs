//! Rule 20.13 (required): a line starting with # is a valid preprocessing directive.
//!
//! ## What it checks
//! A directive line whose name is not one of define, undef, include, if, ifdef, ifndef, elif, else, endif, line, error or pragma.
//!
//! ## Why
//! An unknown directive may be a typo whose intended effect silently never happens, or an extension with unknown meaning.
//!
//! ## Known limits
//! Directives inside conditional blocks that are skipped are checked too (the rule allows invalid ones there; the checker reports them anyway).
//!
//! ## Example
//! ```c
//! #warning "x"   /* flagged: not a C99 directive */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.13"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A line starting with # is a valid preprocessing directive."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        const VALID: &[&str] = &[
            "#define", "#undef", "#include", "#if", "#ifdef", "#ifndef", "#elif", "#else", "#endif",
            "#line", "#error", "#pragma",
        ];
        for u in &program.units {
            for &n in u.nodes("preproc_call") {
                let Some(d) = n.child_by_field_name("directive") else {
                    continue;
                };
                let name: String = u.text(d).chars().filter(|c| !c.is_whitespace()).collect();
                if !VALID.contains(&name.as_str()) {
                    let msg = format!("`{name}` is not a valid preprocessing directive");
                    out.at(u, n, &msg, "use a C99 directive");
                }
            }
        }
    }
}
