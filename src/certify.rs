//! `certify`: the main job. One model, one safety profile, one direction:
//! parse -> validate -> generate -> check -> host build with coverage ->
//! verify on the profile's targets -> bundle -> verdict.
//!
//! Every requirement of the profile becomes one row of the certification
//! record with what was demanded, what was measured, and the bundle files
//! that hold the evidence. The bundle is written to a temporary sibling
//! directory and renamed into place at the end, so an interrupted run never
//! leaves a half bundle that looks complete.

use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

use crate::audit::layout;
use crate::audit::record::{
    Certification, GenerationOptions, ProfileInfo, CERTIFICATION_SCHEMA_VERSION,
};
use crate::audit::requirements::ModelFigures;
use crate::audit::{toolchain, traceability};
use crate::check::catalogue::Guideline;
use crate::check::deviation::{Deviation, Recategorization};
use crate::codegen::c99::{emit_c99, Layout, NanPolicy, Numeric, Options as C99Options};
use crate::coverage::{self, CoverageOptions, CoverageReport};
use crate::frontend::{self, FormatChoice};
use crate::profile::{AdvisoryPolicy, BundleItem, Profile};
use crate::verify::{self, TargetSpec, VerifyOptions, VerifyReport};

pub mod build;
pub mod oracle;

/// Called with a one-line message at the start of each stage.
pub type StageHook = Box<dyn Fn(&str) + Sync + Send>;

/// What to certify and how.
pub struct CertifyOptions {
    pub model: PathBuf,
    pub format: FormatChoice,
    /// The resolved profile (one level).
    pub profile: Profile,
    /// A user's deviation records and re-categorisation plan, already
    /// parsed against the catalogue; `origin` names the file.
    pub deviations: Vec<Deviation>,
    pub recategorizations: Vec<Recategorization>,
    /// Targets verified beyond the profile's own.
    pub extra_targets: Vec<String>,
    /// A `timber qualify` report (qualification.json): when given, the
    /// bundle carries it and a requirement row says whether it covers this
    /// run's timber binary, compilers and emulators.
    pub qualification: Option<PathBuf>,
    /// A MISRA review record (TOML, [`crate::audit::review`]) for the
    /// guidelines the checker does not decide; None: timber's shipped
    /// record applies, and the misra row says it is not the user's.
    pub review: Option<PathBuf>,
    /// The framework's predictions of the verification vectors
    /// (scripts/oracle.py): when given, or when the profile demands it, a
    /// requirement row compares them with the reference evaluator.
    pub oracle: Option<PathBuf>,
    pub seed: u64,
    pub random_rows: usize,
    /// Code layout (`auto` is resolved for the model and recorded as the
    /// concrete layout in certification.json).
    pub layout: Layout,
    /// Float or integer comparisons in the tree walk (recorded in
    /// certification.json).
    pub numeric: Numeric,
    /// The bundle directory (must not exist unless `force`; even then only
    /// an empty directory or an earlier bundle is replaced).
    pub out: PathBuf,
    pub force: bool,
    /// Other input files of the run (e.g. the deviation records): the
    /// bundle directory may not hold them.
    pub input_files: Vec<PathBuf>,
    /// Progress hooks and parallelism of the verify stage.
    pub verify: VerifyOptions,
    /// Called with a one-line message at the start of each stage.
    pub stage: Option<StageHook>,
}

/// What certify produced.
#[derive(Debug)]
pub struct CertifyOutcome {
    pub certification: Certification,
    /// sha256 of the bundle's manifest.json: one hash that pins the bundle.
    pub root_sha256: String,
    pub bundle: PathBuf,
    /// Files in the bundle (manifest included).
    pub files: usize,
}

/// Why certify could not reach a verdict.
#[derive(Debug, Error)]
pub enum CertifyError {
    #[error(transparent)]
    Frontend(#[from] frontend::FrontendError),
    #[error("generating C: {0}")]
    Codegen(String),
    #[error("{0}")]
    Input(String),
    /// A needed external tool is missing (exit 3).
    #[error("{0}")]
    ToolMissing(String),
    #[error("{0}")]
    Stage(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CertifyError {
    let context = context.into();
    move |source| CertifyError::Io { context, source }
}

/// Reads a model file into the IR: the frontend certify uses.
pub type Frontend<'a> =
    &'a dyn Fn(&Path, &[u8], FormatChoice) -> Result<crate::ir::Ensemble, frontend::FrontendError>;

/// Run the whole pipeline and write the bundle.
pub fn certify(opts: &CertifyOptions) -> Result<CertifyOutcome, CertifyError> {
    certify_with_frontend(opts, &frontend::load_model_bytes)
}

/// [`certify`] with the model read by `read` instead of timber's frontend
/// (tests plant frontend faults this way and show the oracle catching
/// what the reference and the generated C agree on).
pub fn certify_with_frontend(
    opts: &CertifyOptions,
    read: Frontend<'_>,
) -> Result<CertifyOutcome, CertifyError> {
    certify_planted(opts, read, &|_| {})
}

/// [`certify_with_frontend`] with `plant` applied to the generated files
/// before anything checks, builds or runs them (tests plant a defect in
/// the C this way and show the evidence catching it).
pub fn certify_planted(
    opts: &CertifyOptions,
    read: Frontend<'_>,
    plant: &dyn Fn(&mut [crate::codegen::GeneratedFile]),
) -> Result<CertifyOutcome, CertifyError> {
    run(opts, read, plant, None)
}

/// One shard of a sharded certification: the run of [`certify`] on
/// exactly `targets` (the profile's own and `extra_targets` are ignored),
/// written as a partial bundle (`partial.json` names its targets) that
/// `audit verify` refuses as a release bundle and `timber audit merge`
/// joins with the other shards into the bundle of one run over all of
/// them (see [`crate::audit::merge`]).
pub fn certify_partial(
    opts: &CertifyOptions,
    targets: &[String],
) -> Result<CertifyOutcome, CertifyError> {
    run(opts, &frontend::load_model_bytes, &|_| {}, Some(targets))
}

fn run(
    opts: &CertifyOptions,
    read: Frontend<'_>,
    plant: &dyn Fn(&mut [crate::codegen::GeneratedFile]),
    shard: Option<&[String]>,
) -> Result<CertifyOutcome, CertifyError> {
    let stage = |msg: &str| {
        if let Some(s) = &opts.stage {
            s(msg);
        }
    };
    let profile = &opts.profile;
    let catalogue = crate::check::catalogue::guidelines()
        .map_err(|e| CertifyError::Stage(format!("rule catalogue: {e}")))?;
    let timestamp = source_date_epoch()?;

    // Targets: the profile's, then any extras, without duplicates (a
    // shard: its own targets only).
    let mut target_names: Vec<String> = match shard {
        Some(_) => Vec::new(),
        None => profile.requirements.targets.clone(),
    };
    for t in shard.unwrap_or(&opts.extra_targets) {
        if !target_names.contains(t) {
            target_names.push(t.clone());
        }
    }
    let targets: Vec<TargetSpec> = verify::targets::select(&target_names.join(","))
        .map_err(|e| CertifyError::Input(e.to_string()))?;

    // Out directory: checked before any work; only an absent or empty
    // directory or an earlier bundle is ever written (see audit::outdir).
    check_out(opts)?;
    // Tools first: a missing toolchain is exit 3 whatever the model.
    verify::check_tools(&targets).map_err(|e| CertifyError::ToolMissing(e.to_string()))?;
    if targets.iter().any(|t| t.name == "host") && build::find_clang().is_none() {
        return Err(CertifyError::ToolMissing(
            build::BuildError::ClangMissing.to_string(),
        ));
    }
    let cov_req = profile.requirements.coverage;
    let want_coverage = cov_req.any() || profile.bundle.require.contains(&BundleItem::Coverage);

    let qualification = match &opts.qualification {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(io_err(format!(
                "{}: cannot read the qualification report",
                path.display()
            )))?;
            let report: crate::qualify::QualificationReport = serde_json::from_slice(&bytes)
                .map_err(|e| {
                    CertifyError::Input(format!(
                        "{}: not a timber qualification report: {e}",
                        path.display()
                    ))
                })?;
            Some((bytes, report))
        }
        None => None,
    };

    let review_bytes = read_review(opts.review.as_deref(), &catalogue)?;

    let predictions = match &opts.oracle {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(io_err(format!(
                "{}: cannot read the oracle predictions",
                path.display()
            )))?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let origin = path.display().to_string();
            let p =
                oracle::parse(&text, &origin).map_err(|e| CertifyError::Input(e.to_string()))?;
            Some((bytes, origin, p))
        }
        None => None,
    };

    stage("parsing and validating the model");
    let model_bytes = frontend::read_model_file(&opts.model)?;
    let model_sha256 = frontend::sha256_hex(&model_bytes);
    let ens = read(&opts.model, &model_bytes, opts.format)?;

    stage("generating C99");
    let nan_policy = match profile.numeric.nan_policy.as_str() {
        "reject" => NanPolicy::Reject,
        _ => NanPolicy::Missing,
    };
    let codegen = C99Options {
        nan_policy,
        layout: opts.layout,
        numeric: opts.numeric,
    }
    .resolved(&ens);
    let mut files = emit_c99(&ens, &codegen).map_err(|e| CertifyError::Codegen(e.to_string()))?;
    plant(&mut files);
    let ir_json = ens.to_canonical_json();

    stage("checking the generated C against MISRA C:2012");
    let mut config = crate::check::Config::default();
    if let Some(d) = opts
        .deviations
        .iter()
        .find(|d| !profile.permits_deviation(&d.rule))
    {
        return Err(CertifyError::Input(format!(
            "deviation {} covers {}, which profile {} does not permit deviations for (permitted: {})",
            d.id,
            d.rule,
            profile.label(),
            profile.check.deviations_permitted.join(", ")
        )));
    }
    config.deviations = opts.deviations.clone();
    config.recategorizations = crate::profile::merge_recategorizations(
        profile.recategorizations(&catalogue),
        opts.recategorizations.clone(),
    );
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|f| (layout::source_file(&f.name), f.contents.clone()))
        .collect();
    let check = crate::check::check_sources(sources, &config)
        .map_err(|e| CertifyError::Stage(format!("rule check: {e:#}")))?;

    let set = verify::generate(
        &ens,
        &verify::VectorOptions {
            seed: opts.seed,
            random_rows: opts.random_rows,
        },
    );
    let rows = set.rows;
    let oracle_report = match &predictions {
        Some((_, origin, p)) => {
            let csv = verify::vectors_csv::to_csv(ens.n_features as usize, &rows);
            let vectors_sha256 = frontend::sha256_hex(csv.as_bytes());
            oracle::check_provenance(p, origin, &ens, &model_sha256, &vectors_sha256, rows.len())
                .map_err(|e| CertifyError::Input(e.to_string()))?;
            stage("comparing with the framework's own predictions (oracle)");
            Some(oracle::compare(&ens, &rows, p))
        }
        None => None,
    };

    let coverage_report = if want_coverage {
        stage(if cov_req.mcdc.is_some() {
            "measuring statement, branch and MC/DC coverage on the host"
        } else {
            "measuring statement and branch coverage on the host"
        });
        let r = coverage::measure(
            &files,
            &rows,
            &CoverageOptions {
                mcdc: cov_req.mcdc.is_some(),
                build_dir: None,
            },
        )
        .map_err(|e| match e {
            coverage::CoverageError::ToolMissing { .. } => CertifyError::ToolMissing(e.to_string()),
            other => CertifyError::Stage(format!("coverage: {other}")),
        })?;
        Some(r)
    } else {
        None
    };

    stage(&format!(
        "verifying on {} target(s): {}",
        targets.len(),
        target_names.join(", ")
    ));
    let mut verify_opts = opts.verify.clone();
    verify_opts.reject_nan = nan_policy == NanPolicy::Reject;
    // Instructions are counted (a slow traced run) only for a timing budget.
    verify_opts.count_instructions = profile.requirements.timing.is_some();
    let mut report = verify::verify_with(
        &files,
        &rows,
        &targets,
        ens.n_features as usize,
        ens.n_outputs() as usize,
        &|r: &[f32]| crate::ir::evaluate(&ens, r),
        &verify_opts,
    )
    .map_err(|e| match e {
        verify::VerifyError::ToolMissing { .. } => CertifyError::ToolMissing(e.to_string()),
        other => CertifyError::Stage(format!("verify: {other}")),
    })?;
    stage("building the generated C with every warning an error on each target");
    let warnings = build::warning_builds(&files, &targets).map_err(|e| match e {
        build::BuildError::ClangMissing => CertifyError::ToolMissing(e.to_string()),
        other => CertifyError::Stage(format!("warning build: {other}")),
    })?;
    report.coverage = Some(verify::coverage(&ens, &rows));
    verify::attach_stack_estimates(&mut report, &ens, &codegen, &targets);
    report.clear_timings();
    let object_coverage = crate::audit::object_coverage::take_from_report(&mut report, &targets);
    let timing_file = profile
        .requirements
        .timing
        .is_some()
        .then(|| crate::audit::timing::take_from_report(&mut report, &targets, &rows));

    stage("writing the audit bundle");
    let model_file_name = opts
        .model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    // Bundle files, by bundle path.
    let mut bundle: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let put = |b: &mut BTreeMap<String, Vec<u8>>, path: &str, bytes: Vec<u8>| {
        b.insert(path.to_string(), bytes);
    };
    put(&mut bundle, layout::IR, ir_json.into_bytes());
    for f in &files {
        put(
            &mut bundle,
            &layout::source_file(&f.name),
            f.contents.clone().into_bytes(),
        );
    }
    let sarif = crate::check::report::sarif(&check, &catalogue);
    put(&mut bundle, layout::CHECK_SARIF, json_bytes(&sarif)?);
    put(
        &mut bundle,
        layout::CHECK_SUMMARY,
        json_bytes(&json!({
            "schema_version": 1,
            "files": check.files,
            "findings": check.findings,
            "parse_issues": check.parse_issues,
            "deviations": check.deviations,
            "unused_deviations": check.unused_deviations,
            "summary": check.summary,
        }))?,
    );
    put(&mut bundle, layout::CHECK_REVIEW, review_bytes);
    put(
        &mut bundle,
        layout::CHECK_PLAN,
        json_bytes(&guideline_plan(
            &catalogue,
            &config.recategorizations,
            profile,
        ))?,
    );
    for t in &report.targets {
        put(&mut bundle, &layout::verify_file(&t.target), json_bytes(t)?);
    }
    let model_c = files.iter().find(|f| f.name == "model.c");
    for (path, bytes) in crate::audit::outputs::bundle_files(
        &report,
        &rows,
        ens.n_features as usize,
        model_c
            .filter(|_| coverage_report.is_some())
            .map(|f| f.contents.as_str()),
    ) {
        put(&mut bundle, &path, bytes);
    }
    put(
        &mut bundle,
        layout::VECTORS,
        json_bytes(&vectors_json(&ens, &rows, &report))?,
    );
    put(&mut bundle, layout::WARNINGS, json_bytes(&warnings)?);
    if let Some(c) = &coverage_report {
        put(&mut bundle, layout::COVERAGE, json_bytes(c)?);
    }
    put(
        &mut bundle,
        layout::RESOURCES,
        json_bytes(&resources_json(
            &report,
            profile.requirements.stack_budget_bytes,
        ))?,
    );
    if let Some(t) = &timing_file {
        put(&mut bundle, layout::TIMING, json_bytes(t)?);
    }
    if let Some(c) = &object_coverage {
        put(&mut bundle, layout::OBJECT_COVERAGE, json_bytes(c)?);
    }
    let embedded = toolchain::embedded_hashes(&profile.origin, &profile.sha256);
    let tc = toolchain::Toolchain {
        schema_version: 1,
        timber_version: crate::version::TIMBER_VERSION.to_string(),
        timber_binary_sha256: toolchain::current_binary_sha256(),
        timber_source_commit: crate::version::SOURCE_COMMIT.to_string(),
        timber_source_state: crate::version::SOURCE_STATE.to_string(),
        embedded: embedded.clone(),
        tools: tool_identities(&report, &targets, coverage_report.as_ref()),
    };
    put(&mut bundle, layout::TOOLCHAIN, json_bytes(&tc)?);
    let trace = traceability::trace(
        &files,
        ens.trees.iter().map(|t| t.source_id as u64).collect(),
    );
    put(&mut bundle, layout::TRACEABILITY, json_bytes(&trace)?);

    if let Some((bytes, _, _)) = &predictions {
        put(&mut bundle, layout::ORACLE_PREDICTIONS, bytes.clone());
    }
    if let Some(r) = &oracle_report {
        put(&mut bundle, layout::ORACLE_COMPARISON, json_bytes(r)?);
    }
    if let Some((bytes, _)) = &qualification {
        put(&mut bundle, layout::QUALIFICATION, bytes.clone());
    }
    if profile.origin != "builtin" {
        put(
            &mut bundle,
            layout::PROFILE,
            profile.text.clone().into_bytes(),
        );
    }

    // Assumptions of use: derived from the records above, as audit verify
    // re-derives them.
    for (path, bytes) in
        crate::audit::assumptions::bundle_files(&bundle, &profile.numeric.nan_policy)
            .map_err(|e| CertifyError::Stage(format!("assumptions of use: {e}")))?
    {
        put(&mut bundle, &path, bytes);
    }

    // Requirements, now that every piece of evidence is known: derived from
    // the bundle files themselves, by the function `audit verify` re-runs.
    let derived = crate::audit::requirements::derive(profile, &bundle, &model_file_name)
        .map_err(|e| CertifyError::Stage(format!("deriving the requirement rows: {e}")))?;
    let cert = Certification {
        schema_version: CERTIFICATION_SCHEMA_VERSION,
        generator: format!("timber {}", crate::version::TIMBER_VERSION),
        verdict: derived.verdict,
        model: ModelFigures::of(&ens).info(model_file_name.clone(), model_sha256.clone()),
        profile: ProfileInfo {
            name: profile.name.clone(),
            standard: profile.standard.clone(),
            level: profile.level.clone(),
            sha256: profile.sha256.clone(),
            origin: profile.origin.clone(),
        },
        options: GenerationOptions {
            nan_policy: profile.numeric.nan_policy.clone(),
            layout: codegen.layout.name().to_string(),
            numeric: codegen.numeric.name().to_string(),
            seed: opts.seed,
            random_rows: opts.random_rows,
        },
        requirements: derived.requirements,
        targets: derived.targets,
        coverage: derived.coverage,
        check: derived.check,
        timestamp,
    };

    if let Some(shard) = shard {
        put(
            &mut bundle,
            layout::PARTIAL,
            json_bytes(&crate::audit::merge::partial_record(shard))?,
        );
    }
    crate::audit::seal::seal(
        &mut bundle,
        &cert,
        &embedded,
        tc.timber_binary_sha256.as_deref(),
    )
    .map_err(|e| CertifyError::Stage(format!("sealing the bundle: {e:#}")))?;

    // The directory may have changed during the run: check it again.
    check_out(opts)?;
    let (root_sha256, n_files) = write_bundle(&opts.out, &bundle)?;
    Ok(CertifyOutcome {
        certification: cert,
        root_sha256,
        bundle: opts.out.clone(),
        files: n_files,
    })
}

/// The review record's bytes: the file given (parsed first, so a bad
/// record is exit 2 naming file, line and field, before any work), or
/// timber's shipped record.
fn read_review(path: Option<&Path>, catalogue: &[Guideline]) -> Result<Vec<u8>, CertifyError> {
    let Some(path) = path else {
        return Ok(crate::audit::review::SHIPPED.as_bytes().to_vec());
    };
    let bytes = std::fs::read(path).map_err(io_err(format!(
        "{}: cannot read the review record",
        path.display()
    )))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        CertifyError::Input(format!(
            "{}: the review record is not UTF-8: {e}",
            path.display()
        ))
    })?;
    crate::audit::review::parse(text, &path.display().to_string(), catalogue)
        .map_err(|e| CertifyError::Input(e.to_string()))?;
    Ok(bytes)
}

/// SOURCE_DATE_EPOCH as RFC 3339 UTC, or None when unset.
fn source_date_epoch() -> Result<Option<String>, CertifyError> {
    let Ok(raw) = std::env::var("SOURCE_DATE_EPOCH") else {
        return Ok(None);
    };
    let secs: i64 = raw.trim().parse().map_err(|_| {
        CertifyError::Input(format!(
            "SOURCE_DATE_EPOCH={raw:?} is not a whole number of seconds"
        ))
    })?;
    let t = chrono::DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| CertifyError::Input(format!("SOURCE_DATE_EPOCH={raw:?} is out of range")))?;
    Ok(Some(t.format("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

/// Pretty JSON with a trailing newline: the one form every bundle JSON has.
fn json_bytes<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, CertifyError> {
    crate::audit::seal::json_bytes(v)
        .map_err(|e| CertifyError::Stage(format!("serialising bundle JSON: {e}")))
}

/// The effective plan: every guideline, its catalogue category, the
/// category this profile and the user's plan give it, and how it is
/// enforced.
fn guideline_plan(
    catalogue: &[Guideline],
    recats: &[Recategorization],
    profile: &Profile,
) -> Value {
    let rows: Vec<Value> = catalogue
        .iter()
        .map(|g| {
            let effective = recats
                .iter()
                .find(|r| r.rule == g.id)
                .map_or(g.category.clone(), |r| r.category.clone());
            json!({
                "id": g.id,
                "category": g.category,
                "effective_category": effective,
                "enforcement": g.enforcement,
                "by": g.by,
                "deviation_permitted": g.category != "mandatory" && effective != "mandatory" && profile.permits_deviation(&g.id),
            })
        })
        .collect();
    json!({
        "schema_version": 1,
        "profile": profile.label(),
        "advisory": match profile.requirements.advisory {
            AdvisoryPolicy::Advisory => "advisory",
            AdvisoryPolicy::Required => "required",
        },
        "guidelines": rows,
    })
}

fn hex_bits(v: f32) -> String {
    format!("{:08x}", v.to_bits())
}

fn vectors_json(ens: &crate::ir::Ensemble, rows: &[Vec<f32>], report: &VerifyReport) -> Value {
    let inputs: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|v| hex_bits(*v)).collect())
        .collect();
    let expected: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            crate::ir::evaluate(ens, r)
                .iter()
                .map(|v| hex_bits(*v))
                .collect()
        })
        .collect();
    json!({
        "schema_version": 1,
        "encoding": "IEEE 754 binary32 bits, hex, most significant digit first",
        "n_features": ens.n_features,
        "n_outputs": ens.n_outputs(),
        "rows": rows.len(),
        "reference_fnv1a": report.reference_hash,
        "inputs": inputs,
        "expected": expected,
    })
}

fn resources_json(report: &VerifyReport, budget: Option<u64>) -> Value {
    let targets: Vec<Value> = report
        .targets
        .iter()
        .map(|t| {
            let st = t.stack.as_ref();
            json!({
                "target": t.target,
                "model_size": t.model_size,
                "image_size": t.image_size,
                "stack": {
                    "generator_estimate": st.and_then(|s| s.generator_estimate),
                    "measured_peak": st.and_then(|s| s.measured_peak),
                    "painted_bytes": st.and_then(|s| s.painted),
                    "static_max_chain": st.and_then(|s| s.max_chain_bytes),
                    "static_chain": st.map(|s| s.max_chain.clone()).unwrap_or_default(),
                    "bound": st.map(stack_bound_json),
                    "budget": budget,
                    "method": match st {
                        Some(s) if s.measured_peak.is_some() => "painted stack under QEMU (peak over all rows)",
                        Some(s) if s.max_chain_bytes.is_some() => "static: gcc -fstack-usage frames along the deepest call chain",
                        _ => "not measured",
                    },
                },
            })
        })
        .collect();
    json!({"schema_version": 1, "targets": targets})
}

/// The bound the stack row decides on: on Cortex-M the frames of the
/// linked image ([`verify::stack_bound`]); elsewhere gcc's call graph,
/// accepted only when every frame on it is static and every callee sized.
fn stack_bound_json(s: &verify::StackReport) -> Value {
    if let Some(b) = &s.bound {
        return json!({
            "bytes": b.bytes,
            "method": "linked image: every routine's stack-pointer decrements from its disassembly, library routines included, along the deepest call chain",
            "chain": b.chain,
            "refused": null,
        });
    }
    if let Some(m) = &s.bound_message {
        return json!({"bytes": null, "method": "linked image", "chain": [], "refused": m});
    }
    let dynamic: Vec<&str> = s
        .frames
        .iter()
        .filter(|f| f.kind != "static")
        .map(|f| f.function.as_str())
        .collect();
    let refused = match s.max_chain_bytes {
        None => Some("no call graph from the compiler".to_string()),
        Some(_) if !s.unsized_callees.is_empty() => Some(format!(
            "callees without a frame size: {}",
            s.unsized_callees.join(", ")
        )),
        Some(_) if !dynamic.is_empty() => Some(format!("dynamic frames: {}", dynamic.join(", "))),
        Some(_) => None,
    };
    json!({
        "bytes": if refused.is_none() { s.max_chain_bytes } else { None },
        "method": "gcc -fstack-usage frames along the deepest chain of -fcallgraph-info (every frame static, every callee sized)",
        "chain": s.max_chain.iter().map(|f| json!({"function": f, "bytes": null})).collect::<Vec<_>>(),
        "refused": refused,
    })
}

fn tool_identities(
    report: &VerifyReport,
    specs: &[TargetSpec],
    cov: Option<&CoverageReport>,
) -> Vec<toolchain::ToolIdentity> {
    let mut tools = Vec::new();
    for t in &report.targets {
        let compiler = t
            .commands
            .first()
            .and_then(|c| c.split_whitespace().next())
            .unwrap_or_default()
            .to_string();
        tools.push(toolchain::ToolIdentity {
            role: format!("compiler for {}", t.target),
            command: compiler,
            version: t.compiler_version.clone(),
        });
        if !t.runner_version.is_empty() {
            // The target's own runner (the last command may be the
            // timing analysis's objdump).
            let runner = specs
                .iter()
                .find(|s| s.name == t.target)
                .and_then(|s| s.runner.first())
                .cloned()
                .unwrap_or_default();
            tools.push(toolchain::ToolIdentity {
                role: format!("runner for {}", t.target),
                command: runner,
                version: t.runner_version.clone(),
            });
        }
    }
    if let Some(c) = cov {
        tools.push(toolchain::ToolIdentity {
            role: "coverage compiler".into(),
            command: "gcc".into(),
            version: c.compiler_version.clone(),
        });
        tools.push(toolchain::ToolIdentity {
            role: "coverage reader".into(),
            command: "gcov".into(),
            version: c.gcov_version.clone(),
        });
        if let Some(v) = &c.mcdc_tool {
            tools.push(toolchain::ToolIdentity {
                role: "MC/DC compiler".into(),
                command: "clang".into(),
                version: v.clone(),
            });
        }
        if let Some(v) = &c.llvm_cov_version {
            tools.push(toolchain::ToolIdentity {
                role: "MC/DC reader".into(),
                command: "llvm-cov".into(),
                version: v.clone(),
            });
        }
    }
    tools.sort_by(|a, b| a.role.cmp(&b.role));
    tools
}

/// The output directory rule of [`crate::audit::outdir`] for this run's
/// `--out`, with the model and the qualification report as inputs.
fn check_out(opts: &CertifyOptions) -> Result<(), CertifyError> {
    let mut inputs: Vec<&Path> = vec![opts.model.as_path()];
    if let Some(q) = &opts.qualification {
        inputs.push(q.as_path());
    }
    if let Some(r) = &opts.review {
        inputs.push(r.as_path());
    }
    inputs.extend(opts.input_files.iter().map(PathBuf::as_path));
    crate::audit::outdir::check_bundle_out(&opts.out, opts.force, &inputs)
        .map_err(|e| CertifyError::Input(e.to_string()))?;
    Ok(())
}

/// Write the bundle files to a temporary sibling of `out`, add the
/// manifest, and rename it into place (replacing an empty directory or an
/// earlier bundle, which [`check_out`] has just allowed). The temporary
/// directory is removed on any failure. Returns (root sha256, file count).
pub fn write_bundle(
    out: &Path,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<(String, usize), CertifyError> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_err(format!("creating {}", parent.display())))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| CertifyError::Input(format!("{}: not a directory name", out.display())))?;
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(format!("removing {}", tmp.display())))?;
    }
    let written = fill_and_swap(&tmp, out, files);
    if written.is_err() && tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    written
}

/// The body of [`write_bundle`]: write `files` and the manifest into `tmp`,
/// then move `tmp` to `out`.
fn fill_and_swap(
    tmp: &Path,
    out: &Path,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<(String, usize), CertifyError> {
    for (path, bytes) in files {
        let target = tmp.join(path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
        }
        std::fs::write(&target, bytes).map_err(io_err(format!("writing {}", target.display())))?;
    }
    crate::audit::manifest::write(tmp)
        .map_err(|e| CertifyError::Stage(format!("writing the manifest: {e}")))?;
    let root = crate::audit::manifest::root_hash(tmp)
        .map_err(|e| CertifyError::Stage(format!("hashing the manifest: {e}")))?;
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(io_err(format!("removing {}", out.display())))?;
    }
    std::fs::rename(tmp, out).map_err(io_err(format!(
        "renaming {} to {}",
        tmp.display(),
        out.display()
    )))?;
    Ok((root, files.len() + 1))
}
