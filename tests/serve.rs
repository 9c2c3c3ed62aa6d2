//! `timber serve`: the real binary on a free loopback port, serving real
//! fixture models from a temporary store. Every endpoint and error case,
//! every fixture row bit for bit against the reference evaluator, a bounded
//! load test, malformed requests that must not take the server down, and
//! a graceful SIGTERM shutdown with exit 0.

mod common;
#[path = "common/http.rs"]
mod http;
#[path = "common/server.rs"]
mod server;

use server::{fixture, Server, MODELS};
use std::io::{BufReader, Read};
use std::process::Command;
use std::sync::Arc;
use timber::ir::Ensemble;
use timber::store::Store;

fn ensemble(file: &str) -> Ensemble {
    timber::frontend::load_model(&fixture(file), timber::frontend::FormatChoice::Auto).unwrap()
}

fn rows_of(file: &str) -> Vec<Vec<f32>> {
    let stem = file.split('.').next().unwrap();
    common::read_csv_f32(&fixture(&format!("{stem}.inputs.csv")))
}

fn bits(rows: &[Vec<f32>]) -> Vec<Vec<u32>> {
    rows.iter()
        .map(|r| r.iter().map(|x| x.to_bits()).collect())
        .collect()
}

#[test]
fn endpoints_predictions_and_errors() {
    let server = Server::start(&["--max-body", "65536", "--max-rows", "1000"]);
    server.healthy();

    let models = server.get("/v1/models").json();
    let listed: Vec<&str> = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["binary-nan", "multiclass"]);

    for (name, file) in MODELS {
        let ens = ensemble(file);
        let info = server.get(&format!("/v1/models/{name}"));
        assert_eq!(info.status, 200);
        let info = info.json();
        assert_eq!(info["features"], ens.n_features);
        assert_eq!(info["outputs"], ens.n_outputs());
        assert_eq!(info["sha256"], ens.source.sha256.as_str());
        assert_eq!(info["objective"], ens.source.objective.as_str());

        // Every fixture row (NaN as null, infinities as "inf"/"-inf") in
        // one request: bit-identical to the reference evaluator.
        let rows = rows_of(file);
        assert!(rows.iter().flatten().any(|x| x.is_nan()));
        assert!(rows.iter().flatten().any(|x| x.is_infinite()));
        let r = server.post(
            &format!("/v1/models/{name}/predict"),
            &http::inputs_json(&rows),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        assert_eq!(v["model_sha256"], ens.source.sha256.as_str());
        let want: Vec<Vec<f32>> = rows
            .iter()
            .map(|row| timber::ir::evaluate(&ens, row))
            .collect();
        assert_eq!(bits(&http::outputs_f32(&v)), bits(&want), "{name}");

        // Zero rows is a valid request.
        let r = server.post(&format!("/v1/models/{name}/predict"), b"{\"inputs\": []}");
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["outputs"], serde_json::json!([]));
    }

    let predict = "/v1/models/binary-nan/predict";
    let expect_error = |r: http::Response, status: u16, needle: &str| {
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        let msg = r.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(msg.contains(needle), "`{msg}` lacks `{needle}`");
    };
    expect_error(server.get("/v1/models/nope"), 404, "no model named `nope`");
    expect_error(
        server.post("/v1/models/nope/predict", b"{\"inputs\": [[1]]}"),
        404,
        "no model named",
    );
    expect_error(server.get("/v2/whatever"), 404, "no route");
    expect_error(server.get("/v1/models/%FF"), 400, "bad model name");
    expect_error(server.get(predict), 405, "not allowed");
    expect_error(
        server.post(predict, b"{\"inputs\": [[1,2,3]]}"),
        422,
        "6 features",
    );
    expect_error(
        server.post(predict, b"{\"inputs\": [[1,2,3,4,5,\"x\"]]}"),
        422,
        "inputs[0][5]",
    );
    expect_error(
        server.post(predict, b"{\"inputs\": [[1,2,3,4,5,6],[1,2,3,4,5,true]]}"),
        422,
        "inputs[1][5] is the boolean true",
    );
    expect_error(
        server.post(predict, b"{\"inputs\": [1,2]}"),
        422,
        "inputs[0]",
    );
    expect_error(server.post(predict, b"{\"rows\": []}"), 422, "no `inputs`");
    expect_error(server.post(predict, b"[]"), 422, "object");
    expect_error(
        server.post(predict, b"{\"inputs\": [[1,2"),
        400,
        "not valid JSON",
    );
    expect_error(server.post(predict, b""), 400, "not valid JSON");
    expect_error(server.post(predict, b"\xff\xfe{}"), 400, "not valid JSON");
    expect_error(
        server.post(predict, b"{\"inputs\": [[1e999,2,3,4,5,6]]}"),
        400,
        "JSON",
    );
    let many = vec![vec![0.5f32; 6]; 1001];
    expect_error(
        server.post(predict, &http::inputs_json(&many)),
        413,
        "at most 1000",
    );
    let big = vec![b' '; 100_000];
    expect_error(server.post(predict, &big), 413, "limit");
    server.healthy();

    // One log line per request: method, path, status, rows, microseconds.
    let log = server.log.lock().unwrap().clone();
    let rows = rows_of("binary_nan.json").len();
    let line = format!("POST /v1/models/binary-nan/predict 200 rows={rows} us=");
    assert!(log.contains(&line), "no `{line}` in the log:\n{log}");
    assert!(log.contains("GET /v1/models/nope 404 rows=0 us="), "{log}");
}

#[test]
fn malformed_requests_never_take_the_server_down() {
    let server = Server::start(&[]);
    let addr = server.addr.as_str();
    let deep = format!(
        "{{\"inputs\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases: Vec<(Vec<u8>, bool)> = vec![
        (b"GARBAGE\r\n\r\n".to_vec(), false),
        (b"\x00\x01\x02\x03\xff\xff\r\n\r\n".to_vec(), true),
        (
            b"POST /v1/models/binary-nan/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inputs\""
                .to_vec(),
            true,
        ),
        (
            b"POST /v1/models/binary-nan/predict HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"
                .to_vec(),
            true,
        ),
        (
            b"POST /v1/models/binary-nan/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
                .to_vec(),
            true,
        ),
        (b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), true),
        (
            format!(
                "POST /v1/models/binary-nan/predict HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{deep}",
                deep.len()
            )
            .into_bytes(),
            true,
        ),
        (Vec::new(), true),
    ];
    for (bytes, half_close) in &cases {
        let answer = http::raw(addr, bytes, *half_close);
        if !answer.is_empty() {
            let text = String::from_utf8_lossy(&answer);
            assert!(
                text.starts_with("HTTP/1.1 4"),
                "a malformed request got {text:?}"
            );
        }
        server.healthy();
    }
    // The deeply nested body is answered with a JSON error, not a crash:
    // the parse stops at the first cell, which is an array.
    let r = server.post("/v1/models/binary-nan/predict", deep.as_bytes());
    assert_eq!(r.status, 422);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .starts_with("inputs[0][0] is an array"));
    // Chunked bodies are HTTP/1.1, and read.
    let chunked = http::raw(
        addr,
        b"POST /v1/models/binary-nan/predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
Transfer-Encoding: chunked\r\n\r\n10\r\n{\"inputs\": [[1,2\r\n11\r\n,3,4,5,null]]}   \r\n0\r\n\r\n",
        false,
    );
    let text = String::from_utf8_lossy(&chunked);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    server.healthy();
}

#[test]
fn bounded_load_test_is_error_free_and_exact() {
    let server = Server::start(&[]);
    let ens = Arc::new(ensemble("binary_nan.json"));
    let rows = Arc::new(rows_of("binary_nan.json"));
    const THREADS: usize = 8;
    const REQUESTS: usize = 200;
    let errors: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (ens, rows, addr) = (Arc::clone(&ens), Arc::clone(&rows), server.addr.clone());
                s.spawn(move || {
                    let mut errors = Vec::new();
                    let mut client = http::Client::connect(&addr).expect("connect");
                    for i in 0..REQUESTS {
                        // Alternate 1-row and 64-row requests over the fixture rows.
                        let n = if i % 2 == 0 { 1 } else { 64 };
                        let start = (t * REQUESTS + i) * 7 % rows.len();
                        let batch: Vec<Vec<f32>> = (0..n)
                            .map(|k| rows[(start + k) % rows.len()].clone())
                            .collect();
                        let r = match client.request(
                            "POST",
                            "/v1/models/binary-nan/predict",
                            &http::inputs_json(&batch),
                        ) {
                            Ok(r) => r,
                            Err(e) => {
                                errors.push(format!("thread {t} request {i}: {e}"));
                                client = http::Client::connect(&addr).expect("reconnect");
                                continue;
                            }
                        };
                        if r.status != 200 {
                            errors.push(format!("thread {t} request {i}: status {}", r.status));
                            continue;
                        }
                        let want: Vec<Vec<f32>> = batch
                            .iter()
                            .map(|row| timber::ir::evaluate(&ens, row))
                            .collect();
                        if bits(&http::outputs_f32(&r.json())) != bits(&want) {
                            errors.push(format!("thread {t} request {i}: outputs differ"));
                        }
                    }
                    errors
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client thread"))
            .collect()
    });
    assert!(
        errors.is_empty(),
        "{} errors under load: {errors:?}",
        errors.len()
    );
    let log = server.log.lock().unwrap().clone();
    let served = log
        .matches("POST /v1/models/binary-nan/predict 200")
        .count();
    assert_eq!(served, THREADS * REQUESTS, "one log line per request");
    server.healthy();
}

#[test]
fn sigterm_shuts_down_gracefully_with_exit_0() {
    use std::io::Write;
    let mut server = Server::start(&[]);
    // A kept-alive idle connection must not hold the shutdown up.
    let mut idle = http::Client::connect(&server.addr).unwrap();
    assert_eq!(idle.request("GET", "/health", b"").unwrap().status, 200);
    // A request in flight when SIGTERM arrives (headers and half the body
    // sent) is still answered.
    let body = http::inputs_json(&[vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]);
    let mut conn = std::net::TcpStream::connect(&server.addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST /v1/models/binary-nan/predict HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(&body[..10]).unwrap();
    // Let the server read the headers first (then the request is in flight).
    std::thread::sleep(std::time::Duration::from_millis(500));
    server.sigterm();
    server.wait_for_log("shutting down");
    conn.write_all(&body[10..]).unwrap();
    let r = http::read_response(&mut BufReader::new(conn)).expect("in-flight response");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let want = timber::ir::evaluate(
        &ensemble("binary_nan.json"),
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    );
    assert_eq!(bits(&http::outputs_f32(&r.json())), bits(&[want]));

    assert_eq!(server.wait_exit(), Some(0));
    assert!(
        std::net::TcpStream::connect(&server.addr).is_err(),
        "still listening"
    );
}

#[test]
fn serve_refuses_unknown_and_tampered_models() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::at(home.path());
    let m = store
        .load(&fixture("binary_nan.json"), "bn", false)
        .unwrap();
    let serve = |names: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_timber"))
            .arg("serve")
            .args(names)
            .args(["--port", "0"])
            .env("TIMBER_HOME", home.path())
            .output()
            .unwrap()
    };
    let o = serve(&["missing"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no model named `missing`"));
    let o = serve(&["../bn"]);
    assert_eq!(o.status.code(), Some(2));
    let lib = home.path().join("models/bn").join(&m.build.library);
    let mut bytes = std::fs::read(&lib).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    std::fs::write(&lib, &bytes).unwrap();
    let o = serve(&["bn"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("does not match its recorded sha256"), "{err}");
    assert!(o.stdout.is_empty(), "it must not start listening");
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use std::io::Write;
    let server = Server::start(&["--header-timeout", "1"]);
    let start = std::time::Instant::now();
    let mut slow = std::net::TcpStream::connect(&server.addr).unwrap();
    slow.set_read_timeout(Some(std::time::Duration::from_secs(8)))
        .unwrap();
    slow.write_all(b"POST /v1/models/binary-nan/predict HTTP/1.1\r\nHost:")
        .unwrap();
    let mut rest = Vec::new();
    // EOF (or a reset) once the server gives up; a timeout here would
    // mean the connection is held open forever.
    let outcome = slow.read_to_end(&mut rest);
    let waited = start.elapsed();
    assert!(
        !matches!(&outcome, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
            || e.kind() == std::io::ErrorKind::TimedOut),
        "the server kept a half-sent request open: {outcome:?}"
    );
    assert!(waited < std::time::Duration::from_secs(5), "{waited:?}");
    // Requests that do finish are served as usual.
    server.healthy();
}
