//! Warning-free builds as evidence: the record certify writes to
//! `build/warnings.json` and the `build:<target>` requirement rows derived
//! from it.
//!
//! Each verified target's compiler compiles every generated `.c` file with
//! the target's own flags plus [`STRICT_FLAGS`] (`-Werror` among them); on
//! the host clang compiles them again with `-Weverything` minus
//! [`CLANG_EXCLUDED`]. The record keeps each command line and everything
//! the compiler printed. The rows are recomputed from the record by
//! `audit verify`: a target passes only when its record carries the full
//! flag set (a weakened set fails), covers every `.c` file of the bundle's
//! `src/`, and every compilation printed nothing. A failing row names the
//! file, line and warning of each diagnostic.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::layout;
use super::record::{Requirement, Status};
pub use crate::verify::warnings::{CLANG_EXCLUDED, STRICT_FLAGS};

/// The flag that turns on every clang warning.
pub const EVERYTHING: &str = "-Weverything";

/// The bundle file (`build/warnings.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningsRecord {
    pub schema_version: u32,
    /// The warning set every target's compiler applies ([`STRICT_FLAGS`]).
    pub strict_flags: Vec<String>,
    /// clang `-Weverything` exclusions on the host, each with its reason.
    pub clang_excluded: Vec<Exclusion>,
    /// One entry per compiler pass, in target order (the host has two:
    /// its gcc with the strict set, clang with `-Weverything`).
    pub builds: Vec<WarningsBuild>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub flag: String,
    pub reason: String,
}

/// One compiler's pass over the generated files for one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningsBuild {
    pub target: String,
    pub compiler: String,
    /// First line of the compiler's `--version`.
    pub compiler_version: String,
    /// The warning flags added to the target's own flags.
    pub warning_flags: Vec<String>,
    pub runs: Vec<WarningsRun>,
}

/// One compilation of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningsRun {
    pub file: String,
    /// The command line, relative paths only.
    pub command: String,
    /// The compiler's exit code (None when it was killed or timed out).
    pub exit_code: Option<i32>,
    /// Everything the compiler printed on stderr (empty when clean).
    pub diagnostics: String,
}

impl WarningsRun {
    fn clean(&self) -> bool {
        self.exit_code == Some(0) && self.diagnostics.trim().is_empty()
    }
}

impl WarningsRecord {
    /// The record's fixed part: this timber's flag sets.
    pub fn new(builds: Vec<WarningsBuild>) -> WarningsRecord {
        WarningsRecord {
            schema_version: 1,
            strict_flags: STRICT_FLAGS.iter().map(|s| s.to_string()).collect(),
            clang_excluded: CLANG_EXCLUDED
                .iter()
                .map(|(flag, reason)| Exclusion {
                    flag: flag.to_string(),
                    reason: reason.to_string(),
                })
                .collect(),
            builds,
        }
    }
}

/// `file:line: warning text [option]` of each diagnostic the compiler
/// printed in `text` (gcc and clang print `file:line:col: kind: text`);
/// the first line of `text` when none has that form.
pub fn diagnostic_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(4, ':');
        let (Some(file), Some(l), Some(_col), Some(rest)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if l.parse::<u32>().is_err() {
            continue;
        }
        let rest = rest.trim();
        let Some(msg) = ["error:", "warning:"]
            .iter()
            .find_map(|k| rest.strip_prefix(k))
        else {
            continue;
        };
        out.push(format!("{file}:{l}: {}", msg.trim()));
    }
    if out.is_empty() {
        if let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) {
            out.push(first.to_string());
        }
    }
    out
}

/// The `build:<target>` rows of `targets`, from `build/warnings.json` of
/// `files`. A target missing from the record fails its row.
pub fn rows(
    files: &BTreeMap<String, Vec<u8>>,
    targets: &[String],
) -> Result<Vec<Requirement>, super::requirements::EvidenceError> {
    let bad = |message: String| super::requirements::EvidenceError {
        file: layout::WARNINGS.into(),
        message,
    };
    let record: Option<WarningsRecord> = match files.get(layout::WARNINGS) {
        Some(bytes) => Some(
            serde_json::from_slice(bytes)
                .map_err(|e| bad(format!("not the evidence certify writes: {e}")))?,
        ),
        None => None,
    };
    let sources: Vec<String> = files
        .keys()
        .filter_map(|k| k.strip_prefix(&format!("{}/", layout::SOURCES_DIR)))
        .filter(|n| n.ends_with(".c"))
        .map(str::to_string)
        .collect();
    Ok(targets
        .iter()
        .map(|t| row(record.as_ref(), t, &sources))
        .collect())
}

fn row(record: Option<&WarningsRecord>, target: &str, sources: &[String]) -> Requirement {
    let host = target == "host";
    let strict = STRICT_FLAGS.join(" ");
    let mut demanded = format!(
        "every generated .c file compiled with the target's flags plus {strict}: no diagnostic"
    );
    if host {
        let excluded: Vec<&str> = CLANG_EXCLUDED.iter().map(|(f, _)| *f).collect();
        demanded.push_str(&format!(
            "; and by clang {EVERYTHING} {} -Werror",
            excluded.join(" ")
        ));
    }
    let mut problems: Vec<String> = Vec::new();
    let mut compilers: Vec<String> = Vec::new();
    match record {
        None => problems.push(format!("not built: {} is missing", layout::WARNINGS)),
        Some(r) => {
            let builds: Vec<&WarningsBuild> =
                r.builds.iter().filter(|b| b.target == target).collect();
            let strict_build = builds
                .iter()
                .find(|b| !b.warning_flags.iter().any(|f| f == EVERYTHING));
            let clang_build = builds
                .iter()
                .find(|b| b.warning_flags.iter().any(|f| f == EVERYTHING));
            let mut wanted: Vec<(&str, Option<&&WarningsBuild>)> =
                vec![("the strict warning build", strict_build)];
            if host {
                wanted.push(("the clang -Weverything build", clang_build));
            }
            for (what, b) in wanted {
                match b {
                    None => problems.push(format!("{what} is not recorded")),
                    Some(b) => {
                        compilers.push(b.compiler.clone());
                        problems.extend(check_build(b, sources));
                    }
                }
            }
        }
    }
    let measured = if problems.is_empty() {
        format!(
            "{} files, no warning ({})",
            sources.len(),
            compilers.join(", ")
        )
    } else {
        problems.join("; ")
    };
    Requirement {
        id: format!("build:{target}"),
        title: format!("Warning-free build on {target}"),
        demanded,
        measured,
        status: Status::from_bool(problems.is_empty()),
        evidence: vec![layout::WARNINGS.into()],
    }
}

/// What is wrong with one build: a flag of the set missing, a file not
/// compiled, each diagnostic printed.
fn check_build(b: &WarningsBuild, sources: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let required: Vec<String> = if b.warning_flags.iter().any(|f| f == EVERYTHING) {
        let mut v = vec![EVERYTHING.to_string(), "-Werror".to_string()];
        // Exclusions beyond the documented list weaken the set.
        for f in &b.warning_flags {
            if f.starts_with("-Wno-") && !CLANG_EXCLUDED.iter().any(|(x, _)| x == f) {
                problems.push(format!(
                    "{}: {f} is not among the documented -Weverything exclusions",
                    b.compiler
                ));
            }
        }
        v.sort();
        v
    } else {
        STRICT_FLAGS.iter().map(|s| s.to_string()).collect()
    };
    let missing: Vec<&str> = required
        .iter()
        .filter(|f| !b.warning_flags.contains(f))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{}: flag set lacks {}",
            b.compiler,
            missing.join(" ")
        ));
    }
    for s in sources {
        match b.runs.iter().find(|r| &r.file == s) {
            None => problems.push(format!("{}: {s} was not compiled", b.compiler)),
            Some(r) if !r.clean() => {
                let lines = diagnostic_lines(&r.diagnostics);
                if lines.is_empty() {
                    problems.push(format!(
                        "{}: {s} failed (exit {:?}) without a diagnostic",
                        b.compiler, r.exit_code
                    ));
                }
                problems.extend(lines.into_iter().map(|l| format!("{}: {l}", b.compiler)));
            }
            Some(_) => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcc_and_clang_diagnostics_name_file_line_and_warning() {
        let gcc = "model.c: In function 'timber_planted':\n\
model.c:812:54: error: conversion from 'double' to 'float' may change value [-Werror=float-conversion]\n\
  812 | float timber_planted(double d) { return d; }\n\
cc1: all warnings being treated as errors\n";
        assert_eq!(
            diagnostic_lines(gcc),
            vec![
                "model.c:812: conversion from 'double' to 'float' may change value [-Werror=float-conversion]"
            ]
        );
        let clang =
            "model.c:9:1: warning: no previous prototype for function 'f' [-Wmissing-prototypes]\n";
        assert_eq!(
            diagnostic_lines(clang),
            vec!["model.c:9: no previous prototype for function 'f' [-Wmissing-prototypes]"]
        );
        assert_eq!(
            diagnostic_lines("cc1: out of memory\n"),
            vec!["cc1: out of memory"]
        );
    }

    fn files_with(record: &WarningsRecord) -> BTreeMap<String, Vec<u8>> {
        let mut f = BTreeMap::new();
        f.insert("src/model.c".into(), b"x".to_vec());
        f.insert("src/model.h".into(), b"x".to_vec());
        f.insert(
            layout::WARNINGS.into(),
            serde_json::to_vec(record).expect("json"),
        );
        f
    }

    fn build(target: &str, flags: &[&str], diagnostics: &str) -> WarningsBuild {
        WarningsBuild {
            target: target.into(),
            compiler: "cc".into(),
            compiler_version: String::new(),
            warning_flags: flags.iter().map(|s| s.to_string()).collect(),
            runs: vec![WarningsRun {
                file: "model.c".into(),
                command: String::new(),
                exit_code: Some(if diagnostics.is_empty() { 0 } else { 1 }),
                diagnostics: diagnostics.into(),
            }],
        }
    }

    #[test]
    fn a_weakened_flag_set_a_missing_file_or_clang_pass_fails_the_row() {
        let ok = WarningsRecord::new(vec![build("m", STRICT_FLAGS, "")]);
        let r = rows(&files_with(&ok), &["m".into()]).expect("rows");
        assert_eq!(r[0].status, Status::Pass, "{:?}", r[0]);
        let weak = WarningsRecord::new(vec![build("m", &STRICT_FLAGS[..4], "")]);
        let r = rows(&files_with(&weak), &["m".into()]).expect("rows");
        assert_eq!(r[0].status, Status::Fail);
        assert!(r[0].measured.contains("lacks -Wconversion"), "{:?}", r[0]);
        // The host needs the clang pass too.
        let host = WarningsRecord::new(vec![build("host", STRICT_FLAGS, "")]);
        let r = rows(&files_with(&host), &["host".into()]).expect("rows");
        assert!(r[0]
            .measured
            .contains("clang -Weverything build is not recorded"));
        let mut extra = build("host", &[EVERYTHING, "-Wno-float-equal", "-Werror"], "");
        extra.compiler = "clang".into();
        let host = WarningsRecord::new(vec![build("host", STRICT_FLAGS, ""), extra]);
        let r = rows(&files_with(&host), &["host".into()]).expect("rows");
        assert!(
            r[0].measured.contains("-Wno-float-equal is not among"),
            "{:?}",
            r[0]
        );
        let mut none = build("m", STRICT_FLAGS, "");
        none.runs.clear();
        let r = rows(&files_with(&WarningsRecord::new(vec![none])), &["m".into()]).expect("rows");
        assert!(r[0].measured.contains("model.c was not compiled"));
    }
}
