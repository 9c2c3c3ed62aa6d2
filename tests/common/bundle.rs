//! Audit bundle helpers for the tamper and forgery tests.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use timber::audit::layout;
use timber::frontend::sha256_hex;

/// Every file under `dir`, by its `/`-separated path relative to `dir`.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
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

/// Copy a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// What an attacker re-runs after editing a file: every in-toto subject and
/// test-result configuration digest re-computed from the files as they are
/// now (the statements otherwise unchanged).
pub fn rehash_attestations(dir: &Path) {
    for rel in [layout::PROVENANCE, layout::TEST_RESULT] {
        let path = dir.join(rel);
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let rehash = |list: Option<&mut Value>| {
            for d in list.and_then(Value::as_array_mut).into_iter().flatten() {
                let name = d["name"].as_str().unwrap().to_string();
                let bytes = std::fs::read(dir.join(&name)).unwrap();
                d["digest"]["sha256"] = json!(sha256_hex(&bytes));
            }
        };
        rehash(v.get_mut("subject"));
        rehash(v.pointer_mut("/predicate/configuration"));
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
    }
}
