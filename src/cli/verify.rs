//! `timber verify`: model -> C99 -> build and run on each target ->
//! bit-for-bit comparison with the reference evaluator, or, with
//! `--golden`, with the output bits of an earlier accepted run (a
//! regression run; the record is read and checked by
//! `timber::regress::golden`). `--write-golden` records such a run.

use crate::timber_cli::{CodedError, EXIT_FAIL, EXIT_OK, EXIT_TOOL_MISSING};
use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use timber::frontend::{load_model, FormatChoice};
use timber::regress::golden::Golden;
use timber::verify::{self, Stage, TargetStatus, VerifyError, VerifyOptions};

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
    /// Comma-separated targets, or `all`: host, cortex-m0, cortex-m0-mps2,
    /// cortex-m3, cortex-m4f, cortex-m7, cortex-m33, cortex-a53, cortex-a7,
    /// riscv32imac, riscv32imafc, riscv64, powerpc (the files of
    /// qemu/targets/; an unknown name is refused with the list).
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
    /// Keep the per-target build directories here (DIR/TARGET). An existing
    /// DIR/TARGET is replaced only when it is empty or an earlier build
    /// directory (marked by a .timber-build file); anything else is refused
    /// before the run. Other entries of DIR are left alone.
    #[arg(long)]
    pub build_dir: Option<PathBuf>,
    /// Targets built and run at once (default: number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Regression run: compare every target (and the reference evaluator)
    /// with a golden record instead of today's reference: an earlier audit
    /// bundle directory, its verify/vectors.json, or a file written by
    /// --write-golden. The golden's inputs are the vectors.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["data", "write_golden"])]
    pub golden: Option<PathBuf>,
    /// Write the vectors and the reference evaluator's output bits to FILE
    /// as a golden record (the JSON shape of a bundle's verify/vectors.json),
    /// before the targets run.
    #[arg(long, value_name = "FILE")]
    pub write_golden: Option<PathBuf>,
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
    /// Skip the instruction count: by default every target with a
    /// `[timing]` table also runs its vectors under a QEMU execution trace
    /// and reports the instructions of each call (max, median, the row
    /// that reached the max).
    #[arg(long)]
    pub no_count: bool,
    /// Count with one guest instruction per QEMU translation block (the
    /// slow reference) instead of summing the sizes of normal blocks; both
    /// give the same numbers (docs/timing.md).
    #[arg(long, conflicts_with = "no_count")]
    pub count_per_instruction: bool,
}

pub fn run(mut args: Args) -> anyhow::Result<u8> {
    let targets = verify::targets::select(&args.targets)?;
    if targets.is_empty() {
        anyhow::bail!("no targets selected");
    }
    if let Some(dir) = &args.build_dir {
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        let mut inputs = vec![args.model.as_path()];
        inputs.extend(args.data.as_deref());
        inputs.extend(args.golden.as_deref());
        inputs.extend(args.write_golden.as_deref());
        timber::audit::outdir::check_build_out(dir, &names, &inputs)?;
    }
    // The build runs programs inside DIR/TARGET: make DIR absolute.
    if let Some(dir) = &args.build_dir {
        args.build_dir = Some(
            std::path::absolute(dir)
                .with_context(|| format!("resolving --build-dir {}", dir.display()))?,
        );
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
    let codegen = timber::codegen::c99::Options {
        layout: args.layout,
        numeric: args.numeric,
        ..Default::default()
    };
    let files = timber::codegen::c99::emit_c99(&ens, &codegen)?;
    if !files.iter().any(|f| f.name == "model.h") {
        anyhow::bail!("the C99 backend produced no model.h for this model");
    }
    if let Some(path) = &args.golden {
        return run_golden(&args, path, &ens, &files, &targets);
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
        "{} vectors ({} boundary, {} special, {} leaf-steering, {} missing-value, {} longest-path, {} random{}); \
         leaf coverage {}/{} ({:.1}%), branch coverage {}/{} ({:.1}%){}",
        rows.len(),
        set.boundary_rows,
        set.special_rows,
        set.leaf_rows,
        set.missing_rows,
        set.longest_rows,
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
    if let Some(path) = &args.write_golden {
        Golden::record(&ens, &rows).write(path)?;
        eprintln!(
            "golden record of {} rows written to {}",
            rows.len(),
            path.display()
        );
    }
    let mut report = run_targets(&args, &ens, &files, &rows, &targets, &|r: &[f32]| {
        timber::ir::evaluate(&ens, r)
    })?;
    report.coverage = Some(cov);
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
                    "missing_value": set.missing_rows,
                    "longest_path": set.longest_rows,
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

/// Build and run on every target, comparing with `reference`; progress on
/// stderr; a missing tool is exit 3.
fn run_targets(
    args: &Args,
    ens: &timber::Ensemble,
    files: &[timber::codegen::GeneratedFile],
    rows: &[Vec<f32>],
    targets: &[verify::TargetSpec],
    reference: &(dyn Fn(&[f32]) -> Vec<f32> + Sync),
) -> anyhow::Result<verify::VerifyReport> {
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    let display = if std::io::stderr().is_terminal() {
        ProgressDisplay::bars(&names)
    } else {
        ProgressDisplay::lines(&names)
    };
    let mut opts = display.options(args.build_dir.clone(), args.jobs);
    opts.count_instructions = !args.no_count;
    if args.count_per_instruction {
        opts.trace_mode = timber::verify::trace::TraceMode::Instruction;
    }
    let mut report = match verify::verify_with(
        files,
        rows,
        targets,
        ens.n_features as usize,
        ens.n_outputs() as usize,
        reference,
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
    display.finish();
    let codegen = timber::codegen::c99::Options {
        layout: args.layout,
        numeric: args.numeric,
        ..Default::default()
    };
    verify::attach_stack_estimates(&mut report, ens, &codegen, targets);
    Ok(report)
}

/// `--golden`: the reference evaluator and every target against a golden
/// record. Exit 0 when all are bit-identical to it, 1 otherwise.
fn run_golden(
    args: &Args,
    path: &Path,
    ens: &timber::Ensemble,
    files: &[timber::codegen::GeneratedFile],
    targets: &[verify::TargetSpec],
) -> anyhow::Result<u8> {
    let golden = Golden::read(path)?;
    golden.check_fits(ens)?;
    let reference = golden.compare_reference(ens);
    let cov = verify::coverage(ens, &golden.inputs);
    eprintln!(
        "{} golden vectors from {}; leaf coverage {}/{} ({:.1}%), branch coverage {}/{} ({:.1}%)",
        golden.inputs.len(),
        golden.path.display(),
        cov.leaves_hit,
        cov.leaves_total,
        cov.leaf_percent(),
        cov.branches_hit,
        cov.branches_total,
        cov.branch_percent(),
    );
    let edited = (!golden.hash_matches()).then(|| {
        format!(
            "note: {}: reference_fnv1a {} does not match its expected bits ({}): \
             the record was edited after it was written",
            golden.path.display(),
            golden.recorded_fnv1a.as_deref().unwrap_or_default(),
            golden.fnv1a()
        )
    });
    let lookup = golden.expected_lookup();
    let mut report = run_targets(args, ens, files, &golden.inputs, targets, &lookup)?;
    report.coverage = Some(cov);
    // Instruction counts against the golden bundle's timing.json, apart
    // from the output bits.
    let (count_changes, count_skipped) = match timber::regress::timing::golden_timing_path(path) {
        Some(p) if !args.no_count => {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            let t: timber::audit::timing::TimingFile = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a bundle's timing.json", p.display()))?;
            timber::regress::timing::compare(&t, &report)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let timing_changed = count_changes.iter().any(|c| c.rows_differing > 0);
    match args.format {
        ReportFormat::Text => {
            let mut s = format!(
                "golden: {} ({} rows x {} outputs, fnv1a {})\n",
                golden.path.display(),
                golden.inputs.len(),
                golden.n_outputs,
                golden.fnv1a()
            );
            if let Some(note) = &edited {
                s.push_str(note);
                s.push('\n');
            }
            if reference.identical() {
                s.push_str(&format!(
                    "reference vs golden: identical on all {} rows\n",
                    reference.rows
                ));
            } else {
                s.push_str(&format!(
                    "reference vs golden: the model's reference outputs differ from the golden \
                     on {} of {} rows ({} outputs)\n",
                    reference.rows_differing, reference.rows, reference.outputs_differing
                ));
                for m in &reference.first {
                    let ulps = m.ulps.map(|u| format!(" ({u} ulp)")).unwrap_or_default();
                    s.push_str(&format!(
                        "    row {} output {}: golden {} reference {}{ulps}\n",
                        m.row,
                        m.output.unwrap_or(0),
                        m.expected,
                        m.got
                    ));
                }
                if reference.outputs_differing > reference.first.len() {
                    s.push_str(&format!(
                        "    ... and {} more\n",
                        reference.outputs_differing - reference.first.len()
                    ));
                }
            }
            s.push_str(&diagnosis(&reference, &report, edited.is_some()));
            s.push('\n');
            s.push_str(&timber::regress::timing::render(
                &count_changes,
                &count_skipped,
            ));
            // The verify report's words, with the golden as the expectation.
            s.push_str(
                &verify::render_text(&report)
                    .replace("; reference hash ", "; golden hash ")
                    .replace(
                        "bit-identical to the reference",
                        "bit-identical to the golden",
                    ),
            );
            print!("{s}");
        }
        ReportFormat::Json => {
            let v = serde_json::json!({
                "model": args.model.display().to_string(),
                "golden": {
                    "path": golden.path.display().to_string(),
                    "rows": golden.inputs.len(),
                    "n_features": golden.n_features,
                    "n_outputs": golden.n_outputs,
                    "fnv1a": golden.fnv1a(),
                    "recorded_fnv1a": golden.recorded_fnv1a,
                    "edited": edited.is_some(),
                },
                "reference_vs_golden": reference,
                "targets_equal_to_reference": targets_equal_to_reference(&reference, &report),
                "diagnosis": diagnosis(&reference, &report, edited.is_some())
                    .trim_start_matches("diagnosis: "),
                "timing_vs_golden": count_changes,
                "report": report,
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
    }
    if let Some(note) = &edited {
        eprintln!("{note}");
    }
    Ok(
        if reference.identical() && report.all_passed() && !timing_changed {
            EXIT_OK
        } else {
            EXIT_FAIL
        },
    )
}

/// Targets whose output bits on the golden inputs are exactly today's
/// reference evaluator's (same FNV-1a over all outputs).
fn targets_equal_to_reference(
    reference: &timber::regress::golden::ReferenceComparison,
    report: &verify::VerifyReport,
) -> Vec<String> {
    report
        .targets
        .iter()
        .filter(|t| t.rows_run == t.rows_expected)
        .filter(|t| t.output_hash.as_deref() == Some(reference.reference_fnv1a.as_str()))
        .map(|t| t.target.clone())
        .collect()
}

/// One line saying where a difference comes from: the model (the
/// reference moved and the targets follow it) or the code path (a target
/// differs from today's reference too).
fn diagnosis(
    reference: &timber::regress::golden::ReferenceComparison,
    report: &verify::VerifyReport,
    golden_edited: bool,
) -> String {
    let same = targets_equal_to_reference(reference, report);
    let others: Vec<&str> = report
        .targets
        .iter()
        .filter(|t| !same.contains(&t.target))
        .map(|t| t.target.as_str())
        .collect();
    match (reference.identical(), others.is_empty()) {
        (true, true) => "diagnosis: identical to the golden on every target".to_string(),
        (false, true) if golden_edited => {
            "diagnosis: the golden was edited after it was \
                                           written; every target computes today's reference exactly"
                .to_string()
        }
        (false, true) => "diagnosis: the model (or timber's lowering of it) changed: every \
                          target computes today's reference exactly, and the reference differs \
                          from the golden"
            .to_string(),
        (_, false) => format!(
            "diagnosis: the code path changed: {} differ{} from today's reference \
             evaluator (generator, compiler or target)",
            others.join(", "),
            if others.len() == 1 { "s" } else { "" }
        ),
    }
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

/// Per-target progress on stderr: on a terminal, one live spinner line per
/// target (building / running N rows / identical / MISMATCH); otherwise
/// one plain line per finished target, printed in target order whatever
/// order the parallel workers finish in, so the output is deterministic.
pub(crate) enum ProgressDisplay {
    Bars {
        /// Owns the drawing of the bars; kept alive until the run ends.
        _multi: MultiProgress,
        bars: Arc<Vec<(String, ProgressBar)>>,
    },
    Lines {
        names: Arc<Vec<String>>,
        /// Finished lines waiting for an earlier target, and how many
        /// lines have been printed.
        pending: Arc<Mutex<(usize, Vec<Option<String>>)>>,
    },
}

impl ProgressDisplay {
    pub(crate) fn bars(names: &[String]) -> ProgressDisplay {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {prefix:<14} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = names
            .iter()
            .map(|n| {
                let pb = multi.add(ProgressBar::new_spinner());
                pb.set_style(style.clone());
                pb.set_prefix(n.clone());
                pb.set_message("waiting");
                pb.enable_steady_tick(Duration::from_millis(120));
                (n.clone(), pb)
            })
            .collect();
        ProgressDisplay::Bars {
            _multi: multi,
            bars: Arc::new(bars),
        }
    }

    pub(crate) fn lines(names: &[String]) -> ProgressDisplay {
        ProgressDisplay::Lines {
            names: Arc::new(names.to_vec()),
            pending: Arc::new(Mutex::new((0, vec![None; names.len()]))),
        }
    }

    pub(crate) fn options(&self, build_dir: Option<PathBuf>, jobs: Option<usize>) -> VerifyOptions {
        match self {
            ProgressDisplay::Bars { bars, .. } => {
                let on_stage = Arc::clone(bars);
                let on_done = Arc::clone(bars);
                VerifyOptions {
                    build_dir,
                    jobs,
                    reject_nan: false,
                    count_instructions: false,
                    trace_mode: Default::default(),
                    stage: Some(Arc::new(move |target: &str, stage: Stage| {
                        if let Some((_, pb)) = on_stage.iter().find(|(n, _)| n == target) {
                            pb.set_message(stage_text(stage));
                        }
                    })),
                    progress: Some(Arc::new(move |r: &verify::TargetReport| {
                        if let Some((_, pb)) = on_done.iter().find(|(n, _)| *n == r.target) {
                            let mark = if r.status == TargetStatus::Pass {
                                "ok"
                            } else {
                                "!!"
                            };
                            pb.set_style(
                                ProgressStyle::with_template("{prefix} {msg}")
                                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                            );
                            pb.set_prefix(mark);
                            pb.finish_with_message(verify::summary_line(r));
                        }
                    })),
                }
            }
            ProgressDisplay::Lines { names, pending } => {
                let names = Arc::clone(names);
                let pending = Arc::clone(pending);
                VerifyOptions {
                    build_dir,
                    jobs,
                    reject_nan: false,
                    count_instructions: false,
                    trace_mode: Default::default(),
                    stage: None,
                    progress: Some(Arc::new(move |r: &verify::TargetReport| {
                        let Some(i) = names.iter().position(|n| *n == r.target) else {
                            eprintln!("{}", verify::summary_line(r));
                            return;
                        };
                        if let Ok(mut p) = pending.lock() {
                            p.1[i] = Some(verify::summary_line(r));
                            // Print every line whose predecessors are all out.
                            while p.0 < p.1.len() {
                                let k = p.0;
                                let Some(line) = p.1[k].take() else { break };
                                eprintln!("{line}");
                                p.0 += 1;
                            }
                        }
                    })),
                }
            }
        }
    }

    /// Stop the spinners (every target has reported by now).
    pub(crate) fn finish(&self) {
        if let ProgressDisplay::Bars { bars, .. } = self {
            // Finished lines stay on screen, in target order.
            for (_, pb) in bars.iter() {
                if !pb.is_finished() {
                    pb.finish();
                }
            }
        }
    }
}

fn stage_text(stage: Stage) -> String {
    match stage {
        Stage::Building => "building".to_string(),
        Stage::Running {
            rows,
            batch,
            batches,
        } => {
            if batches > 1 {
                format!("running {rows} rows (batch {} of {batches})", batch + 1)
            } else {
                format!("running {rows} rows")
            }
        }
    }
}
