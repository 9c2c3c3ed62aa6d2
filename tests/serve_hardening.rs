//! `timber serve` against slow, idle, numerous, half-closing and hostile
//! clients, over loopback with the real binary: every phase of a
//! connection is bounded in time, a trickled body in memory (the server's
//! own peak RSS from /proc), the connection count by a cap, shutdown by a
//! deadline; and a seeded fuzz of request bytes ([`http_fuzz`]) finds no
//! panic, no invalid reply and no 4xx without a JSON error.
//!
//! Every wait is bounded with limits several times the configured
//! timeouts, so a loaded machine cannot make a test fail.

mod common;
#[path = "common/http.rs"]
mod http;
#[path = "common/server.rs"]
mod server;

use server::{fixture, Server};
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const PREDICT: &str = "/v1/models/binary-nan/predict";
const ROW: [f32; 6] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];

fn connect(addr: &str, read_timeout: Duration) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(read_timeout)).unwrap();
    s
}

fn head(path: &str, length: usize) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n")
}

/// The reference evaluator's output for [`ROW`], as bits.
fn want_bits() -> Vec<u32> {
    let ens = timber::frontend::load_model(
        &fixture("binary_nan.json"),
        timber::frontend::FormatChoice::Auto,
    )
    .unwrap();
    timber::ir::evaluate(&ens, &ROW)
        .iter()
        .map(|x| x.to_bits())
        .collect()
}

fn assert_exact(r: &http::Response) {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let got: Vec<u32> = http::outputs_f32(&r.json())[0]
        .iter()
        .map(|x| x.to_bits())
        .collect();
    assert_eq!(got, want_bits());
}

fn assert_json_error(r: &http::Response, status: u16, needle: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    let msg = r.json()["error"].as_str().unwrap_or_default().to_string();
    assert!(msg.contains(needle), "`{msg}` lacks `{needle}`");
}

#[test]
fn a_head_trickled_byte_by_byte_is_cut_off_at_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "1", "--idle-timeout", "60"]);
    let mut s = connect(&server.addr, Duration::from_millis(100));
    let start = Instant::now();
    // Progress alone does not extend the deadline: one byte every 50 ms,
    // for at most 20 s, until the server closes.
    let bytes = format!(
        "POST {PREDICT} HTTP/1.1\r\nHost: x\r\nX-Pad: {}",
        "a".repeat(1000)
    );
    let mut closed = false;
    for b in bytes.as_bytes() {
        if s.write_all(std::slice::from_ref(b)).is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Ok(_) => {
                closed = true;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        if start.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    assert!(closed, "a head trickled for 20 s was never cut off");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    server.wait_for_log("its request head took longer than --header-timeout");
    server.healthy();
}

#[test]
fn a_slow_body_gets_408_at_the_body_timeout() {
    let server = Server::start(&["--body-timeout", "1"]);
    let body = http::inputs_json(&[ROW.to_vec()]);
    for trickle in [false, true] {
        let mut s = connect(&server.addr, Duration::from_millis(50));
        let start = Instant::now();
        s.write_all(head(PREDICT, body.len()).as_bytes()).unwrap();
        s.write_all(&body[..5]).unwrap();
        let mut answer = Vec::new();
        // Silent, or one more byte every 50 ms (still short of the end):
        // either way the answer comes at the deadline.
        let mut next = 5;
        while start.elapsed() < Duration::from_secs(20) {
            if trickle && next < body.len() - 1 {
                let _ = s.write_all(&body[next..next + 1]);
                next += 1;
            }
            if http::read_until_close(&mut s, &mut answer) {
                break;
            }
        }
        let waited = start.elapsed();
        let replies = http::parse_responses(&answer).expect("a valid reply");
        assert_eq!(replies.len(), 1);
        assert_json_error(&replies[0], 408, "--body-timeout");
        assert_eq!(replies[0].header("connection"), Some("close"));
        assert!(
            waited < Duration::from_secs(8),
            "trickle {trickle}: {waited:?}"
        );
    }
    server.healthy();
}

#[test]
fn a_body_trickled_one_byte_per_segment_costs_at_most_the_body_cap() {
    const CAP: usize = 16 * 1024;
    const CLIENTS: usize = 4;
    let server = Server::start(&["--max-body", "16384", "--body-timeout", "120"]);
    // A valid request padded with JSON whitespace to just under the cap.
    let mut body = http::inputs_json(&[ROW.to_vec()]);
    body.resize(CAP - 16, b' ');
    // Warm up: the worker threads and their allocator arenas.
    std::thread::scope(|s| {
        for _ in 0..CLIENTS {
            s.spawn(|| assert_exact(&server.post(PREDICT, &body)));
        }
    });
    let before = server.status_kib("VmHWM");
    let sent: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|_| {
                s.spawn(|| {
                    let mut c = connect(&server.addr, Duration::from_secs(60));
                    c.write_all(head(PREDICT, body.len()).as_bytes()).unwrap();
                    // One byte per write with TCP_NODELAY: one segment each,
                    // with a pause so the server reads them one at a time.
                    for b in &body {
                        c.write_all(std::slice::from_ref(b)).unwrap();
                        std::thread::sleep(Duration::from_micros(100));
                    }
                    let r = http::read_response(&mut BufReader::new(c)).expect("reply");
                    assert_exact(&r);
                    body.len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let after = server.status_kib("VmHWM");
    let growth = after.saturating_sub(before);
    eprintln!(
        "peak RSS {before} kB before, {after} kB after {CLIENTS} bodies of {} bytes trickled one byte per segment: +{growth} kB",
        sent[0]
    );
    // Each connection may hold its body (at most the cap) plus a constant:
    // hyper's buffers and the parsed request. Before bodies were copied
    // frame by frame, each trickled byte held a multi-KiB read buffer:
    // about 64 MB per connection here.
    let bound_kib = (CLIENTS * (CAP + 256 * 1024) / 1024) as u64;
    assert!(
        growth <= bound_kib,
        "peak RSS grew by {growth} kB for {CLIENTS} trickled bodies; bound {bound_kib} kB"
    );
    server.healthy();
}

#[test]
fn idle_connections_close_at_the_idle_timeout_not_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "1", "--idle-timeout", "3"]);
    // A kept-alive connection idle for longer than the header timeout is
    // still served: idle time is not head time.
    let mut c = http::Client::connect(&server.addr).unwrap();
    assert_eq!(c.request("GET", "/health", b"").unwrap().status, 200);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(c.request("GET", "/health", b"").unwrap().status, 200);
    // Then left idle, it is closed.
    let mut idle = connect(&server.addr, Duration::from_secs(20));
    let start = Instant::now();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    assert!(
        http::read_until_close(&mut idle, &mut answer),
        "an idle keep-alive connection stayed open for 20 s"
    );
    assert!(
        start.elapsed() < Duration::from_secs(12),
        "{:?}",
        start.elapsed()
    );
    let replies = http::parse_responses(&answer).unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].status, 200);
    // A connection that never sends anything is closed too.
    let (nothing, closed) =
        http::raw_until_close(&server.addr, b"", false, Duration::from_secs(20));
    assert!(closed && nothing.is_empty());
    server.wait_for_log("idle for longer than --idle-timeout");
    server.healthy();
}

#[test]
fn connections_over_the_cap_get_503_and_are_closed() {
    let server = Server::start(&["--max-connections", "2"]);
    let mut first = http::Client::connect(&server.addr).unwrap();
    let mut second = http::Client::connect(&server.addr).unwrap();
    assert_eq!(first.request("GET", "/health", b"").unwrap().status, 200);
    assert_eq!(second.request("GET", "/health", b"").unwrap().status, 200);
    // The third gets a JSON 503 and the server closes it.
    let (answer, closed) = http::raw_until_close(
        &server.addr,
        b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
        false,
        Duration::from_secs(10),
    );
    assert!(closed, "the refused connection was left open");
    let replies = http::parse_responses(&answer).expect("a valid reply");
    assert_eq!(replies.len(), 1);
    assert_json_error(&replies[0], 503, "--max-connections");
    assert_eq!(replies[0].header("connection"), Some("close"));
    // The kept connections still work; once one closes, its slot is free
    // again (the server notices the close asynchronously: retry a while).
    assert_eq!(first.request("GET", "/health", b"").unwrap().status, 200);
    drop(first);
    let mut status = 0;
    for _ in 0..100 {
        status = http::request(&server.addr, "GET", "/health", b"").status;
        if status == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(status, 200, "a freed slot was never reused");
    assert_eq!(second.request("GET", "/health", b"").unwrap().status, 200);
}

#[test]
fn sigterm_with_a_slow_client_connected_exits_0_at_the_shutdown_deadline() {
    let mut server = Server::start(&["--shutdown-timeout", "2", "--body-timeout", "120"]);
    // Headers and part of a body, then nothing: in flight until the
    // drain deadline.
    let mut slow = connect(&server.addr, Duration::from_secs(30));
    slow.write_all(head(PREDICT, 1000).as_bytes()).unwrap();
    slow.write_all(b"{\"inputs\": [").unwrap();
    // A request on another connection shows the slow one's head is read.
    server.healthy();
    std::thread::sleep(Duration::from_millis(300));
    server.sigterm();
    let (code, waited) = server.wait_exit_within(Duration::from_secs(20));
    assert_eq!(code, Some(0));
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.contains("1 connection(s) still open after --shutdown-timeout"),
        "{log}"
    );
    // The slow client's connection is closed.
    let mut rest = Vec::new();
    assert!(http::read_until_close(&mut slow, &mut rest));
}

#[test]
fn half_closed_clients_get_their_replies() {
    let server = Server::start(&[]);
    let body = http::inputs_json(&[ROW.to_vec()]);
    let mut predict = head(PREDICT, body.len()).into_bytes();
    predict.extend_from_slice(&body);
    let health = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    let bad = {
        let mut b = head(PREDICT, 5).into_bytes();
        b.extend_from_slice(b"[1,2]");
        b
    };
    let cases: Vec<(Vec<u8>, Vec<u16>)> = vec![
        (predict.clone(), vec![200]),
        (health.clone(), vec![200]),
        (bad, vec![422]),
        // Pipelined: both answered, in order.
        ([predict.clone(), health].concat(), vec![200, 200]),
        // A body shorter than its Content-Length, then EOF: a JSON 400.
        (predict[..predict.len() - 3].to_vec(), vec![400]),
    ];
    for (bytes, want) in cases {
        for _ in 0..20 {
            let (answer, closed) =
                http::raw_until_close(&server.addr, &bytes, true, Duration::from_secs(10));
            assert!(
                closed,
                "the connection was left open after the client's EOF"
            );
            let replies = http::parse_responses(&answer)
                .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&answer)));
            let got: Vec<u16> = replies.iter().map(|r| r.status).collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&bytes));
            for r in &replies {
                if r.status == 200 && r.json().get("outputs").is_some() {
                    assert_exact(r);
                } else if r.status >= 400 {
                    assert!(r.json()["error"].is_string());
                }
            }
        }
    }
    server.healthy();
}

#[test]
fn hypers_own_replies_to_unparseable_heads_are_json_errors() {
    let server = Server::start(&[]);
    let huge = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100_000)
    );
    let many = format!(
        "GET /health HTTP/1.1\r\n{}\r\n",
        (0..150)
            .map(|i| format!("X-{i}: v\r\n"))
            .collect::<String>()
    );
    for (bytes, status, needle) in [
        (
            b"GET /health HTTP/1.1\r\nHost x\r\n\r\n".to_vec(),
            400,
            "malformed HTTP",
        ),
        (b"G\x01T / HTTP/1.1\r\n\r\n".to_vec(), 400, "malformed HTTP"),
        (huge.into_bytes(), 431, "at most 65536 bytes"),
        (many.into_bytes(), 431, "100 headers"),
    ] {
        let answer = http::raw(&server.addr, &bytes, true);
        let replies = http::parse_responses(&answer)
            .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&answer)));
        assert_eq!(replies.len(), 1);
        assert_json_error(&replies[0], status, needle);
    }
    server.healthy();
}

/// Seeded, bounded fuzz of the HTTP request handling (see `fuzz` below).
/// `TIMBER_HTTP_FUZZ_CASES` (default 300) sets the count and
/// `TIMBER_HTTP_FUZZ_SEED` (default 0) the seed, for long runs:
/// `TIMBER_HTTP_FUZZ_CASES=100000 cargo test --release --test serve_hardening http_fuzz`.
#[test]
fn http_fuzz() {
    fuzz::run();
}

mod fuzz {
    //! Requests built from methods, paths, versions, headers (lengths
    //! right, wrong and hostile; chunked encodings good and bad; Expect;
    //! junk) and bodies (predict requests, JSON with hostile numbers,
    //! strings and deep nesting, random bytes), then byte-mutated. Each is
    //! sent on its own connection followed by a half-close. The server
    //! must close the connection, every reply must be a valid HTTP/1.1
    //! response, none a 5xx, every 4xx a JSON object with an `error`
    //! string; a complete request head must get a reply; and the server
    //! must stay healthy and log no panic.

    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

    fn env_u64(key: &str, default: u64) -> u64 {
        std::env::var(key)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    fn number() -> BoxedStrategy<String> {
        prop_oneof![
            prop::sample::select(vec![
                "1e999",
                "-1e999",
                "1e-400",
                "-0",
                "-0.0",
                "0.1",
                "1E+38",
                "3.4028236e38",
                "-3.4028236e38",
                "1.401298464324817e-45",
                "16777217",
                "123456789012345678901234567890123456789",
                "9007199254740993",
                "NaN",
                "Infinity",
                "-",
                "1.",
                ".5",
                "01",
                "0x10",
                "1e",
                "+1",
                "null",
                "true",
                "\"inf\"",
                "\"-inf\"",
                "\"nan\"",
                "\"\\u0000\"",
                "\"\\ud800\"",
                "\"é\"",
                "{}",
                "[]",
            ])
            .prop_map(String::from),
            any::<f64>().prop_map(|x| format!("{x:e}")),
            any::<i64>().prop_map(|x| x.to_string()),
            any::<f32>().prop_map(|x| format!("{x}")),
        ]
        .boxed()
    }

    fn json() -> BoxedStrategy<String> {
        number()
            .prop_recursive(4, 64, 8, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..8)
                        .prop_map(|v| format!("[{}]", v.join(","))),
                    prop::collection::vec(("[a-z]{0,6}", inner), 0..4).prop_map(|v| {
                        let fields: Vec<String> =
                            v.iter().map(|(k, x)| format!("{k:?}:{x}")).collect();
                        format!("{{{}}}", fields.join(","))
                    }),
                ]
            })
            .boxed()
    }

    fn body() -> BoxedStrategy<Vec<u8>> {
        prop_oneof![
            // Predict requests with hostile cells.
            prop::collection::vec(prop::collection::vec(number(), 0..8), 0..4).prop_map(|rows| {
                let rows: Vec<String> = rows.iter().map(|r| format!("[{}]", r.join(","))).collect();
                format!("{{\"inputs\":[{}]}}", rows.join(",")).into_bytes()
            }),
            json().prop_map(|j| format!("{{\"inputs\":{j}}}").into_bytes()),
            json().prop_map(String::into_bytes),
            // Deep nesting, balanced or not.
            (0usize..5000, 0usize..5000).prop_map(|(open, close)| {
                format!("{{\"inputs\":{}{}}}", "[".repeat(open), "]".repeat(close)).into_bytes()
            }),
            prop::collection::vec(any::<u8>(), 0..256),
            Just(Vec::new()),
        ]
        .boxed()
    }

    /// How the body is framed.
    #[derive(Debug, Clone)]
    enum Framing {
        Length(i64),
        Chunked(Vec<usize>, bool),
        None,
    }

    fn framing() -> BoxedStrategy<Framing> {
        prop_oneof![
            4 => Just(Framing::Length(0)),
            1 => prop::sample::select(vec![-5i64, -1, 1, 2, 100, 1 << 40])
                .prop_map(Framing::Length),
            2 => (prop::collection::vec(1usize..64, 0..6), any::<bool>())
                .prop_map(|(sizes, bad)| Framing::Chunked(sizes, bad)),
            1 => Just(Framing::None),
        ]
        .boxed()
    }

    /// Request bytes, shown as text when a case fails.
    #[derive(Clone)]
    pub struct Bytes(Vec<u8>);

    impl std::fmt::Debug for Bytes {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", String::from_utf8_lossy(&self.0))
        }
    }

    fn request() -> BoxedStrategy<Bytes> {
        let method = prop::sample::select(vec![
            "GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "post", "CONNECT", "TRACE", "",
            "G ET", "POST\x00",
        ]);
        let path = prop_oneof![
            prop::sample::select(vec![
                "/health",
                "/v1/models",
                "/v1/models/binary-nan",
                PREDICT,
                "/v1/models/multiclass/predict",
                "/v1/models/%FF/predict",
                "/v1/models/../predict",
                "/v1/models//predict",
                "*",
                "",
                "/",
                "http://x/health",
                "/health?x=1#f",
                "/v1/models/binary-nan/predict/",
            ])
            .prop_map(String::from),
            "/[ -~]{0,40}",
            (1usize..20_000).prop_map(|n| format!("/{}", "a".repeat(n))),
        ];
        let version = prop::sample::select(vec![
            "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "", "http/1.1",
        ]);
        let extra = prop::collection::vec(
            prop_oneof![
                prop::sample::select(vec![
                    "Connection: close",
                    "Connection: keep-alive",
                    "Expect: 100-continue",
                    "Content-Type: text/plain",
                    "Transfer-Encoding: gzip",
                    "Content-Length: 3",
                    "Content-Length: 1, 2",
                    "Host:",
                    "X: \u{7f}",
                    " folded",
                    "NoColon",
                ])
                .prop_map(String::from),
                "[A-Za-z-]{1,12}: [ -~]{0,30}",
            ],
            0..4,
        );
        let mutations =
            prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 0..4);
        (method, path, version, extra, framing(), body(), mutations)
            .prop_map(|(method, path, version, extra, framing, body, mutations)| {
                let mut head = format!("{method} {path} {version}\r\nHost: localhost\r\n");
                for h in &extra {
                    head.push_str(h);
                    head.push_str("\r\n");
                }
                let mut bytes;
                match framing {
                    Framing::Length(delta) => {
                        let len = body.len() as i64 + delta;
                        head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
                        bytes = head.into_bytes();
                        bytes.extend_from_slice(&body);
                    }
                    Framing::Chunked(sizes, bad) => {
                        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
                        bytes = head.into_bytes();
                        let mut rest = &body[..];
                        for size in sizes.iter().copied().chain(std::iter::once(usize::MAX)) {
                            let n = size.min(rest.len());
                            if n == 0 {
                                break;
                            }
                            let size_text = if bad {
                                format!("{:x}z", n + 1)
                            } else {
                                format!("{n:x}")
                            };
                            bytes.extend_from_slice(size_text.as_bytes());
                            bytes.extend_from_slice(b"\r\n");
                            bytes.extend_from_slice(&rest[..n]);
                            bytes.extend_from_slice(b"\r\n");
                            rest = &rest[n..];
                        }
                        bytes.extend_from_slice(b"0\r\n\r\n");
                    }
                    Framing::None => {
                        head.push_str("\r\n");
                        bytes = head.into_bytes();
                        bytes.extend_from_slice(&body);
                    }
                }
                for (at, op, byte) in mutations {
                    if bytes.is_empty() {
                        break;
                    }
                    let i = at.index(bytes.len());
                    match op {
                        0 => bytes[i] ^= byte | 1,
                        1 => {
                            bytes.remove(i);
                        }
                        2 => bytes.insert(i, byte),
                        _ => bytes.truncate(i),
                    }
                }
                Bytes(bytes)
            })
            .boxed()
    }

    /// A complete request head is in `bytes` (a blank line after a line).
    fn has_complete_head(bytes: &[u8]) -> bool {
        // hyper skips empty lines before a request line.
        let start = bytes
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(bytes.len());
        let bytes = &bytes[start..];
        bytes.windows(2).any(|w| w == b"\n\n") || bytes.windows(3).any(|w| w == b"\n\r\n")
    }

    fn check(addr: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
        let (answer, closed) = http::raw_until_close(addr, bytes, true, Duration::from_secs(30));
        prop_assert!(
            closed,
            "the server held the connection for 30 s after the client's EOF"
        );
        let replies = http::parse_responses(&answer).map_err(|e| {
            TestCaseError::fail(format!(
                "not a valid HTTP reply ({e}): {:?}",
                String::from_utf8_lossy(&answer)
            ))
        })?;
        for r in &replies {
            prop_assert!(
                r.status < 500,
                "status {}: {:?}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
            if r.status >= 400 {
                let v: serde_json::Value = serde_json::from_slice(&r.body).map_err(|e| {
                    TestCaseError::fail(format!(
                        "status {}: the body is not JSON ({e}): {:?}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    ))
                })?;
                prop_assert!(v["error"].is_string(), "status {}: {v}", r.status);
            }
        }
        if has_complete_head(bytes) {
            prop_assert!(!replies.is_empty(), "a complete request head got no reply");
        }
        Ok(())
    }

    pub fn run() {
        let server = Server::start(&[]);
        let cases = env_u64("TIMBER_HTTP_FUZZ_CASES", 300) as u32;
        let seed = env_u64("TIMBER_HTTP_FUZZ_SEED", 0);
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
        );
        let addr = server.addr.clone();
        let result = runner.run(&request(), |bytes| check(&addr, &bytes.0));
        if let Err(e) = result {
            panic!("{e}\nserver log tail:\n{}", log_tail(&server));
        }
        server.healthy();
        let log = server.log.lock().unwrap().clone();
        assert!(!log.contains("panicked"), "{log}");
        eprintln!("http_fuzz: {cases} cases, seed {seed}: no finding");
    }

    fn log_tail(server: &Server) -> String {
        let log = server.log.lock().unwrap().clone();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}
