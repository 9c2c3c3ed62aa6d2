//! The instruction count from QEMU's normal translation blocks (the sizes
//! of their `in_asm` listings summed over the blocks each call executed)
//! equals the count with one instruction per block, row for row, on
//! binary_nan: a hard-float Thumb-2 core (cortex-m4f: IT blocks, VFP), a
//! soft-float core (cortex-m3: every float operation a libgcc routine) and
//! RISC-V (riscv32imac, soft float, compressed instructions), and the
//! host's x86-64 under qemu-x86_64 user mode (instructions longer than
//! the listing's byte column continue on a second line).
//!
//! Both runs go through `verify::verify_with`, the path certify takes; the
//! per-instruction run is the slow reference. Under CI a missing toolchain
//! fails the test.

mod common;

use timber::frontend::{load_model, FormatChoice};
use timber::verify::trace::TraceMode;
use timber::verify::{self, TargetStatus, VectorOptions, VerifyOptions};

const MODEL: &str = "tests/fixtures/xgboost/binary_nan.json";

#[test]
fn block_counts_equal_per_instruction_counts_on_every_row() {
    let Some(targets) =
        common::targets_with_tools(&["cortex-m4f", "cortex-m3", "riscv32imac", "host"])
    else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ens = load_model(&root.join(MODEL), FormatChoice::Auto).expect("fixture loads");
    let files = timber::codegen::c99::emit_c99(&ens, &Default::default()).expect("emits");
    let rows = verify::generate(
        &ens,
        &VectorOptions {
            seed: 7,
            random_rows: 64,
        },
    )
    .rows;
    let run = |mode: TraceMode| {
        verify::verify_with(
            &files,
            &rows,
            &targets,
            ens.n_features as usize,
            ens.n_outputs() as usize,
            &|r: &[f32]| timber::ir::evaluate(&ens, r),
            &VerifyOptions {
                count_instructions: true,
                trace_mode: mode,
                ..Default::default()
            },
        )
        .expect("verify runs")
    };
    let blocks = run(TraceMode::Block);
    let single = run(TraceMode::Instruction);
    for (b, s) in blocks.targets.iter().zip(&single.targets) {
        assert_eq!(b.target, s.target);
        assert_eq!(
            b.status,
            TargetStatus::Pass,
            "{}: {:?}",
            b.target,
            b.message
        );
        let tb = b.timing.as_ref().expect("timing");
        let ts = s.timing.as_ref().expect("timing");
        let cb = tb
            .counts
            .as_ref()
            .unwrap_or_else(|| panic!("{}: {:?}", b.target, tb.message));
        let cs = ts
            .counts
            .as_ref()
            .unwrap_or_else(|| panic!("{}: {:?}", s.target, ts.message));
        assert_eq!(cb.per_row.len(), rows.len(), "{}", b.target);
        let differing: Vec<(usize, u64, u64)> = cb
            .per_row
            .iter()
            .zip(&cs.per_row)
            .enumerate()
            .filter(|(_, (x, y))| x != y)
            .map(|(i, (x, y))| (i, *x, *y))
            .collect();
        assert!(
            differing.is_empty(),
            "{}: rows (row, block count, per-instruction count) differ: {differing:?}",
            b.target
        );
        // Not a vacuous equality: calls run hundreds of instructions and
        // differ from row to row.
        assert!(cb.min > 50 && cb.max > cb.min, "{}: {cb:?}", b.target);
        // The block run is the one recorded as such.
        let cmd =
            |r: &verify::TargetReport, needle: &str| r.commands.iter().any(|c| c.contains(needle));
        assert!(cmd(b, "-d in_asm,exec,nochain"), "{:?}", b.commands);
        assert!(!cmd(b, "-singlestep"), "{:?}", b.commands);
        assert!(cmd(s, "-d exec,nochain"), "{:?}", s.commands);
        eprintln!(
            "{}: {} rows equal, instructions per call {}..{}",
            b.target,
            cb.per_row.len(),
            cb.min,
            cb.max
        );
    }
}
