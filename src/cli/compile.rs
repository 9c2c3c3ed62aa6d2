//! `timber compile`: model -> IR -> C99 sources (and `ir.json`) in a
//! directory. Files are written whole to a temporary name and renamed, so an
//! interrupted run never leaves a truncated source behind.

use crate::timber_cli::EXIT_OK;
use anyhow::Context;
use std::path::{Path, PathBuf};
use timber::frontend::{load_model, FormatChoice};

/// Arguments of `timber compile`.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  timber compile --model model.json --out firmware/\n  \
arm-none-eabi-gcc -std=c99 -ffp-contract=off -O2 -mcpu=cortex-m4 -mthumb -c firmware/model.c firmware/model_data.c\n\n\
Build the generated C with -std=c99 (or -ffp-contract=off): fused multiply-add changes output bits."
)]
pub struct Args {
    /// The model file (XGBoost .json or .ubj; detected from the content).
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// Directory to write the generated sources and ir.json into (created if
    /// missing; existing files of the same names are replaced).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Input format; `auto` detects it from the content.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatChoice,
    /// Code layout of the trees; every layout gives the same output bits.
    /// `auto` picks `branches` for models of at most 4096 nodes (all trees
    /// together), `table` above; `compact` is the smallest in flash.
    #[arg(long, value_enum, default_value = "auto")]
    pub layout: timber::codegen::c99::Layout,
}

/// Write `contents` to `dir/name` through a temporary file and a rename.
pub fn write_atomically(dir: &Path, name: &str, contents: &str) -> anyhow::Result<()> {
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, contents).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &target)
        .with_context(|| format!("renaming {} to {}", tmp.display(), target.display()))?;
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let ens = load_model(&args.model, args.format)?;
    let opts = timber::codegen::c99::Options {
        layout: args.layout,
        ..Default::default()
    };
    let files = timber::codegen::c99::emit_c99(&ens, &opts)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating output directory {}", args.out.display()))?;
    let mut written = Vec::new();
    for f in &files {
        write_atomically(&args.out, &f.name, &f.contents)?;
        written.push(f.name.clone());
    }
    write_atomically(&args.out, "ir.json", &ens.to_canonical_json())?;
    written.push("ir.json".into());
    eprintln!(
        "compiled {} ({} trees, {} nodes, {} -> {} outputs, layout {}) into {}: {}",
        args.model.display(),
        ens.trees.len(),
        ens.n_nodes(),
        ens.source.objective,
        ens.n_outputs(),
        args.layout.resolve(&ens).name(),
        args.out.display(),
        written.join(", ")
    );
    Ok(EXIT_OK)
}
