//! `timber load`, `timber list` and `timber remove`: the model store's
//! commands. The work is in `timber::store`; this maps its errors to exit
//! codes (missing compiler 3, tampered entry 1, anything else 2).

use crate::timber_cli::{CodedError, EXIT_FAIL, EXIT_OK, EXIT_TOOL_MISSING, EXIT_USAGE};
use std::path::PathBuf;
use timber::store::{Store, StoreError};

const STORE_HELP: &str = "The store is $TIMBER_HOME if set, else $XDG_DATA_HOME/timber, \
else ~/.local/share/timber.";

/// Arguments of `timber load`.
#[derive(clap::Args)]
#[command(after_help = format!(
    "Example:\n  timber load model.json --name anomaly-detector\n  \
timber serve anomaly-detector --port 8080\n\n\
Builds the shared library with `cc -std=c99 -O2 -ffp-contract=off -fPIC -shared`. {STORE_HELP}"
))]
pub struct LoadArgs {
    /// The model file (XGBoost .json or .ubj; detected from the content).
    pub model: PathBuf,
    /// The name to store it under: 1-64 characters of a-z, 0-9, `.`, `_`,
    /// `-`, starting with a letter or digit.
    #[arg(long, short = 'n')]
    pub name: String,
    /// Replace an existing entry of the same name (otherwise an error).
    #[arg(long)]
    pub force: bool,
}

/// Output format of `timber list`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// Arguments of `timber list`.
#[derive(clap::Args)]
#[command(after_help = STORE_HELP)]
pub struct ListArgs {
    /// `text`: one aligned line per model; `json`: an array of objects.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

/// Arguments of `timber remove`.
#[derive(clap::Args)]
#[command(after_help = STORE_HELP)]
pub struct RemoveArgs {
    /// The stored model's name.
    pub name: String,
}

/// The exit code a store error maps to.
pub fn coded(e: StoreError) -> anyhow::Error {
    let code = match &e {
        StoreError::ToolMissing { .. } => EXIT_TOOL_MISSING,
        StoreError::Tampered { .. } | StoreError::Library { .. } => EXIT_FAIL,
        _ => EXIT_USAGE,
    };
    CodedError {
        code,
        message: e.to_string(),
    }
    .into()
}

pub fn load(args: LoadArgs) -> anyhow::Result<u8> {
    let store = Store::from_env().map_err(coded)?;
    let m = store
        .load(&args.model, &args.name, args.force)
        .map_err(coded)?;
    eprintln!(
        "loaded {} as `{}`: {} trees, {} features -> {} outputs ({}), sha256 {}, into {}",
        args.model.display(),
        m.name,
        m.model.n_trees,
        m.model.n_features,
        m.model.n_outputs,
        m.model.objective,
        m.model.sha256,
        store.root().display()
    );
    Ok(EXIT_OK)
}

pub fn list(args: ListArgs) -> anyhow::Result<u8> {
    let store = Store::from_env().map_err(coded)?;
    let entries = store.list().map_err(coded)?;
    let broken = entries.iter().filter(|e| e.manifest.is_err()).count();
    match args.format {
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| match &e.manifest {
                    Ok(m) => serde_json::json!({
                        "features": m.model.n_features,
                        "name": e.name,
                        "objective": m.model.objective,
                        "outputs": m.model.n_outputs,
                        "sha256": m.model.sha256,
                        "timber_version": m.timber_version,
                    }),
                    Err(err) => serde_json::json!({
                        "error": err.to_string(),
                        "name": e.name,
                    }),
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        ListFormat::Text => {
            if entries.is_empty() {
                eprintln!("no models in {}", store.root().display());
            } else {
                let width = entries
                    .iter()
                    .map(|e| e.name.len())
                    .max()
                    .unwrap_or(0)
                    .max(4);
                println!(
                    "{:width$}  {:64}  {:>8}  {:>7}  {:24}  timber",
                    "name", "model sha256", "features", "outputs", "objective"
                );
                for e in &entries {
                    match &e.manifest {
                        Ok(m) => println!(
                            "{:width$}  {:64}  {:>8}  {:>7}  {:24}  {}",
                            e.name,
                            m.model.sha256,
                            m.model.n_features,
                            m.model.n_outputs,
                            m.model.objective,
                            m.timber_version
                        ),
                        Err(err) => println!("{:width$}  BROKEN: {err}", e.name),
                    }
                }
            }
        }
    }
    Ok(if broken > 0 { EXIT_FAIL } else { EXIT_OK })
}

pub fn remove(args: RemoveArgs) -> anyhow::Result<u8> {
    let store = Store::from_env().map_err(coded)?;
    store.remove(&args.name).map_err(coded)?;
    eprintln!("removed `{}` from {}", args.name, store.root().display());
    Ok(EXIT_OK)
}
