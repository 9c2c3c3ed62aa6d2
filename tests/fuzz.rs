//! The standing fuzz harness: every frontend (XGBoost JSON and UBJSON,
//! LightGBM text, CatBoost JSON, scikit-learn pickle and joblib through the
//! restricted pickle reader, ONNX protobuf) and the C rule checker, fed
//! structure-aware mutations of the committed fixtures and generated
//! inputs. Each input runs in its own thread and must
//! - not panic,
//! - finish within [`TIME_LIMIT`] of its thread's CPU time (CPU, not wall
//!   clock: a run at `nice -n 19` on a busy machine may wait far longer
//!   than it computes; [`WALL_BACKSTOP`] bounds the wall clock),
//! - allocate at most [`ALLOC_CAP`] bytes live at once (a counting global
//!   allocator of this test binary; past [`ALLOC_ABORT`] the process aborts
//!   before the machine runs out of memory),
//! - end in `Ok` or an ordinary `Err` whose message is not empty.
//!
//! `bounded_*`: a fixed number of inputs per target from a fixed seed, so
//! the normal suite runs the same inputs every time, in seconds.
//! `regressions`: every input under tests/fixtures/fuzz-regressions/<target>/
//! (small files that once broke a rule above) runs clean.
//! `long_run` (ignored; `scripts/fuzz.sh HOURS` drives it): random seeds
//! for TIMBER_FUZZ_SECONDS, findings written to TIMBER_FUZZ_OUT, one
//! summary line per target on stdout.

mod common;

use rand::{RngExt, SeedableRng};
use rand_xorshift::XorShiftRng as Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use timber::frontend::{load_model_bytes, Format, FormatChoice};

/// Wall-clock bound of one input (generous: a parse of a mutated fixture
/// takes milliseconds; only a hang reaches this).
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// Wall-clock bound of one input, for a thread that blocks without
/// computing (or where thread CPU time cannot be read).
const WALL_BACKSTOP: Duration = Duration::from_secs(600);
/// Live bytes one input may hold at once (the largest fixture fed here is
/// under 200 KB).
const ALLOC_CAP: isize = 256 << 20;
/// Live bytes of one thread at which the process aborts rather than let
/// the machine run out of memory (the input is on disk in long runs).
const ALLOC_ABORT: isize = 2 << 30;
/// Fixtures larger than this are not fed (they would only slow the run).
const MAX_SEED_BYTES: u64 = 200_000;
/// Inputs per target in the bounded run.
const BOUNDED_CASES: usize = 120;

// ---------------------------------------------------------------------------
// Counting allocator: live and peak bytes per thread.

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let now = l.get() + delta;
        l.set(now);
        let _ = PEAK.try_with(|p| {
            if now > p.get() {
                p.set(now);
            }
        });
        if now > ALLOC_ABORT {
            // No allocation from here on: a fixed message, then abort.
            #[cfg(target_os = "linux")]
            {
                let msg = b"fuzz: one input holds more than 2 GiB; aborting\n";
                unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
            }
            std::process::abort();
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        account(-(layout.size() as isize));
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

// ---------------------------------------------------------------------------
// Targets.

/// One thing under fuzz.
#[derive(Clone, Copy)]
struct Target {
    name: &'static str,
    /// Fixture files (relative to tests/fixtures) whose names end so.
    seeds: &'static [(&'static str, &'static str)],
    mutate: fn(&mut Rng, &[u8]) -> Vec<u8>,
    /// Generated inputs (no fixture), when the target has a generator.
    generate: Option<fn(&mut Rng) -> Vec<u8>>,
    run: fn(&[u8]) -> Result<(), String>,
}

fn frontend(bytes: &[u8], name: &str, choice: FormatChoice) -> Result<(), String> {
    load_model_bytes(Path::new(name), bytes, choice)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn checker(bytes: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    timber::check::check_sources(
        vec![("fuzz.c".to_string(), text)],
        &timber::check::Config::default(),
    )
    .map(|_| ())
    .map_err(|e| format!("{e:#}"))
}

const TARGETS: &[Target] = &[
    Target {
        name: "xgboost-json",
        seeds: &[("xgboost", ".json"), ("xgboost_versions", ".json")],
        mutate: mutate::json,
        generate: None,
        run: |b| frontend(b, "fuzz.json", FormatChoice::Is(Format::XgboostJson)),
    },
    Target {
        name: "xgboost-ubj",
        seeds: &[("xgboost", ".ubj"), ("xgboost_versions", ".ubj")],
        mutate: mutate::ubjson,
        generate: None,
        run: |b| frontend(b, "fuzz.ubj", FormatChoice::Is(Format::XgboostUbj)),
    },
    Target {
        name: "lightgbm",
        seeds: &[("lightgbm", ".txt")],
        mutate: mutate::lines,
        generate: None,
        run: |b| frontend(b, "fuzz.txt", FormatChoice::Is(Format::LightgbmText)),
    },
    Target {
        name: "catboost",
        seeds: &[("catboost", ".json")],
        mutate: mutate::json,
        generate: None,
        run: |b| frontend(b, "fuzz.json", FormatChoice::Is(Format::CatboostJson)),
    },
    Target {
        name: "sklearn-pickle",
        seeds: &[
            ("sklearn", ".pkl"),
            ("sklearn", ".joblib"),
            ("sklearn_versions", ".pkl"),
            ("sklearn_versions", ".joblib"),
        ],
        mutate: mutate::pickle,
        generate: None,
        run: |b| frontend(b, "fuzz.pkl", FormatChoice::Is(Format::SklearnPickle)),
    },
    Target {
        name: "onnx",
        seeds: &[("onnx", ".onnx")],
        mutate: mutate::protobuf,
        generate: None,
        run: |b| frontend(b, "fuzz.onnx", FormatChoice::Is(Format::Onnx)),
    },
    Target {
        name: "detect",
        seeds: &[
            ("xgboost", ".json"),
            ("lightgbm", ".txt"),
            ("onnx", ".onnx"),
            ("sklearn", ".pkl"),
        ],
        mutate: mutate::bytes,
        generate: None,
        run: |b| frontend(b, "fuzz.model", FormatChoice::Auto),
    },
    Target {
        name: "checker",
        seeds: &[("check", ".c"), ("check", ".h")],
        mutate: mutate::c_tokens,
        generate: Some(generate::c_program),
        run: checker,
    },
];

fn target(name: &str) -> Target {
    *TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"))
}

/// The fixture files of `t`, sorted, small enough to feed.
fn seeds(t: &Target) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, ext, out);
            } else if p.to_string_lossy().ends_with(ext)
                && e.metadata().is_ok_and(|m| m.len() <= MAX_SEED_BYTES)
            {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    for (dir, ext) in t.seeds {
        walk(&common::fixtures().join(dir), ext, &mut paths);
    }
    paths.sort();
    paths.dedup();
    assert!(!paths.is_empty(), "{}: no seed fixtures", t.name);
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read fixture");
            (p.display().to_string(), bytes)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Running one input.

/// What broke.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Finding {
    Panic(String),
    Hang,
    Alloc(isize),
    EmptyError,
}

impl Finding {
    fn kind(&self) -> &'static str {
        match self {
            Finding::Panic(_) => "panic",
            Finding::Hang => "hang",
            Finding::Alloc(_) => "alloc",
            Finding::EmptyError => "empty-error",
        }
    }
}

/// Run `input` through `t` in a fresh thread under the bounds.
fn run_one(t: &Target, input: Vec<u8>) -> Option<Finding> {
    let (tx, rx) = mpsc::channel();
    let (clock_tx, clock_rx) = mpsc::channel();
    let run = t.run;
    let spawned = std::thread::Builder::new()
        .name("fuzz-input".into())
        .stack_size(8 << 20)
        .spawn(move || {
            let _ = clock_tx.send(cpu::this_thread());
            LIVE.with(|l| l.set(0));
            PEAK.with(|p| p.set(0));
            let result = std::panic::catch_unwind(|| run(&input));
            let peak = PEAK.with(Cell::get);
            let outcome = match result {
                Ok(Ok(())) => None,
                Ok(Err(msg)) if msg.trim().is_empty() => Some(Finding::EmptyError),
                Ok(Err(_)) => None,
                Err(payload) => Some(Finding::Panic(
                    payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default(),
                )),
            };
            let outcome = outcome.or((peak > ALLOC_CAP).then_some(Finding::Alloc(peak)));
            let _ = tx.send(outcome);
        })
        .expect("spawning the fuzz thread");
    let clock = clock_rx.recv().ok().flatten();
    let started = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(outcome) => {
                let _ = spawned.join();
                return outcome;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = spawned.join();
                return None;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let cpu_over = clock
                    .and_then(cpu::time)
                    .is_some_and(|used| used > TIME_LIMIT);
                let wall = started.elapsed();
                let wall_over = wall > WALL_BACKSTOP || (clock.is_none() && wall > TIME_LIMIT);
                if cpu_over || wall_over {
                    // The thread keeps running; the caller reports and stops.
                    return Some(Finding::Hang);
                }
            }
        }
    }
}

/// CPU time of one thread, read from another (Linux; elsewhere None and
/// the wall clock bounds the input).
mod cpu {
    use std::time::Duration;

    #[cfg(target_os = "linux")]
    pub type Clock = libc::clockid_t;
    #[cfg(not(target_os = "linux"))]
    pub type Clock = ();

    /// The CPU-time clock of the calling thread.
    #[cfg(target_os = "linux")]
    pub fn this_thread() -> Option<Clock> {
        let mut id: libc::clockid_t = 0;
        // SAFETY: pthread_self is the calling thread; id is a valid out pointer.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
        (rc == 0).then_some(id)
    }

    #[cfg(not(target_os = "linux"))]
    pub fn this_thread() -> Option<Clock> {
        None
    }

    /// CPU time used so far on `clock` (None once the thread is gone).
    #[cfg(target_os = "linux")]
    pub fn time(clock: Clock) -> Option<Duration> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: ts is a valid out pointer; a stale clock id gives EINVAL.
        let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
        (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn time(_: Clock) -> Option<Duration> {
        None
    }
}

/// One input of target `t` from `rng`: mostly a mutated fixture, sometimes
/// a generated input, sometimes a fixture mutated twice.
fn next_input(t: &Target, corpus: &[(String, Vec<u8>)], rng: &mut Rng) -> Vec<u8> {
    if let Some(g) = t.generate {
        if rng.random_bool(0.3) {
            return g(rng);
        }
    }
    let seed = &corpus[rng.random_range(0..corpus.len())].1;
    let once = (t.mutate)(rng, seed);
    if rng.random_bool(0.2) {
        (t.mutate)(rng, &once)
    } else {
        once
    }
}

/// Per-target run statistics.
struct Stats {
    executions: u64,
    findings: Vec<(Finding, Vec<u8>)>,
}

/// Run `cases` inputs of `t` from `seed`. Stops at the first hang (its
/// thread cannot be stopped).
fn campaign(t: &Target, corpus: &[(String, Vec<u8>)], seed: u64, cases: usize) -> Stats {
    let mut rng = Rng::seed_from_u64(seed);
    let mut stats = Stats {
        executions: 0,
        findings: Vec::new(),
    };
    let current = std::env::var_os("TIMBER_FUZZ_OUT")
        .map(|d| PathBuf::from(d).join(format!("current-{}.bin", t.name)));
    for _ in 0..cases {
        let input = next_input(t, corpus, &mut rng);
        if let Some(c) = &current {
            // What a crash that kills the process (stack overflow, the
            // abort above) leaves behind for scripts/fuzz.sh.
            let _ = std::fs::write(c, &input);
        }
        let finding = run_one(t, input.clone());
        stats.executions += 1;
        if let Some(f) = finding {
            let hang = f == Finding::Hang;
            stats.findings.push((f, input));
            if hang {
                break;
            }
        }
    }
    if let Some(c) = &current {
        // Only the campaign in flight leaves its input behind.
        let _ = std::fs::remove_file(c);
    }
    stats
}

fn describe(t: &Target, findings: &[(Finding, Vec<u8>)]) -> String {
    findings
        .iter()
        .map(|(f, input)| {
            format!(
                "{}: {f:?} on a {}-byte input starting {:?}",
                t.name,
                input.len(),
                String::from_utf8_lossy(&input[..input.len().min(80)])
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn bounded(name: &str, seed: u64) {
    let t = target(name);
    let corpus = seeds(&t);
    // The seeds themselves first: each must run clean as committed.
    for (path, bytes) in &corpus {
        if let Some(f) = run_one(&t, bytes.clone()) {
            panic!("{}: fixture {path}: {f:?}", t.name);
        }
    }
    let stats = campaign(&t, &corpus, seed, BOUNDED_CASES);
    assert_eq!(stats.executions as usize, BOUNDED_CASES);
    assert!(
        stats.findings.is_empty(),
        "{}",
        describe(&t, &stats.findings)
    );
}

#[test]
fn bounded_xgboost_json() {
    bounded("xgboost-json", 0x7469_6d62_0001);
}

#[test]
fn bounded_xgboost_ubj() {
    bounded("xgboost-ubj", 0x7469_6d62_0002);
}

#[test]
fn bounded_lightgbm() {
    bounded("lightgbm", 0x7469_6d62_0003);
}

#[test]
fn bounded_catboost() {
    bounded("catboost", 0x7469_6d62_0004);
}

#[test]
fn bounded_sklearn_pickle() {
    bounded("sklearn-pickle", 0x7469_6d62_0005);
}

#[test]
fn bounded_onnx() {
    bounded("onnx", 0x7469_6d62_0006);
}

#[test]
fn bounded_detect() {
    bounded("detect", 0x7469_6d62_0007);
}

#[test]
fn bounded_checker() {
    bounded("checker", 0x7469_6d62_0008);
}

/// The mutators change their input (a mutator that returns its input
/// unchanged would make every run above a fixture re-run) and are
/// deterministic for a seed.
#[test]
fn mutators_change_inputs_deterministically() {
    for t in TARGETS {
        let corpus = seeds(t);
        let run = |seed: u64| -> Vec<Vec<u8>> {
            let mut rng = Rng::seed_from_u64(seed);
            (0..40).map(|_| next_input(t, &corpus, &mut rng)).collect()
        };
        let a = run(7);
        assert_eq!(a, run(7), "{}: not deterministic", t.name);
        let changed = a
            .iter()
            .filter(|i| !corpus.iter().any(|(_, s)| s == *i))
            .count();
        assert!(
            changed >= 30,
            "{}: only {changed}/40 inputs differ from the fixtures",
            t.name
        );
    }
}

/// The bounds themselves work: a panic, a hang, an allocation over the cap
/// and an empty error are each reported as what they are.
#[test]
fn the_harness_reports_each_kind_of_finding() {
    let mk = |run: fn(&[u8]) -> Result<(), String>| Target {
        name: "self-test",
        seeds: &[],
        mutate: mutate::bytes,
        generate: None,
        run,
    };
    let panics = mk(|_| panic!("boom"));
    assert_eq!(
        run_one(&panics, vec![]),
        Some(Finding::Panic("boom".into()))
    );
    let allocates = mk(|_| {
        let v = vec![0u8; (ALLOC_CAP as usize) + 1];
        Err(format!("held {} bytes", v.len()))
    });
    assert!(matches!(run_one(&allocates, vec![]), Some(Finding::Alloc(n)) if n > ALLOC_CAP));
    let empty = mk(|_| Err(" ".into()));
    assert_eq!(run_one(&empty, vec![]), Some(Finding::EmptyError));
    let fine = mk(|_| Err("a message".into()));
    assert_eq!(run_one(&fine, vec![]), None);
}

/// Inputs that once broke one of the rules: committed under
/// tests/fixtures/fuzz-regressions/<target>/, each must now run clean.
#[test]
fn regressions() {
    let dir = common::fixtures().join("fuzz-regressions");
    let mut ran = 0;
    for t in TARGETS {
        let Ok(rd) = std::fs::read_dir(dir.join(t.name)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if f.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let bytes = std::fs::read(&f).unwrap();
            if let Some(finding) = run_one(t, bytes) {
                panic!("{}: {}: {finding:?}", t.name, f.display());
            }
            ran += 1;
        }
    }
    eprintln!("{ran} regression inputs ran clean");
}

/// `scripts/fuzz.sh` drives this: TIMBER_FUZZ_SECONDS (default 60) of
/// round-robin campaigns over every target (or TIMBER_FUZZ_TARGETS, comma
/// separated) from TIMBER_FUZZ_SEED (default: from the clock), findings
/// written to TIMBER_FUZZ_OUT (default fuzz-findings/). Prints one line per
/// target: `fuzz-summary target=NAME executions=N findings=M`.
#[test]
#[ignore = "long run: scripts/fuzz.sh HOURS"]
fn long_run() {
    let secs: u64 = std::env::var("TIMBER_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed: u64 = std::env::var("TIMBER_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let out = PathBuf::from(
        std::env::var_os("TIMBER_FUZZ_OUT").unwrap_or_else(|| "fuzz-findings".into()),
    );
    std::fs::create_dir_all(&out).expect("creating the findings directory");
    let only: Option<Vec<String>> = std::env::var("TIMBER_FUZZ_TARGETS")
        .ok()
        .map(|s| s.split(',').map(|t| t.trim().to_string()).collect());
    let targets: Vec<Target> = TARGETS
        .iter()
        .filter(|t| only.as_ref().is_none_or(|o| o.iter().any(|n| n == t.name)))
        .copied()
        .collect();
    let corpora: Vec<Vec<(String, Vec<u8>)>> = targets.iter().map(seeds).collect();
    let mut totals: Vec<(u64, u64)> = vec![(0, 0); targets.len()];
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut round: u64 = 0;
    let mut hung = false;
    println!("fuzz-seed {seed}");
    'outer: while Instant::now() < deadline {
        for (i, t) in targets.iter().enumerate() {
            let s = seed
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .wrapping_add(round * 64 + i as u64);
            let stats = campaign(t, &corpora[i], s, 50);
            totals[i].0 += stats.executions;
            totals[i].1 += stats.findings.len() as u64;
            for (f, input) in &stats.findings {
                let name = format!(
                    "{}-{}-{}.bin",
                    t.name,
                    f.kind(),
                    &timber::frontend::sha256_hex(input)[..16]
                );
                std::fs::write(out.join(&name), input).expect("writing a finding");
                println!(
                    "fuzz-finding target={} kind={} file={name} detail={f:?}",
                    t.name,
                    f.kind()
                );
                hung |= *f == Finding::Hang;
            }
            if hung || Instant::now() >= deadline {
                break 'outer;
            }
        }
        round += 1;
    }
    for (t, (execs, finds)) in targets.iter().zip(&totals) {
        println!(
            "fuzz-summary target={} executions={execs} findings={finds}",
            t.name
        );
        let _ = std::fs::remove_file(out.join(format!("current-{}.bin", t.name)));
    }
    if hung {
        // A hung thread cannot be stopped: end the process.
        std::process::exit(3);
    }
}

// ---------------------------------------------------------------------------
// Mutators: each keeps the input's structure where it can, so most inputs
// get past the outer parser and reach the model's semantics.

mod mutate {
    use super::{Rng, RngExt};
    use serde_json::Value;

    /// Numbers that sit on edges: zero, signs, powers of two, limits.
    const INTERESTING: &[i64] = &[
        0,
        1,
        -1,
        2,
        3,
        7,
        8,
        16,
        31,
        32,
        64,
        127,
        128,
        255,
        256,
        1000,
        4096,
        65535,
        65536,
        i32::MAX as i64,
        i32::MIN as i64,
        u32::MAX as i64,
        i64::MAX,
        i64::MIN,
        1_000_000_000_000,
    ];

    fn interesting(rng: &mut Rng) -> i64 {
        INTERESTING[rng.random_range(0..INTERESTING.len())]
    }

    fn interesting_f64(rng: &mut Rng) -> f64 {
        match rng.random_range(0..8) {
            0 => 0.0,
            1 => -0.0,
            2 => f64::MAX,
            3 => f64::MIN_POSITIVE,
            4 => 1e308,
            5 => -1e-300,
            6 => f32::MAX as f64 * 2.0,
            _ => interesting(rng) as f64 + 0.5,
        }
    }

    /// Byte-level: flips, interesting integers, chunk copies and cuts.
    pub fn bytes(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
        let mut b = input.to_vec();
        let n = rng.random_range(1..=4);
        for _ in 0..n {
            if b.is_empty() {
                b.push(rng.random());
                continue;
            }
            let at = rng.random_range(0..b.len());
            match rng.random_range(0..7) {
                0 => b[at] ^= 1 << rng.random_range(0..8),
                1 => b[at] = rng.random(),
                2 => {
                    let v = interesting(rng).to_le_bytes();
                    let w = [1, 2, 4, 8][rng.random_range(0..4)];
                    for (k, byte) in v.iter().take(w).enumerate() {
                        if at + k < b.len() {
                            b[at + k] = *byte;
                        }
                    }
                }
                3 => b.truncate(at),
                4 => {
                    let len = rng.random_range(0..=(b.len() - at).min(64));
                    b.drain(at..at + len);
                }
                5 => {
                    let len = rng.random_range(1..=(b.len() - at).min(256));
                    let chunk: Vec<u8> = b[at..at + len].to_vec();
                    let to = rng.random_range(0..=b.len());
                    b.splice(to..to, chunk);
                }
                _ => b.insert(at, rng.random()),
            }
        }
        b
    }

    /// Every node of a JSON value, as a JSON pointer.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    pointers(x, format!("{at}/{i}"), out);
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    let k = k.replace('~', "~0").replace('/', "~1");
                    pointers(x, format!("{at}/{k}"), out);
                }
            }
            _ => {}
        }
    }

    /// One structural change to one node of a JSON document.
    fn json_node(rng: &mut Rng, v: &mut Value) {
        let mut ptrs = Vec::new();
        pointers(v, String::new(), &mut ptrs);
        let p = &ptrs[rng.random_range(0..ptrs.len())];
        let Some(node) = v.pointer_mut(p) else {
            return;
        };
        match node {
            Value::Number(_) => {
                *node = match rng.random_range(0..5) {
                    0 => Value::from(interesting(rng)),
                    1 => serde_json::Number::from_f64(interesting_f64(rng))
                        .map_or(Value::Null, Value::Number),
                    2 => Value::String(
                        ["NaN", "inf", "-inf", "1e999", ""][rng.random_range(0..5)].into(),
                    ),
                    3 => Value::Null,
                    _ => Value::Bool(rng.random()),
                }
            }
            Value::String(s) => match rng.random_range(0..5) {
                0 => *s = interesting(rng).to_string(),
                1 => s.clear(),
                2 => s.push_str(&s.clone()),
                3 => *node = Value::from(interesting(rng)),
                _ => {
                    *s = format!(
                        "{}{}",
                        s,
                        ["[", "]", ",", "-1", "nan", "\u{0}"][rng.random_range(0..6)]
                    )
                }
            },
            Value::Array(a) => {
                if a.is_empty() {
                    a.push(Value::from(interesting(rng)));
                    return;
                }
                let i = rng.random_range(0..a.len());
                match rng.random_range(0..5) {
                    0 => {
                        a.remove(i);
                    }
                    1 => {
                        let x = a[i].clone();
                        a.insert(i, x);
                    }
                    2 => a.truncate(i),
                    3 => {
                        let j = rng.random_range(0..a.len());
                        a.swap(i, j);
                    }
                    _ => a.push(a[i].clone()),
                }
            }
            Value::Object(m) => {
                if m.is_empty() {
                    return;
                }
                let keys: Vec<String> = m.keys().cloned().collect();
                let k = &keys[rng.random_range(0..keys.len())];
                match rng.random_range(0..3) {
                    0 => {
                        m.remove(k);
                    }
                    1 => {
                        m.insert(k.clone(), Value::Array(vec![]));
                    }
                    _ => {
                        m.insert(k.clone(), Value::Object(Default::default()));
                    }
                }
            }
            Value::Bool(b) => *b = !*b,
            Value::Null => *node = Value::from(interesting(rng)),
        }
    }

    /// JSON documents: parse, change 1-3 nodes, print; sometimes bytes.
    pub fn json(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
        if rng.random_bool(0.15) {
            return bytes(rng, input);
        }
        let Ok(mut v) = serde_json::from_slice::<Value>(input) else {
            return bytes(rng, input);
        };
        for _ in 0..rng.random_range(1..=3) {
            json_node(rng, &mut v);
        }
        serde_json::to_vec(&v).unwrap_or_else(|_| input.to_vec())
    }

    /// UBJSON: decoded by timber's own decoder, changed as JSON, encoded
    /// again (optimised typed arrays become plain ones); sometimes bytes.
    pub fn ubjson(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
        if rng.random_bool(0.3) {
            return bytes(rng, input);
        }
        let Ok(mut v) = timber::frontend::ubjson::decode(input) else {
            return bytes(rng, input);
        };
        for _ in 0..rng.random_range(1..=3) {
            json_node(rng, &mut v);
        }
        let mut out = Vec::new();
        ubj_encode(&v, &mut out);
        out
    }

    fn ubj_len(n: usize, out: &mut Vec<u8>) {
        out.push(b'L');
        out.extend_from_slice(&(n as i64).to_be_bytes());
    }

    fn ubj_encode(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::Null => out.push(b'Z'),
            Value::Bool(b) => out.push(if *b { b'T' } else { b'F' }),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    out.push(b'L');
                    out.extend_from_slice(&i.to_be_bytes());
                } else {
                    let f = n.as_f64().unwrap_or(0.0);
                    if f64::from(f as f32) == f {
                        out.push(b'd');
                        out.extend_from_slice(&(f as f32).to_be_bytes());
                    } else {
                        out.push(b'D');
                        out.extend_from_slice(&f.to_be_bytes());
                    }
                }
            }
            Value::String(s) => {
                out.push(b'S');
                ubj_len(s.len(), out);
                out.extend_from_slice(s.as_bytes());
            }
            Value::Array(a) => {
                out.push(b'[');
                for x in a {
                    ubj_encode(x, out);
                }
                out.push(b']');
            }
            Value::Object(m) => {
                out.push(b'{');
                for (k, x) in m {
                    ubj_len(k.len(), out);
                    out.extend_from_slice(k.as_bytes());
                    ubj_encode(x, out);
                }
                out.push(b'}');
            }
        }
    }

    /// Line-oriented text (LightGBM): change a `key=value` token, drop,
    /// repeat or swap lines; sometimes bytes.
    pub fn lines(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
        if rng.random_bool(0.15) {
            return bytes(rng, input);
        }
        let text = String::from_utf8_lossy(input);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.is_empty() {
            return bytes(rng, input);
        }
        for _ in 0..rng.random_range(1..=3) {
            let i = rng.random_range(0..lines.len());
            match rng.random_range(0..6) {
                0 => {
                    lines.remove(i);
                    if lines.is_empty() {
                        break;
                    }
                }
                1 => {
                    let l = lines[i].clone();
                    lines.insert(i, l);
                }
                2 => {
                    let j = rng.random_range(0..lines.len());
                    lines.swap(i, j);
                }
                _ => {
                    // One value token of a `key=v1 v2 ...` line.
                    let Some((k, vals)) = lines[i].split_once('=') else {
                        continue;
                    };
                    let mut toks: Vec<String> = vals.split(' ').map(str::to_string).collect();
                    let j = rng.random_range(0..toks.len());
                    match rng.random_range(0..5) {
                        0 => toks[j] = interesting(rng).to_string(),
                        1 => toks[j] = format!("{:e}", interesting_f64(rng)),
                        2 => {
                            toks[j] = ["nan", "inf", "-inf", "", "1e999", "0x10"]
                                [rng.random_range(0..6)]
                            .to_string()
                        }
                        // A value list cut short.
                        3 => toks.truncate(j.max(1)),
                        _ => toks[j] = format!("{}:{}", interesting(rng), interesting(rng)),
                    }
                    lines[i] = format!("{k}={}", toks.join(" "));
                }
            }
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out.into_bytes()
    }

    /// Pickles: byte-level on the pickle stream, decompressed first for
    /// joblib's zlib and gzip containers (and compressed again), so the
    /// changes reach the pickle reader rather than the inflater.
    pub fn pickle(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
        use std::io::{Read, Write};
        let zlib = input.first() == Some(&0x78);
        let gzip = input.starts_with(&[0x1f, 0x8b]);
        if !(zlib || gzip) || rng.random_bool(0.1) {
            return bytes(rng, input);
        }
        let mut raw = Vec::new();
        let ok = if zlib {
            flate2::read::ZlibDecoder::new(input).read_to_end(&mut raw)
        } else {
            flate2::read::GzDecoder::new(input).read_to_end(&mut raw)
        };
        if ok.is_err() {
            return bytes(rng, input);
        }
        let changed = bytes(rng, &raw);
        let level = flate2::Compression::fast();
        let packed = if zlib {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
            e.write_all(&changed).and_then(|_| e.finish())
        } else {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
            e.write_all(&changed).and_then(|_| e.finish())
        };
        packed.unwrap_or_else(|_| input.to_vec())
    }

    /// One protobuf field: number, and its value by wire type.
    enum Field {
        Varint(u32, u64),
        Fixed64(u32, [u8; 8]),
        Fixed32(u32, [u8; 4]),
        /// Length-delimited; `Some` when the bytes parse as a message.
        Bytes(u32, Vec<u8>, Option<Vec<Field>>),
    }

    /// Parse protobuf wire format (nested messages up to `depth`).
    fn pb_parse(mut b: &[u8], depth: usize) -> Option<Vec<Field>> {
        use prost::encoding::{decode_key, decode_varint, WireType};
        let mut out = Vec::new();
        while !b.is_empty() {
            let (tag, wt) = decode_key(&mut b).ok()?;
            out.push(match wt {
                WireType::Varint => Field::Varint(tag, decode_varint(&mut b).ok()?),
                WireType::SixtyFourBit => {
                    let v: [u8; 8] = b.get(..8)?.try_into().ok()?;
                    b = &b[8..];
                    Field::Fixed64(tag, v)
                }
                WireType::ThirtyTwoBit => {
                    let v: [u8; 4] = b.get(..4)?.try_into().ok()?;
                    b = &b[4..];
                    Field::Fixed32(tag, v)
                }
                WireType::LengthDelimited => {
                    let n = usize::try_from(decode_varint(&mut b).ok()?).ok()?;
                    let v = b.get(..n)?.to_vec();
                    b = &b[n..];
                    let nested = if depth > 0 && !v.is_empty() {
                        pb_parse(&v, depth - 1)
                    } else {
                        None
                    };
                    Field::Bytes(tag, v, nested)
                }
                _ => return None,
            });
        }
        Some(out)
    }

    fn pb_write(fields: &[Field], out: &mut Vec<u8>) {
        use prost::encoding::{encode_key, encode_varint, WireType};
        for f in fields {
            match f {
                Field::Varint(t, v) => {
                    encode_key(*t, WireType::Varint, out);
                    encode_varint(*v, out);
                }
                Field::Fixed64(t, v) => {
                    encode_key(*t, WireType::SixtyFourBit, out);
                    out.extend_from_slice(v);
                }
                Field::Fixed32(t, v) => {
                    encode_key(*t, WireType::ThirtyTwoBit, out);
                    out.extend_from_slice(v);
                }
                Field::Bytes(t, raw, nested) => {
                    let mut body = Vec::new();
                    match nested {
                        Some(n) => pb_write(n, &mut body),
                        None => body.extend_from_slice(raw),
                    }
                    encode_key(*t, WireType::LengthDelimited, out);
                    encode_varint(body.len() as u64, out);
                    out.extend_from_slice(&body);
                }
            }
        }
    }

    /// Count the fields of a parsed message tree.
    fn pb_count(fields: &[Field]) -> usize {
        fields
            .iter()
            .map(|f| match f {
                Field::Bytes(_, _, Some(n)) => 1 + pb_count(n),
                _ => 1,
            })
            .sum()
    }

    /// Change the `k`-th field (depth first) of the tree.
    fn pb_mutate(rng: &mut Rng, fields: &mut Vec<Field>, k: &mut usize) -> bool {
        let mut i = 0;
        while i < fields.len() {
            if *k == 0 {
                match rng.random_range(0..6) {
                    0 => {
                        fields.remove(i);
                    }
                    1 => {
                        let mut copy = Vec::new();
                        pb_write(&fields[i..=i], &mut copy);
                        if let Some(mut dup) = pb_parse(&copy, 8) {
                            fields.insert(i, dup.remove(0));
                        }
                    }
                    _ => match &mut fields[i] {
                        Field::Varint(_, v) => *v = interesting(rng) as u64,
                        Field::Fixed32(_, v) => {
                            *v = match rng.random_range(0..4) {
                                0 => f32::NAN.to_le_bytes(),
                                1 => f32::INFINITY.to_le_bytes(),
                                2 => (interesting(rng) as i32).to_le_bytes(),
                                _ => (interesting_f64(rng) as f32).to_le_bytes(),
                            }
                        }
                        Field::Fixed64(_, v) => {
                            *v = match rng.random_range(0..3) {
                                0 => f64::NAN.to_le_bytes(),
                                1 => interesting(rng).to_le_bytes(),
                                _ => interesting_f64(rng).to_le_bytes(),
                            }
                        }
                        Field::Bytes(_, raw, nested) => {
                            *nested = None;
                            *raw = bytes(rng, raw);
                        }
                    },
                }
                return true;
            }
            *k -= 1;
            if let Field::Bytes(_, _, Some(n)) = &mut fields[i] {
                if pb_mutate(rng, n, k) {
                    return true;
                }
            }
            i += 1;
        }
        false
    }

    /// Protobuf (ONNX): parse the wire format into a field tree, change
    /// 1-3 fields (varints to edge values, floats to NaN/inf, drop or
    /// repeat a field, bytes of a leaf), write it back with lengths
    /// re-computed; sometimes bytes.
    pub fn protobuf(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
        if rng.random_bool(0.15) {
            return bytes(rng, input);
        }
        let Some(mut fields) = pb_parse(input, 8) else {
            return bytes(rng, input);
        };
        for _ in 0..rng.random_range(1..=3) {
            let n = pb_count(&fields);
            if n == 0 {
                break;
            }
            let mut k = rng.random_range(0..n);
            pb_mutate(rng, &mut fields, &mut k);
        }
        let mut out = Vec::new();
        pb_write(&fields, &mut out);
        out
    }

    /// C tokens the checker's grammar and rules care about.
    pub const C_TOKENS: &[&str] = &[
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        ";",
        ",",
        "*",
        "&",
        "-",
        "+",
        "!",
        "~",
        "?",
        ":",
        "=",
        "==",
        "<<",
        ">>",
        "->",
        ".",
        "(int)",
        "(float)",
        "(uint8_t)",
        "(void *)",
        "if",
        "else",
        "for",
        "while",
        "do",
        "switch",
        "case",
        "default:",
        "goto",
        "return",
        "break",
        "continue",
        "static",
        "const",
        "volatile",
        "extern",
        "typedef",
        "struct",
        "union",
        "enum",
        "sizeof",
        "#define",
        "#include",
        "#if",
        "#endif",
        "#undef",
        "\n#",
        "/*",
        "*/",
        "//",
        "\"",
        "'",
        "\\",
        "0x7fffffffU",
        "1.0e308f",
        "'\\0'",
        "L\"w\"",
        "x",
        "f",
        "main",
        "malloc",
        "setjmp",
        "...",
        "\n",
    ];

    /// C text: whitespace-separated tokens dropped, repeated, swapped or
    /// replaced by C tokens; sometimes bytes.
    pub fn c_tokens(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
        if rng.random_bool(0.1) {
            return bytes(rng, input);
        }
        let text = String::from_utf8_lossy(input);
        let mut toks: Vec<String> = text
            .split_inclusive(|c: char| c.is_whitespace() || "(){}[];,".contains(c))
            .map(str::to_string)
            .collect();
        for _ in 0..rng.random_range(1..=4) {
            let tok = C_TOKENS[rng.random_range(0..C_TOKENS.len())].to_string() + " ";
            if toks.is_empty() {
                toks.push(tok);
                continue;
            }
            let i = rng.random_range(0..toks.len());
            match rng.random_range(0..5) {
                0 => {
                    toks.remove(i);
                }
                1 => {
                    let t = toks[i].clone();
                    toks.insert(i, t);
                }
                2 => {
                    let j = rng.random_range(0..toks.len());
                    toks.swap(i, j);
                }
                3 => toks[i] = tok,
                _ => toks.insert(i, tok),
            }
        }
        toks.concat().into_bytes()
    }
}

// ---------------------------------------------------------------------------
// Generated inputs.

mod generate {
    use super::{Rng, RngExt};

    fn expr(rng: &mut Rng, depth: u32, out: &mut String) {
        if depth == 0 || rng.random_bool(0.3) {
            out.push_str(
                ["x", "1", "0U", "2.5f", "a[1]", "p->v", "f(x)", "'c'"][rng.random_range(0..8)],
            );
            return;
        }
        match rng.random_range(0..7) {
            0 => {
                out.push('(');
                expr(rng, depth - 1, out);
                out.push_str(
                    [" + ", " << ", " == ", " && ", " ? x : ", " / ", ", "][rng.random_range(0..7)],
                );
                expr(rng, depth - 1, out);
                out.push(')');
            }
            1 => {
                out.push_str(
                    ["(int)", "(float)", "(uint32_t)", "-", "!", "~", "*", "&"]
                        [rng.random_range(0..8)],
                );
                expr(rng, depth - 1, out);
            }
            2 => {
                expr(rng, depth - 1, out);
                out.push('[');
                expr(rng, depth - 1, out);
                out.push(']');
            }
            3 => {
                out.push_str("g(");
                expr(rng, depth - 1, out);
                out.push_str(", ");
                expr(rng, depth - 1, out);
                out.push(')');
            }
            4 => {
                out.push_str("sizeof(");
                expr(rng, depth - 1, out);
                out.push(')');
            }
            5 => {
                expr(rng, depth - 1, out);
                out.push_str(["++", "--", ".m", "->m"][rng.random_range(0..4)]);
            }
            _ => {
                out.push_str("x = ");
                expr(rng, depth - 1, out);
            }
        }
    }

    fn stmt(rng: &mut Rng, depth: u32, out: &mut String) {
        let pad = "    ".repeat((4 - depth.min(4)) as usize);
        match if depth == 0 {
            0
        } else {
            rng.random_range(0..7)
        } {
            0 => {
                out.push_str(&pad);
                expr(rng, 4, out);
                out.push_str(";\n");
            }
            1 => {
                out.push_str(&pad);
                out.push_str("if (");
                expr(rng, 3, out);
                out.push_str(") {\n");
                stmt(rng, depth - 1, out);
                out.push_str(&pad);
                out.push_str("} else {\n");
                stmt(rng, depth - 1, out);
                out.push_str(&pad);
                out.push_str("}\n");
            }
            2 => {
                out.push_str(&pad);
                out.push_str("for (i = 0; i < 10; i++) {\n");
                stmt(rng, depth - 1, out);
                out.push_str(&pad);
                out.push_str("}\n");
            }
            3 => {
                out.push_str(&pad);
                out.push_str("switch (x) {\ncase 1:\n");
                stmt(rng, depth - 1, out);
                out.push_str("break;\ndefault:\nbreak;\n}\n");
            }
            4 => {
                out.push_str(&pad);
                out.push_str("return ");
                expr(rng, 3, out);
                out.push_str(";\n");
            }
            5 => {
                out.push_str(&pad);
                out.push_str(
                    [
                        "goto end;\n",
                        "end: ;\n",
                        "while (x) { x--; }\n",
                        "do { } while (0);\n",
                    ][rng.random_range(0..4)],
                );
            }
            _ => {
                out.push_str(&pad);
                out.push_str("{\n");
                for _ in 0..rng.random_range(1..4) {
                    stmt(rng, depth - 1, out);
                }
                out.push_str(&pad);
                out.push_str("}\n");
            }
        }
    }

    /// A small C translation unit: declarations, macros and functions
    /// with nested statements and expressions (kept small: the checker's
    /// time on long nesting chains is its own test's business).
    pub fn c_program(rng: &mut Rng) -> Vec<u8> {
        let mut out = String::from("#include <stdint.h>\n");
        if rng.random_bool(0.5) {
            out.push_str("#define M(a) ((a) + 1)\n");
        }
        out.push_str("struct s { int m; float v; };\nstatic int a[4];\n");
        for n in 0..rng.random_range(1..4) {
            out.push_str(&format!(
                "{} f{n}(int x, struct s *p)\n{{\n    int i;\n",
                ["int", "static float", "void", "uint8_t"][rng.random_range(0..4)]
            ));
            for _ in 0..rng.random_range(1..5) {
                stmt(rng, 3, &mut out);
            }
            out.push_str("}\n");
        }
        out.into_bytes()
    }
}
