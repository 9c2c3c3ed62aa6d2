//! Every fixture model (XGBoost 1.7, 2.1, 3.2 sets) on every target: the
//! generated C built with each target's toolchain and run (host, Cortex-M
//! under qemu-system-arm, Cortex-A under QEMU user mode) gives the reference
//! evaluator's bits for every row: the IR-derived vectors (thresholds, next
//! floats, NaN, infinities, one row per leaf, random rows) plus the
//! fixture's own inputs.
//!
//! The one accepted non-pass: a model larger than a board's memory reports
//! "does not fit" (the 500-tree model on the 256 KiB micro:bit); the same
//! core then passes on a larger board (`cortex-m0-mps2`).
//!
//! A missing toolchain fails under CI=true and prints a notice otherwise.

mod common;

use timber::codegen::c99::{emit_c99, numint, Layout, NanPolicy, Numeric, Options};
use timber::frontend::{load_model, FormatChoice};
use timber::verify::{self, targets, vectors, TargetStatus, VerifyOptions};

#[test]
fn every_fixture_model_is_bit_identical_on_every_target() {
    let all = targets::all().expect("embedded targets parse");
    if let Err(e) = verify::check_tools(&all) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and a toolchain is missing: {e}"
        );
        eprintln!("NOTICE: not run, a toolchain is missing: {e}");
        return;
    }
    let mut lines = Vec::new();
    for dir in common::xgboost_fixture_dirs() {
        for name in common::xgboost_models_in(&dir) {
            let ens = load_model(&dir.join(format!("{name}.json")), FormatChoice::Auto)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let files = emit_c99(&ens, &Options::default()).expect("emits");
            let mut rows = vectors::generate(&ens, &Default::default()).rows;
            rows.extend(common::read_csv_f32(
                &dir.join(format!("{name}.inputs.csv")),
            ));
            let report = verify::verify_with(
                &files,
                &rows,
                &all,
                ens.n_features as usize,
                ens.n_outputs() as usize,
                &|row: &[f32]| timber::ir::evaluate(&ens, row),
                &VerifyOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            let label = format!("{}/{name}", dir.file_name().unwrap().to_string_lossy());
            let mut passed = 0;
            for t in &report.targets {
                match t.status {
                    TargetStatus::Pass => passed += 1,
                    TargetStatus::DoesNotFit => {
                        // Only acceptable where a larger board with the same
                        // core is among the targets and passed.
                        assert_eq!(t.target, "cortex-m0", "{label}: {} does not fit", t.target);
                        let big = report
                            .targets
                            .iter()
                            .find(|x| x.target == "cortex-m0-mps2")
                            .expect("cortex-m0-mps2 target");
                        assert_eq!(big.status, TargetStatus::Pass, "{label}: cortex-m0-mps2");
                    }
                    other => panic!(
                        "{label} on {}: {other:?}: {:?} first mismatches {:?}",
                        t.target,
                        t.message,
                        t.mismatches.iter().take(3).collect::<Vec<_>>()
                    ),
                }
            }
            lines.push(format!(
                "{label:<28} {:>5} rows  {passed}/{} targets bit-identical",
                rows.len(),
                report.targets.len()
            ));
        }
    }
    println!("{}", lines.join("\n"));
}

/// The branches and compact layouts on every target, for a few fixture models that
/// between them take every kind of path: binary_nan (NaN defaults both
/// ways, sigmoid), multiclass_softmax (several groups, softmax) and
/// forest (several trees per round, averaged-forest style objective).
/// Every row's bits equal the reference evaluator's (the full fixture set
/// in this layout is covered on the host by tests/c99_host.rs).
#[test]
fn branches_and_compact_layouts_are_bit_identical_on_every_target() {
    let all = targets::all().expect("embedded targets parse");
    if let Err(e) = verify::check_tools(&all) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and a toolchain is missing: {e}"
        );
        eprintln!("NOTICE: not run, a toolchain is missing: {e}");
        return;
    }
    let dir = common::fixtures().join("xgboost");
    let runs = ["binary_nan", "multiclass_softmax", "forest"]
        .into_iter()
        .flat_map(|n| [(n, Layout::Branches), (n, Layout::Compact)]);
    for (name, layout) in runs {
        let ens = load_model(&dir.join(format!("{name}.json")), FormatChoice::Auto)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let opts = Options {
            layout,
            ..Options::default()
        };
        let files = emit_c99(&ens, &opts).expect("emits");
        let mut rows = vectors::generate(&ens, &Default::default()).rows;
        rows.extend(common::read_csv_f32(
            &dir.join(format!("{name}.inputs.csv")),
        ));
        let report = verify::verify_with(
            &files,
            &rows,
            &all,
            ens.n_features as usize,
            ens.n_outputs() as usize,
            &|row: &[f32]| timber::ir::evaluate(&ens, row),
            &VerifyOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.targets.len(), all.len());
        for t in &report.targets {
            assert_eq!(
                t.status,
                TargetStatus::Pass,
                "{name} ({layout:?}) on {}: {:?} first mismatches {:?}",
                t.target,
                t.message,
                t.mismatches.iter().take(3).collect::<Vec<_>>()
            );
        }
        println!(
            "{name:<20} {layout:?} {:>5} rows  {} targets bit-identical",
            rows.len(),
            report.targets.len()
        );
    }
}

/// The integer mode (`--numeric int`) on every target, for every XGBoost
/// 3.2 fixture model and every LightGBM and CatBoost fixture model it can
/// express: the IR-derived vectors (thresholds, the floats next to them,
/// NaN, infinities, both zeros, one row per leaf, random rows) plus the
/// fixture's own inputs, both NaN policies (NaN-free rows under
/// `reject`). Every row's bits equal the reference evaluator's, so the
/// integer walk takes the float walk's decisions everywhere.
#[test]
fn integer_mode_is_bit_identical_on_every_target() {
    let all = targets::all().expect("embedded targets parse");
    if let Err(e) = verify::check_tools(&all) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and a toolchain is missing: {e}"
        );
        eprintln!("NOTICE: not run, a toolchain is missing: {e}");
        return;
    }
    let fixtures = common::fixtures();
    let mut models: Vec<(std::path::PathBuf, std::path::PathBuf)> = Vec::new();
    let xgb = fixtures.join("xgboost");
    for name in common::xgboost_models_in(&xgb) {
        models.push((
            xgb.join(format!("{name}.json")),
            xgb.join(format!("{name}.inputs.csv")),
        ));
    }
    for (sub, ext) in [("lightgbm", "txt"), ("catboost", "json")] {
        let dir = fixtures.join(sub);
        for name in common::models_with_extension(&dir, ext, 1) {
            models.push((
                dir.join(format!("{name}.{ext}")),
                dir.join(format!("{name}.inputs.csv")),
            ));
        }
    }
    let mut lines = Vec::new();
    let mut int_models = 0;
    for (model, inputs) in &models {
        let label = model
            .strip_prefix(&fixtures)
            .unwrap_or(model)
            .display()
            .to_string();
        let ens = load_model(model, FormatChoice::Auto).unwrap_or_else(|e| panic!("{label}: {e}"));
        if let Some(why) = numint::unsupported(&ens) {
            lines.push(format!("{label:<36} refused: {why}"));
            continue;
        }
        int_models += 1;
        let mut rows = vectors::generate(&ens, &Default::default()).rows;
        rows.extend(common::read_csv_f32(inputs));
        for nan_policy in [NanPolicy::Missing, NanPolicy::Reject] {
            let opts = Options {
                nan_policy,
                layout: Layout::Auto,
                numeric: Numeric::Int,
            };
            let files = emit_c99(&ens, &opts).unwrap_or_else(|e| panic!("{label}: {e}"));
            let rows: Vec<Vec<f32>> = match nan_policy {
                NanPolicy::Missing => rows.clone(),
                NanPolicy::Reject => rows
                    .iter()
                    .filter(|r| !r.iter().any(|v| v.is_nan()))
                    .cloned()
                    .collect(),
            };
            let report = verify::verify_with(
                &files,
                &rows,
                &all,
                ens.n_features as usize,
                ens.n_outputs() as usize,
                &|row: &[f32]| timber::ir::evaluate(&ens, row),
                &VerifyOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(report.targets.len(), all.len());
            for t in &report.targets {
                if t.status == TargetStatus::DoesNotFit {
                    // As in float mode: only the 256 KiB micro:bit may be
                    // too small, when the larger board of the same core
                    // passed.
                    assert_eq!(t.target, "cortex-m0", "{label}: {} does not fit", t.target);
                    let big = report
                        .targets
                        .iter()
                        .find(|x| x.target == "cortex-m0-mps2")
                        .expect("cortex-m0-mps2 target");
                    assert_eq!(big.status, TargetStatus::Pass, "{label}: cortex-m0-mps2");
                    continue;
                }
                assert_eq!(
                    t.status,
                    TargetStatus::Pass,
                    "{label} (int, {nan_policy:?}) on {}: {:?} first mismatches {:?}",
                    t.target,
                    t.message,
                    t.mismatches.iter().take(3).collect::<Vec<_>>()
                );
            }
            let passed = report
                .targets
                .iter()
                .filter(|t| t.status == TargetStatus::Pass)
                .count();
            lines.push(format!(
                "{label:<36} int {:<7} {:>5} rows  {passed}/{} targets bit-identical",
                nan_policy.name(),
                rows.len(),
                report.targets.len()
            ));
        }
    }
    println!("{}", lines.join("\n"));
    assert!(int_models >= 20, "only {int_models} models ran in int mode");
}
