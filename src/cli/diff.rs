//! `timber diff OLD NEW`: what changed between two models or bundles.
//!
//! Exists so a regression run that reports changed output bits can be
//! followed by "and this is what changed in the model". Argument parsing
//! only; the comparison lives in `timber::regress::diff`.

use crate::timber_cli::{EXIT_FAIL, EXIT_OK};
use std::path::PathBuf;
use timber::regress::diff;
use timber::verify::VectorOptions;

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// Arguments of `timber diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The old model: a model file, an ir.json, or a bundle / `timber
    /// compile` directory (its ir.json).
    pub old: PathBuf,
    /// The new model, in any of the same forms.
    pub new: PathBuf,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// Seeded random rows added to each model's derived vectors for the
    /// prediction comparison.
    #[arg(long, default_value_t = 256)]
    pub random_rows: usize,
    /// Seed of the random rows.
    #[arg(long, default_value_t = 0x7469_6d62_6572)]
    pub seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let old = diff::load(&args.old)?;
    let new = diff::load(&args.new)?;
    let d = diff::diff(
        &old,
        &new,
        &args.old.display().to_string(),
        &args.new.display().to_string(),
        &VectorOptions {
            seed: args.seed,
            random_rows: args.random_rows,
        },
    );
    match args.format {
        ReportFormat::Text => print!("{}", diff::render_text(&d)),
        ReportFormat::Json => print!("{}", diff::render_json(&d)),
    }
    Ok(if d.identical { EXIT_OK } else { EXIT_FAIL })
}
