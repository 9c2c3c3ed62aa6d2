//! Every command that writes into a directory leaves what it did not write
//! alone (issue 15, findings 1 and 10 beyond `certify`).
//!
//! `compile --out` and `qualify --out` write named files into a directory
//! the user may share with their own sources: a same-named file timber did
//! not generate stops the run with exit 2, naming it, unless `--force`.
//! `verify --build-dir DIR` replaces only empty or earlier build directories
//! DIR/TARGET. The store's `load --force` and `remove` touch only entries
//! `load` made; removing a symbolic link under the store's models/ is
//! refused with a clear message and leaves no `.tmp-remove-*` behind.
//! Every refusal here happens before any build, so these tests need no
//! cross toolchain.

mod common;

use common::listing;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/binary_nan.json")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("timber-outdir-cmd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn timber(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(cwd)
        .env("TIMBER_HOME", cwd.join("home"))
        .args(args)
        .output()
        .expect("run timber")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run timber in `cwd`, expect exit 2 and `needle` in the message.
fn refused(cwd: &Path, args: &[&str], needle: &str) -> String {
    let o = timber(cwd, args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "{needle:?} not in: {err}");
    err
}

/// A firmware directory: the engineer's own main.c, a hand-written model.h
/// and the model itself.
fn firmware(root: &Path) -> PathBuf {
    let fw = root.join("firmware");
    std::fs::create_dir_all(&fw).unwrap();
    std::fs::copy(fixture(), fw.join("model.json")).unwrap();
    std::fs::write(fw.join("main.c"), "int main(void) { return 0; }\n").unwrap();
    std::fs::write(fw.join("model.h"), "/* my own model.h */\n").unwrap();
    fw
}

#[test]
fn compile_refuses_to_overwrite_a_file_it_did_not_generate() {
    let root = scratch("compile-foreign");
    firmware(&root);
    let err = refused(
        &root,
        &["compile", "-m", "firmware/model.json", "--out", "firmware"],
        "model.h",
    );
    assert!(err.contains("--force"), "{err}");
    assert!(
        !err.contains("main.c"),
        "main.c is not written, so not named: {err}"
    );
    // Nothing was written: the directory is as it was.
    assert_eq!(
        listing(&root.join("firmware")),
        ["main.c", "model.h", "model.json"]
    );
    assert_eq!(
        std::fs::read_to_string(root.join("firmware/model.h")).unwrap(),
        "/* my own model.h */\n"
    );
}

#[test]
fn compile_force_replaces_only_the_generated_names_and_reruns_need_no_force() {
    let root = scratch("compile-force");
    firmware(&root);
    let args = ["compile", "-m", "firmware/model.json", "--out", "firmware"];
    let o = timber(&root, &[&args[..], &["--force"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fw = root.join("firmware");
    assert_eq!(
        listing(&fw),
        [
            "ir.json",
            "main.c",
            "model.c",
            "model.h",
            "model.json",
            "model_data.c",
            "model_data.h"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(fw.join("main.c")).unwrap(),
        "int main(void) { return 0; }\n"
    );
    let first = std::fs::read(fw.join("model.c")).unwrap();
    // Its own earlier output is recognised: no --force needed, same bytes.
    let o = timber(&root, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(fw.join("model.c")).unwrap(), first);
    // Likewise for the WebAssembly files next to them.
    let wasm = [&args[..], &["--target", "wasm"]].concat();
    for _ in 0..2 {
        let o = timber(&root, &wasm);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    // No temporary files left behind.
    assert!(
        listing(&fw).iter().all(|n| !n.starts_with('.')),
        "{:?}",
        listing(&fw)
    );
}

#[test]
fn compile_never_overwrites_its_model_a_directory_or_a_file_as_out() {
    let root = scratch("compile-never");
    let fw = firmware(&root);
    // The model under a generated name: refused even with --force.
    std::fs::copy(fixture(), fw.join("ir.json")).unwrap();
    refused(
        &root,
        &[
            "compile",
            "-m",
            "firmware/ir.json",
            "--out",
            "firmware",
            "--force",
        ],
        "an input of this run",
    );
    assert_eq!(
        std::fs::read(fw.join("ir.json")).unwrap(),
        std::fs::read(fixture()).unwrap()
    );
    // A directory named model.c.
    std::fs::remove_file(fw.join("model.h")).unwrap();
    std::fs::create_dir(fw.join("model.c")).unwrap();
    refused(
        &root,
        &[
            "compile",
            "-m",
            "firmware/model.json",
            "--out",
            "firmware",
            "--force",
        ],
        "model.c: is a directory",
    );
    // --out naming an existing file.
    refused(
        &root,
        &[
            "compile",
            "-m",
            "firmware/model.json",
            "--out",
            "firmware/main.c",
        ],
        "not a directory",
    );
}

#[cfg(unix)]
#[test]
fn compile_names_a_symbolic_link_and_force_replaces_the_link_not_its_target() {
    let root = scratch("compile-link");
    let fw = firmware(&root);
    std::fs::remove_file(fw.join("model.h")).unwrap();
    std::fs::write(root.join("elsewhere.c"), "/* elsewhere */\n").unwrap();
    std::os::unix::fs::symlink(root.join("elsewhere.c"), fw.join("model.c")).unwrap();
    let args = ["compile", "-m", "firmware/model.json", "--out", "firmware"];
    refused(&root, &args, "model.c (a symbolic link)");
    let o = timber(&root, &[&args[..], &["--force"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(root.join("elsewhere.c")).unwrap(),
        "/* elsewhere */\n"
    );
    assert!(!std::fs::symlink_metadata(fw.join("model.c"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn qualify_refuses_a_foreign_report_file_before_the_run() {
    let root = scratch("qualify");
    let q = root.join("q");
    std::fs::create_dir_all(&q).unwrap();
    std::fs::write(q.join("qualification.txt"), "signed off by hand\n").unwrap();
    refused(
        &root,
        &["qualify", "--targets", "host", "--out", "q"],
        "qualification.txt",
    );
    assert_eq!(listing(&q), ["qualification.txt"]);
    assert_eq!(
        std::fs::read_to_string(q.join("qualification.txt")).unwrap(),
        "signed off by hand\n"
    );
}

#[test]
fn verify_build_dir_refuses_a_foreign_target_directory() {
    let root = scratch("verify");
    let host = root.join("build/host");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("notes.txt"), "mine\n").unwrap();
    let model = fixture();
    let model = model.to_str().unwrap();
    refused(
        &root,
        &[
            "verify",
            "-m",
            model,
            "--targets",
            "host",
            "--build-dir",
            "build",
        ],
        "notes.txt",
    );
    assert_eq!(listing(&host), ["notes.txt"]);
    // The working directory as a target's build directory.
    refused(
        &host,
        &[
            "verify",
            "-m",
            model,
            "--targets",
            "host",
            "--build-dir",
            "..",
        ],
        "working directory",
    );
    // A file as the build directory.
    refused(
        &root,
        &[
            "verify",
            "-m",
            model,
            "--targets",
            "host",
            "--build-dir",
            "build/host/notes.txt",
        ],
        "not a directory",
    );
}

#[cfg(unix)]
#[test]
fn store_remove_and_load_force_touch_only_store_entries() {
    let root = scratch("store");
    let models = root.join("home/models");
    std::fs::create_dir_all(&models).unwrap();
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("keep.txt"), "keep\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, models.join("linked")).unwrap();
    std::fs::create_dir_all(models.join("mine")).unwrap();
    std::fs::write(models.join("mine/notes.txt"), "mine\n").unwrap();

    let err = refused(&root, &["remove", "linked"], "symbolic link");
    assert!(err.contains("models/linked"), "{err}");
    assert!(!err.contains("Is a directory"), "{err}");
    assert_eq!(
        listing(&models),
        ["linked", "mine"],
        "no .tmp-remove-* left"
    );
    assert_eq!(listing(&elsewhere), ["keep.txt"]);

    refused(&root, &["remove", "mine"], "without entry.json");
    assert_eq!(listing(&models), ["linked", "mine"]);

    // load --force over either is refused before the model is compiled (a
    // missing C compiler is exit 3 before that, whatever the entry).
    let model = fixture();
    for name in ["linked", "mine"] {
        let o = timber(
            &root,
            &["load", model.to_str().unwrap(), "--name", name, "--force"],
        );
        if o.status.code() == Some(3) {
            assert!(
                std::env::var("CI").is_err(),
                "cc missing under CI: {}",
                stderr(&o)
            );
            continue;
        }
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("not a store entry"), "{}", stderr(&o));
    }
    assert_eq!(listing(&models), ["linked", "mine"]);
    assert_eq!(listing(&elsewhere), ["keep.txt"]);
    assert_eq!(listing(&models.join("mine")), ["notes.txt"]);
}
