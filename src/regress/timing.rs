//! A timing regression against a golden: when the golden is an audit
//! bundle that carries `timing.json`, each target's instruction counts of
//! this run are compared, vector by vector, with the counts recorded there.
//! Counts are exact and deterministic, so any difference means the code
//! path changed (generator, compiler, libgcc), even when every output bit
//! is still equal: it is reported apart from the output bits.

use crate::audit::layout;
use crate::audit::timing::TimingFile;
use crate::verify::VerifyReport;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Counts of one target against the golden's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountChange {
    pub target: String,
    /// Vectors whose count differs.
    pub rows_differing: usize,
    pub rows: usize,
    pub golden_max: u64,
    pub max: u64,
    /// The first differing vector: (row, golden count, count).
    pub first: Option<(usize, u64, u64)>,
}

/// The `timing.json` beside a golden (a bundle directory, or its
/// `verify/vectors.json`), when there is one.
pub fn golden_timing_path(golden: &Path) -> Option<PathBuf> {
    let root = if golden.is_dir() {
        golden.to_path_buf()
    } else {
        golden.parent()?.parent()?.to_path_buf()
    };
    let p = root.join(layout::TIMING);
    p.is_file().then_some(p)
}

/// Compare the counts of `report` with `golden`; targets counted on one
/// side only are left out (`skipped` names them).
pub fn compare(golden: &TimingFile, report: &VerifyReport) -> (Vec<CountChange>, Vec<String>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for t in &report.targets {
        let now = t.timing.as_ref().and_then(|x| x.counts.as_ref());
        let then = golden
            .targets
            .iter()
            .find(|g| g.target == t.target)
            .and_then(|g| g.measured.as_ref());
        let (Some(now), Some(then)) = (now, then) else {
            skipped.push(t.target.clone());
            continue;
        };
        let n = now.per_row.len().max(then.per_row.len());
        let differ: Vec<usize> = (0..n)
            .filter(|&i| now.per_row.get(i) != then.per_row.get(i))
            .collect();
        out.push(CountChange {
            target: t.target.clone(),
            rows_differing: differ.len(),
            rows: now.per_row.len(),
            golden_max: then.max,
            max: now.max,
            first: differ.first().map(|&i| {
                (
                    i,
                    then.per_row.get(i).copied().unwrap_or(0),
                    now.per_row.get(i).copied().unwrap_or(0),
                )
            }),
        });
    }
    (out, skipped)
}

/// The report's lines.
pub fn render(changes: &[CountChange], skipped: &[String]) -> String {
    let mut s = String::new();
    for c in changes {
        if c.rows_differing == 0 {
            s.push_str(&format!(
                "timing: {}: instruction counts identical to the golden on all {} rows (max {})\n",
                c.target, c.rows, c.max
            ));
        } else {
            s.push_str(&format!(
                "timing: {}: TIMING CHANGED: instruction counts differ from the golden on {} of {} \
                 rows (max {} -> {}",
                c.target, c.rows_differing, c.rows, c.golden_max, c.max
            ));
            if let Some((r, a, b)) = c.first {
                s.push_str(&format!("; first row {r}: {a} -> {b}"));
            }
            s.push_str(")\n");
        }
    }
    if !skipped.is_empty() {
        s.push_str(&format!(
            "timing: not compared on {} (no counts on one side)\n",
            skipped.join(", ")
        ));
    }
    s
}
