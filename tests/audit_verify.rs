//! `timber audit verify` as an auditor runs it: an intact bundle passes,
//! a one-byte change anywhere is caught and blamed on exactly that file,
//! and with `--model` a consistently re-hashed forgery is caught too.
//! Also: the manifest's canonical form and the JSON Schemas in audit/schema.
//!
//! The bundle is a real one: `timber::certify::certify` on
//! tests/fixtures/xgboost/binary_nan.json under iso26262 ASIL-A (host and
//! cortex-m4f), certified once per test process and copied for each test.
//! Without the toolchains (gcc, gcov, arm-none-eabi-gcc, qemu-system-arm)
//! the tests print a notice and pass, unless the `CI` environment variable
//! is set: then they fail.

mod common;

use common::bundle::{copy_dir, rehash_attestations};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use timber::audit::{layout, manifest, verify::verify_bundle};
use timber::certify::{certify, CertifyError, CertifyOptions};
use timber::check::catalogue;
use timber::frontend::{sha256_hex, FormatChoice};
use timber::verify::VerifyOptions;

fn model(name: &str) -> PathBuf {
    common::fixtures().join("xgboost").join(name)
}

/// Run the real pipeline (`timber certify model --profile iso26262 --level
/// ASIL-A`: host and cortex-m4f) on `model` into `out`. None when a
/// toolchain is missing outside CI (a notice); under CI that fails.
fn certify_into(model: &Path, out: &Path) -> Option<()> {
    let guidelines = catalogue::guidelines().expect("rule catalogue");
    let targets = timber::verify::targets::names();
    let prof = timber::profile::load("iso26262", &guidelines, &targets)
        .expect("iso26262 profile")
        .resolve(Some("ASIL-A"))
        .expect("ASIL-A");
    let opts = CertifyOptions {
        layout: timber::codegen::c99::Layout::Auto,
        numeric: timber::codegen::c99::Numeric::Float,
        model: model.to_path_buf(),
        format: FormatChoice::Auto,
        profile: prof,
        deviations: Vec::new(),
        recategorizations: Vec::new(),
        extra_targets: Vec::new(),
        qualification: None,
        review: None,
        oracle: None,
        seed: 0x7469_6d62_6572,
        random_rows: 64,
        out: out.to_path_buf(),
        force: false,
        input_files: Vec::new(),
        verify: VerifyOptions {
            jobs: Some(2),
            ..Default::default()
        },
        stage: None,
    };
    match certify(&opts) {
        Ok(_) => Some(()),
        Err(e @ CertifyError::ToolMissing(_)) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set and a toolchain is missing: {e}"
            );
            eprintln!("NOTICE: {e}; bundle checks skipped");
            None
        }
        Err(e) => panic!("certify {}: {e}", model.display()),
    }
}

/// The pristine bundle of binary_nan.json, certified once per test process.
fn pristine() -> Option<&'static Path> {
    static PRISTINE: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    PRISTINE
        .get_or_init(|| {
            let tmp = tempfile::tempdir().expect("tempdir");
            let dir = tmp.path().join("pristine");
            certify_into(&model("binary_nan.json"), &dir)?;
            Some((tmp, dir))
        })
        .as_ref()
        .map(|(_, d)| d.as_path())
}

/// Every file of a bundle by bundle path, sorted (manifest.json included).
fn bundle_files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let rel = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{rel}/"), out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

/// A private copy of the pristine bundle; None (after a notice) when the
/// toolchains are missing outside CI.
fn bundle() -> Option<(tempfile::TempDir, PathBuf)> {
    let pristine = pristine()?;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    copy_dir(pristine, &dir);
    Some((tmp, dir))
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
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
    let o = audit(&dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let root = manifest::root_hash(&dir).unwrap();
    let listed = bundle_files(&dir).len() - 1;
    assert!(
        stdout.starts_with(&format!("bundle intact: {listed} files, root sha256 ")),
        "{stdout}"
    );
    assert!(stdout.contains(&root), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

#[test]
fn one_changed_byte_in_any_file_is_caught_and_blamed_on_that_file() {
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
    // One file of each kind a real bundle has.
    let files = [
        layout::MANIFEST,
        layout::CERTIFICATION,
        layout::IR,
        "src/model.c",
        "src/model.h",
        "src/model_data.c",
        "src/model_data.h",
        layout::CHECK_SARIF,
        layout::CHECK_SUMMARY,
        layout::CHECK_PLAN,
        layout::CHECK_REVIEW,
        "verify/host.json",
        "verify/cortex-m4f.json",
        layout::VECTORS,
        layout::COVERAGE,
        layout::COVERAGE_DRIVER,
        layout::HARNESS_C,
        layout::HARNESS_VECTORS_C,
        "verify/outputs/host.txt",
        layout::RESOURCES,
        layout::ASSUMPTIONS_JSON,
        layout::ASSUMPTIONS_MD,
        layout::WARNINGS,
        layout::TOOLCHAIN,
        layout::TRACEABILITY,
        layout::PROVENANCE,
        layout::TEST_RESULT,
        layout::REPORT_HTML,
    ];
    // ... and no kind is left out: every file of the bundle is one of them
    // (by directory and extension), so a new kind of file must join here.
    let kind = |rel: &str| -> (String, String) {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let ext = name.split_once('.').map_or("", |(_, e)| e);
        (dir.to_string(), ext.to_string())
    };
    for rel in bundle_files(&dir) {
        assert!(
            files.iter().any(|f| kind(f) == kind(&rel)),
            "{rel}: a kind of bundle file the tamper test does not cover"
        );
    }
    let mut wrong = Vec::new();
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
            let text = audit(&dir, &[]);
            let stdout = String::from_utf8_lossy(&text.stdout);
            let blamed = problem_files(&o);
            if renamed_manifest_entry(&original, &bytes).is_some() {
                // A renamed entry is the manifest's fault (see
                // `a_renamed_manifest_entry_is_blamed_on_the_manifest`).
                assert_eq!(o.status.code(), Some(1), "{rel} byte {at}: {}", out(&o));
                assert_eq!(
                    blamed,
                    vec![layout::MANIFEST.to_string()],
                    "{rel} byte {at}: {}",
                    out(&o)
                );
                std::fs::write(&path, &original).unwrap();
                continue;
            }
            if o.status.code() != Some(1)
                || text.status.code() != Some(1)
                || blamed != vec![rel.to_string()]
                || !stdout
                    .lines()
                    .skip(1)
                    .all(|l| l.starts_with(&format!("{rel}: ")))
            {
                wrong.push(format!(
                    "{rel} byte {at} ({:?} -> '~'): exit {:?}, blamed {blamed:?}\n{stdout}",
                    char::from(original[at]),
                    o.status.code()
                ));
            }
        }
        std::fs::write(&path, &original).unwrap();
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let o = audit(&dir, &[]);
    assert_eq!(o.status.code(), Some(0), "restored: {}", out(&o));
}

/// When `changed` is `original` manifest text with one entry's path
/// renamed (and still a well-formed manifest): (old path, new path).
fn renamed_manifest_entry(original: &[u8], changed: &[u8]) -> Option<(String, String)> {
    let parse = |b: &[u8]| serde_json::from_slice::<manifest::Manifest>(b).ok();
    let (a, b) = (parse(original)?, parse(changed)?);
    let pairs: Vec<(String, String)> = a
        .files
        .iter()
        .zip(&b.files)
        .filter(|(x, y)| x.path != y.path)
        .map(|(x, y)| (x.path.clone(), y.path.clone()))
        .collect();
    match pairs.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// A manifest entry renamed to a path that is not in the bundle, its hash
/// unchanged: the file on disk under the old name has exactly the hash the
/// manifest lists under the new name, so the evidence points at the
/// manifest. `audit verify` blames the two paths instead (as a missing and
/// an unexpected file).
#[test]
fn a_renamed_manifest_entry_is_blamed_on_the_manifest() {
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
    let path = dir.join(layout::MANIFEST);
    let mut m: manifest::Manifest =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let e = m
        .files
        .iter_mut()
        .find(|e| e.path == layout::RESOURCES)
        .unwrap();
    e.path = "reso~rces.json".into();
    std::fs::write(&path, m.to_canonical_json()).unwrap();
    let o = audit(&dir, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert_eq!(
        problem_files(&o),
        vec![layout::MANIFEST.to_string()],
        "{}",
        out(&o)
    );
}

/// An evidence file (check/, verify/, coverage/, resources.json) edited
/// and re-hashed in the manifest only: the test-result statement's
/// `configuration` digest still names the original, a second witness
/// against the edit.
#[test]
fn an_evidence_file_contradicting_its_test_result_digest_is_caught() {
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
    let path = dir.join(layout::CHECK_SUMMARY);
    let text = std::fs::read_to_string(&path).unwrap();
    let forged = text.replacen("\"findings\": [", "\"findings\": [ ", 1);
    assert_ne!(forged, text);
    std::fs::write(&path, forged).unwrap();
    manifest::write(&dir).unwrap();
    let o = audit(&dir, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert_eq!(
        problem_files(&o),
        vec![layout::TEST_RESULT.to_string()],
        "{}",
        out(&o)
    );
}

#[test]
fn a_valid_looking_hash_change_in_the_manifest_is_blamed_on_the_manifest() {
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
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
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
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
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
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
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
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
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
    let c = dir.join("src/model.c");
    let text = std::fs::read_to_string(&c).unwrap();
    let forged = text.replacen("return", "return /* forged */", 1);
    assert_ne!(forged, text);
    std::fs::write(&c, forged).unwrap();
    // The attacker re-writes every hash that covers the file.
    rehash_attestations(&dir);
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
    let Some((_t, dir)) = bundle() else {
        return;
    };
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
    let Some((tmp, dir)) = bundle() else {
        return;
    };
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
    // The whole pipeline run again into another directory.
    let other = tmp.path().join("again");
    certify_into(&model("binary_nan.json"), &other).expect("tools were there a moment ago");
    assert_eq!(
        std::fs::read_to_string(other.join(layout::MANIFEST)).unwrap(),
        text
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
    let Some((tmp, dir)) = bundle() else {
        return;
    };
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
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
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
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
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
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
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
    let Some((_tmp, dir)) = bundle() else {
        return;
    };
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
