//! Benchmarks of the generated C: median ns/row of `timber_infer_single`
//! and `timber_infer` for seeded synthetic ensembles, compiled with the
//! host `cc` at -O2 and timed with `clock_gettime` in a small C harness.
//!
//! Every case runs in every concrete layout (`table`, `branches`,
//! `compact`), and
//! the line of the layout `auto` picks is marked `*`.
//!
//! Run with `cargo bench --bench generated_c`.

use std::process::Command;

use timber::codegen::c99::{emit_c99, Layout, Options};
use timber::ir::{
    Aggregation, Ensemble, Leaf, MissingGoes, Node, PostTransform, Source, Split, SplitOp, Tree,
    IR_SCHEMA_VERSION,
};

const N_FEATURES: u32 = 32;
const N_ROWS: usize = 20_000;
const REPEATS: usize = 21;

/// xorshift64*, so every run benchmarks the same model.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A complete binary tree of the given depth, nodes in breadth-first order.
fn complete_tree(rng: &mut Rng, source_id: u32, depth: u32) -> Tree {
    let n_splits = (1u32 << depth) - 1;
    let n_nodes = (1u32 << (depth + 1)) - 1;
    let nodes = (0..n_nodes)
        .map(|i| {
            if i < n_splits {
                Node::Split(Split {
                    source_id: i,
                    feature: (rng.next() % u64::from(N_FEATURES)) as u32,
                    threshold: rng.unit() * 2.0 - 1.0,
                    // XGBoost-like: one operator for the whole model.
                    op: SplitOp::Lt,
                    missing: if rng.next() % 2 == 0 {
                        MissingGoes::Left
                    } else {
                        MissingGoes::Right
                    },
                    left: 2 * i + 1,
                    right: 2 * i + 2,
                })
            } else {
                Node::Leaf(Leaf {
                    source_id: i,
                    values: vec![f64::from((rng.unit() - 0.5) * 0.2)],
                })
            }
        })
        .collect();
    Tree {
        source_id,
        group: 0,
        nodes,
    }
}

fn synthetic(n_trees: u32, depth: u32, seed: u64) -> Ensemble {
    let mut rng = Rng(seed);
    Ensemble {
        schema_version: IR_SCHEMA_VERSION,
        source: Source {
            format: "synthetic".into(),
            framework_version: None,
            objective: "binary:logistic".into(),
            sha256: String::new(),
        },
        n_features: N_FEATURES,
        feature_names: vec![],
        n_groups: 1,
        accumulator: timber::ir::Accumulator::F32,
        base_score: vec![0.0],
        aggregation: Aggregation::Sum,
        post_transform: PostTransform::Sigmoid,
        trees: (0..n_trees)
            .map(|t| complete_tree(&mut rng, t, depth))
            .collect(),
    }
}

const HARNESS: &str = r#"#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "model.h"

#define N_ROWS ({n_rows}U)
#define REPEATS ({repeats}U)

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static float in[N_ROWS * TIMBER_N_FEATURES];
    static float out[N_ROWS * TIMBER_N_OUTPUTS];
    double single[REPEATS];
    double batch[REPEATS];
    double check = 0.0;
    unsigned long long s = 88172645463325252ULL;
    size_t i;
    size_t r;
    unsigned rep;
    for (i = 0U; i < N_ROWS * TIMBER_N_FEATURES; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        in[i] = (float)((double)(s >> 40) / 16777216.0 * 2.4 - 1.2);
    }
    for (rep = 0U; rep < REPEATS; rep++) {
        double t0 = now_ns();
        for (r = 0U; r < N_ROWS; r++) {
            (void)timber_infer_single(&in[r * TIMBER_N_FEATURES], &out[r * TIMBER_N_OUTPUTS]);
        }
        double t1 = now_ns();
        check += (double)out[N_ROWS - 1U];
        (void)timber_infer(in, N_ROWS, out);
        double t2 = now_ns();
        check += (double)out[0];
        single[rep] = (t1 - t0) / (double)N_ROWS;
        batch[rep] = (t2 - t1) / (double)N_ROWS;
    }
    qsort(single, REPEATS, sizeof single[0], cmp_double);
    qsort(batch, REPEATS, sizeof batch[0], cmp_double);
    printf("%.1f %.1f %g\n", single[REPEATS / 2U], batch[REPEATS / 2U], check);
    return 0;
}
"#;

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent;
    // stay quick there.
    let quick = !std::env::args().any(|a| a == "--bench");
    // The committed XGBoost fixtures (50 trees depth 4, 500 trees depth 8)
    // and synthetic complete trees of the same sizes.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost");
    let fixture = |file: &str| {
        timber::frontend::load_model(&root.join(file), timber::frontend::FormatChoice::Auto)
            .expect("fixture model loads")
    };
    let cases: Vec<(String, Ensemble)> = vec![
        ("xgb binary_nan (50)".into(), fixture("binary_nan.json")),
        ("xgb large_500 (500)".into(), fixture("large_500.json")),
        ("synth 50 x depth 6".into(), synthetic(50, 6, 0xbe7c_0006)),
        ("synth 500 x depth 8".into(), synthetic(500, 8, 0xbe7c_0008)),
    ];
    let (rows, repeats) = if quick { (200, 3) } else { (N_ROWS, REPEATS) };
    println!(
        "generated C, cc -O2 -std=c99 -ffp-contract=off, {rows} rows x {repeats} runs, median ns/row"
    );
    println!(
        "{:<22} {:<10} {:>12} {:>12} {:>10}",
        "model", "layout", "single", "batch", "emit ms"
    );
    let runs = cases.iter().enumerate().flat_map(|(case, (name, ens))| {
        [Layout::Table, Layout::Branches, Layout::Compact]
            .into_iter()
            .map(move |layout| (case, name, ens, layout))
    });
    for (case, name, ens, layout) in runs {
        // TIMBER_BENCH_KEEP=<dir> keeps the generated sources for a look.
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir_path = match std::env::var_os("TIMBER_BENCH_KEEP") {
            Some(keep) => {
                std::path::PathBuf::from(keep).join(format!("case{case}-{}", layout.name()))
            }
            None => tmp.path().to_path_buf(),
        };
        std::fs::create_dir_all(&dir_path).expect("create bench dir");
        let started = std::time::Instant::now();
        let opts = Options {
            layout,
            ..Options::default()
        };
        let files = emit_c99(ens, &opts).expect("emit");
        let emit_ms = started.elapsed().as_secs_f64() * 1e3;
        for f in files {
            std::fs::write(dir_path.join(&f.name), f.contents).expect("write");
        }
        let harness = HARNESS
            .replace("{n_rows}", &rows.to_string())
            .replace("{repeats}", &repeats.to_string());
        std::fs::write(dir_path.join("bench.c"), harness).expect("write");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let status = Command::new(&cc)
            .args(["-std=c99", "-O2", "-ffp-contract=off", "-Wall"])
            .args(["bench.c", "model.c", "model_data.c", "-o", "bench"])
            .current_dir(&dir_path)
            .status()
            .expect("run cc");
        assert!(status.success(), "cc failed");
        let out = Command::new(dir_path.join("bench"))
            .output()
            .expect("run bench");
        assert!(out.status.success(), "bench failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut words = text.split_whitespace();
        let single = words.next().unwrap_or("?");
        let batch = words.next().unwrap_or("?");
        let mark = if Layout::Auto.resolve(ens) == layout {
            "*"
        } else {
            ""
        };
        let shown = format!("{}{mark}", layout.name());
        println!("{name:<22} {shown:<10} {single:>12} {batch:>12} {emit_ms:>10.1}");
    }
}
