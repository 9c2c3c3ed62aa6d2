//! Build and run C on every target (host, Cortex-M under qemu-system-arm,
//! Cortex-A under QEMU user mode) and compare every output bit: the real
//! generated C for hand-built ensembles, and a hand-written stand-in model
//! (tests/fixtures/verify/stub) with a Rust twin that exercises contraction.
//!
//! A missing toolchain makes a test print a notice and pass, unless the
//! environment variable CI is set: then it fails loudly.

// The stub's Rust twin mirrors the C text literal for literal (same
// constants, same if-chains), so clippy's rewrites would change the bits.
#![allow(clippy::approx_constant, clippy::manual_clamp)]

use std::path::Path;
use timber::codegen::c99::{Layout, Numeric};
use timber::codegen::GeneratedFile;
use timber::ir::{
    Aggregation, Ensemble, Leaf, MissingGoes, Node, PostTransform, Source, Split, SplitOp, Tree,
    IR_SCHEMA_VERSION,
};
use timber::verify::{self, TargetSpec, TargetStatus, VerifyError, VerifyOptions};

fn stub_files() -> Vec<GeneratedFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/stub");
    ["model.h", "model.c", "model_data.c"]
        .iter()
        .map(|n| GeneratedFile {
            name: n.to_string(),
            contents: std::fs::read_to_string(dir.join(n)).expect("stub fixture readable"),
        })
        .collect()
}

const STUB_W: [f32; 4] = [0.1, -0.37, 1.718_281_7, std::f32::consts::PI];
const STUB_BIAS: f32 = 0.0123;

/// The Rust twin of tests/fixtures/verify/stub/model.c, operation for
/// operation (Rust never fuses a*b+c).
fn stub_reference(row: &[f32]) -> Vec<f32> {
    let mut acc = STUB_BIAS;
    let mut poly = 0.0f32;
    for (i, &x0) in row.iter().enumerate().take(4) {
        let mut x = if x0.is_nan() { 0.5 } else { x0 };
        if x > 1.0e6 {
            x = 1.0e6;
        }
        if x < -1.0e6 {
            x = -1.0e6;
        }
        acc = acc * 1.000_976_6 + x * STUB_W[i];
        poly = poly * x + 0.333_333_3;
    }
    let abs = if acc < 0.0 { -acc } else { acc };
    vec![acc, (poly * 0.707_106_8 + acc) / (1.0 + abs)]
}

/// Seeded rows with specials mixed in.
fn stub_rows(n: usize) -> Vec<Vec<f32>> {
    let mut s: u64 = 0x1234_5678_9abc_def0;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut rows = vec![
        vec![0.0; 4],
        vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0],
        vec![f32::MAX, f32::MIN_POSITIVE, -f32::MIN_POSITIVE, 1.0e-40],
    ];
    while rows.len() < n {
        let r = (0..4)
            .map(|_| {
                let v = next();
                // Mostly moderate values; some raw bit patterns.
                if v % 11 == 0 {
                    f32::from_bits((v >> 16) as u32)
                } else {
                    ((v >> 40) as f32 / (1u64 << 24) as f32) * 20.0 - 10.0
                }
            })
            .collect();
        rows.push(r);
    }
    rows
}

fn ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// The targets whose tools are present; a missing one is a notice, or a
/// failure under CI.
fn available(names: &str) -> Vec<TargetSpec> {
    let specs = verify::targets::select(names).expect("known targets");
    let mut ok = Vec::new();
    for t in specs {
        match verify::check_tools(std::slice::from_ref(&t)) {
            Ok(()) => ok.push(t),
            Err(e) => {
                if ci() {
                    panic!("CI is set and a toolchain is missing: {e}");
                }
                eprintln!("NOTICE: skipping target {}: {e}", t.name);
            }
        }
    }
    ok
}

/// Verify C sources that implement the stub's API (4 inputs, 2 outputs)
/// against the stub's Rust twin.
fn verify_stub(
    files: &[GeneratedFile],
    rows: &[Vec<f32>],
    targets: &[TargetSpec],
) -> Result<verify::VerifyReport, verify::VerifyError> {
    verify::verify_with(
        files,
        rows,
        targets,
        4,
        2,
        &stub_reference,
        &VerifyOptions::default(),
    )
}

#[test]
fn stub_is_bit_identical_on_every_target() {
    let targets = available("all");
    if targets.is_empty() {
        return;
    }
    let rows = stub_rows(600);
    let report = verify_stub(&stub_files(), &rows, &targets).expect("verification runs");
    eprintln!("{}", verify::render_text(&report));
    assert_eq!(report.targets.len(), targets.len());
    for t in &report.targets {
        assert_eq!(
            t.status,
            TargetStatus::Pass,
            "{}: {:?} {:?}",
            t.target,
            t.message,
            t.mismatches
        );
        assert_eq!(t.rows_run, rows.len());
        assert_eq!(
            t.output_hash.as_deref(),
            Some(report.reference_hash.as_str())
        );
        assert!(t.model_size.is_some_and(|s| s.text > 0), "{}", t.target);
        assert!(!t.compiler_version.is_empty(), "{}", t.target);
        assert!(t.commands.iter().any(|c| c.contains("-ffp-contract=off")));
        let stack = t.stack.as_ref().expect("stack figures");
        assert!(stack
            .frames
            .iter()
            .any(|f| f.function == "timber_infer_single"));
        if t.target.starts_with("cortex-m") {
            assert!(stack.measured_peak.is_some(), "{}", t.target);
        }
    }
}

#[test]
fn fused_multiply_add_is_caught_as_a_mismatch() {
    // The stub's a*b+c chains change bits when contracted into FMA.
    let targets: Vec<TargetSpec> = available("cortex-a53,cortex-m4f")
        .into_iter()
        .map(|mut t| {
            t.cflags.push("-ffp-contract=fast".into());
            t
        })
        .collect();
    if targets.is_empty() {
        return;
    }
    let rows = stub_rows(400);
    let report = verify_stub(&stub_files(), &rows, &targets).expect("verification runs");
    for t in &report.targets {
        assert_eq!(t.status, TargetStatus::Mismatch, "{} not caught", t.target);
        assert!(t.mismatch_count > 0);
        let m = &t.mismatches[0];
        assert_ne!(m.expected, m.got);
        assert_eq!(m.input.len(), 4);
    }
}

#[test]
fn a_flipped_constant_in_the_data_file_is_caught() {
    let targets = available("host,cortex-m3");
    if targets.is_empty() {
        return;
    }
    let mut files = stub_files();
    for f in files.iter_mut().filter(|f| f.name == "model_data.c") {
        f.contents = f.contents.replace("-0.37f", "-0.3700001f");
    }
    let rows = stub_rows(50);
    let report = verify_stub(&files, &rows, &targets).expect("verification runs");
    for t in &report.targets {
        assert_eq!(t.status, TargetStatus::Mismatch, "{}", t.target);
        assert!(t.mismatches.len() <= verify::MAX_LISTED_MISMATCHES);
        assert!(t.mismatch_count >= t.mismatches.len());
    }
}

#[test]
fn a_missing_tool_is_a_tool_missing_error() {
    let mut t = verify::targets::select("host").expect("host")[0].clone();
    t.compiler = "timber-no-such-compiler-cc".into();
    let err = verify_stub(&stub_files(), &stub_rows(3), &[t]).expect_err("missing compiler");
    assert!(matches!(err, VerifyError::ToolMissing { .. }));
    let msg = err.to_string();
    assert!(msg.contains("timber-no-such-compiler-cc"), "{msg}");
    assert!(msg.contains("scripts/install-toolchains.sh"), "{msg}");
}

#[test]
fn a_hanging_program_times_out() {
    let targets = available("host");
    if targets.is_empty() {
        return;
    }
    let mut t = targets[0].clone();
    t.timeout_secs = 1;
    let mut files = stub_files();
    for f in files.iter_mut().filter(|f| f.name == "model.c") {
        f.contents = f.contents.replace(
            "int32_t status = TIMBER_OK;",
            "int32_t status = TIMBER_OK;\n    for (;;) { __asm__ volatile(\"\"); }",
        );
    }
    let report = verify_stub(&files, &stub_rows(3), &[t]).expect("runs");
    assert_eq!(report.targets[0].status, TargetStatus::RunFailed);
    assert!(report.targets[0]
        .message
        .as_deref()
        .is_some_and(|m| m.contains("timed out")));
}

fn split(source_id: u32, feature: u32, threshold: f32, left: u32, right: u32) -> Node {
    Node::Split(Split {
        source_id,
        feature,
        threshold,
        op: SplitOp::Lt,
        missing: MissingGoes::Left,
        left,
        right,
    })
}

fn leaf(source_id: u32, v: f32) -> Node {
    Node::Leaf(Leaf {
        source_id,
        values: vec![f64::from(v)],
    })
}

/// Three trees, sigmoid: exercises the deterministic exp.
fn three_tree_sigmoid() -> Ensemble {
    let t = |id: u32, f: u32, g: u32, a: f32, b: f32, c: f32| Tree {
        source_id: id,
        group: 0,
        nodes: vec![
            split(0, f, a, 1, 2),
            split(1, g, b, 3, 4),
            leaf(2, c),
            leaf(3, -0.75 * c),
            leaf(4, 0.125 + c),
        ],
    };
    Ensemble {
        schema_version: IR_SCHEMA_VERSION,
        source: Source {
            format: "hand-built".into(),
            framework_version: None,
            objective: "binary:logistic".into(),
            sha256: String::new(),
        },
        n_features: 3,
        feature_names: Vec::new(),
        n_groups: 1,
        accumulator: timber::ir::Accumulator::F32,
        base_score: vec![f64::from(-0.2f32)],
        aggregation: Aggregation::Sum,
        post_transform: PostTransform::Sigmoid,
        trees: vec![
            t(0, 0, 1, 0.5, -1.25, 0.3),
            t(1, 1, 2, 2.0, 0.1, -1.1),
            t(2, 2, 0, -3.5, 7.0, 2.4),
        ],
    }
}

#[test]
fn derived_vectors_cover_every_leaf_and_branch() {
    let ens = three_tree_sigmoid();
    timber::ir::validate(&ens).expect("valid IR");
    let set = verify::generate(&ens, &verify::VectorOptions::default());
    let cov = verify::coverage(&ens, &set.rows);
    assert_eq!(cov.leaves_hit, cov.leaves_total);
    assert_eq!(cov.branches_hit, cov.branches_total);
    assert_eq!(set.unreachable_leaves, 0);
    assert!(set.boundary_rows >= 3 * 6);
    // Same seed, same rows.
    let again = verify::generate(&ens, &verify::VectorOptions::default());
    let bits = |s: &verify::VectorSet| {
        s.rows
            .iter()
            .flatten()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&set), bits(&again));
}

#[test]
fn generated_c_for_an_ensemble_is_bit_identical_on_every_target() {
    let ens = three_tree_sigmoid();
    let files = timber::codegen::c99::emit_c99(&ens, &Default::default()).expect("emits");
    assert!(
        files.iter().any(|f| f.name == "model.h"),
        "the C99 backend emitted no model.h"
    );
    let targets = available("all");
    if targets.is_empty() {
        return;
    }
    let set = verify::generate(&ens, &verify::VectorOptions::default());
    let report = verify::verify(&ens, &files, &set.rows, &targets).expect("runs");
    eprintln!("{}", verify::render_text(&report));
    for t in &report.targets {
        assert_eq!(
            t.status,
            TargetStatus::Pass,
            "{}: {:?} {:?}",
            t.target,
            t.message,
            t.mismatches
        );
        // The batch API ran on the target in blocks of 1, 7 and every row
        // of each image, and matched the single-row calls bit for bit.
        let b = t.batch_api.as_ref().expect("generated C has the batch API");
        assert_eq!(b.mismatch_count, 0, "{}", t.target);
        let images = t.batches;
        assert_eq!(b.block_sizes.len(), 3 * images, "{}", t.target);
        assert_eq!(b.block_sizes[..2], [1, 7], "{}", t.target);
        let whole: usize = b.block_sizes.iter().skip(2).step_by(3).sum();
        assert_eq!(whole, set.rows.len(), "{}", t.target);
        let calls = set.rows.len() + set.rows.len().div_ceil(7) + 1;
        if images == 1 {
            assert_eq!(b.calls, calls as u64, "{}", t.target);
        }
    }
}

/// The generated batch API with a planted fault: a call over more than 7
/// rows zeroes its last row's first output. Single-row calls and blocks of
/// 1 and 7 are right; the whole-set call must be reported, naming block,
/// row and output.
#[test]
fn a_batch_api_fault_is_caught_naming_block_row_and_output() {
    let ens = three_tree_sigmoid();
    let mut files = timber::codegen::c99::emit_c99(&ens, &Default::default()).expect("emits");
    let batch_end =
        "        status = TIMBER_OK;\n    }\n    return status;\n}\n\nconst char *timber_strerror";
    let model_c = files
        .iter_mut()
        .find(|f| f.name == "model.c")
        .expect("model.c");
    assert_eq!(
        model_c.contents.matches(batch_end).count(),
        1,
        "end of timber_infer"
    );
    model_c.contents = model_c.contents.replace(
        batch_end,
        &format!(
            "        if (n_rows > 7U) {{ out[(n_rows - 1U) * (size_t)TIMBER_N_OUTPUTS] = 0.0f; }}\n{batch_end}"
        ),
    );
    let targets = available("host,cortex-m0,cortex-a53");
    if targets.is_empty() {
        return;
    }
    let set = verify::generate(&ens, &verify::VectorOptions::default());
    let report = verify::verify(&ens, &files, &set.rows, &targets).expect("runs");
    let text = verify::render_text(&report);
    for t in &report.targets {
        assert_eq!(t.status, TargetStatus::Mismatch, "{}: {text}", t.target);
        let b = t.batch_api.as_ref().expect("batch API checked");
        // One skipped row per image, one output each.
        assert_eq!(b.mismatch_count, t.batches, "{}: {text}", t.target);
        let m = &t.mismatches[0];
        let whole = b.block_sizes[2];
        assert_eq!(m.block, Some(whole), "{}", t.target);
        assert_eq!((m.row, m.output), (whole - 1, Some(0)), "{}", t.target);
        assert_eq!(m.got, "0x00000000", "the planted zero");
        assert!(
            text.contains(&format!(
                "row {} output 0 of timber_infer over blocks of {whole} rows",
                whole - 1
            )),
            "{text}"
        );
    }
}

#[test]
fn generated_c_built_with_contraction_is_caught() {
    // The generated exp's polynomial is a chain of a*b+c: contracted into
    // FMA on a core that has one, its bits change and verify must say so.
    let ens = many_tree_sigmoid(24);
    let files = timber::codegen::c99::emit_c99(&ens, &Default::default()).expect("emits");
    assert!(
        files.iter().any(|f| f.name == "model.h"),
        "the C99 backend emitted no model.h"
    );
    let targets: Vec<TargetSpec> = available("cortex-a53")
        .into_iter()
        .map(|mut t| {
            t.cflags.push("-ffp-contract=fast".into());
            t
        })
        .collect();
    if targets.is_empty() {
        return;
    }
    let set = verify::generate(
        &ens,
        &verify::VectorOptions {
            seed: 7,
            random_rows: 4000,
        },
    );
    let report = verify::verify(&ens, &files, &set.rows, &targets).expect("runs");
    for t in &report.targets {
        assert_eq!(
            t.status,
            TargetStatus::Mismatch,
            "{}: contraction not caught",
            t.target
        );
    }
}

/// `n` depth-2 trees over 4 features with varied leaf values, so the
/// margins (and the exp inputs) take thousands of distinct values.
fn many_tree_sigmoid(n: u32) -> Ensemble {
    let mut ens = three_tree_sigmoid();
    ens.n_features = 4;
    ens.trees = (0..n)
        .map(|i| {
            let v = |k: u32| ((i * 7 + k * 13) % 29) as f32 * 0.037 - 0.5 + i as f32 * 0.001;
            Tree {
                source_id: i,
                group: 0,
                nodes: vec![
                    split(0, i % 4, (i as f32) * 0.25 - 2.0, 1, 2),
                    split(1, (i + 1) % 4, 1.5 - (i as f32) * 0.125, 3, 4),
                    leaf(2, v(1)),
                    leaf(3, v(2)),
                    leaf(4, v(3)),
                ],
            }
        })
        .collect();
    ens
}

#[test]
fn a_cortex_m_fault_is_a_quick_run_failure_not_a_hang() {
    let targets = available("cortex-m3,cortex-m0");
    if targets.is_empty() {
        return;
    }
    let mut files = stub_files();
    for f in files.iter_mut().filter(|f| f.name == "model.c") {
        f.contents = f.contents.replace(
            "int32_t status = TIMBER_OK;",
            "int32_t status = TIMBER_OK;\n    ((void (*)(void))0x30000001u)();",
        );
    }
    let start = std::time::Instant::now();
    let report = verify_stub(&files, &stub_rows(3), &targets).expect("runs");
    assert!(start.elapsed().as_secs() < 30);
    for t in &report.targets {
        assert_eq!(t.status, TargetStatus::RunFailed, "{}", t.target);
        let msg = t.message.as_deref().unwrap_or("");
        assert!(msg.contains("CPU fault"), "{}: {msg}", t.target);
    }
}

#[test]
fn reports_are_identical_across_runs_once_timings_are_cleared() {
    let targets = available("host,cortex-m3");
    if targets.is_empty() {
        return;
    }
    let rows = stub_rows(40);
    let run = || {
        let mut r = verify_stub(&stub_files(), &rows, &targets).expect("runs");
        r.clear_timings();
        serde_json::to_string(&r).expect("serialises")
    };
    let a = run();
    assert_eq!(a, run());
    // No absolute build paths leak into the recorded commands.
    assert!(!a.contains("timber-verify-"), "{a}");
}

/// The generator's own stack estimate (no compiler) is an upper bound of
/// the stack painted and measured on every Cortex-M target, for a softmax,
/// a sigmoid and an argmax model and two ONNX models (onnxruntime's
/// logistic and float32 softmax), averaging models (ONNX AVERAGE, LightGBM
/// random forest), in every layout they take and the integer mode;
/// the four figures are printed.
#[test]
fn generator_stack_estimate_bounds_the_measured_peak_on_cortex_m() {
    let targets: Vec<TargetSpec> = available("all")
        .into_iter()
        .filter(|t| t.name.starts_with("cortex-m"))
        .collect();
    if targets.is_empty() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost");
    let mut models: Vec<(String, Ensemble)> = ["multiclass", "binary_nan", "multiclass_softmax"]
        .iter()
        .map(|m| {
            let ens = timber::frontend::load_model(
                &dir.join(format!("{m}.json")),
                timber::frontend::FormatChoice::Auto,
            )
            .expect("fixture loads");
            (m.to_string(), ens)
        })
        .collect();
    models.push(("three_tree_sigmoid".into(), three_tree_sigmoid()));
    // onnxruntime's logistic (a binary pair) and float32 softmax, with the
    // base added after the trees.
    let onnx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx");
    // v5_members: an AVERAGE ensemble (constant divisors, no counts).
    for m in ["skl_gb_binary", "xgb_multi", "v5_members"] {
        let ens = timber::frontend::load_model(
            &onnx.join(m).join("model.onnx"),
            timber::frontend::FormatChoice::Auto,
        )
        .expect("fixture loads");
        models.push((m.to_string(), ens));
    }
    // Double accumulation: double sums, tables and link (soft double on
    // every Cortex-M but the M7).
    let lgb = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lightgbm");
    // rf: LightGBM's random-forest mode, an average in double.
    for m in ["multiclass", "binary_nan", "poisson", "rf"] {
        let ens = timber::frontend::load_model(
            &lgb.join(format!("{m}.txt")),
            timber::frontend::FormatChoice::Auto,
        )
        .expect("fixture loads");
        assert_eq!(ens.accumulator, timber::ir::Accumulator::F64);
        models.push((format!("lightgbm {m}"), ens));
    }
    assert!(models
        .iter()
        .any(|(_, e)| e.post_transform == PostTransform::Softmax));
    assert!(models
        .iter()
        .any(|(_, e)| e.post_transform == PostTransform::Sigmoid));
    let runs = models.iter().flat_map(|(name, ens)| {
        // The compact layout and the integer mode take scalar leaves only.
        let vector = ens.trees.iter().flat_map(|t| &t.nodes).any(|n| match n {
            timber::ir::Node::Leaf(l) => l.values.len() > 1,
            timber::ir::Node::Split(_) => false,
        });
        [
            (Layout::Table, Numeric::Float),
            (Layout::Branches, Numeric::Float),
            (Layout::Compact, Numeric::Float),
            (Layout::Compact, Numeric::Int),
        ]
        .into_iter()
        .filter(move |(l, _)| !(vector && *l == Layout::Compact))
        .map(move |(layout, numeric)| (name, ens, layout, numeric))
    });
    for (name, ens, layout, numeric) in runs {
        let opts = timber::codegen::c99::Options {
            layout,
            numeric,
            ..Default::default()
        };
        let files = timber::codegen::c99::emit_c99(ens, &opts).expect("emits");
        let set = verify::generate(
            ens,
            &verify::VectorOptions {
                seed: 3,
                random_rows: 64,
            },
        );
        let mut report = verify::verify_with(
            &files,
            &set.rows,
            &targets,
            ens.n_features as usize,
            ens.n_outputs() as usize,
            &|row: &[f32]| timber::ir::evaluate(ens, row),
            &Default::default(),
        )
        .expect("runs");
        verify::attach_stack_estimates(&mut report, ens, &opts, &targets);
        let name = format!("{name} ({}, {})", layout.name(), numeric.name());
        for t in &report.targets {
            assert_eq!(t.status, TargetStatus::Pass, "{name} on {}", t.target);
            let st = t.stack.as_ref().expect("stack figures");
            let measured = st.measured_peak.expect("Cortex-M measures its stack");
            let estimate = st.generator_estimate.expect("a [stack_model] estimate");
            let single = st.generator_single.expect("single-call estimate");
            eprintln!(
                "{name:<20} {:<14} sum of frames {:>5} B  deepest chain {:>5} B  \
                 measured peak {measured:>5} B  generator estimate {estimate:>5} B \
                 (timber_infer_single {single} B)",
                t.target,
                st.sum_of_frames,
                st.max_chain_bytes.unwrap_or(0)
            );
            assert!(
                st.painted.is_some_and(|p| measured < p),
                "{name} on {}: the paint saturated",
                t.target
            );
            assert!(
                measured <= single && single <= estimate,
                "{name} on {}: measured {measured} B > estimate {single} B",
                t.target
            );
        }
    }
}
