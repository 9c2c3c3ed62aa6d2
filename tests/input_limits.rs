//! Bounded model reads and errors printed once (issue 15, findings 3 and 9).
//!
//! Finding 3: `timber inspect /dev/zero` grew to 10 GB and a FIFO as model
//! hung. Now devices, FIFOs and directories are refused by their metadata
//! before they are opened, and a regular file above the cap (256 MiB by
//! default, `--max-input-bytes`) before it is read. The peak resident set
//! of the children is measured with getrusage(RUSAGE_CHILDREN), which
//! reports the largest child this test process waited for; every child
//! here must stay under [`RSS_BOUND_KIB`].
//!
//! Finding 9: messages like "the ensemble has no trees: the ensemble has no
//! trees" printed a cause twice; every failing command below must print
//! each ": "-separated segment once.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Peak resident set any child may reach, in KiB (64 MiB: the binary and
/// its libraries, no model data).
const RSS_BOUND_KIB: i64 = 64 * 1024;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/binary_nan.json")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("timber-input-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Run timber in `cwd`, killing it after 30 s (a hang is a failure).
fn timber(cwd: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(cwd)
        .env("TIMBER_HOME", cwd.join("home"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run timber");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("timber {args:?} still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The largest resident set of any waited-for child so far, in KiB.
fn children_peak_rss_kib() -> i64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    usage.ru_maxrss
}

#[test]
fn devices_fifos_and_directories_are_refused_quickly_with_bounded_memory() {
    let root = scratch("special");
    let fifo = root.join("model.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let cases: [(&[&str], &str); 6] = [
        (
            &["inspect", "/dev/zero"],
            "/dev/zero: is a device, FIFO or socket",
        ),
        (
            &["compile", "-m", "/dev/zero", "--out", "o"],
            "/dev/zero: is a device",
        ),
        (
            &["inspect", "/dev/zero", "--format", "sklearn-pickle"],
            "/dev/zero: is a device",
        ),
        (
            &["inspect", "model.fifo"],
            "model.fifo: is a device, FIFO or socket",
        ),
        (
            &["compile", "-m", "model.fifo", "--out", "o"],
            "model.fifo: is a device",
        ),
        (&["inspect", "."], ".: is a directory"),
    ];
    for (args, needle) in cases {
        let o = timber(&root, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    assert!(!root.join("o").exists(), "nothing written");
    let peak = children_peak_rss_kib();
    assert!(peak < RSS_BOUND_KIB, "peak RSS {peak} KiB");
}

#[test]
fn max_input_bytes_caps_a_regular_file_and_raises_it() {
    let root = scratch("cap");
    let model = fixture();
    let len = std::fs::metadata(&model).unwrap().len();
    let model = model.to_str().unwrap();
    let below = (len - 1).to_string();
    let o = timber(&root, &["inspect", model, "--max-input-bytes", &below]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "{len} bytes exceed the input cap of {below} bytes"
        )) && err.contains("--max-input-bytes"),
        "{err}"
    );
    let exact = len.to_string();
    let o = timber(&root, &["inspect", model, "--max-input-bytes", &exact]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Every ": "-separated segment of the message printed once.
fn assert_no_repeated_segment(args: &[&str], err: &str) {
    let line = err
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or(err);
    let segments: Vec<&str> = line.split(": ").collect();
    for (i, s) in segments.iter().enumerate() {
        assert!(
            !segments[i + 1..].contains(s),
            "{args:?}: segment {s:?} repeated in {line:?}"
        );
    }
}

#[test]
fn failing_commands_print_each_cause_once() {
    let root = scratch("chain");
    // A model without trees.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture()).unwrap()).unwrap();
    let model = &mut doc["learner"]["gradient_booster"]["model"];
    model["trees"] = serde_json::json!([]);
    model["tree_info"] = serde_json::json!([]);
    model["gbtree_model_param"]["num_trees"] = serde_json::json!("0");
    std::fs::write(root.join("empty.json"), doc.to_string()).unwrap();
    std::fs::create_dir_all(root.join("adir")).unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["inspect", "empty.json"], "no trees"),
        (&["compile", "-m", "empty.json", "--out", "o"], "no trees"),
        (&["inspect", "adir"], "adir"),
        (&["inspect", "missing.json"], "missing.json"),
        (&["load", "adir", "--name", "x"], "adir"),
    ];
    for (args, needle) in cases {
        let o = timber(&root, args);
        if args[0] == "load" && o.status.code() == Some(3) {
            assert!(std::env::var("CI").is_err(), "cc missing under CI");
            continue;
        }
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_no_repeated_segment(args, &err);
    }
    // A host that does not resolve (needs a stored model and cc to build it).
    let load = timber(&root, &["load", fixture().to_str().unwrap(), "--name", "m"]);
    if load.status.code() == Some(3) {
        assert!(std::env::var("CI").is_err(), "cc missing under CI");
        return;
    }
    assert_eq!(load.status.code(), Some(0), "{}", stderr(&load));
    let args = ["serve", "m", "--host", "999.1.1.1", "--port", "0"];
    let o = timber(&root, &args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("999.1.1.1"), "{}", stderr(&o));
    assert_no_repeated_segment(&args, &stderr(&o));
}
