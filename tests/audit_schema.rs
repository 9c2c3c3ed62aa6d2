//! Every JSON file of a real audit bundle validates against its JSON Schema
//! in audit/schema/, and every JSON file has exactly one schema.
//!
//! Each schema names the bundle paths it governs in its
//! `x-timber-bundle-path` keyword (a regular expression over the bundle
//! path). A JSON file that no schema claims fails the test, so a new file
//! cannot slip into the bundle undescribed; a schema that claims no file
//! of either bundle fails it too.
//!
//! The bundles come from the real pipeline (`timber::certify::certify`,
//! profile iso26262 ASIL-A: host and cortex-m4f). Without the toolchains
//! (gcc, gcov, arm-none-eabi-gcc, qemu-arm) the tests print a notice and
//! pass, unless the `CI` environment variable is set: then they fail.

mod common;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use timber::audit::layout;
use timber::certify::{certify, CertifyError, CertifyOptions};
use timber::check::catalogue;
use timber::frontend::FormatChoice;
use timber::profile;
use timber::verify::VerifyOptions;

const MODELS: [&str; 2] = ["binary_nan.json", "multiclass.json"];

/// Certify `model` (a fixture of tests/fixtures/xgboost) under iso26262
/// ASIL-A into `out`. None when a toolchain is missing outside CI.
fn certify_into(model: &str, out: &Path) -> Option<()> {
    let guidelines = catalogue::guidelines().expect("rule catalogue");
    let targets = timber::verify::targets::names();
    let prof = profile::load("iso26262", &guidelines, &targets)
        .expect("iso26262 profile")
        .resolve(Some("ASIL-A"))
        .expect("ASIL-A");
    let opts = CertifyOptions {
        layout: timber::codegen::c99::Layout::Auto,
        numeric: timber::codegen::c99::Numeric::Float,
        model: common::fixtures().join("xgboost").join(model),
        format: FormatChoice::Auto,
        profile: prof,
        deviations: Vec::new(),
        recategorizations: Vec::new(),
        extra_targets: Vec::new(),
        qualification: None,
        review: None,
        // binary_nan carries XGBoost's own predictions of its vectors
        // (made for the default 256 random rows).
        oracle: (model == "binary_nan.json")
            .then(|| common::fixtures().join("xgboost/binary_nan.oracle.csv")),
        seed: 0x7469_6d62_6572,
        random_rows: if model == "binary_nan.json" { 256 } else { 64 },
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
        Ok(_) => {
            // Signed, so the envelope's schema is checked too.
            let key = ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]);
            timber::audit::sign::sign_bundle(out, &key).expect("sign the bundle");
            Some(())
        }
        Err(e @ CertifyError::ToolMissing(_)) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set and a toolchain is missing: {e}"
            );
            eprintln!("NOTICE: {e}; bundle schema checks skipped");
            None
        }
        Err(e) => panic!("certify {model}: {e}"),
    }
}

/// (model fixture, its bundle directory).
type Bundles = Vec<(String, PathBuf)>;

/// One bundle per model, built once per test process (the temporary
/// directory lives as long as the process).
fn bundles() -> Option<&'static [(String, PathBuf)]> {
    static BUNDLES: OnceLock<Option<(tempfile::TempDir, Bundles)>> = OnceLock::new();
    BUNDLES
        .get_or_init(|| {
            let tmp = tempfile::tempdir().expect("tempdir");
            let mut out = Vec::new();
            for m in MODELS {
                let dir = tmp.path().join(m.trim_end_matches(".json"));
                certify_into(m, &dir)?;
                if let Some(keep) = std::env::var_os("TIMBER_KEEP_BUNDLES") {
                    let dest = Path::new(&keep).join(m.trim_end_matches(".json"));
                    copy_dir(&dir, &dest);
                }
                out.push((m.to_string(), dir));
            }
            Some((tmp, out))
        })
        .as_ref()
        .map(|(_, v)| v.as_slice())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// Every file of a bundle by bundle path.
fn bundle_files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let entry = entry.expect("dir entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            if entry.file_type().expect("file type").is_dir() {
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

/// A bundle file that holds JSON (by its extension).
fn is_json(rel: &str) -> bool {
    rel.ends_with(".json") || rel.ends_with(".sarif")
}

struct Schema {
    file: String,
    /// `x-timber-bundle-path`, compiled as a JSON Schema `pattern` (the
    /// same regular expression dialect as the schemas themselves).
    claims: Claims,
    validator: jsonschema::Validator,
}

struct Claims(jsonschema::Validator);

impl Claims {
    fn new(pattern: &str) -> Result<Claims, String> {
        jsonschema::draft202012::new(&json!({"type": "string", "pattern": pattern}))
            .map(Claims)
            .map_err(|e| e.to_string())
    }
    fn is_match(&self, rel: &str) -> bool {
        self.0.is_valid(&json!(rel))
    }
}

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("audit/schema")
}

/// Every schema of audit/schema, compiled.
fn schemas() -> &'static [Schema] {
    static SCHEMAS: OnceLock<Vec<Schema>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut names: Vec<String> = std::fs::read_dir(schema_dir())
            .expect("audit/schema")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".schema.json"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|file| {
                let text = std::fs::read_to_string(schema_dir().join(&file)).expect("read schema");
                let schema: Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(
                    schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
                    "{file}: not draft 2020-12"
                );
                assert!(
                    jsonschema::meta::is_valid(&schema),
                    "{file} is not a valid JSON Schema"
                );
                let claims = schema["x-timber-bundle-path"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{file}: no x-timber-bundle-path"));
                let claims = Claims::new(claims)
                    .unwrap_or_else(|e| panic!("{file}: x-timber-bundle-path: {e}"));
                let validator =
                    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{file}: {e}"));
                Schema {
                    file,
                    claims,
                    validator,
                }
            })
            .collect()
    })
}

fn schema(file: &str) -> &'static Schema {
    schemas()
        .iter()
        .find(|s| s.file == file)
        .unwrap_or_else(|| panic!("no schema {file}"))
}

fn errors(s: &Schema, v: &Value) -> Vec<String> {
    s.validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn read_json(dir: &Path, rel: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: not JSON: {e}"))
}

#[test]
fn every_json_file_of_a_real_bundle_matches_exactly_one_schema_and_validates() {
    let Some(bundles) = bundles() else { return };
    let mut used: BTreeMap<&str, usize> = schemas().iter().map(|s| (s.file.as_str(), 0)).collect();
    let mut failures = Vec::new();
    for (model, dir) in bundles {
        let files = bundle_files(dir);
        // The bundle holds every kind of JSON file the layout names.
        for want in [
            layout::MANIFEST,
            layout::CERTIFICATION,
            layout::IR,
            layout::CHECK_SARIF,
            layout::CHECK_SUMMARY,
            layout::CHECK_PLAN,
            layout::VECTORS,
            layout::COVERAGE,
            layout::RESOURCES,
            layout::TOOLCHAIN,
            layout::TRACEABILITY,
            layout::PROVENANCE,
            layout::TEST_RESULT,
            "verify/host.json",
            "verify/cortex-m4f.json",
        ] {
            assert!(files.iter().any(|f| f == want), "{model}: no {want}");
        }
        if model == "binary_nan.json" {
            for want in [layout::ORACLE_PREDICTIONS, layout::ORACLE_COMPARISON] {
                assert!(files.iter().any(|f| f == want), "{model}: no {want}");
            }
        }
        for rel in &files {
            let claimed: Vec<&Schema> = schemas()
                .iter()
                .filter(|s| s.claims.is_match(rel))
                .collect();
            if !is_json(rel) {
                assert!(
                    claimed.is_empty(),
                    "{model}: {rel} is not JSON but schemas claim it"
                );
                continue;
            }
            // ir.json has its own canonical form checked by the IR's tests
            // (`Ensemble::to_canonical_json`); it is the one JSON file
            // without a schema here, and listed by name so that it stays
            // the only one.
            if rel == layout::IR {
                assert!(claimed.is_empty(), "{model}: a schema claims ir.json");
                continue;
            }
            match claimed.as_slice() {
                [one] => {
                    *used.get_mut(one.file.as_str()).expect("known schema") += 1;
                    let v = read_json(dir, rel);
                    for e in errors(one, &v) {
                        failures.push(format!("{model}: {rel} ({}): {e}", one.file));
                    }
                }
                [] => failures.push(format!(
                    "{model}: {rel}: no schema in audit/schema claims it"
                )),
                many => failures.push(format!(
                    "{model}: {rel}: claimed by {} schemas: {:?}",
                    many.len(),
                    many.iter().map(|s| &s.file).collect::<Vec<_>>()
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let unused: Vec<&&str> = used
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(f, _)| f)
        .collect();
    assert!(
        unused.is_empty(),
        "schemas that claim no bundle file: {unused:?}"
    );
}

#[test]
fn bundle_md_lists_every_file_kind_and_schema() {
    let text = std::fs::read_to_string(schema_dir().join("bundle.md")).expect("bundle.md");
    for s in schemas() {
        assert!(
            text.contains(&s.file),
            "bundle.md does not mention {}",
            s.file
        );
    }
    for path in [
        layout::MANIFEST,
        layout::CERTIFICATION,
        layout::IR,
        layout::CHECK_SARIF,
        layout::CHECK_SUMMARY,
        layout::CHECK_PLAN,
        layout::CHECK_REVIEW,
        layout::VECTORS,
        layout::COVERAGE,
        layout::RESOURCES,
        layout::TOOLCHAIN,
        layout::TRACEABILITY,
        layout::PROVENANCE,
        layout::TEST_RESULT,
        layout::ORACLE_PREDICTIONS,
        layout::ORACLE_COMPARISON,
        layout::REPORT_HTML,
    ] {
        assert!(text.contains(path), "bundle.md does not mention {path}");
    }
}

/// Mutations of real documents that their schema must refuse: a schema
/// that cannot fail proves nothing.
#[test]
fn mutated_documents_are_rejected() {
    let Some(bundles) = bundles() else { return };
    let (_, dir) = &bundles[0];
    let not_hex = "g".repeat(64);
    // (file, schema, JSON pointer of the value to replace (None: remove the
    // last pointer segment instead), replacement)
    type Mutation = (&'static str, &'static str, String, Option<Value>);
    let mutations: Vec<Mutation> = vec![
        // sha256 that is not 64 lower-case hex.
        (
            layout::TOOLCHAIN,
            "toolchain.schema.json",
            "/embedded/rules~1guidelines.toml".into(),
            Some(json!("abc")),
        ),
        (
            layout::TOOLCHAIN,
            "toolchain.schema.json",
            "/embedded/qemu~1harness.c".into(),
            Some(json!(not_hex)),
        ),
        (
            layout::PROVENANCE,
            "provenance.intoto.schema.json",
            "/subject/0/digest/sha256".into(),
            Some(json!("ABCDEF".repeat(10) + "ABCD")),
        ),
        (
            layout::TEST_RESULT,
            "test-result.intoto.schema.json",
            "/predicate/configuration/0/digest/sha256".into(),
            Some(json!("0".repeat(63))),
        ),
        (
            "verify/host.json",
            "verify-target.schema.json",
            "/target_toml_sha256".into(),
            Some(json!("0".repeat(65))),
        ),
        // Absolute and escaping paths where bundle paths belong.
        (
            layout::TRACEABILITY,
            "traceability.schema.json",
            "/tables/0/file".into(),
            Some(json!("/home/me/src/model_data.c")),
        ),
        (
            layout::TRACEABILITY,
            "traceability.schema.json",
            "/tables/0/file".into(),
            Some(json!("src/../../etc/passwd")),
        ),
        (
            layout::PROVENANCE,
            "provenance.intoto.schema.json",
            "/subject/0/name".into(),
            Some(json!("/tmp/bundle/ir.json")),
        ),
        (
            layout::TEST_RESULT,
            "test-result.intoto.schema.json",
            "/predicate/configuration/0/name".into(),
            Some(json!("../check/plan.json")),
        ),
        (
            layout::CHECK_SUMMARY,
            "compliance.schema.json",
            "/files/0".into(),
            Some(json!("C:\\work\\model.c")),
        ),
        (
            layout::CHECK_SARIF,
            "sarif.schema.json",
            "/version".into(),
            Some(json!("2.0.0")),
        ),
        (
            layout::PROVENANCE,
            "provenance.intoto.schema.json",
            "/predicate/buildDefinition/externalParameters/model".into(),
            Some(json!("/home/me/model.json")),
        ),
        // Unknown fields where we control the format.
        (
            layout::TOOLCHAIN,
            "toolchain.schema.json",
            "/hostname".into(),
            Some(json!("build-42")),
        ),
        (
            layout::TOOLCHAIN,
            "toolchain.schema.json",
            "/tools/0/path".into(),
            Some(json!("/usr/bin/gcc")),
        ),
        (
            layout::RESOURCES,
            "resources.schema.json",
            "/targets/0/stack/when".into(),
            Some(json!("now")),
        ),
        (
            layout::COVERAGE,
            "coverage.schema.json",
            "/elapsed_ms".into(),
            Some(json!(12)),
        ),
        (
            layout::VECTORS,
            "vectors.schema.json",
            "/extra".into(),
            Some(json!(true)),
        ),
        (
            layout::CHECK_PLAN,
            "plan.schema.json",
            "/guidelines/0/note".into(),
            Some(json!("x")),
        ),
        (
            layout::PROVENANCE,
            "provenance.intoto.schema.json",
            "/predicate/runDetails/metadata/hostname".into(),
            Some(json!("ci-7")),
        ),
        // Wrong values and types.
        (
            "verify/host.json",
            "verify-target.schema.json",
            "/build_ms".into(),
            Some(json!(1234)),
        ),
        (
            "verify/host.json",
            "verify-target.schema.json",
            "/status".into(),
            Some(json!("passed")),
        ),
        (
            layout::VECTORS,
            "vectors.schema.json",
            "/inputs/0/0".into(),
            Some(json!("3f80000")),
        ),
        (
            layout::VECTORS,
            "vectors.schema.json",
            "/expected/0/0".into(),
            Some(json!(1.0)),
        ),
        (
            layout::COVERAGE,
            "coverage.schema.json",
            "/files/0/file".into(),
            Some(json!("/tmp/build/model.c")),
        ),
        (
            layout::COVERAGE,
            "coverage.schema.json",
            "/commands/0".into(),
            Some(json!("/usr/bin/gcc -c /tmp/x/model.c")),
        ),
        (
            layout::TRACEABILITY,
            "traceability.schema.json",
            "/tables/0/rows/0".into(),
            Some(json!([0, 0])),
        ),
        (
            layout::TEST_RESULT,
            "test-result.intoto.schema.json",
            "/predicate/result".into(),
            Some(json!("OK")),
        ),
        (
            layout::TEST_RESULT,
            "test-result.intoto.schema.json",
            "/predicate/warnedTests".into(),
            Some(json!(["misra"])),
        ),
        (
            layout::CHECK_SARIF,
            "sarif.schema.json",
            "/runs/0/tool/driver/name".into(),
            Some(json!("")),
        ),
        // Required fields removed.
        (
            layout::TOOLCHAIN,
            "toolchain.schema.json",
            "/timber_version".into(),
            None,
        ),
        (
            layout::TRACEABILITY,
            "traceability.schema.json",
            "/nodes_traced".into(),
            None,
        ),
        (
            "verify/cortex-m4f.json",
            "verify-target.schema.json",
            "/output_hash".into(),
            None,
        ),
        (
            layout::PROVENANCE,
            "provenance.intoto.schema.json",
            "/predicateType".into(),
            None,
        ),
        (
            layout::CHECK_SARIF,
            "sarif.schema.json",
            "/runs/0/tool/driver/rules".into(),
            None,
        ),
        (
            layout::CHECK_SUMMARY,
            "compliance.schema.json",
            "/summary".into(),
            None,
        ),
    ];
    let mut accepted = Vec::new();
    for (rel, schema_file, pointer, replacement) in mutations {
        let s = schema(schema_file);
        assert!(s.claims.is_match(rel), "{schema_file} does not claim {rel}");
        let original = read_json(dir, rel);
        assert_eq!(errors(s, &original), Vec::<String>::new(), "{rel} pristine");
        let mut v = original.clone();
        let (parent, last) = pointer.rsplit_once('/').expect("pointer");
        let last = last.replace("~1", "/").replace("~0", "~");
        let target = v
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("{rel}: no {parent}"));
        match (target, replacement) {
            (Value::Object(o), Some(r)) => {
                o.insert(last, r);
            }
            (Value::Object(o), None) => {
                assert!(o.remove(&last).is_some(), "{rel}: no {pointer}");
            }
            (Value::Array(a), Some(r)) => {
                let i: usize = last.parse().expect("index");
                assert!(i < a.len(), "{rel}: no {pointer}");
                a[i] = r;
            }
            (other, _) => panic!("{rel}: {parent} is {other}"),
        }
        assert_ne!(v, original, "{rel} {pointer}: mutation changed nothing");
        if errors(s, &v).is_empty() {
            accepted.push(format!("{rel} {pointer}"));
        }
    }
    assert!(
        accepted.is_empty(),
        "mutated documents the schemas accept:\n{}",
        accepted.join("\n")
    );
}

/// The bundle-path pattern the schemas share refuses what
/// `manifest::check_bundle_path` refuses, and accepts what it accepts.
#[test]
fn bundle_path_pattern_agrees_with_the_verifier() {
    let s = schema("traceability.schema.json");
    let tr = |file: &str| {
        json!({
            "schema_version": 1,
            "ir_tree_to_source_tree": [0],
            "tables": [{"file": file, "table": "timber_nodes", "rows": [[0, 0, 1]]}],
            "nodes_traced": 1
        })
    };
    for good in ["src/model.c", "src/model_data.c"] {
        assert!(timber::audit::manifest::check_bundle_path(good).is_ok());
        assert_eq!(errors(s, &tr(good)), Vec::<String>::new(), "{good}");
    }
    for bad in [
        "",
        "/src/model.c",
        "src/../model.c",
        "src//model.c",
        "src/./model.c",
        "src\\model.c",
        "src/",
        "src/a\u{0}.c",
    ] {
        assert!(timber::audit::manifest::check_bundle_path(bad).is_err());
        assert!(!errors(s, &tr(bad)).is_empty(), "{bad:?} accepted");
    }
}

/// Every field of every schema is described, and every object of a format
/// timber controls refuses unknown fields (SARIF is not ours: open).
#[test]
fn every_field_is_described_and_our_objects_are_closed() {
    fn walk(file: &str, at: &str, node: &Value, closed: bool, out: &mut Vec<String>) {
        match node {
            Value::Object(o) => {
                if let Some(Value::Object(props)) = o.get("properties") {
                    if closed && o.get("additionalProperties") != Some(&Value::Bool(false)) {
                        out.push(format!(
                            "{file}{at}: object without additionalProperties false"
                        ));
                    }
                    for (name, p) in props {
                        if p.get("description").is_none() {
                            out.push(format!("{file}{at}/{name}: no description"));
                        }
                    }
                }
                for (k, v) in o {
                    walk(file, &format!("{at}/{k}"), v, closed, out);
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(file, &format!("{at}/{i}"), v, closed, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for s in schemas() {
        let text = std::fs::read_to_string(schema_dir().join(&s.file)).expect("schema");
        let v: Value = serde_json::from_str(&text).expect("schema JSON");
        assert!(
            v["title"].is_string() && v["description"].is_string(),
            "{}: no title or description",
            s.file
        );
        walk(&s.file, "", &v, s.file != "sarif.schema.json", &mut out);
    }
    assert!(out.is_empty(), "{}", out.join("\n"));
}
