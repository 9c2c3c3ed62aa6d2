//! Rule 17.7 (required): use the value a non-void function returns.
//!
//! ## What it checks
//! A call used as a statement on its own when the callee is declared (in the checked files) with a non-void return type.
//!
//! ## Why
//! A returned value often carries an error status; ignoring it silently loses the error. Cast to (void) to discard it on purpose.
//!
//! ## Known limits
//! Functions declared only in unchecked headers (the C library included) are unknown and not flagged.
//!
//! ## Example
//! ```c
//! (void)f();   /* fine */
//! f();         /* flagged when f returns a value */
//! ```

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "17.7"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Use the value a non-void function returns."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &st in u.nodes("expression_statement") {
                let Some(e) = st.named_child(0).map(source::unparen) else {
                    continue;
                };
                if e.kind() != "call_expression" {
                    continue;
                }
                let Some(f) = e.child_by_field_name("function").filter(|f| f.kind() == "identifier") else {
                    continue;
                };
                let name = u.text(f);
                if program.functions.get(name).map(|s| !s.returns_void).unwrap_or(false) {
                    let msg = format!("value returned by `{name}` is ignored");
                    out.at(u, e, &msg, "use the value, or cast the call to (void)");
                }
            }
        }
    }
}
