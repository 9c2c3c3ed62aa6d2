//! Execution-time evidence per target: measured instruction counts of
//! every vector ([`super::trace`]), and on bare-metal targets a static
//! upper bound on instructions and cycles per call from the linked image
//! ([`cfg`], [`bound`], [`cycles`]).

pub mod bound;
pub mod cfg;
pub mod cycles;

pub use bound::Bound;
pub use cycles::CycleModel;

use super::process;
use super::targets::{TargetKind, TargetSpec};
use super::trace::{self, Counts};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// Timing figures of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct TimingReport {
    /// Measured instructions per call, every vector.
    pub counts: Option<Counts>,
    /// Why there are no counts (or why they are incomplete).
    pub message: Option<String>,
    /// The static bound of one call (bare-metal targets), from the same
    /// linked image the counts were measured on.
    pub bound: Option<Bound>,
    /// Why there is no bound (an unmatched loop, an indirect branch, or a
    /// Linux user-mode target, for which none is claimed).
    pub bound_message: Option<String>,
    /// Object-code branch coverage of the traced image (bare-metal
    /// targets), or why there is none ([`super::branch_cov`]).
    #[serde(skip)]
    pub branches: Option<Result<super::branch_cov::BranchCoverage, String>>,
}

/// Per-target state of the counting while the batches run.
#[derive(Debug, Default)]
pub(super) struct Counter {
    per_row: Vec<u64>,
    driver_built: bool,
    failed: Option<String>,
    bound: Option<Result<Bound, String>>,
    mode: trace::TraceMode,
    /// Successors of every block-ending instruction, over all batches.
    edges: std::collections::BTreeMap<u64, std::collections::BTreeSet<u64>>,
    /// The first batch's disassembly and model.c (branch coverage).
    disasm: Option<String>,
    model_c: Option<String>,
}

/// What one batch's traced run needs to know.
pub(super) struct Batch<'a> {
    pub dir: &'a Path,
    pub model_objs: &'a [String],
    /// Rows in this batch.
    pub rows: usize,
    /// FNV-1a of the output bits the verification run printed for this
    /// batch (the traced image must compute the same).
    pub hash: u32,
}

impl Counter {
    pub(super) fn new(mode: trace::TraceMode) -> Counter {
        Counter {
            mode,
            ..Counter::default()
        }
    }

    /// Build and trace one batch (vectors.o already built in `dir`);
    /// commands are appended to `commands`.
    pub(super) fn batch(&mut self, t: &TargetSpec, b: &Batch<'_>, commands: &mut Vec<String>) {
        if self.failed.is_some() {
            return;
        }
        if let Err(m) = self.try_batch(t, b, commands) {
            self.failed = Some(m);
        }
    }

    fn try_batch(
        &mut self,
        t: &TargetSpec,
        b: &Batch<'_>,
        commands: &mut Vec<String>,
    ) -> Result<(), String> {
        let spec = t
            .timing
            .as_ref()
            .ok_or_else(|| "the target defines no [timing]".to_string())?;
        let timeout = Duration::from_secs(300);
        let mut run = |program: &str, args: Vec<String>| -> Result<(), String> {
            commands.push(process::command_line(program, &args));
            let f = process::run(program, &args, b.dir, timeout)
                .map_err(|e| format!("cannot run {program}: {e}"))?;
            if f.success() {
                Ok(())
            } else {
                Err(format!("{program} failed: {}", f.stderr.trim()))
            }
        };
        if !self.driver_built {
            std::fs::write(b.dir.join("trace_driver.c"), trace::TRACE_DRIVER_C)
                .map_err(|e| format!("writing trace_driver.c: {e}"))?;
            let mut args = t.cflags.clone();
            args.extend(
                ["-I.", "-c", "trace_driver.c", "-o", "trace_driver.o"]
                    .iter()
                    .map(|s| s.to_string()),
            );
            run(&t.compiler, args)?;
            self.driver_built = true;
        }
        let exe = "trace.elf";
        let mut args = t.cflags.clone();
        args.extend(b.model_objs.iter().cloned());
        args.extend(
            ["trace_driver.o", "vectors.o", "-o", exe]
                .iter()
                .map(|s| s.to_string()),
        );
        args.extend(t.resolved_ldflags());
        args.extend(spec.trace_ldflags.iter().cloned());
        run(&t.compiler, args)?;
        let tr = trace::run_traced(
            t,
            spec,
            b.dir,
            exe,
            Duration::from_secs(t.timeout_secs.saturating_mul(20)),
            self.mode,
        )?;
        commands.push(tr.command);
        let want = format!("H {:08x} {}", b.hash, b.rows);
        if tr.hash_line.as_deref() != Some(want.as_str()) {
            return Err(format!(
                "the traced image printed `{}`, expected `{want}` (the verification run's bits)",
                tr.hash_line.as_deref().unwrap_or("nothing")
            ));
        }
        if tr.counts.len() != b.rows {
            return Err(format!(
                "the trace holds {} calls of {}; the batch has {} rows",
                tr.counts.len(),
                trace::ENTRY,
                b.rows
            ));
        }
        self.per_row.extend(tr.counts);
        for (k, v) in tr.edges {
            self.edges.entry(k).or_default().extend(v);
        }
        if self.bound.is_none() {
            self.bound = Some(static_bound(
                t,
                spec,
                b.dir,
                exe,
                commands,
                &mut self.disasm,
            ));
            self.model_c = std::fs::read_to_string(b.dir.join("model.c")).ok();
        }
        Ok(())
    }

    /// The finished figures.
    pub(super) fn finish(self, t: &TargetSpec) -> TimingReport {
        let counter = t
            .timing
            .as_ref()
            .map(|s| s.counter.as_str())
            .unwrap_or_default();
        let branches = match (&self.disasm, &self.model_c) {
            (Some(d), Some(c)) if t.kind == TargetKind::BareMetal => {
                let pcs = self.edges.keys().copied().collect();
                let ran = super::branch_cov::functions_containing(d, &pcs);
                let model = super::branch_cov::model_functions(c);
                Some(super::branch_cov::measure(d, &self.edges, &ran, &model))
            }
            _ => None,
        };
        let (bound, bound_message) = match self.bound {
            Some(Ok(b)) => (Some(b), None),
            Some(Err(m)) => (None, Some(m)),
            None => (None, None),
        };
        match self.failed {
            Some(m) => TimingReport {
                counts: None,
                message: Some(format!("no instruction counts: {m}")),
                bound,
                bound_message,
                branches: None,
            },
            None => TimingReport {
                counts: Counts::from_rows(counter, self.per_row),
                message: None,
                bound,
                bound_message,
                branches,
            },
        }
    }
}

/// The static bound of `exe` (bare-metal targets only).
fn static_bound(
    t: &TargetSpec,
    spec: &super::trace::TimingSpec,
    dir: &Path,
    exe: &str,
    commands: &mut Vec<String>,
    disasm: &mut Option<String>,
) -> Result<Bound, String> {
    if t.kind != TargetKind::BareMetal {
        return Err(
            "no static bound is claimed under Linux user mode or on the host \
             (caches, out-of-order execution and the operating system are not \
             modelled): measured counts only"
                .to_string(),
        );
    }
    let args = vec![
        "-d".to_string(),
        "--no-show-raw-insn".to_string(),
        exe.to_string(),
    ];
    commands.push(process::command_line(&spec.objdump, &args));
    let f = process::run(&spec.objdump, &args, dir, Duration::from_secs(300))
        .map_err(|e| format!("cannot run {}: {e}", spec.objdump))?;
    if !f.success() {
        return Err(format!(
            "{} -d {exe} failed: {}",
            spec.objdump,
            f.stderr.trim()
        ));
    }
    *disasm = Some(f.stdout.clone());
    let funcs =
        cfg::parse_thumb_objdump(&f.stdout).map_err(|m| format!("{m}: measured counts only"))?;
    bound::bound(&funcs, trace::ENTRY, spec.cycles.as_ref())
}

/// The report's lines about timing (indented like the other target lines).
pub fn render_text(t: &TimingReport) -> String {
    let mut s = String::new();
    if let Some(c) = &t.counts {
        s.push_str(&format!(
            "    instructions per call: max {} (row {}), median {}, min {} over {} rows [{}]\n",
            c.max,
            c.max_row,
            c.median,
            c.min,
            c.per_row.len(),
            c.counter
        ));
    }
    if let Some(m) = &t.message {
        s.push_str(&format!("    timing: {m}\n"));
    }
    if let Some(b) = &t.bound {
        let mut line = format!("    static bound per call: {} instructions", b.instructions);
        if let (Some(c), Some(us), Some(mhz)) = (b.cycles, b.micros, b.clock_mhz) {
            line.push_str(&format!(", {c} cycles, {us:.2} us at {mhz} MHz"));
        }
        if let Some(c) = &t.counts {
            if c.max > 0 {
                line.push_str(&format!(
                    "; bound / measured max {:.3}",
                    b.instructions as f64 / c.max as f64
                ));
            }
        }
        s.push_str(&line);
        s.push('\n');
    }
    if let Some(m) = &t.bound_message {
        s.push_str(&format!("    static bound: {m}\n"));
    }
    match &t.branches {
        Some(Ok(c)) => s.push_str(&super::branch_cov::render_text(c)),
        Some(Err(m)) => s.push_str(&format!("    object-code branch coverage: {m}\n")),
        None => {}
    }
    s
}
