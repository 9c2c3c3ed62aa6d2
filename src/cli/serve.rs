//! `timber serve`: opens the named store entries (each library re-hashed
//! and probed against the reference evaluator) and runs the HTTP server in
//! `timber::serve` until SIGTERM or Ctrl-C.

use crate::timber_cli::EXIT_OK;
use std::io::Write;
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
line per request on stderr. Exit 0 after a graceful shutdown.")]
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
    /// Close a connection that has not sent a request's headers within
    /// this many seconds (also an idle keep-alive connection).
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
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
        header_timeout: std::time::Duration::from_secs(args.header_timeout),
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
