//! `timber qualify`: the compiler verification suite run on the targets.
//!
//! Every case of [`cases::suite`] is generated with both NaN policies,
//! built for every target with every flag set, run, and compared bit for
//! bit with the reference evaluator. A target compiler that miscompiles
//! any construct the templates can emit fails the run. The report
//! (`qualification.json`) names the timber version and binary hash and
//! every tool's version, so `certify --qualification` can check that a
//! bundle was made with the toolchain that was qualified.

pub mod cases;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

use crate::codegen::c99::{branches, emit_c99, Layout, NanPolicy, Numeric, Options};
use crate::verify::{self, TargetSpec, TargetStatus, VerifyOptions};

/// Schema version of `qualification.json`.
pub const QUALIFICATION_SCHEMA_VERSION: u32 = 1;

/// The optimisation levels qualified by default.
pub const DEFAULT_OPT_LEVELS: [&str; 4] = ["-O0", "-O1", "-O2", "-Os"];

#[derive(Debug, Error)]
pub enum QualifyError {
    #[error("{0}")]
    ToolMissing(String),
    #[error("{0}")]
    Input(String),
    #[error("case {case}: {message}")]
    Case { case: String, message: String },
}

/// What to run.
pub struct QualifyOptions {
    pub targets: Vec<TargetSpec>,
    /// Flag sets: each replaces the target's `-O` flag and is appended
    /// after its other flags, e.g. `-O2` or `-O2 -ffp-contract=fast`.
    pub flag_sets: Vec<String>,
    /// Only these cases (by name); empty = all.
    pub only_cases: Vec<String>,
    /// Seeded random rows per case, on top of the derived vectors.
    pub random_rows: usize,
    pub jobs: Option<usize>,
    /// Called after each (case, policy, flag set) with a one-line summary.
    pub progress: Option<crate::certify::StageHook>,
}

/// One build-and-run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseResult {
    pub case: String,
    pub nan_policy: String,
    /// The code layout (`table`, `branches`, `compact`); reports written before
    /// layouts existed ran the table only.
    #[serde(default = "table_layout")]
    pub layout: String,
    /// `float` or `int`; reports written before the integer mode existed
    /// ran float only.
    #[serde(default = "float_numeric")]
    pub numeric: String,
    pub target: String,
    pub flags: String,
    /// `pass`, `fail` or `not-applicable` (the model does not fit the
    /// board's memory).
    pub status: String,
    pub rows: usize,
    pub mismatches: usize,
    pub message: Option<String>,
}

fn table_layout() -> String {
    Layout::Table.name().to_string()
}

fn float_numeric() -> String {
    Numeric::Float.name().to_string()
}

/// A tool that took part, per target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetTools {
    pub target: String,
    pub compiler_version: String,
    pub runner_version: String,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualificationReport {
    pub schema_version: u32,
    pub timber_version: String,
    pub timber_binary_sha256: Option<String>,
    /// Embedded templates, targets and harness -> sha256.
    pub embedded: BTreeMap<String, String>,
    pub verdict: String,
    pub flag_sets: Vec<String>,
    pub cases: Vec<CaseInfo>,
    pub tools: Vec<TargetTools>,
    pub results: Vec<CaseResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseInfo {
    pub name: String,
    pub constructs: Vec<String>,
    pub trees: usize,
    pub nodes: usize,
}

impl QualificationReport {
    pub fn passed(&self) -> bool {
        self.verdict == "pass"
    }
}

/// The target with its `-O` flag replaced by (and `flags` appended).
fn with_flags(t: &TargetSpec, flags: &str) -> TargetSpec {
    let mut s = t.clone();
    s.cflags.retain(|f| !(f.starts_with("-O") && f.len() <= 4));
    s.cflags
        .extend(flags.split_whitespace().map(str::to_string));
    s
}

/// Run the suite.
pub fn qualify(opts: &QualifyOptions) -> Result<QualificationReport, QualifyError> {
    if opts.targets.is_empty() {
        return Err(QualifyError::Input("no targets selected".into()));
    }
    if opts.flag_sets.is_empty() {
        return Err(QualifyError::Input("no flag sets selected".into()));
    }
    verify::check_tools(&opts.targets).map_err(|e| QualifyError::ToolMissing(e.to_string()))?;
    let all = cases::suite();
    for name in &opts.only_cases {
        if !all.iter().any(|c| &c.name == name) {
            return Err(QualifyError::Input(format!(
                "unknown case {name:?}; cases: {}",
                all.iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let selected: Vec<&cases::Case> = all
        .iter()
        .filter(|c| opts.only_cases.is_empty() || opts.only_cases.contains(&c.name))
        .collect();
    let mut results = Vec::new();
    let mut tools: BTreeMap<String, TargetTools> = BTreeMap::new();
    for case in &selected {
        let ens = &case.ensemble;
        let set = verify::generate(
            ens,
            &verify::VectorOptions {
                seed: 0x7175_616c,
                random_rows: opts.random_rows,
            },
        );
        let derived: Vec<Vec<f32>> = match case.max_rows {
            Some(max) if set.rows.len() > max => {
                let stride = set.rows.len().div_ceil(max);
                set.rows.iter().step_by(stride).cloned().collect()
            }
            _ => set.rows.clone(),
        };
        // Every concrete layout that can express this case (issue 9: every
        // layout is qualified).
        // And the integer mode, which has one layout.
        let layouts: Vec<(Layout, Numeric)> = [
            (Layout::Table, Numeric::Float),
            (Layout::Branches, Numeric::Float),
            (Layout::Compact, Numeric::Float),
            (Layout::Compact, Numeric::Int),
        ]
        .into_iter()
        .filter(|(layout, numeric)| {
            Options {
                nan_policy: NanPolicy::Missing,
                layout: *layout,
                numeric: *numeric,
            }
            .unsupported(ens)
            .is_none()
                && (*layout != Layout::Branches || branches::supports(ens))
        })
        .collect();
        let runs = layouts.iter().flat_map(|l| {
            [NanPolicy::Missing, NanPolicy::Reject]
                .into_iter()
                .map(move |p| (*l, p))
        });
        for ((layout, numeric), policy) in runs {
            let policy_name = policy.name();
            let files = emit_c99(
                ens,
                &Options {
                    nan_policy: policy,
                    layout,
                    numeric,
                },
            )
            .map_err(|e| QualifyError::Case {
                case: case.name.clone(),
                message: e.to_string(),
            })?;
            // Under `reject` a row with NaN returns a status, not outputs:
            // qualify the NaN-free rows there (the status path is covered by
            // the coverage driver and tests/c99_host.rs).
            let rows: Vec<Vec<f32>> = match policy {
                NanPolicy::Missing => derived.clone(),
                NanPolicy::Reject => derived
                    .iter()
                    .filter(|r| !r.iter().any(|v| v.is_nan()))
                    .cloned()
                    .collect(),
            };
            for flags in &opts.flag_sets {
                let targets: Vec<TargetSpec> =
                    opts.targets.iter().map(|t| with_flags(t, flags)).collect();
                let report = verify::verify_with(
                    &files,
                    &rows,
                    &targets,
                    ens.n_features as usize,
                    ens.n_outputs() as usize,
                    &|r: &[f32]| crate::ir::evaluate(ens, r),
                    &VerifyOptions {
                        jobs: opts.jobs,
                        ..Default::default()
                    },
                )
                .map_err(|e| match e {
                    verify::VerifyError::ToolMissing { .. } => {
                        QualifyError::ToolMissing(e.to_string())
                    }
                    other => QualifyError::Case {
                        case: case.name.clone(),
                        message: other.to_string(),
                    },
                })?;
                let mut line = format!(
                    "{:<22} {:<8} {:<5} {:<7} {:<24}",
                    case.name,
                    layout.name(),
                    numeric.name(),
                    policy_name,
                    flags
                );
                for t in &report.targets {
                    tools
                        .entry(t.target.clone())
                        .or_insert_with(|| TargetTools {
                            target: t.target.clone(),
                            compiler_version: t.compiler_version.clone(),
                            runner_version: t.runner_version.clone(),
                        });
                    let status = match t.status {
                        TargetStatus::Pass => "pass",
                        TargetStatus::DoesNotFit => "not-applicable",
                        _ => "fail",
                    };
                    line.push_str(&format!(
                        " {}:{}",
                        t.target,
                        match status {
                            "pass" => "ok",
                            "fail" => "FAIL",
                            _ => "n/a",
                        }
                    ));
                    results.push(CaseResult {
                        case: case.name.clone(),
                        nan_policy: policy_name.into(),
                        layout: layout.name().into(),
                        numeric: numeric.name().into(),
                        target: t.target.clone(),
                        flags: flags.clone(),
                        status: status.into(),
                        rows: t.rows_run,
                        mismatches: t.mismatch_count,
                        message: t.message.clone(),
                    });
                }
                if let Some(p) = &opts.progress {
                    p(&line);
                }
            }
        }
    }
    let verdict = if results.iter().any(|r| r.status == "fail") {
        "fail"
    } else {
        "pass"
    };
    let mut embedded = BTreeMap::new();
    for (name, text) in crate::codegen::c99::TEMPLATES {
        embedded.insert(
            format!("templates/c99/{name}.j2"),
            crate::frontend::sha256_hex(text.as_bytes()),
        );
    }
    for (name, text) in crate::verify::targets::EMBEDDED {
        embedded.insert(
            format!("qemu/targets/{name}"),
            crate::frontend::sha256_hex(text.as_bytes()),
        );
    }
    embedded.insert(
        "qemu/harness.c".into(),
        crate::frontend::sha256_hex(crate::verify::targets::HARNESS_C.as_bytes()),
    );
    Ok(QualificationReport {
        schema_version: QUALIFICATION_SCHEMA_VERSION,
        timber_version: crate::version::TIMBER_VERSION.into(),
        timber_binary_sha256: crate::audit::toolchain::current_binary_sha256(),
        embedded,
        verdict: verdict.into(),
        flag_sets: opts.flag_sets.clone(),
        cases: selected
            .iter()
            .map(|c| CaseInfo {
                name: c.name.clone(),
                constructs: c.constructs.clone(),
                trees: c.ensemble.trees.len(),
                nodes: c.ensemble.n_nodes(),
            })
            .collect(),
        tools: tools.into_values().collect(),
        results,
    })
}

/// Does a qualification report cover this run's toolchain? Returns the
/// reasons it does not (empty = it does).
pub fn covers(
    q: &QualificationReport,
    binary_sha256: Option<&str>,
    targets: &[(String, String, String)],
) -> Vec<String> {
    let mut why = Vec::new();
    if q.verdict != "pass" {
        why.push("the qualification run did not pass".into());
    }
    if q.timber_version != crate::version::TIMBER_VERSION {
        why.push(format!(
            "qualified timber {}, this is timber {}",
            q.timber_version,
            crate::version::TIMBER_VERSION
        ));
    }
    if let (Some(a), Some(b)) = (q.timber_binary_sha256.as_deref(), binary_sha256) {
        if a != b {
            why.push("the qualified timber binary is not this binary (sha256 differs)".into());
        }
    }
    for (target, compiler, runner) in targets {
        match q.tools.iter().find(|t| &t.target == target) {
            None => why.push(format!("target {target} was not qualified")),
            Some(t) => {
                if &t.compiler_version != compiler {
                    why.push(format!(
                        "{target}: qualified compiler {:?}, used {:?}",
                        t.compiler_version, compiler
                    ));
                }
                if &t.runner_version != runner {
                    why.push(format!(
                        "{target}: qualified runner {:?}, used {:?}",
                        t.runner_version, runner
                    ));
                }
            }
        }
        let flags_ok = q
            .flag_sets
            .iter()
            .any(|f| f.split_whitespace().any(|x| x == "-O2"));
        if !flags_ok {
            why.push("the qualified flag sets do not include -O2, which verify builds with".into());
            break;
        }
    }
    why
}
