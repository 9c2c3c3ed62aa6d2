//! Sharded certification: `timber certify --partial --targets T` per
//! target, each shard its own process, joined by `timber audit merge` into
//! a bundle byte for byte equal to one `timber certify` run over all the
//! targets (verdict, attestations and report included); shards of other
//! models, other levels, overlapping targets, complete or tampered bundles
//! are refused with exit 2 naming the difference; a shard never passes
//! `timber audit verify`.
//!
//! Needs the toolchains of scripts/install-toolchains.sh (host cc and
//! clang, arm-none-eabi-gcc, aarch64-linux-gnu-gcc, QEMU); without them
//! the tests print a notice and return, except under CI, where they fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::bundle::read_tree;

/// ISO 26262 ASIL-A demands host and cortex-m4f, coverage, a stack budget
/// and a timing budget; cortex-a53 (Linux user mode) and cortex-m7 are
/// added, so the per-target arrays of resources.json, timing.json,
/// build/warnings.json and toolchain.json all have entries to join.
const TARGETS: [&str; 4] = ["host", "cortex-m4f", "cortex-a53", "cortex-m7"];
const EXTRA: &str = "cortex-a53,cortex-m7";

fn model(name: &str) -> PathBuf {
    common::fixtures().join("xgboost").join(name)
}

fn timber(cwd: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_timber"));
    c.current_dir(cwd)
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH");
    c
}

use common::output_text as text;

fn ready() -> bool {
    common::targets_with_tools(&TARGETS).is_some()
}

/// The common arguments of every run: model, profile, level, few rows.
fn certify_args<'a>(model: &'a str, level: &'a str) -> Vec<&'a str> {
    vec![
        "certify",
        model,
        "--profile",
        "iso26262",
        "--level",
        level,
        "--random-rows",
        "16",
    ]
}

/// Start one shard process per target (all at once, as CI jobs run) and
/// wait for them; returns the part directory names, in `targets` order.
fn shards(dir: &Path, model: &str, level: &str, targets: &[&str], prefix: &str) -> Vec<String> {
    let children: Vec<(String, std::process::Child)> = targets
        .iter()
        .map(|t| {
            let out = format!("{prefix}-{t}");
            let mut args = certify_args(model, level);
            args.extend(["--partial", "--targets", t, "--out", &out]);
            let child = timber(dir, &args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn timber");
            (out, child)
        })
        .collect();
    children
        .into_iter()
        .map(|(out, child)| {
            let o = child.wait_with_output().expect("shard ran");
            assert_eq!(o.status.code(), Some(0), "shard {out}: {}", text(&o));
            assert!(
                String::from_utf8_lossy(&o.stdout)
                    .contains("no verdict until `timber audit merge`"),
                "{}",
                text(&o)
            );
            out
        })
        .collect()
}

fn merge(dir: &Path, parts: &[String], out: &str) -> Output {
    let mut args = vec!["audit", "merge"];
    args.extend(parts.iter().map(String::as_str));
    args.extend(["--out", out]);
    timber(dir, &args).output().expect("merge ran")
}

#[test]
fn shards_in_separate_processes_merge_into_the_single_run_bundle_byte_for_byte() {
    if !ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let m = model("binary_hinge.json");
    let m = m.to_str().unwrap();

    let mut args = certify_args(m, "A");
    args.extend([
        "--targets",
        EXTRA,
        "--out",
        "single",
        "--junit",
        "single.xml",
    ]);
    let single = timber(dir, &args).output().unwrap();
    let code = single.status.code();
    assert!(matches!(code, Some(0 | 1)), "{}", text(&single));

    // Given in another order than the run's: the profile's own targets
    // come first whatever the order of the parts.
    let parts = shards(
        dir,
        m,
        "A",
        &["cortex-a53", "host", "cortex-m7", "cortex-m4f"],
        "part",
    );
    for p in &parts {
        let v = timber(dir, &["audit", "verify", p]).output().unwrap();
        assert_eq!(v.status.code(), Some(1), "{}", text(&v));
        let out = String::from_utf8_lossy(&v.stdout);
        assert!(
            out.contains("partial.json: a partial bundle") && out.contains("timber audit merge"),
            "{}",
            text(&v)
        );
    }
    let ordered = [&parts[0], &parts[2], &parts[1], &parts[3]];
    let mut args = vec!["audit", "merge"];
    args.extend(ordered.iter().map(|s| s.as_str()));
    args.extend(["--out", "merged", "--junit", "merged.xml"]);
    let merged = timber(dir, &args).output().unwrap();
    assert_eq!(merged.status.code(), code, "{}", text(&merged));
    assert!(
        String::from_utf8_lossy(&merged.stderr)
            .contains("over 4 target(s): host, cortex-m4f, cortex-a53, cortex-m7"),
        "{}",
        text(&merged)
    );

    let a = read_tree(&dir.join("single"));
    let b = read_tree(&dir.join("merged"));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (path, bytes) in &a {
        assert!(
            b[path] == *bytes,
            "{path} differs between the single run and the merge"
        );
    }
    // The per-target joins had something to join.
    for t in TARGETS {
        assert!(a.contains_key(&format!("verify/{t}.json")), "{t}");
    }
    for f in [
        "timing.json",
        "coverage/coverage.json",
        "build/warnings.json",
    ] {
        assert!(a.contains_key(f), "{f} in the bundle");
    }
    assert_eq!(
        std::fs::read(dir.join("single.xml")).unwrap(),
        std::fs::read(dir.join("merged.xml")).unwrap(),
        "JUnit files"
    );
    let v = timber(dir, &["audit", "verify", "merged", "--model", m])
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
}

#[test]
fn shards_of_other_runs_overlapping_or_not_partial_are_refused_with_exit_2() {
    if !ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hinge = model("binary_hinge.json");
    let hinge = hinge.to_str().unwrap();
    let other = model("binary_logitraw.json");
    let other = other.to_str().unwrap();

    let base = shards(dir, hinge, "A", &["host", "cortex-m4f"], "a");
    let level_b = shards(dir, hinge, "B", &["cortex-a53"], "b");
    let other_model = shards(dir, other, "A", &["cortex-a53"], "m");
    let again = shards(dir, hinge, "A", &["host"], "again");

    let refused = |parts: Vec<String>, wanted: &[&str]| {
        let o = merge(dir, &parts, "out");
        assert_eq!(o.status.code(), Some(2), "{parts:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        for w in wanted {
            assert!(err.contains(w), "{parts:?}: wanted {w:?} in {}", text(&o));
        }
        assert!(!dir.join("out").exists(), "nothing written");
    };
    refused(
        vec![base[0].clone(), level_b[0].clone()],
        &[
            "certification.json field `profile.level`",
            "\"ASIL-A\" in a-host",
            "\"ASIL-B\" in b-cortex-a53",
        ],
    );
    refused(
        vec![base[0].clone(), other_model[0].clone()],
        &[
            "certification.json field `model.",
            "in a-host",
            "in m-cortex-a53",
        ],
    );
    refused(
        vec![base[0].clone(), base[1].clone(), again[0].clone()],
        &["target host is in two parts, a-host and again-host"],
    );

    // A complete bundle is not a shard.
    let mut args = certify_args(hinge, "A");
    args.extend(["--out", "complete"]);
    let o = timber(dir, &args).output().unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    refused(
        vec!["complete".into(), level_b[0].clone()],
        &["complete is a complete bundle, not a shard"],
    );

    // A shard whose evidence was changed is not merged.
    common::bundle::copy_dir(&dir.join(&base[1]), &dir.join("tampered"));
    let f = dir.join("tampered/verify/cortex-m4f.json");
    let t = std::fs::read_to_string(&f)
        .unwrap()
        .replacen("\"pass\"", "\"fail\"", 1);
    std::fs::write(&f, t).unwrap();
    refused(
        vec![base[0].clone(), "tampered".into()],
        &[
            "tampered is not an intact partial bundle",
            "verify/cortex-m4f.json",
        ],
    );

    // --partial needs --targets, and a shard gets no JUnit file.
    let mut args = certify_args(hinge, "A");
    args.extend(["--partial", "--out", "x"]);
    let o = timber(dir, &args).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--targets"),
        "{}",
        text(&o)
    );
}
