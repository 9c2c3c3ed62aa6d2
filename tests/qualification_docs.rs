//! The qualification kit (docs/qualification/) names, for every hazard of
//! the tool, the test that proves its detection works. A renamed or deleted
//! test would leave a hazard without evidence: this test keeps the table
//! and the code in step.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/x.rs::name` references in one table row.
fn references(row: &str) -> Vec<(String, String)> {
    row.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|r| {
            let (file, func) = r.split_once("::")?;
            (file.ends_with(".rs") && !func.is_empty())
                .then(|| (file.to_string(), func.to_string()))
        })
        .collect()
}

#[test]
fn every_hazard_names_tests_that_exist() {
    let path = root().join("docs/qualification/hazards.md");
    let text = std::fs::read_to_string(&path).expect("hazards.md");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| H-")).collect();
    assert!(rows.len() >= 20, "only {} hazards", rows.len());
    let mut ids = std::collections::BTreeSet::new();
    for row in rows {
        let id = row
            .split('|')
            .nth(1)
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        assert!(ids.insert(id.clone()), "hazard {id} listed twice");
        let refs = references(row);
        assert!(!refs.is_empty(), "hazard {id} names no test");
        for (file, func) in refs {
            let src = std::fs::read_to_string(root().join(&file))
                .unwrap_or_else(|e| panic!("hazard {id}: {file}: {e}"));
            let defined = src.contains(&format!("fn {func}()"));
            assert!(defined, "hazard {id}: {file} has no test fn {func}()");
            // It must be a test, not a helper that happens to share the name.
            let at = src.find(&format!("fn {func}()")).unwrap_or(0);
            let before = &src[..at];
            let last_attr = before.rfind("#[test]").unwrap_or(0);
            let between = &before[last_attr..];
            assert!(
                before.contains("#[test]")
                    && !between.contains("\nfn ")
                    && !between.contains("\n    fn "),
                "hazard {id}: {file}::{func} is not a #[test] function"
            );
        }
    }
}

#[test]
fn the_kit_index_lists_every_document() {
    let dir = root().join("docs/qualification");
    let index = std::fs::read_to_string(dir.join("README.md")).expect("README.md");
    let mut docs: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "README.md")
        .collect();
    docs.sort();
    assert!(docs.len() >= 5);
    for d in docs {
        assert!(
            index.contains(&format!("({d})")),
            "README.md does not link {d}"
        );
    }
}

/// The first-column values (between backticks) of the table that follows
/// `## heading` in scope.md.
fn scope_column(scope: &str, heading: &str) -> Vec<String> {
    let start = scope
        .find(&format!("## {heading}\n"))
        .unwrap_or_else(|| panic!("scope.md has no section {heading}"));
    let section = &scope[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    section[..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The possible values clap accepts for a ValueEnum, without `auto`.
fn value_names<T: clap::ValueEnum>() -> Vec<String> {
    T::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|p| p.get_name().to_string())
        .filter(|n| n != "auto")
        .collect()
}

fn scope_text() -> String {
    std::fs::read_to_string(root().join("docs/qualification/scope.md")).expect("scope.md")
}

#[test]
fn the_scope_names_exactly_what_the_code_accepts() {
    let scope = scope_text();
    assert_eq!(
        sorted(scope_column(&scope, "Model formats")),
        sorted(value_names::<timber::frontend::FormatChoice>()),
        "scope.md formats vs the frontends (FormatChoice)"
    );
    assert_eq!(
        scope_column(&scope, "Compiler flag sets"),
        timber::qualify::DEFAULT_OPT_LEVELS
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        "scope.md flag sets vs timber qualify's defaults"
    );
    let targets: Vec<String> = timber::verify::targets::all()
        .expect("targets")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(
        sorted(scope_column(&scope, "Targets")),
        sorted(targets),
        "scope.md targets vs qemu/targets"
    );
    assert_eq!(
        sorted(scope_column(&scope, "Profiles")),
        sorted(
            timber::profile::BUILTIN
                .iter()
                .map(|(n, _)| n.to_string())
                .collect()
        ),
        "scope.md profiles vs the built-in profiles"
    );
    let options = scope
        .lines()
        .filter(|l| l.starts_with("| `--"))
        .map(|l| l.to_string())
        .collect::<Vec<_>>();
    let row = |flag: &str| {
        options
            .iter()
            .find(|l| l.starts_with(&format!("| `{flag}`")))
            .unwrap_or_else(|| panic!("scope.md has no row for {flag}"))
            .clone()
    };
    for l in value_names::<timber::codegen::c99::Layout>() {
        assert!(
            row("--layout").contains(&format!("`{l}`")),
            "layout {l} not in scope.md"
        );
    }
    for n in value_names::<timber::codegen::c99::Numeric>() {
        assert!(
            row("--numeric").contains(&format!("`{n}`")),
            "numeric {n} not in scope.md"
        );
    }
}

/// Every framework version scope.md claims is the version a committed
/// fixture was made with (named in the fixtures' README or folder names).
#[test]
fn every_version_in_the_scope_has_fixtures_of_that_version() {
    let scope = scope_text();
    let fixtures = root().join("tests/fixtures");
    let read = |p: &str| std::fs::read_to_string(fixtures.join(p)).unwrap_or_default();
    let evidence: Vec<(&str, String)> = vec![
        (
            "xgboost",
            format!(
                "{} {}",
                read("xgboost/README.md"),
                read("xgboost_versions/README.md")
            ),
        ),
        ("lightgbm", read("lightgbm/README.md")),
        ("catboost", read("catboost/README.md")),
        (
            "sklearn",
            format!("{} {}", read("sklearn/README.md"), {
                let mut v: Vec<String> = std::fs::read_dir(fixtures.join("sklearn_versions"))
                    .expect("sklearn_versions")
                    .filter_map(|e| e.ok())
                    .map(|e| format!("scikit-learn=={}", e.file_name().to_string_lossy()))
                    .collect();
                v.sort();
                v.join(" ")
            }),
        ),
        ("onnx", read("../fixtures/gen_onnx.py")),
    ];
    let rows: Vec<&str> = scope.lines().filter(|l| l.starts_with("| `")).collect();
    let mut checked = 0;
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let format = cells[1].trim_matches('`');
        let Some((_, text)) = evidence.iter().find(|(p, _)| format.starts_with(p)) else {
            continue;
        };
        for version in cells[3].split(',').map(str::trim) {
            let pinned =
                text.contains(&format!("=={version}")) || text.contains(&format!("`{version}/`"));
            assert!(
                pinned,
                "scope.md: {format} {version} has no fixture made with that version"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} versions checked");
}

/// The other documents of the kit refer to scope.md rather than stating
/// their own scope, and name no optimisation level outside it.
#[test]
fn the_kit_documents_refer_to_the_scope_and_stay_inside_it() {
    let dir = root().join("docs/qualification");
    let allowed: Vec<&str> = timber::qualify::DEFAULT_OPT_LEVELS.to_vec();
    for doc in [
        "qualified-options.md",
        "tool-operational-requirements.md",
        "classification.md",
        "known-issues.md",
    ] {
        let text = std::fs::read_to_string(dir.join(doc)).expect(doc);
        assert!(text.contains("(scope.md)"), "{doc} does not link scope.md");
        for word in text.split(|c: char| c.is_whitespace() || c == '`' || c == ',' || c == '/') {
            if word.starts_with("-O") && word.len() <= 3 {
                assert!(
                    allowed.contains(&word),
                    "{doc} names {word}, outside the qualified flag sets"
                );
            }
        }
    }
}
