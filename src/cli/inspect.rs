//! `timber inspect`: a summary of a model as timber understands it, after
//! lowering and validation, so what is printed is what would be compiled.

use crate::timber_cli::EXIT_OK;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use timber::frontend::{load_model, FormatChoice};
use timber::ir::{validate::tree_depth, Node};

/// Arguments of `timber inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// The model file.
    pub model: PathBuf,
    /// Input format; `auto` detects it from the content.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatChoice,
    /// Output format.
    #[arg(long = "output-format", value_enum, default_value = "text")]
    pub output_format: OutputFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Serialize)]
struct Summary {
    format: String,
    framework_version: Option<String>,
    objective: String,
    sha256: String,
    features: u32,
    features_used: usize,
    groups: u32,
    outputs: u32,
    post_transform: String,
    accumulator: &'static str,
    #[serde(serialize_with = "shortest")]
    base_score: Vec<f64>,
    trees: usize,
    trees_per_group: BTreeMap<u32, usize>,
    nodes: usize,
    splits: usize,
    leaves: usize,
    max_depth: usize,
    estimated_table_bytes: usize,
}

/// A float32 value as its shortest float32 digits, any other double as
/// its shortest double digits (so float32 models print as they always did).
fn shortest_text(v: f64) -> String {
    if timber::ir::validate::is_exact_f32(v) {
        format!("{:?}", v as f32)
    } else {
        format!("{v:?}")
    }
}

fn shortest<S: serde::Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for &x in v {
        if timber::ir::validate::is_exact_f32(x) {
            seq.serialize_element(&(x as f32))?;
        } else {
            seq.serialize_element(&x)?;
        }
    }
    seq.end()
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let ens = load_model(&args.model, args.format)?;
    let mut splits = 0usize;
    let mut leaves = 0usize;
    let mut used = std::collections::BTreeSet::new();
    let mut per_group = BTreeMap::new();
    for t in &ens.trees {
        *per_group.entry(t.group).or_insert(0usize) += 1;
        for n in &t.nodes {
            match n {
                Node::Split(s) => {
                    splits += 1;
                    used.insert(s.feature);
                }
                Node::Leaf(_) => leaves += 1,
            }
        }
    }
    let summary = Summary {
        format: ens.source.format.clone(),
        framework_version: ens.source.framework_version.clone(),
        objective: ens.source.objective.clone(),
        sha256: ens.source.sha256.clone(),
        features: ens.n_features,
        features_used: used.len(),
        groups: ens.n_groups,
        outputs: ens.n_outputs(),
        post_transform: format!("{:?}", ens.post_transform).to_lowercase(),
        accumulator: ens.accumulator.name(),
        base_score: ens.base_score.clone(),
        trees: ens.trees.len(),
        trees_per_group: per_group,
        nodes: ens.n_nodes(),
        splits,
        leaves,
        max_depth: ens.trees.iter().map(tree_depth).max().unwrap_or(0),
        estimated_table_bytes: timber::codegen::c99::estimate_table_bytes(&ens),
    };
    match args.output_format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
        OutputFormat::Text => {
            let s = &summary;
            println!("model            {}", args.model.display());
            println!(
                "format           {} (framework version {})",
                s.format,
                s.framework_version.as_deref().unwrap_or("unknown")
            );
            println!("objective        {} -> {}", s.objective, s.post_transform);
            println!("sha256           {}", s.sha256);
            println!(
                "features         {} ({} used by splits)",
                s.features, s.features_used
            );
            println!(
                "outputs          {} ({} margin groups)",
                s.outputs, s.groups
            );
            let base: Vec<String> = s.base_score.iter().map(|b| shortest_text(*b)).collect();
            println!("base margin      [{}]", base.join(", "));
            println!("accumulator      {}", s.accumulator);
            println!("trees            {}", s.trees);
            println!(
                "nodes            {} ({} splits, {} leaves)",
                s.nodes, s.splits, s.leaves
            );
            println!("max depth        {}", s.max_depth);
            println!(
                "table bytes      {} (estimated, C99 const tables)",
                s.estimated_table_bytes
            );
        }
    }
    Ok(EXIT_OK)
}
