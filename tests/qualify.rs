//! `timber qualify` (the compiler verification suite) and its use by
//! `timber certify --qualification`: the suite passes with the qualified
//! flags, catches a flag set that changes bits (floating-point contraction
//! on a core with a fused multiply-add), and certify accepts a report only
//! for the binary and tool versions it was made with.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn timber(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_timber"));
    c.current_dir(cwd);
    c
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn tools_ready() -> bool {
    let t = timber::verify::targets::select("host,cortex-m4f").expect("targets");
    match timber::verify::check_tools(&t) {
        Ok(()) => true,
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("CI is set and a toolchain is missing: {e}")
        }
        Err(e) => {
            eprintln!("NOTICE: skipping qualify test: {e}");
            false
        }
    }
}

const CASES: [&str; 5] = [
    "split-operators",
    "sigmoid",
    "exp-guards",
    "softmax",
    "index-16-bit",
];

fn qualify(dir: &Path, flag_sets: &[&str]) -> Output {
    let mut c = timber(dir);
    c.args(["qualify", "--targets", "host,cortex-m4f", "--out", "q"]);
    for f in flag_sets {
        c.arg(format!("--flag-set={f}"));
    }
    for case in CASES {
        c.args(["--case", case]);
    }
    c.output().expect("run timber qualify")
}

const PROFILE: &str = r#"name = "two-targets"
title = "host and Cortex-M4F"
standard = "test"
description = "two targets, no coverage"

[check]
deviations_permitted = []

[numeric]
nan_policy = "missing"
bit_identical = true

[bundle]
require = ["ir", "sources", "check", "verification", "report"]

[levels.default]
summary = "one level"
targets = ["host", "cortex-m4f"]
advisory = "advisory"
"#;

fn certify_with(dir: &Path, report: &str, out: &str) -> serde_json::Value {
    let o = timber(dir)
        .arg("certify")
        .arg(root().join("tests/fixtures/xgboost/regression.json"))
        .args([
            "--profile",
            "two.toml",
            "--qualification",
            report,
            "--out",
            out,
        ])
        .output()
        .expect("run certify");
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    let cert: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(out).join("certification.json")).expect("record"),
    )
    .expect("json");
    assert!(dir
        .join(out)
        .join("qualification/qualification.json")
        .exists());
    cert
}

fn qualification_row(cert: &serde_json::Value) -> serde_json::Value {
    cert["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .find(|r| r["id"] == "qualification")
        .cloned()
        .expect("a qualification row")
}

#[test]
fn the_suite_passes_and_certify_accepts_only_the_toolchain_it_covers() {
    if !tools_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let o = qualify(dir.path(), &["-O0", "-O2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("q/qualification.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(report["verdict"], "pass");
    // cases x (layouts table, branches, compact in float mode, and the
    // integer mode) x NaN policies x flag sets x targets
    assert_eq!(
        report["results"].as_array().map(|a| a.len()),
        Some(CASES.len() * 4 * 2 * 2 * 2)
    );
    for (layout, numeric) in [
        ("table", "float"),
        ("branches", "float"),
        ("compact", "float"),
        ("compact", "int"),
    ] {
        assert_eq!(
            report["results"]
                .as_array()
                .expect("results")
                .iter()
                .filter(|r| r["layout"] == layout && r["numeric"] == numeric)
                .count(),
            CASES.len() * 2 * 2 * 2,
            "{layout} {numeric}"
        );
    }
    assert!(report["results"]
        .as_array()
        .expect("results")
        .iter()
        .all(|r| r["status"] == "pass" && r["rows"].as_u64().unwrap_or(0) > 0));

    std::fs::write(dir.path().join("two.toml"), PROFILE).expect("profile");
    let cert = certify_with(dir.path(), "q/qualification.json", "b1");
    let row = qualification_row(&cert);
    assert_eq!(row["status"], "pass", "{row}");
    assert_eq!(cert["verdict"], "pass");

    // The same report with another compiler version recorded for one target
    // no longer covers the run.
    let mut edited = report.clone();
    for t in edited["tools"].as_array_mut().expect("tools") {
        if t["target"] == "cortex-m4f" {
            t["compiler_version"] = "arm-none-eabi-gcc 99.0".into();
        }
    }
    std::fs::write(
        dir.path().join("q/edited.json"),
        serde_json::to_string_pretty(&edited).expect("json"),
    )
    .expect("write");
    let cert = certify_with(dir.path(), "q/edited.json", "b2");
    let row = qualification_row(&cert);
    assert_eq!(row["status"], "fail");
    let measured = row["measured"].as_str().unwrap_or_default();
    assert!(
        measured.contains("cortex-m4f") && measured.contains("99.0"),
        "{measured}"
    );
    assert_eq!(cert["verdict"], "fail");

    // Something that is not a qualification report is bad input.
    let o = timber(dir.path())
        .arg("certify")
        .arg(root().join("tests/fixtures/xgboost/regression.json"))
        .args([
            "--profile",
            "two.toml",
            "--qualification",
            "two.toml",
            "--out",
            "b3",
        ])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("two.toml"));
}

#[test]
fn a_flag_set_that_changes_bits_fails_the_suite() {
    if !tools_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // Contraction lets gcc fuse a*b+c into one rounding on the Cortex-M4F's
    // FPU: different bits from the reference, which rounds twice.
    let o = qualify(dir.path(), &["-O2 -ffp-contract=fast"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("FAIL") && stdout.contains("on cortex-m4f with -O2 -ffp-contract=fast"),
        "{stdout}"
    );
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("q/qualification.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(report["verdict"], "fail");
    let failed: Vec<&serde_json::Value> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "fail")
        .collect();
    assert!(!failed.is_empty());
    assert!(failed
        .iter()
        .all(|r| r["target"] == "cortex-m4f" && r["mismatches"].as_u64().unwrap_or(0) > 0));
}
