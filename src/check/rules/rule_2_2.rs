//! Rule 2.2 (required): no dead code (operations whose removal changes nothing).
//!
//! ## What it checks
//! An expression statement whose evaluation has no effect: it contains no assignment, no increment or decrement, and no call, it is not a cast to `void` (the accepted way to mark a value as deliberately unused), and every identifier in it is an object or enumeration constant the checker knows (so a macro that might expand to a call is never taken for dead code). Examples: `x + 1U;`, `flag == true;`, `p[i];`.
//!
//! ## Why
//! A statement that does nothing usually means something else was meant (`x == 1U;` for `x = 1U;`), or is leftover code.
//!
//! ## Known limits
//! Only whole statements without effect are found: an assignment whose value is never read, a call of a function without side effects, or an operation whose result is masked later are not (data-flow and function-effect analysis would be needed). In a file that uses `volatile` anywhere, statements that read objects are not reported, since a volatile read is an effect and the checker does not track qualifiers.
//!
//! ## Example
//! ```c
//! status == STATUS_OK;   /* flagged: the comparison is computed and dropped */
//! (void)status;          /* fine */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{unparen, Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "2.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "No dead code (operations whose removal changes nothing)."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let volatile_file = u.src.contains("volatile");
            for &st in u.nodes("expression_statement") {
                let Some(e) = st.named_child(0).filter(|n| n.kind() != "comment") else {
                    continue;
                };
                let e = unparen(e);
                if e.kind() == "cast_expression"
                    && e.child_by_field_name("type")
                        .is_some_and(|t| u.text(t).trim() == "void")
                {
                    continue;
                }
                let mut reads_object = false;
                let mut pure = true;
                for &n in u.subtree(e) {
                    match n.kind() {
                        "assignment_expression" | "update_expression" | "call_expression"
                        | "ERROR" | "comma_expression" | "gnu_asm_expression" => {
                            pure = false;
                            break;
                        }
                        "identifier" => {
                            let name = u.text(n);
                            if u.var_type(name, n).is_some() && !program.macros.contains(name) {
                                reads_object = true;
                            } else if !program.enum_constants.contains(name) || program.macros.contains(name) {
                                pure = false;
                                break;
                            }
                        }
                        _ => {}
                    }
                    if n.is_missing() {
                        pure = false;
                        break;
                    }
                }
                if !pure || (reads_object && volatile_file) {
                    continue;
                }
                out.at(
                    u,
                    st,
                    "this statement computes a value and drops it: removing it changes nothing",
                    "remove it, or write the intended assignment or call",
                );
            }
        }
    }
}
