//! coverage/object.json in the example bundle (audit/example: a real
//! iso26262 ASIL-D certification): object-code branch coverage figures for
//! every bare-metal target, and a forged figure caught by `audit verify`
//! even when the manifest and the attestations are re-hashed.

mod common;

use common::bundle::{copy_dir, rehash_attestations};
use serde_json::Value;
use std::path::PathBuf;
use timber::audit::verify::{verify_bundle, ProblemKind};
use timber::audit::{layout, manifest};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("audit/example")
}

fn object_json() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(example().join(layout::OBJECT_COVERAGE)).expect("in the example"),
    )
    .unwrap()
}

#[test]
fn every_bare_metal_target_of_the_example_has_figures() {
    let v = object_json();
    let names: Vec<&str> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cortex-m0-mps2",
            "cortex-m3",
            "cortex-m4f",
            "cortex-m7",
            "cortex-m33"
        ]
    );
    for t in v["targets"].as_array().unwrap() {
        let model = t["coverage"]["model"]
            .as_array()
            .unwrap_or_else(|| panic!("{t}"));
        let row = model
            .iter()
            .find(|f| f["function"] == "timber_infer_row")
            .unwrap_or_else(|| panic!("{}: no timber_infer_row", t["target"]));
        let (b, w) = (
            row["branches"].as_u64().unwrap(),
            row["both_ways"].as_u64().unwrap(),
        );
        assert!(b > 100 && w > b / 2, "{}: {w}/{b}", t["target"]);
    }
}

#[test]
fn a_forged_branch_figure_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    copy_dir(&example(), &dir);
    let mut v = object_json();
    let f = v["targets"][2]["coverage"]["model"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["function"] == "timber_infer_row")
        .unwrap();
    let w = f["both_ways"].as_u64().unwrap();
    f["both_ways"] = (w + 1).into();
    std::fs::write(
        dir.join(layout::OBJECT_COVERAGE),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
    rehash_attestations(&dir);
    manifest::write(&dir).unwrap();
    let problems = verify_bundle(&dir, None).unwrap().problems;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].file, layout::OBJECT_COVERAGE);
    assert_eq!(problems[0].kind, ProblemKind::ObjectCoverageInconsistent);
    assert!(
        problems[0]
            .message
            .starts_with("target cortex-m4f: function timber_infer_row has "),
        "{}",
        problems[0].message
    );
}
