//! The built-in MISRA C:2012 rule checker behind `timber check`.
//!
//! It reads C text only and knows nothing of timber's generator, so its
//! verdict is an independent check. Files are parsed with tree-sitter-c
//! (preprocessor directives are nodes of the tree, not expanded); each rule
//! lives in its own file under `rules/` and is registered by one line.
//! Findings can be covered by deviation records; the report carries a
//! Guideline Compliance Summary for every guideline of the catalogue.

pub mod catalogue;
pub mod deviation;
pub mod finding;
pub mod includes;
pub mod report;
pub mod rules;
pub mod source;
pub mod types;
pub mod walk;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use deviation::{Deviation, Recategorization};
pub use finding::{Category, Finding};
pub use report::Format;

/// Options of a check run.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Approved deviations (see `deviation::parse`).
    pub deviations: Vec<Deviation>,
    /// The re-categorization plan (see `deviation::parse_plan`).
    pub recategorizations: Vec<Recategorization>,
    /// Enter symbolic links to directories met inside the named directories
    /// (cycle-safe either way; see `walk`).
    pub follow_symlinks: bool,
    /// Directories searched for included headers (`-I`), in order.
    pub include_dirs: Vec<PathBuf>,
}

/// A region tree-sitter could not parse: rules may miss findings there.
#[derive(Clone, Debug, Serialize)]
pub struct ParseIssue {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

/// Compliance status of one guideline over the checked files.
#[derive(Clone, Debug, Serialize)]
pub struct GuidelineStatus {
    pub id: String,
    pub category: String,
    pub enforcement: String,
    /// "compliant" | "deviated" | "violations" | "disapplied" | "not checked".
    pub status: String,
    pub violations: usize,
    pub deviated: usize,
    /// Findings not reported because the guideline is disapplied.
    pub disapplied: usize,
}

/// The result of checking a set of files.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub tool: String,
    pub files: Vec<String>,
    pub findings: Vec<Finding>,
    pub parse_issues: Vec<ParseIssue>,
    /// Paths under the named directories that were not checked, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<walk::Skipped>,
    /// Headers read for their declarations only (not checked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers_read: Vec<String>,
    /// `#include`s not found (next to the file or under `-I`): the
    /// declarations they hold are unknown to the essential type model.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unresolved_includes: Vec<includes::Unresolved>,
    pub deviations: Vec<Deviation>,
    /// Deviation ids that covered no finding.
    pub unused_deviations: Vec<String>,
    pub summary: Vec<GuidelineStatus>,
    /// Navigation steps the rules took over the syntax trees (parent and
    /// ancestor lookups, subtree nodes visited): a measure of the checker's
    /// work that tests bound against the input size. Not part of any output.
    #[serde(skip)]
    pub work: u64,
}

impl Report {
    /// Findings that fail the check: mandatory or required, not deviated.
    pub fn failing(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.deviation.is_none() && f.category.fails())
            .count()
    }
}

/// The path as shown in reports: relative to the current directory when under it.
pub fn display_path(p: &Path) -> String {
    let shown = match (std::env::current_dir(), std::path::absolute(p)) {
        (Ok(cwd), Ok(abs)) => match abs.strip_prefix(&cwd) {
            Ok(rel) => rel.to_path_buf(),
            Err(_) => p.to_path_buf(),
        },
        _ => p.to_path_buf(),
    };
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Check C files and directories against every registered rule.
pub fn check_files(paths: &[PathBuf], config: &Config) -> anyhow::Result<Report> {
    let walked = walk::collect(paths, config.follow_symlinks)?;
    let mut sources = Vec::new();
    for f in &walked.files {
        let bytes =
            std::fs::read(f).map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", f.display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", f.display()))?;
        sources.push((display_path(f), text));
    }
    let (context, unresolved) = includes::gather(&walked.files, &config.include_dirs);
    let mut report = check_sources_with_context(sources, context, config)?;
    report.skipped = walked.skipped;
    report.unresolved_includes = unresolved;
    Ok(report)
}

/// Check in-memory sources given as (display path, text).
pub fn check_sources(sources: Vec<(String, String)>, config: &Config) -> anyhow::Result<Report> {
    check_sources_with_context(sources, Vec::new(), config)
}

/// Check in-memory sources, with headers (display path, text) read for
/// their declarations only.
pub fn check_sources_with_context(
    sources: Vec<(String, String)>,
    context: Vec<(String, String)>,
    config: &Config,
) -> anyhow::Result<Report> {
    let catalogue = catalogue::guidelines()?;
    let mut parsed = Vec::new();
    for (path, text) in sources {
        parsed.push(source::parse(path, text)?);
    }
    let mut headers = Vec::new();
    for (path, text) in context {
        headers.push(source::parse(path, text)?);
    }
    let program = source::Program::with_context(&parsed, &headers);
    // Rules are independent readers of the parsed program: spread them over
    // the cores. Findings are sorted below, so the result does not depend on
    // the scheduling.
    let all_rules = rules::all();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let mut findings: Vec<Finding> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (program, all_rules) = (&program, &all_rules);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for rule in all_rules.iter().skip(w).step_by(workers) {
                        let mut emit = source::Emit::new(rule.id(), rule.category());
                        rule.check(program, &mut emit);
                        out.extend(emit.findings);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    findings.sort_by(|a, b| a.key().cmp(&b.key()));
    findings.dedup_by(|a, b| a.key() == b.key());

    // The re-categorization plan: raise categories, drop disapplied findings.
    let mut disapplied: std::collections::BTreeMap<String, usize> = Default::default();
    findings.retain_mut(
        |f| match config.recategorizations.iter().find(|r| r.rule == f.rule) {
            None => true,
            Some(r) => match r.new_category() {
                Some(c) => {
                    f.category = c;
                    true
                }
                None => {
                    *disapplied.entry(f.rule.clone()).or_default() += 1;
                    false
                }
            },
        },
    );

    let mut used = std::collections::BTreeSet::new();
    for f in &mut findings {
        if let Some(d) = config.deviations.iter().find(|d| d.covers(f)) {
            f.deviation = Some(d.id.clone());
            used.insert(d.id.clone());
        }
    }
    let unused_deviations = config
        .deviations
        .iter()
        .filter(|d| !used.contains(&d.id))
        .map(|d| d.id.clone())
        .collect();

    let mut parse_issues = Vec::new();
    for u in &program.units {
        for kind in ["ERROR", "MISSING"] {
            for n in u.nodes(kind) {
                let p = n.start_position();
                parse_issues.push(ParseIssue {
                    file: u.path.to_string(),
                    line: p.row + 1,
                    col: p.column + 1,
                });
            }
        }
    }
    parse_issues.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    parse_issues.dedup_by(|a, b| (&a.file, a.line, a.col) == (&b.file, b.line, b.col));

    // (violations, deviated) per rule, in one pass over the findings.
    let mut counts: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for f in &findings {
        let c = counts.entry(f.rule.as_str()).or_default();
        if f.deviation.is_none() {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }
    let summary = catalogue
        .iter()
        .map(|g| {
            let (violations, deviated) = counts.get(g.id.as_str()).copied().unwrap_or_default();
            let recat = config.recategorizations.iter().find(|r| r.rule == g.id);
            let status = if recat.is_some_and(|r| r.new_category().is_none()) {
                "disapplied"
            } else if g.enforcement != "checker" {
                "not checked"
            } else if violations > 0 {
                "violations"
            } else if deviated > 0 {
                "deviated"
            } else {
                "compliant"
            };
            GuidelineStatus {
                id: g.id.clone(),
                category: recat
                    .map(|r| r.category.clone())
                    .unwrap_or_else(|| g.category.clone()),
                enforcement: g.enforcement.clone(),
                status: status.to_string(),
                violations,
                deviated,
                disapplied: disapplied.get(&g.id).copied().unwrap_or(0),
            }
        })
        .collect();

    Ok(Report {
        tool: format!("timber {}", env!("CARGO_PKG_VERSION")),
        files: program.units.iter().map(|u| u.path.to_string()).collect(),
        findings,
        parse_issues,
        skipped: Vec::new(),
        headers_read: headers.iter().map(|h| h.path.clone()).collect(),
        unresolved_includes: Vec::new(),
        deviations: config.deviations.clone(),
        unused_deviations,
        summary,
        work: program.units.iter().map(source::Unit::work).sum(),
    })
}
