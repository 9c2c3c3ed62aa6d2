//! `timber qualify`: run the compiler verification suite on the targets
//! and write the qualification report.

use super::compile::write_atomically;
use crate::timber_cli::{CodedError, EXIT_FAIL, EXIT_OK, EXIT_TOOL_MISSING};
use anyhow::Context;
use std::path::PathBuf;
use timber::audit::outdir::{check_files_out, Generated};
use timber::qualify::{self, QualifyError, QualifyOptions, DEFAULT_OPT_LEVELS};

/// Arguments of `timber qualify`.
#[derive(clap::Args)]
#[command(
    after_help = "Every case of the suite (each split operator and missing direction, every \
aggregation and post transform, vector leaves, single-leaf trees, margins that reach exp's \
guards, 8/16/32-bit node indices) is generated with both NaN policies, built for each target \
with each flag set, run, and compared bit for bit with the reference evaluator.\n\n\
Writes DIR/qualification.json (pass it to `timber certify --qualification`) and \
DIR/qualification.txt. Exit codes: 0 every case identical on every target; 1 a target \
compiler miscompiled something; 2 bad usage; 3 a toolchain is missing.\n\n\
Example:\n  timber qualify --targets all --out qualification/\n  \
timber qualify --targets cortex-m4f --flag-set=-O2 --flag-set='-O2 -ffp-contract=fast' --out q/"
)]
pub struct Args {
    /// Comma-separated targets, or `all`.
    #[arg(long, default_value = "all")]
    pub targets: String,
    /// A compiler flag set replacing the target's -O flag (repeatable;
    /// default: -O0, -O1, -O2, -Os).
    #[arg(long = "flag-set", value_name = "FLAGS", allow_hyphen_values = true)]
    pub flag_sets: Vec<String>,
    /// Run only this case (repeatable; default: all).
    #[arg(long = "case", value_name = "NAME")]
    pub cases: Vec<String>,
    /// Seeded random rows per case on top of the derived vectors.
    #[arg(long, default_value_t = 64)]
    pub random_rows: usize,
    /// Directory for the report (created if missing). Other files in it
    /// are left alone; an existing qualification.json or qualification.txt
    /// is replaced only when timber wrote it, else the run is refused before
    /// it starts.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Also replace a qualification.json or qualification.txt that timber
    /// did not write.
    #[arg(long)]
    pub force: bool,
    /// Targets built and run at once (default: number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// The report files and how an earlier report is recognised.
const OUTPUTS: [(&str, Generated); 2] = [
    (
        "qualification.json",
        Generated::Text("{\n  \"schema_version\": ", "\"timber_version\": "),
    ),
    (
        "qualification.txt",
        Generated::Text("timber ", " qualification: "),
    ),
];

pub fn run(args: Args) -> anyhow::Result<u8> {
    check_files_out(&args.out, &OUTPUTS, args.force, &[])?;
    let targets = timber::verify::targets::select(&args.targets)?;
    let flag_sets = if args.flag_sets.is_empty() {
        DEFAULT_OPT_LEVELS.iter().map(|s| s.to_string()).collect()
    } else {
        args.flag_sets.clone()
    };
    let opts = QualifyOptions {
        targets,
        flag_sets,
        only_cases: args.cases.clone(),
        random_rows: args.random_rows,
        jobs: args.jobs,
        progress: Some(Box::new(|line: &str| eprintln!("{line}"))),
    };
    let report = match qualify::qualify(&opts) {
        Ok(r) => r,
        Err(e @ QualifyError::ToolMissing(_)) => {
            return Err(CodedError {
                code: EXIT_TOOL_MISSING,
                message: e.to_string(),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    check_files_out(&args.out, &OUTPUTS, args.force, &[])?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut json = serde_json::to_string_pretty(&report)?;
    json.push('\n');
    write_atomically(&args.out, "qualification.json", json)?;
    let failed: Vec<&qualify::CaseResult> = report
        .results
        .iter()
        .filter(|r| r.status == "fail")
        .collect();
    let na = report
        .results
        .iter()
        .filter(|r| r.status == "not-applicable")
        .count();
    let mut text = format!(
        "timber {} qualification: {} ({} cases x layouts and numeric modes x 2 NaN policies x {} flag sets x {} targets = {} runs; {} failed, {} not applicable)\n",
        report.timber_version,
        report.verdict.to_uppercase(),
        report.cases.len(),
        report.flag_sets.len(),
        report.tools.len(),
        report.results.len(),
        failed.len(),
        na
    );
    for r in &failed {
        text.push_str(&format!(
            "  FAIL {} ({} layout, {} numeric, {} NaN) on {} with {}: {} mismatches of {} rows{}\n",
            r.case,
            r.layout,
            r.numeric,
            r.nan_policy,
            r.target,
            r.flags,
            r.mismatches,
            r.rows,
            r.message
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        ));
    }
    for t in &report.tools {
        text.push_str(&format!(
            "  {}: {}; {}\n",
            t.target, t.compiler_version, t.runner_version
        ));
    }
    write_atomically(&args.out, "qualification.txt", &text)?;
    print!("{text}");
    Ok(if report.passed() { EXIT_OK } else { EXIT_FAIL })
}
