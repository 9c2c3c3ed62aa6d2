//! `timber verify` from the command line: exit codes and reports.
//!
//! The end-to-end run needs the XGBoost fixtures, the frontend and the C99
//! backend; while any of them is missing on this branch the test prints a
//! notice instead (and fails under CI).

use std::path::Path;
use std::process::Command;

fn timber() -> Command {
    Command::new(env!("CARGO_BIN_EXE_timber"))
}

#[test]
fn a_missing_toolchain_exits_3_and_names_the_install_script() {
    let out = timber()
        .args([
            "verify",
            "--model",
            "no-such-model.json",
            "--targets",
            "host",
        ])
        .env("PATH", "/nonexistent-timber-path")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cc"), "{err}");
    assert!(err.contains("scripts/install-toolchains.sh"), "{err}");
}

#[test]
fn an_unknown_target_exits_2() {
    let out = timber()
        .args(["verify", "--model", "m.json", "--targets", "cortex-z9"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cortex-z9") && err.contains("cortex-m4f"),
        "{err}"
    );
}

#[test]
fn an_xgboost_model_verifies_on_host_and_a_cortex_m_with_json_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("tests/fixtures/xgboost/binary_nan.json");
    let data = root.join("tests/fixtures/xgboost/binary_nan.inputs.csv");
    assert!(model.exists(), "fixture {} is missing", model.display());
    let out = timber()
        .arg("verify")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .args(["--targets", "host,cortex-m3", "--format", "json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        assert!(std::env::var_os("CI").is_none(), "{stderr}");
        eprintln!("NOTICE: {stderr}");
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let targets = v["report"]["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2);
    for t in targets {
        assert_eq!(t["status"], "pass", "{t}");
        assert_eq!(t["mismatch_count"], 0);
    }
    let cov = &v["report"]["coverage"];
    assert_eq!(cov["leaves_hit"], cov["leaves_total"]);
}

#[test]
fn non_terminal_progress_is_one_plain_line_per_target_in_order_and_json_has_the_estimate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("tests/fixtures/xgboost/multiclass.json");
    let out = timber()
        .arg("verify")
        .arg("--model")
        .arg(&model)
        .args([
            "--targets",
            "cortex-m3,host,cortex-m4f",
            "--jobs",
            "3",
            "--random-rows",
            "16",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        assert!(std::env::var_os("CI").is_none(), "{stderr}");
        eprintln!("NOTICE: {stderr}");
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // stderr is a pipe: no spinners, no escape sequences, one line per
    // finished target, in the order the targets were given.
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" rows  build "))
        .collect();
    let names: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["cortex-m3", "host", "cortex-m4f"], "{stderr}");
    assert!(lines.iter().all(|l| l.contains("identical")), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    for t in v["report"]["targets"].as_array().expect("targets") {
        let st = &t["stack"];
        let est = st["generator_estimate"].as_u64().expect("estimate");
        assert!(st["generator_single"].as_u64().is_some_and(|s| s <= est));
        if let Some(m) = st["measured_peak"].as_u64() {
            assert!(m <= est, "{t}");
        }
    }
}

/// `timber verify --numeric int --targets all`: the integer-mode C of a
/// model with NaN defaults both ways, built and run on every target, the
/// fixture's own rows included, bit-identical to the reference evaluator
/// everywhere.
#[test]
fn numeric_int_verifies_on_every_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("tests/fixtures/xgboost/binary_nan.json");
    let data = root.join("tests/fixtures/xgboost/binary_nan.inputs.csv");
    let out = timber()
        .arg("verify")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .args(["--targets", "all", "--numeric", "int", "--format", "json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        assert!(std::env::var_os("CI").is_none(), "{stderr}");
        eprintln!("NOTICE: {stderr}");
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let targets = v["report"]["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), timber::verify::targets::names().len(), "{v}");
    for t in targets {
        assert_eq!(t["status"], "pass", "{t}");
        assert_eq!(t["mismatch_count"], 0);
        assert!(t["rows_run"].as_u64().unwrap_or(0) >= 300, "{t}");
    }
}
