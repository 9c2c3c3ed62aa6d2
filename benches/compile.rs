//! Benchmark: how long `timber compile` takes on a 1000-tree depth-8 model.
//!
//! The model is the committed 500-tree XGBoost fixture with its trees
//! listed twice (a valid 1000-tree XGBoost JSON model). Each stage is timed
//! over repeated runs and the median is printed: parsing + lowering +
//! validation, C99 emission, and the canonical ir.json. Run with
//! `cargo bench --bench compile`.

use std::path::Path;
use std::time::{Duration, Instant};
use timber::frontend::{load_model_bytes, FormatChoice};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn thousand_tree_model() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/large_500.json");
    let text = std::fs::read_to_string(&path).expect("reading the 500-tree fixture");
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("fixture JSON");
    let model = &mut doc["learner"]["gradient_booster"]["model"];
    let trees = model["trees"].as_array().expect("trees").clone();
    let info = model["tree_info"].as_array().expect("tree_info").clone();
    let mut all = trees.clone();
    all.extend(trees);
    let mut all_info = info.clone();
    all_info.extend(info);
    model["trees"] = serde_json::Value::Array(all);
    model["tree_info"] = serde_json::Value::Array(all_info);
    serde_json::to_vec(&doc).expect("serialising")
}

fn main() {
    let bytes = thousand_tree_model();
    let path = Path::new("large_1000.json");
    let runs = 10;
    let (mut parse, mut emit, mut ir, mut total) = (vec![], vec![], vec![], vec![]);
    let mut nodes = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let ens = load_model_bytes(path, &bytes, FormatChoice::Auto).expect("model loads");
        let t1 = Instant::now();
        let files = timber::codegen::c99::emit_c99(&ens, &Default::default()).expect("emits");
        let t2 = Instant::now();
        let json = ens.to_canonical_json();
        let t3 = Instant::now();
        std::hint::black_box((&files, &json));
        nodes = ens.n_nodes();
        parse.push(t1 - t0);
        emit.push(t2 - t1);
        ir.push(t3 - t2);
        total.push(t3 - t0);
    }
    println!(
        "compile 1000 trees ({nodes} nodes, {:.1} MB JSON), median of {runs}:",
        bytes.len() as f64 / 1e6
    );
    println!(
        "  parse+lower+validate {:>9.1} ms",
        median(parse).as_secs_f64() * 1e3
    );
    println!(
        "  emit C99             {:>9.1} ms",
        median(emit).as_secs_f64() * 1e3
    );
    println!(
        "  ir.json              {:>9.1} ms",
        median(ir).as_secs_f64() * 1e3
    );
    println!(
        "  total                {:>9.1} ms",
        median(total).as_secs_f64() * 1e3
    );
}
