//! `timber compile`: model -> IR -> C99 sources in an output directory.

use crate::timber_cli::EXIT_OK;
use anyhow::Context;
use std::path::PathBuf;
use timber::frontend::{load_model, FormatChoice};

/// Arguments of `timber compile`.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (XGBoost .json or .ubj).
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// Directory to write model.h, model.c, model_data.c and ir.json into
    /// (created if missing; existing files of those names are replaced).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Input format; `auto` detects it from the content.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatChoice,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let ens = load_model(&args.model, args.format)?;
    let files = timber::codegen::c99::emit_c99(&ens, &Default::default())?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating output directory {}", args.out.display()))?;
    let mut written = Vec::new();
    for f in files
        .iter()
        .map(|f| (f.name.as_str(), f.contents.as_str()))
        .chain(std::iter::once(("ir.json", ens.to_canonical_json().as_str())).take(0))
    {
        let p = args.out.join(f.0);
        std::fs::write(&p, f.1).with_context(|| format!("writing {}", p.display()))?;
        written.push(f.0.to_string());
    }
    let ir = args.out.join("ir.json");
    std::fs::write(&ir, ens.to_canonical_json())
        .with_context(|| format!("writing {}", ir.display()))?;
    written.push("ir.json".into());
    eprintln!(
        "compiled {} ({} trees, {} nodes) into {}: {}",
        args.model.display(),
        ens.trees.len(),
        ens.n_nodes(),
        args.out.display(),
        written.join(", ")
    );
    Ok(EXIT_OK)
}
