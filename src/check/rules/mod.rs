//! The rule registry: every rule lives in its own file and is registered by
//! one line in the `registry!` list below.
//!
//! Adding a rule: create `rule_R_N.rs` (or `dir_4_N.rs` for a directive)
//! with a doc comment in our own words (`## What it checks`, `## Why`,
//! `## Known limits`, `## Example`), a unit struct `Check` implementing
//! [`Rule`] and `pub(super) static RULE`; add its module name below; mark
//! the guideline `enforcement = "checker"` with `by = "rule_R_N"` in
//! rules/guidelines.toml (a test keeps the two in step); and add
//! `tests/fixtures/check/R.N/{compliant,noncompliant}.c` with
//! `/* expect: R.N */` on every line that must be reported.

use super::finding::Category;
use super::source::{Emit, Program};

pub(crate) mod constant;
pub(crate) mod essential;
mod names;
mod switch;

/// One MISRA C:2012 guideline the checker enforces.
pub trait Rule: Sync {
    /// Guideline id, e.g. "15.5" or "D4.12".
    fn id(&self) -> &'static str;
    /// Category as published for the guideline.
    fn category(&self) -> Category;
    /// Our own one-line paraphrase (never the published text).
    fn summary(&self) -> &'static str;
    /// Report every violation in the checked program.
    fn check(&self, program: &Program<'_>, out: &mut Emit);
}

macro_rules! registry {
    ($($module:ident),* $(,)?) => {
        $(mod $module;)*
        /// All registered rules, in registry order.
        pub fn all() -> Vec<&'static dyn Rule> {
            vec![$(&$module::RULE),*]
        }
    };
}

registry! {
    dir_4_6,
    dir_4_9,
    dir_4_10,
    dir_4_12,
    rule_1_4,
    rule_2_1,
    rule_2_2,
    rule_2_3,
    rule_2_4,
    rule_2_5,
    rule_2_6,
    rule_2_7,
    rule_2_8,
    rule_3_1,
    rule_3_2,
    rule_4_1,
    rule_4_2,
    rule_5_1,
    rule_5_2,
    rule_5_3,
    rule_5_4,
    rule_5_5,
    rule_5_6,
    rule_5_7,
    rule_5_8,
    rule_5_9,
    rule_6_1,
    rule_6_2,
    rule_7_1,
    rule_7_2,
    rule_7_3,
    rule_7_4,
    rule_8_2,
    rule_8_4,
    rule_8_7,
    rule_8_8,
    rule_8_9,
    rule_8_10,
    rule_8_11,
    rule_8_12,
    rule_8_13,
    rule_8_14,
    rule_9_2,
    rule_9_3,
    rule_9_4,
    rule_9_5,
    rule_10_1,
    rule_10_2,
    rule_10_3,
    rule_10_4,
    rule_10_5,
    rule_10_6,
    rule_10_7,
    rule_10_8,
    rule_11_4,
    rule_11_8,
    rule_11_9,
    rule_12_1,
    rule_12_2,
    rule_12_3,
    rule_12_5,
    rule_13_1,
    rule_13_3,
    rule_13_4,
    rule_13_5,
    rule_13_6,
    rule_14_1,
    rule_14_2,
    rule_14_3,
    rule_14_4,
    rule_15_1,
    rule_15_2,
    rule_15_3,
    rule_15_4,
    rule_15_5,
    rule_15_6,
    rule_15_7,
    rule_16_2,
    rule_16_3,
    rule_16_4,
    rule_16_5,
    rule_16_6,
    rule_16_7,
    rule_17_1,
    rule_17_2,
    rule_17_4,
    rule_17_6,
    rule_17_7,
    rule_17_8,
    rule_18_4,
    rule_18_5,
    rule_18_7,
    rule_18_8,
    rule_19_2,
    rule_20_1,
    rule_20_2,
    rule_20_3,
    rule_20_4,
    rule_20_5,
    rule_20_7,
    rule_20_8,
    rule_20_9,
    rule_20_10,
    rule_20_11,
    rule_20_13,
    rule_21_1,
    rule_21_2,
    rule_21_3,
    rule_21_4,
    rule_21_5,
    rule_21_6,
    rule_21_7,
    rule_21_8,
    rule_21_9,
    rule_21_10,
    rule_21_11,
    rule_21_12,
    rule_21_21,
    rule_21_24,
}
