//! One connection's life: a watchdog that closes it when it overstays its
//! phase (no request for the idle timeout, a request head that does not
//! finish within the header timeout), hyper's automatic replies to
//! unparseable heads rewritten as JSON errors like every other 4xx, and
//! the short 503 given to connections over the cap.
//!
//! Phases: a connection is *idle* from accept and after each response,
//! *reading a head* from the first byte that arrives while idle, and
//! *busy* while a request is handled (from the moment hyper has parsed its
//! head until the response body is done). The body has its own deadline,
//! enforced by the handler that reads it (see [`super::body`]), so a busy
//! connection has none here: inference is bounded work.

use axum::body::Body;
use hyper::body::{Frame, Incoming, SizeHint};
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

/// What a connection is doing, for its watchdog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Idle,
    Head,
    Busy,
}

/// A connection's phase and when it began, shared by the socket wrapper,
/// the service and the watchdog.
pub(crate) struct Activity {
    state: Mutex<(Phase, Instant)>,
    changed: Notify,
}

impl Activity {
    pub(crate) fn new() -> Activity {
        Activity {
            state: Mutex::new((Phase::Idle, Instant::now())),
            changed: Notify::new(),
        }
    }

    fn get(&self) -> (Phase, Instant) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, phase: Phase) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = (phase, Instant::now());
        self.changed.notify_one();
    }

    /// Bytes arrived: an idle connection starts reading a head.
    fn bytes_read(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 == Phase::Idle {
            *state = (Phase::Head, Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }
}

/// Per-phase limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub header: Duration,
    pub idle: Duration,
}

/// Resolves with the phase a connection overstayed; never while busy.
pub(crate) async fn watchdog(activity: &Activity, limits: Limits) -> Phase {
    loop {
        let (phase, since) = activity.get();
        let limit = match phase {
            Phase::Idle => limits.idle,
            Phase::Head => limits.header,
            Phase::Busy => {
                activity.changed.notified().await;
                continue;
            }
        };
        tokio::select! {
            () = tokio::time::sleep_until(since + limit) => {
                if activity.get() == (phase, since) {
                    return phase;
                }
            }
            () = activity.changed.notified() => {}
        }
    }
}

/// Wraps a hyper service: the connection is busy from the call until the
/// response body is finished or dropped.
pub(crate) fn tracked(
    app: axum::Router,
    activity: Arc<Activity>,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = hyper::Response<TrackedBody>,
    Error = Infallible,
    Future: Send + 'static,
> {
    let inner = hyper_util::service::TowerToHyperService::new(app);
    hyper::service::service_fn(move |req| {
        activity.set(Phase::Busy);
        let response = hyper::service::Service::call(&inner, req);
        let activity = Arc::clone(&activity);
        async move {
            let response = response.await?;
            Ok(response.map(|body| TrackedBody {
                body,
                activity: Some(activity),
            }))
        }
    })
}

/// A response body that marks its connection idle once it is done.
pub(crate) struct TrackedBody {
    body: Body,
    activity: Option<Arc<Activity>>,
}

impl TrackedBody {
    fn done(&mut self) {
        if let Some(a) = self.activity.take() {
            a.set(Phase::Idle);
        }
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        self.done();
    }
}

impl hyper::body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let frame = ready!(Pin::new(&mut this.body).poll_frame(cx));
        if frame.is_none() {
            this.done();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A whole HTTP/1.1 response carrying `{"error": message}` and closing the
/// connection.
pub(crate) fn json_error_reply(status_line: &str, message: &str) -> Vec<u8> {
    let body = serde_json::json!({ "error": message }).to_string();
    format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// If `buf` is one of hyper's automatic replies to a head it could not
/// parse (a 4xx head with `content-length: 0` and nothing after it: every
/// reply of the router to a client error carries a JSON body), the JSON
/// reply to send instead.
fn rewrite_automatic_reply(buf: &[u8]) -> Option<Vec<u8>> {
    let head = buf.strip_suffix(b"\r\n\r\n")?;
    if head.windows(4).any(|w| w == b"\r\n\r\n") {
        return None;
    }
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let code: u16 = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?
        .get(..3)?
        .parse()
        .ok()?;
    if !(400..500).contains(&code) || !lines.any(|l| l.eq_ignore_ascii_case("content-length: 0")) {
        return None;
    }
    let message = match code {
        414 => "the request target is too long".to_string(),
        431 => format!(
            "the request head is too large (at most {HEAD_BUFFER} bytes and {MAX_HEADERS} headers)"
        ),
        _ => "malformed HTTP request: the request line or a header cannot be parsed".to_string(),
    };
    Some(json_error_reply(status_line, &message))
}

/// The largest request head hyper buffers (431 above).
pub(crate) const HEAD_BUFFER: usize = 64 * 1024;
/// The most headers in one request (431 above), hyper's default.
pub(crate) const MAX_HEADERS: usize = 100;

/// The socket as hyper sees it: reads move an idle connection to reading
/// a head; hyper's automatic error replies are swapped for JSON ones.
pub(crate) struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
    /// A rewritten reply still to send, and how much of it is sent.
    replacement: Option<(Vec<u8>, usize)>,
}

impl<S> Watched<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>) -> Watched<S> {
        Watched {
            inner,
            activity,
            replacement: None,
        }
    }
}

impl<S: AsyncWrite + Unpin> Watched<S> {
    /// Send what is left of a rewritten reply.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some((bytes, sent)) = &mut self.replacement {
            while *sent < bytes.len() {
                let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*sent..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *sent += n;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.activity.bytes_read();
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacement.is_none() {
            match rewrite_automatic_reply(buf) {
                Some(reply) => this.replacement = Some((reply, 0)),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        // hyper closes the connection after its automatic reply: anything
        // it writes after it is dropped.
        ready!(this.poll_replacement(cx))?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// Answer a connection over the cap with a 503 and close it, reading what
/// the client sends meanwhile (at most 64 KiB for at most a second) so the
/// close does not reset the connection before the client reads the reply.
pub(crate) async fn reject(mut stream: tokio::net::TcpStream, max_connections: usize) {
    let reply = json_error_reply(
        "HTTP/1.1 503 Service Unavailable",
        &format!(
            "the server is at its connection limit ({max_connections}, --max-connections); retry later"
        ),
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(&reply).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut left = 64 * 1024usize;
        while left > 0 {
            let n = stream.read(&mut sink).await?;
            if n == 0 {
                break;
            }
            left = left.saturating_sub(n);
        }
        Ok::<(), io::Error>(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_empty_4xx_replies_are_rewritten() {
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let reply = rewrite_automatic_reply(hyper_400).expect("rewritten");
        let text = String::from_utf8(reply).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(v["error"].as_str().unwrap().contains("malformed HTTP"));
        let len = format!("content-length: {}\r\n", body.len());
        assert!(text.contains(&len), "{text}");

        let with_body = b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}";
        assert!(rewrite_automatic_reply(with_body).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(rewrite_automatic_reply(ok).is_none());
        let two = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nHTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert!(rewrite_automatic_reply(two).is_none());
        assert!(rewrite_automatic_reply(b"{\"error\":\"x\"}").is_none());
    }
}
