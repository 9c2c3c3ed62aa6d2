//! The MISRA review record: for each guideline the checker does not decide
//! (enforcement `review` or `by-construction` in rules/guidelines.toml), a
//! reviewer's verdict on the generated C with the rationale, the evidence
//! and who reviewed it when.
//!
//! timber ships one record, [`SHIPPED`] (rules/review/generated-code.toml):
//! why each of those guidelines holds for every file the generator can
//! emit, naming the template property and the test that shows it. It is
//! the maintainers' argument, not the user's review: a user's reviewer
//! countersigns a copy (their name and date in every entry) and gives it
//! to `timber certify --review FILE`. Without `--review` the shipped record
//! applies and the misra row says so.
//!
//! Format (TOML): an optional `[record]` table (`title`, `owner`), then one
//! `[[entry]]` per guideline with `guideline`, `verdict` (`compliant`,
//! `not-applicable` or `deviated`), `rationale`, `evidence` (a list of
//! references; a test is named `tests/FILE.rs::function`), `reviewer` and
//! `date` (YYYY-MM-DD). Every error names the file, the line and the field.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

use crate::check::catalogue::Guideline;

/// The record timber ships (embedded: one binary, one record).
pub const SHIPPED: &str = include_str!("../../rules/review/generated-code.toml");
/// Where the shipped record lives in the source tree (named in messages).
pub const SHIPPED_PATH: &str = "rules/review/generated-code.toml";

/// A reviewer's verdict on one guideline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Compliant,
    NotApplicable,
    Deviated,
}

impl Verdict {
    pub const ALL: [&'static str; 3] = ["compliant", "not-applicable", "deviated"];

    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "compliant" => Some(Verdict::Compliant),
            "not-applicable" => Some(Verdict::NotApplicable),
            "deviated" => Some(Verdict::Deviated),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Compliant => "compliant",
            Verdict::NotApplicable => "not-applicable",
            Verdict::Deviated => "deviated",
        }
    }
}

/// One reviewed guideline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub guideline: String,
    pub verdict: Verdict,
    pub rationale: String,
    pub evidence: Vec<String>,
    pub reviewer: String,
    pub date: String,
    /// Line of the entry's `guideline` field in its file.
    pub line: usize,
}

impl Entry {
    /// The tests the evidence names (`tests/FILE.rs::function`).
    pub fn tests(&self) -> Vec<&str> {
        self.evidence
            .iter()
            .map(String::as_str)
            .filter(|e| is_test_reference(e))
            .collect()
    }
}

/// `tests/FILE.rs::function`, the form a named test takes in `evidence`.
pub fn is_test_reference(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("tests/") else {
        return false;
    };
    let Some((file, func)) = rest.split_once(".rs::") else {
        return false;
    };
    !file.is_empty()
        && !func.is_empty()
        && func.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A parsed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub title: String,
    pub owner: String,
    /// By guideline id.
    pub entries: BTreeMap<String, Entry>,
}

impl Record {
    /// Reviewers named in the entries, sorted, once each.
    pub fn reviewers(&self) -> Vec<&str> {
        let mut r: Vec<&str> = self.entries.values().map(|e| e.reviewer.as_str()).collect();
        r.sort_unstable();
        r.dedup();
        r
    }
}

/// A record that cannot be used: names the file, the line and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {message}")]
pub struct ReviewError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    record: Option<RawHeader>,
    #[serde(default)]
    entry: Vec<Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    guideline: Spanned<String>,
    verdict: Spanned<String>,
    rationale: Spanned<String>,
    evidence: Spanned<Vec<String>>,
    reviewer: Spanned<String>,
    date: Spanned<String>,
}

fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Parse the record `text` read from `origin` against the catalogue:
/// every entry names a guideline the checker does not decide, once; the
/// verdict is one of [`Verdict::ALL`]; rationale, evidence and reviewer
/// are not empty; the date is YYYY-MM-DD.
pub fn parse(text: &str, origin: &str, catalogue: &[Guideline]) -> Result<Record, ReviewError> {
    let err = |offset: usize, field: &str, message: String| ReviewError {
        file: origin.to_string(),
        line: line_at(text, offset),
        field: field.to_string(),
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("field"))
            .unwrap_or("(syntax)")
            .to_string();
        err(offset, &field, message)
    })?;
    let by_id: BTreeMap<&str, &Guideline> = catalogue.iter().map(|g| (g.id.as_str(), g)).collect();
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for e in raw.entry {
        let e = e.into_inner();
        let id = e.guideline.get_ref().trim().to_string();
        let at = e.guideline.span().start;
        let Some(g) = by_id.get(id.as_str()) else {
            return Err(err(
                at,
                "guideline",
                format!("{id:?} is not a MISRA C:2012 guideline of rules/guidelines.toml"),
            ));
        };
        if g.enforcement == "checker" {
            return Err(err(
                at,
                "guideline",
                format!(
                    "{id} is decided by timber's rule checker ({}); a review entry cannot \
                     replace it (deviate its findings with --deviations)",
                    g.by
                ),
            ));
        }
        if let Some(first) = entries.get(&id) {
            return Err(err(
                at,
                "guideline",
                format!(
                    "{id} has a second entry (the first is at line {})",
                    first.line
                ),
            ));
        }
        let verdict = Verdict::parse(e.verdict.get_ref().trim()).ok_or_else(|| {
            err(
                e.verdict.span().start,
                "verdict",
                format!(
                    "{:?} is not one of {}",
                    e.verdict.get_ref(),
                    Verdict::ALL.join(", ")
                ),
            )
        })?;
        for (name, v) in [
            ("rationale", &e.rationale),
            ("reviewer", &e.reviewer),
            ("date", &e.date),
        ] {
            if v.get_ref().trim().is_empty() {
                return Err(err(v.span().start, name, "is empty".into()));
            }
        }
        if e.evidence.get_ref().iter().all(|s| s.trim().is_empty()) {
            return Err(err(
                e.evidence.span().start,
                "evidence",
                "names no evidence (a template property, a test `tests/FILE.rs::function`, a document)"
                    .into(),
            ));
        }
        let date = e.date.get_ref().trim();
        if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() || date.len() != 10 {
            return Err(err(
                e.date.span().start,
                "date",
                format!("{date:?} is not a date YYYY-MM-DD"),
            ));
        }
        entries.insert(
            id.clone(),
            Entry {
                guideline: id,
                verdict,
                rationale: e.rationale.get_ref().trim().to_string(),
                evidence: e.evidence.get_ref().clone(),
                reviewer: e.reviewer.get_ref().trim().to_string(),
                date: date.to_string(),
                line: line_at(text, at),
            },
        );
    }
    let header = raw.record.unwrap_or(RawHeader {
        title: String::new(),
        owner: String::new(),
    });
    Ok(Record {
        title: header.title,
        owner: header.owner,
        entries,
    })
}

/// Is `text` byte for byte the record timber ships?
pub fn is_shipped(text: &[u8]) -> bool {
    text == SHIPPED.as_bytes()
}
