//! Benchmark: requests/s and p99 latency of `timber serve` on loopback.
//!
//! The real binary serves the committed 50-tree binary:logistic XGBoost
//! fixture from a temporary store; N client threads, each on one
//! keep-alive connection, send predict requests of 1 and of 64 rows for a
//! fixed time. Each configuration runs several times and the median
//! requests/s and median p99 are printed (with the range). Every response
//! is checked for status 200. Run with `cargo bench --bench serve`;
//! TIMBER_BENCH_CLIENTS (default 8), TIMBER_BENCH_SECS (default 2) and
//! TIMBER_BENCH_RUNS (default 5) change the load.

#[path = "../tests/common/http.rs"]
mod http;

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fixture_rows() -> Vec<Vec<f32>> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/binary_nan.inputs.csv");
    let text = std::fs::read_to_string(&path).expect("reading fixture inputs");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|v| v.trim().parse::<f32>().expect("float"))
                .collect()
        })
        .collect()
}

struct RunResult {
    rps: f64,
    p99_us: u64,
}

fn run_once(addr: &str, body: &[u8], clients: usize, secs: Duration) -> RunResult {
    let start = Instant::now();
    let deadline = start + secs;
    let latencies: Vec<Vec<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                s.spawn(|| {
                    let mut c = http::Client::connect(addr).expect("connect");
                    let mut lat = Vec::new();
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        let r = c
                            .request("POST", "/v1/models/bench/predict", body)
                            .expect("request");
                        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
                        lat.push(t.elapsed().as_micros() as u64);
                    }
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client"))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let mut all: Vec<u64> = latencies.into_iter().flatten().collect();
    all.sort_unstable();
    let p99 = all[(all.len() * 99 / 100).min(all.len() - 1)];
    RunResult {
        rps: all.len() as f64 / elapsed,
        p99_us: p99,
    }
}

fn median_f64(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let clients = env_usize("TIMBER_BENCH_CLIENTS", 8);
    let secs = Duration::from_secs(env_usize("TIMBER_BENCH_SECS", 2) as u64);
    let runs = env_usize("TIMBER_BENCH_RUNS", 5).max(1);

    let home = tempfile::tempdir().expect("tempdir");
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/binary_nan.json");
    timber::store::Store::at(home.path())
        .load(&model, "bench", false)
        .expect("timber load");
    let mut child = Command::new(env!("CARGO_BIN_EXE_timber"))
        .args(["serve", "bench", "--port", "0"])
        .env("TIMBER_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning timber serve");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("bound address");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("listening line")
        .to_string();

    let rows = fixture_rows();
    println!(
        "timber serve, 50-tree binary:logistic model, loopback, {clients} keep-alive clients, \
         {runs} runs of {}s each (median [min..max]); request log to /dev/null",
        secs.as_secs()
    );
    println!(
        "{:>5}  {:>28}  {:>28}  {:>12}",
        "rows", "requests/s", "p99 latency (us)", "rows/s"
    );
    for n in [1usize, 64] {
        let batch: Vec<Vec<f32>> = (0..n).map(|k| rows[k % rows.len()].clone()).collect();
        let body = http::inputs_json(&batch);
        // Warm-up: connections, page cache, branch predictors.
        run_once(&addr, &body, clients, Duration::from_millis(300));
        let results: Vec<RunResult> = (0..runs)
            .map(|_| run_once(&addr, &body, clients, secs))
            .collect();
        let rps: Vec<f64> = results.iter().map(|r| r.rps).collect();
        let p99: Vec<f64> = results.iter().map(|r| r.p99_us as f64).collect();
        let (rps_min, rps_max) = (
            rps.iter().copied().fold(f64::INFINITY, f64::min),
            rps.iter().copied().fold(0.0, f64::max),
        );
        let (p_min, p_max) = (
            p99.iter().copied().fold(f64::INFINITY, f64::min),
            p99.iter().copied().fold(0.0, f64::max),
        );
        let med = median_f64(rps.clone());
        println!(
            "{n:>5}  {:>28}  {:>28}  {:>12.0}",
            format!("{med:.0} [{rps_min:.0}..{rps_max:.0}]"),
            format!("{:.0} [{p_min:.0}..{p_max:.0}]", median_f64(p99.clone())),
            med * n as f64
        );
    }
    let _ = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status();
    let _ = child.wait();
}
