//! The model store (`timber load` / `list` / `remove`): real fixture models
//! are compiled into a store in a temporary TIMBER_HOME, their shared
//! libraries are loaded and run, and every output is compared bit for bit
//! with the reference evaluator. Also: name validation, --force, crash
//! leftovers, tamper detection, removal and a missing compiler.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use timber::store::{Store, StoreError};

fn fixture(file: &str) -> PathBuf {
    common::fixtures().join("xgboost").join(file)
}

/// Run the real binary with TIMBER_HOME set to `home`.
fn timber(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timber"))
        .args(args)
        .env("TIMBER_HOME", home)
        .output()
        .expect("running timber")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn list_json(home: &Path) -> Vec<serde_json::Value> {
    let o = timber(home, &["list", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("list --format json prints JSON")
}

/// Predict every fixture row through the stored library and compare bits.
fn assert_library_matches_reference(store: &Store, name: &str, stem: &str) {
    let model = store.open(name).expect("open");
    let rows = common::read_csv_f32(&fixture(&format!("{stem}.inputs.csv")));
    assert!(rows.iter().any(|r| r.iter().any(|x| x.is_nan())));
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    let got = model.predict(&flat).expect("predict");
    let n_out = model.n_outputs();
    assert_eq!(got.len(), rows.len() * n_out);
    let ens = timber::frontend::load_model(
        &fixture(&format!("{stem}.json")),
        timber::frontend::FormatChoice::Auto,
    )
    .expect("fixture parses");
    for (i, row) in rows.iter().enumerate() {
        let want = timber::ir::evaluate(&ens, row);
        let have = &got[i * n_out..(i + 1) * n_out];
        let same = want
            .iter()
            .zip(have)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(
            same,
            "{stem} row {i} {row:?}: library {have:?}, reference {want:?}"
        );
    }
    // One row at a time gives the same bits as the batch.
    let one = model.predict(&rows[0]).expect("predict one");
    assert_eq!(
        one.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        got[..n_out].iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn load_list_predict_is_bit_identical_to_the_reference() {
    let home = tempfile::tempdir().unwrap();
    // JSON and UBJSON, binary, multiclass (softprob and softmax), exp links,
    // dart and a random forest.
    let cases = [
        ("binary-nan", "binary_nan.json", "binary_nan"),
        ("multiclass", "multiclass.ubj", "multiclass"),
        ("softmax", "multiclass_softmax.json", "multiclass_softmax"),
        ("poisson", "poisson.json", "poisson"),
        ("dart", "dart.json", "dart"),
        ("forest", "forest.ubj", "forest"),
    ];
    for (name, file, _) in cases {
        let model = fixture(file);
        let o = timber(
            home.path(),
            &["load", model.to_str().unwrap(), "--name", name],
        );
        assert_eq!(o.status.code(), Some(0), "load {file}: {}", stderr(&o));
    }
    let listed = list_json(home.path());
    let names: Vec<&str> = listed.iter().map(|e| e["name"].as_str().unwrap()).collect();
    let mut sorted: Vec<&str> = cases.iter().map(|c| c.0).collect();
    sorted.sort();
    assert_eq!(names, sorted, "list is sorted by name");
    for (name, file, _) in cases {
        let entry = listed.iter().find(|e| e["name"] == name).unwrap();
        let bytes = std::fs::read(fixture(file)).unwrap();
        assert_eq!(entry["sha256"], timber::frontend::sha256_hex(&bytes));
        let ens =
            timber::frontend::load_model(&fixture(file), timber::frontend::FormatChoice::Auto)
                .unwrap();
        assert_eq!(entry["features"], ens.n_features, "{name}");
        assert_eq!(entry["outputs"], ens.n_outputs(), "{name}");
        assert_eq!(entry["timber_version"], timber::version::TIMBER_VERSION);
    }
    let mc = listed.iter().find(|e| e["name"] == "multiclass").unwrap();
    assert_eq!(mc["outputs"], 3);
    assert_eq!(mc["objective"], "multi:softprob");

    let text = timber(home.path(), &["list"]);
    assert_eq!(text.status.code(), Some(0));
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("binary-nan") && text.contains("multi:softprob"),
        "{text}"
    );

    let store = Store::at(home.path());
    for (name, _, stem) in cases {
        assert_library_matches_reference(&store, name, stem);
    }
}

#[test]
fn the_manifest_is_deterministic_and_relative() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let model = fixture("regression.json");
    for home in [a.path(), b.path()] {
        Store::at(home).load(&model, "reg", false).expect("load");
    }
    let read = |home: &Path| std::fs::read_to_string(home.join("models/reg/entry.json")).unwrap();
    let (ma, mb) = (read(a.path()), read(b.path()));
    assert_eq!(ma, mb, "same model, same compiler: same manifest");
    for home in [a.path(), b.path()] {
        assert!(!ma.contains(home.to_str().unwrap()), "no absolute paths");
    }
    let v: serde_json::Value = serde_json::from_str(&ma).unwrap();
    let command: Vec<&str> = v["build"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        command[..6],
        [
            "cc",
            "-std=c99",
            "-O2",
            "-ffp-contract=off",
            "-fPIC",
            "-shared"
        ]
    );
    // Keys are written sorted at every level.
    fn sorted(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Object(m) => {
                let keys: Vec<&String> = m.keys().collect();
                keys.windows(2).all(|w| w[0] < w[1]) && m.values().all(sorted)
            }
            serde_json::Value::Array(a) => a.iter().all(sorted),
            _ => true,
        }
    }
    assert!(sorted(&v));
    // Every recorded hash is the file's.
    for (file, hash) in v["files"].as_object().unwrap() {
        let bytes = std::fs::read(a.path().join("models/reg").join(file)).unwrap();
        assert_eq!(hash, &timber::frontend::sha256_hex(&bytes), "{file}");
    }
    assert!(v["files"]["src/model.c"].is_string() && v["files"]["ir.json"].is_string());
}

#[test]
fn bad_names_are_refused_and_nothing_is_written() {
    let home = tempfile::tempdir().unwrap();
    let model = fixture("regression.json");
    for bad in [
        "",
        "../evil",
        "a/b",
        "Upper",
        ".hidden",
        "a..b",
        "sp ace",
        "x".repeat(65).as_str(),
    ] {
        let o = timber(
            home.path(),
            &["load", model.to_str().unwrap(), "--name", bad],
        );
        assert_eq!(o.status.code(), Some(2), "name `{bad}`: {}", stderr(&o));
        assert!(stderr(&o).contains("invalid model name"), "{}", stderr(&o));
    }
    assert!(!home.path().join("evil").exists());
    assert!(list_json(home.path()).is_empty());
    let o = timber(home.path(), &["remove", "../models"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid model name"));
}

#[test]
fn existing_names_need_force() {
    let home = tempfile::tempdir().unwrap();
    let first = fixture("regression.json");
    let second = fixture("gamma.json");
    let load = |m: &Path, force: bool| {
        let mut args = vec!["load", m.to_str().unwrap(), "--name", "m"];
        if force {
            args.push("--force");
        }
        timber(home.path(), &args)
    };
    assert_eq!(load(&first, false).status.code(), Some(0));
    let o = load(&second, false);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(list_json(home.path())[0]["objective"], "reg:squarederror");
    let o = load(&second, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let listed = list_json(home.path());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["objective"], "reg:gamma");
    // Nothing but the entry is left in the store's model directory.
    let left: Vec<_> = std::fs::read_dir(home.path().join("models"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("m")]);
    assert_library_matches_reference(&Store::at(home.path()), "m", "gamma");
}

/// `--force` swaps the new entry in atomically: a reader polling the
/// entry while it is replaced always finds a whole entry, old or new.
#[cfg(target_os = "linux")]
#[test]
fn force_replaces_without_a_gap() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::at(home.path());
    let (a, b) = (fixture("regression.json"), fixture("gamma.json"));
    store.load(&a, "m", false).unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    let seen = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut seen = std::collections::BTreeSet::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                match store.manifest("m") {
                    Ok(m) => {
                        seen.insert(m.model.objective);
                    }
                    Err(e) => panic!("the entry vanished during --force: {e}"),
                }
            }
            seen
        });
        for i in 0..6 {
            let model = if i % 2 == 0 { &b } else { &a };
            store.load(model, "m", true).unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap()
    });
    assert!(
        seen.contains("reg:gamma") && seen.contains("reg:squarederror"),
        "{seen:?}"
    );
    assert_library_matches_reference(&store, "m", "regression");
}

#[test]
fn crash_leftovers_are_ignored_and_cleaned() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::at(home.path());
    store
        .load(&fixture("regression.json"), "reg", false)
        .unwrap();
    // What a `load` killed half-way leaves: a temp dir with a partial
    // entry, owned by a process id that cannot exist (above pid_max).
    let dead = home.path().join("models/.tmp-load-4000000000-abc123");
    std::fs::create_dir_all(dead.join("src")).unwrap();
    std::fs::write(dead.join("model.json"), b"{").unwrap();
    // One owned by a live process (this one) must be left alone.
    let live = home
        .path()
        .join(format!("models/.tmp-load-{}-xyz", std::process::id()));
    std::fs::create_dir_all(&live).unwrap();

    let listed = list_json(home.path());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "reg");
    assert!(!dead.exists(), "a dead process's temp dir is removed");
    assert!(live.exists(), "a live process's temp dir is kept");
    std::fs::remove_dir_all(&live).unwrap();
}

#[test]
fn tampered_entries_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::at(home.path());
    let m = store
        .load(&fixture("binary_nan.json"), "bn", false)
        .unwrap();
    store
        .load(&fixture("regression.json"), "other", false)
        .unwrap();
    assert!(store.open("bn").is_ok());
    let entry = home.path().join("models/bn");
    let lib = entry.join(&m.build.library);
    let original = std::fs::read(&lib).unwrap();

    // One flipped byte in the library.
    let mut bytes = original.clone();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&lib, &bytes).unwrap();
    match store.open("bn") {
        Err(StoreError::Tampered { file, .. }) => assert_eq!(file, m.build.library),
        other => panic!("expected Tampered, got {other:?}"),
    }
    std::fs::write(&lib, &original).unwrap();
    assert!(store.open("bn").is_ok());

    // A changed source file is caught too.
    let src = entry.join("src/model_data.c");
    let text = std::fs::read_to_string(&src).unwrap();
    std::fs::write(&src, format!("{text}\n")).unwrap();
    assert!(matches!(store.open("bn"), Err(StoreError::Tampered { .. })));
    std::fs::write(&src, text).unwrap();

    // Another model's library with the manifest "fixed" to match: the
    // hash check passes, but the model hash inside the library does not.
    let other = std::fs::read(home.path().join("models/other").join(&m.build.library)).unwrap();
    std::fs::write(&lib, &other).unwrap();
    let manifest_path = entry.join("entry.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    v["files"][&m.build.library] = timber::frontend::sha256_hex(&other).into();
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    match store.open("bn") {
        Err(StoreError::Library { message, .. }) => {
            assert!(message.contains("built from model"), "{message}")
        }
        other => panic!("expected Library, got {other:?}"),
    }
}

#[test]
fn remove_deletes_the_entry() {
    let home = tempfile::tempdir().unwrap();
    Store::at(home.path())
        .load(&fixture("regression.json"), "reg", false)
        .unwrap();
    let o = timber(home.path(), &["remove", "reg"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(list_json(home.path()).is_empty());
    assert!(!home.path().join("models/reg").exists());
    let o = timber(home.path(), &["remove", "reg"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no model named `reg`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_compiler_is_exit_3() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_timber"))
        .args([
            "load",
            fixture("regression.json").to_str().unwrap(),
            "--name",
            "r",
        ])
        .env("TIMBER_HOME", home.path())
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("`cc`") && err.contains("apt-get install gcc"),
        "{err}"
    );
    assert!(!home.path().join("models/r").exists());
}

#[test]
fn bad_model_files_are_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let junk = home.path().join("junk.json");
    std::fs::write(&junk, b"{\"not\": \"a model\"}").unwrap();
    let o = timber(
        home.path(),
        &["load", junk.to_str().unwrap(), "--name", "j"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = timber(
        home.path(),
        &["load", "/nonexistent/model.json", "--name", "j"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(list_json(home.path()).is_empty());
}

#[test]
fn list_reports_a_broken_entry_and_exits_1() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::at(home.path());
    for name in ["good", "bad"] {
        store
            .load(&fixture("regression.json"), name, false)
            .unwrap();
    }
    std::fs::write(home.path().join("models/bad/entry.json"), b"{").unwrap();
    let o = timber(home.path(), &["list", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["name"], "bad");
    assert!(v[0]["error"]
        .as_str()
        .unwrap()
        .contains("malformed store manifest"));
    assert_eq!(v[1]["name"], "good");
    assert_eq!(v[1]["objective"], "reg:squarederror");
    let o = timber(home.path(), &["list"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("bad   BROKEN: "), "{text}");
    // A broken entry is refused by serve, and can still be removed.
    assert!(matches!(
        store.open("bad"),
        Err(StoreError::Manifest { .. })
    ));
    assert_eq!(
        timber(home.path(), &["remove", "bad"]).status.code(),
        Some(0)
    );
    assert_eq!(list_json(home.path()).len(), 1);
}

/// Each format is stored under its own extension, so an entry copied out
/// opens with the right reader (a LightGBM text model was `model.json`).
#[test]
fn each_format_is_stored_under_its_own_extension() {
    let home = tempfile::tempdir().unwrap();
    let fx = common::fixtures();
    let cases = [
        ("x", fx.join("xgboost/binary_nan.json"), "model.json"),
        ("u", fx.join("xgboost/multiclass.ubj"), "model.ubj"),
        ("l", fx.join("lightgbm/binary_nan.txt"), "model.txt"),
        ("c", fx.join("catboost/binary.json"), "model.json"),
        ("p", fx.join("sklearn/dt_clf/model.pkl"), "model.pkl"),
        ("j", fx.join("sklearn/rf_clf/model.joblib"), "model.joblib"),
        ("z", fx.join("sklearn/et_reg/model.joblib"), "model.joblib"),
        ("o", fx.join("onnx/binary_raw/model.onnx"), "model.onnx"),
    ];
    let store = Store::at(home.path());
    for (name, model, file) in &cases {
        let o = timber(
            home.path(),
            &["load", model.to_str().unwrap(), "--name", name],
        );
        assert_eq!(o.status.code(), Some(0), "load {model:?}: {}", stderr(&o));
        let m = store.manifest(name).unwrap();
        assert_eq!(m.model.file, *file, "{model:?}");
        let stored = std::fs::read(store.entry_dir(name).unwrap().join(file)).unwrap();
        assert_eq!(stored, std::fs::read(model).unwrap(), "{model:?}");
    }
}
