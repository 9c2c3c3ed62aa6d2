//! Object-code branch coverage of the image that ran: binary_nan on
//! cortex-m4f (Thumb-2) and riscv32imac (RISC-V, compressed branches),
//! from the same block trace that counts the instructions, against the
//! objdump of the traced image.
//!
//! - Figures: the model's functions and the library routines the calls
//!   reached, each conditional branch taken both ways, one way or never.
//! - A planted unreachable branch: the vectors without every row that goes
//!   right at tree 0's root. The branch that decides that split is now
//!   driven one way only, and the coverage names it (function, address,
//!   disassembly) as a one-way branch it did not list with all vectors.
//!
//! Under CI a missing toolchain fails the test.

mod common;

use std::collections::BTreeSet;
use timber::frontend::{load_model, FormatChoice};
use timber::ir::Node;
use timber::verify::branch_cov::BranchCoverage;
use timber::verify::{self, TargetStatus, VectorOptions, VerifyOptions};

const MODEL: &str = "tests/fixtures/xgboost/binary_nan.json";

fn coverage(
    ens: &timber::ir::Ensemble,
    rows: &[Vec<f32>],
    targets: &[verify::TargetSpec],
) -> Vec<(String, BranchCoverage)> {
    // The branches layout: every split is its own comparison in the code
    // (the table layouts walk every tree with one shared loop).
    let opts = timber::codegen::c99::Options {
        layout: timber::codegen::c99::Layout::Branches,
        ..Default::default()
    };
    let files = timber::codegen::c99::emit_c99(ens, &opts).expect("emits");
    let report = verify::verify_with(
        &files,
        rows,
        targets,
        ens.n_features as usize,
        ens.n_outputs() as usize,
        &|r: &[f32]| timber::ir::evaluate(ens, r),
        &VerifyOptions {
            count_instructions: true,
            ..Default::default()
        },
    )
    .expect("verify runs");
    report
        .targets
        .iter()
        .map(|t| {
            assert_eq!(
                t.status,
                TargetStatus::Pass,
                "{}: {:?}",
                t.target,
                t.message
            );
            let tr = t.timing.as_ref().expect("timing");
            let c = tr
                .branches
                .clone()
                .unwrap_or_else(|| panic!("{}: no branch coverage", t.target))
                .unwrap_or_else(|e| panic!("{}: {e}", t.target));
            (t.target.clone(), c)
        })
        .collect()
}

/// (function, address) of every one-way model branch.
fn one_way(c: &BranchCoverage) -> BTreeSet<(String, String, String)> {
    c.model
        .iter()
        .flat_map(|f| {
            f.partial
                .iter()
                .filter(|p| p.taken != p.not_taken)
                .map(|p| (f.function.clone(), p.addr.clone(), p.disassembly.clone()))
        })
        .collect()
}

#[test]
fn branch_coverage_of_binary_nan_and_a_planted_one_way_branch() {
    let Some(targets) = common::targets_with_tools(&["cortex-m4f", "riscv32imac"]) else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ens = load_model(&root.join(MODEL), FormatChoice::Auto).expect("fixture loads");
    let rows = verify::generate(&ens, &VectorOptions::default()).rows;
    let full = coverage(&ens, &rows, &targets);

    for (target, c) in &full {
        let (branches, both) = c.model_totals();
        for f in c.model.iter().chain(&c.library) {
            assert_eq!(
                f.branches,
                f.both_ways + f.one_way + f.never,
                "{target} {}",
                f.function
            );
            assert_eq!(f.partial.len(), f.one_way + f.never);
        }
        eprintln!("{target}: model {both}/{branches} conditional branches both ways");
        for f in c.model.iter().chain(&c.library) {
            eprintln!(
                "  {} {}: {} branches, {} both ways, {} one way, {} never",
                if c.model.contains(f) {
                    "model"
                } else {
                    "library"
                },
                f.function,
                f.branches,
                f.both_ways,
                f.one_way,
                f.never
            );
            for p in &f.partial {
                eprintln!(
                    "    {} {} taken={} not_taken={}",
                    p.addr, p.disassembly, p.taken, p.not_taken
                );
            }
        }
        // binary_nan has 50 trees of several splits each.
        assert!(branches > 200, "{target}: {branches} model branches");
        assert!(both > branches / 2, "{target}: {both}/{branches}");
        // Soft float: the comparisons are library calls that branch.
        if target == "riscv32imac" {
            assert!(!c.library.is_empty(), "{target}");
        }
    }

    // Plant: drop every row that goes right at tree 0's root.
    let Node::Split(s) = &ens.trees[0].nodes[0] else {
        panic!("tree 0's root is a split")
    };
    let planted: Vec<Vec<f32>> = rows
        .iter()
        .filter(|r| {
            timber::ir::eval::goes_left(r[s.feature as usize], s.threshold, s.op, s.missing)
        })
        .cloned()
        .collect();
    assert!(planted.len() < rows.len() && !planted.is_empty());
    let cut = coverage(&ens, &planted, &targets);
    for ((target, c_full), (_, c_cut)) in full.iter().zip(&cut) {
        let before = one_way(c_full);
        let after = one_way(c_cut);
        let new: Vec<_> = after.difference(&before).collect();
        assert!(
            !new.is_empty(),
            "{target}: removing tree 0's right side left no new one-way branch"
        );
        assert!(c_cut.model_totals().1 < c_full.model_totals().1, "{target}");
        for (function, addr, dis) in &new {
            assert!(function.starts_with("timber_"), "{function}");
            assert!(addr.starts_with("0x") && !dis.is_empty());
            eprintln!("{target}: planted one-way branch {function} {addr} {dis}");
        }
    }
}
