//! Regression runs from the command line: `timber verify --golden` /
//! `--write-golden` and `timber diff`, on the XGBoost fixtures.
//!
//! The golden runs build and run the C on the host and on Cortex-M4F under
//! QEMU. A missing toolchain (exit 3) makes such a test print a notice and
//! pass, unless the environment variable CI is set: then it fails loudly
//! (the convention of tests/verify_qemu.rs).

use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use timber::frontend::{load_model, FormatChoice};
use timber::ir::{evaluate, Node};
use timber::verify::{generate, VectorOptions};

fn timber() -> Command {
    Command::new(env!("CARGO_BIN_EXE_timber"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/xgboost")
        .join(name)
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    timber().args(args).output().expect("timber runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// True (and a notice) when a needed toolchain is missing; panics under CI.
fn tool_missing(out: &Output) -> bool {
    if out.status.code() != Some(3) {
        return false;
    }
    let err = text(&out.stderr);
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set and a toolchain is missing: {err}"
    );
    eprintln!("NOTICE: skipping, a toolchain is missing: {err}");
    true
}

/// `timber verify --model M --targets host --write-golden FILE`; false
/// when the host compiler is missing.
fn write_golden(model: &Path, file: &Path) -> bool {
    let out = timber()
        .arg("verify")
        .arg("--model")
        .arg(model)
        .args(["--targets", "host", "--random-rows", "16", "--write-golden"])
        .arg(file)
        .output()
        .expect("timber runs");
    if tool_missing(&out) {
        return false;
    }
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(file.exists(), "no golden written");
    true
}

/// `timber verify --model M --golden G --targets host,cortex-m4f --format json`.
fn verify_golden(model: &Path, golden: &Path, targets: &str) -> Option<(i32, Value, String)> {
    let out = timber()
        .arg("verify")
        .arg("--model")
        .arg(model)
        .arg("--golden")
        .arg(golden)
        .args(["--targets", targets, "--format", "json"])
        .output()
        .expect("timber runs");
    if tool_missing(&out) {
        return None;
    }
    let stderr = text(&out.stderr);
    let code = out.status.code().expect("exit code");
    let v = if code == 2 {
        Value::Null
    } else {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON report: {e}\n{stderr}"))
    };
    Some((code, v, stderr))
}

#[test]
fn a_written_golden_verifies_on_host_and_cortex_m4f() {
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = dir.path().join("golden.json");
    let model = fixture("binary_nan.json");
    if !write_golden(&model, &golden) {
        return;
    }
    // Same shape as a bundle's verify/vectors.json.
    let g: Value = serde_json::from_str(&std::fs::read_to_string(&golden).expect("read"))
        .expect("golden is JSON");
    for key in [
        "schema_version",
        "encoding",
        "n_features",
        "n_outputs",
        "rows",
        "reference_fnv1a",
        "inputs",
        "expected",
    ] {
        assert!(g.get(key).is_some(), "golden lacks `{key}`");
    }
    assert_eq!(g["n_features"], 6);
    let Some((code, v, stderr)) = verify_golden(&model, &golden, "host,cortex-m4f") else {
        return;
    };
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["reference_vs_golden"]["rows_differing"], 0);
    assert_eq!(v["golden"]["rows"], g["rows"]);
    assert_eq!(v["golden"]["edited"], false);
    let targets = v["report"]["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2);
    for t in targets {
        assert_eq!(t["status"], "pass", "{t}");
        assert_eq!(t["rows_run"], g["rows"]);
    }
}

#[test]
fn a_different_model_against_the_golden_exits_1_and_the_reference_already_differs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = dir.path().join("golden.json");
    if !write_golden(&fixture("binary_nan.json"), &golden) {
        return;
    }
    // dart.json: another binary:logistic model with 6 features.
    let Some((code, v, stderr)) = verify_golden(&fixture("dart.json"), &golden, "host,cortex-m4f")
    else {
        return;
    };
    assert_eq!(code, 1, "{stderr}");
    let rows = v["golden"]["rows"].as_u64().expect("rows");
    let differing = v["reference_vs_golden"]["rows_differing"]
        .as_u64()
        .expect("count");
    assert!(differing > 0 && differing <= rows, "{differing}");
    for t in v["report"]["targets"].as_array().expect("targets") {
        assert_eq!(t["status"], "mismatch", "{t}");
        // The targets compute what the new model's reference computes, so
        // they differ from the golden on exactly as many outputs.
        assert_eq!(
            t["mismatch_count"],
            v["reference_vs_golden"]["outputs_differing"]
        );
    }
    assert_eq!(
        v["targets_equal_to_reference"],
        serde_json::json!(["host", "cortex-m4f"])
    );
    assert!(
        v["diagnosis"]
            .as_str()
            .is_some_and(|d| d.contains("the model")),
        "{}",
        v["diagnosis"]
    );
    // The text report states the reference-vs-golden count.
    let out = timber()
        .arg("verify")
        .arg("--model")
        .arg(fixture("dart.json"))
        .arg("--golden")
        .arg(&golden)
        .args(["--targets", "host"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "the model's reference outputs differ from the golden on {differing} of {rows} rows"
        )),
        "{stdout}"
    );
}

#[test]
fn one_tampered_expected_bit_is_caught_and_its_row_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = dir.path().join("golden.json");
    let model = fixture("binary_nan.json");
    if !write_golden(&model, &golden) {
        return;
    }
    let mut g: Value =
        serde_json::from_str(&std::fs::read_to_string(&golden).expect("read")).expect("JSON");
    const ROW: usize = 7;
    let cell = &mut g["expected"][ROW][0];
    let bits = u32::from_str_radix(cell.as_str().expect("hex"), 16).expect("hex");
    *cell = Value::String(format!("{:08x}", bits ^ 1));
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, serde_json::to_string(&g).expect("JSON")).expect("write");

    let Some((code, v, stderr)) = verify_golden(&model, &tampered, "host,cortex-m4f") else {
        return;
    };
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("edited after it was written"), "{stderr}");
    let r = &v["reference_vs_golden"];
    assert_eq!(r["rows_differing"], 1);
    assert_eq!(r["first"][0]["row"], ROW);
    assert_eq!(r["first"][0]["ulps"], 1);
    assert_eq!(v["golden"]["edited"], true);
    assert!(
        v["diagnosis"]
            .as_str()
            .is_some_and(|d| d.contains("edited")),
        "{}",
        v["diagnosis"]
    );
    for t in v["report"]["targets"].as_array().expect("targets") {
        assert_eq!(t["status"], "mismatch", "{t}");
        assert_eq!(t["mismatch_count"], 1, "{t}");
        assert_eq!(t["mismatches"][0]["row"], ROW, "{t}");
        assert_eq!(
            t["mismatches"][0]["expected"],
            format!("0x{:08x}", bits ^ 1)
        );
        assert_eq!(t["mismatches"][0]["got"], format!("0x{bits:08x}"));
    }
    // Text: the row is named in the reference section and per target.
    let out = timber()
        .arg("verify")
        .arg("--model")
        .arg(&model)
        .arg("--golden")
        .arg(&tampered)
        .args(["--targets", "host"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("row {ROW} output 0: golden 0x{:08x}", bits ^ 1)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("row {ROW} output 0: expected 0x{:08x}", bits ^ 1)),
        "{stdout}"
    );
}

#[test]
fn a_golden_with_the_wrong_feature_count_exits_2_naming_file_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Recorded from binary_nan (6 features) with the library, no compiler.
    let ens = load_model(&fixture("binary_nan.json"), FormatChoice::Auto).expect("model");
    let rows = generate(&ens, &VectorOptions::default()).rows;
    let golden = dir.path().join("golden6.json");
    timber::regress::golden::Golden::record(&ens, &rows)
        .write(&golden)
        .expect("write");
    // regression.json takes 8 features.
    let Some((code, _, stderr)) = verify_golden(&fixture("regression.json"), &golden, "host")
    else {
        return;
    };
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("golden6.json"), "{stderr}");
    assert!(stderr.contains("field `n_features`"), "{stderr}");
    assert!(stderr.contains("6") && stderr.contains("8"), "{stderr}");

    // A record whose rows do not match its own n_features: malformed.
    let mut g: Value =
        serde_json::from_str(&std::fs::read_to_string(&golden).expect("read")).expect("JSON");
    g["n_features"] = Value::from(5);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_string(&g).expect("JSON")).expect("write");
    let Some((code, _, stderr)) = verify_golden(&fixture("binary_nan.json"), &bad, "host") else {
        return;
    };
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("bad.json: field `inputs[0]`") && stderr.contains("`n_features` says 5"),
        "{stderr}"
    );
}

#[test]
fn a_certify_bundle_is_a_golden_and_diffs_identical_to_its_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    let model = fixture("binary_nan.json");
    let out = timber()
        .arg("certify")
        .arg(&model)
        .args(["--profile", "misra", "--random-rows", "16", "--out"])
        .arg(&bundle)
        .output()
        .expect("runs");
    if tool_missing(&out) {
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The bundle directory and its vectors.json both work as the golden.
    for golden in [bundle.clone(), bundle.join("verify/vectors.json")] {
        let Some((code, v, stderr)) = verify_golden(&model, &golden, "host") else {
            return;
        };
        assert_eq!(code, 0, "{stderr}");
        assert!(
            v["golden"]["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("verify/vectors.json")),
            "{v}"
        );
    }
    // A written golden has exactly the keys of the bundle's vectors.json,
    // and the same rows give the same record.
    let bundled: Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("verify/vectors.json")).expect("read"),
    )
    .expect("JSON");
    let g = timber::regress::golden::Golden::read(&bundle).expect("bundle golden");
    let ens = load_model(&model, FormatChoice::Auto).expect("model");
    let written: Value =
        serde_json::from_str(&timber::regress::golden::Golden::record(&ens, &g.inputs).to_json())
            .expect("JSON");
    assert_eq!(written, bundled);

    for side in [bundle.clone(), bundle.join("ir.json")] {
        let out = run(&["diff".as_ref(), side.as_os_str(), model.as_os_str()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("identical"),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn diff_of_a_model_with_itself_is_identical() {
    let m = fixture("multiclass.json");
    let out = run(&["diff".as_ref(), m.as_os_str(), m.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("identical"), "{stdout}");
    let out = run(&[
        "diff".as_ref(),
        m.as_os_str(),
        m.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["identical"], true);
    assert_eq!(v["predictions"]["rows_changed"], 0);
    assert_eq!(v["predictions"]["class_changes"], 0);
    // And the JSON and UBJSON files of one model are the same model.
    let ubj = fixture("multiclass.ubj");
    let out = run(&["diff".as_ref(), m.as_os_str(), ubj.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn diff_reports_exactly_the_edited_threshold_and_leaf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let orig = fixture("binary_nan.json");
    let mut m: Value =
        serde_json::from_str(&std::fs::read_to_string(&orig).expect("read")).expect("JSON");
    const TREE: usize = 3;
    let tree = &mut m["learner"]["gradient_booster"]["model"]["trees"][TREE];
    let left = tree["left_children"].as_array().expect("left_children");
    let split = left
        .iter()
        .position(|l| l.as_i64() != Some(-1))
        .expect("a split");
    let leaf = left
        .iter()
        .rposition(|l| l.as_i64() == Some(-1))
        .expect("a leaf");
    let cond = tree["split_conditions"].as_array_mut().expect("conditions");
    let old_t = cond[split].as_f64().expect("threshold") as f32;
    let new_t = old_t + 0.25;
    let old_v = cond[leaf].as_f64().expect("leaf") as f32;
    let new_v = old_v * 2.0 + 0.5;
    cond[split] = Value::from(f64::from(new_t));
    cond[leaf] = Value::from(f64::from(new_v));
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, serde_json::to_string(&m).expect("JSON")).expect("write");

    let out = run(&[
        "diff".as_ref(),
        orig.as_os_str(),
        edited.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["identical"], false);
    let c = &v["counts"];
    assert_eq!(c["header_fields_changed"], 0);
    assert_eq!(c["trees_changed"], 1);
    assert_eq!(c["nodes_changed"], 1);
    assert_eq!(c["thresholds_changed"], 1);
    assert_eq!(c["leaves_changed"], 1);
    let t = &v["trees"][0];
    assert_eq!(t["tree"], TREE);
    let n = &t["nodes"][0];
    assert_eq!(n["new_source_id"], split);
    assert_eq!(n["fields"].as_array().map(Vec::len), Some(1));
    assert_eq!(n["threshold"]["old"].as_f64(), Some(f64::from(old_t)));
    assert_eq!(n["threshold"]["new"].as_f64(), Some(f64::from(new_t)));
    assert_eq!(
        n["threshold"]["delta"].as_f64(),
        Some(f64::from(new_t) - f64::from(old_t))
    );
    let l = &t["leaves"][0];
    assert_eq!(l["source_id"], leaf);
    assert_eq!(l["values"][0]["old"].as_f64(), Some(f64::from(old_v)));
    assert_eq!(l["values"][0]["new"].as_f64(), Some(f64::from(new_v)));

    let out = run(&["diff".as_ref(), orig.as_os_str(), edited.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "(source node {split}): threshold {old_t} -> {new_t} (delta +"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("(source node {leaf}): leaf {old_v} -> {new_v}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("largest model changes (2 of 2)"),
        "{stdout}"
    );
}

#[test]
fn diff_counts_of_two_models_match_a_brute_force_recount() {
    let (a, b) = (fixture("binary_nan.json"), fixture("dart.json"));
    let out = run(&[
        "diff".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let old = load_model(&a, FormatChoice::Auto).expect("old");
    let new = load_model(&b, FormatChoice::Auto).expect("new");

    // Trees by position.
    let common = old.trees.len().min(new.trees.len());
    let changed = (0..common)
        .filter(|&i| old.trees[i] != new.trees[i])
        .count();
    let c = &v["counts"];
    assert_eq!(c["trees_old"], old.trees.len());
    assert_eq!(c["trees_new"], new.trees.len());
    assert_eq!(c["trees_changed"], changed);
    assert_eq!(c["trees_removed"], old.trees.len() - common);
    let mut leaves = 0;
    let mut thresholds = 0;
    for i in 0..common {
        for (x, y) in old.trees[i].nodes.iter().zip(&new.trees[i].nodes) {
            match (x, y) {
                (Node::Leaf(p), Node::Leaf(q)) if p.values != q.values => leaves += 1,
                (Node::Split(p), Node::Split(q))
                    if p.threshold.to_bits() != q.threshold.to_bits() =>
                {
                    thresholds += 1
                }
                _ => {}
            }
        }
    }
    assert_eq!(c["leaves_changed"], leaves);
    assert_eq!(c["thresholds_changed"], thresholds);

    // Predictions on the union of both vector sets.
    let opts = VectorOptions::default();
    let mut seen = HashSet::new();
    let rows: Vec<Vec<f32>> = generate(&old, &opts)
        .rows
        .into_iter()
        .chain(generate(&new, &opts).rows)
        .filter(|r| seen.insert(r.iter().map(|x| x.to_bits()).collect::<Vec<u32>>()))
        .collect();
    let mut rows_changed = 0;
    let mut class_changes = 0;
    let mut largest = (0.0f64, 0usize);
    for (i, r) in rows.iter().enumerate() {
        let (p, q) = (evaluate(&old, r)[0], evaluate(&new, r)[0]);
        if p.to_bits() != q.to_bits() {
            rows_changed += 1;
            let d = (f64::from(q) - f64::from(p)).abs();
            if d > largest.0 {
                largest = (d, i);
            }
        }
        if (p > 0.5) != (q > 0.5) {
            class_changes += 1;
        }
    }
    let p = &v["predictions"];
    assert_eq!(p["rows"], rows.len());
    assert_eq!(p["rows_changed"], rows_changed);
    assert_eq!(p["class_changes"], class_changes);
    assert_eq!(p["largest_abs_change"]["row"], largest.1);
    assert_eq!(
        p["largest_abs_change"]["abs_change"].as_f64(),
        Some(largest.0)
    );
    assert!(rows_changed > 0 && class_changes > 0);
}

#[test]
fn diff_of_a_missing_file_exits_2_naming_it() {
    let m = fixture("binary_nan.json");
    let out = run(&[
        "diff".as_ref(),
        m.as_os_str(),
        "no-such-model.json".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no-such-model.json"),
        "{}",
        text(&out.stderr)
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(&["diff".as_ref(), m.as_os_str(), dir.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("ir.json"),
        "{}",
        text(&out.stderr)
    );
}
