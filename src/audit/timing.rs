//! Execution-time evidence of a bundle (`timing.json`) and its requirement
//! rows (`timing:<target>`).
//!
//! `certify` writes, per target, what `timber verify` measured and bounded
//! (docs/timing.md): the static bound of one call of `timber_infer_single`
//! on bare-metal targets (instructions, cycles under the target's cycle
//! model, µs at its clock) or the reason there is none, and the measured
//! instructions of every vector's call with their maximum, median and the
//! vector that reached the maximum. [`rows`] derives one row per target from
//! that file alone, recomputing the summary figures from the per-vector
//! counts, so `audit verify` re-checks them.
//!
//! A row passes on the bound only: bound cycles <= the level's budget, and
//! the measured maximum never above the bound (a bound below a measurement
//! would be unsound, and fails). A target without a bound (Linux user mode
//! and the host, where none is claimed; code the analysis refuses) fails
//! when the level sets `require_bound`, and is otherwise a passing row that
//! says "measured only".

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::layout;
use super::record::{Requirement, Status, TimingSummary};
use super::requirements::EvidenceError;
use crate::profile::TimingBudget;
use crate::verify::targets::{TargetKind, TargetSpec};
use crate::verify::timing::CycleModel;
use crate::verify::trace::Counts;
use crate::verify::VerifyReport;

/// Schema version of `timing.json`.
pub const TIMING_SCHEMA_VERSION: u32 = 1;

/// `timing.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingFile {
    pub schema_version: u32,
    /// The function whose calls are bounded and counted.
    pub entry: String,
    /// One entry per verified target, in verification order.
    pub targets: Vec<TargetTiming>,
}

/// Execution-time figures of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetTiming {
    pub target: String,
    /// `bare-metal`, `linux-user` or `host`.
    pub kind: String,
    /// What the measured counts are (the target's `[timing] counter`).
    pub counter: Option<String>,
    pub measured: Option<Measured>,
    /// Why there are no measured counts.
    pub measured_message: Option<String>,
    pub bound: Option<BoundFigures>,
    /// Why there is no bound.
    pub bound_message: Option<String>,
    /// The cycle model the bound's cycles come from (bare-metal targets).
    pub cycle_model: Option<CycleModel>,
}

/// Measured instructions per call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    pub rows: usize,
    pub max: u64,
    /// Lower median.
    pub median: u64,
    pub min: u64,
    /// The first vector (index into verify/vectors.json) that reached the
    /// maximum, and its input bits.
    pub max_row: usize,
    pub max_vector: Vec<String>,
    /// Instructions of every vector's call, in vector order.
    pub per_row: Vec<u64>,
}

/// The static bound of one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundFigures {
    pub instructions: u64,
    pub cycles: Option<u64>,
    pub micros: Option<f64>,
    pub clock_mhz: Option<f64>,
    /// Every function the bound covers, with its own bound in
    /// instructions (callees included).
    pub functions: BTreeMap<String, u64>,
}

fn kind_name(k: TargetKind) -> &'static str {
    match k {
        TargetKind::Host => "host",
        TargetKind::LinuxUser => "linux-user",
        TargetKind::BareMetal => "bare-metal",
    }
}

/// Move the timing figures out of `report` (so `verify/<target>.json`
/// keeps none) into the bundle's `timing.json`; `rows` are the vectors.
pub fn take_from_report(
    report: &mut VerifyReport,
    specs: &[TargetSpec],
    rows: &[Vec<f32>],
) -> TimingFile {
    let mut targets = Vec::new();
    for t in &mut report.targets {
        let spec = specs.iter().find(|s| s.name == t.target);
        let timing_spec = spec.and_then(|s| s.timing.as_ref());
        let tm = t.timing.take();
        let (measured, measured_message) = match &tm {
            Some(r) => match &r.counts {
                Some(c) => (Some(measured(c, rows)), None),
                None => (
                    None,
                    Some(
                        r.message
                            .clone()
                            .unwrap_or_else(|| "no instruction counts".into()),
                    ),
                ),
            },
            None if timing_spec.is_none() => (
                None,
                Some("not counted: the target defines no [timing] table".into()),
            ),
            None => (
                None,
                Some(format!(
                    "not counted: the target did not run ({})",
                    t.message.as_deref().unwrap_or("see its verify file")
                )),
            ),
        };
        let bound = tm
            .as_ref()
            .and_then(|r| r.bound.as_ref())
            .map(|b| BoundFigures {
                instructions: b.instructions,
                cycles: b.cycles,
                micros: b.micros,
                clock_mhz: b.clock_mhz,
                functions: b.functions.clone(),
            });
        let bound_message = match (&bound, tm.as_ref().and_then(|r| r.bound_message.clone())) {
            (Some(_), _) => None,
            (None, Some(m)) => Some(m),
            (None, None) => Some("no bound: the image was not analysed".into()),
        };
        targets.push(TargetTiming {
            target: t.target.clone(),
            kind: spec.map_or("unknown", |s| kind_name(s.kind)).to_string(),
            counter: timing_spec.map(|s| s.counter.clone()),
            measured,
            measured_message,
            bound,
            bound_message,
            cycle_model: timing_spec.and_then(|s| s.cycles.clone()),
        });
    }
    TimingFile {
        schema_version: TIMING_SCHEMA_VERSION,
        entry: crate::verify::trace::ENTRY.to_string(),
        targets,
    }
}

fn hex_row(r: &[f32]) -> Vec<String> {
    r.iter().map(|v| format!("{:08x}", v.to_bits())).collect()
}

fn measured(c: &Counts, rows: &[Vec<f32>]) -> Measured {
    Measured {
        rows: c.per_row.len(),
        max: c.max,
        median: c.median,
        min: c.min,
        max_row: c.max_row,
        max_vector: rows.get(c.max_row).map(|r| hex_row(r)).unwrap_or_default(),
        per_row: c.per_row.clone(),
    }
}

/// Check one target's recorded summary against its per-vector counts and
/// the vectors; the error names the field.
fn check_measured(i: usize, m: &Measured, inputs: &[Vec<String>]) -> Result<(), EvidenceError> {
    let bad = |message: String| EvidenceError {
        file: layout::TIMING.into(),
        message: format!("targets[{i}].measured.{message}"),
    };
    let c =
        Counts::from_rows("", m.per_row.clone()).ok_or_else(|| bad("per_row is empty".into()))?;
    for (field, recorded, recomputed) in [
        ("rows", m.rows as u64, c.per_row.len() as u64),
        ("max", m.max, c.max),
        ("median", m.median, c.median),
        ("min", m.min, c.min),
        ("max_row", m.max_row as u64, c.max_row as u64),
    ] {
        if recorded != recomputed {
            return Err(bad(format!(
                "{field} is {recorded}; the per-row counts give {recomputed}"
            )));
        }
    }
    if m.rows != inputs.len() {
        return Err(bad(format!(
            "rows is {}; verify/vectors.json has {} vectors",
            m.rows,
            inputs.len()
        )));
    }
    if inputs.get(m.max_row) != Some(&m.max_vector) {
        return Err(bad(format!(
            "max_vector is not row {} of verify/vectors.json",
            m.max_row
        )));
    }
    Ok(())
}

/// What a `timing:<target>` row demands under `budget`.
fn demanded(budget: &TimingBudget) -> String {
    format!(
        "static bound <= {}{}",
        budget.describe(),
        if budget.require_bound {
            "; a bound on every target"
        } else {
            "; measured only where no bound is claimed"
        }
    )
}

/// The `timing:<target>` rows when the bundle has no `timing.json` although
/// the profile sets a budget: each fails, saying so (a bundle relabelled to
/// a level it was not made for is reported row by row, not refused whole).
pub fn missing_rows(budget: &TimingBudget, targets: &[&str]) -> Vec<Requirement> {
    targets
        .iter()
        .map(|name| Requirement {
            id: format!("timing:{name}"),
            title: format!("Execution time per inference call on {name}"),
            demanded: demanded(budget),
            measured: format!("not measured: the bundle has no {}", layout::TIMING),
            status: Status::Fail,
            evidence: vec![layout::TIMING.into()],
        })
        .collect()
}

/// The `timing:<target>` rows of `targets` (in that order) under `budget`,
/// from `timing.json`; `inputs` are verify/vectors.json's input rows. Also
/// returns each target's figures for the record's target table.
pub fn rows(
    budget: &TimingBudget,
    file: &TimingFile,
    targets: &[&str],
    inputs: &[Vec<String>],
) -> Result<(Vec<Requirement>, BTreeMap<String, TimingSummary>), EvidenceError> {
    let limit = budget.cycles();
    let mut out = Vec::new();
    let mut summaries = BTreeMap::new();
    for name in targets {
        let (i, t) = file
            .targets
            .iter()
            .enumerate()
            .find(|(_, t)| t.target == *name)
            .ok_or_else(|| EvidenceError {
                file: layout::TIMING.into(),
                message: format!("field `targets` has no entry for verified target {name:?}"),
            })?;
        if let Some(m) = &t.measured {
            check_measured(i, m, inputs)?;
        }
        let measured_text = match &t.measured {
            Some(m) => format!(
                "measured max {} instructions (row {}), median {}, over {} vectors",
                m.max, m.max_row, m.median, m.rows
            ),
            None => format!(
                "no measured counts ({})",
                t.measured_message.as_deref().unwrap_or("none recorded")
            ),
        };
        let (measured, ok) = match (&t.bound, t.bound.as_ref().and_then(|b| b.cycles)) {
            (Some(b), Some(cycles)) => {
                let at = match (b.micros, b.clock_mhz) {
                    (Some(us), Some(mhz)) => format!(", {us:.2} us at {mhz} MHz"),
                    _ => String::new(),
                };
                let unsound = t.measured.as_ref().is_some_and(|m| m.max > b.instructions);
                let mut s = format!(
                    "static bound {cycles} cycles ({} instructions{at}); {measured_text}",
                    b.instructions
                );
                if cycles > limit {
                    s.push_str(&format!(
                        "; bound {cycles} cycles exceeds the budget of {limit}"
                    ));
                }
                if unsound {
                    s.push_str("; the measured maximum exceeds the bound: the bound is unsound");
                }
                let counted = t.measured.is_some();
                if !counted {
                    s.push_str("; without counts the bound is not checked against a measurement");
                }
                (s, cycles <= limit && !unsound && counted)
            }
            (Some(b), None) => (
                format!(
                    "static bound {} instructions, no cycle model: no cycle bound; {measured_text}",
                    b.instructions
                ),
                !budget.require_bound && t.measured.is_some(),
            ),
            (None, _) => (
                format!(
                    "measured only, no bound ({}); {measured_text}",
                    t.bound_message.as_deref().unwrap_or("none claimed")
                ),
                !budget.require_bound && t.measured.is_some(),
            ),
        };
        out.push(Requirement {
            id: format!("timing:{name}"),
            title: format!("Execution time per inference call on {name}"),
            demanded: demanded(budget),
            measured,
            status: Status::from_bool(ok),
            evidence: vec![layout::TIMING.into(), layout::verify_file(name)],
        });
        summaries.insert(
            name.to_string(),
            TimingSummary {
                bound_instructions: t.bound.as_ref().map(|b| b.instructions),
                bound_cycles: t.bound.as_ref().and_then(|b| b.cycles),
                bound_us: t.bound.as_ref().and_then(|b| b.micros),
                clock_mhz: t.bound.as_ref().and_then(|b| b.clock_mhz),
                measured_max: t.measured.as_ref().map(|m| m.max),
                measured_median: t.measured.as_ref().map(|m| m.median),
                budget_cycles: limit,
            },
        );
    }
    Ok((out, summaries))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bound: Option<u64>, counts: Vec<u64>) -> TimingFile {
        let c = Counts::from_rows("x", counts).expect("rows");
        TimingFile {
            schema_version: 1,
            entry: "timber_infer_single".into(),
            targets: vec![TargetTiming {
                target: "m".into(),
                kind: "bare-metal".into(),
                counter: Some("x".into()),
                measured: Some(Measured {
                    rows: c.per_row.len(),
                    max: c.max,
                    median: c.median,
                    min: c.min,
                    max_row: c.max_row,
                    max_vector: vec![format!("{:08x}", c.max_row)],
                    per_row: c.per_row,
                }),
                measured_message: None,
                bound: bound.map(|cycles| BoundFigures {
                    instructions: 10,
                    cycles: Some(cycles),
                    micros: Some(cycles as f64 / 100.0),
                    clock_mhz: Some(100.0),
                    functions: BTreeMap::new(),
                }),
                bound_message: bound.is_none().then(|| "a loop".to_string()),
                cycle_model: None,
            }],
        }
    }

    fn inputs(n: usize) -> Vec<Vec<String>> {
        (0..n).map(|i| vec![format!("{i:08x}")]).collect()
    }

    fn budget(cycles: u64, require_bound: bool) -> TimingBudget {
        TimingBudget {
            budget_cycles: Some(cycles),
            budget_us: None,
            clock_mhz: None,
            require_bound,
        }
    }

    #[test]
    fn the_row_passes_on_the_bound_against_the_budget() {
        let f = file(Some(30), vec![8, 10, 9]);
        let (r, s) = rows(&budget(30, false), &f, &["m"], &inputs(3)).expect("rows");
        assert_eq!(r[0].status, Status::Pass, "{}", r[0].measured);
        assert_eq!(s["m"].bound_cycles, Some(30));
        let (r, _) = rows(&budget(29, false), &f, &["m"], &inputs(3)).expect("rows");
        assert_eq!(r[0].status, Status::Fail);
        assert!(
            r[0].measured
                .contains("bound 30 cycles exceeds the budget of 29"),
            "{}",
            r[0].measured
        );
    }

    #[test]
    fn a_measurement_above_the_bound_fails_the_row() {
        let f = file(Some(30), vec![8, 11, 9]);
        let (r, _) = rows(&budget(100, false), &f, &["m"], &inputs(3)).expect("rows");
        assert_eq!(r[0].status, Status::Fail);
        assert!(r[0].measured.contains("unsound"), "{}", r[0].measured);
    }

    #[test]
    fn without_a_bound_the_row_is_measured_only_or_fails_when_a_bound_is_required() {
        let f = file(None, vec![8, 11, 9]);
        let (r, _) = rows(&budget(100, false), &f, &["m"], &inputs(3)).expect("rows");
        assert_eq!(r[0].status, Status::Pass);
        assert!(r[0]
            .measured
            .starts_with("measured only, no bound (a loop)"));
        let (r, _) = rows(&budget(100, true), &f, &["m"], &inputs(3)).expect("rows");
        assert_eq!(r[0].status, Status::Fail);
    }

    #[test]
    fn recorded_figures_are_recomputed_from_the_counts() {
        let mut f = file(Some(30), vec![8, 11, 9]);
        if let Some(m) = f.targets[0].measured.as_mut() {
            m.max = 10;
        }
        let e = rows(&budget(100, false), &f, &["m"], &inputs(3)).expect_err("forged max");
        assert_eq!(e.file, "timing.json");
        assert!(
            e.message.contains("targets[0].measured.max is 10"),
            "{}",
            e.message
        );
        let f = file(Some(30), vec![8, 11, 9]);
        let e = rows(&budget(100, false), &f, &["other"], &inputs(3)).expect_err("missing");
        assert!(e.message.contains("\"other\""), "{}", e.message);
        let e = rows(&budget(100, false), &f, &["m"], &inputs(4)).expect_err("row count");
        assert!(e.message.contains("4 vectors"), "{}", e.message);
    }

    #[test]
    fn a_profile_budget_must_state_its_unit_and_clock() {
        let guidelines = crate::check::catalogue::guidelines().expect("catalogue");
        let targets = vec!["cortex-m4f".to_string()];
        let text = |timing: &str| {
            format!(
                "name = \"t\"\ntitle = \"t\"\nstandard = \"t\"\ndescription = \"t\"\n\
                 [check]\n[numeric]\nnan_policy = \"missing\"\nbit_identical = true\n\
                 [bundle]\nrequire = []\n[levels.default]\nsummary = \"s\"\n\
                 targets = [\"cortex-m4f\"]\nadvisory = \"advisory\"\ntiming = {timing}\n"
            )
        };
        let parse = |timing: &str| {
            crate::profile::ProfileDef::parse(&text(timing), "t.toml", &guidelines, &targets)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let e = parse("{ budget_us = 5.0 }").expect_err("no clock");
        assert!(
            e.contains("t.toml: levels.default.timing: budget_us needs clock_mhz"),
            "{e}"
        );
        let e = parse("{ budget_cycles = 5, budget_us = 5.0, clock_mhz = 1.0 }").expect_err("both");
        assert!(e.contains("not both"), "{e}");
        let e = parse("{ require_bound = true }").expect_err("no budget");
        assert!(e.contains("give budget_cycles"), "{e}");
        let e = parse("{ budget_cycle = 5 }").expect_err("misspelt");
        assert!(e.contains("budget_cycle"), "{e}");
        assert_eq!(parse("{ budget_us = 2.5, clock_mhz = 168.0 }"), Ok(()));
        let p = crate::profile::ProfileDef::parse(
            &text("{ budget_us = 2.5, clock_mhz = 168.0 }"),
            "t.toml",
            &guidelines,
            &targets,
        )
        .expect("parse")
        .resolve(None)
        .expect("level");
        let b = p.requirements.timing.expect("timing");
        assert_eq!(b.cycles(), 420);
        assert_eq!(b.describe(), "420 cycles (2.5 us at 168 MHz)");
    }
}
