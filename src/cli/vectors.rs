//! `timber vectors`: the verification vectors certify runs, as CSV, so the
//! model's own framework can predict on exactly the same rows
//! (scripts/oracle.py) and `certify --oracle` can compare.

use crate::timber_cli::EXIT_OK;
use anyhow::Context;
use std::path::PathBuf;
use timber::frontend::{load_model, FormatChoice};
use timber::verify::{vectors_csv, VectorOptions};

/// Arguments of `timber vectors`.
#[derive(clap::Args)]
#[command(
    after_help = "The rows are the ones `timber certify` verifies with the same --seed and \
--random-rows: split boundaries and their float32 neighbours, NaN and infinities per feature, one \
row per reachable leaf, and seeded random rows. Header f0,f1,... in the model's feature order; \
every value parses back to the same float32 (nine significant digits; nan, inf, -inf spelled out).\n\n\
The framework oracle, in three steps:\n  \
timber vectors model.json --out vectors.csv\n  \
python3 scripts/oracle.py model.json vectors.csv --out predictions.csv\n  \
timber certify model.json --profile iso26262 --level ASIL-D --oracle predictions.csv"
)]
pub struct Args {
    /// The model file (format detected from its content).
    pub model: PathBuf,
    /// The CSV file to write.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,
    /// Input format; `auto` detects it from the content.
    #[arg(long, value_enum, default_value = "auto")]
    pub model_format: FormatChoice,
    /// Number of seeded random rows (as given to certify).
    #[arg(long, default_value_t = VectorOptions::default().random_rows)]
    pub random_rows: usize,
    /// Seed of the random rows (as given to certify).
    #[arg(long, default_value_t = VectorOptions::default().seed)]
    pub seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let ens = load_model(&args.model, args.model_format)?;
    let set = timber::verify::generate(
        &ens,
        &VectorOptions {
            seed: args.seed,
            random_rows: args.random_rows,
        },
    );
    let text = vectors_csv::to_csv(ens.n_features as usize, &set.rows);
    std::fs::write(&args.out, text)
        .with_context(|| format!("{}: cannot write the vectors", args.out.display()))?;
    eprintln!(
        "wrote {} rows x {} features to {}",
        set.rows.len(),
        ens.n_features,
        args.out.display()
    );
    Ok(EXIT_OK)
}
