//! Verification: build the generated C for each target with the target's
//! toolchain, run it (natively, under QEMU user mode, or bare-metal under
//! qemu-system with semihosting), and compare every output bit with the
//! reference evaluator.
//!
//! Layout: [`targets`] (embedded TOML target definitions), [`vectors`]
//! (test rows and coverage), [`measure`] (size and stack figures),
//! [`process`] (tools, timeouts), and the runner here.

pub mod batch;
pub mod branch_cov;
pub mod fpflags;
pub mod measure;
pub mod process;
pub mod stack_bound;
pub mod targets;
pub mod timing;
pub mod trace;
pub mod vectors;
pub mod vectors_csv;
pub mod warnings;

use crate::codegen::GeneratedFile;
use crate::ir::Ensemble;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use measure::{Frame, SectionSizes};
pub use targets::{TargetKind, TargetSpec};
pub use vectors::{coverage, generate, Coverage, VectorOptions, VectorSet};

/// The status the generated code returns for a NaN input under the
/// `reject` policy (TIMBER_ERR_NAN in model.h).
pub const TIMBER_ERR_NAN: u32 = 2;

/// How many mismatches each target report lists in full.
pub const MAX_LISTED_MISMATCHES: usize = 10;

/// The script that installs every toolchain timber verifies with.
pub const INSTALL_HINT: &str = "scripts/install-toolchains.sh";

/// Errors that stop verification before any target runs.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A program or file a target needs is missing (exit code 3).
    #[error("target `{target}` needs `{tool}`, which was not found{}; run {INSTALL_HINT} (Debian/Ubuntu) to install the toolchains", .package.as_ref().map(|p| format!(" (package {p})")).unwrap_or_default())]
    ToolMissing {
        target: String,
        tool: String,
        package: Option<String>,
    },
    /// Bad input: wrong row length, no generated model, etc.
    #[error("{0}")]
    Input(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> VerifyError {
    let context = context.into();
    move |source| VerifyError::Io { context, source }
}

/// Called with each target's report as soon as that target finishes (from
/// a worker thread), e.g. to print progress.
pub type Progress = std::sync::Arc<dyn Fn(&TargetReport) + Send + Sync>;

/// What a target is doing, reported while it builds and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Compiling the generated C, the harness and the vectors.
    Building,
    /// Running batch `batch` (0-based) of `batches`, `rows` rows.
    Running {
        rows: usize,
        batch: usize,
        batches: usize,
    },
}

/// Called (from a worker thread) with a target's name whenever it enters
/// a new [`Stage`]; the finished report goes to [`Progress`].
pub type StageProgress = std::sync::Arc<dyn Fn(&str, Stage) + Send + Sync>;

/// Knobs of a verification run.
#[derive(Clone, Default)]
pub struct VerifyOptions {
    /// Keep the build directories here (default: a temporary directory,
    /// removed afterwards).
    pub build_dir: Option<PathBuf>,
    /// Targets built and run at once (default: available cores).
    pub jobs: Option<usize>,
    /// Progress callback; the library itself prints nothing.
    pub progress: Option<Progress>,
    /// Stage callback (building, running); optional.
    pub stage: Option<StageProgress>,
    /// The sources were generated with the `reject` NaN policy: a row with
    /// a NaN input must return TIMBER_ERR_NAN, and its outputs are not
    /// compared (they are unspecified).
    pub reject_nan: bool,
    /// Also count the instructions of every call under QEMU (targets with
    /// a `[timing]` table; see [`trace`]).
    pub count_instructions: bool,
    /// How the instructions are counted (translation blocks by default;
    /// one instruction per block is the slower reference).
    pub trace_mode: trace::TraceMode,
}

impl std::fmt::Debug for VerifyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyOptions")
            .field("build_dir", &self.build_dir)
            .field("jobs", &self.jobs)
            .field("progress", &self.progress.is_some())
            .field("stage", &self.stage.is_some())
            .finish()
    }
}

/// Outcome of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Every output bit equal to the reference.
    Pass,
    /// At least one output differs (or a row returned a non-OK status).
    Mismatch,
    BuildFailed,
    /// The generated model alone is larger than the board's flash or RAM:
    /// it cannot run on that board at all.
    DoesNotFit,
    /// The program crashed, timed out, exited non-zero or printed garbage.
    RunFailed,
    /// Every bit identical, but an inference raised the invalid or
    /// divide-by-zero exception (see [`fpflags`]).
    FpException,
}

/// One output that differs from the reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub row: usize,
    /// Output index, or None for a row whose status code was not OK.
    pub output: Option<usize>,
    /// Expected bits as `0x........` (or the expected status `0`).
    pub expected: String,
    pub got: String,
    /// Distance in float32 ulps (None for status mismatches or NaNs).
    pub ulps: Option<u32>,
    /// The row's input bits, hex.
    pub input: Vec<String>,
    /// None: the single-row call `timber_infer_single`; Some(n): one of
    /// the `timber_infer` calls over blocks of n rows (see [`batch`]).
    pub block: Option<usize>,
}

/// Stack figures of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct StackReport {
    /// Frames of the generated translation units (`-fstack-usage`).
    pub frames: Vec<Frame>,
    /// Sum of all those frames: an upper bound of any call chain.
    pub sum_of_frames: u64,
    /// The deepest chain from `timber_infer_single` in the `.ci` call
    /// graph, and its bytes (library helpers without a size count 0).
    pub max_chain_bytes: Option<u64>,
    pub max_chain: Vec<String>,
    /// Callees in the chain analysis without a known frame size.
    pub unsized_callees: Vec<String>,
    /// The sound bound of one `timber_infer_single` call from the linked
    /// image (Cortex-M: every routine's frame from its disassembly, see
    /// [`stack_bound`]).
    pub bound: Option<stack_bound::StackBound>,
    /// Why there is no such bound (the routine or instruction refused).
    pub bound_message: Option<String>,
    /// Peak measured by painting the stack (Cortex-M), bytes.
    pub measured_peak: Option<u64>,
    /// Bytes painted for the measurement (a peak equal to this means the
    /// measurement saturated).
    pub painted: Option<u64>,
    /// The generator's own estimate from the IR and the template structure
    /// ([`crate::codegen::c99::stack::estimate`], no compiler involved):
    /// the deeper of the `timber_infer_single` and `timber_infer` chains,
    /// and that chain.
    pub generator_estimate: Option<u64>,
    pub generator_chain: Vec<String>,
    /// The estimate of the `timber_infer_single` chain alone: the call the
    /// deepest-chain figure and the measured peak are about.
    pub generator_single: Option<u64>,
}

/// Result for one target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub target: String,
    pub description: String,
    pub status: TargetStatus,
    /// First line of `CC --version`.
    pub compiler_version: String,
    /// First line of the runner's `--version` (QEMU), empty for host.
    pub runner_version: String,
    /// sha256 of the target's TOML definition.
    pub target_toml_sha256: String,
    /// Every command run, in order, relative to the build directory.
    pub commands: Vec<String>,
    pub rows_expected: usize,
    pub rows_run: usize,
    pub mismatch_count: usize,
    /// The first [`MAX_LISTED_MISMATCHES`] mismatches.
    pub mismatches: Vec<Mismatch>,
    /// FNV-1a over all output bits as computed on the target.
    pub output_hash: Option<String>,
    /// The batch API (`timber_infer`) in blocks of 1, 7 and all rows,
    /// compared with the single-row calls and the reference; None when the
    /// sources have no batch API (hand-written test models only).
    pub batch_api: Option<batch::BatchReport>,
    /// Floating-point exception flags the model raised (None when the
    /// harness was not run).
    pub fp_flags: Option<fpflags::FpFlagsReport>,
    /// Status and output bits of every row, as the target printed them
    /// (written to the bundle as text, see [`crate::audit::outputs`]).
    #[serde(skip)]
    pub outputs: Vec<(u32, Vec<u32>)>,
    /// Size of the generated model's objects (sum over its .c files).
    pub model_size: Option<SectionSizes>,
    /// Size of the whole linked program (harness, vectors, C library).
    pub image_size: Option<SectionSizes>,
    pub stack: Option<StackReport>,
    /// Instructions per call (with `count_instructions`).
    pub timing: Option<timing::TimingReport>,
    /// Number of program images built (vectors are split into batches
    /// when they would not fit a small board's flash).
    pub batches: usize,
    pub build_ms: u64,
    pub run_ms: u64,
    /// Compiler or runner diagnostics when something failed.
    pub message: Option<String>,
}

/// Result of a whole run.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub rows: usize,
    pub n_outputs: usize,
    /// FNV-1a of the reference outputs, for comparison with each target.
    pub reference_hash: String,
    /// Leaf and branch coverage of the rows (set by [`verify`], which knows
    /// the ensemble).
    pub coverage: Option<Coverage>,
    pub targets: Vec<TargetReport>,
}

impl VerifyReport {
    /// Zero the wall-clock timings, so that two runs on the same inputs
    /// give identical reports (for the audit bundle).
    pub fn clear_timings(&mut self) {
        for t in &mut self.targets {
            t.build_ms = 0;
            t.run_ms = 0;
        }
    }

    /// True when every target passed.
    pub fn all_passed(&self) -> bool {
        self.targets.iter().all(|t| t.status == TargetStatus::Pass)
    }
}

/// Check up front that every tool and file the targets need is present.
pub fn check_tools(targets: &[TargetSpec]) -> Result<(), VerifyError> {
    for t in targets {
        for tool in t.tools() {
            if process::which(&tool).is_none() {
                return Err(VerifyError::ToolMissing {
                    target: t.name.clone(),
                    package: package_for(&tool),
                    tool,
                });
            }
        }
        for rf in &t.required_files {
            let found = process::run(
                &t.compiler,
                &[format!("-print-file-name={}", rf.name)],
                &std::env::temp_dir(),
                Duration::from_secs(20),
            )
            .ok()
            .map(|f| {
                let p = f.stdout.trim().to_string();
                p.contains('/') && Path::new(&p).exists()
            })
            .unwrap_or(false);
            if !found {
                return Err(VerifyError::ToolMissing {
                    target: t.name.clone(),
                    tool: rf.name.clone(),
                    package: Some(rf.package.clone()),
                });
            }
        }
    }
    Ok(())
}

fn package_for(tool: &str) -> Option<String> {
    let p = match tool {
        "arm-none-eabi-gcc" | "arm-none-eabi-size" => "gcc-arm-none-eabi",
        "aarch64-linux-gnu-gcc" | "aarch64-linux-gnu-size" => "gcc-aarch64-linux-gnu",
        "arm-linux-gnueabihf-gcc" | "arm-linux-gnueabihf-size" => "gcc-arm-linux-gnueabihf",
        "qemu-system-arm" => "qemu-system-arm",
        "qemu-aarch64" | "qemu-arm" => "qemu-user",
        "cc" | "size" => "build-essential",
        _ => return None,
    };
    Some(p.to_string())
}

/// Verify generated C for an ensemble: the reference is
/// [`crate::ir::evaluate`].
pub fn verify(
    ens: &Ensemble,
    files: &[GeneratedFile],
    vectors: &[Vec<f32>],
    targets: &[TargetSpec],
) -> Result<VerifyReport, VerifyError> {
    let mut report = verify_with(
        files,
        vectors,
        targets,
        ens.n_features as usize,
        ens.n_outputs() as usize,
        &|row: &[f32]| crate::ir::evaluate(ens, row),
        &VerifyOptions::default(),
    )?;
    report.coverage = Some(coverage(ens, vectors));
    attach_stack_estimates(
        &mut report,
        ens,
        &crate::codegen::c99::Options::default(),
        targets,
    );
    Ok(report)
}

/// Fill in the generator's stack estimate of every target that has stack
/// figures and a `[stack_model]` (the verify run itself only sees C text).
pub fn attach_stack_estimates(
    report: &mut VerifyReport,
    ens: &Ensemble,
    codegen: &crate::codegen::c99::Options,
    targets: &[TargetSpec],
) {
    for t in &mut report.targets {
        let Some(model) = targets
            .iter()
            .find(|s| s.name == t.target)
            .and_then(|s| s.stack_model)
        else {
            continue;
        };
        if let Some(st) = t.stack.as_mut() {
            let Ok(e) = crate::codegen::c99::stack::estimate_with(ens, codegen, &model) else {
                continue;
            };
            st.generator_estimate = Some(e.bytes);
            st.generator_single = Some(e.single_bytes);
            st.generator_chain = if e.single_bytes >= e.batch_bytes {
                e.single_chain
            } else {
                e.batch_chain
            };
        }
    }
}

/// Verify C sources against any reference function (the general form of
/// [`verify`]; tests use it with hand-written C and a Rust twin).
pub fn verify_with(
    files: &[GeneratedFile],
    vectors: &[Vec<f32>],
    targets: &[TargetSpec],
    n_features: usize,
    n_outputs: usize,
    reference: &(dyn Fn(&[f32]) -> Vec<f32> + Sync),
    opts: &VerifyOptions,
) -> Result<VerifyReport, VerifyError> {
    if !files.iter().any(|f| f.name == "model.h") {
        return Err(VerifyError::Input(
            "the generated sources contain no model.h".into(),
        ));
    }
    if let Some((i, r)) = vectors
        .iter()
        .enumerate()
        .find(|(_, r)| r.len() != n_features)
    {
        return Err(VerifyError::Input(format!(
            "test vector row {i} has {} values; the model takes {n_features} features",
            r.len()
        )));
    }
    if vectors.is_empty() {
        return Err(VerifyError::Input("no test vectors".into()));
    }
    check_tools(targets)?;

    let expected: Vec<Vec<u32>> = vectors
        .iter()
        .map(|r| reference(r).iter().map(|v| v.to_bits()).collect())
        .collect();
    if let Some(e) = expected.iter().find(|e| e.len() != n_outputs) {
        return Err(VerifyError::Input(format!(
            "the reference produced {} outputs; expected {n_outputs}",
            e.len()
        )));
    }
    let reference_hash = format!("{:08x}", fnv1a(expected.iter().flatten()));

    let (root, _guard) = match &opts.build_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(io_err(format!("creating {}", d.display())))?;
            (d.clone(), None)
        }
        None => {
            let d = unique_temp_dir();
            std::fs::create_dir_all(&d).map_err(io_err(format!("creating {}", d.display())))?;
            (d.clone(), Some(RemoveOnDrop(d)))
        }
    };

    let jobs = opts
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .clamp(1, targets.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<TargetReport>>> = Mutex::new(vec![None; targets.len()]);
    let ctx = RunCtx {
        files,
        vectors,
        expected: &expected,
        n_features,
        n_outputs,
        stage: opts.stage.as_ref(),
        reject_nan: opts.reject_nan,
        count_instructions: opts.count_instructions,
        trace_mode: opts.trace_mode,
        batch_api: files
            .iter()
            .any(|f| f.name == "model.h" && f.contents.contains("timber_infer(")),
    };
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(t) = targets.get(i) else { break };
                let dir = root.join(&t.name);
                let rep = run_target(&ctx, t, &dir);
                if let Some(p) = &opts.progress {
                    p(&rep);
                }
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(rep);
                }
            });
        }
    });
    let targets_out: Vec<TargetReport> = results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    Ok(VerifyReport {
        rows: vectors.len(),
        n_outputs,
        reference_hash,
        coverage: None,
        targets: targets_out,
    })
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique_temp_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "timber-verify-{}-{n}-{nanos:08x}",
        std::process::id()
    ))
}

/// FNV-1a over output bits, byte order as in the harness (little end first).
pub fn fnv1a<'a>(bits: impl IntoIterator<Item = &'a u32>) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for b in bits {
        for k in 0..4 {
            h ^= (b >> (8 * k)) & 0xff;
            h = h.wrapping_mul(16_777_619);
        }
    }
    h
}

struct RunCtx<'a> {
    files: &'a [GeneratedFile],
    vectors: &'a [Vec<f32>],
    expected: &'a [Vec<u32>],
    n_features: usize,
    n_outputs: usize,
    stage: Option<&'a StageProgress>,
    reject_nan: bool,
    count_instructions: bool,
    trace_mode: trace::TraceMode,
    /// model.h declares `timber_infer`: the harness checks the batch API.
    batch_api: bool,
}

impl RunCtx<'_> {
    fn stage(&self, target: &str, stage: Stage) {
        if let Some(s) = self.stage {
            s(target, stage);
        }
    }
}

/// One line per target for progress output.
pub fn summary_line(r: &TargetReport) -> String {
    let status = match r.status {
        TargetStatus::Pass => "identical".to_string(),
        TargetStatus::Mismatch => format!("MISMATCH ({} outputs)", r.mismatch_count),
        TargetStatus::BuildFailed => "BUILD FAILED".to_string(),
        TargetStatus::DoesNotFit => "DOES NOT FIT".to_string(),
        TargetStatus::RunFailed => "RUN FAILED".to_string(),
        TargetStatus::FpException => "FP EXCEPTION".to_string(),
    };
    format!(
        "{:<14} {:<22} {}/{} rows  build {:.1}s run {:.1}s",
        r.target,
        status,
        r.rows_run,
        r.rows_expected,
        r.build_ms as f64 / 1000.0,
        r.run_ms as f64 / 1000.0
    )
}

fn tail(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.len() <= max {
        s.to_string()
    } else {
        let mut start = s.len() - max;
        while !s.is_char_boundary(start) {
            start += 1;
        }
        format!("...{}", &s[start..])
    }
}

/// Generated C for the test vectors of one batch; with `buffers` =
/// Some((features, outputs)) also the RAM buffers of the harness's batch
/// API check, sized for these rows.
pub fn vectors_c(rows: &[Vec<f32>], buffers: Option<(usize, usize)>) -> String {
    let mut s = String::from(
        "/* Test vectors generated by timber verify: input float bits, row-major. */\n\
         #include <stdint.h>\n\nconst uint32_t timber_vectors[] = {\n",
    );
    for r in rows {
        s.push_str("   ");
        for v in r {
            let _ = write!(s, " 0x{:08x}u,", v.to_bits());
        }
        s.push('\n');
    }
    if rows.iter().all(|r| r.is_empty()) {
        s.push_str("    0u\n");
    }
    let _ = write!(s, "}};\nconst uint32_t timber_n_rows = {}u;\n", rows.len());
    if let Some((f, o)) = buffers {
        let n = rows.len().max(1);
        let _ = write!(
            s,
            "\n/* Buffers of the batch API check (harness.c, TIMBER_HARNESS_BATCH). */\n\
             float timber_batch_in[{}];\nfloat timber_single_out[{}];\nfloat timber_batch_out[{}];\n",
            (n * f).max(1),
            (n * o).max(1),
            (n * o).max(1)
        );
    }
    s
}

/// Flash kept free for the harness, the C library and the start-up code.
const HARNESS_FLASH_RESERVE: u64 = 32 * 1024;
/// RAM kept free for the stack, stdio buffers and the stack paint area.
const HARNESS_RAM_RESERVE: u64 = 8 * 1024;

/// Rows per image: all of them, except on boards whose flash would not hold
/// the vectors next to the model (then as many as fit in what is left, at
/// most a quarter of the flash per image). Err: the model alone does not fit.
///
/// `ram_row_bytes` is the RAM each row needs while the image runs (the
/// batch API check's buffers; 0 without it): rows per image are also
/// bounded by the RAM left for them.
fn batch_rows(
    t: &TargetSpec,
    model: Option<&SectionSizes>,
    n_features: usize,
    n_rows: usize,
    ram_row_bytes: u64,
) -> Result<usize, String> {
    let row_bytes = (n_features.max(1) * 4) as u64;
    match (&t.memory, t.kind) {
        (Some(m), TargetKind::BareMetal) => {
            let (flash_used, ram_used) = model
                .map(|s| (s.text + s.rodata + s.data, s.data + s.bss))
                .unwrap_or((0, 0));
            let ram_paint = u64::from(t.stack_paint_bytes.unwrap_or(0));
            if ram_used + HARNESS_RAM_RESERVE + ram_paint > m.ram_length {
                return Err(format!(
                    "the model needs {ram_used} B of RAM (data+bss); the board has {} B, \
                     of which the harness needs {} B",
                    m.ram_length,
                    HARNESS_RAM_RESERVE + ram_paint
                ));
            }
            let free = m
                .flash_length
                .saturating_sub(flash_used + HARNESS_FLASH_RESERVE);
            if free < row_bytes {
                return Err(format!(
                    "the model is {flash_used} B (text+rodata+data); the board has {} B of \
                     flash, of which the harness needs about {HARNESS_FLASH_RESERVE} B",
                    m.flash_length
                ));
            }
            let budget = free.min(m.flash_length / 4);
            let mut per = (budget / row_bytes).max(1);
            if ram_row_bytes > 0 {
                let ram_free = m.ram_length - (ram_used + HARNESS_RAM_RESERVE + ram_paint);
                if ram_free < ram_row_bytes {
                    return Err(format!(
                        "the batch API check needs {ram_row_bytes} B of RAM per row; the \
                         board has {ram_free} B left after the model and the harness"
                    ));
                }
                per = per.min(ram_free / ram_row_bytes);
            }
            Ok((per as usize).min(n_rows).max(1))
        }
        _ => Ok(n_rows.max(1)),
    }
}

fn run_target(ctx: &RunCtx<'_>, t: &TargetSpec, dir: &Path) -> TargetReport {
    let mut rep = TargetReport {
        target: t.name.clone(),
        description: t.description.clone(),
        status: TargetStatus::BuildFailed,
        compiler_version: process::version_line(&t.compiler),
        runner_version: match t.kind {
            TargetKind::Host => String::new(),
            _ => t
                .runner
                .first()
                .map(|r| process::version_line(r))
                .unwrap_or_default(),
        },
        target_toml_sha256: t.toml_sha256.clone(),
        commands: Vec::new(),
        rows_expected: ctx.vectors.len(),
        rows_run: 0,
        mismatch_count: 0,
        mismatches: Vec::new(),
        output_hash: None,
        batch_api: None,
        fp_flags: None,
        outputs: Vec::new(),
        model_size: None,
        image_size: None,
        stack: None,
        timing: None,
        batches: 0,
        build_ms: 0,
        run_ms: 0,
        message: None,
    };
    if let Err(m) = build_and_run(ctx, t, dir, &mut rep) {
        rep.message = Some(m);
    }
    rep
}

/// Run one tool step, recording its command line; Err carries diagnostics.
fn step(
    rep: &mut TargetReport,
    dir: &Path,
    program: &str,
    args: &[String],
    timeout: Duration,
) -> Result<process::Finished, String> {
    rep.commands.push(process::command_line(program, args));
    let f = process::run(program, args, dir, timeout)
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    Ok(f)
}

fn build_and_run(
    ctx: &RunCtx<'_>,
    t: &TargetSpec,
    dir: &Path,
    rep: &mut TargetReport,
) -> Result<(), String> {
    let build_timeout = Duration::from_secs(300);
    ctx.stage(&t.name, Stage::Building);
    // Only an empty or an earlier build directory is replaced (checked
    // before the run too; again here in case it changed since).
    if let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) {
        crate::audit::outdir::check_build_out(parent, &[&name.to_string_lossy()], &[])
            .map_err(|e| e.to_string())?;
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let marker = dir.join(crate::audit::outdir::BUILD_MARKER);
    std::fs::write(
        &marker,
        "a timber verify build directory; replaced by the next run\n",
    )
    .map_err(|e| format!("writing {}: {e}", marker.display()))?;
    for f in ctx.files {
        // Generated names are flat (model.c, ...); refuse anything else.
        if f.name.contains('/') || f.name.contains('\\') || f.name.starts_with('.') {
            return Err(format!("refusing generated file name `{}`", f.name));
        }
        std::fs::write(dir.join(&f.name), &f.contents)
            .map_err(|e| format!("writing {}: {e}", f.name))?;
    }
    std::fs::write(dir.join("harness.c"), targets::HARNESS_C)
        .map_err(|e| format!("writing harness.c: {e}"))?;

    let build_start = Instant::now();
    // 1. The generated translation units, with stack figures.
    let mut model_objs = Vec::new();
    let mut sources: Vec<&str> = ctx
        .files
        .iter()
        .filter(|f| f.name.ends_with(".c"))
        .map(|f| f.name.as_str())
        .collect();
    sources.sort_unstable();
    for src in &sources {
        let obj = format!("{}.o", src.trim_end_matches(".c"));
        let mut args = t.cflags.clone();
        args.extend(
            [
                "-fstack-usage",
                "-fcallgraph-info=su",
                "-I.",
                "-c",
                src,
                "-o",
                &obj,
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        let mut f = step(rep, dir, &t.compiler, &args, build_timeout)?;
        if !f.success() && (f.stderr.contains("callgraph-info") || f.stderr.contains("stack-usage"))
        {
            // A compiler without GCC's stack reports (e.g. clang as `cc`):
            // build without them; the stack report stays empty.
            args.retain(|a| a != "-fstack-usage" && a != "-fcallgraph-info=su");
            f = step(rep, dir, &t.compiler, &args, build_timeout)?;
        }
        if !f.success() {
            return Err(format!(
                "compiling {src} failed:\n{}",
                tail(&f.stderr, 4000)
            ));
        }
        model_objs.push(obj);
    }
    // 2. The harness.
    let mut harness_args = t.cflags.clone();
    if let Some(n) = t.stack_paint_bytes {
        harness_args.push(format!("-DTIMBER_STACK_PAINT={n}"));
    }
    if t.kind == TargetKind::BareMetal {
        harness_args.push("-DTIMBER_BARE_METAL".to_string());
    }
    if ctx.batch_api {
        harness_args.push("-DTIMBER_HARNESS_BATCH".to_string());
    }
    harness_args.extend(
        ["-I.", "-c", "harness.c", "-o", "harness.o"]
            .iter()
            .map(|s| s.to_string()),
    );
    let f = step(rep, dir, &t.compiler, &harness_args, build_timeout)?;
    if !f.success() {
        return Err(format!(
            "compiling harness.c failed:\n{}",
            tail(&f.stderr, 4000)
        ));
    }
    // Size and stack of the model alone.
    let mut size_args = vec!["-A".to_string()];
    size_args.extend(model_objs.iter().cloned());
    let f = step(rep, dir, &t.size_tool, &size_args, build_timeout)?;
    if f.success() {
        rep.model_size = Some(measure::parse_size_a(&f.stdout));
    }
    rep.stack = Some(stack_report(dir, &sources));
    rep.build_ms = build_start.elapsed().as_millis() as u64;

    // 3. Per batch: vectors, link, run, compare.
    let buffers = ctx.batch_api.then_some((ctx.n_features, ctx.n_outputs));
    let ram_row_bytes = buffers.map_or(0, |(f, o)| ((f + 2 * o) * 4) as u64);
    let per = match batch_rows(
        t,
        rep.model_size.as_ref(),
        ctx.n_features,
        ctx.vectors.len(),
        ram_row_bytes,
    ) {
        Ok(n) => n,
        Err(m) => {
            rep.status = TargetStatus::DoesNotFit;
            return Err(m);
        }
    };
    let mut status = TargetStatus::Pass;
    let mut hash_bits: Vec<u32> = Vec::new();
    let mut measured_peak: Option<u64> = None;
    let mut painted: Option<u64> = None;
    let batches = ctx.vectors.len().div_ceil(per);
    let mut counter = (ctx.count_instructions && t.timing.is_some())
        .then(|| timing::Counter::new(ctx.trace_mode));
    let mut batch_rep = ctx.batch_api.then(batch::BatchReport::default);
    let mut fp = fpflags::Collect::default();
    for (b, chunk) in ctx.vectors.chunks(per).enumerate() {
        let offset = b * per;
        let exe = if t.kind == TargetKind::BareMetal {
            "prog.elf"
        } else {
            "prog"
        };
        let link_start = Instant::now();
        std::fs::write(dir.join("vectors.c"), vectors_c(chunk, buffers))
            .map_err(|e| format!("writing vectors.c: {e}"))?;
        let mut vargs = t.cflags.clone();
        vargs.extend(
            ["-c", "vectors.c", "-o", "vectors.o"]
                .iter()
                .map(|s| s.to_string()),
        );
        let f = step(rep, dir, &t.compiler, &vargs, build_timeout)?;
        if !f.success() {
            return Err(format!(
                "compiling vectors.c failed:\n{}",
                tail(&f.stderr, 4000)
            ));
        }
        let mut largs = t.cflags.clone();
        largs.extend(model_objs.iter().cloned());
        largs.extend(
            ["harness.o", "vectors.o", "-o", exe]
                .iter()
                .map(|s| s.to_string()),
        );
        largs.extend(t.resolved_ldflags());
        let f = step(rep, dir, &t.compiler, &largs, build_timeout)?;
        if !f.success() {
            return Err(format!("linking failed:\n{}", tail(&f.stderr, 4000)));
        }
        if b == 0 {
            let f = step(
                rep,
                dir,
                &t.size_tool,
                &["-A".to_string(), exe.to_string()],
                build_timeout,
            )?;
            if f.success() {
                rep.image_size = Some(measure::parse_size_a(&f.stdout));
            }
            image_stack_bound(rep, t, dir, exe)?;
        }
        rep.build_ms += link_start.elapsed().as_millis() as u64;
        rep.batches += 1;
        rep.status = TargetStatus::RunFailed;
        ctx.stage(
            &t.name,
            Stage::Running {
                rows: chunk.len(),
                batch: b,
                batches,
            },
        );

        let exe_path = dir.join(exe);
        let exe_str = exe_path.to_string_lossy().to_string();
        let Some((prog, rest)) = t.runner.split_first() else {
            return Err("target has an empty runner".into());
        };
        let out_path = dir.join("output.txt");
        let out_str = out_path.to_string_lossy().to_string();
        let uses_out_file = t.runner.iter().any(|a| a.contains("{out}"));
        let _ = std::fs::remove_file(&out_path);
        let prog = prog.replace("{exe}", &exe_str);
        let args: Vec<String> = rest
            .iter()
            .map(|a| a.replace("{exe}", &exe_str).replace("{out}", &out_str))
            .collect();
        // Record the command with relative file names.
        let rec_args: Vec<String> = rest
            .iter()
            .map(|a| a.replace("{exe}", exe).replace("{out}", "output.txt"))
            .collect();
        let rec_prog = t.runner[0].replace("{exe}", &format!("./{exe}"));
        rep.commands
            .push(process::command_line(&rec_prog, &rec_args));
        let f = process::run(&prog, &args, dir, Duration::from_secs(t.timeout_secs))
            .map_err(|e| format!("cannot run {prog}: {e}"))?;
        rep.run_ms += f.elapsed.as_millis() as u64;
        if f.timed_out {
            return Err(format!(
                "timed out after {} s (batch {b}, {} rows before it)",
                t.timeout_secs, rep.rows_run
            ));
        }
        let output = if uses_out_file {
            std::fs::read_to_string(&out_path).unwrap_or_default()
        } else {
            f.stdout.clone()
        };
        let parsed = parse_output(&output, ctx.n_outputs);
        if f.code != Some(0) {
            let fault = output
                .lines()
                .find_map(|l| l.strip_prefix("F "))
                .map(|k| format!(" (CPU fault: {k})"))
                .unwrap_or_default();
            return Err(format!(
                "exited with {:?}{fault} after {} rows of batch {b}:\n{}",
                f.code,
                parsed.rows.len(),
                tail(&f.stderr, 2000)
            ));
        }
        if let Some(e) = parsed.error {
            return Err(format!("unreadable output: {e}"));
        }
        if parsed.rows.len() != chunk.len() {
            return Err(format!(
                "printed {} of {} rows of batch {b}",
                parsed.rows.len(),
                chunk.len()
            ));
        }
        if let Some((peak, p)) = parsed.stack {
            measured_peak = Some(measured_peak.unwrap_or(0).max(peak));
            painted = Some(p);
        }
        for (i, (st, got)) in parsed.rows.iter().enumerate() {
            let row = offset + i;
            let want = &ctx.expected[row];
            hash_bits.extend_from_slice(got);
            rep.outputs.push((*st, got.clone()));
            let input = || {
                ctx.vectors[row]
                    .iter()
                    .map(|v| format!("0x{:08x}", v.to_bits()))
                    .collect::<Vec<_>>()
            };
            // Status the generated code must return for this row.
            let want_status = if ctx.reject_nan && ctx.vectors[row].iter().any(|v| v.is_nan()) {
                TIMBER_ERR_NAN
            } else {
                0
            };
            if *st == want_status && want_status != 0 {
                continue; // refused as required; outputs unspecified
            }
            if *st != want_status {
                rep.mismatch_count += 1;
                if rep.mismatches.len() < MAX_LISTED_MISMATCHES {
                    rep.mismatches.push(Mismatch {
                        row,
                        output: None,
                        expected: format!("status {want_status}"),
                        got: format!("status {st}"),
                        ulps: None,
                        input: input(),
                        block: None,
                    });
                }
                continue;
            }
            for (k, (w, g)) in want.iter().zip(got).enumerate() {
                if w != g {
                    rep.mismatch_count += 1;
                    if rep.mismatches.len() < MAX_LISTED_MISMATCHES {
                        let d =
                            crate::ir::mathfn::ulp_distance(f32::from_bits(*w), f32::from_bits(*g));
                        rep.mismatches.push(Mismatch {
                            row,
                            output: Some(k),
                            expected: format!("0x{w:08x}"),
                            got: format!("0x{g:08x}"),
                            ulps: (d != u32::MAX).then_some(d),
                            input: input(),
                            block: None,
                        });
                    }
                }
            }
        }
        rep.rows_run += parsed.rows.len();
        fp.add(&parsed.fp, offset)
            .map_err(|e| format!("batch {b}: {e}"))?;
        if let Some(br) = batch_rep.as_mut() {
            let img = batch::Image {
                offset,
                rows: chunk,
                expected: &ctx.expected[offset..offset + chunk.len()],
                reject_nan: ctx.reject_nan,
            };
            let mut found = Vec::new();
            batch::check(&img, &parsed.batch, br, &mut found)
                .map_err(|e| format!("batch {b}: {e}"))?;
            rep.mismatch_count += found.len();
            let room = MAX_LISTED_MISMATCHES.saturating_sub(rep.mismatches.len());
            rep.mismatches.extend(found.into_iter().take(room));
            if br.mismatch_count > 0 {
                status = TargetStatus::Mismatch;
            }
        }
        if rep.mismatch_count > 0 {
            status = TargetStatus::Mismatch;
        }
        if let Some(c) = counter.as_mut() {
            let batch = timing::Batch {
                dir,
                model_objs: &model_objs,
                rows: chunk.len(),
                hash: fnv1a(parsed.rows.iter().flat_map(|(_, o)| o.iter())),
            };
            c.batch(t, &batch, &mut rep.commands);
        }
    }
    rep.timing = counter.map(|c| c.finish(t));
    rep.batch_api = batch_rep;
    let fp = fp.finish();
    if status == TargetStatus::Pass && !fp.clean() {
        status = TargetStatus::FpException;
        rep.message = Some(format!("floating-point exception flags: {}", fp.summary()));
    }
    rep.fp_flags = Some(fp);
    rep.output_hash = Some(format!("{:08x}", fnv1a(hash_bits.iter())));
    if let Some(s) = rep.stack.as_mut() {
        s.measured_peak = measured_peak;
        s.painted = painted;
    }
    rep.status = status;
    Ok(())
}

/// The stack bound of `exe` on a bare-metal target (the model objects and
/// libraries are linked alike in every batch; only the vectors differ).
fn image_stack_bound(
    rep: &mut TargetReport,
    t: &TargetSpec,
    dir: &Path,
    exe: &str,
) -> Result<(), String> {
    let Some(spec) = t
        .timing
        .as_ref()
        .filter(|_| t.kind == TargetKind::BareMetal)
    else {
        return Ok(());
    };
    let args = ["-d", "--no-show-raw-insn", exe].map(String::from);
    let f = step(rep, dir, &spec.objdump, &args, Duration::from_secs(300))?;
    let image = std::fs::read(dir.join(exe)).unwrap_or_default();
    let got = if f.success() {
        timing::cfg::parse_thumb_objdump(&f.stdout).and_then(|funcs| {
            stack_bound::bound(&funcs, trace::ENTRY, &stack_bound::elf32_words(&image))
        })
    } else {
        Err(format!(
            "{} -d {exe} failed: {}",
            spec.objdump,
            f.stderr.trim()
        ))
    };
    if let Some(s) = rep.stack.as_mut() {
        match got {
            Ok(b) => s.bound = Some(b),
            Err(m) => s.bound_message = Some(m),
        }
    }
    Ok(())
}

fn stack_report(dir: &Path, sources: &[&str]) -> StackReport {
    let mut rep = StackReport::default();
    let mut cis = Vec::new();
    for src in sources {
        let stem = src.trim_end_matches(".c");
        if let Ok(t) = std::fs::read_to_string(dir.join(format!("{stem}.su"))) {
            rep.frames.extend(measure::parse_su(&t));
        }
        if let Ok(t) = std::fs::read_to_string(dir.join(format!("{stem}.ci"))) {
            cis.push(t);
        }
    }
    rep.frames.sort_by(|a, b| a.function.cmp(&b.function));
    rep.sum_of_frames = rep.frames.iter().map(|f| f.bytes).sum();
    let g = measure::parse_ci(&cis);
    if g.frames.contains_key("timber_infer_single") {
        let (b, chain, unsized_callees) = g.max_chain("timber_infer_single");
        rep.max_chain_bytes = Some(b);
        rep.max_chain = chain;
        rep.unsized_callees = unsized_callees;
    }
    rep
}

/// What the harness printed.
#[derive(Debug, Default)]
struct Parsed {
    rows: Vec<(u32, Vec<u32>)>,
    stack: Option<(u64, u64)>,
    batch: batch::Lines,
    fp: fpflags::Lines,
    error: Option<String>,
}

fn parse_output(text: &str, n_outputs: usize) -> Parsed {
    let mut p = Parsed::default();
    for (ln, line) in text.lines().enumerate() {
        let mut it = line.split_whitespace();
        match it.next() {
            Some("R") => {
                let idx = it.next().and_then(|s| s.parse::<usize>().ok());
                let st = it.next().and_then(|s| s.parse::<u32>().ok());
                let outs: Result<Vec<u32>, _> = it.map(|h| u32::from_str_radix(h, 16)).collect();
                match (idx, st, outs) {
                    (Some(i), Some(st), Ok(o)) if i == p.rows.len() && o.len() == n_outputs => {
                        p.rows.push((st, o))
                    }
                    _ => {
                        p.error = Some(format!("line {}: `{}`", ln + 1, tail(line, 200)));
                        return p;
                    }
                }
            }
            Some("S") => {
                let a = it.next().and_then(|s| s.parse::<u64>().ok());
                let b = it.next().and_then(|s| s.parse::<u64>().ok());
                if let (Some(a), Some(b)) = (a, b) {
                    p.stack = Some((a, b));
                }
            }
            Some("E" | "G") => {
                if p.fp.read(line).is_err() {
                    p.error = Some(format!("line {}: `{}`", ln + 1, tail(line, 200)));
                    return p;
                }
            }
            _ => {
                if p.batch.read(line).is_err() {
                    p.error = Some(format!("line {}: `{}`", ln + 1, tail(line, 200)));
                    return p;
                }
            }
        }
    }
    p
}

/// A human-readable report.
pub fn render_text(report: &VerifyReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} rows x {} outputs; reference hash {}",
        report.rows, report.n_outputs, report.reference_hash
    );
    if let Some(c) = &report.coverage {
        let _ = writeln!(
            s,
            "coverage: leaves {}/{} ({:.1}%), branches {}/{} ({:.1}%)",
            c.leaves_hit,
            c.leaves_total,
            c.leaf_percent(),
            c.branches_hit,
            c.branches_total,
            c.branch_percent()
        );
    }
    for t in &report.targets {
        let _ = writeln!(s, "{}", summary_line(t));
        let _ = writeln!(s, "    compiler: {}", t.compiler_version);
        if !t.runner_version.is_empty() {
            let _ = writeln!(s, "    runner:   {}", t.runner_version);
        }
        if let Some(m) = &t.model_size {
            let _ = writeln!(
                s,
                "    model size: text {} rodata {} data {} bss {}",
                m.text, m.rodata, m.data, m.bss
            );
        }
        if let Some(st) = &t.stack {
            let mut line = format!("    stack: sum of frames {} B", st.sum_of_frames);
            if let Some(c) = st.max_chain_bytes {
                let _ = write!(line, ", deepest chain {c} B ({})", st.max_chain.join(" > "));
            }
            if let Some(m) = st.measured_peak {
                let _ = write!(line, ", measured peak {m} B");
            }
            if let Some(g) = st.generator_estimate {
                let _ = write!(line, ", generator estimate {g} B");
                if let Some(one) = st.generator_single.filter(|&one| one != g) {
                    let _ = write!(line, " (timber_infer_single {one} B)");
                }
            }
            let _ = writeln!(s, "{line}");
        }
        if let Some(b) = &t.batch_api {
            let _ = writeln!(
                s,
                "    batch API: {} timber_infer calls in blocks of {} rows, {} refused as required, {} mismatches",
                b.calls,
                batch::block_list(&b.block_sizes),
                b.refused_calls,
                b.mismatch_count
            );
        }
        if let Some(f) = &t.fp_flags {
            let _ = writeln!(s, "    FP exception flags: {}", f.summary());
        }
        for m in &t.mismatches {
            let mut out = m
                .output
                .map(|o| format!("output {o}"))
                .unwrap_or_else(|| "status".into());
            if let Some(b) = m.block {
                let _ = write!(out, " of timber_infer over blocks of {b} rows");
            }
            let ulps = m.ulps.map(|u| format!(" ({u} ulp)")).unwrap_or_default();
            let _ = writeln!(
                s,
                "    row {} {}: expected {} got {}{}",
                m.row, out, m.expected, m.got, ulps
            );
        }
        if t.mismatch_count > t.mismatches.len() {
            let _ = writeln!(
                s,
                "    ... and {} more",
                t.mismatch_count - t.mismatches.len()
            );
        }
        if let Some(tm) = &t.timing {
            s.push_str(&timing::render_text(tm));
        }
        if let Some(msg) = &t.message {
            for l in msg.lines() {
                let _ = writeln!(s, "    {l}");
            }
        }
    }
    let passed = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Pass)
        .count();
    let _ = writeln!(
        s,
        "{passed} of {} targets bit-identical to the reference",
        report.targets.len()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_parsing_checks_row_order_and_width() {
        let p = parse_output("R 0 0 3f800000 00000000\nS 72 4096\nH 1 1\n", 2);
        assert_eq!(p.rows, vec![(0, vec![0x3f80_0000, 0])]);
        assert_eq!(p.stack, Some((72, 4096)));
        assert!(p.error.is_none());
        assert!(parse_output("R 1 0 3f800000 0\n", 2).error.is_some());
        assert!(parse_output("R 0 0 3f800000\n", 2).error.is_some());
    }

    #[test]
    fn vectors_are_batched_on_small_boards_and_big_models_refused() {
        let all = targets::all().expect("targets");
        let m0 = all.iter().find(|t| t.name == "cortex-m0").expect("m0");
        let host = all.iter().find(|t| t.name == "host").expect("host");
        let small = SectionSizes {
            text: 1000,
            rodata: 20_000,
            data: 0,
            bss: 0,
        };
        assert_eq!(batch_rows(host, Some(&small), 10, 100_000, 48), Ok(100_000));
        let per = batch_rows(m0, Some(&small), 10, 100_000, 0).expect("fits");
        assert!(per > 100 && per * 40 <= 256 * 1024 / 4, "{per}");
        let big = SectionSizes {
            rodata: 600_000,
            ..small
        };
        assert!(batch_rows(m0, Some(&big), 10, 10, 0).is_err());
        // The batch check's buffers bound the rows by the RAM left: 16 KiB
        // less the 8 KiB reserve and 2 KiB of stack paint.
        let by_ram = batch_rows(m0, Some(&small), 10, 100_000, 48).expect("fits");
        assert_eq!(by_ram, (16 * 1024 - 8 * 1024 - 2048) / 48);
        assert!(batch_rows(m0, Some(&small), 2000, 10, 8000).is_err());
    }

    #[test]
    fn fnv_matches_the_harness_constant() {
        assert_eq!(fnv1a(std::iter::empty()), 2_166_136_261);
    }
}
