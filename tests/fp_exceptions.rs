//! No inference raises the invalid or divide-by-zero exception: the
//! generated code tests a missing (NaN) input with the quiet `x != x`
//! before any ordered comparison. Checked on every target whose FPU flags
//! the harness can read (x86-64 MXCSR, AArch64 FPSR, Arm FPSCR on the
//! Cortex-M FPU cores and Cortex-A7, RISC-V fflags, PowerPC FPSCR), over
//! the XGBoost fixture with missing values in every layout and in integer
//! mode; soft-float cores report the flags as not readable. Planted faults
//! (the old ordered comparison of a possibly-NaN input) are caught, naming
//! rows that carry a NaN.

mod common;

use timber::codegen::c99::{Layout, NanPolicy, Numeric, Options};
use timber::codegen::GeneratedFile;
use timber::frontend::FormatChoice;
use timber::ir::Ensemble;
use timber::verify::{self, TargetStatus};

/// Cores with readable FPU flags, one per architecture and FPU kind.
const HARD_FLOAT: [&str; 8] = [
    "host",
    "cortex-m4f",
    "cortex-m33",
    "cortex-a53",
    "cortex-a7",
    "riscv32imafc",
    "riscv64",
    "powerpc",
];

fn binary_nan() -> Ensemble {
    let path = common::fixtures().join("xgboost/binary_nan.json");
    timber::frontend::load_model(&path, FormatChoice::Auto).expect("fixture loads")
}

fn emit(ens: &Ensemble, layout: Layout, numeric: Numeric) -> Vec<GeneratedFile> {
    let opts = Options {
        nan_policy: NanPolicy::Missing,
        layout,
        numeric,
    };
    timber::codegen::c99::emit_c99(ens, &opts).expect("emits")
}

fn run(ens: &Ensemble, files: &[GeneratedFile], names: &[&str]) -> Option<verify::VerifyReport> {
    let targets = common::targets_with_tools(names)?;
    let set = verify::generate(ens, &verify::VectorOptions::default());
    assert!(
        set.rows.iter().any(|r| r.iter().any(|v| v.is_nan())),
        "the vectors carry missing values"
    );
    Some(verify::verify(ens, files, &set.rows, &targets).expect("runs"))
}

#[test]
fn no_layout_raises_invalid_or_divide_by_zero_on_any_hard_float_core() {
    let ens = binary_nan();
    for (layout, numeric) in [
        (Layout::Branches, Numeric::Float),
        (Layout::Table, Numeric::Float),
        (Layout::Compact, Numeric::Float),
        (Layout::Compact, Numeric::Int),
    ] {
        let files = emit(&ens, layout, numeric);
        let Some(report) = run(&ens, &files, &HARD_FLOAT) else {
            return;
        };
        let text = verify::render_text(&report);
        for t in &report.targets {
            let label = format!("{layout:?} {numeric:?} on {}", t.target);
            assert_eq!(t.status, TargetStatus::Pass, "{label}: {text}");
            let f = t.fp_flags.as_ref().expect("flags read");
            assert!(f.readable, "{label}: {text}");
            assert!(f.clean(), "{label}: {}", f.summary());
            // The flags are really read: a sigmoid of rounded sums is
            // inexact somewhere on its rows.
            assert!(
                f.single_raised.iter().any(|n| n == "inexact"),
                "{label}: {}",
                f.summary()
            );
        }
    }
}

#[test]
fn soft_float_cores_report_the_flags_as_not_readable() {
    let ens = binary_nan();
    let files = emit(&ens, Layout::Branches, Numeric::Float);
    let Some(report) = run(&ens, &files, &["cortex-m3", "riscv32imac"]) else {
        return;
    };
    for t in &report.targets {
        assert_eq!(t.status, TargetStatus::Pass, "{}", t.target);
        let f = t.fp_flags.as_ref().expect("harness ran");
        assert!(!f.readable, "{}", t.target);
        assert!(f.summary().starts_with("not readable"), "{}", f.summary());
    }
}

/// Replace `from` (which must occur) by `to` in model.c.
fn plant(files: &mut [GeneratedFile], from: &str, to: &str) {
    let c = files
        .iter_mut()
        .find(|f| f.name == "model.c")
        .expect("model.c");
    assert!(c.contents.contains(from), "`{from}` not in model.c");
    c.contents = c.contents.replace(from, to);
}

/// The previous code's shapes, which gave the same bits: each is caught
/// by the flags alone, naming rows that carry a NaN.
#[test]
fn an_ordered_comparison_of_a_missing_value_is_caught() {
    let ens = binary_nan();
    let set = verify::generate(&ens, &verify::VectorOptions::default());
    let nan_rows: Vec<usize> = set
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.iter().any(|v| v.is_nan()))
        .map(|(i, _)| i)
        .collect();
    // Branches: the NaN test itself also makes an ordered comparison (its
    // result unused: the same bits), as folding NaN into `x < t` did.
    let mut branches = emit(&ens, Layout::Branches, Numeric::Float);
    plant(
        &mut branches,
        "{\n    return (x != x);\n}",
        "{\n    const volatile bool ordered = (x < 0.0f);\n    (void)ordered;\n    return (x != x);\n}",
    );
    // Table: the comparison computed before the NaN test (volatile, or
    // gcc -O2 sinks it into the number branch: C evaluates it for NaN too,
    // and at -O0 it runs).
    let mut table = emit(&ens, Layout::Table, Numeric::Float);
    plant(
        &mut table,
        "bool go_left = missing_left;",
        "const volatile bool cmp = (x < node->threshold);\n            \
         bool go_left = (x != x) ? missing_left : cmp;",
    );
    plant(&mut table, "if (x == x) {", "if (0 == 1) {");
    for (label, files) in [("branches", &branches), ("table", &table)] {
        let Some(report) = run(&ens, files, &["host", "cortex-m4f", "riscv32imafc"]) else {
            return;
        };
        let text = verify::render_text(&report);
        for t in &report.targets {
            assert_eq!(t.mismatch_count, 0, "{label} {}: same bits", t.target);
            assert_eq!(t.status, TargetStatus::FpException, "{label}: {text}");
            let f = t.fp_flags.as_ref().expect("flags read");
            assert!(f.forbidden_row_count > 0, "{label} {}", t.target);
            assert!(f.single_raised.iter().any(|n| n == "invalid"));
            for (row, flags) in &f.forbidden_rows {
                assert!(nan_rows.contains(row), "{label} {}: row {row}", t.target);
                assert!(
                    flags.iter().any(|n| n == "invalid")
                        && !flags.iter().any(|n| n == "divide-by-zero"),
                    "{label} {}: {flags:?}",
                    t.target
                );
            }
            assert!(text.contains("FP EXCEPTION"), "{text}");
            assert!(
                text.contains(&format!("row {}", f.forbidden_rows[0].0)),
                "{text}"
            );
        }
    }
}
