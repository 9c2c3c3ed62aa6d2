//! Reading MC/DC results from `llvm-cov export -format=text` (export
//! format 2.x, as LLVM 19 emits it).
//!
//! Why it exists: gcc 12 has no condition coverage, so MC/DC is measured
//! with clang's source-based coverage (`-fcoverage-mcdc`). LLVM 19 lists,
//! per source file, `mcdc_records`: one per decision with two or more
//! conditions, as `[line_start, col_start, line_end, col_end,
//! expanded_file_id, region_kind, [covered per condition]]`, where
//! "covered" means an independence pair was seen for that condition (the
//! condition alone was shown to flip the decision). This module turns
//! those records into decisions and per-condition verdicts, keyed by the
//! file's base name (the export has absolute paths; the report must not).

use serde::Deserialize;

/// One decision (a boolean expression of two or more conditions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McdcDecision {
    /// Base name of the source file, e.g. `model.c`.
    pub file: String,
    pub line_start: u32,
    pub col_start: u32,
    pub line_end: u32,
    pub col_end: u32,
    /// Per condition, in source order: was an independence pair covered?
    pub conditions: Vec<bool>,
}

/// What one export holds: the decisions, and per file the MC/DC summary
/// figures llvm-cov computed itself (conditions covered, conditions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LlvmExport {
    pub decisions: Vec<McdcDecision>,
    pub summaries: Vec<(String, u64, u64)>,
    /// Decisions of one condition (a branch region inside no MC/DC
    /// decision): (file, line, both outcomes taken), sorted. For these,
    /// MC/DC equals decision coverage, and LLVM lists no MC/DC record.
    pub single: Vec<(String, u32, bool)>,
}

#[derive(Deserialize)]
struct RawExport {
    version: String,
    #[serde(rename = "type")]
    kind: String,
    data: Vec<RawData>,
}

#[derive(Deserialize)]
struct RawData {
    #[serde(default)]
    files: Vec<RawFile>,
}

#[derive(Deserialize)]
struct RawFile {
    filename: String,
    #[serde(default)]
    mcdc_records: Vec<Vec<serde_json::Value>>,
    /// `[line_start, col_start, line_end, col_end, true_count,
    /// false_count, file_id, expanded_file_id, kind]` per condition.
    #[serde(default)]
    branches: Vec<Vec<serde_json::Value>>,
    #[serde(default)]
    summary: Option<RawSummary>,
}

#[derive(Deserialize)]
struct RawSummary {
    #[serde(default)]
    mcdc: Option<RawCount>,
}

#[derive(Deserialize)]
struct RawCount {
    count: u64,
    covered: u64,
}

/// The last path component (either separator).
pub fn base_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

/// Parse an `llvm-cov export -format=text` document.
pub fn parse(text: &str) -> Result<LlvmExport, String> {
    let raw: RawExport =
        serde_json::from_str(text).map_err(|e| format!("llvm-cov export JSON: {e}"))?;
    if raw.kind != "llvm.coverage.json.export" {
        return Err(format!("llvm-cov export: unexpected type `{}`", raw.kind));
    }
    if !raw.version.starts_with("2.") {
        return Err(format!(
            "llvm-cov export format {} is not supported (2.x expected)",
            raw.version
        ));
    }
    let mut out = LlvmExport::default();
    for data in raw.data {
        for f in data.files {
            let file = base_name(&f.filename);
            let first = out.decisions.len();
            for rec in &f.mcdc_records {
                out.decisions.push(decision(&file, rec)?);
            }
            let mine = &out.decisions[first..];
            for rec in &f.branches {
                let (line, col, both) = branch(&file, rec)?;
                let inside = mine.iter().any(|d| {
                    (d.line_start, d.col_start) <= (line, col)
                        && (line, col) <= (d.line_end, d.col_end)
                });
                if !inside {
                    out.single.push((file.clone(), line, both));
                }
            }
            if let Some(m) = f.summary.and_then(|s| s.mcdc) {
                out.summaries.push((file.clone(), m.covered, m.count));
            }
        }
    }
    out.decisions.sort_by(|a, b| {
        (&a.file, a.line_start, a.col_start).cmp(&(&b.file, b.line_start, b.col_start))
    });
    out.summaries.sort();
    out.single.sort();
    Ok(out)
}

/// (line, column, both outcomes taken) of a branch record.
fn branch(file: &str, rec: &[serde_json::Value]) -> Result<(u32, u32, bool), String> {
    let bad = || format!("llvm-cov export: malformed branch record {rec:?} in {file}");
    let num = |i: usize| -> Result<u64, String> {
        rec.get(i)
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(bad)
    };
    let line = u32::try_from(num(0)?).map_err(|_| bad())?;
    let col = u32::try_from(num(1)?).map_err(|_| bad())?;
    Ok((line, col, num(4)? > 0 && num(5)? > 0))
}

fn decision(file: &str, rec: &[serde_json::Value]) -> Result<McdcDecision, String> {
    let bad = || format!("llvm-cov export: malformed mcdc record {rec:?} in {file}");
    if rec.len() < 7 {
        return Err(bad());
    }
    let num = |i: usize| -> Result<u32, String> {
        rec[i]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(bad)
    };
    let conditions = rec[6]
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|v| v.as_bool().ok_or_else(bad))
        .collect::<Result<Vec<bool>, String>>()?;
    Ok(McdcDecision {
        file: file.to_string(),
        line_start: num(0)?,
        col_start: num(1)?,
        line_end: num(2)?,
        col_end: num(3)?,
        conditions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_summary() {
        let text = r#"{"data":[{"files":[{"branches":[],"expansions":[],
            "filename":"/tmp/x/a.c","mcdc_records":[[3,7,3,25,0,5,[true,false]]],
            "segments":[],"summary":{"mcdc":{"count":2,"covered":1,"notcovered":1,"percent":50}}}],
            "functions":[],"totals":{}}],"type":"llvm.coverage.json.export","version":"2.0.1"}"#;
        let e = parse(text).expect("parses");
        assert_eq!(e.decisions.len(), 1);
        assert_eq!(e.decisions[0].file, "a.c");
        assert_eq!(e.decisions[0].conditions, vec![true, false]);
        assert_eq!((e.decisions[0].line_start, e.decisions[0].col_end), (3, 25));
        assert_eq!(e.summaries, vec![("a.c".to_string(), 1, 2)]);
    }

    #[test]
    fn rejects_other_versions_and_shapes() {
        assert!(
            parse(r#"{"data":[],"type":"llvm.coverage.json.export","version":"3.0.0"}"#).is_err()
        );
        let short = r#"{"data":[{"files":[{"filename":"a.c","mcdc_records":[[1,2,3]]}]}],
            "type":"llvm.coverage.json.export","version":"2.0.1"}"#;
        assert!(parse(short).is_err());
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name("/a/b/model.c"), "model.c");
        assert_eq!(base_name("model.c"), "model.c");
        assert_eq!(base_name("C:\\x\\model.c"), "model.c");
    }
}
