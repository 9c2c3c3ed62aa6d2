//! The WebAssembly backend, run for real: every XGBoost, ONNX, LightGBM,
//! CatBoost and scikit-learn fixture model (the last three sum in double)
//! and synthetic ensembles covering what the fixtures never emit (`<=`
//! splits, mixed operators, vector leaves, averaging, every post transform,
//! float32 and double accumulation) is compiled to `model.wasm` +
//! `model.mjs`, loaded in Node.js through the generated loader, and every
//! output bit is compared with `timber::ir::evaluate`, under both NaN
//! policies.
//!
//! Node.js is required: without it these tests fail (they never skip).

mod common;

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use timber::codegen::wasm::{emit_wasm, NanPolicy, Options, WasmModule, CANONICAL_NAN};
use timber::frontend::{load_model, FormatChoice};
use timber::ir::{
    Accumulator, Aggregation, Ensemble, Leaf, MissingGoes, Node, PostTransform, Source, Split,
    SplitOp, Tree, IR_SCHEMA_VERSION,
};
use timber::verify::vectors::{generate, VectorOptions};

/// The Node.js side: for each job, import the generated loader and predict
/// the rows as one batch, row by row (reject policy), the NaN-free rows as
/// one batch, optionally the rows repeated into a large batch; plus the
/// loader's argument checks. Inputs and outputs travel as float32 bit
/// patterns in hex, so NaN payloads and -0 survive.
const RUNNER: &str = r#"
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = [];
for (const job of jobs) {
    const m = await import(pathToFileURL(job.module).href);
    const rows = readFileSync(job.input, "utf8").split("\n").filter((l) => l.length > 0)
        .map((l) => l.split(",").map((h) => parseInt(h, 16)));
    const f32 = (rs) => {
        const u = new Uint32Array(rs.length * m.nFeatures);
        rs.forEach((r, i) => u.set(r, i * m.nFeatures));
        return new Float32Array(u.buffer);
    };
    const hex = (f) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length),
        (v) => v.toString(16).padStart(8, "0"));
    const attempt = (f) => {
        try { return { ok: hex(f()) }; } catch (e) { return { error: `${e.name}: ${e.message}` }; }
    };
    const r = {
        n_features: m.nFeatures, n_outputs: m.nOutputs,
        model_sha256: m.modelSha256, nan_policy: m.nanPolicy,
        batch: attempt(() => m.predict(f32(rows))),
        empty: attempt(() => m.predict(new Float32Array(0))),
        not_f32: attempt(() => m.predict(Array(m.nFeatures).fill(0))),
        ragged: attempt(() => m.predict(new Float32Array(m.nFeatures + 1))),
    };
    if (m.nanPolicy === "reject") {
        r.rows = rows.map((row) => attempt(() => m.predict(f32([row]))));
        r.clean = attempt(() => m.predict(f32(rows.filter((row) => !f32([row]).some(Number.isNaN)))));
    }
    if (job.repeat > 0) {
        const big = [];
        for (let i = 0; i < job.repeat; i++) big.push(...rows);
        r.big = attempt(() => m.predict(f32(big)));
    }
    results.push(r);
}
process.stdout.write(JSON.stringify(results));
"#;

#[derive(Deserialize)]
struct Attempt {
    ok: Option<Vec<String>>,
    error: Option<String>,
}

impl Attempt {
    fn bits(&self, what: &str) -> Vec<u32> {
        let ok = self
            .ok
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: predict threw {:?}", self.error));
        ok.iter()
            .map(|h| u32::from_str_radix(h, 16).unwrap())
            .collect()
    }
    fn error(&self, what: &str) -> &str {
        self.error
            .as_deref()
            .unwrap_or_else(|| panic!("{what}: predict returned instead of throwing"))
    }
}

#[derive(Deserialize)]
struct RunResult {
    n_features: u32,
    n_outputs: u32,
    model_sha256: String,
    nan_policy: String,
    batch: Attempt,
    empty: Attempt,
    not_f32: Attempt,
    ragged: Attempt,
    rows: Option<Vec<Attempt>>,
    clean: Option<Attempt>,
    big: Option<Attempt>,
}

/// One model to run: the ensemble, its rows, the policy, and the written
/// module.
struct Case {
    name: String,
    ens: Ensemble,
    rows: Vec<Vec<f32>>,
    policy: NanPolicy,
    module: WasmModule,
    dir: PathBuf,
    repeat: usize,
}

fn node_program() -> String {
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    match Command::new(&node).arg("--version").output() {
        Ok(o) if o.status.success() => node,
        _ => panic!(
            "Node.js (`{node}`, version 18 or newer) is needed to run the generated WebAssembly: \
             install it (Debian: apt-get install nodejs; scripts/install-toolchains.sh does) or set NODE"
        ),
    }
}

fn write_case(
    root: &Path,
    name: &str,
    ens: Ensemble,
    rows: Vec<Vec<f32>>,
    policy: NanPolicy,
) -> Case {
    let module =
        emit_wasm(&ens, &Options { nan_policy: policy }).unwrap_or_else(|e| panic!("{name}: {e}"));
    let tag = match policy {
        NanPolicy::Missing => "missing",
        NanPolicy::Reject => "reject",
    };
    let dir = root.join(format!("{name}.{tag}"));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, bytes) in module.files() {
        std::fs::write(dir.join(file), bytes).unwrap();
    }
    let input: String = rows
        .iter()
        .map(|r| {
            let mut line = r
                .iter()
                .map(|v| format!("{:08x}", v.to_bits()))
                .collect::<Vec<_>>()
                .join(",");
            line.push('\n');
            line
        })
        .collect();
    std::fs::write(dir.join("input.hex"), input).unwrap();
    Case {
        name: format!("{name} ({tag})"),
        ens,
        rows,
        policy,
        module,
        dir,
        repeat: 0,
    }
}

/// Run every case in one Node.js process.
fn run_node(root: &Path, cases: &[Case]) -> Vec<RunResult> {
    let node = node_program();
    let runner = root.join("runner.mjs");
    std::fs::write(&runner, RUNNER).unwrap();
    let jobs: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "module": c.dir.join("model.mjs"),
                "input": c.dir.join("input.hex"),
                "repeat": c.repeat,
            })
        })
        .collect();
    let jobs_path = root.join("jobs.json");
    std::fs::write(&jobs_path, serde_json::to_string(&jobs).unwrap()).unwrap();
    let out = Command::new(node)
        .arg(&runner)
        .arg(&jobs_path)
        .output()
        .expect("running node");
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<RunResult> = serde_json::from_slice(&out.stdout).expect("runner output");
    assert_eq!(results.len(), cases.len());
    results
}

/// Compare one row's outputs with the reference evaluator, bit for bit. A
/// NaN output (only softmax over an infinite margin makes one) must be the
/// canonical NaN; the reference's NaN bits are the host FPU's.
fn assert_row(case: &str, ens: &Ensemble, row_index: usize, row: &[f32], got: &[u32]) {
    let want = timber::ir::evaluate(ens, row);
    assert_eq!(
        want.len(),
        got.len(),
        "{case}: row {row_index}: output count"
    );
    for (k, (w, &g)) in want.iter().zip(got).enumerate() {
        let ok = if w.is_nan() {
            g == CANONICAL_NAN
        } else {
            w.to_bits() == g
        };
        assert!(
            ok,
            "{case}: row {row_index}, output {k}: reference {:#010x} ({w:e}), wasm {g:#010x} ({:e}); input {row:?}",
            w.to_bits(),
            f32::from_bits(g)
        );
    }
}

fn assert_batch(case: &str, ens: &Ensemble, rows: &[Vec<f32>], got: &[u32]) {
    let n_out = ens.n_outputs() as usize;
    assert_eq!(got.len(), rows.len() * n_out, "{case}: output length");
    for (i, row) in rows.iter().enumerate() {
        assert_row(case, ens, i, row, &got[i * n_out..(i + 1) * n_out]);
    }
}

fn check(case: &Case, r: &RunResult) {
    let name = &case.name;
    let ens = &case.ens;
    assert_eq!(r.n_features, ens.n_features, "{name}");
    assert_eq!(r.n_outputs, ens.n_outputs(), "{name}");
    assert_eq!(r.model_sha256, ens.source.sha256, "{name}");
    assert!(r.empty.bits(name).is_empty(), "{name}: empty batch");
    assert!(r.not_f32.error(name).starts_with("TypeError"), "{name}");
    assert!(r.ragged.error(name).starts_with("RangeError"), "{name}");
    let has_nan = |row: &Vec<f32>| row.iter().any(|v| v.is_nan());
    match case.policy {
        NanPolicy::Missing => {
            assert_eq!(r.nan_policy, "missing");
            assert_batch(name, ens, &case.rows, &r.batch.bits(name));
        }
        NanPolicy::Reject => {
            assert_eq!(r.nan_policy, "reject");
            let rows = r.rows.as_ref().expect("per-row results");
            assert_eq!(rows.len(), case.rows.len());
            let mut refused = 0;
            for (i, (row, got)) in case.rows.iter().zip(rows).enumerate() {
                if has_nan(row) {
                    let e = got.error(&format!("{name}: row {i} holds NaN"));
                    assert!(e.contains("is NaN"), "{name}: row {i}: {e}");
                    refused += 1;
                } else {
                    assert_row(name, ens, i, row, &got.bits(name));
                }
            }
            if refused > 0 {
                r.batch.error(&format!("{name}: a batch holding NaN"));
            }
            let clean: Vec<Vec<f32>> = case.rows.iter().filter(|r| !has_nan(r)).cloned().collect();
            let got = r.clean.as_ref().expect("clean batch").bits(name);
            assert_batch(name, ens, &clean, &got);
        }
    }
}

fn fixture_rows(ens: &Ensemble, name: &str) -> Vec<Vec<f32>> {
    let dir = common::fixtures().join("xgboost");
    let mut rows = common::read_csv_f32(&dir.join(format!("{name}.inputs.csv")));
    let opts = VectorOptions {
        random_rows: 64,
        ..VectorOptions::default()
    };
    rows.extend(generate(ens, &opts).rows);
    rows
}

#[test]
fn every_xgboost_fixture_is_bit_identical_to_the_reference_in_node() {
    let root = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for name in common::xgboost_models() {
        let path = common::fixtures()
            .join("xgboost")
            .join(format!("{name}.json"));
        let ens = load_model(&path, FormatChoice::Auto).unwrap();
        let rows = fixture_rows(&ens, &name);
        assert!(
            rows.iter().any(|r| r.iter().any(|v| v.is_nan())),
            "{name}: no NaN rows"
        );
        for policy in [NanPolicy::Missing, NanPolicy::Reject] {
            cases.push(write_case(
                root.path(),
                &name,
                ens.clone(),
                rows.clone(),
                policy,
            ));
        }
    }
    assert!(cases.len() >= 2 * 17, "only {} cases", cases.len());
    let results = run_node(root.path(), &cases);
    for (c, r) in cases.iter().zip(&results) {
        check(c, r);
    }
}

#[test]
fn every_onnx_fixture_is_bit_identical_to_the_reference_in_node() {
    let root = tempfile::tempdir().unwrap();
    let dir = common::fixtures().join("onnx");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("model.onnx").exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    assert!(names.len() >= 16, "{names:?}");
    let mut cases = Vec::new();
    for name in names {
        let ens = load_model(&dir.join(&name).join("model.onnx"), FormatChoice::Auto).unwrap();
        let mut rows = common::read_csv_f32(&dir.join(&name).join("inputs.csv"));
        let opts = VectorOptions {
            random_rows: 64,
            ..VectorOptions::default()
        };
        rows.extend(generate(&ens, &opts).rows);
        cases.push(write_case(
            root.path(),
            &name,
            ens,
            rows,
            NanPolicy::Missing,
        ));
    }
    let results = run_node(root.path(), &cases);
    for (c, r) in cases.iter().zip(&results) {
        check(c, r);
    }
}

/// The double-accumulation fixtures: (name, model, inputs.csv) of every
/// LightGBM, CatBoost and scikit-learn fixture model, sorted per framework.
fn f64_fixtures() -> Vec<(String, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    let lightgbm = common::fixtures().join("lightgbm");
    for name in common::models_with_extension(&lightgbm, "txt", 15) {
        out.push((
            format!("lightgbm-{name}"),
            lightgbm.join(format!("{name}.txt")),
            lightgbm.join(format!("{name}.inputs.csv")),
        ));
    }
    let catboost = common::fixtures().join("catboost");
    for name in common::models_with_extension(&catboost, "json", 4) {
        out.push((
            format!("catboost-{name}"),
            catboost.join(format!("{name}.json")),
            catboost.join(format!("{name}.inputs.csv")),
        ));
    }
    let sklearn = common::fixtures().join("sklearn");
    let mut names: Vec<String> = std::fs::read_dir(&sklearn)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("inputs.csv").exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    assert!(names.len() >= 15, "{names:?}");
    for name in names {
        let d = sklearn.join(&name);
        let model = ["model.pkl", "model.joblib"]
            .iter()
            .map(|f| d.join(f))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("sklearn/{name}: no model file"));
        out.push((format!("sklearn-{name}"), model, d.join("inputs.csv")));
    }
    out
}

#[test]
fn every_double_accumulation_fixture_is_bit_identical_to_the_reference_in_node() {
    let root = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for (name, model, inputs) in f64_fixtures() {
        let ens = load_model(&model, FormatChoice::Auto).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ens.accumulator, Accumulator::F64, "{name}");
        let mut rows = common::read_csv_f32(&inputs);
        let opts = VectorOptions {
            random_rows: 64,
            ..VectorOptions::default()
        };
        rows.extend(generate(&ens, &opts).rows);
        assert!(
            rows.iter().any(|r| r.iter().any(|v| v.is_nan())),
            "{name}: no NaN rows"
        );
        for policy in [NanPolicy::Missing, NanPolicy::Reject] {
            let case = write_case(root.path(), &name, ens.clone(), rows.clone(), policy);
            // Deterministic: a second compilation gives the same bytes.
            let again = emit_wasm(&ens, &Options { nan_policy: policy }).unwrap();
            assert!(again == case.module, "{name}: two compilations differ");
            cases.push(case);
        }
    }
    assert!(cases.len() >= 2 * 40, "only {} cases", cases.len());
    let results = run_node(root.path(), &cases);
    for (c, r) in cases.iter().zip(&results) {
        check(c, r);
    }
}

/// A small deterministic generator (xorshift64*), so the synthetic
/// ensembles are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn value(&mut self) -> f32 {
        (self.below(4001) as f32 - 2000.0) / 1000.0
    }
}

/// Splits on few thresholds (so rows hit them exactly), random missing
/// directions, the given operators; when `vector`, every leaf of the tree
/// has one random width (validation requires one width per tree).
fn random_tree(
    rng: &mut Rng,
    n_features: u32,
    n_groups: u32,
    group: u32,
    ops: &[SplitOp],
    vector: bool,
) -> Tree {
    let width = if vector {
        1 + rng.below(u64::from(n_groups - group)) as usize
    } else {
        1
    };
    let mut nodes: Vec<Node> = Vec::new();
    // (index, depth) of nodes still to fill, root first.
    let mut todo = vec![(0usize, 0u32)];
    nodes.push(Node::Leaf(Leaf {
        source_id: 0,
        values: vec![0.0],
    }));
    while let Some((i, depth)) = todo.pop() {
        if depth < 4 && rng.below(4) != 0 {
            let left = nodes.len() as u32;
            for _ in 0..2 {
                nodes.push(Node::Leaf(Leaf {
                    source_id: nodes.len() as u32,
                    values: vec![0.0],
                }));
            }
            nodes[i] = Node::Split(Split {
                source_id: i as u32,
                feature: rng.below(u64::from(n_features)) as u32,
                threshold: [-1.0, 0.0, 0.25, 1.0, 1.5][rng.below(5) as usize],
                op: ops[rng.below(ops.len() as u64) as usize],
                missing: if rng.below(2) == 0 {
                    MissingGoes::Left
                } else {
                    MissingGoes::Right
                },
                left,
                right: left + 1,
            });
            todo.push((left as usize, depth + 1));
            todo.push((left as usize + 1, depth + 1));
        } else {
            nodes[i] = Node::Leaf(Leaf {
                source_id: i as u32,
                values: (0..width).map(|_| f64::from(rng.value())).collect(),
            });
        }
    }
    Tree {
        source_id: 0,
        group,
        nodes,
    }
}

/// A synthetic ensemble. Under double accumulation every leaf value and
/// base score is divided by 3 in double, so almost none is a float32 and
/// a float32 sum anywhere would show.
fn synthetic(
    rng: &mut Rng,
    accumulator: Accumulator,
    pt: PostTransform,
    aggregation: Aggregation,
    ops: &[SplitOp],
    vector: bool,
) -> Ensemble {
    let n_features = 4;
    let n_groups = if vector
        || matches!(
            pt,
            PostTransform::Softmax | PostTransform::ArgMax | PostTransform::SoftmaxF32
        ) {
        3
    } else {
        1
    };
    let widen = |v: f64| match accumulator {
        Accumulator::F32 => v,
        Accumulator::F64 => v / 3.0,
    };
    // 13 trees: not a multiple of the lanes the walk interleaves.
    let trees = (0..13)
        .map(|i| {
            let group = if vector { 0 } else { i % n_groups };
            let mut t = random_tree(rng, n_features, n_groups, group, ops, vector);
            t.source_id = i;
            for n in &mut t.nodes {
                if let Node::Leaf(l) = n {
                    for v in &mut l.values {
                        *v = widen(*v);
                    }
                }
            }
            t
        })
        .collect();
    Ensemble {
        schema_version: IR_SCHEMA_VERSION,
        source: Source {
            format: "synthetic".into(),
            framework_version: None,
            objective: "synthetic".into(),
            sha256: "0".repeat(64),
        },
        n_features,
        feature_names: Vec::new(),
        n_groups,
        accumulator,
        base_score: (0..n_groups)
            .map(|_| widen(f64::from(rng.value())))
            .collect(),
        aggregation,
        post_transform: pt,
        trees,
    }
}

#[test]
fn synthetic_ensembles_cover_every_operator_leaf_shape_aggregation_and_transform() {
    let root = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x7469_6d62_6572_7761);
    let mut cases = Vec::new();
    let transforms = [
        PostTransform::Identity,
        PostTransform::Sigmoid,
        PostTransform::Softmax,
        PostTransform::Exp,
        PostTransform::Hinge,
        PostTransform::ArgMax,
        PostTransform::SymmetricSigmoid,
        PostTransform::SoftmaxF32,
    ];
    let op_sets: [&[SplitOp]; 3] = [&[SplitOp::Lt], &[SplitOp::Le], &[SplitOp::Lt, SplitOp::Le]];
    for (accumulator, pt) in [Accumulator::F32, Accumulator::F64]
        .into_iter()
        .flat_map(|a| transforms.map(|pt| (a, pt)))
        // Defined on float32 margins only (validation refuses them after
        // double accumulation).
        .filter(|&(a, pt)| {
            a == Accumulator::F32
                || !matches!(
                    pt,
                    PostTransform::SymmetricSigmoid | PostTransform::SoftmaxF32
                )
        })
    {
        for aggregation in [
            Aggregation::Sum,
            Aggregation::Average,
            Aggregation::SumThenBase,
        ] {
            for (o, ops) in op_sets.iter().enumerate() {
                for vector in [false, true] {
                    let ens = synthetic(&mut rng, accumulator, pt, aggregation, ops, vector);
                    timber::ir::validate(&ens).unwrap();
                    let opts = VectorOptions {
                        random_rows: 48,
                        ..VectorOptions::default()
                    };
                    let rows = generate(&ens, &opts).rows;
                    let name = format!(
                        "{accumulator:?}-{pt:?}-{aggregation:?}-ops{o}-{}",
                        if vector { "vector" } else { "scalar" }
                    );
                    let policy = if o == 2 {
                        NanPolicy::Reject
                    } else {
                        NanPolicy::Missing
                    };
                    cases.push(write_case(root.path(), &name, ens, rows, policy));
                }
            }
        }
    }
    assert_eq!(cases.len(), (8 + 6) * 3 * 3 * 2);
    let results = run_node(root.path(), &cases);
    for (c, r) in cases.iter().zip(&results) {
        check(c, r);
    }
}

/// A one-leaf tree adding `v` into `group`.
fn constant_tree(group: u32, v: f64) -> Tree {
    Tree {
        source_id: group,
        group,
        nodes: vec![Node::Leaf(Leaf {
            source_id: 0,
            values: vec![v],
        })],
    }
}

#[test]
fn softmax_over_an_infinite_margin_gives_the_canonical_nan() {
    let root = tempfile::tempdir().unwrap();
    let mut rng = Rng(7);
    let mut cases = Vec::new();
    // The largest leaf each sum holds: twice it overflows to +inf.
    for (accumulator, huge) in [
        (Accumulator::F32, f64::from(3.0e38f32)),
        (Accumulator::F64, 1.0e308),
    ] {
        let mut ens = synthetic(
            &mut rng,
            accumulator,
            PostTransform::Softmax,
            Aggregation::Sum,
            &[SplitOp::Lt],
            false,
        );
        // Groups 0 and 1 overflow to +inf (inf - inf = NaN in the softmax).
        for g in [0, 1] {
            for _ in 0..2 {
                ens.trees.push(constant_tree(g, huge));
            }
        }
        let rows = generate(&ens, &VectorOptions::default()).rows;
        let probe = timber::ir::evaluate(&ens, &rows[0]);
        assert!(probe.iter().all(|v| v.is_nan()), "reference gave {probe:?}");
        let name = format!("softmax_inf_{accumulator:?}");
        cases.push(write_case(
            root.path(),
            &name,
            ens,
            rows,
            NanPolicy::Missing,
        ));
    }
    let results = run_node(root.path(), &cases);
    for (c, r) in cases.iter().zip(&results) {
        check(c, r);
    }
}

#[test]
fn a_batch_larger_than_the_initial_memory_grows_it() {
    let root = tempfile::tempdir().unwrap();
    let name = "binary_nan";
    let path = common::fixtures()
        .join("xgboost")
        .join(format!("{name}.json"));
    let ens = load_model(&path, FormatChoice::Auto).unwrap();
    let rows = common::read_csv_f32(&common::fixtures().join(format!("xgboost/{name}.inputs.csv")));
    let mut case = write_case(
        root.path(),
        name,
        ens.clone(),
        rows.clone(),
        NanPolicy::Missing,
    );
    // Enough rows that inputs and outputs need several times the pages the
    // module starts with.
    case.repeat = 200;
    let big_bytes =
        (case.repeat * rows.len()) as u64 * u64::from(ens.n_features + ens.n_outputs()) * 4;
    let initial = case.module.min_pages * timber::codegen::wasm::PAGE_BYTES;
    assert!(
        big_bytes > 4 * initial,
        "{big_bytes} bytes fit the initial {initial}"
    );
    let results = run_node(root.path(), std::slice::from_ref(&case));
    check(&case, &results[0]);
    let big: Vec<Vec<f32>> = (0..case.repeat)
        .flat_map(|_| rows.iter().cloned())
        .collect();
    let got = results[0].big.as_ref().expect("big batch").bits(name);
    assert_batch("binary_nan x200", &ens, &big, &got);
}

#[test]
fn large_model_tables_exceed_one_page_and_memory_is_sized_to_them() {
    let path = common::fixtures().join("xgboost/large_500.json");
    let ens = load_model(&path, FormatChoice::Auto).unwrap();
    let m = emit_wasm(&ens, &Options::default()).unwrap();
    let page = timber::codegen::wasm::PAGE_BYTES;
    // 16 bytes per node at least.
    assert!(m.data_bytes >= 16 * ens.n_nodes(), "{} bytes", m.data_bytes);
    assert!(m.data_bytes as u64 > page);
    assert!(m.min_pages * page >= m.data_bytes as u64);
    assert!(m.wasm.len() > m.data_bytes);
}

fn cli(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_timber"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("running timber")
}

#[test]
fn cli_output_is_deterministic_and_the_wat_prints_the_wasm() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let model = common::fixtures().join("xgboost/multiclass.json");
    let model = model.to_str().unwrap();
    for dir in [&a, &b] {
        let o = cli(
            &[
                "compile",
                "--model",
                model,
                "--target",
                "wasm",
                "--nan-policy",
                "reject",
                "--out",
                "web",
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let mut names: Vec<String> = std::fs::read_dir(a.path().join("web"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["ir.json", "model.mjs", "model.wasm", "model.wat"]);
    for n in &names {
        let x = std::fs::read(a.path().join("web").join(n)).unwrap();
        let y = std::fs::read(b.path().join("web").join(n)).unwrap();
        assert!(x == y, "{n} differs between two runs");
        let text = String::from_utf8_lossy(&x);
        for dir in [&a, &b] {
            assert!(
                !text.contains(&*dir.path().to_string_lossy()),
                "{n} names a path"
            );
        }
    }
    let wasm = std::fs::read(a.path().join("web/model.wasm")).unwrap();
    let wat = std::fs::read_to_string(a.path().join("web/model.wat")).unwrap();
    assert_eq!(wat, wasmprinter::print_bytes(&wasm).unwrap());
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM1)
        .validate_all(&wasm)
        .expect("model.wasm validates as WebAssembly 1.0");
    assert!(wat.contains("(func $predict"), "{}", &wat[..200]);
    // The library gives the same bytes as the CLI.
    let ens = load_model(Path::new(model), FormatChoice::Auto).unwrap();
    let m = emit_wasm(
        &ens,
        &Options {
            nan_policy: NanPolicy::Reject,
        },
    )
    .unwrap();
    assert!(m.wasm == wasm);
    let loader = std::fs::read_to_string(a.path().join("web/model.mjs")).unwrap();
    assert_eq!(loader, m.loader);
    assert!(loader.contains(&format!(
        "export const modelSha256 = \"{}\"",
        ens.source.sha256
    )));
}

#[test]
fn cli_refuses_an_unknown_target() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::fixtures().join("xgboost/regression.json");
    let o = cli(
        &[
            "compile",
            "--model",
            model.to_str().unwrap(),
            "--target",
            "jvm",
            "--out",
            "x",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("c99") && err.contains("wasm"), "{err}");
    assert!(!dir.path().join("x").exists());
}

/// Chromium (`CHROMIUM`, or `chromium` / `chromium-browser` on PATH), or
/// None after a notice; under CI a missing Chromium fails the test.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and chromium is missing (apt-get install -y chromium)"
        );
        eprintln!("NOTICE: chromium not installed; the browser check is skipped");
    }
    found
}

/// Serve `dir` on a loopback port until `stop` is set or 120 s pass: GET
/// only, three content types, anything else 404.
fn serve(
    dir: PathBuf,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let handle = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
            let Ok((mut conn, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request);
            let path = text.split_whitespace().nth(1).unwrap_or("/");
            let file = path.trim_start_matches('/');
            let kind = match file.rsplit('.').next() {
                Some("html") => Some("text/html"),
                Some("mjs") => Some("text/javascript"),
                Some("wasm") => Some("application/wasm"),
                _ => None,
            };
            let body = kind
                .filter(|_| !file.contains('/'))
                .and_then(|k| Some((k, std::fs::read(dir.join(file)).ok()?)));
            let _ = match body {
                Some((k, bytes)) => conn
                    .write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: {k}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", bytes.len()).as_bytes())
                    .and_then(|()| conn.write_all(&bytes)),
                None => conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            };
        }
    });
    (port, handle)
}

#[test]
fn the_loader_runs_in_a_browser_with_the_same_bits() {
    let Some(browser) = chromium() else {
        return;
    };
    // One float32 and one double-accumulation model.
    for (name, model) in [
        ("xgboost/binary_nan", "xgboost/binary_nan.json"),
        ("lightgbm/binary_nan", "lightgbm/binary_nan.txt"),
    ] {
        run_in_browser(&browser, name, model);
    }
}

/// Load fixture `model` (its `name.inputs.csv` beside it) in headless
/// Chromium through the loader and compare the bits with the reference.
fn run_in_browser(browser: &Path, name: &str, model: &str) {
    let root = tempfile::tempdir().unwrap();
    let path = common::fixtures().join(model);
    let ens = load_model(&path, FormatChoice::Auto).unwrap();
    let rows = common::read_csv_f32(&common::fixtures().join(format!("{name}.inputs.csv")));
    let case = write_case(
        root.path(),
        &name.replace('/', "-"),
        ens.clone(),
        rows.clone(),
        NanPolicy::Missing,
    );
    let bits: Vec<String> = rows
        .iter()
        .flatten()
        .map(|v| format!("{}", v.to_bits()))
        .collect();
    let page = format!(
        r#"<!doctype html><html><body><pre id="out">not run</pre><script type="module">
import {{ predict }} from "./model.mjs";
const input = new Float32Array(new Uint32Array([{}]).buffer);
const out = predict(input);
document.getElementById("out").textContent = "bits:" + Array.from(new Uint32Array(out.buffer)).join(",");
</script></body></html>
"#,
        bits.join(",")
    );
    std::fs::write(case.dir.join("index.html"), page).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (port, server) = serve(case.dir.clone(), stop.clone());
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("http://127.0.0.1:{port}/index.html"))
        .output()
        .expect("running chromium");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    server.join().unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let got = dom
        .split("bits:")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| {
            panic!(
                "the page did not predict: {dom}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let got: Vec<u32> = got.split(',').map(|v| v.parse().unwrap()).collect();
    assert_batch(&format!("{name} in Chromium"), &ens, &rows, &got);
}
