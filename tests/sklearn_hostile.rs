//! Issue 15, finding 4: a 725 KB scikit-learn pickle whose forest lists one
//! 9,999-node tree 1,672 times (pickle's memo stores it once) expands to
//! 16.7 million nodes. It compiled until killed at 12 GB; now every command
//! refuses it once the expanded model passes the node cap (2,097,152 by
//! default, `--max-nodes`), quickly and with bounded memory. The fixture is
//! made by tests/fixtures/sklearn_hostile/gen_shared_tree.py.
//!
//! One test in its own binary: the peak memory is read with
//! getrusage(RUSAGE_CHILDREN), which covers every child of the process.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Peak resident set the refusing process may reach (measured: 137 MB).
const RSS_BOUND_KIB: i64 = 512 * 1024;

#[test]
fn a_pickle_that_repeats_one_tree_is_refused_at_the_node_cap() {
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sklearn_hostile/shared_tree.pkl");
    let out = std::env::temp_dir().join(format!("timber-hostile-{}", std::process::id()));
    let model_arg = model.to_str().expect("utf-8 path");
    let out_arg = out.to_str().expect("utf-8 path");
    for args in [
        vec!["inspect", model_arg],
        vec!["compile", "--model", model_arg, "--out", out_arg],
        vec!["--max-nodes", "1000000", "inspect", model_arg],
    ] {
        let start = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_timber"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run timber");
        while child.try_wait().expect("wait").is_none() {
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("timber {args:?} still running after 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let o = child.wait_with_output().expect("output");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        let cap = if args.contains(&"--max-nodes") {
            "1000000"
        } else {
            "2097152"
        };
        assert!(
            err.contains(&format!("expands to more than {cap} nodes"))
                && err.contains("--max-nodes"),
            "{args:?}: {err}"
        );
    }
    assert!(!out.exists(), "nothing written");
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    assert!(
        usage.ru_maxrss < RSS_BOUND_KIB,
        "peak RSS {} KiB over {RSS_BOUND_KIB} KiB",
        usage.ru_maxrss
    );
}
