//! The stack bound from the linked image is sound on real builds: on every
//! Cortex-M target and for fixture models of several kinds (soft-float
//! helpers, double accumulation, multiclass), the bound is at least the
//! peak the harness measured by painting the stack, and it is complete
//! (no routine refused).

mod common;

use timber::frontend::{load_model, FormatChoice};

const TARGETS: [&str; 5] = [
    "cortex-m0-mps2",
    "cortex-m3",
    "cortex-m4f",
    "cortex-m7",
    "cortex-m33",
];

#[test]
fn the_image_bound_is_at_least_the_painted_peak_on_every_cortex_m_target() {
    let Some(targets) = common::targets_with_tools(&TARGETS) else {
        return;
    };
    for fixture in [
        "xgboost/binary_nan.json",
        "xgboost/multiclass.json",
        "lightgbm/binary_nan.txt",
    ] {
        let ens = load_model(&common::fixtures().join(fixture), FormatChoice::Auto)
            .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let files = timber::codegen::c99::emit_c99(&ens, &Default::default()).expect("emit");
        let rows = timber::verify::generate(
            &ens,
            &timber::verify::VectorOptions {
                seed: 3,
                random_rows: 32,
            },
        )
        .rows;
        let report = timber::verify::verify(&ens, &files, &rows, &targets).expect("verify");
        for t in &report.targets {
            let st = t.stack.as_ref().expect("stack figures");
            let Some(bound) = st.bound.as_ref() else {
                // A refusal is allowed only where the analysis is known not
                // to reach (LightGBM's double sums call libgcc's __aeabi_ddiv,
                // whose Thumb-1 jump table has a shape not read yet), and
                // must name the routine and the instruction.
                let m = st.bound_message.clone().unwrap_or_default();
                assert!(
                    fixture.starts_with("lightgbm") && t.target == "cortex-m0-mps2",
                    "{fixture} {}: no bound: {m}",
                    t.target
                );
                assert!(
                    m.contains("__aeabi_ddiv at 0x") && m.contains("mov pc"),
                    "{m}"
                );
                continue;
            };
            let peak = st.measured_peak.expect("painted peak");
            assert!(
                bound.bytes >= peak,
                "{fixture} {}: bound {} < painted {peak} ({:?})",
                t.target,
                bound.bytes,
                bound.chain
            );
            assert_eq!(
                bound.chain.iter().map(|f| f.bytes).sum::<u64>(),
                bound.bytes,
                "{fixture} {}",
                t.target
            );
            assert!(
                bound.bytes <= 512,
                "{fixture} {}: {}",
                t.target,
                bound.bytes
            );
        }
    }
}
