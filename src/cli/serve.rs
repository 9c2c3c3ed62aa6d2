//! `timber serve`: opens the named store entries (each library re-hashed
//! and probed against the reference evaluator) and runs the HTTP server in
//! `timber::serve` until SIGTERM or Ctrl-C.

use crate::timber_cli::EXIT_OK;
use std::io::Write;
use std::time::Duration;
use timber::store::Store;

/// Arguments of `timber serve`.
#[derive(clap::Args)]
#[command(after_help = "Endpoints:\n  \
GET  /health\n  \
GET  /v1/models\n  \
GET  /v1/models/NAME\n  \
POST /v1/models/NAME/predict   {\"inputs\": [[f0, f1, ...], ...]}\n\n\
Inputs: numbers (rounded to float32), null = missing, \"nan\", \"inf\", \"-inf\".\n\n\
Example:\n  timber load model.json --name anomaly-detector\n  \
timber serve anomaly-detector --port 8080\n  \
curl -s localhost:8080/v1/models/anomaly-detector/predict -d '{\"inputs\": [[0.5, null, 3]]}'\n\n\
Prints `listening on http://ADDR` on stdout once bound (useful with --port 0), then one \
line per request on stderr. Exit 0 after a graceful shutdown.\n\n\
Limits: a request body over --max-body gets 413 and one not complete --body-timeout seconds \
after its head gets 408; a request head must finish within --header-timeout seconds of its \
first byte (at most 64 KiB and 100 headers, else 431); a connection with no request for \
--idle-timeout seconds is closed; connections beyond --max-connections get a 503 JSON error \
and are closed. On SIGTERM or Ctrl-C the server stops accepting, lets requests in flight \
finish for up to --shutdown-timeout seconds, closes what is left and exits 0.")]
pub struct Args {
    /// Names of stored models to serve (see `timber list`).
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free port (printed on stdout).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_body: usize,
    /// Most rows accepted in one predict request; more get 413.
    #[arg(long, default_value_t = 10_000, value_name = "ROWS")]
    pub max_rows: usize,
    /// Close a connection whose request head is not complete this many
    /// seconds after its first byte.
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Answer 408 and close the connection when a request body is not
    /// complete this many seconds after its head.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Close a connection with no request in progress for this many
    /// seconds (a new one, or a kept-alive one between requests).
    #[arg(long, default_value_t = 60, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Most connections open at once; one more gets a 503 JSON error and
    /// is closed.
    #[arg(long, default_value_t = 256, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// On SIGTERM or Ctrl-C, how many seconds requests in flight get to
    /// finish before the remaining connections are closed.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub shutdown_timeout: u64,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let store = Store::from_env().map_err(super::store::coded)?;
    let mut models = Vec::new();
    for name in &args.names {
        models.push(store.open(name).map_err(super::store::coded)?);
    }
    let opts = timber::serve::Options {
        host: args.host,
        port: args.port,
        max_body: args.max_body,
        max_rows: args.max_rows,
        header_timeout: Duration::from_secs(args.header_timeout),
        body_timeout: Duration::from_secs(args.body_timeout),
        idle_timeout: Duration::from_secs(args.idle_timeout),
        max_connections: args.max_connections as usize,
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        ..Default::default()
    };
    timber::serve::run(models, &opts, |addr| {
        let mut out = std::io::stdout().lock();
        // A closed stdout must not stop the server: the address is a
        // convenience for scripts, the log goes to stderr.
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
        eprintln!("serving {} on http://{addr}", args.names.join(", "));
    })?;
    Ok(EXIT_OK)
}
