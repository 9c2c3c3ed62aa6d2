//! `timber compile`: model -> IR -> C99 sources or a WebAssembly module
//! (plus `ir.json`) in a directory. Files are written whole to a temporary
//! name and renamed, so an interrupted run never leaves a truncated file
//! behind.

use crate::timber_cli::EXIT_OK;
use anyhow::Context;
use std::path::{Path, PathBuf};
use timber::audit::outdir::{check_files_out, Generated, IR_JSON};
use timber::codegen::c99::NanPolicy;
use timber::frontend::{load_model, FormatChoice};

/// What `timber compile` generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// MISRA C:2012-constrained C99: model.h, model.c, model_data.h, model_data.c.
    C99,
    /// WebAssembly: model.wasm, model.wat (its text form) and model.mjs (an
    /// ES-module loader exposing predict(Float32Array) -> Float32Array).
    Wasm,
}

/// What a NaN input means to the generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NanPolicyArg {
    /// A missing value: it follows each split's default direction (the
    /// framework's behaviour).
    Missing,
    /// An error: the C returns TIMBER_ERR_NAN, the WebAssembly loader throws.
    Reject,
}

impl From<NanPolicyArg> for NanPolicy {
    fn from(p: NanPolicyArg) -> Self {
        match p {
            NanPolicyArg::Missing => NanPolicy::Missing,
            NanPolicyArg::Reject => NanPolicy::Reject,
        }
    }
}

/// Arguments of `timber compile`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  timber compile --model model.json --out firmware/\n  \
arm-none-eabi-gcc -std=c99 -ffp-contract=off -O2 -mcpu=cortex-m4 -mthumb -c firmware/model.c firmware/model_data.c\n\n  \
timber compile --model model.json --target wasm --out web/\n  \
node -e 'import(\"./web/model.mjs\").then(m => console.log(m.predict(new Float32Array(m.nFeatures))))'\n\n\
Build the generated C with -std=c99 (or -ffp-contract=off): fused multiply-add changes output bits.\n\n\
Compiling into a directory that holds your own sources is safe: only the files named above \
(plus ir.json) are written, each through a temporary file and a rename, and an existing file \
of those names that timber did not generate stops the run (exit 2) unless --force."
)]
pub struct Args {
    /// The model file (XGBoost .json or .ubj; detected from the content).
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// Directory to write the generated files and ir.json into (created if
    /// missing). Other files in it are left alone; a file of one of the
    /// generated names is replaced only when timber generated it (its
    /// heading comment, ir.json's layout, the module's name), else the run
    /// is refused before any work, naming it.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Also replace same-named files timber did not generate (a hand-written
    /// model.h, a symbolic link named model.c). A directory, a special file
    /// or the model itself under such a name is never replaced.
    #[arg(long)]
    pub force: bool,
    /// Input format; `auto` detects it from the content.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatChoice,
    /// Code layout of the trees; every layout gives the same output bits.
    /// `auto` picks `branches` for models of at most 4096 nodes (all trees
    /// together), `table` above; `compact` is the smallest in flash.
    #[arg(long, value_enum, default_value = "auto")]
    pub layout: timber::codegen::c99::Layout,
    /// How the tree walk compares inputs with thresholds; both give the
    /// same output bits. `int` encodes each used feature once per row into
    /// a small integer and walks the trees with integer comparisons only
    /// (for cores without an FPU); it uses the compact node table.
    #[arg(long, value_enum, default_value = "float")]
    pub numeric: timber::codegen::c99::Numeric,
    /// What to generate.
    #[arg(long, value_enum, default_value = "c99")]
    pub target: Target,
    /// What a NaN input means.
    #[arg(long, value_enum, default_value = "missing")]
    pub nan_policy: NanPolicyArg,
}

/// The files each target writes and how an earlier run's copy is known.
fn outputs(target: Target) -> &'static [(&'static str, Generated)] {
    match target {
        Target::C99 => &[
            ("model.h", Generated::Comment),
            ("model.c", Generated::Comment),
            ("model_data.h", Generated::Comment),
            ("model_data.c", Generated::Comment),
            ("ir.json", IR_JSON),
        ],
        Target::Wasm => &[
            ("model.wasm", Generated::WasmModule),
            ("model.wat", Generated::Prefix("(module $timber_model")),
            ("model.mjs", Generated::Comment),
            ("ir.json", IR_JSON),
        ],
    }
}

/// Write `contents` to `dir/name` through a temporary file and a rename.
pub fn write_atomically(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    timber::audit::outdir::write_replacing(dir, name, contents.as_ref())
        .with_context(|| format!("writing {}", dir.join(name).display()))
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let planned = outputs(args.target);
    check_files_out(&args.out, planned, args.force, &[&args.model])?;
    let ens = load_model(&args.model, args.format)?;
    let nan_policy = NanPolicy::from(args.nan_policy);
    // Generate everything before writing anything.
    let files: Vec<(String, Vec<u8>)> = match args.target {
        Target::C99 => {
            let opts = timber::codegen::c99::Options {
                nan_policy,
                layout: args.layout,
                numeric: args.numeric,
            };
            timber::codegen::c99::emit_c99(&ens, &opts)?
                .into_iter()
                .map(|f| (f.name, f.contents.into_bytes()))
                .collect()
        }
        Target::Wasm => {
            if args.numeric != timber::codegen::c99::Numeric::Float {
                anyhow::bail!(
                    "--numeric {} applies to the C99 target only; the WebAssembly module \
                     compares floats",
                    args.numeric.name()
                );
            }
            let opts = timber::codegen::wasm::Options { nan_policy };
            let module = timber::codegen::wasm::emit_wasm(&ens, &opts)?;
            module
                .files()
                .into_iter()
                .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
                .collect()
        }
    };
    if let Some((name, _)) = files
        .iter()
        .find(|(name, _)| !planned.iter().any(|(p, _)| p == name))
    {
        anyhow::bail!("internal: the generator wrote {name}, which the output check did not cover");
    }
    // Again, in case the directory changed while the model was compiled.
    check_files_out(&args.out, planned, args.force, &[&args.model])?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating output directory {}", args.out.display()))?;
    let mut written = Vec::new();
    for (name, contents) in &files {
        write_atomically(&args.out, name, contents)?;
        written.push(name.clone());
    }
    write_atomically(&args.out, "ir.json", ens.to_canonical_json())?;
    written.push("ir.json".into());
    // The C layouts do not apply to the WebAssembly module (its own table).
    let layout = match args.target {
        Target::C99 => {
            let opts = timber::codegen::c99::Options {
                nan_policy,
                layout: args.layout,
                numeric: args.numeric,
            };
            format!(
                "layout {}, numeric {}",
                opts.layout(&ens).name(),
                args.numeric.name()
            )
        }
        Target::Wasm => "WebAssembly".to_string(),
    };
    eprintln!(
        "compiled {} ({} trees, {} nodes, {} -> {} outputs, {layout}) into {}: {}",
        args.model.display(),
        ens.trees.len(),
        ens.n_nodes(),
        ens.source.objective,
        ens.n_outputs(),
        args.out.display(),
        written.join(", ")
    );
    Ok(EXIT_OK)
}
