//! How `timber check DIR` walks directories (issue 15, finding 6): symbolic
//! links to directories are not entered unless asked, link cycles and `..`
//! links never loop or check a file twice, and FIFOs named like C files are
//! listed as not checked instead of blocking the run.
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use timber::check::{self, Config};

const CLEAN: &str =
    "typedef signed int int32_t;\nint32_t one(void);\nint32_t one(void)\n{\n    return 1;\n}\n";

fn config(follow_symlinks: bool) -> Config {
    Config {
        follow_symlinks,
        ..Config::default()
    }
}

fn names(report: &check::Report) -> Vec<String> {
    report
        .files
        .iter()
        .map(|f| {
            Path::new(f)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// `tree/a.c`, `tree/sub/b.c`, `tree/sub/up -> ..` and `tree/loop -> .`.
fn tree_with_cycles() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::write(dir.path().join("a.c"), CLEAN).expect("write");
    std::fs::write(sub.join("b.c"), CLEAN).expect("write");
    symlink("..", sub.join("up")).expect("symlink");
    symlink(".", dir.path().join("loop")).expect("symlink");
    dir
}

#[test]
fn symlinked_directories_are_not_entered_by_default() {
    let dir = tree_with_cycles();
    let report = check::check_files(&[dir.path().to_path_buf()], &config(false)).expect("check");
    assert_eq!(names(&report), ["a.c", "b.c"]);
    let skipped: Vec<_> = report
        .skipped
        .iter()
        .map(|s| {
            (
                s.path.rsplit('/').next().unwrap_or("").to_string(),
                s.reason.clone(),
            )
        })
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped
        .iter()
        .all(|(_, r)| r.contains("not followed") && r.contains("--follow-symlinks")));
    assert_eq!(skipped[0].0, "loop");
    assert_eq!(skipped[1].0, "up");
}

#[test]
fn following_symlinks_visits_each_directory_once() {
    let dir = tree_with_cycles();
    // A second link to `sub` from elsewhere: its files are not checked twice.
    symlink(dir.path().join("sub"), dir.path().join("again")).expect("symlink");
    let report = check::check_files(&[dir.path().to_path_buf()], &config(true)).expect("check");
    assert_eq!(names(&report), ["a.c", "b.c"]);
    assert_eq!(report.skipped.len(), 3, "{:?}", report.skipped);
    assert!(report
        .skipped
        .iter()
        .all(|s| s.reason.contains("already visited")));
}

#[test]
fn fifos_and_dangling_links_are_listed_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.c"), CLEAN).expect("write");
    let fifo = dir.path().join("pipe.c");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    symlink(dir.path().join("missing.c"), dir.path().join("dangling.c")).expect("symlink");
    let report = check::check_files(&[dir.path().to_path_buf()], &config(false)).expect("check");
    assert_eq!(names(&report), ["a.c"]);
    let reasons: Vec<_> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("symbolic link to nothing"));
    assert!(reasons[1].contains("not a regular file"));
    // Named on the command line, a FIFO is skipped the same way.
    let report = check::check_files(std::slice::from_ref(&fifo), &config(false)).expect("check");
    assert!(report.files.is_empty());
    assert_eq!(report.skipped.len(), 1);
}

/// The CLI on a directory holding a FIFO and a link cycle: finishes (the old
/// walk blocked on the FIFO and looped on the link), exits 0, and says what
/// it did not check in text, JSON and SARIF.
#[test]
fn cli_reports_skipped_paths_and_finishes() {
    let dir = tree_with_cycles();
    let made = Command::new("mkfifo")
        .arg(dir.path().join("pipe.h"))
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let bin = env!("CARGO_BIN_EXE_timber");
    for (format, needle) in [
        ("text", "note: not checked: not a regular file"),
        ("json", "\"skipped\""),
        ("sarif", "toolExecutionNotifications"),
    ] {
        for follow in [false, true] {
            let report = dir.path().join(format!("report.{format}"));
            let mut cmd = Command::new(bin);
            cmd.args(["check", "--format", format, "--output"])
                .arg(&report);
            if follow {
                cmd.arg("--follow-symlinks");
            }
            let mut child = cmd
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("run timber");
            // A hang detector, not a timing: the run takes milliseconds.
            let start = Instant::now();
            while child.try_wait().expect("wait").is_none() {
                if start.elapsed() > Duration::from_secs(120) {
                    let _ = child.kill();
                    panic!("timber check did not finish ({format}, follow {follow})");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let status = child.wait().expect("status");
            assert_eq!(status.code(), Some(0), "{format}");
            let text = std::fs::read_to_string(&report).expect("report written");
            assert!(text.contains(needle), "{format}: {text}");
            assert!(text.contains("pipe.h"), "{format}: {text}");
        }
    }
    let help = Command::new(bin)
        .args(["check", "--help"])
        .output()
        .expect("run timber");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--follow-symlinks"));
}
