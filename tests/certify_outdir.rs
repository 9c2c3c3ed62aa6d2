//! `timber certify --out DIR --force` never destroys what is not a bundle.
//!
//! Reproduces the data-loss finding: a directory holding the model and the
//! user's notes was wiped by `--force`. Now every unsafe output path is
//! refused with exit 2 before any work starts (so these tests need no
//! toolchain), the directory is left as it was, and no `.partial` directory
//! stays behind. Replacing an earlier bundle still works (last test, which
//! runs the whole pipeline and so needs the toolchains).

mod common;

use common::listing;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/binary_nan.json")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "timber-certify-outdir-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn certify(cwd: &Path, model: &Path, out: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(cwd)
        .args(["certify"])
        .arg(model)
        .args(["--profile", "misra", "--out", out, "--force"])
        .output()
        .expect("run timber")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn force_refuses_a_directory_holding_the_model_and_notes() {
    let root = scratch("model-dir");
    let d = root.join("d");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(fixture(), d.join("model.json")).unwrap();
    std::fs::write(d.join("notes.txt"), "my notes\n").unwrap();
    let o = certify(&root, Path::new("d/model.json"), "d");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("an input of this run"),
        "{}",
        stderr(&o)
    );
    assert_eq!(listing(&d), ["model.json", "notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(d.join("notes.txt")).unwrap(),
        "my notes\n"
    );
    assert_eq!(listing(&root), ["d"], "nothing left beside the directory");
}

#[test]
fn force_refuses_a_directory_of_foreign_files_naming_them() {
    let root = scratch("foreign");
    let d = root.join("out");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/keep.c"), "int x;\n").unwrap();
    let o = certify(&root, &fixture(), "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("sub/keep.c"), "{}", stderr(&o));
    assert!(d.join("sub/keep.c").exists());
    assert_eq!(listing(&root), ["out"]);
}

#[test]
fn force_refuses_the_working_directory_its_parents_and_a_file_before_any_work() {
    let root = scratch("cwd");
    let inner = root.join("a/b");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(inner.join("keep"), "x").unwrap();
    for out in [".", "..", "../..", "./"] {
        let o = certify(&inner, &fixture(), out);
        assert_eq!(o.status.code(), Some(2), "{out}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("working directory"),
            "{out}: {}",
            stderr(&o)
        );
    }
    assert!(inner.join("keep").exists());
    let o = certify(&inner, &fixture(), "keep");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a directory"), "{}", stderr(&o));
    // Refused before any stage ran: no stage line, no partial directory.
    assert!(!stderr(&o).contains("parsing"), "{}", stderr(&o));
    assert_eq!(listing(&inner), ["keep"]);
}

#[test]
fn force_refuses_a_symbolic_link() {
    let root = scratch("symlink");
    std::fs::create_dir_all(root.join("real")).unwrap();
    std::os::unix::fs::symlink("real", root.join("link")).unwrap();
    let o = certify(&root, &fixture(), "link");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
}

#[test]
fn force_replaces_an_earlier_bundle_and_an_empty_directory() {
    // The misra profile verifies on the host only.
    if common::targets_with_tools(&["host"]).is_none() {
        return;
    }
    let root = scratch("replace");
    std::fs::create_dir_all(root.join("bundle")).unwrap();
    let first = certify(&root, &fixture(), "bundle");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let manifest = std::fs::read(root.join("bundle/manifest.json")).unwrap();
    let second = certify(&root, &fixture(), "bundle");
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(
        std::fs::read(root.join("bundle/manifest.json")).unwrap(),
        manifest
    );
    assert_eq!(listing(&root), ["bundle"], "no partial directory left");
    // A file added to the bundle makes it foreign: refused, kept.
    std::fs::write(root.join("bundle/review.txt"), "assessor's notes").unwrap();
    let third = certify(&root, &fixture(), "bundle");
    assert_eq!(third.status.code(), Some(2), "{}", stderr(&third));
    assert!(stderr(&third).contains("review.txt"), "{}", stderr(&third));
    assert!(root.join("bundle/review.txt").exists());
}
