//! `timber audit verify` as an auditor runs it: an intact bundle passes,
//! a one-byte change anywhere is caught and blamed on exactly that file,
//! and with `--model` a consistently re-hashed forgery is caught too.
//! Also: the manifest's canonical form and the JSON Schemas in audit/schema.

mod common;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use timber::audit::record::{
    CheckSummary, CoverageSummary, GenerationOptions, ModelInfo, ProfileInfo, Ratio, Requirement,
    Status, TargetSummary, CERTIFICATION_SCHEMA_VERSION,
};
use timber::audit::{layout, manifest, verify::verify_bundle};
use timber::frontend::{load_model, sha256_hex, FormatChoice};

fn model(name: &str) -> PathBuf {
    common::fixtures().join("xgboost").join(name)
}

/// Write what `timber certify` writes into `dir` for `model`, then the
/// manifest. The only place that knows how a bundle is made: certify will
/// replace it.
fn make_bundle(dir: &Path, model: &Path) {
    let write = |rel: &str, bytes: &[u8]| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    };
    let model_bytes = std::fs::read(model).unwrap();
    let ens = load_model(model, FormatChoice::Auto).unwrap();
    let files = timber::codegen::c99::emit_c99(&ens, &Default::default()).unwrap();
    write(layout::IR, ens.to_canonical_json().as_bytes());
    for f in &files {
        write(&layout::source_file(&f.name), f.contents.as_bytes());
    }
    let cert = timber::audit::record::Certification {
        schema_version: CERTIFICATION_SCHEMA_VERSION,
        generator: format!("timber {}", timber::version::TIMBER_VERSION),
        verdict: Status::Pass,
        model: ModelInfo {
            file_name: model.file_name().unwrap().to_string_lossy().into_owned(),
            sha256: sha256_hex(&model_bytes),
            format: "xgboost-json".into(),
            objective: ens.source.objective.clone(),
            n_trees: ens.trees.len(),
            n_nodes: ens.n_nodes(),
            n_features: ens.n_features,
            n_outputs: ens.n_outputs(),
        },
        profile: ProfileInfo {
            name: "iso26262".into(),
            standard: "ISO 26262-6:2018".into(),
            level: Some("ASIL-D".into()),
            sha256: sha256_hex(b"profile"),
            origin: "builtin".into(),
        },
        options: GenerationOptions {
            nan_policy: "missing".into(),
            seed: 7,
            random_rows: 256,
        },
        requirements: vec![Requirement {
            id: "misra".into(),
            title: "MISRA C:2012 rule check of the generated C".into(),
            demanded: "0 unjustified findings".into(),
            measured: "0".into(),
            status: Status::Pass,
            evidence: vec![layout::CHECK_SARIF.into()],
        }],
        targets: vec![TargetSummary {
            name: "host".into(),
            description: "x86-64".into(),
            status: "pass".into(),
            rows_run: 300,
            mismatches: 0,
            text: Some(1000),
            rodata: Some(2000),
            data: Some(0),
            bss: Some(0),
            stack_estimate: Some(96),
            stack_measured: Some(80),
            stack_budget: None,
        }],
        coverage: Some(CoverageSummary {
            statement: Ratio {
                covered: 10,
                total: 10,
            },
            branch: Ratio {
                covered: 8,
                total: 8,
            },
            mcdc: None,
        }),
        check: CheckSummary {
            files: 4,
            guidelines_enforced: 99,
            findings: 0,
            failing: 0,
            deviated: 0,
        },
        timestamp: None,
    };
    let mut text = serde_json::to_string_pretty(&cert).unwrap();
    text.push('\n');
    write(layout::CERTIFICATION, text.as_bytes());
    let sarif = json!({
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "timber", "rules": []}}, "results": []}]
    });
    write(
        layout::CHECK_SARIF,
        (serde_json::to_string_pretty(&sarif).unwrap() + "\n").as_bytes(),
    );
    write(
        layout::REPORT_HTML,
        b"<!DOCTYPE html>\n<html><head><title>timber audit</title></head><body>report</body></html>\n",
    );
    write_provenance(dir);
    manifest::write(dir).unwrap();
}

/// An in-toto statement whose subjects are the bundle's sources as they are
/// now (also what an attacker re-runs after editing a source).
fn write_provenance(dir: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(layout::SOURCES_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let subjects: Vec<Value> = names
        .iter()
        .map(|n| {
            let rel = layout::source_file(n);
            let bytes = std::fs::read(dir.join(&rel)).unwrap();
            json!({"name": rel, "digest": {"sha256": sha256_hex(&bytes)}})
        })
        .collect();
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "timber-certify"}, "runDetails": {}}
    });
    let path = dir.join(layout::PROVENANCE);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        serde_json::to_string_pretty(&statement).unwrap() + "\n",
    )
    .unwrap();
}

fn bundle() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    std::fs::create_dir(&dir).unwrap();
    make_bundle(&dir, &model("binary_nan.json"));
    (tmp, dir)
}

fn timber(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timber"))
        .args(args)
        .output()
        .expect("running timber")
}

fn audit(dir: &Path, extra: &[&str]) -> Output {
    let d = dir.to_string_lossy().into_owned();
    let mut args = vec!["audit", "verify", d.as_str()];
    args.extend_from_slice(extra);
    timber(&args)
}

fn out(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The files named by the problems of a `--format json` run.
fn problem_files(o: &Output) -> Vec<String> {
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}\n{}", out(o)));
    let mut files: Vec<String> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap().to_string())
        .collect();
    files.dedup();
    files
}

#[test]
fn intact_bundle_passes() {
    let (_tmp, dir) = bundle();
    let o = audit(&dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let root = manifest::root_hash(&dir).unwrap();
    assert!(
        stdout.starts_with("bundle intact: 9 files, root sha256 "),
        "{stdout}"
    );
    assert!(stdout.contains(&root), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

#[test]
fn one_changed_byte_in_any_file_is_caught_and_blamed_on_that_file() {
    let (_tmp, dir) = bundle();
    let files = [
        layout::MANIFEST,
        layout::CERTIFICATION,
        layout::IR,
        "src/model.c",
        "src/model.h",
        layout::CHECK_SARIF,
        layout::REPORT_HTML,
        layout::PROVENANCE,
    ];
    for rel in files {
        let path = dir.join(rel);
        let original = std::fs::read(&path).unwrap();
        let n = original.len();
        for at in [0, n / 3, n / 2, n - 1] {
            let mut bytes = original.clone();
            // A printable ASCII byte that differs: the file stays text.
            bytes[at] = if bytes[at] == b'~' { b'#' } else { b'~' };
            std::fs::write(&path, &bytes).unwrap();
            let o = audit(&dir, &["--format", "json"]);
            assert_eq!(o.status.code(), Some(1), "{rel} byte {at}: {}", out(&o));
            assert_eq!(problem_files(&o), vec![rel.to_string()], "{rel} byte {at}");
            let text = audit(&dir, &[]);
            assert_eq!(text.status.code(), Some(1));
            let stdout = String::from_utf8_lossy(&text.stdout);
            assert!(
                stdout
                    .lines()
                    .skip(1)
                    .all(|l| l.starts_with(&format!("{rel}: "))),
                "{rel} byte {at}: {stdout}"
            );
        }
        std::fs::write(&path, &original).unwrap();
    }
    let o = audit(&dir, &[]);
    assert_eq!(o.status.code(), Some(0), "restored: {}", out(&o));
}

#[test]
fn a_valid_looking_hash_change_in_the_manifest_is_blamed_on_the_manifest() {
    let (_tmp, dir) = bundle();
    let path = dir.join(layout::MANIFEST);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut m: manifest::Manifest = serde_json::from_str(&text).unwrap();
    for e in &mut m.files {
        if e.path == "src/model.c" || e.path == layout::REPORT_HTML {
            let first = if e.sha256.starts_with('0') { "1" } else { "0" };
            e.sha256.replace_range(0..1, first);
        }
    }
    std::fs::write(&path, m.to_canonical_json()).unwrap();
    let o = audit(&dir, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    // src/model.c: its attestation subject agrees with the file, so the
    // manifest is the odd one out. report.html has no second witness.
    assert_eq!(
        problem_files(&o),
        vec![
            layout::MANIFEST.to_string(),
            layout::REPORT_HTML.to_string()
        ],
        "{}",
        out(&o)
    );
}

#[test]
fn deleted_and_added_files_are_caught() {
    let (_tmp, dir) = bundle();
    std::fs::remove_file(dir.join("src/model_data.c")).unwrap();
    std::fs::write(dir.join("src/backdoor.c"), "int x;\n").unwrap();
    let o = audit(&dir, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<(String, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().into(),
                p["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("src/model_data.c".into(), "missing".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("src/backdoor.c".into(), "unexpected".into())),
        "{kinds:?}"
    );
    let text = audit(&dir, &[]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("src/model_data.c: listed in manifest.json but not in the bundle"));
    assert!(stdout.contains("src/backdoor.c: in the bundle but not listed in manifest.json"));
}

#[test]
fn the_right_model_regenerates_identically() {
    let (_tmp, dir) = bundle();
    let m = model("binary_nan.json");
    let o = audit(&dir, &["--model", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("regenerated and compared 5 files, 0 differ"),
        "{stdout}"
    );
}

#[test]
fn a_different_model_is_a_hash_mismatch_with_a_diff() {
    let (_tmp, dir) = bundle();
    let m = model("regression.json");
    let o = audit(&dir, &["--model", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let first_problem = stdout.lines().nth(1).unwrap_or_default();
    assert!(
        first_problem.contains("differs from certification.json model.sha256"),
        "{stdout}"
    );
    assert!(stdout.contains("--- bundle/src/model_data.c"), "{stdout}");
    assert!(
        stdout.contains("+++ regenerated/src/model_data.c"),
        "{stdout}"
    );
    assert!(stdout.contains("\n@@ -"), "{stdout}");
}

#[test]
fn an_edited_source_with_re_hashed_manifest_is_caught_by_regeneration() {
    let (_tmp, dir) = bundle();
    let c = dir.join("src/model.c");
    let text = std::fs::read_to_string(&c).unwrap();
    let forged = text.replacen("return", "return /* forged */", 1);
    assert_ne!(forged, text);
    std::fs::write(&c, forged).unwrap();
    // The attacker re-writes every hash that covers the file.
    write_provenance(&dir);
    manifest::write(&dir).unwrap();

    let o = audit(&dir, &[]);
    assert_eq!(o.status.code(), Some(0), "hashes alone agree: {}", out(&o));

    let m = model("binary_nan.json");
    let o = audit(&dir, &["--model", m.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert_eq!(problem_files(&o), vec!["src/model.c".to_string()]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let diff = v["problems"][0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("-") && diff.contains("/* forged */"),
        "{diff}"
    );

    let o = audit(&dir, &["--model", m.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("src/model.c: differs from what timber generates from the model"),
        "{stdout}"
    );
    assert!(stdout.contains("--- bundle/src/model.c"), "{stdout}");
}

#[test]
fn not_a_bundle_is_exit_2_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-bundle");
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    for p in [&missing, &empty, &file] {
        let o = audit(p, &[]);
        assert_eq!(o.status.code(), Some(2), "{}", out(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(&*p.to_string_lossy()), "{stderr}");
        assert!(stderr.contains("not an audit bundle"), "{stderr}");
    }
    // Bad usage.
    let o = timber(&["audit", "verify"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    // A model that cannot be read names the model.
    let (_t, dir) = bundle();
    let o = audit(&dir, &["--model", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&*missing.to_string_lossy()));
}

#[test]
fn help_explains_what_is_checked() {
    let o = timber(&["audit", "verify", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&o.stdout);
    for want in [
        "manifest.json",
        "canonical",
        "certification.json",
        "intoto",
        "--model",
        "Exit codes",
    ] {
        assert!(stdout.contains(want), "{want}: {stdout}");
    }
}

#[test]
fn manifest_is_canonical_sorted_and_deterministic() {
    let (tmp, dir) = bundle();
    let text = std::fs::read_to_string(dir.join(layout::MANIFEST)).unwrap();
    let m: manifest::Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(m.to_canonical_json(), text);
    let paths: Vec<&str> = m.files.iter().map(|e| e.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert!(!paths.contains(&layout::MANIFEST));
    assert!(paths.contains(&"src/model.c") && paths.contains(&layout::PROVENANCE));
    assert_eq!(
        manifest::root_hash(&dir).unwrap(),
        sha256_hex(text.as_bytes())
    );
    // Same content elsewhere -> same bytes (no absolute paths, no times).
    let other = tmp.path().join("again");
    std::fs::create_dir(&other).unwrap();
    make_bundle(&other, &model("binary_nan.json"));
    assert_eq!(
        std::fs::read(other.join(layout::MANIFEST)).unwrap(),
        text.as_bytes()
    );
    // Rewriting is idempotent and leaves no temporary file behind.
    manifest::write(&dir).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join(layout::MANIFEST)).unwrap(),
        text
    );
    assert_eq!(manifest::build(&dir).unwrap(), m);
}

#[cfg(unix)]
#[test]
fn symlinks_are_refused_by_build_and_reported_by_verify() {
    let (tmp, dir) = bundle();
    let outside = tmp.path().join("secret.txt");
    std::fs::write(&outside, "x").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("link.txt")).unwrap();
    let err = manifest::build(&dir).unwrap_err().to_string();
    assert!(
        err.contains("link.txt") && err.contains("symbolic link"),
        "{err}"
    );
    let report = verify_bundle(&dir, None).unwrap();
    assert!(!report.intact());
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].file, "link.txt");
    std::fs::remove_file(dir.join("link.txt")).unwrap();

    use std::os::unix::ffi::OsStrExt;
    let odd = dir.join(std::ffi::OsStr::from_bytes(b"odd\xff.txt"));
    std::fs::write(&odd, "x").unwrap();
    let err = manifest::build(&dir).unwrap_err().to_string();
    assert!(err.contains("odd") && err.contains("not UTF-8"), "{err}");
    let report = verify_bundle(&dir, None).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].message.contains("not UTF-8"));
}

#[test]
fn a_stale_temporary_manifest_is_not_listed_but_is_not_ignored_either() {
    let (_tmp, dir) = bundle();
    let stale = dir.join(".manifest.json.tmp");
    std::fs::write(&stale, "stale").unwrap();
    let report = verify_bundle(&dir, None).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].file, ".manifest.json.tmp");
    let m = manifest::write(&dir).unwrap();
    assert!(!stale.exists());
    assert!(m.files.iter().all(|e| e.path != ".manifest.json.tmp"));
    assert!(verify_bundle(&dir, None).unwrap().intact());
}

#[test]
fn manifest_paths_outside_the_bundle_are_never_opened() {
    let (_tmp, dir) = bundle();
    let path = dir.join(layout::MANIFEST);
    let mut m: manifest::Manifest =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m.files.insert(
        0,
        manifest::ManifestEntry {
            path: "../outside".into(),
            sha256: "0".repeat(64),
            bytes: 0,
        },
    );
    std::fs::write(&path, m.to_canonical_json()).unwrap();
    let report = verify_bundle(&dir, None).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].file, layout::MANIFEST);
    assert!(report.problems[0].message.contains("\"../outside\""));
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("audit/schema")
        .join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        jsonschema::meta::is_valid(&schema),
        "{name} is not a valid JSON Schema"
    );
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance).map(|e| e.to_string()).collect()
}

#[test]
fn bundle_files_validate_against_the_json_schemas() {
    let (_tmp, dir) = bundle();
    let read = |rel: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(rel)).unwrap()).unwrap()
    };
    let manifest_schema = schema("manifest.schema.json");
    let cert_schema = schema("certification.schema.json");
    let m = read(layout::MANIFEST);
    let c = read(layout::CERTIFICATION);
    assert_eq!(errors(&manifest_schema, &m), Vec::<String>::new());
    assert_eq!(errors(&cert_schema, &c), Vec::<String>::new());

    // Negative cases.
    let mut no_verdict = c.clone();
    no_verdict.as_object_mut().unwrap().remove("verdict");
    assert!(!errors(&cert_schema, &no_verdict).is_empty());
    let mut extra = c.clone();
    extra["model"]["path"] = json!("/home/me/model.json");
    assert!(!errors(&cert_schema, &extra).is_empty());
    let mut bad_policy = c.clone();
    bad_policy["options"]["nan_policy"] = json!("zero");
    assert!(!errors(&cert_schema, &bad_policy).is_empty());
    for bad_path in ["../x", "/etc/passwd", "manifest.json", "a//b"] {
        let mut bad = m.clone();
        bad["files"][0]["path"] = json!(bad_path);
        assert!(!errors(&manifest_schema, &bad).is_empty(), "{bad_path}");
    }
    let mut bad_hash = m.clone();
    bad_hash["files"][0]["sha256"] = json!("ABC");
    assert!(!errors(&manifest_schema, &bad_hash).is_empty());

    // The schema and the Rust record agree on the negative case.
    let text = serde_json::to_string(&no_verdict).unwrap();
    assert!(serde_json::from_str::<timber::audit::record::Certification>(&text).is_err());
}

#[test]
fn a_re_hashed_invalid_record_and_a_wrong_test_result_subject_are_caught() {
    let (_tmp, dir) = bundle();
    // A record without its verdict, re-hashed: the hashes agree, the record
    // does not parse.
    let cert_path = dir.join(layout::CERTIFICATION);
    let mut c: Value = serde_json::from_str(&std::fs::read_to_string(&cert_path).unwrap()).unwrap();
    c.as_object_mut().unwrap().remove("verdict");
    std::fs::write(&cert_path, serde_json::to_string_pretty(&c).unwrap()).unwrap();
    // A test-result statement whose subject does not match ir.json.
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": layout::IR, "digest": {"sha256": "0".repeat(64)}}],
        "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
        "predicate": {"result": "PASSED"}
    });
    std::fs::write(
        dir.join(layout::TEST_RESULT),
        serde_json::to_string_pretty(&statement).unwrap(),
    )
    .unwrap();
    manifest::write(&dir).unwrap();
    let report = verify_bundle(&dir, None).unwrap();
    let got: Vec<(&str, &str)> = report
        .problems
        .iter()
        .map(|p| (p.file.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, layout::TEST_RESULT, "{got:?}");
    assert!(got[0].1.contains("\"ir.json\""), "{got:?}");
    assert_eq!(got[1].0, layout::CERTIFICATION, "{got:?}");
    assert!(got[1].1.contains("verdict"), "{got:?}");
}
