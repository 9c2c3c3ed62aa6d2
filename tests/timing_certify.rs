//! `certify` with a timing budget: the bundle carries timing.json, one
//! `timing:<target>` row per target passes on the static bound (bare-metal)
//! or says "measured only" (Linux user mode), a budget one cycle below the
//! bound fails the row naming the target, the bound and the budget (exit
//! 1), `require_bound` fails a target without a bound, and `audit verify`
//! re-derives the rows and refuses a forged figure.
//!
//! The budgets are set from the bound the first run reports, so the test
//! holds whatever the compiler generates. Needs arm-none-eabi-gcc,
//! qemu-system-arm, aarch64-linux-gnu-gcc and qemu-aarch64 (fails under CI
//! when one is missing).

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TARGETS: [&str; 2] = ["cortex-m4f", "cortex-a53"];

fn model() -> PathBuf {
    common::fixtures().join("xgboost/binary_nan.json")
}

fn profile(timing: &str) -> String {
    format!(
        r#"name = "timed"
title = "A timing budget"
standard = "test"
description = "execution time per call"

[check]
deviations_permitted = []

[numeric]
nan_policy = "missing"
bit_identical = true

[bundle]
require = ["ir", "sources", "check", "verification", "report"]

[levels.default]
summary = "one level"
targets = ["cortex-m4f", "cortex-a53"]
advisory = "advisory"
timing = {timing}
"#
    )
}

fn certify(dir: &Path, name: &str, timing: &str) -> Output {
    let toml = dir.join(format!("{name}.toml"));
    std::fs::write(&toml, profile(timing)).expect("write profile");
    Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .arg("certify")
        .arg(model())
        .args(["--profile", &format!("{name}.toml"), "--out", name])
        .args(["--random-rows", "32"])
        .output()
        .expect("run timber certify")
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

fn row<'a>(cert: &'a Value, id: &str) -> &'a Value {
    cert["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_timing_rows_pass_on_the_bound_and_fail_below_it() {
    if common::targets_with_tools(&TARGETS).is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();

    // 1. A generous budget: both rows pass, the A53 as measured only.
    let out = certify(d, "wide", "{ budget_cycles = 100000000 }");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let timing = json(&d.join("wide/timing.json"));
    let t = timing["targets"].as_array().expect("targets");
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["target"], "cortex-m4f");
    let bound = t[0]["bound"]["cycles"]
        .as_u64()
        .expect("a cycle bound on the M4F");
    let bound_insns = t[0]["bound"]["instructions"].as_u64().expect("insns");
    let max = t[0]["measured"]["max"].as_u64().expect("measured max");
    assert!(bound_insns >= max, "bound {bound_insns} < measured {max}");
    // The arg-max vector is that row of the bundle's vectors.
    let vectors = json(&d.join("wide/verify/vectors.json"));
    let r = t[0]["measured"]["max_row"].as_u64().expect("row") as usize;
    assert_eq!(t[0]["measured"]["max_vector"], vectors["inputs"][r]);
    assert_eq!(
        t[0]["measured"]["per_row"]
            .as_array()
            .expect("per row")
            .len(),
        vectors["rows"].as_u64().expect("rows") as usize
    );
    assert!(t[1]["bound"].is_null());
    assert!(t[1]["bound_message"]
        .as_str()
        .expect("reason")
        .contains("Linux user mode"));
    assert!(t[1]["measured"]["max"].as_u64().expect("a53 measured") > 0);
    let cert = json(&d.join("wide/certification.json"));
    assert_eq!(row(&cert, "timing:cortex-m4f")["status"], "pass");
    let a53 = row(&cert, "timing:cortex-a53");
    assert_eq!(a53["status"], "pass");
    assert!(a53["measured"]
        .as_str()
        .expect("text")
        .starts_with("measured only, no bound"));
    // The target table of the record and the report carry the figures.
    assert_eq!(cert["targets"][0]["timing"]["bound_cycles"], bound);
    let html = std::fs::read_to_string(d.join("wide/report.html")).expect("report");
    assert!(html.contains("Execution time per inference call"));
    // verify/<target>.json keeps no timing: timing.json holds it.
    assert!(json(&d.join("wide/verify/cortex-m4f.json"))["timing"].is_null());

    // 2. The budget exactly at the bound passes; one cycle below fails,
    // naming the target, the bound and the budget.
    let out = certify(d, "exact", &format!("{{ budget_cycles = {bound} }}"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = certify(d, "tight", &format!("{{ budget_cycles = {} }}", bound - 1));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let want = format!("bound {bound} cycles exceeds the budget of {}", bound - 1);
    assert!(
        stdout.lines().any(|l| l.trim_start().starts_with("FAIL")
            && l.contains("timing:cortex-m4f")
            && l.contains(&want)),
        "{stdout}"
    );
    let cert = json(&d.join("tight/certification.json"));
    assert_eq!(row(&cert, "timing:cortex-a53")["status"], "pass");

    // 3. A level that demands a bound everywhere fails the Linux target.
    let out = certify(
        d,
        "strict",
        "{ budget_us = 1000.0, clock_mhz = 168.0, require_bound = true }",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let cert = json(&d.join("strict/certification.json"));
    assert_eq!(row(&cert, "timing:cortex-m4f")["status"], "pass");
    let a53 = row(&cert, "timing:cortex-a53");
    assert_eq!(a53["status"], "fail");
    assert!(a53["demanded"]
        .as_str()
        .expect("text")
        .contains("168000 cycles (1000 us at 168 MHz); a bound on every target"));

    // 4. audit verify re-derives the rows; a forged maximum is refused.
    let verify = |b: &str| {
        Command::new(env!("CARGO_BIN_EXE_timber"))
            .current_dir(d)
            .args(["audit", "verify", b])
            .output()
            .expect("run audit verify")
    };
    let v = verify("wide");
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let path = d.join("wide/timing.json");
    let mut forged = json(&path);
    forged["targets"][0]["measured"]["max"] = Value::from(max - 1);
    std::fs::write(&path, serde_json::to_string_pretty(&forged).expect("json")).expect("write");
    let v = verify("wide");
    assert_ne!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        text(&v).contains("timing.json"),
        "the refusal names the file: {}",
        text(&v)
    );
}

/// `verify --golden` against the committed example bundle: the same build
/// is identical in bits and counts (exit 0); the table layout computes the
/// same bits with other instruction counts, flagged as a timing change
/// apart from the bits (exit 1).
#[test]
fn verify_golden_flags_a_change_of_instruction_counts_apart_from_the_bits() {
    if common::targets_with_tools(&["cortex-m4f"]).is_none() {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let run = |layout: &str| {
        Command::new(env!("CARGO_BIN_EXE_timber"))
            .current_dir(&root)
            .args([
                "verify",
                "--model",
                "tests/fixtures/xgboost/binary_nan.json",
            ])
            .args(["--golden", "audit/example", "--targets", "cortex-m4f"])
            .args(["--layout", layout])
            .output()
            .expect("run timber verify")
    };
    let same = run("branches");
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    let out = String::from_utf8_lossy(&same.stdout);
    assert!(
        out.contains("timing: cortex-m4f: instruction counts identical to the golden"),
        "{out}"
    );
    let other = run("table");
    assert_eq!(other.status.code(), Some(1), "{}", text(&other));
    let out = String::from_utf8_lossy(&other.stdout);
    assert!(
        out.contains("diagnosis: identical to the golden on every target"),
        "{out}"
    );
    assert!(
        out.contains("timing: cortex-m4f: TIMING CHANGED: instruction counts differ"),
        "{out}"
    );
}
