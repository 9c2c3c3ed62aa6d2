//! Rule 5.4 (required): macro identifiers are distinct.
//!
//! ## What it checks
//! Two different macro names defined in the checked files that agree in their first 63 characters (the significant initial characters C99 guarantees for macro names), and two parameters of one function-like macro that agree in their first 63 characters. The later one is reported.
//!
//! ## Why
//! A preprocessor that keeps only 63 characters would treat the two names as one, so one definition silently replaces the other.
//!
//! ## Known limits
//! Macro names are compared program-wide rather than per translation unit (two files may define unrelated macros whose long names clash; rename or deviate). Macros defined on the command line or in unchecked headers are not known.
//!
//! ## Example
//! ```c
//! #define SENSOR_CHANNEL_CALIBRATION_TABLE_ENTRY_COUNT_FOR_THE_LOW_RANGE_A 4U
//! #define SENSOR_CHANNEL_CALIBRATION_TABLE_ENTRY_COUNT_FOR_THE_LOW_RANGE_B 8U  /* flagged */
//! ```

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::names;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "5.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Macro identifiers are distinct."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let mut defs: Vec<(&str, (usize, Node<'_>))> = Vec::new();
        for (i, u) in program.units.iter().enumerate() {
            let mut nodes: Vec<Node<'_>> = u
                .nodes("preproc_def")
                .iter()
                .chain(u.nodes("preproc_function_def"))
                .copied()
                .collect();
            nodes.sort_by_key(|n| n.start_byte());
            for n in nodes {
                if let Some(name) = n.child_by_field_name("name") {
                    defs.push((u.text(name), (i, name)));
                }
                if n.kind() == "preproc_function_def" {
                    let params: Vec<(&str, (usize, Node<'_>))> = n
                        .child_by_field_name("parameters")
                        .map(|p| {
                            let mut c = p.walk();
                            let v: Vec<_> = p
                                .named_children(&mut c)
                                .filter(|x| x.kind() == "identifier")
                                .map(|x| (u.text(x), (i, x)))
                                .collect();
                            v
                        })
                        .unwrap_or_default();
                    for ((_, node), earlier) in names::prefix_clashes(&params, 63) {
                        let msg = format!("macro parameter `{}` is not distinct from `{earlier}` in its first 63 characters", u.text(node));
                        out.at(u, node, &msg, "make the parameter names differ within their first 63 characters");
                    }
                }
            }
        }
        for ((i, node), earlier) in names::prefix_clashes(&defs, 63) {
            let u = &program.units[i];
            let msg = format!("macro `{}` is not distinct from `{earlier}` in its first 63 characters", u.text(node));
            out.at(u, node, &msg, "make macro names differ within their first 63 characters");
        }
    }
}
