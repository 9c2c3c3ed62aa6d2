//! Execution-time evidence per target: measured instruction counts of
//! every vector ([`super::trace`]), and on bare-metal targets a static
//! upper bound on instructions and cycles per call from the linked image
//! ([`cfg`], [`bound`], [`cycles`]).

pub mod cycles;

pub use cycles::CycleModel;

use super::process;
use super::targets::TargetSpec;
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
}

/// Per-target state of the counting while the batches run.
#[derive(Debug, Default)]
pub(super) struct Counter {
    per_row: Vec<u64>,
    driver_built: bool,
    failed: Option<String>,
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
        Ok(())
    }

    /// The finished figures.
    pub(super) fn finish(self, t: &TargetSpec) -> TimingReport {
        let counter = t
            .timing
            .as_ref()
            .map(|s| s.counter.as_str())
            .unwrap_or_default();
        match self.failed {
            Some(m) => TimingReport {
                counts: None,
                message: Some(format!("no instruction counts: {m}")),
            },
            None => TimingReport {
                counts: Counts::from_rows(counter, self.per_row),
                message: None,
            },
        }
    }
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
    s
}
