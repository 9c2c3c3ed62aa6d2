//! The worked example bundle in audit/example/ is what timber certifies
//! today: regenerated from its fixture model on every run, every file that
//! does not record the toolchain must be byte-identical to the committed
//! one, and the committed bundle must pass `timber audit verify` against the
//! model. Refresh after an intended change with
//! `TIMBER_UPDATE_EXAMPLE=1 cargo test --release --test audit_example`.
//!
//! Files that record tool identities (compiler, QEMU, coverage tool
//! versions, the timber binary's hash) are compared with those fields
//! blanked, since a rebuilt binary or a Debian point release changes them
//! and nothing else.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const MODEL: &str = "tests/fixtures/xgboost/binary_nan.json";
/// XGBoost's own predictions of the example's vectors (scripts/oracle.py).
const ORACLE: &str = "tests/fixtures/xgboost/binary_nan.oracle.csv";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .expect("under base")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Blank every value that names a tool's identity.
fn blank_tool_identity(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                let identity = k.contains("version")
                    || k == "timber_binary_sha256"
                    || k == "timber_source_commit"
                    || k == "timber_source_state"
                    || k == "mcdc_tool";
                if identity && !val.is_object() && !val.is_array() {
                    *val = Value::String("<tool identity>".into());
                } else {
                    blank_tool_identity(val);
                }
            }
            // The timber binary as a resolved dependency of the provenance.
            if map.get("name").and_then(Value::as_str) == Some("timber") {
                if let Some(d) = map.get_mut("digest") {
                    *d = Value::String("<tool identity>".into());
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(blank_tool_identity),
        _ => {}
    }
}

/// Files whose bytes may differ only in tool identities, and how many
/// evidence digests in them follow from those (test-result configuration,
/// manifest): compared structurally.
fn normalised(path: &str, bytes: &[u8]) -> Vec<u8> {
    let tool_bearing =
        path.starts_with("verify/") && path.ends_with(".json") && path != "verify/vectors.json"
            || path == "coverage/coverage.json"
            || path == "toolchain.json"
            || path.starts_with("attestations/");
    if !tool_bearing {
        return bytes.to_vec();
    }
    let mut v: Value = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    blank_tool_identity(&mut v);
    if path == "attestations/test-result.intoto.json" {
        // The configuration digests are those of the tool-bearing verify
        // and coverage files: names must match, digests follow the tools.
        if let Some(cfg) = v["predicate"]["configuration"].as_array_mut() {
            for c in cfg {
                c["digest"] = Value::String("<follows tool identity>".into());
            }
        }
    }
    serde_json::to_vec_pretty(&v).expect("json")
}

#[test]
fn the_example_bundle_is_what_timber_certifies_today() {
    let example = root().join("audit/example");
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = dir.path().join("example");
    let out = Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(root())
        .env_remove("SOURCE_DATE_EPOCH")
        .args([
            "certify",
            MODEL,
            "--oracle",
            ORACLE,
            "--profile",
            "iso26262",
            "--level",
            "ASIL-D",
            "--out",
        ])
        .arg(&fresh)
        .output()
        .expect("run timber certify");
    if out.status.code() == Some(3) && std::env::var_os("CI").is_none() {
        eprintln!(
            "NOTICE: toolchain missing, example not regenerated: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "the example must certify: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if std::env::var_os("TIMBER_UPDATE_EXAMPLE").is_some() {
        if example.exists() {
            std::fs::remove_dir_all(&example).expect("remove old example");
        }
        for (path, bytes) in read_tree(&fresh) {
            let target = example.join(&path);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::write(&target, bytes).expect("write example");
        }
        eprintln!("audit/example rewritten");
        return;
    }
    let committed = read_tree(&example);
    let regenerated = read_tree(&fresh);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        regenerated.keys().collect::<Vec<_>>(),
        "the example's file list changed; refresh it (see the file's docs)"
    );
    for (path, bytes) in &committed {
        if path == "manifest.json" {
            continue; // checked below by audit verify
        }
        assert!(
            normalised(path, bytes) == normalised(path, &regenerated[path]),
            "audit/example/{path} differs from a fresh certify run; refresh the example if the change is intended"
        );
    }
    // The committed example is intact and regenerates from its model.
    let v = Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(root())
        .args(["audit", "verify", "audit/example", "--model", MODEL])
        .output()
        .expect("run audit verify");
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}
