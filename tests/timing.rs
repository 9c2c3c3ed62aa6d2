//! Execution-time evidence: instruction counts measured under QEMU against
//! the static bound read from the same linked image.
//!
//! - Straight-line code: the count QEMU's trace gives equals the number of
//!   instructions objdump shows on the path (two independent readings).
//! - A planted longer path (an extra call into a divide) moves the bound
//!   and the measured maximum.
//! - Fixtures on every bare-metal target with a cycle model whose helpers
//!   the analysis bounds: bound >= measured maximum, and on binary_nan's
//!   default layout on cortex-m4f the bound is within 1.3x of it.

mod common;

use timber::codegen::GeneratedFile;
use timber::verify::{self, TargetStatus, VerifyOptions};

const MODEL_H: &str = "#ifndef MODEL_H\n#define MODEL_H\n#include <stdint.h>\n\
#define TIMBER_N_FEATURES 1\n#define TIMBER_N_OUTPUTS 1\n\
int32_t timber_infer_single(const float *in, float *out);\n#endif\n";

/// A one-feature model; `planted` adds a call to a divide on the x >= 0.5
/// path. Reference: x < 0.5 -> 2x; else x + 1 (planted: x / 3 + 1).
fn model_c(planted: bool, branch: bool) -> String {
    let mut s = String::from("#include \"model.h\"\n");
    if planted {
        s.push_str(
            "__attribute__((noinline)) static float planted(float x) { return x / 3.0f; }\n",
        );
    }
    s.push_str(
        "int32_t timber_infer_single(const float *in, float *out)\n{\n    float x = in[0];\n",
    );
    if branch {
        s.push_str("    if (x < 0.5f) {\n        out[0] = x * 2.0f;\n        return 0;\n    }\n");
    }
    if planted {
        s.push_str("    x = planted(x);\n");
    }
    s.push_str("    out[0] = x + 1.0f;\n    return 0;\n}\n");
    s
}

fn files(c: String) -> Vec<GeneratedFile> {
    vec![
        GeneratedFile {
            name: "model.h".into(),
            contents: MODEL_H.into(),
        },
        GeneratedFile {
            name: "model.c".into(),
            contents: c,
        },
    ]
}

fn counting() -> VerifyOptions {
    VerifyOptions {
        count_instructions: true,
        jobs: Some(1),
        ..Default::default()
    }
}

fn run(c: String, planted: bool, branch: bool, t: &[verify::TargetSpec]) -> verify::TargetReport {
    let rows: Vec<Vec<f32>> = [0.0f32, 0.25, 0.5, 0.75, 3.0, -1.0]
        .iter()
        .map(|&x| vec![x])
        .collect();
    let reference = move |r: &[f32]| {
        let x = r[0];
        if branch && x < 0.5 {
            vec![x * 2.0]
        } else if planted {
            vec![x / 3.0 + 1.0]
        } else {
            vec![x + 1.0]
        }
    };
    let rep = verify::verify_with(&files(c), &rows, t, 1, 1, &reference, &counting())
        .expect("verify runs");
    let t = rep.targets.into_iter().next().expect("one target");
    assert_eq!(t.status, TargetStatus::Pass, "{:?}", t.message);
    t
}

#[test]
fn straight_line_counts_equal_the_disassembly_and_a_planted_call_moves_the_bound() {
    let Some(t) = common::targets_with_tools(&["cortex-m4f"]) else {
        return;
    };
    // No branch at all: every call runs the same instructions, and the
    // bound (objdump's instructions of the one path) equals the count.
    let flat = run(model_c(false, false), false, false, &t);
    let tm = flat.timing.expect("timing");
    let c = tm.counts.expect("counts");
    let b = tm.bound.expect("bound");
    assert_eq!(c.min, c.max, "{c:?}");
    assert_eq!(b.instructions, c.max);

    let plain = run(model_c(false, true), false, true, &t);
    let planted = run(model_c(true, true), true, true, &t);
    let (pc, pb) = {
        let tm = plain.timing.expect("timing");
        (tm.counts.expect("counts"), tm.bound.expect("bound"))
    };
    let (qc, qb) = {
        let tm = planted.timing.expect("timing");
        (tm.counts.expect("counts"), tm.bound.expect("bound"))
    };
    assert!(pb.instructions >= pc.max && qb.instructions >= qc.max);
    // The planted call: BL + the helper (VDIV, BX LR at least).
    assert!(qb.instructions >= pb.instructions + 3, "{pb:?} {qb:?}");
    assert!(qc.max > pc.max);
    assert!(qb.cycles > pb.cycles);
    assert!(qb.functions.contains_key("planted"), "{:?}", qb.functions);
}

fn fixture_bound_holds(model: &str, targets: &[&str]) -> Vec<(String, f64)> {
    fixture_bound_holds_or_refused(model, targets, None)
}

/// [`fixture_bound_holds`]; with `no_bound_in`, asserts instead that no
/// bound is claimed because of a loop in that routine.
fn fixture_bound_holds_or_refused(
    model: &str,
    targets: &[&str],
    no_bound_in: Option<&str>,
) -> Vec<(String, f64)> {
    let Some(t) = common::targets_with_tools(targets) else {
        return Vec::new();
    };
    let path = common::fixtures().join(model);
    let ens = timber::frontend::load_model(&path, timber::frontend::FormatChoice::Auto)
        .expect("fixture loads");
    // The CLI's default layout (`auto`: branches for these models).
    let opts = timber::codegen::c99::Options {
        layout: timber::codegen::c99::Layout::Auto,
        ..Default::default()
    };
    let files = timber::codegen::c99::emit_c99(&ens, &opts).expect("C generated");
    let rows = verify::generate(&ens, &Default::default()).rows;
    let rep = verify::verify_with(
        &files,
        &rows,
        &t,
        ens.n_features as usize,
        ens.n_outputs() as usize,
        &|r: &[f32]| timber::ir::evaluate(&ens, r),
        &counting(),
    )
    .expect("verify runs");
    let mut out = Vec::new();
    for r in &rep.targets {
        assert_eq!(r.status, TargetStatus::Pass, "{} {}", model, r.target);
        let tm = r.timing.as_ref().expect("timing");
        let c = tm
            .counts
            .as_ref()
            .unwrap_or_else(|| panic!("{model} {}: {:?}", r.target, tm.message));
        assert_eq!(c.per_row.len(), rows.len());
        if let Some(routine) = no_bound_in {
            // No bound is claimed, and the refusal names the routine whose
            // loop the analysis cannot bound.
            assert!(
                tm.bound.is_none(),
                "{model} {}: a bound was claimed",
                r.target
            );
            let why = tm.bound_message.as_deref().unwrap_or_default();
            assert!(
                why.contains(routine) && why.contains("not matched to a bound"),
                "{model} {}: {why}",
                r.target
            );
            continue;
        }
        let b = tm
            .bound
            .as_ref()
            .unwrap_or_else(|| panic!("{model} {}: {:?}", r.target, tm.bound_message));
        assert!(
            b.instructions >= c.max,
            "{model} on {}: bound {} < measured {}",
            r.target,
            b.instructions,
            c.max
        );
        out.push((r.target.clone(), b.instructions as f64 / c.max as f64));
    }
    out
}

#[test]
fn binary_nan_bound_holds_and_is_tight_on_cortex_m4f() {
    let tight = fixture_bound_holds(
        "xgboost/binary_nan.json",
        &["cortex-m4f", "cortex-m7", "cortex-m33"],
    );
    for (t, x) in &tight {
        eprintln!("binary_nan {t}: bound / measured max {x:.3}");
        if t == "cortex-m4f" {
            assert!(*x <= 1.3, "{x}");
        }
    }
}

#[test]
fn regression_bound_holds_and_a_double_model_gets_no_bound_on_cortex_m4f() {
    for (t, x) in fixture_bound_holds_or_refused("xgboost/regression.json", &["cortex-m4f"], None) {
        eprintln!("xgboost/regression.json {t}: bound / measured max {x:.3}");
    }
    // LightGBM sums in double: soft-double division in libgcc has a loop the
    // analysis cannot bound yet, so no bound is claimed, and it says why.
    let none = fixture_bound_holds_or_refused(
        "lightgbm/binary_nan.txt",
        &["cortex-m4f"],
        Some("__aeabi_ddiv"),
    );
    assert!(none.is_empty());
}
