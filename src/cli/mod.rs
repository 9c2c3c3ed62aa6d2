//! Command-line front: parses arguments with clap and maps results to the
//! exit codes of docs/architecture.md. No pipeline logic lives here.
//!
//! Exit codes: 0 all requirements met; 1 a requirement fell short (rule
//! violation, mismatch, budget exceeded); 2 bad input or usage; 3 a needed
//! external tool is missing.

mod audit;
mod certify;
mod check;
mod compile;
mod diff;
mod fleet;
mod inspect;
mod profiles;
mod qualify;
mod serve;
mod store;
mod vectors;
pub(crate) mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: everything required was met.
pub const EXIT_OK: u8 = 0;
/// Exit code: a requirement fell short (violation, mismatch, budget).
pub const EXIT_FAIL: u8 = 1;
/// Exit code: bad input or usage.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a needed external tool is missing.
pub const EXIT_TOOL_MISSING: u8 = 3;

/// An error that carries its own exit code (e.g. a missing tool -> 3).
/// Any other error reaching `run` is bad input or usage (2).
#[derive(Debug)]
pub struct CodedError {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for CodedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CodedError {}

#[derive(Parser)]
#[command(
    name = "timber",
    version,
    about = "Compile tree-ensemble models into MISRA C:2012-constrained, bit-exact C99, and prove it.",
    long_about = "timber compiles trained tree ensembles (XGBoost JSON/UBJSON, LightGBM text, CatBoost JSON, scikit-learn pickles, ONNX-ML) into C99 that follows \
MISRA C:2012, computes the same bits on every target as its Rust reference evaluator, and \
produces the evidence: a rule check, QEMU verification and an audit bundle.\n\n\
Exit codes: 0 all requirements met; 1 a requirement fell short; 2 bad input or usage; \
3 a needed external tool is missing."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The largest model file read, in bytes (default 256 MiB). Larger
    /// files, devices and FIFOs are refused before they are read.
    #[arg(long, global = true, value_name = "BYTES")]
    max_input_bytes: Option<u64>,
    /// The most tree nodes a model may expand to (default 2,097,152). A
    /// scikit-learn pickle can refer to one tree many times; every
    /// reference counts.
    #[arg(long, global = true, value_name = "N")]
    max_nodes: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// The release gate: compile, check, measure coverage, verify on the
    /// profile's targets, write an audit bundle, and exit non-zero when
    /// any requirement of the safety profile falls short.
    Certify(certify::Args),
    /// Compile a model into model.h, model.c and model_data.c, or with
    /// --target wasm into model.wasm, model.wat and model.mjs (plus ir.json).
    Compile(compile::Args),
    /// Summarise a model: trees, depth, features, objective, nodes, table bytes.
    Inspect(inspect::Args),
    /// Check C files against the MISRA C:2012 guidelines timber enforces.
    Check(check::Args),
    /// Build the generated C for each target, run it under QEMU and compare
    /// every output bit with the reference evaluator.
    Verify(verify::Args),
    /// Write the verification vectors certify runs as CSV, for the
    /// framework oracle (scripts/oracle.py) to predict on.
    Vectors(vectors::Args),
    /// List the safety profiles (ISO 26262, IEC 62304, IEC 61508, DO-178C,
    /// MISRA) and what each demands per level.
    Profiles(profiles::Args),
    /// Run the compiler verification suite: every construct the generator
    /// can emit, on every target and flag set, bit for bit.
    Qualify(qualify::Args),
    /// Re-check an audit bundle: hashes, records, attestations and, with
    /// --model, the generated files.
    Audit(audit::Args),
    /// What changed between two models or bundles: header, trees, nodes,
    /// leaves and predictions (exit 0 identical, 1 different).
    Diff(diff::Args),
    /// Compile a model into the model store as a shared library, under a
    /// name `timber serve` can use.
    Load(store::LoadArgs),
    /// List the models in the store (name, model sha256, features,
    /// outputs, objective, timber version).
    List(store::ListArgs),
    /// Remove a model from the store.
    Remove(store::RemoveArgs),
    /// Serve stored models over HTTP (JSON predictions, bit-identical to
    /// the reference evaluator).
    Serve(serve::Args),
}

/// Parse the command line, run the command, and map the result to an exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    if let Some(max) = cli.max_input_bytes {
        timber::frontend::read::set_max_input_bytes(max);
    }
    if let Some(max) = cli.max_nodes {
        timber::frontend::read::set_max_model_nodes(max);
    }
    let result = match cli.command {
        Command::Certify(a) => certify::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Check(a) => check::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Vectors(a) => vectors::run(a),
        Command::Profiles(a) => profiles::run(a),
        Command::Qualify(a) => qualify::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Load(a) => store::load(a),
        Command::List(a) => store::list(a),
        Command::Remove(a) => store::remove(a),
        Command::Serve(a) => serve::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = err
                .downcast_ref::<CodedError>()
                .map_or(EXIT_USAGE, |c| c.code);
            eprintln!("error: {}", chain_once(&err));
            ExitCode::from(code)
        }
    }
}

/// The error and its causes joined by ": ", each printed once: a cause
/// whose text the message before it already ends with (a Display that
/// embeds its source) is not repeated.
pub fn chain_once(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.is_empty() {
            out = text;
        } else if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}
