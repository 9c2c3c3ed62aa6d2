//! A `timber serve` process for the server tests: the real binary on a
//! free loopback port, serving fixture models from a temporary store, its
//! stderr collected, killed on drop if the test did not stop it.
#![allow(dead_code)]

use crate::http;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use timber::store::Store;

pub const MODELS: [(&str, &str); 2] = [
    ("binary-nan", "binary_nan.json"),
    ("multiclass", "multiclass.ubj"),
];

pub fn fixture(file: &str) -> PathBuf {
    crate::common::fixtures().join("xgboost").join(file)
}

/// A running server; killed on drop if the test did not stop it.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub log: Arc<Mutex<String>>,
    _home: tempfile::TempDir,
}

impl Server {
    /// Load the fixture models into a fresh store and serve them.
    pub fn start(extra: &[&str]) -> Server {
        let home = tempfile::tempdir().unwrap();
        let store = Store::at(home.path());
        for (name, file) in MODELS {
            store.load(&fixture(file), name, false).expect("load");
        }
        let mut args = vec!["serve", "binary-nan", "multiclass", "--port", "0"];
        args.extend_from_slice(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_timber"))
            .args(&args)
            .env("TIMBER_HOME", home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning timber serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("reading the bound address");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        let mut stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Server {
            child,
            addr,
            log,
            _home: home,
        }
    }

    pub fn get(&self, path: &str) -> http::Response {
        http::request(&self.addr, "GET", path, b"")
    }

    pub fn post(&self, path: &str, body: &[u8]) -> http::Response {
        http::request(&self.addr, "POST", path, body)
    }

    pub fn healthy(&self) {
        let r = self.get("/health");
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["status"], "ok");
    }

    /// Send SIGTERM.
    pub fn sigterm(&self) {
        let pid = self.child.id();
        // `sh`'s built-in kill: no dependency on a procps binary.
        let ok = Command::new("sh")
            .args(["-c", &format!("kill -TERM {pid}")])
            .status()
            .expect("running kill");
        assert!(ok.success());
    }

    /// Wait (at most 10 s) until stderr contains `needle`.
    pub fn wait_for_log(&self, needle: &str) {
        for _ in 0..200 {
            if self.log.lock().unwrap().contains(needle) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("no `{needle}` in the log within 10 s");
    }

    /// The exit code (waiting at most 10 s).
    pub fn wait_exit(&mut self) -> Option<i32> {
        self.wait_exit_within(Duration::from_secs(10)).0
    }

    /// The exit code and how long it took, waiting at most `limit`.
    pub fn wait_exit_within(&mut self, limit: Duration) -> (Option<i32>, Duration) {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(st) = self.child.try_wait().unwrap() {
                return (st.code(), start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the server did not stop within {limit:?} of SIGTERM");
    }

    /// A `kB` figure of the server's `/proc/PID/status` (`VmRSS`, `VmHWM`).
    pub fn status_kib(&self, field: &str) -> u64 {
        let path = format!("/proc/{}/status", self.child.id());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().strip_suffix(" kB")?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{field}` in {path}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
