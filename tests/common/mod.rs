//! Shared helpers for integration tests: fixture discovery and CSV reading.
#![allow(dead_code)]

pub mod bundle;

use std::path::{Path, PathBuf};

/// The repository's fixture directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every directory of XGBoost fixtures: the main set (XGBoost 3.2) and the
/// older-version sets under `xgboost_versions/<version>/`, sorted.
pub fn xgboost_fixture_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![fixtures().join("xgboost")];
    let versions = fixtures().join("xgboost_versions");
    let mut more: Vec<PathBuf> = std::fs::read_dir(&versions)
        .unwrap_or_else(|e| panic!("reading {}: {e}", versions.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    more.sort();
    assert!(
        !more.is_empty(),
        "no version fixtures in {}",
        versions.display()
    );
    dirs.extend(more);
    dirs
}

/// The XGBoost fixture models: names of `tests/fixtures/xgboost/NAME.json`
/// that have inputs and expected outputs, sorted.
pub fn xgboost_models() -> Vec<String> {
    xgboost_models_in(&fixtures().join("xgboost"))
}

/// Fixture model names in one directory, sorted.
pub fn xgboost_models_in(dir: &Path) -> Vec<String> {
    let dir = dir.to_path_buf();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".json")?.to_string();
            let has = |ext: &str| dir.join(format!("{stem}.{ext}")).exists();
            (has("inputs.csv") && has("expected.csv")).then_some(stem)
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no fixture models in {}", dir.display());
    names
}

/// Names of the fixture models `dir/NAME.EXT`, sorted; at least `min` of
/// them, so a lost fixture directory fails instead of testing nothing.
pub fn models_with_extension(dir: &Path, ext: &str, min: usize) -> Vec<String> {
    let suffix = format!(".{ext}");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().into_string().ok()?;
            n.strip_suffix(suffix.as_str()).map(String::from)
        })
        .collect();
    names.sort();
    assert!(
        names.len() >= min,
        "fixtures missing in {}: {names:?}",
        dir.display()
    );
    names
}

/// Read a CSV of numbers with a header row; every cell parses as `T`
/// (`nan`, `inf`, `-inf` for the float types). The fixtures write float32
/// with 9 significant digits and float64 with `repr`, which round-trip.
pub fn read_csv<T: std::str::FromStr>(path: &Path) -> Vec<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|v| {
                    v.trim()
                        .parse::<T>()
                        .unwrap_or_else(|e| panic!("{}: `{v}`: {e}", path.display()))
                })
                .collect()
        })
        .collect()
}

/// A float32 CSV (inputs, expected outputs).
pub fn read_csv_f32(path: &Path) -> Vec<Vec<f32>> {
    read_csv(path)
}

/// A float64 CSV (predictions of frameworks that compute in double).
pub fn read_csv_f64(path: &Path) -> Vec<Vec<f64>> {
    read_csv(path)
}

/// An integer CSV (leaf indices).
pub fn read_csv_u32(path: &Path) -> Vec<Vec<u32>> {
    read_csv(path)
}

/// The generated C of `ens` under `opts` has no checker finding and no
/// parse issue; `label` names the model in the failure.
pub fn assert_zero_findings(
    label: &str,
    ens: &timber::ir::Ensemble,
    opts: &timber::codegen::c99::Options,
) {
    let sources: Vec<(String, String)> = timber::codegen::c99::emit_c99(ens, opts)
        .unwrap_or_else(|e| panic!("{label}: {e}"))
        .into_iter()
        .map(|f| (f.name, f.contents))
        .collect();
    let report = timber::check::check_sources(sources, &timber::check::Config::default())
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    assert!(
        report.findings.is_empty() && report.parse_issues.is_empty(),
        "{label}: {} findings, first: {:?}; parse issues {:?}",
        report.findings.len(),
        report.findings.first(),
        report.parse_issues
    );
}

/// The named verify targets, once their toolchains are found. With `CI`
/// set a missing toolchain fails the test (a test that skips itself in CI
/// does not exist); elsewhere a notice is printed and `None` returned.
pub fn targets_with_tools(names: &[&str]) -> Option<Vec<timber::verify::targets::TargetSpec>> {
    let all = timber::verify::targets::all().expect("embedded targets parse");
    let wanted: Vec<_> = all
        .into_iter()
        .filter(|t| names.contains(&t.name.as_str()))
        .collect();
    assert_eq!(wanted.len(), names.len(), "targets {names:?} exist");
    if let Err(e) = timber::verify::check_tools(&wanted) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and a toolchain is missing: {e}"
        );
        eprintln!("NOTICE: not run, a toolchain is missing: {e}");
        return None;
    }
    Some(wanted)
}

/// The names in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A finished process's exit status, stdout and stderr, for assertion
/// messages.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
