//! `timber verify`: model -> C99 -> build and run on each target ->
//! bit-for-bit comparison with the reference evaluator.

use crate::timber_cli::{CodedError, EXIT_FAIL, EXIT_OK, EXIT_TOOL_MISSING};
use anyhow::Context;
use std::path::{Path, PathBuf};
use timber::frontend::{load_model, FormatChoice};
use timber::verify::{self, VerifyError, VerifyOptions};

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// Arguments of `timber verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The model file.
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// Comma-separated targets, or `all` (host, cortex-m0, cortex-m0-mps2,
    /// cortex-m3, cortex-m4f, cortex-m7, cortex-m33, cortex-a53, cortex-a7).
    #[arg(long, default_value = "all")]
    pub targets: String,
    /// Extra input rows: a CSV file with one column per feature (an
    /// optional header line; empty, `nan` or `NA` cells are missing values).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// Input model format; `auto` detects it from the content.
    #[arg(long, value_enum, default_value = "auto")]
    pub model_format: FormatChoice,
    /// Number of seeded random rows added to the derived vectors.
    #[arg(long, default_value_t = 256)]
    pub random_rows: usize,
    /// Seed of the random rows.
    #[arg(long, default_value_t = 0x7469_6d62_6572)]
    pub seed: u64,
    /// Keep the per-target build directories here.
    #[arg(long)]
    pub build_dir: Option<PathBuf>,
    /// Targets built and run at once (default: number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let targets = verify::targets::select(&args.targets)?;
    if targets.is_empty() {
        anyhow::bail!("no targets selected");
    }
    // Tools first: a missing toolchain is exit 3 whatever the model.
    if let Err(e) = verify::check_tools(&targets) {
        return Err(CodedError {
            code: EXIT_TOOL_MISSING,
            message: e.to_string(),
        }
        .into());
    }
    let ens = load_model(&args.model, args.model_format)?;
    let files = timber::codegen::c99::emit_c99(&ens, &Default::default())?;
    if !files.iter().any(|f| f.name == "model.h") {
        anyhow::bail!("the C99 backend produced no model.h for this model");
    }
    let set = verify::generate(
        &ens,
        &verify::VectorOptions {
            seed: args.seed,
            random_rows: args.random_rows,
        },
    );
    let mut rows = set.rows.clone();
    if let Some(path) = &args.data {
        let extra = read_csv(path, ens.n_features as usize)?;
        rows.extend(extra);
    }
    let cov = verify::coverage(&ens, &rows);
    eprintln!(
        "{} vectors ({} boundary, {} special, {} leaf-steering, {} random{}); \
         leaf coverage {}/{} ({:.1}%), branch coverage {}/{} ({:.1}%){}",
        rows.len(),
        set.boundary_rows,
        set.special_rows,
        set.leaf_rows,
        set.random_rows,
        if args.data.is_some() {
            format!(", {} from CSV", rows.len() - set.rows.len())
        } else {
            String::new()
        },
        cov.leaves_hit,
        cov.leaves_total,
        cov.leaf_percent(),
        cov.branches_hit,
        cov.branches_total,
        cov.branch_percent(),
        if set.unreachable_leaves > 0 {
            format!("; {} leaves unreachable", set.unreachable_leaves)
        } else {
            String::new()
        }
    );
    let opts = VerifyOptions {
        build_dir: args.build_dir.clone(),
        jobs: args.jobs,
        progress: Some(std::sync::Arc::new(|r: &verify::TargetReport| {
            eprintln!("{}", verify::summary_line(r))
        })),
    };
    let mut report = match verify::verify_with(
        &files,
        &rows,
        &targets,
        ens.n_features as usize,
        ens.n_outputs() as usize,
        &|r: &[f32]| timber::ir::evaluate(&ens, r),
        &opts,
    ) {
        Ok(r) => r,
        Err(e @ VerifyError::ToolMissing { .. }) => {
            return Err(CodedError {
                code: EXIT_TOOL_MISSING,
                message: e.to_string(),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    report.coverage = Some(cov);
    verify::attach_stack_estimates(&mut report, &ens, &targets);
    match args.format {
        ReportFormat::Text => print!("{}", verify::render_text(&report)),
        ReportFormat::Json => {
            let v = serde_json::json!({
                "model": args.model.display().to_string(),
                "vectors": {
                    "rows": rows.len(),
                    "boundary": set.boundary_rows,
                    "special": set.special_rows,
                    "leaf_steering": set.leaf_rows,
                    "random": set.random_rows,
                    "from_csv": rows.len() - set.rows.len(),
                    "unreachable_leaves": set.unreachable_leaves,
                    "seed": args.seed,
                },
                "report": report,
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
    }
    Ok(if report.all_passed() {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}

/// Read a CSV of feature rows.
fn read_csv(path: &Path, n_features: usize) -> anyhow::Result<Vec<Vec<f32>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    let mut seen_content = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first_content = !seen_content;
        seen_content = true;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Result<Vec<f32>, _> = cells
            .iter()
            .map(|c| match c.to_ascii_lowercase().as_str() {
                "" | "nan" | "na" | "null" => Ok(f32::NAN),
                other => other.parse::<f32>(),
            })
            .collect();
        match parsed {
            Ok(r) => {
                if r.len() != n_features {
                    anyhow::bail!(
                        "{}:{}: {} columns; the model takes {n_features} features",
                        path.display(),
                        i + 1,
                        r.len()
                    );
                }
                rows.push(r);
            }
            Err(e) => {
                if first_content {
                    continue; // header line
                }
                anyhow::bail!("{}:{}: {e}", path.display(), i + 1);
            }
        }
    }
    Ok(rows)
}
