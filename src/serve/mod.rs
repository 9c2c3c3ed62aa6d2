//! `timber serve`: an HTTP server (axum on tokio) that runs stored models'
//! compiled libraries, for edge gateways that answer predictions over the
//! network.
//!
//! Routes: `GET /health`, `GET /v1/models`, `GET /v1/models/{name}`,
//! `POST /v1/models/{name}/predict` with `{"inputs": [[...], ...]}`.
//!
//! Why the JSON is handled by hand here: the numeric contract has to
//! survive the wire. Inputs are converted to float32 exactly as a C caller
//! would (`(float)x`, JSON `null` = missing = NaN, and the strings `"nan"`,
//! `"inf"`, `"-inf"` for values JSON cannot spell); outputs are written as
//! the shortest decimal that parses back to the same float32 (non-finite
//! ones as those strings), so a client gets the library's bits, which are
//! the reference evaluator's. Every bad request gets a JSON `{"error": ...}`
//! with a 4xx status naming the row and column at fault; nothing a client
//! sends can panic the server.
//!
//! Inference is pure (the generated C reads only const tables), so
//! requests run concurrently; batches of [`Options::blocking_rows`] rows or
//! more run on tokio's blocking pool so they never stall the event loop.
//!
//! Limits (see [`Options`]): every connection is bounded in time in each
//! phase (idle, reading a head, reading a body; [`conn`] and [`body`]) and
//! in memory (the head buffer, the body cap), and the number of open
//! connections is capped; shutdown drains for a bounded time.

mod body;
mod conn;
mod inputs;

use crate::store::CompiledModel;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind (a name or an IP literal).
    pub host: String,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// Largest request body accepted, in bytes (413 above).
    pub max_body: usize,
    /// Most rows accepted in one predict request (413 above).
    pub max_rows: usize,
    /// Batches of at least this many rows run on the blocking pool.
    pub blocking_rows: usize,
    /// A connection that starts a request head and does not finish it
    /// within this time is closed.
    pub header_timeout: Duration,
    /// A request whose body is not complete this long after its head gets
    /// 408 and its connection is closed.
    pub body_timeout: Duration,
    /// A connection with no request in progress for this long (a fresh
    /// one, or a kept-alive one between requests) is closed.
    pub idle_timeout: Duration,
    /// Most connections open at once; one more gets a 503 and is closed.
    pub max_connections: usize,
    /// After SIGTERM or Ctrl-C, requests in flight get this long to finish
    /// before the remaining connections are closed.
    pub shutdown_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            host: "127.0.0.1".into(),
            port: 8080,
            max_body: 1 << 20,
            max_rows: 10_000,
            blocking_rows: 64,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 256,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Errors starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot bind {host}:{port}: {source}")]
    Bind {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("model `{0}` is named twice")]
    Duplicate(String),
}

struct AppState {
    models: BTreeMap<String, Arc<CompiledModel>>,
    max_rows: usize,
    blocking_rows: usize,
    max_body: usize,
    body_timeout: Duration,
}

/// The row count of a predict request, passed from the handler to the
/// request log.
#[derive(Clone, Copy)]
struct Rows(usize);

/// A JSON error response.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
    /// Close the connection after the reply (a body left unread).
    close: bool,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            close: false,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.close {
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

impl From<body::BodyError> for ApiError {
    fn from(e: body::BodyError) -> ApiError {
        let status = match e {
            body::BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            body::BodyError::TimedOut { .. } => StatusCode::REQUEST_TIMEOUT,
            body::BodyError::Read(_) => StatusCode::BAD_REQUEST,
        };
        ApiError {
            status,
            message: e.to_string(),
            close: true,
        }
    }
}

/// Build the router for `models` (exposed for in-process use and tests).
pub fn router(models: Vec<CompiledModel>, opts: &Options) -> Result<Router, ServeError> {
    let mut map = BTreeMap::new();
    for m in models {
        let name = m.manifest().name.clone();
        if map.insert(name.clone(), Arc::new(m)).is_some() {
            return Err(ServeError::Duplicate(name));
        }
    }
    let state = Arc::new(AppState {
        models: map,
        max_rows: opts.max_rows,
        blocking_rows: opts.blocking_rows.max(1),
        max_body: opts.max_body,
        body_timeout: opts.body_timeout,
    });
    Ok(Router::new()
        .route("/health", get(health))
        .route("/v1/models", get(list_models))
        .route("/v1/models/{name}", get(model_info))
        .route("/v1/models/{name}/predict", post(predict))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(log_request))
        .with_state(state))
}

/// Serve `models` until SIGTERM or Ctrl-C; `on_bound` is called with the
/// bound address before the first request is accepted.
///
/// The accept loop is hyper's own rather than `axum::serve` because a
/// gateway must bound what each connection may hold: every connection gets
/// a watchdog (idle and header timeouts), the predict handler reads bodies
/// with a deadline and a cap, and connections beyond
/// [`Options::max_connections`] get a 503. On shutdown the listener closes,
/// idle connections are closed, requests in flight get
/// [`Options::shutdown_timeout`] to finish, and whatever is still open then
/// is closed.
pub fn run(
    models: Vec<CompiledModel>,
    opts: &Options,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let app = router(models, opts)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(serve(app, opts, on_bound));
    // Connections left after the drain deadline close with their tasks
    // here; an inference call still on the blocking pool is short.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn serve(
    app: Router,
    opts: &Options,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind((opts.host.as_str(), opts.port))
        .await
        .map_err(|source| ServeError::Bind {
            host: opts.host.clone(),
            port: opts.port,
            source,
        })?;
    on_bound(listener.local_addr()?);
    let max_connections = opts.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max_connections));
    // Replies to connections over the cap are bounded too: beyond as many
    // again, a connection is closed without one.
    let refusals = Arc::new(Semaphore::new(max_connections));
    let limits = conn::Limits {
        header: opts.header_timeout,
        idle: opts.idle_timeout,
    };
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: wait,
                        // rather than spin or stop serving.
                        log_line(format_args!("accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    if let Ok(refusal) = Arc::clone(&refusals).try_acquire_owned() {
                        tokio::spawn(async move {
                            conn::reject(stream, max_connections).await;
                            drop(refusal);
                        });
                    }
                    continue;
                };
                let activity = Arc::new(conn::Activity::new());
                let service = conn::tracked(app.clone(), Arc::clone(&activity));
                let connection = hyper::server::conn::http1::Builder::new()
                    // The watchdog times heads: hyper's own timer would
                    // also count the idle time before a head.
                    .header_read_timeout(None)
                    // A client may shut its side down after sending a
                    // request and still read the reply.
                    .half_close(true)
                    .max_buf_size(conn::HEAD_BUFFER)
                    .max_header_size(conn::HEAD_BUFFER)
                    .max_headers(conn::MAX_HEADERS)
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(conn::Watched::new(stream, Arc::clone(&activity))),
                        service,
                    );
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    tokio::select! {
                        // A client's broken connection is its own business.
                        _ = connection => {}
                        phase = conn::watchdog(&activity, limits) => {
                            log_line(format_args!("closed a connection: {}", match phase {
                                conn::Phase::Head => "its request head took longer than --header-timeout",
                                _ => "idle for longer than --idle-timeout",
                            }));
                        }
                    }
                    drop(slot);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(opts.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        let open = max_connections - slots.available_permits();
        log_line(format_args!(
            "{open} connection(s) still open after --shutdown-timeout: closing them"
        ));
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    log_line(format_args!("shutting down: finishing requests in flight"));
}

/// One line per request on stderr: method, path, status, rows, microseconds.
async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    let rows = response.extensions().get::<Rows>().map_or(0, |r| r.0);
    log_line(format_args!(
        "{method} {path} {} rows={rows} us={}",
        response.status().as_u16(),
        start.elapsed().as_micros()
    ));
    response
}

/// Write one line to stderr. Unlike `eprintln!`, a closed or full stderr
/// is ignored: losing a log line must never fail a request.
fn log_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

async fn health(State(st): State<Arc<AppState>>) -> Response {
    Json(serde_json::json!({ "models": st.models.len(), "status": "ok" })).into_response()
}

fn info(m: &CompiledModel) -> Value {
    let man = m.manifest();
    serde_json::json!({
        "features": man.model.n_features,
        "name": man.name,
        "objective": man.model.objective,
        "outputs": man.model.n_outputs,
        "sha256": man.model.sha256,
        "timber_version": man.timber_version,
        "trees": man.model.n_trees,
    })
}

async fn list_models(State(st): State<Arc<AppState>>) -> Response {
    let models: Vec<Value> = st.models.values().map(|m| info(m)).collect();
    Json(serde_json::json!({ "models": models })).into_response()
}

fn find(st: &AppState, name: &str) -> Result<Arc<CompiledModel>, ApiError> {
    st.models.get(name).cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no model named `{name}` is served"),
        )
    })
}

/// The `{name}` path segment; a malformed one (bad percent-encoding) is a
/// JSON 400 like every other client error.
fn model_name(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(name)| name).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("bad model name in the path: {e}"),
        )
    })
}

async fn model_info(
    State(st): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let name = model_name(path)?;
    let model = find(&st, &name)?;
    Ok(Json(info(&model)).into_response())
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no route for {method} {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// A float32 output: the shortest round-trip decimal, or a string for
/// NaN and the infinities (which JSON numbers cannot spell).
struct F32Out(f32);

impl Serialize for F32Out {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            // serde_json writes an f32 as its shortest round-trip form.
            s.serialize_f32(v)
        } else if v.is_nan() {
            s.serialize_str("nan")
        } else if v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

#[derive(Serialize)]
struct PredictResponse<'a> {
    outputs: Vec<Vec<F32Out>>,
    model_sha256: &'a str,
}

async fn predict(
    State(st): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    // The head has just been parsed: the body's deadline starts now.
    let deadline = tokio::time::Instant::now() + st.body_timeout;
    let model = find(&st, &model_name(path)?)?;
    let body = body::collect(body, st.max_body, deadline, st.body_timeout.as_secs()).await?;
    let (inputs, rows) = parse_inputs(&body, model.n_features(), st.max_rows)?;
    let run = {
        let model = Arc::clone(&model);
        move || model.predict(&inputs)
    };
    let outputs = if rows >= st.blocking_rows {
        tokio::task::spawn_blocking(run).await.map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("inference task: {e}"),
            )
        })?
    } else {
        run()
    }
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let n_out = model.n_outputs().max(1);
    let response = PredictResponse {
        outputs: outputs
            .chunks(n_out)
            .map(|c| c.iter().map(|&v| F32Out(v)).collect())
            .collect(),
        model_sha256: &model.manifest().model.sha256,
    };
    let mut resp = Json(response).into_response();
    resp.extensions_mut().insert(Rows(rows));
    Ok(resp)
}

/// Parse `{"inputs": [[...], ...]}` into row-major float32s and a row count.
fn parse_inputs(
    body: &[u8],
    n_features: usize,
    max_rows: usize,
) -> Result<(Vec<f32>, usize), ApiError> {
    inputs::parse(body, n_features, max_rows).map_err(|e| match e {
        inputs::InputError::Syntax(m) => ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the request body is not valid JSON: {m}"),
        ),
        inputs::InputError::Shape(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m),
        inputs::InputError::TooManyRows(m) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, m),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_parse_to_exact_f32() {
        let body = br#"{"inputs": [[1.5, null, "inf"], [-0.0, 16777217, 1e39]]}"#;
        let (flat, rows) = parse_inputs(body, 3, 10).unwrap();
        assert_eq!(rows, 2);
        assert_eq!(flat[0], 1.5);
        assert!(flat[1].is_nan());
        assert_eq!(flat[2], f32::INFINITY);
        assert_eq!(flat[3].to_bits(), (-0.0f32).to_bits());
        assert_eq!(flat[4], 16777216.0); // round to nearest even, like (float)
        assert_eq!(flat[5], f32::INFINITY);
    }

    #[test]
    fn bad_inputs_are_4xx() {
        let status = |b: &[u8]| parse_inputs(b, 2, 3).err().map(|e| e.status.as_u16());
        assert_eq!(status(b"{"), Some(400));
        assert_eq!(status(b"[]"), Some(422));
        assert_eq!(status(br#"{"inputs": [[1]]}"#), Some(422));
        assert_eq!(status(br#"{"inputs": [[1, "x"]]}"#), Some(422));
        assert_eq!(status(br#"{"inputs": [[1, true]]}"#), Some(422));
        assert_eq!(status(br#"{"inputs": [[1, 2]], "x": 1}"#), Some(422));
        assert_eq!(
            status(br#"{"inputs": [[1,2],[1,2],[1,2],[1,2]]}"#),
            Some(413)
        );
        assert_eq!(status(br#"{"inputs": []}"#), None);
    }

    #[test]
    fn outputs_round_trip() {
        for v in [0.1f32, 1.0e-45, f32::MAX, -3.4028235e38, 0.33333334, 1e-7] {
            let text = serde_json::to_string(&F32Out(v)).unwrap();
            assert_eq!(
                text.parse::<f32>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
        }
        assert_eq!(serde_json::to_string(&F32Out(f32::NAN)).unwrap(), "\"nan\"");
        assert_eq!(
            serde_json::to_string(&F32Out(f32::NEG_INFINITY)).unwrap(),
            "\"-inf\""
        );
    }
}
