//! The rule registry: every rule lives in its own file and is registered by
//! one line in the `registry!` list below.

use super::finding::Category;
use super::source::{Emit, Program};

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
    rule_15_1,
}
