//! Object-code branch coverage in the bundle (`coverage/object.json`):
//! per bare-metal target whose instructions were counted, the conditional
//! branches of the traced image taken both ways, one way or never, per
//! function of model.c and per library routine the calls reached
//! ([`crate::verify::branch_cov`]).
//!
//! `audit verify` re-adds every function's figures ([`check`]): the
//! branch count must be the sum of both-ways, one-way and never, and every
//! branch not taken both ways must be listed with its address.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::layout;
use crate::verify::branch_cov::{BranchCoverage, FunctionBranches};
use crate::verify::targets::TargetKind;
use crate::verify::{TargetSpec, VerifyReport};

/// Schema version of `coverage/object.json`.
pub const OBJECT_COVERAGE_SCHEMA_VERSION: u32 = 1;

/// `coverage/object.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectCoverageFile {
    pub schema_version: u32,
    /// How the figures were obtained, in words.
    pub method: String,
    /// One entry per bare-metal target, in verification order.
    pub targets: Vec<TargetObjectCoverage>,
}

/// One target's figures, or why there are none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetObjectCoverage {
    pub target: String,
    pub coverage: Option<BranchCoverage>,
    pub message: Option<String>,
}

const METHOD: &str = "the model's objects linked with qemu/trace_driver.c (one call of timber_infer_single per vector) and run under QEMU with -d in_asm,exec,nochain; after every conditional branch executed inside a call, the next block's pc says taken (the branch target) or not taken (the next instruction); branches and functions from objdump -d of the same image; functions defined in model.c are the model's, every other function the calls ran is a library routine";

/// The file for `report`'s bare-metal targets (None when no target is
/// bare-metal). Takes the coverage out of the report's timing.
pub fn take_from_report(
    report: &mut VerifyReport,
    specs: &[TargetSpec],
) -> Option<ObjectCoverageFile> {
    let mut targets = Vec::new();
    for t in &mut report.targets {
        let bare = specs
            .iter()
            .any(|s| s.name == t.target && s.kind == TargetKind::BareMetal);
        if !bare {
            continue;
        }
        let branches = t.timing.as_mut().and_then(|tm| tm.branches.take());
        let (coverage, message) = match branches {
            Some(Ok(c)) => (Some(c), None),
            Some(Err(m)) => (None, Some(m)),
            None => (
                None,
                Some("not measured: the instructions of this target were not traced".into()),
            ),
        };
        targets.push(TargetObjectCoverage {
            target: t.target.clone(),
            coverage,
            message,
        });
    }
    (!targets.is_empty()).then(|| ObjectCoverageFile {
        schema_version: OBJECT_COVERAGE_SCHEMA_VERSION,
        method: METHOD.into(),
        targets,
    })
}

fn check_function(target: &str, f: &FunctionBranches, out: &mut Vec<String>) {
    if f.branches != f.both_ways + f.one_way + f.never {
        out.push(format!(
            "target {target}: function {} has {} branches but {} both ways + {} one way + {} never",
            f.function, f.branches, f.both_ways, f.one_way, f.never
        ));
    }
    let listed_one = f.partial.iter().filter(|p| p.taken != p.not_taken).count();
    let listed_never = f
        .partial
        .iter()
        .filter(|p| !p.taken && !p.not_taken)
        .count();
    if listed_one != f.one_way
        || listed_never != f.never
        || f.partial.iter().any(|p| p.taken && p.not_taken)
    {
        out.push(format!(
            "target {target}: function {} lists {listed_one} one-way and {listed_never} never-taken branches, its figures say {} and {}",
            f.function, f.one_way, f.never
        ));
    }
}

/// `audit verify`: every function's figures add up and every partial
/// branch is listed. Returns (bundle path, message) per problem.
pub fn check(files: &BTreeMap<String, Vec<u8>>) -> Vec<(String, String)> {
    let Some(bytes) = files.get(layout::OBJECT_COVERAGE) else {
        return Vec::new();
    };
    let path = layout::OBJECT_COVERAGE.to_string();
    let file: ObjectCoverageFile = match serde_json::from_slice(bytes) {
        Ok(f) => f,
        Err(e) => return vec![(path, format!("not an object coverage file: {e}"))],
    };
    let mut out = Vec::new();
    for t in &file.targets {
        if let Some(c) = &t.coverage {
            for f in c.model.iter().chain(&c.library) {
                check_function(&t.target, f, &mut out);
            }
        }
    }
    out.into_iter().map(|m| (path.clone(), m)).collect()
}
