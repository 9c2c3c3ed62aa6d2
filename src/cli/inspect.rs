//! `timber inspect`: a summary of a model as timber understands it.

use crate::timber_cli::EXIT_OK;
use std::path::PathBuf;
use timber::frontend::{load_model, FormatChoice};

/// Arguments of `timber inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// The model file.
    pub model: PathBuf,
    /// Input format; `auto` detects it from the content.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatChoice,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let ens = load_model(&args.model, args.format)?;
    println!("model: {}", args.model.display());
    println!("{:#?}", ens.source);
    Ok(EXIT_OK)
}
