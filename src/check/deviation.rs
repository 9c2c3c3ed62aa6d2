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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    deviation: Vec<Deviation>,
}

/// Parse and validate a deviations file against the guideline catalogue.
pub fn parse(text: &str, origin: &str, catalogue: &[Guideline]) -> anyhow::Result<Vec<Deviation>> {
    let f: File = toml::from_str(text)
        .map_err(|e| anyhow::anyhow!("{origin}: not a deviations file: {e}"))?;
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
        if g.category() == Some(Category::Mandatory) {
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
    Ok(out)
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
