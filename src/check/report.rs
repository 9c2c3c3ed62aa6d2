//! Writes a `Report` as text (rustc/ruff style), JSON (sorted, stable) or
//! SARIF 2.1.0 (for GitHub code scanning).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::catalogue::Guideline;
use super::finding::Category;
use super::Report;

/// Output format of `timber check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// Render the report in the chosen format.
pub fn render(report: &Report, format: Format, catalogue: &[Guideline]) -> anyhow::Result<String> {
    match format {
        Format::Text => Ok(text(report)),
        Format::Json => Ok(serde_json::to_string_pretty(report)? + "\n"),
        Format::Sarif => Ok(serde_json::to_string_pretty(&sarif(report, catalogue))? + "\n"),
    }
}

/// Human-readable report: one block per finding, then the compliance summary.
pub fn text(report: &Report) -> String {
    let mut s = String::new();
    for f in &report.findings {
        let _ = write!(
            s,
            "{}:{}:{}: [{} {}] {}",
            f.file,
            f.line,
            f.col,
            f.rule,
            f.category.as_str(),
            f.message
        );
        if let Some(d) = &f.deviation {
            let _ = write!(s, " (deviated: {d})");
        }
        s.push('\n');
        if !f.hint.is_empty() {
            let _ = writeln!(s, "  = hint: {}", f.hint);
        }
    }
    for p in &report.parse_issues {
        let _ = writeln!(
            s,
            "{}:{}:{}: note: the C parser could not read this region; rules may miss findings here",
            p.file, p.line, p.col
        );
    }
    for k in &report.skipped {
        let _ = writeln!(s, "{}: note: not checked: {}", k.path, k.reason);
    }
    for i in &report.unresolved_includes {
        let _ = writeln!(
            s,
            "{}:{}: note: header \"{}\" not found (add its directory with -I); types it declares are unknown to the essential type rules",
            i.file, i.line, i.header
        );
    }
    for d in &report.unused_deviations {
        let _ = writeln!(s, "note: deviation {d} covers no finding");
    }
    let _ = writeln!(s, "\nGuideline Compliance Summary (checked guidelines):");
    let mut not_checked = 0;
    for g in &report.summary {
        if g.status == "not checked" {
            not_checked += 1;
            continue;
        }
        let _ = writeln!(
            s,
            "  {:<7} {:<10} {:<11} violations {:>4}  deviated {:>4}{}",
            g.id,
            g.category,
            g.status,
            g.violations,
            g.deviated,
            if g.disapplied > 0 {
                format!("  disapplied {:>4}", g.disapplied)
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(
        s,
        "  {not_checked} further guidelines are not checked by this tool (by construction or by review; see rules/guidelines.toml)"
    );
    let deviated = report
        .findings
        .iter()
        .filter(|f| f.deviation.is_some())
        .count();
    let _ = writeln!(
        s,
        "{} file(s), {} finding(s), {} deviated, {} failing (mandatory/required)",
        report.files.len(),
        report.findings.len(),
        deviated,
        report.failing()
    );
    s
}

fn level(c: Category) -> &'static str {
    match c {
        Category::Mandatory => "error",
        Category::Required => "error",
        Category::Advisory => "warning",
    }
}

/// SARIF 2.1.0 log with one run; rules are those with findings or enforced by the checker.
pub fn sarif(report: &Report, catalogue: &[Guideline]) -> Value {
    let checked: Vec<&Guideline> = catalogue
        .iter()
        .filter(|g| g.enforcement == "checker")
        .collect();
    let rules: Vec<Value> = checked
        .iter()
        .map(|g| {
            json!({
                "id": g.id,
                "name": format!("MisraC2012_{}", g.id.replace('.', "_")),
                "shortDescription": { "text": g.summary },
                "fullDescription": { "text": g.summary },
                "defaultConfiguration": { "level": Category::parse(&g.category).map(level).unwrap_or("note") },
                "properties": { "category": g.category, "tags": ["misra-c2012", g.category] }
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = checked.iter().position(|g| g.id == f.rule);
            let mut r = json!({
                "ruleId": f.rule,
                "level": if f.deviation.is_some() { "note" } else { level(f.category) },
                "message": { "text": if f.hint.is_empty() { f.message.clone() } else { format!("{} ({})", f.message, f.hint) } },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": f.line, "startColumn": f.col }
                    }
                }],
                "properties": { "category": f.category.as_str() }
            });
            if let (Some(i), Some(obj)) = (index, r.as_object_mut()) {
                obj.insert("ruleIndex".into(), json!(i));
            }
            if let (Some(d), Some(obj)) = (&f.deviation, r.as_object_mut()) {
                obj.insert(
                    "suppressions".into(),
                    json!([{ "kind": "external", "status": "accepted", "justification": format!("deviation {d}") }]),
                );
            }
            r
        })
        .collect();
    let mut log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "timber-check",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "results": results
        }]
    });
    // Skipped paths become notifications of the run's invocation (absent
    // when nothing was skipped, so such logs are unchanged).
    if let (Some(inv), Some(run)) = (invocation(report), log["runs"][0].as_object_mut()) {
        run.insert("invocations".into(), json!([inv]));
    }
    log
}

/// The run's invocation when paths were skipped: one notification each.
fn invocation(report: &Report) -> Option<Value> {
    let notes: Vec<Value> = report
        .skipped
        .iter()
        .map(|k| {
            json!({
                "level": "note",
                "message": { "text": format!("not checked: {}", k.reason) },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": k.path, "uriBaseId": "%SRCROOT%" } } }]
            })
        })
        .collect();
    (!notes.is_empty())
        .then(|| json!({ "executionSuccessful": true, "toolExecutionNotifications": notes }))
}
