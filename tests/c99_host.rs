//! The generated C99, compiled with the host `cc` under the strict flags
//! and run, must give exactly the bits of `timber::ir::evaluate` for every
//! row: hand-built ensembles covering every split operator, missing
//! direction, aggregation and post transform, seeded random ensembles, and
//! `timber_exp` alone over millions of bit patterns.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use timber::codegen::c99::{emit_c99, Layout, NanPolicy, Numeric, Options};
use timber::ir::{
    evaluate, mathfn, Accumulator, Aggregation, Ensemble, Leaf, MissingGoes, Node, PostTransform,
    Source, Split, SplitOp, Tree, IR_SCHEMA_VERSION,
};

const CFLAGS: &[&str] = &[
    "-std=c99",
    "-pedantic",
    "-Wall",
    "-Wextra",
    "-Wconversion",
    "-Wshadow",
    "-Werror",
    "-ffp-contract=off",
    "-O2",
];

// ---------------------------------------------------------------- IR helpers

fn leaf(id: u32, v: f32) -> Node {
    Node::Leaf(Leaf {
        source_id: id,
        values: vec![f64::from(v)],
    })
}

fn leafv(id: u32, values: &[f32]) -> Node {
    Node::Leaf(Leaf {
        source_id: id,
        values: values.iter().map(|v| f64::from(*v)).collect(),
    })
}

fn split(
    id: u32,
    feature: u32,
    threshold: f32,
    op: SplitOp,
    missing: MissingGoes,
    left: u32,
    right: u32,
) -> Node {
    Node::Split(Split {
        source_id: id,
        feature,
        threshold,
        op,
        missing,
        left,
        right,
    })
}

fn tree(source_id: u32, group: u32, nodes: Vec<Node>) -> Tree {
    Tree {
        source_id,
        group,
        nodes,
    }
}

fn ensemble(
    n_features: u32,
    base_score: Vec<f32>,
    aggregation: Aggregation,
    post_transform: PostTransform,
    trees: Vec<Tree>,
) -> Ensemble {
    Ensemble {
        schema_version: IR_SCHEMA_VERSION,
        source: Source {
            format: "test".into(),
            framework_version: None,
            objective: "hand-built".into(),
            sha256: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff".into(),
        },
        n_features,
        feature_names: vec![],
        n_groups: base_score.len() as u32,
        accumulator: Accumulator::F32,
        base_score: base_score.iter().map(|b| f64::from(*b)).collect(),
        aggregation,
        post_transform,
        trees,
    }
}

// ------------------------------------------------------------ float helpers

fn next_up(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        x
    } else if x == 0.0 {
        f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() + 1)
    } else {
        f32::from_bits(x.to_bits() - 1)
    }
}

fn next_down(x: f32) -> f32 {
    -next_up(-x)
}

/// Values worth feeding any feature: the split thresholds on it and their
/// neighbours, plus the special values.
fn interesting_values(ens: &Ensemble, feature: u32) -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::from_bits(0x007f_ffff),
        1e30,
        -1e30,
    ];
    for t in &ens.trees {
        for n in &t.nodes {
            if let Node::Split(s) = n {
                if s.feature == feature {
                    v.push(s.threshold);
                    v.push(next_up(s.threshold));
                    v.push(next_down(s.threshold));
                }
            }
        }
    }
    v
}

/// A small seeded generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Rows mixing interesting values per feature with random ones.
fn rows_for(ens: &Ensemble, rng: &mut Rng, n: usize) -> Vec<Vec<f32>> {
    let per_feature: Vec<Vec<f32>> = (0..ens.n_features)
        .map(|f| interesting_values(ens, f))
        .collect();
    let mut rows = Vec::with_capacity(n);
    // First, every interesting value of every feature with the others 0.
    for (f, vals) in per_feature.iter().enumerate() {
        for &v in vals {
            let mut row = vec![0.0f32; ens.n_features as usize];
            row[f] = v;
            rows.push(row);
        }
    }
    while rows.len() < n {
        let row = per_feature
            .iter()
            .map(|vals| {
                if rng.below(4) == 0 {
                    f32::from_bits(rng.next() as u32)
                } else {
                    rng.pick(vals)
                }
            })
            .collect();
        rows.push(row);
    }
    rows
}

// --------------------------------------------------------- build and run C

fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_string())
}

const HARNESS: &str = r#"/* Test harness: stdin = n_rows then n_rows * TIMBER_N_FEATURES hex float
 * bits; stdout = per row the status and output bits of timber_infer_single,
 * then the same for one timber_infer call over all rows, then API checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

static float from_bits(unsigned int b)
{
    float f;
    uint32_t u = (uint32_t)b;
    memcpy(&f, &u, sizeof f);
    return f;
}

static unsigned int to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (unsigned int)u;
}

int main(void)
{
    size_t n_rows;
    size_t r;
    size_t i;
    float *in;
    float *out;
    float one[TIMBER_N_OUTPUTS];
    if (scanf("%zu", &n_rows) != 1) {
        return 2;
    }
    in = malloc(sizeof(float) * (n_rows + 1U) * TIMBER_N_FEATURES);
    out = malloc(sizeof(float) * (n_rows + 1U) * TIMBER_N_OUTPUTS);
    if (in == NULL || out == NULL) {
        return 3;
    }
    for (i = 0U; i < n_rows * TIMBER_N_FEATURES; i++) {
        unsigned int b;
        if (scanf("%x", &b) != 1) {
            return 4;
        }
        in[i] = from_bits(b);
    }
    for (r = 0U; r < n_rows; r++) {
        int32_t st = timber_infer_single(&in[r * TIMBER_N_FEATURES], one);
        printf("%d", (int)st);
        for (i = 0U; i < TIMBER_N_OUTPUTS; i++) {
            printf(" %08x", st == TIMBER_OK ? to_bits(one[i]) : 0U);
        }
        printf("\n");
    }
    printf("%d\n", (int)timber_infer(in, n_rows, out));
    for (r = 0U; r < n_rows; r++) {
        for (i = 0U; i < TIMBER_N_OUTPUTS; i++) {
            printf(" %08x", to_bits(out[r * TIMBER_N_OUTPUTS + i]));
        }
        printf("\n");
    }
    printf("%d %d %d %d %d %d\n", (int)timber_infer_single(NULL, one),
           (int)timber_infer_single(in, NULL), (int)timber_infer(NULL, 1U, out),
           (int)timber_infer(in, 1U, NULL), (int)timber_infer(in, 0U, out),
           /* SIZE_MAX rows only overflow with more than one value per row. */
           ((TIMBER_N_FEATURES > 1U) || (TIMBER_N_OUTPUTS > 1U))
               ? (int)timber_infer(in, SIZE_MAX, out) : 3);
    printf("%u %s %s %s\n", (unsigned int)timber_abi_version(), timber_model_sha256(),
           timber_strerror(TIMBER_ERR_NULL), timber_strerror(99));
    free(in);
    free(out);
    return 0;
}
"#;

struct Built {
    _dir: tempfile::TempDir,
    exe: PathBuf,
}

fn write_sources(ens: &Ensemble, opts: &Options, dir: &Path) {
    for f in emit_c99(ens, opts).expect("emit") {
        std::fs::write(dir.join(&f.name), f.contents).expect("write");
    }
}

fn compile(dir: &Path, sources: &[&str], exe: &Path) {
    compile_with(dir, sources, exe, &[]);
}

/// `extra` flags come after CFLAGS, so `-O0`, `-O3` override `-O2`.
fn compile_with(dir: &Path, sources: &[&str], exe: &Path, extra: &[&str]) {
    let out = Command::new(cc())
        .args(CFLAGS)
        .args(extra)
        .args(sources)
        .arg("-o")
        .arg(exe)
        .current_dir(dir)
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn build(ens: &Ensemble, opts: &Options) -> Built {
    build_with(ens, opts, &[])
}

fn build_with(ens: &Ensemble, opts: &Options, extra: &[&str]) -> Built {
    let dir = tempfile::tempdir().expect("tempdir");
    write_sources(ens, opts, dir.path());
    std::fs::write(dir.path().join("harness.c"), HARNESS).expect("write harness");
    let exe = dir.path().join("harness");
    compile_with(
        dir.path(),
        &["harness.c", "model.c", "model_data.c"],
        &exe,
        extra,
    );
    Built { _dir: dir, exe }
}

struct RunResult {
    single_status: Vec<i32>,
    single: Vec<Vec<u32>>,
    batch_status: i32,
    batch: Vec<Vec<u32>>,
    /// NULL in, NULL out (single); NULL in, NULL out, 0 rows, SIZE_MAX rows (batch).
    api: Vec<i32>,
    abi_line: String,
}

fn run(built: &Built, n_features: usize, rows: &[Vec<f32>]) -> RunResult {
    let mut input = format!("{}\n", rows.len());
    for row in rows {
        assert_eq!(row.len(), n_features);
        for v in row {
            input.push_str(&format!("{:08x} ", v.to_bits()));
        }
        input.push('\n');
    }
    let mut child = Command::new(&built.exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn harness");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("feed harness");
    let out = child.wait_with_output().expect("harness output");
    assert!(out.status.success(), "harness exited with {}", out.status);
    let text = String::from_utf8(out.stdout).expect("utf8");
    let mut lines = text.lines();
    let hex = |s: &str| u32::from_str_radix(s, 16).expect("hex");
    let mut single_status = Vec::new();
    let mut single = Vec::new();
    for _ in rows {
        let mut words = lines.next().expect("single line").split_whitespace();
        single_status.push(words.next().expect("status").parse().expect("int"));
        single.push(words.map(hex).collect());
    }
    let batch_status = lines
        .next()
        .expect("batch status")
        .trim()
        .parse()
        .expect("int");
    let batch = rows
        .iter()
        .map(|_| {
            lines
                .next()
                .expect("batch line")
                .split_whitespace()
                .map(hex)
                .collect()
        })
        .collect();
    let api = lines
        .next()
        .expect("api line")
        .split_whitespace()
        .map(|s| s.parse().expect("int"))
        .collect();
    let abi_line = lines.next().expect("abi line").to_string();
    RunResult {
        single_status,
        single,
        batch_status,
        batch,
        api,
        abi_line,
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every concrete layout (and numeric mode) that can express `ens`.
fn layouts_for(ens: &Ensemble) -> Vec<(Layout, Numeric)> {
    let mut v = vec![(Layout::Table, Numeric::Float)];
    if timber::codegen::c99::branches::supports(ens) {
        v.push((Layout::Branches, Numeric::Float));
    }
    if timber::codegen::c99::compact::supports(ens) {
        v.push((Layout::Compact, Numeric::Float));
    }
    if timber::codegen::c99::numint::supports(ens) {
        v.push((Layout::Compact, Numeric::Int));
    }
    v
}

/// Compile `ens` in every layout, run `rows`, and assert every output bit
/// equals the reference evaluator's, for single-row and batch calls.
/// Returns the table layout's run.
fn check(ens: &Ensemble, rows: &[Vec<f32>]) -> RunResult {
    check_with(ens, rows, &[])
}

fn check_with(ens: &Ensemble, rows: &[Vec<f32>], extra: &[&str]) -> RunResult {
    let mut first = None;
    for (layout, numeric) in layouts_for(ens) {
        let res = check_layout(ens, rows, extra, layout, numeric);
        first.get_or_insert(res);
    }
    first.expect("the table layout always runs")
}

fn check_layout(
    ens: &Ensemble,
    rows: &[Vec<f32>],
    extra: &[&str],
    layout: Layout,
    numeric: Numeric,
) -> RunResult {
    timber::ir::validate(ens).expect("test ensemble is valid");
    let opts = Options {
        layout,
        numeric,
        ..Options::default()
    };
    let layout = (layout, numeric);
    let built = build_with(ens, &opts, extra);
    let res = run(&built, ens.n_features as usize, rows);
    assert_eq!(res.batch_status, 0);
    for (i, row) in rows.iter().enumerate() {
        let want = bits(&evaluate(ens, row));
        assert_eq!(res.single_status[i], 0);
        assert_eq!(
            res.single[i], want,
            "{layout:?} single row {i} {row:?}: C {:x?} vs Rust {want:x?}",
            res.single[i]
        );
        assert_eq!(res.batch[i], want, "{layout:?} batch row {i} {row:?}");
    }
    res
}

// ------------------------------------------------------- hand-built models

fn stump(op: SplitOp, missing: MissingGoes, pt: PostTransform) -> Ensemble {
    ensemble(
        1,
        vec![0.5],
        Aggregation::Sum,
        pt,
        vec![tree(
            0,
            0,
            vec![
                split(0, 0, 0.25, op, missing, 1, 2),
                leaf(1, -1.25),
                leaf(2, 2.0),
            ],
        )],
    )
}

#[test]
fn stumps_every_op_and_missing_direction() {
    let mut rng = Rng(1);
    for op in [SplitOp::Lt, SplitOp::Le] {
        for missing in [MissingGoes::Left, MissingGoes::Right] {
            let ens = stump(op, missing, PostTransform::Identity);
            let rows = rows_for(&ens, &mut rng, 64);
            check(&ens, &rows);
            // The threshold itself decides differently for < and <=.
            let at = evaluate(&ens, &[0.25])[0];
            let want = if op == SplitOp::Le { 0.5 - 1.25 } else { 2.5 };
            assert_eq!(at, want);
        }
    }
}

/// A depth-3 tree over 3 features with mixed ops, missing directions,
/// children stored out of order, and a second tree.
fn deeper(pt: PostTransform, agg: Aggregation, base: f32) -> Ensemble {
    use MissingGoes::{Left, Right};
    use SplitOp::{Le, Lt};
    let t0 = tree(
        10,
        0,
        vec![
            split(100, 0, 1.5, Lt, Left, 2, 1),
            split(101, 1, -0.0, Le, Right, 3, 4),
            split(102, 2, 3.0e-39, Lt, Right, 5, 6),
            leaf(103, 0.125),
            split(104, 0, 7.0, Le, Left, 7, 8),
            leaf(105, -3.5),
            leaf(106, 1.0e-3),
            leaf(107, 42.0),
            leaf(108, -0.0),
        ],
    );
    let t1 = tree(
        11,
        0,
        vec![
            split(0, 2, f32::INFINITY, Lt, Right, 1, 2),
            leaf(1, 0.75),
            split(2, 1, f32::NEG_INFINITY, Le, Left, 3, 4),
            leaf(3, -8.0),
            leaf(4, 1e-7),
        ],
    );
    ensemble(3, vec![base], agg, pt, vec![t0, t1])
}

#[test]
fn deeper_trees_identity_and_average() {
    let mut rng = Rng(2);
    for agg in [
        Aggregation::Sum,
        Aggregation::Average,
        Aggregation::SumThenBase,
    ] {
        let ens = deeper(PostTransform::Identity, agg, 0.3);
        let rows = rows_for(&ens, &mut rng, 300);
        check(&ens, &rows);
    }
}

#[test]
fn sigmoid_exp_hinge_with_huge_margins() {
    let mut rng = Rng(3);
    for pt in [
        PostTransform::Sigmoid,
        PostTransform::Exp,
        PostTransform::Hinge,
        PostTransform::SymmetricSigmoid,
    ] {
        for base in [
            0.0f32, -0.0, 0.5, 88.0, 89.0, -87.0, -104.0, -200.0, 300.0, 1e30, -1e30,
        ] {
            for agg in [Aggregation::Sum, Aggregation::SumThenBase] {
                let ens = deeper(pt, agg, base);
                let rows = rows_for(&ens, &mut rng, 120);
                check(&ens, &rows);
            }
        }
    }
}

/// Three classes, one tree per class and round, like XGBoost multiclass.
fn multiclass(pt: PostTransform, scale: f32) -> Ensemble {
    use MissingGoes::{Left, Right};
    use SplitOp::{Le, Lt};
    let mut trees = Vec::new();
    for round in 0..3u32 {
        for class in 0..3u32 {
            let id = round * 3 + class;
            let k = (id as f32 + 1.0) * scale;
            trees.push(tree(
                id,
                class,
                vec![
                    split(0, class % 2, 0.5 * id as f32, Lt, Left, 1, 2),
                    split(1, 2, -1.0, Le, Right, 3, 4),
                    leaf(2, -k),
                    leaf(3, k),
                    leaf(4, 0.5 * k),
                ],
            ));
        }
    }
    ensemble(3, vec![0.5, -0.25, 0.0], Aggregation::Sum, pt, trees)
}

#[test]
fn multiclass_softmax_argmax_and_vector_leaves() {
    let mut rng = Rng(4);
    for pt in [
        PostTransform::Softmax,
        PostTransform::ArgMax,
        PostTransform::Identity,
        PostTransform::SoftmaxF32,
    ] {
        for scale in [0.1f32, 3.0, 50.0, 1e6] {
            let ens = multiclass(pt, scale);
            let rows = rows_for(&ens, &mut rng, 200);
            check(&ens, &rows);
        }
    }
    // Vector leaves (a random forest classifier): one tree feeds all groups.
    let forest = ensemble(
        2,
        vec![0.0, 0.0, 0.0],
        Aggregation::Average,
        PostTransform::Identity,
        vec![
            tree(
                0,
                0,
                vec![
                    split(0, 0, 0.5, SplitOp::Le, MissingGoes::Left, 1, 2),
                    leafv(1, &[0.2, 0.3, 0.5]),
                    leafv(2, &[0.9, 0.1, 0.0]),
                ],
            ),
            tree(
                1,
                1,
                vec![
                    split(0, 1, -2.0, SplitOp::Lt, MissingGoes::Right, 1, 2),
                    leafv(1, &[0.7, 0.3]),
                    leafv(2, &[0.6, 0.4]),
                ],
            ),
        ],
    );
    let rows = rows_for(&forest, &mut rng, 100);
    check(&forest, &rows);
}

// -------------------------------------------------------- random ensembles

fn random_threshold(rng: &mut Rng) -> f32 {
    match rng.below(10) {
        0 => rng.pick(&[
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            f32::MIN,
        ]),
        1 => {
            f32::from_bits(rng.below(0x0080_0000) as u32)
                * if rng.below(2) == 0 { 1.0 } else { -1.0 }
        }
        2 => {
            let b = rng.next() as u32;
            let f = f32::from_bits(b);
            if f.is_finite() {
                f
            } else {
                1.0
            }
        }
        _ => (rng.unit() - 0.5) * 8.0,
    }
}

fn random_leaf_value(rng: &mut Rng, scale: f32) -> f32 {
    match rng.below(20) {
        0 => rng.pick(&[0.0, -0.0, f32::MAX, f32::MIN, 1e-40]),
        _ => (rng.unit() - 0.5) * scale,
    }
}

/// What every tree of one random ensemble has in common.
struct Shape<'a> {
    /// Values per leaf.
    width: usize,
    n_features: u32,
    max_depth: u32,
    /// Magnitude of leaf values.
    scale: f32,
    /// Split operators to pick from.
    ops: &'a [SplitOp],
}

/// A random tree with nodes in shuffled order (root stays first).
fn random_tree(rng: &mut Rng, source_id: u32, group: u32, shape: &Shape) -> Tree {
    let Shape {
        width,
        n_features,
        max_depth,
        scale,
        ops,
    } = *shape;
    // Build in preorder, then permute indices 1.. randomly.
    enum Proto {
        Split(Split),
        Leaf(Vec<f32>),
    }
    let mut protos: Vec<Proto> = Vec::new();
    let mut stack = vec![(usize::MAX, false, 0u32)];
    while let Some((parent, is_left, depth)) = stack.pop() {
        let idx = protos.len();
        if parent != usize::MAX {
            if let Proto::Split(s) = &mut protos[parent] {
                if is_left {
                    s.left = idx as u32;
                } else {
                    s.right = idx as u32;
                }
            }
        }
        let make_leaf = depth >= max_depth || (depth > 0 && rng.below(4) == 0);
        if make_leaf {
            protos.push(Proto::Leaf(
                (0..width).map(|_| random_leaf_value(rng, scale)).collect(),
            ));
        } else {
            protos.push(Proto::Split(Split {
                source_id: 0,
                feature: rng.below(u64::from(n_features)) as u32,
                threshold: random_threshold(rng),
                op: rng.pick(ops),
                missing: if rng.below(2) == 0 {
                    MissingGoes::Left
                } else {
                    MissingGoes::Right
                },
                left: 0,
                right: 0,
            }));
            stack.push((idx, false, depth + 1));
            stack.push((idx, true, depth + 1));
        }
    }
    let n = protos.len();
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (2..n).rev() {
        let j = 1 + rng.below(i as u64) as usize;
        perm.swap(i, j);
    }
    // perm[old] = new
    let mut nodes: Vec<Option<Node>> = (0..n).map(|_| None).collect();
    for (old, p) in protos.into_iter().enumerate() {
        let new = perm[old];
        let sid = (new as u32) * 3 + 7;
        nodes[new] = Some(match p {
            Proto::Split(mut s) => {
                s.source_id = sid;
                s.left = perm[s.left as usize] as u32;
                s.right = perm[s.right as usize] as u32;
                Node::Split(s)
            }
            Proto::Leaf(values) => Node::Leaf(Leaf {
                source_id: sid,
                values: values.into_iter().map(f64::from).collect(),
            }),
        });
    }
    tree(
        source_id,
        group,
        nodes.into_iter().map(|n| n.expect("filled")).collect(),
    )
}

fn random_ensemble(rng: &mut Rng) -> Ensemble {
    let n_features = 1 + rng.below(6) as u32;
    let n_groups = 1 + rng.below(4) as u32;
    let pt = rng.pick(&[
        PostTransform::Identity,
        PostTransform::Sigmoid,
        PostTransform::Softmax,
        PostTransform::Exp,
        PostTransform::Hinge,
        PostTransform::ArgMax,
    ]);
    let agg = if rng.below(4) == 0 {
        Aggregation::Average
    } else {
        Aggregation::Sum
    };
    let vector = rng.below(5) == 0;
    let scale = rng.pick(&[1.0f32, 10.0, 200.0, 1e5]);
    let n_trees = 1 + rng.below(25) as u32;
    let max_depth = rng.below(9) as u32;
    // Uniform operators (XGBoost, LightGBM) get a specialised walk.
    let ops: &[SplitOp] = match rng.below(3) {
        0 => &[SplitOp::Lt],
        1 => &[SplitOp::Le],
        _ => &[SplitOp::Lt, SplitOp::Le],
    };
    let shape = Shape {
        width: if vector { n_groups as usize } else { 1 },
        n_features,
        max_depth,
        scale,
        ops,
    };
    let trees = (0..n_trees)
        .map(|i| {
            let group = if vector { 0 } else { i % n_groups };
            random_tree(rng, 1000 + i, group, &shape)
        })
        .collect();
    let base = (0..n_groups)
        .map(|_| random_leaf_value(rng, scale))
        .collect();
    ensemble(n_features, base, agg, pt, trees)
}

#[test]
fn random_ensembles_are_bit_exact() {
    let mut rng = Rng(0x5eed_0001);
    for case in 0..40 {
        let ens = random_ensemble(&mut rng);
        let rows = rows_for(&ens, &mut rng, 400);
        eprintln!(
            "case {case}: {} trees, {} features, {} groups, {:?} {:?}",
            ens.trees.len(),
            ens.n_features,
            ens.n_groups,
            ens.aggregation,
            ens.post_transform
        );
        check(&ens, &rows);
    }
}

// --------------------------------------------------------------- API checks

#[test]
fn null_pointers_bounds_and_metadata() {
    let ens = deeper(PostTransform::Identity, Aggregation::Sum, 0.0);
    let res = check(&ens, &[vec![0.0, 0.0, 0.0]]);
    // NULL in/out for single and batch -> TIMBER_ERR_NULL (1); 0 rows ok;
    // SIZE_MAX rows -> TIMBER_ERR_BOUNDS (3).
    assert_eq!(res.api, vec![1, 1, 1, 1, 0, 3]);
    assert_eq!(
        res.abi_line,
        format!(
            "{} {} a pointer argument is NULL unknown status",
            timber::codegen::c99::ABI_VERSION,
            ens.source.sha256
        )
    );
}

#[test]
fn nan_policy_reject() {
    let ens = deeper(PostTransform::Identity, Aggregation::Sum, 0.0);
    let mut rng = Rng(12);
    let clean: Vec<Vec<f32>> = rows_for(&ens, &mut rng, 300)
        .into_iter()
        .filter(|r| !r.iter().any(|v| v.is_nan()))
        .collect();
    for (layout, numeric) in layouts_for(&ens) {
        let built = build(
            &ens,
            &Options {
                nan_policy: NanPolicy::Reject,
                layout,
                numeric,
            },
        );
        let layout = (layout, numeric);
        let rows = vec![vec![0.0, 1.0, 2.0], vec![0.0, f32::NAN, 2.0]];
        let res = run(&built, 3, &rows);
        assert_eq!(res.single_status, vec![0, 2], "{layout:?}");
        assert_eq!(res.single[0], bits(&evaluate(&ens, &rows[0])));
        assert_eq!(res.batch_status, 2);
        // Without NaN the rejecting code computes the reference's bits
        // (thresholds, next floats, infinities).
        let res = run(&built, 3, &clean);
        assert_eq!(res.batch_status, 0, "{layout:?}");
        for (i, row) in clean.iter().enumerate() {
            let want = bits(&evaluate(&ens, row));
            assert_eq!(res.single[i], want, "{layout:?} row {row:?}");
            assert_eq!(res.batch[i], want, "{layout:?} row {row:?}");
        }
    }
}

/// The branches layout: no node table, a `/* tree T node N */` on every
/// `if` and leaf line, no `x != x` test (NaN is folded into the
/// comparisons), deterministic; `auto` picks it for a small model and the
/// table for a big one.
#[test]
fn branches_layout_traces_every_node_and_auto_picks_by_size() {
    let ens = deeper(PostTransform::Identity, Aggregation::Sum, 0.0);
    let opts = Options {
        layout: Layout::Branches,
        ..Options::default()
    };
    let files = emit_c99(&ens, &opts).expect("emit");
    assert_eq!(files, emit_c99(&ens.clone(), &opts).expect("emit"));
    let text = |name: &str| {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.clone())
            .expect("file")
    };
    let model_c = text("model.c");
    assert!(!text("model_data.c").contains("timber_nodes"));
    assert!(!model_c.contains("timber_walk"));
    for t in &ens.trees {
        for n in &t.nodes {
            let tag = format!("/* tree {} node {} */", t.source_id, n.source_id());
            assert_eq!(model_c.matches(&tag).count(), 1, "{tag}");
        }
    }
    let fns: Vec<&str> = model_c
        .split("static timber_float32_t timber_tree_")
        .skip(1)
        .collect();
    assert_eq!(fns.len(), ens.trees.len());
    for f in fns {
        let body = f.split("\n}\n").next().unwrap_or("");
        assert!(!body.contains("!="), "NaN test in a tree function: {body}");
    }
    assert!(text("model.h").contains("Layout: branches"));
    assert_eq!(Layout::Auto.resolve(&ens), Layout::Branches);
    let mut rng = Rng(77);
    let big = ensemble(
        8,
        vec![0.0],
        Aggregation::Sum,
        PostTransform::Identity,
        (0..40)
            .map(|i| complete_tree(&mut rng, i, 0, 7, 8))
            .collect(),
    );
    assert!(big.n_nodes() > timber::codegen::c99::AUTO_BRANCHES_MAX_NODES);
    assert_eq!(Layout::Auto.resolve(&big), Layout::Table);
}

#[test]
fn emitting_twice_is_byte_identical() {
    let mut rng = Rng(9);
    for _ in 0..5 {
        let ens = random_ensemble(&mut rng);
        let a = emit_c99(&ens, &Options::default()).expect("emit");
        let b = emit_c99(&ens.clone(), &Options::default()).expect("emit");
        assert_eq!(a, b);
        let names: Vec<&str> = a.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["model.c", "model.h", "model_data.c", "model_data.h"]
        );
        for f in &a {
            assert!(!f.contents.contains("/tmp"), "{} has a path", f.name);
        }
    }
}

#[test]
fn every_node_row_names_its_source() {
    let ens = deeper(PostTransform::Identity, Aggregation::Sum, 0.0);
    let files = emit_c99(&ens, &Options::default()).expect("emit");
    let data = &files
        .iter()
        .find(|f| f.name == "model_data.c")
        .expect("model_data.c")
        .contents;
    for t in &ens.trees {
        for n in &t.nodes {
            let tag = format!("/* tree {} node {} */", t.source_id, n.source_id());
            assert!(data.contains(&tag), "missing {tag}");
        }
    }
}

#[test]
fn snapshot_of_a_small_model() {
    let ens = stump(SplitOp::Lt, MissingGoes::Left, PostTransform::Sigmoid);
    let files = emit_c99(&ens, &Options::default()).expect("emit");
    for f in files {
        insta::assert_snapshot!(f.name.replace('.', "_"), f.contents);
    }
}

// ------------------------------------------------------ timber_exp alone

const EXP_HARNESS: &str = r#"/* timber_exp over bit patterns start + i * stride (mod 2^32), i < count;
 * writes the result bits as little-endian u32 to stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.c"

int main(int argc, char **argv)
{
    uint32_t start;
    uint32_t stride;
    uint32_t count;
    uint32_t i;
    if (argc != 4) {
        return 2;
    }
    start = (uint32_t)strtoul(argv[1], NULL, 16);
    stride = (uint32_t)strtoul(argv[2], NULL, 16);
    count = (uint32_t)strtoul(argv[3], NULL, 16);
    for (i = 0U; i < count; i++) {
        uint32_t b = start + i * stride;
        float x;
        float y;
        unsigned char bytes[4];
        memcpy(&x, &b, sizeof x);
        y = timber_exp(x);
        memcpy(&b, &y, sizeof b);
        bytes[0] = (unsigned char)(b & 0xFFU);
        bytes[1] = (unsigned char)((b >> 8U) & 0xFFU);
        bytes[2] = (unsigned char)((b >> 16U) & 0xFFU);
        bytes[3] = (unsigned char)((b >> 24U) & 0xFFU);
        if (fwrite(bytes, 1U, 4U, stdout) != 4U) {
            return 3;
        }
    }
    return 0;
}
"#;

/// An exp model whose margins timber cannot bound (two trees of leaves
/// near +-FLT_MAX may overflow): its timber_exp keeps every path, so it
/// can be compared with mathfn::exp on every float.
fn exp_with_every_path() -> Ensemble {
    let big = 3.0e38f32;
    let t = |id: u32| {
        tree(
            id,
            0,
            vec![
                split(0, 0, 0.25, SplitOp::Lt, MissingGoes::Left, 1, 2),
                leaf(1, -big),
                leaf(2, big),
            ],
        )
    };
    ensemble(
        1,
        vec![0.5],
        Aggregation::Sum,
        PostTransform::Exp,
        vec![t(0), t(1)],
    )
}

#[test]
fn timber_exp_matches_mathfn_exp_bit_for_bit() {
    let ens = exp_with_every_path();
    let dir = tempfile::tempdir().expect("tempdir");
    write_sources(&ens, &Options::default(), dir.path());
    std::fs::write(dir.path().join("exp_harness.c"), EXP_HARNESS).expect("write");
    let exe = dir.path().join("exp_harness");
    compile(dir.path(), &["exp_harness.c", "model_data.c"], &exe);
    // (start, stride, count): a sweep over all 2^32 patterns, and dense
    // windows around 0, the overflow and underflow edges and the k = +-120
    // rescaling points.
    let windows: &[(u32, u32, u32)] = &[
        (0x0000_0000, 1021, (1u64 << 32).div_ceil(1021) as u32),
        (0x3f00_0000, 1, 1 << 20),
        (0xbf00_0000, 1, 1 << 20),
        (0x42b1_0000, 1, 0x2_0000),
        (0xc2ce_0000, 1, 0x4_0000),
        (0x42a6_0000, 1, 0x2_0000),
        (0xc2a6_0000, 1, 0x2_0000),
    ];
    let mut total = 0usize;
    for &(start, stride, count) in windows {
        let out = Command::new(&exe)
            .arg(format!("{start:x}"))
            .arg(format!("{stride:x}"))
            .arg(format!("{count:x}"))
            .output()
            .expect("run exp harness");
        assert!(out.status.success());
        assert_eq!(out.stdout.len(), count as usize * 4);
        for (i, chunk) in out.stdout.chunks_exact(4).enumerate() {
            let b = start.wrapping_add((i as u32).wrapping_mul(stride));
            let x = f32::from_bits(b);
            let got = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let want = mathfn::exp(x).to_bits();
            assert_eq!(
                got, want,
                "exp({x:e}) [{b:08x}]: C {got:08x} vs Rust {want:08x}"
            );
        }
        total += count as usize;
    }
    assert!(total > 4_000_000, "{total}");
}

// ------------------------------------------------- double accumulation

const EXP64_HARNESS: &str = r#"/* timber_exp64 over doubles read as 16-hex-digit bit patterns, one per
 * line of the file argv[1]; writes each result's bits as 16 hex digits,
 * one per line. */
#include <stdio.h>
#include <string.h>
#include "model.c"

int main(int argc, char **argv)
{
    unsigned long long b;
    FILE *in;
    if (argc != 2) {
        return 2;
    }
    in = fopen(argv[1], "r");
    if (in == NULL) {
        return 2;
    }
    while (fscanf(in, "%llx", &b) == 1) {
        double x;
        double y;
        memcpy(&x, &b, sizeof x);
        y = timber_exp64(x);
        memcpy(&b, &y, sizeof b);
        printf("%016llx\n", b);
    }
    return 0;
}
"#;

/// A double-accumulation copy of `ens`: accumulator f64, and every leaf
/// and base value moved off the float32 grid (a double that no float32
/// equals), so a float32 sum anywhere would show.
fn as_double_model(mut ens: Ensemble, rng: &mut Rng) -> Ensemble {
    ens.accumulator = Accumulator::F64;
    let mut nudge = |v: f64| {
        if v.abs() > 1e30 || v == 0.0 {
            v
        } else {
            v * (1.0 + (rng.below(1000) + 1) as f64 * 1e-12)
        }
    };
    for b in &mut ens.base_score {
        *b = nudge(*b);
    }
    for t in &mut ens.trees {
        for n in &mut t.nodes {
            if let Node::Leaf(l) = n {
                for v in &mut l.values {
                    *v = nudge(*v);
                }
            }
        }
    }
    ens
}

#[test]
fn double_accumulation_is_bit_exact_in_every_layout() {
    let mut rng = Rng(0x5eed_0064);
    for case in 0..30 {
        let ens = as_double_model(random_ensemble(&mut rng), &mut rng);
        let rows = rows_for(&ens, &mut rng, 300);
        eprintln!(
            "f64 case {case}: {} trees, {} groups, {:?} {:?}",
            ens.trees.len(),
            ens.n_groups,
            ens.aggregation,
            ens.post_transform
        );
        check(&ens, &rows);
    }
    // Margins at the ends of exp64's range (overflow, subnormal, zero) and
    // beyond float32's: every link and both aggregations.
    for pt in [
        PostTransform::Sigmoid,
        PostTransform::Exp,
        PostTransform::Hinge,
        PostTransform::Identity,
    ] {
        for agg in [Aggregation::Sum, Aggregation::Average] {
            for base in [0.0f32, 0.3, 88.0, 700.0, 709.0, -740.0, -746.0, 1e30] {
                let ens = as_double_model(deeper(pt, agg, base), &mut rng);
                let rows = rows_for(&ens, &mut rng, 100);
                check(&ens, &rows);
            }
        }
    }
    for pt in [PostTransform::Softmax, PostTransform::ArgMax] {
        for scale in [0.1f32, 50.0, 1e6] {
            let ens = as_double_model(multiclass(pt, scale), &mut rng);
            let rows = rows_for(&ens, &mut rng, 150);
            check(&ens, &rows);
        }
    }
}

#[test]
fn timber_exp64_matches_mathfn_exp64_bit_for_bit() {
    // Leaves near +-FLT_MAX: margins timber cannot bound, so timber_exp64
    // keeps every path and the whole 2^k table.
    let ens = as_double_model(exp_with_every_path(), &mut Rng(64));
    let dir = tempfile::tempdir().expect("tempdir");
    write_sources(&ens, &Options::default(), dir.path());
    std::fs::write(dir.path().join("exp64_harness.c"), EXP64_HARNESS).expect("write");
    let exe = dir.path().join("exp64_harness");
    compile(dir.path(), &["exp64_harness.c", "model_data.c"], &exe);
    // Random doubles over the whole range, dense near 0, and the edges:
    // overflow, subnormal results, the pre-scaling points, specials.
    let mut rng = Rng(0x6464);
    let mut xs: Vec<f64> = vec![
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        709.782712893384,
        709.7827128933841,
        710.0,
        -745.1332191019411,
        -745.1332191019412,
        -746.0,
        -708.4,
        693.5,
        -693.5,
        1e300,
        -1e300,
    ];
    for _ in 0..200_000 {
        let u = f64::from(rng.unit());
        let v = f64::from(rng.unit());
        xs.push((u - 0.5) * 1500.0 + v * 1e-6);
        xs.push((u - 0.5) * 2.0 + v * 1e-9);
    }
    let input: String = xs
        .iter()
        .map(|x| format!("{:016x}\n", x.to_bits()))
        .collect();
    let input_path = dir.path().join("exp64_inputs.txt");
    std::fs::write(&input_path, input).expect("write inputs");
    let out = Command::new(&exe)
        .arg(&input_path)
        .output()
        .expect("run exp64 harness");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf8");
    let got: Vec<u64> = text
        .lines()
        .map(|l| u64::from_str_radix(l, 16).expect("hex"))
        .collect();
    assert_eq!(got.len(), xs.len());
    for (x, g) in xs.iter().zip(&got) {
        let want = mathfn::exp64(*x);
        // NaN: any NaN (its payload is the input's).
        if want.is_nan() {
            assert!(f64::from_bits(*g).is_nan(), "exp64({x:e})");
        } else {
            assert_eq!(
                *g,
                want.to_bits(),
                "exp64({x:e}): C {g:016x} vs Rust {:016x}",
                want.to_bits()
            );
        }
    }
}

// ------------------------------------------- cross-check with cppcheck

/// MISRA C:2012 findings of cppcheck's MISRA addon (when cppcheck is
/// installed) on the generated sources, as `rule file:line` strings.
fn cppcheck_misra(ens: &Ensemble, opts: &Options) -> Option<Vec<String>> {
    let probe = Command::new("cppcheck").arg("--version").output().ok()?;
    if !probe.status.success() {
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_sources(ens, opts, dir.path());
    let out = Command::new("cppcheck")
        .args([
            "--addon=misra",
            "--std=c99",
            "--enable=style,warning,portability",
            "-q",
            "--template={id} {file}:{line} {message}",
            "model.c",
            "model_data.c",
        ])
        .current_dir(dir.path())
        .output()
        .expect("run cppcheck");
    let text = String::from_utf8_lossy(&out.stderr);
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(' ') && !l.starts_with('^'))
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn cppcheck_misra_addon_finds_nothing() {
    let mut models = vec![
        (
            stump(SplitOp::Lt, MissingGoes::Left, PostTransform::Sigmoid),
            Options::default(),
        ),
        (
            deeper(PostTransform::Exp, Aggregation::Average, 1.0),
            Options {
                nan_policy: NanPolicy::Reject,
                ..Options::default()
            },
        ),
        (
            deeper(PostTransform::Hinge, Aggregation::Sum, 1.0),
            Options::default(),
        ),
        (multiclass(PostTransform::Softmax, 1.0), Options::default()),
        (multiclass(PostTransform::ArgMax, 1.0), Options::default()),
    ];
    // The compact layout and the integer mode, both NaN policies, mixed
    // ops and averaging.
    for nan_policy in [NanPolicy::Missing, NanPolicy::Reject] {
        for numeric in [Numeric::Float, Numeric::Int] {
            models.push((
                deeper(PostTransform::Exp, Aggregation::Average, 1.0),
                Options {
                    nan_policy,
                    layout: Layout::Compact,
                    numeric,
                },
            ));
        }
    }
    // The branches layout, both NaN policies, scalar and vector leaves.
    for nan_policy in [NanPolicy::Missing, NanPolicy::Reject] {
        models.push((
            deeper(PostTransform::Sigmoid, Aggregation::Average, 1.0),
            Options {
                nan_policy,
                layout: Layout::Branches,
                ..Options::default()
            },
        ));
        models.push((
            multiclass(PostTransform::Softmax, 1.0),
            Options {
                nan_policy,
                layout: Layout::Branches,
                ..Options::default()
            },
        ));
    }
    let mut rng = Rng(77);
    models.push((random_ensemble(&mut rng), Options::default()));
    // Row-by-row batching (no blocks).
    models.push((
        many_classes(&mut rng, 80, Aggregation::Average),
        Options::default(),
    ));
    for (ens, opts) in &models {
        let Some(findings) = cppcheck_misra(ens, opts) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set and cppcheck is missing (scripts/install-toolchains.sh installs it)"
            );
            eprintln!("NOTICE: cppcheck not installed; not cross-checked");
            return;
        };
        assert!(
            findings.is_empty(),
            "{:?}/{:?}:\n{}",
            ens.post_transform,
            ens.aggregation,
            findings.join("\n")
        );
    }
}

// ------------------------------------- stricter warnings, other compilers

/// Compile model.c and model_data.c (no link) with `compiler` and `flags`;
/// `None` when the compiler is not installed.
fn compile_only(compiler: &str, flags: &[&str], ens: &Ensemble, opts: &Options) -> Option<()> {
    let probe = Command::new(compiler).arg("--version").output().ok()?;
    if !probe.status.success() {
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_sources(ens, opts, dir.path());
    let out = Command::new(compiler)
        .args(flags)
        .args(["-c", "model.c", "model_data.c"])
        .current_dir(dir.path())
        .output()
        .expect("run compiler");
    assert!(
        out.status.success(),
        "{compiler} {flags:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(())
}

#[test]
fn compiles_cleanly_with_extra_warnings_and_for_cortex_m() {
    let mut strict: Vec<&str> = CFLAGS.to_vec();
    strict.extend([
        "-Wsign-conversion",
        "-Wcast-qual",
        "-Wcast-align",
        "-Wstrict-prototypes",
        "-Wmissing-prototypes",
        "-Wmissing-declarations",
        "-Wundef",
        "-Wdouble-promotion",
        "-Wfloat-conversion",
        "-Wredundant-decls",
        "-Wwrite-strings",
        "-Wbad-function-cast",
        "-Wold-style-definition",
        "-Wnested-externs",
        "-Wvla",
    ]);
    let mut m4: Vec<&str> = vec![
        "-mcpu=cortex-m4",
        "-mthumb",
        "-mfloat-abi=hard",
        "-mfpu=fpv4-sp-d16",
    ];
    m4.extend_from_slice(CFLAGS);
    let mut m0: Vec<&str> = vec!["-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"];
    m0.extend_from_slice(CFLAGS);
    let mut rng = Rng(5);
    let mut models = vec![
        (multiclass(PostTransform::Softmax, 1.0), Options::default()),
        (
            deeper(PostTransform::Sigmoid, Aggregation::Average, 0.0),
            Options {
                nan_policy: NanPolicy::Reject,
                ..Options::default()
            },
        ),
    ];
    for _ in 0..4 {
        models.push((random_ensemble(&mut rng), Options::default()));
    }
    models.push((
        multiclass(PostTransform::Softmax, 1.0),
        Options {
            layout: Layout::Compact,
            ..Options::default()
        },
    ));
    for _ in 0..3 {
        let ens = random_ensemble(&mut rng);
        if !timber::codegen::c99::branches::supports(&ens) {
            continue;
        }
        models.push((
            ens,
            Options {
                layout: Layout::Branches,
                ..Options::default()
            },
        ));
    }
    models.push((
        many_classes(&mut rng, 80, Aggregation::Sum),
        Options {
            nan_policy: NanPolicy::Reject,
            ..Options::default()
        },
    ));
    for (ens, opts) in &models {
        compile_only(&cc(), &strict, ens, opts).expect("host cc is required");
        for flags in [&m4, &m0] {
            if compile_only("arm-none-eabi-gcc", flags, ens, opts).is_none() {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set and arm-none-eabi-gcc is missing (scripts/install-toolchains.sh)"
                );
                eprintln!("NOTICE: arm-none-eabi-gcc not installed; Cortex-M builds not tried");
            }
        }
    }
}

#[test]
fn forbidden_constructs_are_absent() {
    let mut rng = Rng(6);
    let mut models = vec![
        multiclass(PostTransform::Softmax, 1.0),
        deeper(PostTransform::Exp, Aggregation::Average, 0.0),
    ];
    models.push(random_ensemble(&mut rng));
    for ens in &models {
        for f in emit_c99(ens, &Options::default()).expect("emit") {
            for bad in [
                "goto",
                "malloc",
                "calloc",
                "realloc",
                "free(",
                "<math.h>",
                "<stdio.h>",
                "printf",
                "while",
                "continue",
                "break",
                "switch",
                "union",
                "setjmp",
                "#pragma",
                "__attribute__",
            ] {
                assert!(!f.contents.contains(bad), "{} contains `{bad}`", f.name);
            }
            // One return per function: count returns against functions.
            if f.name == "model.c" {
                let returns = f.contents.matches("return ").count();
                let non_void_fns = f
                    .contents
                    .lines()
                    .filter(|l| {
                        !l.starts_with(' ')
                            && l.ends_with(')')
                            && l.contains('(')
                            && !l.starts_with("static void")
                            && !l.starts_with('#')
                            && !l.starts_with("/*")
                    })
                    .count();
                assert!(returns >= 6, "{returns}");
                assert_eq!(returns, non_void_fns, "one return per non-void function");
            }
        }
    }
}

// ------------------------------------------------ wider index types

/// A complete tree of `depth` over `n_features` features, children stored
/// breadth-first, random thresholds and ops.
fn complete_tree(rng: &mut Rng, source_id: u32, group: u32, depth: u32, n_features: u32) -> Tree {
    let n_splits = (1u32 << depth) - 1;
    let nodes = (0..(2 * n_splits + 1))
        .map(|i| {
            if i < n_splits {
                split(
                    i,
                    rng.below(u64::from(n_features)) as u32,
                    random_threshold(rng),
                    rng.pick(&[SplitOp::Lt, SplitOp::Le]),
                    rng.pick(&[MissingGoes::Left, MissingGoes::Right]),
                    2 * i + 1,
                    2 * i + 2,
                )
            } else {
                leaf(i, random_leaf_value(rng, 1.0))
            }
        })
        .collect();
    tree(source_id, group, nodes)
}

#[test]
fn large_models_use_wider_index_types_and_stay_exact() {
    let mut rng = Rng(8);
    // (trees, depth, features, groups): u16 indices and u16 features;
    // u32 indices.
    for (n_trees, depth, n_features, n_groups) in [(60u32, 7u32, 300u32, 1u32), (300, 8, 40, 3)] {
        let trees = (0..n_trees)
            .map(|t| complete_tree(&mut rng, t, t % n_groups, depth, n_features))
            .collect();
        let pt = if n_groups == 1 {
            PostTransform::Sigmoid
        } else {
            PostTransform::Softmax
        };
        let ens = ensemble(
            n_features,
            vec![0.25; n_groups as usize],
            Aggregation::Sum,
            pt,
            trees,
        );
        let files = emit_c99(&ens, &Options::default()).expect("emit");
        let data_h = &files
            .iter()
            .find(|f| f.name == "model_data.h")
            .expect("model_data.h")
            .contents;
        let want_index = if ens.n_nodes() > 65_535 {
            "uint32_t"
        } else {
            "uint16_t"
        };
        assert!(data_h.contains(&format!("typedef {want_index} timber_index_t;")));
        let want_feature = if n_features > 256 {
            "uint16_t"
        } else {
            "uint8_t"
        };
        assert!(data_h.contains(&format!("typedef {want_feature} timber_feature_t;")));
        // Random rows (every feature's thresholds would be too many).
        let rows: Vec<Vec<f32>> = (0..300)
            .map(|_| {
                (0..n_features)
                    .map(|_| match rng.below(8) {
                        0 => f32::NAN,
                        1 => f32::from_bits(rng.next() as u32),
                        _ => (rng.unit() - 0.5) * 8.0,
                    })
                    .collect()
            })
            .collect();
        check(&ens, &rows);
    }
}

/// Every macro, type, function and table the generator declares carries the
/// `TIMBER_` / `timber_` prefix, so it cannot collide with the firmware's
/// own names or the C library's reserved ones.
#[test]
fn every_declared_name_is_prefixed() {
    let mut rng = Rng(10);
    let models = [
        multiclass(PostTransform::Softmax, 1.0),
        deeper(PostTransform::Sigmoid, Aggregation::Average, 0.0),
        random_ensemble(&mut rng),
    ];
    for ens in &models {
        for opts in [
            Options::default(),
            Options {
                nan_policy: NanPolicy::Reject,
                ..Options::default()
            },
            Options {
                layout: Layout::Branches,
                ..Options::default()
            },
            Options {
                layout: Layout::Compact,
                ..Options::default()
            },
        ] {
            if opts.layout == Layout::Compact && !timber::codegen::c99::compact::supports(ens) {
                continue;
            }
            for f in emit_c99(ens, &opts).expect("emit") {
                let mut names = Vec::new();
                for line in f.contents.lines() {
                    if let Some(rest) = line.strip_prefix("#define ") {
                        names.push(rest.split_whitespace().next().unwrap_or("").to_string());
                    } else if let Some(rest) = line.strip_prefix("} ") {
                        names.push(rest.trim_end_matches(';').to_string());
                    } else if line.starts_with("typedef ") && line.ends_with(';') {
                        let last = line.trim_end_matches(';').split_whitespace().last();
                        names.push(last.unwrap_or("").to_string());
                    } else if !line.is_empty()
                        && !line.starts_with([' ', '#', '/', '*', '{', '}'])
                        && !line.starts_with("typedef")
                    {
                        let head = line.split(['(', '[', '=', ';']).next().unwrap_or("");
                        let name = head.split_whitespace().last().unwrap_or("");
                        names.push(name.trim_start_matches('*').to_string());
                    }
                }
                // The branches layout's model_data.c holds only the base
                // scores.
                let min = match (opts.layout, f.name.as_str()) {
                    (Layout::Branches, "model_data.c") => 1,
                    (Layout::Branches, "model_data.h") => 2,
                    _ => 3,
                };
                assert!(names.len() >= min, "{}: {names:?}", f.name);
                for n in names {
                    assert!(
                        n.starts_with("TIMBER_") || n.starts_with("timber_"),
                        "{}: `{n}` lacks the prefix",
                        f.name
                    );
                }
            }
        }
    }
}

/// The bits do not depend on the optimisation level or on the host CPU's
/// extensions (FMA is available with -march=native on most x86-64 hosts;
/// -ffp-contract=off keeps the compiler from fusing).
#[test]
fn optimisation_level_does_not_change_bits() {
    let mut rng = Rng(11);
    let models = [
        multiclass(PostTransform::Softmax, 3.0),
        deeper(PostTransform::Sigmoid, Aggregation::Average, 0.5),
        random_ensemble(&mut rng),
    ];
    for ens in &models {
        let rows = rows_for(ens, &mut rng, 200);
        for extra in [&["-O0"][..], &["-Os"], &["-O3", "-march=native"]] {
            check_with(ens, &rows, extra);
        }
    }
}

/// Text from the model file cannot break out of a C comment or string.
#[test]
fn hostile_source_text_is_neutralised_or_refused() {
    let mut ens = stump(SplitOp::Lt, MissingGoes::Left, PostTransform::Identity);
    ens.source.objective = "x */ int evil; /* ??= \u{e9}\n".into();
    ens.source.format = "\"quoted\\".into();
    let files = emit_c99(&ens, &Options::default()).expect("emit");
    let header = &files
        .iter()
        .find(|f| f.name == "model.h")
        .expect("model.h")
        .contents;
    assert!(
        header.contains("objective x __ int evil; __ __= __"),
        "{header}"
    );
    assert!(!header.contains("??="));
    let res = check(&ens, &[vec![0.0], vec![1.0]]);
    assert_eq!(res.batch_status, 0);

    ens.source.sha256 = "abc\"; int evil; //".into();
    let err = emit_c99(&ens, &Options::default()).expect_err("non-hex sha256");
    assert!(err.to_string().contains("sha256"), "{err}");
}

const EXP_HASH_HARNESS: &str = r#"/* timber_exp over every float32 bit pattern; prints one FNV-1a hash of
 * the result bits per 2^24 inputs (256 lines). */
#include <stdio.h>
#include "model.c"

int main(void)
{
    uint32_t chunk;
    for (chunk = 0U; chunk < 256U; chunk++) {
        uint32_t i;
        uint64_t h = 14695981039346656037ULL;
        for (i = 0U; i < (1U << 24); i++) {
            uint32_t b = (chunk << 24) | i;
            float x;
            float y;
            memcpy(&x, &b, sizeof x);
            y = timber_exp(x);
            memcpy(&b, &y, sizeof b);
            h = (h ^ (uint64_t)b) * 1099511628211ULL;
        }
        printf("%016llx\n", (unsigned long long)h);
    }
    return 0;
}
"#;

/// All 2^32 inputs: `cargo test --release --test c99_host -- --ignored`.
#[test]
#[ignore = "exhaustive: all 2^32 inputs, about two minutes in release"]
fn timber_exp_matches_mathfn_exp_on_every_float() {
    let ens = exp_with_every_path();
    let dir = tempfile::tempdir().expect("tempdir");
    write_sources(&ens, &Options::default(), dir.path());
    std::fs::write(
        dir.path().join("exp_hash.c"),
        format!("#include <string.h>\n{EXP_HASH_HARNESS}"),
    )
    .expect("write");
    let exe = dir.path().join("exp_hash");
    compile(dir.path(), &["exp_hash.c", "model_data.c"], &exe);
    let child = std::thread::spawn(move || {
        let out = Command::new(&exe).output().expect("run exp_hash");
        assert!(out.status.success());
        drop(dir);
        String::from_utf8(out.stdout).expect("utf8")
    });
    let mut want = String::new();
    for chunk in 0u32..256 {
        let mut h: u64 = 14_695_981_039_346_656_037;
        for i in 0u32..(1 << 24) {
            let b = mathfn::exp(f32::from_bits((chunk << 24) | i)).to_bits();
            h = (h ^ u64::from(b)).wrapping_mul(1_099_511_628_211);
        }
        want.push_str(&format!("{h:016x}\n"));
    }
    let got = child.join().expect("C thread");
    for (chunk, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "inputs {:08x}..: C and Rust exp differ", chunk << 24);
    }
    assert_eq!(got.lines().count(), 256);
}

/// `n_groups` classes, two depth-3 trees per class, softmax.
fn many_classes(rng: &mut Rng, n_groups: u32, agg: Aggregation) -> Ensemble {
    let trees = (0..2 * n_groups)
        .map(|t| complete_tree(rng, t, t % n_groups, 3, 5))
        .collect();
    ensemble(
        5,
        vec![0.0; n_groups as usize],
        agg,
        PostTransform::Softmax,
        trees,
    )
}

/// Many classes: 40 groups still batch in blocks (of 8 rows), 80 groups
/// batch row by row to bound the stack; both stay exact. An average keeps
/// only its sums per row (its divisors are a constant table), so it blocks
/// exactly like a sum.
#[test]
fn many_classes_batch_in_smaller_blocks_or_row_by_row() {
    let mut rng = Rng(12);
    for (n_groups, agg, want_block) in [
        (40u32, Aggregation::Sum, Some(8)),
        (80, Aggregation::Sum, None),
        (40, Aggregation::Average, Some(8)),
        (80, Aggregation::Average, None),
    ] {
        let ens = many_classes(&mut rng, n_groups, agg);
        let files = emit_c99(&ens, &Options::default()).expect("emit");
        let model_c = &files
            .iter()
            .find(|f| f.name == "model.c")
            .expect("model.c")
            .contents;
        match want_block {
            Some(rows) => {
                assert!(model_c.contains(&format!("TIMBER_BLOCK_ROWS ((size_t){rows}U)")))
            }
            None => assert!(!model_c.contains("TIMBER_BLOCK_ROWS")),
        }
        let rows = rows_for(&ens, &mut rng, 100);
        check(&ens, &rows);
    }
}

/// The float literals in model_data.c, read by the C compiler, are exactly
/// the IR's bits: thresholds and leaf values over every exponent, both
/// zeros, subnormals, the extremes and infinite thresholds.
#[test]
fn c_compiler_reads_back_every_float_literal_exactly() {
    let mut rng = Rng(13);
    let mut values: Vec<f32> = vec![
        0.0,
        -0.0,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::from_bits(0x007f_ffff),
        0.1,
        1.0 / 3.0,
        16_777_217.0,
    ];
    while values.len() < 2000 {
        let v = f32::from_bits(rng.next() as u32);
        if v.is_finite() {
            values.push(v);
        }
    }
    // A chain: split i (threshold values[i]) -> leaf (value values[i]) or
    // split i+1; infinite thresholds on two extra splits.
    let mut thresholds = values.clone();
    thresholds.push(f32::INFINITY);
    thresholds.push(f32::NEG_INFINITY);
    // Several trees so no chain exceeds the depth limit.
    let mut trees = Vec::new();
    let mut k = 0usize;
    for (t, chunk) in thresholds.chunks(400).enumerate() {
        let n = chunk.len() as u32;
        let mut nodes = Vec::new();
        for (i, &th) in chunk.iter().enumerate() {
            let i = i as u32;
            let next = if i + 1 < n { i + 1 } else { n + i + 1 };
            nodes.push(split(i, 0, th, SplitOp::Lt, MissingGoes::Left, n + i, next));
        }
        for i in 0..=n {
            let v = values[k % values.len()];
            k += 1;
            nodes.push(leaf(n + i, v));
        }
        trees.push(tree(t as u32, 0, nodes));
    }
    let ens = ensemble(
        1,
        vec![0.0],
        Aggregation::Sum,
        PostTransform::Identity,
        trees,
    );
    timber::ir::validate(&ens).expect("valid");
    let dir = tempfile::tempdir().expect("tempdir");
    write_sources(&ens, &Options::default(), dir.path());
    std::fs::write(
        dir.path().join("dump.c"),
        r#"#include <stdio.h>
#include <string.h>
#include "model_data.h"

int main(void)
{
    uint32_t i;
    for (i = 0U; i < TIMBER_N_NODES; i++) {
        uint32_t b;
        memcpy(&b, &timber_nodes[i].threshold, sizeof b);
        printf("%08x\n", (unsigned int)b);
    }
    return 0;
}
"#,
    )
    .expect("write");
    let exe = dir.path().join("dump");
    compile(dir.path(), &["dump.c", "model_data.c"], &exe);
    let out = Command::new(&exe).output().expect("run dump");
    assert!(out.status.success());
    let got: Vec<u32> = String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| u32::from_str_radix(l, 16).expect("hex"))
        .collect();
    // Scalar leaves carry their value in the threshold field; the padding
    // leaf (the trees do not fill the last group of lanes) holds -0.
    let mut want = Vec::new();
    for t in &ens.trees {
        for n in &t.nodes {
            match n {
                Node::Split(s) => want.push(s.threshold.to_bits()),
                Node::Leaf(l) => want.push((l.values[0] as f32).to_bits()),
            }
        }
    }
    assert_ne!(ens.trees.len() % 8, 0);
    want.push((-0.0f32).to_bits());
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "entry {i}: C read {g:08x}, IR has {w:08x}");
    }
}

// ------------------------------------------------ real XGBoost fixtures

/// Every committed XGBoost fixture model: the generated C, built with the
/// strict flags, gives the reference evaluator's bits on every fixture row
/// (rows on thresholds, next floats, NaN, infinities), single and batch;
/// and those outputs are within 4 float32 ulps of XGBoost's own
/// predictions (the measured maximum per model is printed).
#[test]
fn xgboost_fixtures_are_bit_exact_in_c_and_close_to_xgboost() {
    let dir = common::fixtures().join("xgboost");
    let mut report = Vec::new();
    for name in common::xgboost_models() {
        let ens = timber::frontend::load_model(
            &dir.join(format!("{name}.json")),
            timber::frontend::FormatChoice::Auto,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let rows = common::read_csv_f32(&dir.join(format!("{name}.inputs.csv")));
        let expected = common::read_csv_f32(&dir.join(format!("{name}.expected.csv")));
        let res = check(&ens, &rows);
        let mut max_ulp = 0u32;
        for (r, want) in expected.iter().enumerate() {
            for (o, &x) in want.iter().enumerate() {
                let c = f32::from_bits(res.single[r][o]);
                let d = timber::ir::mathfn::ulp_distance(c, x);
                assert!(
                    d <= 4,
                    "{name} row {r} output {o}: C {c:e} vs XGBoost {x:e} ({d} ulp)"
                );
                max_ulp = max_ulp.max(d);
            }
        }
        report.push(format!(
            "{name:<20} {:>4} rows  C == reference on every bit  max ulp vs XGBoost {max_ulp}",
            rows.len()
        ));
    }
    println!(
        "generated C vs reference evaluator and XGBoost:\n{}",
        report.join("\n")
    );
}
