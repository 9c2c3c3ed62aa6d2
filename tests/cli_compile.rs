//! `timber compile` and `timber inspect` as a user runs them: exit codes,
//! error messages that name the file and the field, and byte-identical
//! output on rerun.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn timber(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timber"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("running timber")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn model(name: &str) -> String {
    common::fixtures()
        .join("xgboost")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn compile_twice_from_different_directories_is_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let m = model("multiclass.json");
    for dir in [&a, &b] {
        let o = timber(&["compile", "--model", &m, "--out", "gen"], dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let mut names: Vec<_> = std::fs::read_dir(a.path().join("gen"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let names: Vec<String> = names
        .iter()
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    for want in ["ir.json", "model.c", "model.h", "model_data.c"] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    for n in &names {
        let x = std::fs::read(a.path().join("gen").join(n)).unwrap();
        let y = std::fs::read(b.path().join("gen").join(n)).unwrap();
        assert!(x == y, "{n} differs between runs");
        let text = String::from_utf8_lossy(&x);
        assert!(
            !text.contains(&*a.path().to_string_lossy()),
            "{n} names an absolute path"
        );
    }
}

#[test]
fn bad_inputs_exit_2_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let good = std::fs::read_to_string(model("regression.json")).unwrap();
    let cases = [
        (write("missing.json", "{}"), "not a model timber can read"),
        (
            write("broken.json", "{\"learner\": {"),
            "invalid JSON at line 1",
        ),
        (
            write(
                "obj.json",
                &good.replace("reg:squarederror", "survival:cox"),
            ),
            "/learner/objective/name",
        ),
        (
            write(
                "feat.json",
                &good.replace("\"num_feature\":\"", "\"num_feature\":\"x"),
            ),
            "/learner/learner_model_param/num_feature",
        ),
        ("/nonexistent/model.json".to_string(), "cannot read"),
    ];
    for (path, needle) in cases {
        for cmd in ["compile", "inspect"] {
            let args: Vec<&str> = if cmd == "compile" {
                vec!["compile", "--model", &path, "--out", "out"]
            } else {
                vec!["inspect", &path]
            };
            let o = timber(&args, dir.path());
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{cmd} {path}: {err}");
            assert!(
                err.contains(needle),
                "{cmd} {path}: expected `{needle}` in: {err}"
            );
            let file = Path::new(&path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            assert!(
                err.contains(&file),
                "{cmd}: message does not name {file}: {err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

#[test]
fn inspect_reports_the_model() {
    let o = timber(
        &[
            "inspect",
            &model("multiclass.json"),
            "--output-format",
            "json",
        ],
        Path::new("."),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["objective"], "multi:softprob");
    assert_eq!(v["outputs"], 3);
    assert_eq!(v["post_transform"], "softmax");
    assert!(v["trees"].as_u64().unwrap() > 0);
    assert!(v["estimated_table_bytes"].as_u64().unwrap() > 0);
}

/// `--numeric int`: byte-identical on rerun, recorded in model.h and the
/// summary line; the options it cannot honour are refused with exit 2
/// and a message naming them, before anything is written.
#[test]
fn numeric_int_is_deterministic_and_refuses_what_it_cannot_do() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let m = model("binary_nan.json");
    for dir in [&a, &b] {
        let o = timber(
            &["compile", "--model", &m, "--out", "gen", "--numeric", "int"],
            dir.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("layout compact, numeric int"),
            "{}",
            stderr(&o)
        );
    }
    for name in ["model.c", "model.h", "model_data.c", "model_data.h"] {
        let x = std::fs::read(a.path().join("gen").join(name)).unwrap();
        let y = std::fs::read(b.path().join("gen").join(name)).unwrap();
        assert_eq!(x, y, "{name} differs between runs");
    }
    let header = std::fs::read_to_string(a.path().join("gen/model.h")).unwrap();
    assert!(header.contains("Numeric: int"));
    for (extra, says) in [
        (
            &["--layout", "branches"][..],
            "--layout branches is float only",
        ),
        (&["--target", "wasm"][..], "applies to the C99 target only"),
    ] {
        let mut args = vec![
            "compile",
            "--model",
            &m,
            "--out",
            "refused",
            "--numeric",
            "int",
        ];
        args.extend_from_slice(extra);
        let o = timber(&args, a.path());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{extra:?}: {}", stderr(&o));
        assert!(!a.path().join("refused/model.c").exists());
    }
}
