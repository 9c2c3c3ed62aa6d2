//! Deviation records (MISRA Compliance:2020 style): a TOML file of
//! `[[deviation]]` tables, each naming a rule, the files (a glob), and
//! optionally a function and a line it covers, with a rationale and who
//! approved it. A mandatory guideline can never be deviated.

use serde::{Deserialize, Serialize};

use super::catalogue::Guideline;
use super::finding::{Category, Finding};

/// One approved deviation.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    pub id: String,
    pub rule: String,
    /// Glob over the displayed finding path, e.g. "src/*.c".
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub rationale: String,
    pub approved_by: String,
    #[serde(skip)]
    pattern: Option<glob::Pattern>,
}

/// One re-categorization of a guideline (MISRA Compliance:2020 style):
/// `[[recategorize]] rule = "R.N", category = "required"`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Recategorization {
    pub rule: String,
    /// "mandatory" | "required" | "disapplied".
    pub category: String,
}

impl Recategorization {
    /// The new category; None when the guideline is disapplied.
    pub fn new_category(&self) -> Option<Category> {
        Category::parse(&self.category)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    deviation: Vec<Deviation>,
    #[serde(default)]
    recategorize: Vec<Recategorization>,
}

/// Parse and validate a deviations file against the guideline catalogue.
pub fn parse(text: &str, origin: &str, catalogue: &[Guideline]) -> anyhow::Result<Vec<Deviation>> {
    Ok(parse_plan(text, origin, catalogue)?.0)
}

/// Parse a deviations file with its re-categorization plan. Only upward
/// changes are allowed (advisory to required or mandatory, required to
/// mandatory), and an advisory guideline may be disapplied; a mandatory
/// guideline never changes. Anything else is an error naming the entry.
pub fn parse_plan(
    text: &str,
    origin: &str,
    catalogue: &[Guideline],
) -> anyhow::Result<(Vec<Deviation>, Vec<Recategorization>)> {
    let f: File = toml::from_str(text)
        .map_err(|e| anyhow::anyhow!("{origin}: not a deviations file: {e}"))?;
    let mut recats: Vec<Recategorization> = Vec::new();
    for (i, r) in f.recategorize.into_iter().enumerate() {
        let entry = format!("{origin}: recategorize entry {} (rule {:?})", i + 1, r.rule);
        let Some(g) = catalogue.iter().find(|g| g.id == r.rule) else {
            anyhow::bail!("{entry}: unknown guideline");
        };
        if recats.iter().any(|o| o.rule == r.rule) {
            anyhow::bail!("{entry}: the guideline is re-categorized twice");
        }
        let from = g
            .category()
            .ok_or_else(|| anyhow::anyhow!("{entry}: the catalogue category is malformed"))?;
        let allowed = matches!(
            (from, r.category.as_str()),
            (Category::Advisory, "required" | "mandatory" | "disapplied")
                | (Category::Required, "mandatory")
        );
        if !allowed {
            anyhow::bail!(
                "{entry}: {} cannot become {:?}: only advisory -> required/mandatory/disapplied and required -> mandatory are allowed; mandatory never changes",
                from.as_str(),
                r.category
            );
        }
        recats.push(r);
    }
    let mut out = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for mut d in f.deviation {
        if !ids.insert(d.id.clone()) {
            anyhow::bail!("{origin}: deviation id {:?} is used twice", d.id);
        }
        let Some(g) = catalogue.iter().find(|g| g.id == d.rule) else {
            anyhow::bail!(
                "{origin}: deviation {}: unknown guideline {:?}",
                d.id,
                d.rule
            );
        };
        let raised = recats
            .iter()
            .any(|r| r.rule == d.rule && r.category == "mandatory");
        if g.category() == Some(Category::Mandatory) || raised {
            anyhow::bail!(
                "{origin}: deviation {}: guideline {} is mandatory and can never be deviated",
                d.id,
                d.rule
            );
        }
        if d.rationale.trim().is_empty() || d.approved_by.trim().is_empty() {
            anyhow::bail!(
                "{origin}: deviation {}: rationale and approved_by must not be empty",
                d.id
            );
        }
        let pattern = glob::Pattern::new(&d.file)
            .map_err(|e| anyhow::anyhow!("{origin}: deviation {}: bad file glob: {e}", d.id))?;
        d.pattern = Some(pattern);
        out.push(d);
    }
    Ok((out, recats))
}

impl Deviation {
    /// Does this deviation cover the finding?
    pub fn covers(&self, f: &Finding) -> bool {
        if self.rule != f.rule {
            return false;
        }
        if let Some(p) = &self.pattern {
            if !p.matches(&f.file) {
                return false;
            }
        }
        if let Some(func) = &self.function {
            if f.function.as_deref() != Some(func.as_str()) {
                return false;
            }
        }
        if let Some(line) = self.line {
            if f.line != line {
                return false;
            }
        }
        true
    }
}
