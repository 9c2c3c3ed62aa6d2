//! Runs every rule fixture under tests/fixtures/check/<rule>/ and asserts
//! that the findings are exactly the `expect:` annotations, both ways: no
//! finding missing, none extra. An annotation is a comment on the line of
//! the expected finding, e.g. `/* expect: 15.5 */` or `/* expect: 15.5, 17.7 */`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use timber::check::{self, rules};

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check")
}

fn expectations(text: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(pos) = line.find("expect:") {
            let rest = &line[pos + "expect:".len()..];
            let rest = rest.split("*/").next().unwrap_or(rest);
            for id in rest
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                out.insert((i + 1, id.to_string()));
            }
        }
    }
    out
}

/// Check a fixture together with its companion headers (any .h in the same
/// directory other than compliant.h/noncompliant.h), as one program, and
/// compare every file's findings with its annotations.
fn check_one(path: &Path) -> Result<(), String> {
    let mut files = vec![path.to_path_buf()];
    if let Some(dir) = path.parent() {
        let mut companions: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                name.ends_with(".h")
                    && name != "compliant.h"
                    && name != "noncompliant.h"
                    && p != path
            })
            .collect();
        companions.sort();
        files.extend(companions);
    }
    let mut sources = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| e.to_string())?;
        sources.push((f.display().to_string(), text));
    }
    let report = check::check_sources(sources.clone(), &check::Config::default())
        .map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    for (shown, text) in &sources {
        let got: BTreeSet<(usize, String)> = report
            .findings
            .iter()
            .filter(|f| &f.file == shown)
            .map(|f| (f.line, f.rule.clone()))
            .collect();
        let want = expectations(text);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{shown}: missing findings (line, rule): {missing:?}"
            ));
        }
        if !extra.is_empty() {
            problems.push(format!(
                "{shown}: unexpected findings (line, rule): {extra:?}"
            ));
        }
    }
    if !report.parse_issues.is_empty() {
        problems.push(format!(
            "{}: parse issues: {:?}",
            path.display(),
            report.parse_issues
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn every_fixture_gives_exactly_its_expected_findings() {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixture_root())
        .expect("fixture directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("fixture dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().map(|e| e == "c" || e == "h").unwrap_or(false))
            .collect();
        files.sort();
        for f in files {
            count += 1;
            if let Err(e) = check_one(&f) {
                failures.push(e);
            }
        }
    }
    assert!(count > 0, "no fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_compliant_and_a_noncompliant_fixture() {
    let mut problems = Vec::new();
    for rule in rules::all() {
        let dir = fixture_root().join(rule.id());
        // Header rules use .h fixtures.
        let ext = if dir.join("compliant.h").is_file() {
            "h"
        } else {
            "c"
        };
        let compliant = dir.join(format!("compliant.{ext}"));
        let noncompliant = dir.join(format!("noncompliant.{ext}"));
        if !compliant.is_file() {
            problems.push(format!("{}: missing {}", rule.id(), compliant.display()));
        }
        match std::fs::read_to_string(&noncompliant) {
            Ok(text) => {
                if !expectations(&text).iter().any(|(_, id)| id == rule.id()) {
                    problems.push(format!(
                        "{}: noncompliant fixture expects no {} finding",
                        rule.id(),
                        rule.id()
                    ));
                }
            }
            Err(_) => problems.push(format!("{}: missing {}", rule.id(), noncompliant.display())),
        }
        if let Ok(text) = std::fs::read_to_string(&compliant) {
            if expectations(&text).iter().any(|(_, id)| id == rule.id()) {
                problems.push(format!(
                    "{}: compliant fixture expects a {} finding",
                    rule.id(),
                    rule.id()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
