//! The requirement rows of a certification, derived from the bundle's
//! evidence files alone.
//!
//! `certify` calls [`derive`] on the bundle files it is about to write, and
//! `audit verify` calls it on the files it finds, so the rows an assessor
//! reads in `certification.json` and the rows the evidence supports come
//! from one function and cannot drift apart. Every figure is read from the
//! file that holds it: the model figures from `ir.json`, the rule check from
//! `check/compliance.json`, per-target results from `verify/<target>.json`,
//! the vectors from `verify/vectors.json`, coverage from
//! `coverage/coverage.json`, stack and size from `resources.json`, and the
//! qualification row from `qualification/qualification.json` and
//! `toolchain.json`, the oracle row from `oracle/comparison.json`,
//! execution time from `timing.json`, the `build:<target>` rows from
//! `build/warnings.json` ([`super::warnings`]). The verdict is the
//! conjunction of the rows.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::layout;
use super::record::{
    CheckSummary, CoverageSummary, ModelInfo, Ratio, Requirement, Status, TargetSummary,
};
use crate::profile::{BundleItem, Profile};

/// Evidence that cannot be read as what certify writes: names the bundle
/// file and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct EvidenceError {
    /// Bundle path.
    pub file: String,
    pub message: String,
}

/// The model figures of `ir.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFigures {
    pub format: String,
    pub objective: String,
    pub n_trees: usize,
    pub n_nodes: usize,
    pub n_features: u32,
    pub n_outputs: u32,
}

impl ModelFigures {
    /// The figures of an ensemble.
    pub fn of(ens: &crate::ir::Ensemble) -> ModelFigures {
        ModelFigures {
            format: ens.source.format.clone(),
            objective: ens.source.objective.clone(),
            n_trees: ens.trees.len(),
            n_nodes: ens.n_nodes(),
            n_features: ens.n_features,
            n_outputs: ens.n_outputs(),
        }
    }

    /// The record's model entry: these figures, the file name and hash.
    pub fn info(self, file_name: String, sha256: String) -> ModelInfo {
        ModelInfo {
            file_name,
            sha256,
            format: self.format,
            objective: self.objective,
            n_trees: self.n_trees,
            n_nodes: self.n_nodes,
            n_features: self.n_features,
            n_outputs: self.n_outputs,
        }
    }

    /// The figures a record's model entry states.
    pub fn recorded(m: &ModelInfo) -> ModelFigures {
        ModelFigures {
            format: m.format.clone(),
            objective: m.objective.clone(),
            n_trees: m.n_trees,
            n_nodes: m.n_nodes,
            n_features: m.n_features,
            n_outputs: m.n_outputs,
        }
    }
}

/// Everything of `certification.json` that follows from the evidence and
/// the profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub model: ModelFigures,
    /// One row per requirement of the profile, in the profile's order.
    pub requirements: Vec<Requirement>,
    /// Pass exactly when every row passes.
    pub verdict: Status,
    pub targets: Vec<TargetSummary>,
    pub coverage: Option<CoverageSummary>,
    pub check: CheckSummary,
}

// What is read of each evidence file (unknown fields are ignored: the files
// carry more than the rows need).

#[derive(Deserialize)]
struct Compliance {
    files: Vec<String>,
    findings: Vec<ComplianceFinding>,
    parse_issues: Vec<serde_json::Value>,
    summary: Vec<ComplianceGuideline>,
}

#[derive(Deserialize)]
struct ComplianceFinding {
    category: String,
    #[serde(default)]
    deviation: Option<String>,
}

#[derive(Deserialize)]
struct ComplianceGuideline {
    enforcement: String,
    status: String,
}

#[derive(Deserialize)]
struct Vectors {
    rows: usize,
    n_outputs: usize,
    inputs: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct VerifyTarget {
    target: String,
    description: String,
    status: String,
    compiler_version: String,
    runner_version: String,
    rows_run: usize,
    mismatch_count: usize,
    message: Option<String>,
    #[serde(default)]
    batch_api: Option<BatchApi>,
    #[serde(default)]
    fp_flags: Option<crate::verify::fpflags::FpFlagsReport>,
}

/// `batch_api` of verify/<target>.json (see `verify::batch`).
#[derive(Deserialize)]
struct BatchApi {
    block_sizes: Vec<usize>,
    calls: u64,
    mismatch_count: usize,
}

#[derive(Deserialize)]
struct Coverage {
    statement: Ratio,
    branch: Ratio,
    mcdc: Option<Ratio>,
    #[serde(default)]
    decisions: Option<Vec<crate::coverage::DecisionCount>>,
}

#[derive(Deserialize)]
struct Resources {
    targets: Vec<ResourceTarget>,
}

#[derive(Deserialize)]
struct ResourceTarget {
    target: String,
    model_size: Option<Sizes>,
    stack: ResourceStack,
}

#[derive(Deserialize)]
struct Sizes {
    text: u64,
    rodata: u64,
    data: u64,
    bss: u64,
}

#[derive(Deserialize)]
struct ResourceStack {
    measured_peak: Option<u64>,
    static_max_chain: Option<u64>,
    #[serde(default)]
    bound: Option<StackBoundRecord>,
}

#[derive(Deserialize)]
struct StackBoundRecord {
    bytes: Option<u64>,
    method: String,
    chain: Vec<ChainEntry>,
    refused: Option<String>,
}

#[derive(Deserialize)]
struct ChainEntry {
    function: String,
    bytes: Option<u64>,
}

#[derive(Deserialize)]
struct ToolchainBinary {
    timber_binary_sha256: Option<String>,
}

/// Parse bundle file `path` of `files` as `T`.
pub(super) fn read<T: DeserializeOwned>(
    files: &BTreeMap<String, Vec<u8>>,
    path: &str,
) -> Result<T, EvidenceError> {
    let bytes = files.get(path).ok_or_else(|| EvidenceError {
        file: path.to_string(),
        message: "missing: the requirement rows are derived from it".into(),
    })?;
    serde_json::from_slice(bytes).map_err(|e| EvidenceError {
        file: path.to_string(),
        message: format!("not the evidence certify writes: {e}"),
    })
}

/// Derive the requirement rows and summaries from the bundle files `files`
/// (bundle path -> bytes) under `profile`. `model_file_name` is only used
/// in the oracle row's message when the framework predictions are missing.
///
/// Errors when a file the rows need is missing or unreadable; the error
/// names the file and, for JSON, the line, column and field.
pub fn derive(
    profile: &Profile,
    files: &BTreeMap<String, Vec<u8>>,
    model_file_name: &str,
) -> Result<Derived, EvidenceError> {
    let model = model_figures(files)?;
    let compliance: Compliance = read(files, layout::CHECK_SUMMARY)?;
    let vectors: Vectors = read(files, layout::VECTORS)?;
    let resources: Resources = read(files, layout::RESOURCES)?;
    let coverage: Option<Coverage> = if files.contains_key(layout::COVERAGE) {
        Some(read(files, layout::COVERAGE)?)
    } else {
        None
    };
    // Targets in the order they were verified (resources.json keeps it).
    let mut targets: Vec<(VerifyTarget, &ResourceTarget)> = Vec::new();
    for r in &resources.targets {
        let path = layout::verify_file(&r.target);
        let t: VerifyTarget = read(files, &path)?;
        if t.target != r.target {
            return Err(EvidenceError {
                file: path,
                message: format!(
                    "field `target` is {:?}, but resources.json lists this file for {:?}",
                    t.target, r.target
                ),
            });
        }
        targets.push((t, r));
    }
    let nan_rows = nan_row_count(&vectors)?;
    let mut check = CheckSummary {
        files: compliance.files.len(),
        guidelines_enforced: compliance
            .summary
            .iter()
            .filter(|g| g.enforcement == "checker" && g.status != "disapplied")
            .count(),
        findings: compliance.findings.len(),
        failing: compliance
            .findings
            .iter()
            .filter(|f| f.deviation.is_none() && f.category != "advisory")
            .count(),
        deviated: compliance
            .findings
            .iter()
            .filter(|f| f.deviation.is_some())
            .count(),
        coverage: None,
    };
    let budget = profile.requirements.stack_budget_bytes;

    let mut out = Vec::new();
    out.push(Requirement {
        id: "model".into(),
        title: "Model parsed and validated into the IR".into(),
        demanded: "acyclic trees, every node reachable, features in range, finite leaves".into(),
        measured: format!(
            "{} trees, {} nodes, {} features, {} outputs ({})",
            model.n_trees, model.n_nodes, model.n_features, model.n_outputs, model.objective
        ),
        status: Status::Pass,
        evidence: vec![layout::IR.into()],
    });
    out.push(super::misra::row(
        profile,
        files,
        &mut check,
        compliance.parse_issues.len(),
    )?);
    let all_identical = targets.iter().all(|(t, _)| t.status == "pass");
    out.push(Requirement {
        id: "numeric".into(),
        title: "Numeric policy".into(),
        demanded: format!(
            "NaN inputs: {}; every output bit equal to the reference evaluator",
            profile.numeric.nan_policy
        ),
        measured: format!(
            "{} rows x {} outputs on {} targets: {}",
            vectors.rows,
            vectors.n_outputs,
            targets.len(),
            if all_identical && profile.numeric.nan_policy == "reject" {
                format!(
                    "all bits identical; the {nan_rows} rows with a NaN input returned TIMBER_ERR_NAN as required"
                )
            } else if all_identical {
                "all bits identical".to_string()
            } else {
                let bad: Vec<&str> = targets
                    .iter()
                    .filter(|(t, _)| t.status != "pass")
                    .map(|(t, _)| t.target.as_str())
                    .collect();
                format!("differs or did not run on {}", bad.join(", "))
            }
        ),
        status: Status::from_bool(all_identical),
        evidence: vec![layout::VECTORS.into()],
    });
    for (t, _) in &targets {
        let batch_ok = t.batch_api.as_ref().is_some_and(|b| b.mismatch_count == 0);
        let fp_ok = t.fp_flags.as_ref().is_none_or(|f| f.clean());
        let fp_note = t
            .fp_flags
            .as_ref()
            .map(|f| format!("; FP exception flags: {}", f.summary()))
            .unwrap_or_default();
        let measured = match (t.status.as_str(), &t.batch_api) {
            ("pass", Some(b)) => format!(
                "{}/{} rows bit-identical; timber_infer: {} calls in blocks of {} rows, {}",
                t.rows_run,
                vectors.rows,
                b.calls,
                crate::verify::batch::block_list(&b.block_sizes),
                if b.mismatch_count == 0 {
                    "identical to the single-row calls".to_string()
                } else {
                    format!("{} outputs or statuses differ", b.mismatch_count)
                }
            ),
            ("pass", None) => format!(
                "{}/{} rows bit-identical; the batch API timber_infer was not run",
                t.rows_run, vectors.rows
            ),
            ("mismatch", b) => format!(
                "{} outputs differ ({} rows run){}",
                t.mismatch_count,
                t.rows_run,
                b.as_ref()
                    .filter(|b| b.mismatch_count > 0)
                    .map(|b| format!(", {} of them from timber_infer", b.mismatch_count))
                    .unwrap_or_default()
            ),
            (other, _) => format!("{other}: {}", t.message.clone().unwrap_or_default()),
        };
        out.push(Requirement {
            id: format!("verify:{}", t.target),
            title: format!("Bit-identical on {}", t.target),
            demanded: format!(
                "{} rows, every output bit equal to the reference, from timber_infer_single and \
                 from timber_infer in blocks of 1, 7 and all rows; no invalid or divide-by-zero \
                 exception where the FPU flags can be read",
                vectors.rows
            ),
            measured: format!("{measured}{fp_note}"),
            status: Status::from_bool(t.status == "pass" && batch_ok && fp_ok),
            evidence: vec![layout::verify_file(&t.target), layout::VECTORS.into()],
        });
    }
    let target_names: Vec<String> = targets.iter().map(|(t, _)| t.target.clone()).collect();
    out.extend(super::warnings::rows(files, &target_names)?);
    let req = profile.requirements.coverage;
    for (id, title, unit, demanded, got) in [
        (
            "coverage:statement",
            "Statement coverage of the generated C, measured as gcov line coverage (host)",
            "executable lines",
            req.statement,
            coverage.as_ref().map(|c| c.statement),
        ),
        (
            "coverage:branch",
            "Branch coverage of the generated C (gcov branch arcs, host)",
            "branch arcs",
            req.branch,
            coverage.as_ref().map(|c| c.branch),
        ),
        (
            "coverage:mcdc",
            "MC/DC of the generated C (clang source-based coverage, host)",
            "conditions",
            req.mcdc,
            coverage.as_ref().and_then(|c| c.mcdc),
        ),
    ] {
        let Some(min) = demanded else { continue };
        let decisions = coverage.as_ref().and_then(|c| c.decisions.as_deref());
        let (measured, ok) = match (got, decisions) {
            (Some(r), Some(d)) if id == "coverage:mcdc" => {
                (crate::coverage::mcdc_text(&r, d), r.percent() + 1e-9 >= min)
            }
            (Some(r), _) => (
                format!("{:.1} % ({}/{} {unit})", r.percent(), r.covered, r.total),
                r.percent() + 1e-9 >= min,
            ),
            (None, _) => ("not measured".to_string(), false),
        };
        out.push(Requirement {
            id: id.into(),
            title: title.into(),
            demanded: format!(">= {min:.1} %"),
            measured,
            status: Status::from_bool(ok),
            evidence: vec![layout::COVERAGE.into()],
        });
    }
    if let Some(budget) = budget {
        for (t, r) in &targets {
            let (measured, ok) = stack_row(&r.stack, budget);
            out.push(Requirement {
                id: format!("stack:{}", t.target),
                title: format!("Stack per inference call on {}", t.target),
                demanded: format!("<= {budget} B"),
                measured,
                status: Status::from_bool(ok),
                evidence: vec![layout::RESOURCES.into(), layout::verify_file(&t.target)],
            });
        }
    }
    if files.contains_key(layout::QUALIFICATION) {
        out.push(qualification_row(files, &targets)?);
    }
    let oracle: Option<crate::certify::oracle::OracleReport> =
        if files.contains_key(layout::ORACLE_COMPARISON) {
            Some(read(files, layout::ORACLE_COMPARISON)?)
        } else {
            None
        };
    if let Some(row) = crate::certify::oracle::requirement(
        oracle.as_ref(),
        profile.requirements.oracle,
        model_file_name,
    ) {
        out.push(row);
    }
    let mut timing = BTreeMap::new();
    if let Some(t) = &profile.requirements.timing {
        let names: Vec<&str> = targets.iter().map(|(t, _)| t.target.as_str()).collect();
        if files.contains_key(layout::TIMING) {
            let file: super::timing::TimingFile = read(files, layout::TIMING)?;
            let (rows, figures) = super::timing::rows(t, &file, &names, &vectors.inputs)?;
            out.extend(rows);
            timing = figures;
        } else {
            out.extend(super::timing::missing_rows(t, &names));
        }
    }
    out.push(bundle_row(profile, files));

    let verdict = Status::from_bool(out.iter().all(|r| r.status == Status::Pass));
    let target_summaries = targets
        .iter()
        .map(|(t, r)| TargetSummary {
            name: t.target.clone(),
            description: t.description.clone(),
            status: t.status.clone(),
            rows_run: t.rows_run,
            mismatches: t.mismatch_count,
            text: r.model_size.as_ref().map(|s| s.text),
            rodata: r.model_size.as_ref().map(|s| s.rodata),
            data: r.model_size.as_ref().map(|s| s.data),
            bss: r.model_size.as_ref().map(|s| s.bss),
            // The figure the stack row decides on: the sound bound.
            stack_estimate: r.stack.bound.as_ref().and_then(|b| b.bytes),
            stack_measured: r.stack.measured_peak.or(r.stack.static_max_chain),
            stack_budget: budget,
            timing: timing.get(&t.target).cloned(),
        })
        .collect();
    Ok(Derived {
        model,
        requirements: out,
        verdict,
        targets: target_summaries,
        coverage: coverage.map(|c| CoverageSummary {
            statement: c.statement,
            branch: c.branch,
            mcdc: c.mcdc,
            decisions: c.decisions,
        }),
        check,
    })
}

/// A stack row decides on the bound alone; the painted peak is shown as
/// corroboration (and a peak above the bound fails: the bound is wrong).
fn stack_row(s: &ResourceStack, budget: u64) -> (String, bool) {
    let painted = s
        .measured_peak
        .map(|p| format!("; painted peak {p} B under QEMU"))
        .unwrap_or_default();
    let Some(b) = &s.bound else {
        return ("no stack bound recorded".to_string(), false);
    };
    let Some(bytes) = b.bytes else {
        return (
            format!(
                "no sound bound: {}{painted}",
                b.refused.as_deref().unwrap_or("not computed")
            ),
            false,
        );
    };
    let chain: Vec<String> = b
        .chain
        .iter()
        .map(|f| match f.bytes {
            Some(n) => format!("{} {n}", f.function),
            None => f.function.clone(),
        })
        .collect();
    let method = b.method.split(':').next().unwrap_or(&b.method);
    let text = format!("bound {bytes} B ({method}: {}){painted}", chain.join(" > "));
    if let Some(p) = s.measured_peak.filter(|p| *p > bytes) {
        return (
            format!("{text}; the painted peak {p} B exceeds the bound"),
            false,
        );
    }
    (text, bytes <= budget)
}

fn model_figures(files: &BTreeMap<String, Vec<u8>>) -> Result<ModelFigures, EvidenceError> {
    let bad = |message: String| EvidenceError {
        file: layout::IR.into(),
        message,
    };
    let bytes = files
        .get(layout::IR)
        .ok_or_else(|| bad("missing: the requirement rows are derived from it".into()))?;
    let text = std::str::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8: {e}")))?;
    let ens = crate::ir::Ensemble::from_json(text).map_err(|e| bad(e.to_string()))?;
    Ok(ModelFigures::of(&ens))
}

/// Rows of verify/vectors.json with at least one NaN input.
fn nan_row_count(v: &Vectors) -> Result<usize, EvidenceError> {
    let mut n = 0;
    for (i, row) in v.inputs.iter().enumerate() {
        let mut nan = false;
        for (j, hex) in row.iter().enumerate() {
            let bits = u32::from_str_radix(hex, 16).map_err(|_| EvidenceError {
                file: layout::VECTORS.into(),
                message: format!("inputs[{i}][{j}] {hex:?} is not 8 hex digits of float bits"),
            })?;
            nan |= f32::from_bits(bits).is_nan();
        }
        n += usize::from(nan);
    }
    Ok(n)
}

/// Does the bundle's qualification report cover this run's timber binary,
/// compilers and emulators?
fn qualification_row(
    files: &BTreeMap<String, Vec<u8>>,
    targets: &[(VerifyTarget, &ResourceTarget)],
) -> Result<Requirement, EvidenceError> {
    let q: crate::qualify::QualificationReport = read(files, layout::QUALIFICATION)?;
    let tc: ToolchainBinary = read(files, layout::TOOLCHAIN)?;
    let used: Vec<(String, String, String)> = targets
        .iter()
        .map(|(t, _)| {
            (
                t.target.clone(),
                t.compiler_version.clone(),
                t.runner_version.clone(),
            )
        })
        .collect();
    let why = crate::qualify::covers(&q, tc.timber_binary_sha256.as_deref(), &used);
    Ok(Requirement {
        id: "qualification".into(),
        title: "Tool qualification report covers this toolchain".into(),
        demanded: "a passing `timber qualify` run of this timber binary with these compilers and emulators on every target".into(),
        measured: if why.is_empty() {
            format!(
                "covered: {} cases, {} runs, flag sets {}",
                q.cases.len(),
                q.results.len(),
                q.flag_sets.join(" | ")
            )
        } else {
            why.join("; ")
        },
        status: Status::from_bool(why.is_empty()),
        evidence: vec![layout::QUALIFICATION.into(), layout::TOOLCHAIN.into()],
    })
}

/// The bundle holds what the profile requires. The attestations and the
/// report are written after the rows (from them), so they count as
/// present.
fn bundle_row(profile: &Profile, files: &BTreeMap<String, Vec<u8>>) -> Requirement {
    let present = |item: BundleItem| -> bool {
        match item {
            BundleItem::Ir => files.contains_key(layout::IR),
            BundleItem::Sources => files
                .keys()
                .any(|k| k.starts_with(&format!("{}/", layout::SOURCES_DIR))),
            BundleItem::Check => files.contains_key(layout::CHECK_SARIF),
            BundleItem::Verification => files
                .keys()
                .any(|k| k.starts_with(&format!("{}/", layout::VERIFY_DIR))),
            BundleItem::Coverage => files.contains_key(layout::COVERAGE),
            BundleItem::Resources => files.contains_key(layout::RESOURCES),
            BundleItem::Toolchain => files.contains_key(layout::TOOLCHAIN),
            BundleItem::Traceability => files.contains_key(layout::TRACEABILITY),
            BundleItem::Provenance | BundleItem::TestResult | BundleItem::Report => true,
        }
    };
    let missing: Vec<&str> = profile
        .bundle
        .require
        .iter()
        .filter(|i| !present(**i))
        .map(|i| i.as_str())
        .collect();
    let required: Vec<&str> = profile.bundle.require.iter().map(|i| i.as_str()).collect();
    Requirement {
        id: "bundle".into(),
        title: "Audit bundle contents".into(),
        demanded: required.join(", "),
        measured: if missing.is_empty() {
            "all present, sha256 manifest".into()
        } else {
            format!("missing: {}", missing.join(", "))
        },
        status: Status::from_bool(missing.is_empty()),
        evidence: vec![layout::MANIFEST.into()],
    }
}
