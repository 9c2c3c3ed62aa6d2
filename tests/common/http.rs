//! A minimal HTTP/1.1 client over `std::net::TcpStream`, for the server
//! tests and the serve benchmark.
//!
//! Why not a client crate: the tests also need to send malformed HTTP and
//! truncated bodies, which real clients refuse to produce, and the
//! benchmark wants keep-alive connections without a runtime. The server's
//! responses always carry Content-Length (axum sets it for whole bodies),
//! which is all this client reads.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// A keep-alive connection.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    pub fn connect(addr: &str) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        stream.set_write_timeout(Some(Duration::from_secs(20)))?;
        Ok(Client {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Send one request and read its response.
    pub fn request(&mut self, method: &str, path: &str, body: &[u8]) -> std::io::Result<Response> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body);
        // A server may answer (413) and close before reading the whole
        // body; the response is still there to read.
        let _ = self.writer.write_all(&req);
        read_response(&mut self.reader)
    }
}

/// Read one final response with a Content-Length body, skipping interim
/// (1xx) ones. The status line must be `HTTP/1.1 NNN ...` (or 1.0) with
/// NNN in 100..=599 and every header line `name: value`.
pub fn read_response(r: &mut impl BufRead) -> std::io::Result<Response> {
    let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(bad("connection closed before a response".into()));
        }
        let status: u16 = line
            .strip_prefix("HTTP/1.1 ")
            .or_else(|| line.strip_prefix("HTTP/1.0 "))
            .and_then(|rest| rest.get(..3))
            .and_then(|s| s.parse().ok())
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            if r.read_line(&mut line)? == 0 {
                return Err(bad("connection closed in the headers".into()));
            }
            let l = line
                .strip_suffix("\r\n")
                .ok_or_else(|| bad(format!("header line without CRLF: {line:?}")))?;
            if l.is_empty() {
                break;
            }
            let (k, v) = l
                .split_once(':')
                .ok_or_else(|| bad(format!("bad header line {l:?}")))?;
            headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
        }
        if status < 200 {
            continue;
        }
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .ok_or_else(|| bad(format!("status {status}: no Content-Length")))?;
        let mut body = vec![0u8; length];
        r.read_exact(&mut body)?;
        return Ok(Response {
            status,
            headers,
            body,
        });
    }
}

/// Every response in `bytes` (what a server sent on one connection).
pub fn parse_responses(mut bytes: &[u8]) -> std::io::Result<Vec<Response>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        out.push(read_response(&mut bytes)?);
    }
    Ok(out)
}

/// One request on a fresh connection.
pub fn request(addr: &str, method: &str, path: &str, body: &[u8]) -> Response {
    Client::connect(addr)
        .and_then(|mut c| c.request(method, path, body))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Write raw bytes on a fresh connection, optionally half-close, and read
/// whatever comes back until the server closes (or the timeout).
pub fn raw(addr: &str, bytes: &[u8], shutdown_write: bool) -> Vec<u8> {
    raw_until_close(addr, bytes, shutdown_write, Duration::from_secs(5)).0
}

/// Like [`raw`], with the read timeout given; also says whether the server
/// closed the connection (false: the timeout came first).
pub fn raw_until_close(
    addr: &str,
    bytes: &[u8],
    shutdown_write: bool,
    timeout: Duration,
) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(timeout)).unwrap();
    let _ = s.write_all(bytes);
    if shutdown_write {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut out = Vec::new();
    let closed = read_until_close(&mut s, &mut out);
    (out, closed)
}

/// Read until the peer closes (true; a reset counts) or the read timeout
/// passes (false).
pub fn read_until_close(s: &mut impl Read, out: &mut Vec<u8>) -> bool {
    match s.read_to_end(out) {
        Ok(_) => true,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

/// The JSON body of a predict request; NaN -> null, +-inf -> "inf"/"-inf".
pub fn inputs_json(rows: &[Vec<f32>]) -> Vec<u8> {
    let cell = |x: f32| -> String {
        if x.is_nan() {
            "null".into()
        } else if x.is_infinite() {
            if x > 0.0 { "\"inf\"" } else { "\"-inf\"" }.into()
        } else {
            // Debug of f32 is the shortest round-trip form.
            format!("{x:?}")
        }
    };
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "[{}]",
                r.iter().map(|&x| cell(x)).collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    format!("{{\"inputs\":[{}]}}", rows.join(",")).into_bytes()
}

/// The `outputs` of a predict response as float32 rows.
pub fn outputs_f32(v: &serde_json::Value) -> Vec<Vec<f32>> {
    v["outputs"]
        .as_array()
        .expect("outputs is an array")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("a row is an array")
                .iter()
                .map(|x| match x {
                    serde_json::Value::Number(n) => n.as_f64().expect("f64") as f32,
                    serde_json::Value::String(s) if s == "nan" => f32::NAN,
                    serde_json::Value::String(s) if s == "inf" => f32::INFINITY,
                    serde_json::Value::String(s) if s == "-inf" => f32::NEG_INFINITY,
                    other => panic!("not a float32 output: {other}"),
                })
                .collect()
        })
        .collect()
}
