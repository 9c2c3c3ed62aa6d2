//! The framework oracle (`timber vectors`, scripts/oracle.py,
//! `certify --oracle`) against the committed framework predictions of the
//! verification vectors, one fixture per format (written by the fixture
//! generators through tests/fixtures/oracle_fixtures.py):
//! - the committed vectors are still exactly what `timber vectors` writes
//!   (so the predictions belong to the rows certify runs);
//! - the reference evaluator agrees with every framework: decisions
//!   (leaf per tree where the framework reports it, class or argmax) equal,
//!   outputs within the format's ulp bound (measured maxima printed with
//!   `cargo test --release --test oracle -- --nocapture`);
//! - planted frontend faults (a flipped default direction, a dropped base
//!   score, a wrong link function) pass `verify` -- the reference and the
//!   generated C agree with each other -- but fail the oracle requirement,
//!   which names the rows, and certify's verdict fails;
//! - a level that demands the oracle fails without it, with the two
//!   commands that make it in the message; predictions of another model or
//!   other vectors are refused as bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use timber::audit::record::Status;
use timber::certify::oracle;
use timber::certify::{certify_with_frontend, CertifyOptions};
use timber::frontend::{load_model, load_model_bytes, FormatChoice};
use timber::ir::{Ensemble, MissingGoes, Node, PostTransform};
use timber::verify::{vectors_csv, VectorOptions};

/// (model, the stem of its `.vectors.csv` and `.oracle.csv`), one per format.
fn fixtures() -> Vec<(PathBuf, PathBuf)> {
    let f = common::fixtures();
    [
        ("xgboost/binary_nan.json", "xgboost/binary_nan"),
        ("lightgbm/binary_nan.txt", "lightgbm/binary_nan"),
        ("sklearn/rf_clf/model.joblib", "sklearn/rf_clf/model"),
        ("catboost/binary.json", "catboost/binary"),
        ("onnx/v5_members/model.onnx", "onnx/v5_members/model"),
    ]
    .iter()
    .map(|(m, s)| (f.join(m), f.join(s)))
    .collect()
}

fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn rows_of(ens: &Ensemble) -> Vec<Vec<f32>> {
    timber::verify::generate(ens, &VectorOptions::default()).rows
}

#[test]
fn every_format_agrees_with_its_framework_on_the_verification_vectors() {
    let mut report = Vec::new();
    for (model, stem) in fixtures() {
        let label = model
            .strip_prefix(common::fixtures())
            .expect("fixture")
            .display()
            .to_string();
        let bytes = std::fs::read(&model).expect("model");
        let ens = load_model(&model, FormatChoice::Auto).unwrap_or_else(|e| panic!("{label}: {e}"));
        let rows = rows_of(&ens);
        let csv = vectors_csv::to_csv(ens.n_features as usize, &rows);
        let committed =
            std::fs::read_to_string(with_suffix(&stem, ".vectors.csv")).expect("vectors");
        assert!(
            csv == committed,
            "{label}: `timber vectors` no longer writes the committed vectors; rerun the generator with --oracle-only (tests/fixtures/oracle_fixtures.py)"
        );
        let origin = with_suffix(&stem, ".oracle.csv");
        let text = std::fs::read_to_string(&origin).expect("predictions");
        let p = oracle::parse(&text, &origin.display().to_string()).expect("parses");
        oracle::check_provenance(
            &p,
            &label,
            &ens,
            &timber::frontend::sha256_hex(&bytes),
            &timber::frontend::sha256_hex(csv.as_bytes()),
            rows.len(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let r = oracle::compare(&ens, &rows, &p);
        assert!(r.passed(), "{label}: {}", r.measured());
        assert!(
            r.rows_compared * 10 >= r.rows * 9,
            "{label}: {}",
            r.measured()
        );
        assert_eq!(r.decisions_compared, r.rows_compared, "{label}");
        report.push(format!("{label:<30} {}", r.measured()));
    }
    // Every framework that reports leaves was compared tree by tree.
    assert!(
        report.iter().filter(|l| l.contains("x 0 trees")).count() <= 1,
        "{report:#?}"
    );
    eprintln!("{}", report.join("\n"));
}

/// The MISRA profile (host only, no coverage: fast) demanding the oracle,
/// as TOML text.
fn host_profile_toml() -> String {
    std::fs::read_to_string(common::fixtures().join("../../rules/profiles/misra.toml"))
        .expect("misra profile")
        .replace(
            "advisory = \"advisory\"",
            "advisory = \"advisory\"\noracle = true",
        )
}

/// [`host_profile_toml`], resolved.
fn host_profile() -> timber::profile::Profile {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("host-oracle.toml");
    std::fs::write(&path, host_profile_toml()).expect("write profile");
    let guidelines = timber::check::catalogue::guidelines().expect("catalogue");
    let p = timber::profile::load(
        &path.display().to_string(),
        &guidelines,
        &timber::verify::targets::names(),
    )
    .expect("profile")
    .resolve(None)
    .expect("level");
    assert!(p.requirements.oracle && p.requirements.targets == ["host"]);
    p
}

fn options(model: &Path, oracle: Option<PathBuf>, out: PathBuf) -> CertifyOptions {
    CertifyOptions {
        model: model.to_path_buf(),
        format: FormatChoice::Auto,
        profile: host_profile(),
        deviations: Vec::new(),
        recategorizations: Vec::new(),
        extra_targets: Vec::new(),
        qualification: None,
        review: None,
        oracle,
        seed: VectorOptions::default().seed,
        random_rows: VectorOptions::default().random_rows,
        layout: timber::codegen::c99::Layout::Auto,
        numeric: timber::codegen::c99::Numeric::Float,
        out,
        force: false,
        input_files: Vec::new(),
        verify: Default::default(),
        stage: None,
    }
}

type Fault = fn(&mut Ensemble);

/// The default direction of the first split of tree 0 flipped.
fn flip_default_direction(ens: &mut Ensemble) {
    if let Some(Node::Split(s)) = ens.trees[0].nodes.first_mut() {
        s.missing = match s.missing {
            MissingGoes::Left => MissingGoes::Right,
            MissingGoes::Right => MissingGoes::Left,
        };
    }
}

fn drop_base_score(ens: &mut Ensemble) {
    for b in &mut ens.base_score {
        *b = 0.0;
    }
}

fn wrong_link(ens: &mut Ensemble) {
    assert_eq!(ens.post_transform, PostTransform::Sigmoid);
    ens.post_transform = PostTransform::Identity;
}

#[test]
fn planted_frontend_faults_pass_verify_but_fail_the_oracle_naming_the_rows() {
    if common::targets_with_tools(&["host"]).is_none() {
        return;
    }
    let f = common::fixtures();
    let model = f.join("xgboost/binary_nan.json");
    let predictions = f.join("xgboost/binary_nan.oracle.csv");
    // The fixture's base score is not zero, so dropping it changes margins.
    let ens = load_model(&model, FormatChoice::Auto).expect("model");
    assert!(
        ens.base_score.iter().any(|b| *b != 0.0),
        "{:?}",
        ens.base_score
    );

    let dir = tempfile::tempdir().expect("tempdir");
    // The unmodified frontend passes.
    let ok = certify_with_frontend(
        &options(&model, Some(predictions.clone()), dir.path().join("ok")),
        &load_model_bytes,
    )
    .expect("certify");
    assert_eq!(
        ok.certification.verdict,
        Status::Pass,
        "{:#?}",
        ok.certification.requirements
    );

    let faults: [(&str, Fault); 3] = [
        ("flipped default direction", flip_default_direction),
        ("dropped base score", drop_base_score),
        ("wrong link function", wrong_link),
    ];
    for (name, fault) in faults {
        let read = move |p: &Path, b: &[u8], f: FormatChoice| {
            let mut ens = load_model_bytes(p, b, f)?;
            fault(&mut ens);
            Ok(ens)
        };
        let out = dir.path().join(name.replace(' ', "-"));
        let got = certify_with_frontend(
            &options(&model, Some(predictions.clone()), out.clone()),
            &read,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let cert = &got.certification;
        let row = |id: &str| {
            cert.requirements
                .iter()
                .find(|r| r.id == id)
                .unwrap_or_else(|| panic!("{name}: no {id} row"))
        };
        // The generated C and the (faulty) reference agree bit for bit...
        assert_eq!(
            row("verify:host").status,
            Status::Pass,
            "{name}: {}",
            row("verify:host").measured
        );
        // ...and only the framework shows the fault.
        let o = row("oracle");
        assert_eq!(o.status, Status::Fail, "{name}: {}", o.measured);
        assert_eq!(cert.verdict, Status::Fail, "{name}");
        let rows = cmp_rows(&out);
        assert!(
            !rows.is_empty() && o.measured.contains(&format!("in {} rows: ", rows.len())),
            "{name}: {} {rows:?}",
            o.measured
        );
        let cmp: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join("oracle/comparison.json")).expect("comparison.json"),
        )
        .expect("json");
        let listed = cmp["mismatches"].as_array().expect("mismatches");
        assert!(!listed.is_empty(), "{name}");
        let first = &listed[0];
        assert!(
            o.measured.contains(&format!("row {} ", first["row"])),
            "{name}: {} vs {first}",
            o.measured
        );
        assert_ne!(first["framework"], first["reference"], "{name}: {first}");
        eprintln!("{name}: {}", o.measured);
    }
}

/// The mismatching rows recorded in the bundle's comparison.json.
fn cmp_rows(bundle: &Path) -> Vec<u64> {
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(bundle.join("oracle/comparison.json")).expect("comparison.json"),
    )
    .expect("json");
    v["mismatch_rows"]
        .as_array()
        .expect("mismatch_rows")
        .iter()
        .map(|r| r.as_u64().expect("row"))
        .collect()
}

fn timber(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_timber"));
    c.current_dir(cwd).env_remove("SOURCE_DATE_EPOCH");
    c
}

#[test]
fn a_level_that_demands_the_oracle_fails_without_it_and_refuses_foreign_predictions() {
    if common::targets_with_tools(&["host"]).is_none() {
        return;
    }
    let f = common::fixtures();
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("p.toml");
    std::fs::write(&profile, host_profile_toml()).expect("profile");
    let model = f.join("xgboost/regression.json");
    let out = timber(dir.path())
        .arg("certify")
        .arg(&model)
        .args(["--profile"])
        .arg(&profile)
        .args(["--random-rows", "8", "--out", "b1"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  oracle")
            && stdout.contains("timber vectors regression.json --out vectors.csv")
            && stdout.contains(
                "python3 scripts/oracle.py regression.json vectors.csv --out predictions.csv"
            ),
        "{stdout}"
    );
    // Predictions of another model: bad input naming the file and line.
    let out = timber(dir.path())
        .arg("certify")
        .arg(&model)
        .args(["--profile"])
        .arg(&profile)
        .arg("--oracle")
        .arg(f.join("xgboost/binary_nan.oracle.csv"))
        .args(["--out", "b2"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("binary_nan.oracle.csv: line 3: made from a model"),
        "{stderr}"
    );
    // The right model, other vectors (fewer random rows).
    let out = timber(dir.path())
        .arg("certify")
        .arg(f.join("xgboost/binary_nan.json"))
        .args(["--profile"])
        .arg(&profile)
        .arg("--oracle")
        .arg(f.join("xgboost/binary_nan.oracle.csv"))
        .args(["--random-rows", "8", "--out", "b3"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 4: made from vectors"), "{stderr}");
}

#[test]
fn the_vectors_command_writes_what_certify_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = common::fixtures();
    let out = timber(dir.path())
        .arg("vectors")
        .arg(f.join("xgboost/binary_nan.json"))
        .args(["--out", "v.csv"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.path().join("v.csv")).expect("v.csv");
    let committed =
        std::fs::read_to_string(f.join("xgboost/binary_nan.vectors.csv")).expect("committed");
    assert!(
        written == committed,
        "timber vectors differs from the committed vectors"
    );
    // Every cell parses back to the float32 the vectors hold.
    let ens = load_model(&f.join("xgboost/binary_nan.json"), FormatChoice::Auto).expect("model");
    let rows = rows_of(&ens);
    for (line, row) in written.lines().skip(1).zip(&rows) {
        for (cell, v) in line.split(',').zip(row) {
            let back: f32 = cell.parse().expect("number");
            assert!(
                back.to_bits() == v.to_bits() || (back.is_nan() && v.is_nan()),
                "{cell}"
            );
        }
    }
    assert_eq!(written.lines().count(), rows.len() + 1);
}
