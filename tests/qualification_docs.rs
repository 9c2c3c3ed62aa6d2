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
