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
    pub body: Vec<u8>,
}

impl Response {
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

/// Read one response with a Content-Length body.
pub fn read_response(r: &mut impl BufRead) -> std::io::Result<Response> {
    let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(bad("connection closed before a response".into()));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
    let mut length = None;
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(bad("connection closed in the headers".into()));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse::<usize>().ok();
            }
        }
    }
    let length = length.ok_or_else(|| bad(format!("status {status}: no Content-Length")))?;
    let mut body = vec![0u8; length];
    r.read_exact(&mut body)?;
    Ok(Response { status, body })
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
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    if shutdown_write {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
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
