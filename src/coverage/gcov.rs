//! Reading gcov's JSON intermediate format (`gcov --json-format --stdout`,
//! format version 1, as gcc 12 emits it).
//!
//! Why it exists: statement and branch coverage come from gcc's own
//! instrumentation (`--coverage`), the tool assessors know; this module
//! turns gcov's per-line execution and branch counts into plain numbers,
//! without any path from the build machine. gcc 12 writes the JSON to a
//! gzip file by default; with `--stdout` it prints it instead (one JSON
//! document per data file), which is what timber runs, so no gunzip step
//! is needed.

use serde::Deserialize;

/// One source file of a gcov JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GcovFile {
    /// The file name as gcov reports it (relative to the build directory
    /// when compiled with a relative name).
    pub file: String,
    /// Executable lines, sorted by line number, one entry per line.
    pub lines: Vec<GcovLine>,
}

/// One executable line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GcovLine {
    pub line: u32,
    /// How many times the line ran.
    pub count: u64,
    /// The line's branch arcs, in gcov's order (none without `-b`).
    pub branches: Vec<GcovBranch>,
}

/// One branch arc of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GcovBranch {
    /// How many times the arc was taken.
    pub count: u64,
    /// The arc that falls through (the `if` condition's true side, usually).
    pub fallthrough: bool,
    /// An exception arc (never in C).
    pub throw: bool,
}

/// A parsed gcov run: the gcc version it names and its files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GcovOutput {
    pub gcc_version: String,
    pub files: Vec<GcovFile>,
}

#[derive(Deserialize)]
struct RawDoc {
    #[serde(default)]
    gcc_version: String,
    #[serde(default)]
    format_version: Option<String>,
    #[serde(default)]
    files: Vec<RawFile>,
}

#[derive(Deserialize)]
struct RawFile {
    file: String,
    #[serde(default)]
    lines: Vec<RawLine>,
}

#[derive(Deserialize)]
struct RawLine {
    line_number: u32,
    count: u64,
    #[serde(default)]
    branches: Vec<RawBranch>,
}

#[derive(Deserialize)]
struct RawBranch {
    count: u64,
    #[serde(default)]
    fallthrough: bool,
    #[serde(default)]
    throw: bool,
}

/// Parse gcov's `--json-format --stdout` output: one or more JSON
/// documents, one after the other. Files named in several documents are
/// merged (counts added), lines named twice in a file too.
pub fn parse(text: &str) -> Result<GcovOutput, String> {
    let mut out = GcovOutput::default();
    let mut docs = 0usize;
    for doc in serde_json::Deserializer::from_str(text).into_iter::<RawDoc>() {
        let doc = doc.map_err(|e| format!("gcov JSON: {e}"))?;
        docs += 1;
        if let Some(v) = &doc.format_version {
            if v != "1" && v != "2" {
                return Err(format!("gcov JSON format version {v} is not supported"));
            }
        }
        if out.gcc_version.is_empty() {
            out.gcc_version = doc.gcc_version.clone();
        }
        for f in doc.files {
            let lines: Vec<GcovLine> = f
                .lines
                .into_iter()
                .map(|l| GcovLine {
                    line: l.line_number,
                    count: l.count,
                    branches: l
                        .branches
                        .into_iter()
                        .map(|b| GcovBranch {
                            count: b.count,
                            fallthrough: b.fallthrough,
                            throw: b.throw,
                        })
                        .collect(),
                })
                .collect();
            match out.files.iter_mut().find(|g| g.file == f.file) {
                Some(g) => g.lines.extend(lines),
                None => out.files.push(GcovFile {
                    file: f.file,
                    lines,
                }),
            }
        }
    }
    if docs == 0 {
        return Err("gcov printed no JSON".to_string());
    }
    for f in &mut out.files {
        f.lines = merge_lines(std::mem::take(&mut f.lines));
    }
    out.files.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(out)
}

/// Sort by line and merge duplicates: counts add up, and branch arcs add
/// up position by position (the same line seen from two data files).
fn merge_lines(mut lines: Vec<GcovLine>) -> Vec<GcovLine> {
    lines.sort_by_key(|l| l.line);
    let mut merged: Vec<GcovLine> = Vec::with_capacity(lines.len());
    for l in lines {
        match merged.last_mut() {
            Some(m) if m.line == l.line => {
                m.count += l.count;
                if m.branches.len() == l.branches.len() {
                    for (a, b) in m.branches.iter_mut().zip(&l.branches) {
                        a.count += b.count;
                    }
                } else {
                    m.branches.extend(l.branches);
                }
            }
            _ => merged.push(l),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"gcc_version": "12.2.0", "files": [{"lines": [
        {"branches": [], "count": 1, "line_number": 2, "unexecuted_block": false, "function_name": "f"},
        {"branches": [{"fallthrough": true, "count": 1, "throw": false},
                      {"fallthrough": false, "count": 0, "throw": false}],
         "count": 1, "line_number": 3, "unexecuted_block": true, "function_name": "f"}],
        "functions": [], "file": "a.c"}], "format_version": "1",
        "current_working_directory": "/somewhere", "data_file": "a.gcda"}"#;

    #[test]
    fn one_document() {
        let g = parse(DOC).expect("parses");
        assert_eq!(g.gcc_version, "12.2.0");
        assert_eq!(g.files.len(), 1);
        assert_eq!(g.files[0].file, "a.c");
        assert_eq!(g.files[0].lines.len(), 2);
        assert_eq!(g.files[0].lines[1].branches[1].count, 0);
        assert!(g.files[0].lines[1].branches[0].fallthrough);
    }

    #[test]
    fn documents_in_sequence_merge() {
        let two = format!("{DOC}\n{DOC}\n");
        let g = parse(&two).expect("parses");
        assert_eq!(g.files.len(), 1);
        assert_eq!(g.files[0].lines.len(), 2);
        assert_eq!(g.files[0].lines[0].count, 2);
        assert_eq!(g.files[0].lines[1].branches[0].count, 2);
    }

    #[test]
    fn rejects_garbage_and_empty() {
        assert!(parse("").is_err());
        assert!(parse("File 'a.c'\nLines executed").is_err());
        assert!(parse(r#"{"format_version": "9", "files": []}"#).is_err());
    }
}
