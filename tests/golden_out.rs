//! Golden generated code: for a handful of models of every format, each C
//! layout, the integer mode and the WebAssembly backend, the emitted files
//! and `ir.json` are committed under `tests/out/` and compared byte for
//! byte. A change of the generator therefore shows up in review as a diff of
//! the C (or WAT) it emits, not only as a changed hash.
//!
//! After an intended generator change, regenerate and review the diff:
//!
//! ```sh
//! TIMBER_BLESS=1 cargo test --release --test golden_out
//! git diff tests/out/
//! ```
//!
//! The test also fails on files under `tests/out/` that no case produces
//! (a case removed or renamed without its outputs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use timber::codegen::c99::{Layout, NanPolicy, Numeric};
use timber::frontend::{load_model, FormatChoice};

/// What to emit for one model.
enum Variant {
    C(Layout, Numeric),
    Wasm,
}

impl Variant {
    fn dir_name(&self) -> String {
        match self {
            Variant::C(layout, Numeric::Float) => format!("c99-{}", layout_name(*layout)),
            Variant::C(_, Numeric::Int) => "c99-int".to_string(),
            Variant::Wasm => "wasm".to_string(),
        }
    }
}

fn layout_name(l: Layout) -> &'static str {
    match l {
        Layout::Auto => "auto",
        Layout::Table => "table",
        Layout::Branches => "branches",
        Layout::Compact => "compact",
    }
}

/// (name under tests/out, fixture path, variants). Small models of every
/// format and every accumulator width; every layout on one of them.
fn cases() -> Vec<(&'static str, &'static str, Vec<Variant>)> {
    use Layout::*;
    vec![
        (
            "xgboost-binary_hinge",
            "xgboost/binary_hinge.json",
            vec![
                Variant::C(Table, Numeric::Float),
                Variant::C(Branches, Numeric::Float),
                Variant::C(Compact, Numeric::Float),
                Variant::C(Compact, Numeric::Int),
                Variant::Wasm,
            ],
        ),
        (
            "xgboost-multiclass_softmax",
            "xgboost/multiclass_softmax.json",
            vec![Variant::C(Auto, Numeric::Float)],
        ),
        (
            "lightgbm-binary_nan",
            "lightgbm/binary_nan.txt",
            vec![
                Variant::C(Auto, Numeric::Float),
                Variant::C(Compact, Numeric::Int),
                Variant::Wasm,
            ],
        ),
        (
            "catboost-binary",
            "catboost/binary.json",
            vec![Variant::C(Auto, Numeric::Float)],
        ),
        (
            "sklearn-dt_clf",
            "sklearn/dt_clf/model.pkl",
            vec![Variant::C(Auto, Numeric::Float)],
        ),
        (
            "onnx-skl_dt_binary",
            "onnx/skl_dt_binary/model.onnx",
            vec![Variant::C(Auto, Numeric::Float), Variant::Wasm],
        ),
    ]
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file a case produces, by path relative to tests/out.
fn produce() -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for (name, fixture, variants) in cases() {
        let path = root().join("tests/fixtures").join(fixture);
        let ens =
            load_model(&path, FormatChoice::Auto).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        out.insert(
            format!("{name}/ir.json"),
            ens.to_canonical_json().into_bytes(),
        );
        for v in variants {
            let dir = format!("{name}/{}", v.dir_name());
            match v {
                Variant::C(layout, numeric) => {
                    let opts = timber::codegen::c99::Options {
                        nan_policy: NanPolicy::Missing,
                        layout,
                        numeric,
                    };
                    let files = timber::codegen::c99::emit_c99(&ens, &opts)
                        .unwrap_or_else(|e| panic!("{dir}: {e}"));
                    for f in files {
                        out.insert(format!("{dir}/{}", f.name), f.contents.into_bytes());
                    }
                }
                Variant::Wasm => {
                    let opts = timber::codegen::wasm::Options {
                        nan_policy: NanPolicy::Missing,
                    };
                    let module = timber::codegen::wasm::emit_wasm(&ens, &opts)
                        .unwrap_or_else(|e| panic!("{dir}: {e}"));
                    for (file, bytes) in module.files() {
                        if file.ends_with(".wasm") {
                            // The binary is the WAT's exact encoding; its hash
                            // pins it without a binary file in review.
                            let hash = timber::frontend::sha256_hex(bytes);
                            out.insert(
                                format!("{dir}/{file}.sha256"),
                                format!("{hash}\n").into_bytes(),
                            );
                        } else {
                            out.insert(format!("{dir}/{file}"), bytes.to_vec());
                        }
                    }
                }
            }
        }
    }
    out
}

fn committed(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("under base");
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, std::fs::read(&p).expect("read golden file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn generated_code_matches_the_committed_golden_files() {
    let out_dir = root().join("tests/out");
    let produced = produce();
    if std::env::var_os("TIMBER_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&out_dir);
        for (rel, bytes) in &produced {
            let p = out_dir.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, bytes).expect("write golden file");
        }
        eprintln!("blessed {} files under tests/out/", produced.len());
        return;
    }
    let golden = committed(&out_dir);
    let mut problems = Vec::new();
    for (rel, bytes) in &produced {
        match golden.get(rel) {
            None => problems.push(format!("{rel}: produced but not committed")),
            Some(g) if g != bytes => {
                let old = String::from_utf8_lossy(g);
                let new = String::from_utf8_lossy(bytes);
                let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
                    .unified_diff()
                    .context_radius(2)
                    .header(&format!("tests/out/{rel}"), "generated")
                    .to_string();
                let shown: String = diff.lines().take(40).collect::<Vec<_>>().join("\n");
                problems.push(format!("{rel}: differs\n{shown}"));
            }
            Some(_) => {}
        }
    }
    for rel in golden.keys() {
        if !produced.contains_key(rel) {
            problems.push(format!("{rel}: committed but no case produces it"));
        }
    }
    assert!(
        problems.is_empty(),
        "generated code differs from tests/out/ ({} files); if intended, run \
         `TIMBER_BLESS=1 cargo test --release --test golden_out` and review `git diff tests/out/`:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn the_golden_cases_cover_every_format_and_layout() {
    let names: Vec<&str> = cases().iter().map(|c| c.0).collect();
    for format in ["xgboost", "lightgbm", "catboost", "sklearn", "onnx"] {
        assert!(
            names.iter().any(|n| n.starts_with(format)),
            "no golden case for {format}"
        );
    }
    let dirs: Vec<String> = cases()
        .iter()
        .flat_map(|c| c.2.iter().map(Variant::dir_name).collect::<Vec<_>>())
        .collect();
    for d in [
        "c99-table",
        "c99-branches",
        "c99-compact",
        "c99-int",
        "wasm",
    ] {
        assert!(dirs.iter().any(|x| x == d), "no golden case for {d}");
    }
}
