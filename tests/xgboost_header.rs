//! XGBoost header fields that disagree with the arrays are refused, as
//! XGBoost refuses them (issue 15, finding 8): `num_trees` "-1" or
//! "1000000000000000000", `tree_param/num_nodes` 1e9. Exit 2, naming the
//! field; the unmodified fixture is accepted.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;

fn fixture() -> Value {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/binary_nan.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn inspect(name: &str, doc: &Value) -> (Option<i32>, String) {
    let d = std::env::temp_dir().join(format!("timber-xgb-header-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(format!("{name}.json"));
    std::fs::write(&p, doc.to_string()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_timber"))
        .arg("inspect")
        .arg(&p)
        .output()
        .expect("run timber");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn header_counts_are_checked_against_the_arrays() {
    let doc = fixture();
    assert_eq!(inspect("ok", &doc).0, Some(0));
    for (name, value, needle) in [
        ("neg", json!("-1"), "expected a non-negative integer"),
        (
            "huge",
            json!("1000000000000000000"),
            "declares 1000000000000000000 trees",
        ),
        ("one-more", json!("999"), "declares 999 trees"),
    ] {
        let mut d = doc.clone();
        d["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] = value;
        let (code, err) = inspect(name, &d);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(
            err.contains("gbtree_model_param/num_trees") && err.contains(needle),
            "{name}: {err}"
        );
    }
    let mut d = doc.clone();
    d["learner"]["gradient_booster"]["model"]["trees"][0]["tree_param"]["num_nodes"] =
        json!("1000000000");
    let (code, err) = inspect("nodes", &d);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("trees/0/tree_param/num_nodes") && err.contains("declares 1000000000 nodes"),
        "{err}"
    );
}

/// The other header fields XGBoost cross-checks: a split on a feature
/// beyond `num_feature`, a tree assigned to a group beyond `num_class`, and
/// a vector leaf size (`size_leaf_vector` above 1).
#[test]
fn feature_class_and_leaf_size_fields_are_checked() {
    let doc = fixture();
    let mut d = doc.clone();
    d["learner"]["learner_model_param"]["num_feature"] = json!("2");
    let (code, err) = inspect("features", &d);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("split_indices") && err.contains("the model has 2 features"),
        "{err}"
    );

    let mut d = doc.clone();
    d["learner"]["gradient_booster"]["model"]["tree_info"][3] = json!(1);
    let (code, err) = inspect("class", &d);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("tree_info"), "{err}");

    let mut d = doc.clone();
    d["learner"]["gradient_booster"]["model"]["trees"][0]["tree_param"]["size_leaf_vector"] =
        json!("3");
    let (code, err) = inspect("leafvec", &d);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("tree_param/size_leaf_vector"), "{err}");
}
