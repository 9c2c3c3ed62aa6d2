//! Unit tests: the lowering of every node mode against onnxruntime's
//! comparison semantics, and malformed models refused without panics.

use super::proto::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto, type_proto,
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use super::*;
use crate::frontend::{detect, load_model_bytes, Format, FormatChoice};
use crate::ir::eval::leaf_index;
use proptest::prelude::*;

fn next_up(f: f32) -> f32 {
    -next_down(-f)
}

/// One branch with leaves 1 (true) and 2 (false), lowered to an IR tree.
fn lower_branch(mode: Mode, value: f64, members: Vec<f64>, nan_true: bool) -> Tree {
    let forest = Forest {
        branches: vec![Branch {
            source_id: 0,
            feature: 0,
            mode,
            value,
            members,
            nan_true,
            on_true: Child::Leaf(0),
            on_false: Child::Leaf(1),
        }],
        leaves: vec![
            ensemble::Leaf {
                source_id: 1,
                weights: vec![(0, 1.0)],
            },
            ensemble::Leaf {
                source_id: 2,
                weights: vec![(0, 2.0)],
            },
        ],
        trees: vec![(0, Child::Branch(0))],
        n_outputs: 1,
        base_values: Vec::new(),
        aggregate: Aggregate::Sum,
        post: Post::None,
        any_double: false,
    };
    let plan = plan_outputs(&forest, false).expect("plan");
    let mut trees = lower_trees(&forest, &plan).expect("lowers");
    trees.remove(0)
}

fn ir_true(tree: &Tree, x: f32) -> bool {
    tree.nodes[leaf_index(tree, &[x]) as usize].source_id() == 1
}

fn specials() -> Vec<f32> {
    vec![
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::MAX,
        f32::MIN,
        1.0,
        -1.0,
        1.5,
        2.0,
        3.0,
    ]
}

const MODES: [Mode; 6] = [
    Mode::Leq,
    Mode::Lt,
    Mode::Gte,
    Mode::Gt,
    Mode::Eq,
    Mode::Neq,
];

proptest! {
    /// Every comparison mode with a float or a double threshold, NaN to
    /// either side: the lowered `<=` splits decide like onnxruntime for
    /// random inputs, special values and the threshold's neighbours.
    #[test]
    fn every_mode_lowers_to_the_same_decisions(
        m in 0usize..6,
        tbits in any::<u64>(),
        pick in 0usize..6,
        as_float in any::<bool>(),
        nan_true in any::<bool>(),
        xbits in proptest::collection::vec(any::<u32>(), 24),
    ) {
        let random_t = f64::from_bits(tbits);
        prop_assume!(!random_t.is_nan());
        let t = [random_t, 0.0, -0.0, 0.1, 2.0, f64::INFINITY][pick];
        let t = if as_float { f64::from(t as f32) } else { t };
        let mode = MODES[m];
        let tree = lower_branch(mode, t, Vec::new(), nan_true);
        let b = Branch { source_id: 0, feature: 0, mode, value: t, members: Vec::new(), nan_true, on_true: Child::Leaf(0), on_false: Child::Leaf(1) };
        let c = crate::frontend::lightgbm::floor_f32(t);
        let near = [c, next_down(c), next_up(c), next_up(next_up(c))];
        for x in specials().into_iter().chain(xbits.iter().map(|&v| f32::from_bits(v))).chain(near) {
            prop_assert_eq!(ir_true(&tree, x), goes_true(&b, x), "mode {:?} t {:e} x {:e}", mode, t, x);
        }
    }

    /// BRANCH_MEMBER with small sets (integers, halves, a double between
    /// floats): lowered decisions equal set membership.
    #[test]
    fn member_sets_lower_to_the_same_decisions(
        raw in proptest::collection::vec(-8i32..8, 1..6),
        nan_true in any::<bool>(),
    ) {
        let mut set: Vec<f64> = raw.iter().map(|&v| f64::from(v) / 2.0).collect();
        set.push(0.1);
        let tree = lower_branch(Mode::Member, 0.0, set.clone(), nan_true);
        let b = Branch { source_id: 0, feature: 0, mode: Mode::Member, value: 0.0, members: set.clone(), nan_true, on_true: Child::Leaf(0), on_false: Child::Leaf(1) };
        for v in -20..20 {
            let x = v as f32 / 4.0;
            for x in [x, next_down(x), next_up(x), 0.1f32, f32::NAN] {
                prop_assert_eq!(ir_true(&tree, x), goes_true(&b, x), "set {:?} x {:e}", set, x);
            }
        }
    }
}

#[test]
fn nan_follows_onnxruntime() {
    // NaN: false for every comparison but NEQ, unless it tracks true.
    for mode in MODES {
        for nan_true in [false, true] {
            let tree = lower_branch(mode, 1.0, Vec::new(), nan_true);
            assert_eq!(
                ir_true(&tree, f32::NAN),
                nan_true || mode == Mode::Neq,
                "{mode:?} {nan_true}"
            );
        }
    }
    // A double threshold between floats: x <= 0.1 is false for 0.1f.
    let tree = lower_branch(Mode::Leq, 0.1, Vec::new(), false);
    assert!(!ir_true(&tree, 0.1f32));
    assert!(ir_true(&tree, next_down(0.1f32)));
    // No float equals a double strictly between floats.
    let tree = lower_branch(Mode::Eq, 0.1, Vec::new(), false);
    assert!(!ir_true(&tree, 0.1f32));
}

// --------------------------------------------------------------------------
// model builders for the malformed-input tests

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Ints as i32),
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn floats(name: &str, v: &[f32]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Floats as i32),
        floats: v.to_vec(),
        ..Default::default()
    }
}

fn strings(name: &str, v: &[&str]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Strings as i32),
        strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}

fn string(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::String as i32),
        s: Some(v.as_bytes().to_vec()),
        ..Default::default()
    }
}

/// A stump regressor: x0 <= 0.5 ? 1.0 : 2.0.
fn stump_attrs() -> Vec<AttributeProto> {
    vec![
        ints("nodes_treeids", &[0, 0, 0]),
        ints("nodes_nodeids", &[0, 1, 2]),
        ints("nodes_featureids", &[0, 0, 0]),
        strings("nodes_modes", &["BRANCH_LEQ", "LEAF", "LEAF"]),
        floats("nodes_values", &[0.5, 0.0, 0.0]),
        ints("nodes_truenodeids", &[1, 0, 0]),
        ints("nodes_falsenodeids", &[2, 0, 0]),
        ints("target_treeids", &[0, 0]),
        ints("target_nodeids", &[1, 2]),
        ints("target_ids", &[0, 0]),
        floats("target_weights", &[1.0, 2.0]),
    ]
}

fn model(nodes: Vec<NodeProto>, elem: DataType) -> ModelProto {
    let tensor = |name: &str, dims: &[i64], elem: DataType| ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(elem as i32),
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| tensor_shape_proto::Dimension {
                            value: Some(tensor_shape_proto::dimension::Value::DimValue(d)),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    };
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![
            OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(17),
            },
            OperatorSetIdProto {
                domain: Some("ai.onnx.ml".into()),
                version: Some(3),
            },
        ],
        graph: Some(GraphProto {
            node: nodes,
            name: Some("g".into()),
            input: vec![tensor("x", &[1, 2], elem)],
            output: vec![tensor("y", &[1, 1], DataType::Float)],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn tree_node(op: &str, domain: &str, attrs: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        input: vec!["x".into()],
        output: vec!["y".into()],
        name: Some("trees".into()),
        op_type: Some(op.into()),
        domain: Some(domain.into()),
        attribute: attrs,
        ..Default::default()
    }
}

fn good() -> ModelProto {
    model(
        vec![tree_node(
            "TreeEnsembleRegressor",
            "ai.onnx.ml",
            stump_attrs(),
        )],
        DataType::Float,
    )
}

fn load(m: &ModelProto) -> Result<Ensemble, FrontendError> {
    load_model_bytes(
        Path::new("m.onnx"),
        &m.encode_to_vec(),
        FormatChoice::Is(Format::Onnx),
    )
}

fn refused(m: &ModelProto) -> String {
    match load(m) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

fn with_attr(f: impl Fn(&mut Vec<AttributeProto>)) -> ModelProto {
    let mut a = stump_attrs();
    f(&mut a);
    model(
        vec![tree_node("TreeEnsembleRegressor", "ai.onnx.ml", a)],
        DataType::Float,
    )
}

fn set(a: &mut [AttributeProto], new: AttributeProto) {
    for x in a.iter_mut() {
        if x.name == new.name {
            *x = new.clone();
        }
    }
}

#[test]
fn the_stump_lowers_and_is_detected_by_content() {
    let ens = load(&good()).expect("loads");
    assert_eq!(ens.n_features, 2);
    assert_eq!(ens.aggregation, Aggregation::SumThenBase);
    assert_eq!(crate::ir::evaluate(&ens, &[0.5, 0.0]), vec![1.0]);
    assert_eq!(crate::ir::evaluate(&ens, &[0.6, 0.0]), vec![2.0]);
    let bytes = good().encode_to_vec();
    assert_eq!(
        detect(Path::new("model.bin"), &bytes).unwrap(),
        Format::Onnx
    );
    let err = detect(Path::new("m"), b"\x08\x07garbage")
        .unwrap_err()
        .to_string();
    assert!(err.contains("onnx (an ONNX protobuf"), "{err}");
}

#[test]
fn truncated_protobuf_is_refused_without_panic() {
    let bytes = good().encode_to_vec();
    for n in 0..bytes.len() {
        // Every prefix is either refused or (if it happens to be a whole
        // message) lowered; never a panic.
        let _ = load_model_bytes(
            Path::new("m.onnx"),
            &bytes[..n],
            FormatChoice::Is(Format::Onnx),
        );
    }
    let err = load_model_bytes(
        Path::new("m.onnx"),
        &bytes[..bytes.len() / 2],
        FormatChoice::Is(Format::Onnx),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("m.onnx"), "{err}");
}

#[test]
fn wrong_domain_and_foreign_ops_are_refused_by_name() {
    let m = model(
        vec![tree_node("TreeEnsembleRegressor", "", stump_attrs())],
        DataType::Float,
    );
    let e = refused(&m);
    assert!(
        e.contains("node `trees`") && e.contains("ai.onnx.ml"),
        "{e}"
    );

    let mut m = good();
    let g = m.graph.as_mut().expect("graph");
    g.node[0].output = vec!["t".into()];
    g.node.push(NodeProto {
        input: vec!["t".into()],
        output: vec!["y".into()],
        name: Some("scale".into()),
        op_type: Some("Scaler".into()),
        domain: Some("ai.onnx.ml".into()),
        ..Default::default()
    });
    let e = refused(&m);
    assert!(
        e.contains("node `scale` (Scaler)") && e.contains("`Scaler`"),
        "{e}"
    );

    // A cast of the scores to an integer would change them.
    let mut m = good();
    let g = m.graph.as_mut().expect("graph");
    g.node[0].output = vec!["t".into()];
    g.node.push(NodeProto {
        input: vec!["t".into()],
        output: vec!["y".into()],
        name: Some("to_int".into()),
        op_type: Some("Cast".into()),
        domain: Some(String::new()),
        attribute: vec![AttributeProto {
            name: Some("to".into()),
            r#type: Some(AttributeType::Int as i32),
            i: Some(DataType::Int64 as i64),
            ..Default::default()
        }],
        ..Default::default()
    });
    let e = refused(&m);
    assert!(e.contains("node `to_int` (Cast)"), "{e}");

    // The scores must reach a graph output.
    let mut m = good();
    m.graph.as_mut().expect("graph").node[0].output = vec!["unused".into()];
    let e = refused(&m);
    assert!(e.contains("graph.output"), "{e}");

    let m = model(
        vec![tree_node(
            "TreeEnsembleRegressor",
            "ai.onnx.ml",
            stump_attrs(),
        )],
        DataType::Int64,
    );
    let e = refused(&m);
    assert!(e.contains("INT64"), "{e}");
}

#[test]
fn inconsistent_attributes_are_refused_naming_the_attribute() {
    let e = refused(&with_attr(|a| set(a, floats("nodes_values", &[0.5, 0.0]))));
    assert!(
        e.contains("`nodes_values`") && e.contains("2 entries"),
        "{e}"
    );
    let e = refused(&with_attr(|a| set(a, floats("target_weights", &[1.0]))));
    assert!(e.contains("`target_weights`"), "{e}");
    let e = refused(&with_attr(|a| {
        set(a, ints("nodes_truenodeids", &[7, 0, 0]))
    }));
    assert!(e.contains("child 7"), "{e}");
    let e = refused(&with_attr(|a| set(a, ints("target_ids", &[0, 3]))));
    assert!(e.contains("`target_ids`"), "{e}");
    let e = refused(&with_attr(|a| {
        set(
            a,
            strings("nodes_modes", &["BRANCH_LEQ", "LEAF", "BRANCH_XX"]),
        )
    }));
    assert!(e.contains("BRANCH_XX"), "{e}");
    let e = refused(&with_attr(|a| a.push(string("aggregate_function", "MAX"))));
    assert!(e.contains("aggregate_function"), "{e}");
    let e = refused(&with_attr(|a| a.push(string("post_transform", "PROBIT"))));
    assert!(e.contains("PROBIT"), "{e}");
    let e = refused(&with_attr(|a| a.retain(|x| x.name() != "nodes_modes")));
    assert!(e.contains("`nodes_modes`") && e.contains("missing"), "{e}");
}

#[test]
fn cycles_are_refused() {
    // Node 1 becomes a branch whose true child is the root.
    let m = with_attr(|a| {
        set(
            a,
            strings("nodes_modes", &["BRANCH_LEQ", "BRANCH_LEQ", "LEAF"]),
        );
        set(a, ints("nodes_truenodeids", &[1, 0, 0]));
        set(a, ints("nodes_falsenodeids", &[2, 2, 0]));
        set(a, ints("target_nodeids", &[2, 2]));
    });
    let e = refused(&m);
    assert!(e.contains("cycle") || e.contains("twice"), "{e}");
}

#[test]
fn tensor_attributes_are_read_and_checked() {
    let t = |v: &[f64]| TensorProto {
        dims: vec![v.len() as i64],
        data_type: Some(DataType::Double as i32),
        double_data: v.to_vec(),
        ..Default::default()
    };
    let m = with_attr(|a| {
        a.retain(|x| x.name() != "nodes_values");
        a.push(AttributeProto {
            name: Some("nodes_values_as_tensor".into()),
            r#type: Some(AttributeType::Tensor as i32),
            t: Some(t(&[0.1, 0.0, 0.0])),
            ..Default::default()
        });
    });
    let ens = load(&m).expect("loads");
    // The double threshold 0.1 is compared exactly: 0.1f > 0.1.
    assert_eq!(crate::ir::evaluate(&ens, &[0.1, 0.0]), vec![2.0]);
    let m = with_attr(|a| {
        a.push(AttributeProto {
            name: Some("nodes_values_as_tensor".into()),
            r#type: Some(AttributeType::Tensor as i32),
            t: Some(t(&[0.1, 0.0, 0.0])),
            ..Default::default()
        });
    });
    assert!(refused(&m).contains("both"));
    let mut bad = t(&[0.1, 0.0, 0.0]);
    bad.dims = vec![4];
    let m = with_attr(|a| {
        a.retain(|x| x.name() != "nodes_values");
        a.push(AttributeProto {
            name: Some("nodes_values_as_tensor".into()),
            r#type: Some(AttributeType::Tensor as i32),
            t: Some(bad.clone()),
            ..Default::default()
        });
    });
    assert!(refused(&m).contains("shape"));
}
