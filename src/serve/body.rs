//! Reading a request body with a size cap and a deadline, copying each
//! frame into one buffer.
//!
//! Why not axum's `Bytes` extractor: it keeps every frame as it arrived
//! until the body is complete, and hyper cuts each frame out of a read
//! buffer of several KiB, so a body trickled one byte per TCP segment held
//! kilobytes per byte. Here each frame is copied and released at once; the
//! buffer grows by doubling but never past the cap, so a connection's body
//! costs at most the cap, however the bytes arrive.

use axum::body::Body;
use hyper::body::Body as _;
use std::pin::Pin;
use tokio::time::Instant;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("the request body is larger than the server's limit of {limit} bytes (--max-body)")]
    TooLarge { limit: usize },
    #[error("the request body did not arrive within {secs} s (--body-timeout)")]
    TimedOut { secs: u64 },
    #[error("cannot read the request body: {0}")]
    Read(String),
}

/// The whole body, at most `limit` bytes, complete by `deadline`.
pub(crate) async fn collect(
    body: Body,
    limit: usize,
    deadline: Instant,
    timeout_secs: u64,
) -> Result<Vec<u8>, BodyError> {
    if body.size_hint().lower() > limit as u64 {
        return Err(BodyError::TooLarge { limit });
    }
    tokio::time::timeout_at(deadline, read_all(body, limit))
        .await
        .map_err(|_| BodyError::TimedOut { secs: timeout_secs })?
}

async fn read_all(mut body: Body, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::new();
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        let Some(frame) = frame else {
            return Ok(out);
        };
        // The error's own text names the cause (an incomplete body, a bad
        // chunk size); its source chain adds hyper's detail.
        let frame = frame.map_err(|e| BodyError::Read(error_chain(&e)))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing a predict request needs
        };
        let needed = out.len() + data.len();
        if needed > limit {
            return Err(BodyError::TooLarge { limit });
        }
        if needed > out.capacity() {
            let grown = needed.max(out.capacity() * 2).max(4096).min(limit);
            out.reserve_exact(grown - out.len());
        }
        out.extend_from_slice(&data);
    }
}

/// An error and its sources, joined with ": ", for a message that goes to
/// a client as one string.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
