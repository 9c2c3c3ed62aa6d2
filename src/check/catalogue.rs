//! The Guideline Enforcement Plan as data: `rules/guidelines.toml` lists every
//! MISRA C:2012 guideline (Amendments 1-4) with its category, decidability,
//! scope, our own paraphrase, and how timber enforces it.

use serde::{Deserialize, Serialize};

use super::finding::Category;

/// The embedded catalogue text (hashed into audit bundles by its users).
pub const GUIDELINES_TOML: &str = include_str!("../../rules/guidelines.toml");

/// One guideline of the enforcement plan.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Guideline {
    /// "15.5" for a rule, "D4.12" for a directive.
    pub id: String,
    /// "mandatory" | "required" | "advisory".
    pub category: String,
    /// "decidable" | "undecidable" | "n/a" (directives).
    pub decidability: String,
    /// "unit" (single translation unit) | "system".
    pub scope: String,
    /// Our own one-line paraphrase.
    pub summary: String,
    /// "checker" | "by-construction" | "review".
    pub enforcement: String,
    /// Rule file name, test name, or reason, depending on `enforcement`.
    pub by: String,
}

impl Guideline {
    pub fn category(&self) -> Option<Category> {
        Category::parse(&self.category)
    }
}

#[derive(Deserialize)]
struct File {
    guideline: Vec<Guideline>,
}

/// Parse the embedded catalogue.
pub fn guidelines() -> anyhow::Result<Vec<Guideline>> {
    let f: File = toml::from_str(GUIDELINES_TOML)
        .map_err(|e| anyhow::anyhow!("rules/guidelines.toml is malformed: {e}"))?;
    Ok(f.guideline)
}
