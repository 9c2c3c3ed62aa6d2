//! ONNX-ML frontend: a model holding one tree-ensemble operator
//! (TreeEnsembleClassifier / TreeEnsembleRegressor, ai.onnx.ml opsets 1-3,
//! or TreeEnsemble, opset 5), as written by skl2onnx and onnxmltools.
//!
//! The protobuf is decoded by prost with types generated from the official
//! `onnx-ml.proto` (see [`proto`]). What is reproduced is what onnxruntime
//! (1.32, one thread) computes for a float32 input tensor `[N, F]`:
//! - a split compares the input with its threshold as stored (float, or
//!   double for `_as_tensor` doubles) by the node's mode; NaN takes the
//!   true branch when `missing_value_tracks_true` is set, otherwise the
//!   branch its comparison gives (false, except BRANCH_NEQ: `NaN != t`);
//! - per class or target, the leaf weights are added in float32 in tree
//!   order starting from 0, and the base value is added after the trees
//!   (SUM), or the sum is divided by the tree count and then the base
//!   value added (AVERAGE);
//! - the post transform: LOGISTIC is onnxruntime's `1 / (1 + exp(-|x|))`,
//!   reflected to `1 - v` for negative `x`; SOFTMAX subtracts the max.
//!   A single-target regressor ignores its post transform, as onnxruntime
//!   does; a binary classifier whose weights all feed class 0 outputs
//!   `[L(-s), L(s)]` (LOGISTIC), `[1 - s, s]` (weights all >= 0) or
//!   `[-s, s]` (mixed signs), with `s` the class-0 score.
//!
//! Every comparison is lowered to IR `<=` splits that decide the same for
//! every float32 input (the float32 line is cut where the decision can
//! change, as in the LightGBM frontend): BRANCH_GT/GTE swap the branches,
//! BRANCH_EQ/NEQ and BRANCH_MEMBER become small trees of `<=` splits whose
//! leaves are copies of the children. Copies keep their source ids.
//!
//! The prediction is the operator's score output (the class scores of a
//! classifier, the values of a regressor). The only other operators
//! accepted are those converters put around it that change no value:
//! Identity, Cast, ZipMap, and Mul by a constant 1. Anything else is
//! refused with the operator and node name, as are: aggregate functions
//! MIN and MAX, post transforms SOFTMAX_ZERO and PROBIT, and leaves with
//! two weights for the same output.
//!
//! Double precision: a double-input model (double `_as_tensor`
//! thresholds, weights and base values) is read for float32 inputs, which
//! the generated code takes: its double thresholds are compared exactly,
//! but onnxruntime sums double weights in double while the IR sums
//! float32 in float32. Weights become float32 in one place ([`to_f32`]),
//! so a double-accumulating IR mode can take them as they are; until then
//! the distance to onnxruntime is measured (tests/onnx_reference.rs).

mod attrs;
mod ensemble;
mod proto;

use super::FrontendError;
use crate::ir::{
    Aggregation, Ensemble, Leaf as IrLeaf, MissingGoes, Node, PostTransform, Source, Split,
    SplitOp, Tree, MAX_DEPTH,
};
use attrs::Attrs;
use ensemble::{Aggregate, Branch, Child, Forest, Mode, Post};
use prost::Message;
use proto::{type_proto, ModelProto, NodeProto, TensorProto};
use std::collections::BTreeMap;
use std::path::Path;

/// Most IR nodes one ONNX tree may expand to (EQ/MEMBER copies included).
pub const MAX_NODES_PER_TREE: usize = 1 << 20;

/// Newest ai.onnx.ml opset this frontend knows.
const MAX_ML_OPSET: i64 = 5;

const TREE_OPS: [&str; 3] = [
    "TreeEnsembleClassifier",
    "TreeEnsembleRegressor",
    "TreeEnsemble",
];

/// Does `bytes` look like an ONNX model holding a tree ensemble? (For
/// [`super::detect`]: decodes as a ModelProto whose graph has a node of
/// domain ai.onnx.ml.)
pub fn looks_like_onnx(bytes: &[u8]) -> bool {
    match ModelProto::decode(bytes) {
        Ok(m) => m.graph.as_ref().is_some_and(|g| {
            g.node
                .iter()
                .any(|n| n.domain() == "ai.onnx.ml" || TREE_OPS.contains(&n.op_type()))
        }),
        Err(_) => false,
    }
}

struct Cx<'a> {
    path: &'a Path,
}

impl Cx<'_> {
    fn field(&self, field: impl Into<String>, message: impl Into<String>) -> FrontendError {
        FrontendError::Field {
            path: self.path.to_path_buf(),
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Lower an ONNX model to the IR (not yet validated).
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Ensemble, FrontendError> {
    let cx = Cx { path };
    let model = ModelProto::decode(bytes).map_err(|e| FrontendError::Syntax {
        path: path.to_path_buf(),
        message: format!("not a valid ONNX protobuf: {e}"),
    })?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| cx.field("graph", "the model has no graph"))?;
    let ml_opset = model
        .opset_import
        .iter()
        .find(|o| o.domain() == "ai.onnx.ml")
        .map(|o| o.version());
    if let Some(v) = ml_opset {
        if !(1..=MAX_ML_OPSET).contains(&v) {
            return Err(cx.field(
                "opset_import",
                format!("ai.onnx.ml opset {v}; this timber reads opsets 1 to {MAX_ML_OPSET}"),
            ));
        }
    }
    let initializers: BTreeMap<&str, &TensorProto> =
        graph.initializer.iter().map(|t| (t.name(), t)).collect();
    let inputs: Vec<_> = graph
        .input
        .iter()
        .filter(|i| !initializers.contains_key(i.name()))
        .collect();
    let [input] = inputs.as_slice() else {
        return Err(cx.field(
            "graph.input",
            format!(
                "{} inputs; a tree-ensemble model has one float tensor input [N, features]",
                inputs.len()
            ),
        ));
    };
    let input_name = input.name();
    let in_field = format!("graph.input `{input_name}`");
    let tensor = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(type_proto::Value::TensorType(t)) => t,
        _ => return Err(cx.field(in_field, "is not a tensor")),
    };
    let elem = tensor.elem_type.unwrap_or(0);
    let double_input = elem == proto::tensor_proto::DataType::Double as i32;
    if elem != proto::tensor_proto::DataType::Float as i32 && !double_input {
        return Err(cx.field(
            in_field,
            format!(
                "element type {}; timber reads models with a float or double input",
                attrs::data_type_name(elem)
            ),
        ));
    }
    let declared_width: Option<u32> = match tensor.shape.as_ref().map(|s| s.dim.as_slice()) {
        None => None,
        Some([_, d]) => match d.value {
            Some(proto::tensor_shape_proto::dimension::Value::DimValue(v)) => Some(
                u32::try_from(v).map_err(|_| cx.field(in_field.clone(), format!("width {v}")))?,
            ),
            _ => None,
        },
        Some(dims) => {
            return Err(cx.field(
                in_field,
                format!("rank {}; a [N, features] tensor is expected", dims.len()),
            ))
        }
    };

    let tree_nodes: Vec<&NodeProto> = graph
        .node
        .iter()
        .filter(|n| TREE_OPS.contains(&n.op_type()))
        .collect();
    let [tree_node] = tree_nodes.as_slice() else {
        return Err(cx.field(
            "graph.node",
            format!(
                "{} tree-ensemble nodes; timber reads a model with exactly one",
                tree_nodes.len()
            ),
        ));
    };
    let node_label = |n: &NodeProto| format!("node `{}` ({})", n.name(), n.op_type());
    let tfield = format!("graph.node {}", node_label(tree_node));
    if tree_node.domain() != "ai.onnx.ml" {
        return Err(cx.field(
            tfield,
            format!(
                "is in domain `{}`; the tree-ensemble operators are in ai.onnx.ml",
                tree_node.domain()
            ),
        ));
    }
    let v5 = tree_node.op_type() == "TreeEnsemble";
    if v5 && ml_opset.is_some_and(|v| v < 5) {
        return Err(cx.field(tfield, "TreeEnsemble needs ai.onnx.ml opset 5"));
    }
    // The ensemble must read the graph input directly (or via Identity).
    let producers: BTreeMap<&str, &NodeProto> = graph
        .node
        .iter()
        .flat_map(|n| n.output.iter().map(move |o| (o.as_str(), n)))
        .collect();
    let mut src = tree_node.input.first().map(String::as_str).unwrap_or("");
    let mut hops = 0;
    while src != input_name {
        match producers.get(src) {
            Some(p) if p.op_type() == "Identity" && hops < graph.node.len() => {
                src = p.input.first().map(String::as_str).unwrap_or("");
                hops += 1;
            }
            _ => {
                return Err(cx.field(
                    tfield,
                    format!("reads `{src}`, not the graph input `{input_name}`"),
                ))
            }
        }
    }
    // The values derived from the score output (graph nodes are sorted
    // topologically, so one pass finds them).
    let score_index = usize::from(tree_node.op_type() == "TreeEnsembleClassifier");
    let mut scores: std::collections::BTreeSet<&str> = tree_node
        .output
        .get(score_index)
        .map(|o| o.as_str())
        .into_iter()
        .collect();
    for n in &graph.node {
        if n.input.iter().any(|i| scores.contains(i.as_str())) {
            scores.extend(n.output.iter().map(String::as_str));
        }
    }
    for n in &graph.node {
        if std::ptr::eq(n, *tree_node) {
            continue;
        }
        let on_scores = n.input.iter().any(|i| scores.contains(i.as_str()));
        let ok = match (n.domain(), n.op_type()) {
            ("" | "ai.onnx", "Identity") => true,
            // A cast of the scores must keep their values (to float or
            // double); the label may be cast to anything.
            ("" | "ai.onnx", "Cast") => {
                !on_scores
                    || Attrs::new(n)
                        .ok()
                        .and_then(|a| a.int("to").ok().flatten())
                        .is_some_and(|to| {
                            to == proto::tensor_proto::DataType::Float as i64
                                || to == proto::tensor_proto::DataType::Double as i64
                        })
            }
            ("ai.onnx.ml", "ZipMap") => true,
            ("" | "ai.onnx", "Mul") => n.input.iter().any(|i| {
                initializers
                    .get(i.as_str())
                    .and_then(|t| attrs::tensor_numbers(i, t).ok())
                    .is_some_and(|v| !v.values.is_empty() && v.values.iter().all(|&x| x == 1.0))
            }),
            _ => false,
        };
        if !ok {
            return Err(cx.field(
                format!("graph.node {}", node_label(n)),
                format!(
                    "operator `{}` (domain `{}`) is not supported around a tree ensemble; timber accepts Identity, Cast (of the scores: to float or double), ZipMap and Mul by 1 after it",
                    n.op_type(),
                    n.domain()
                ),
            ));
        }
    }

    if !graph.output.iter().any(|o| scores.contains(o.name())) {
        return Err(cx.field(
            "graph.output",
            "no graph output carries the tree ensemble's scores (class scores or values), which is what timber computes",
        ));
    }

    let attrs = Attrs::new(tree_node).map_err(|m| cx.field(tfield.clone(), m))?;
    let forest = if v5 {
        ensemble::from_v5(&attrs)
    } else {
        ensemble::from_v3(&attrs, tree_node.op_type() == "TreeEnsembleClassifier")
    }
    .map_err(|(a, m)| cx.field(format!("{tfield} attribute `{a}`"), m))?;
    let max_feature = forest.branches.iter().map(|b| b.feature).max();
    let n_features = match (declared_width, max_feature) {
        (Some(w), Some(f)) if f >= w => {
            return Err(cx.field(
                tfield,
                format!("a split reads feature {f} but the input has {w} features"),
            ))
        }
        (Some(w), _) => w,
        (None, Some(f)) => f + 1,
        (None, None) => 1,
    };
    let classifier = tree_node.op_type() == "TreeEnsembleClassifier";
    let plan = plan_outputs(&forest, classifier).map_err(|m| cx.field(tfield.clone(), m))?;
    let trees = lower_trees(&forest, &plan).map_err(|m| cx.field(tfield.clone(), m))?;
    let base_score = plan
        .base
        .iter()
        .map(|&b| to_f32(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| cx.field(format!("{tfield} attribute `base_values`"), m))?;
    let producer = match (model.producer_name(), model.producer_version()) {
        ("", _) => None,
        (n, "") => Some(n.to_string()),
        (n, v) => Some(format!("{n} {v}")),
    };
    Ok(Ensemble {
        schema_version: crate::ir::IR_SCHEMA_VERSION,
        source: Source {
            format: super::Format::Onnx.id().to_string(),
            framework_version: producer,
            objective: format!(
                "ai.onnx.ml:{}:opset{}{}{}{}",
                tree_node.op_type(),
                ml_opset.unwrap_or(1),
                plan.note,
                // Double weights are rounded to float32 in `to_f32`.
                if forest.any_double {
                    ":double-values"
                } else {
                    ""
                },
                if double_input { ":double-input" } else { "" }
            ),
            sha256: super::sha256_hex(bytes),
        },
        n_features,
        feature_names: Vec::new(),
        n_groups: plan.columns.len() as u32,
        // onnxruntime sums float models in float32.
        accumulator: crate::ir::Accumulator::F32,
        base_score: base_score.into_iter().map(f64::from).collect(),
        aggregation: plan.aggregation,
        post_transform: plan.post,
        trees,
    })
}

/// Weights and base values become float32 here and only here. Float
/// models convert exactly; a double value is rounded to nearest (a
/// double-accumulating IR mode would keep it as is).
fn to_f32(v: f64) -> Result<f32, String> {
    let f = v as f32;
    if f.is_finite() {
        Ok(f)
    } else {
        Err(format!("value {v} is not a finite float32"))
    }
}

/// One IR output group: which class/target's weights it adds, negated or not.
#[derive(Debug, Clone, Copy)]
struct Column {
    output: u32,
    negate: bool,
}

/// How the ensemble's scores map onto IR groups and transforms.
struct Plan {
    columns: Vec<Column>,
    base: Vec<f64>,
    aggregation: Aggregation,
    post: PostTransform,
    /// Appended to the objective, for the reader of ir.json and the audit:
    /// which of onnxruntime's binary-classifier output pairs this is.
    note: &'static str,
}

fn plan_outputs(f: &Forest, classifier: bool) -> Result<Plan, String> {
    let n = f.n_outputs;
    let aggregation = match f.aggregate {
        Aggregate::Sum => Aggregation::SumThenBase,
        Aggregate::Average => Aggregation::Average,
        Aggregate::Min | Aggregate::Max => {
            return Err(format!(
                "aggregate_function {} is not supported (SUM and AVERAGE are)",
                f.aggregate.onnx_name()
            ))
        }
    };
    let transform = |p: Post| -> Result<PostTransform, String> {
        match p {
            Post::None => Ok(PostTransform::Identity),
            Post::Logistic => Ok(PostTransform::SymmetricSigmoid),
            Post::Softmax => Ok(PostTransform::SoftmaxF32),
            Post::SoftmaxZero | Post::Probit => Err(format!(
                "post_transform {} is not supported (NONE, LOGISTIC and SOFTMAX are)",
                p.onnx_name()
            )),
        }
    };
    let straight = |k: u32| Column {
        output: k,
        negate: false,
    };
    if !classifier {
        if !f.base_values.is_empty() && f.base_values.len() != n as usize {
            return Err(format!(
                "{} base values for {n} targets",
                f.base_values.len()
            ));
        }
        let mut base = f.base_values.clone();
        base.resize(n as usize, 0.0);
        // onnxruntime applies no transform to a single target but PROBIT.
        let post = if n == 1 && f.post != Post::Probit {
            PostTransform::Identity
        } else {
            transform(f.post)?
        };
        return Ok(Plan {
            columns: (0..n).map(straight).collect(),
            base,
            aggregation,
            post,
            note: "",
        });
    }
    let used: std::collections::BTreeSet<u32> = f
        .leaves
        .iter()
        .flat_map(|l| l.weights.iter().map(|w| w.0))
        .collect();
    let nb = f.base_values.len();
    if n == 2 && used.iter().all(|&c| c == 0) && !used.is_empty() && nb <= 1 {
        // onnxruntime's binary case: one score s for class 0, two outputs.
        let b = f.base_values.first().copied().unwrap_or(0.0);
        let all_positive = f.leaves.iter().flat_map(|l| &l.weights).all(|w| w.1 >= 0.0);
        let pair = vec![
            Column {
                output: 0,
                negate: true,
            },
            straight(0),
        ];
        return match f.post {
            Post::Probit => Err("post_transform PROBIT is not supported".to_string()),
            Post::Logistic => {
                if all_positive && b < 0.0 {
                    return Err(
                        "a binary classifier with non-negative weights and a negative base value: onnxruntime computes 1 - L(s) there, which timber does not reproduce exactly".to_string(),
                    );
                }
                Ok(Plan {
                    columns: pair,
                    base: vec![-b, b],
                    aggregation,
                    post: PostTransform::SymmetricSigmoid,
                    note: ":binary-logistic-pair",
                })
            }
            _ if all_positive => {
                if b != 0.0 {
                    return Err("a binary classifier with non-negative weights and a base value: onnxruntime outputs 1 - (s + b), which timber does not reproduce exactly".to_string());
                }
                Ok(Plan {
                    columns: pair,
                    base: vec![1.0, 0.0],
                    aggregation,
                    post: PostTransform::Identity,
                    note: ":binary-one-minus-s",
                })
            }
            _ => Ok(Plan {
                columns: pair,
                base: vec![-b, b],
                aggregation,
                post: PostTransform::Identity,
                note: ":binary-minus-s",
            }),
        };
    }
    if n == 2 && nb == 2 && used.contains(&1) {
        return Err("a binary classifier with two base values and weights for class 1: onnxruntime's result there is not reproduced".to_string());
    }
    if nb > n as usize {
        return Err(format!("{nb} base values for {n} classes"));
    }
    let mut base = f.base_values.clone();
    base.resize(n as usize, 0.0);
    Ok(Plan {
        columns: (0..n).map(straight).collect(),
        base,
        aggregation,
        post: transform(f.post)?,
        note: "",
    })
}

/// The IR trees of every ONNX tree, in summation order.
fn lower_trees(f: &Forest, plan: &Plan) -> Result<Vec<Tree>, String> {
    let n_groups = plan.columns.len();
    let mut out = Vec::with_capacity(f.trees.len());
    for (t, &(tree_id, root)) in f.trees.iter().enumerate() {
        let mut b = Builder {
            forest: f,
            columns: &plan.columns,
            nodes: Vec::new(),
            touched: vec![false; n_groups],
        };
        b.emit(root, 0)
            .map_err(|m| format!("tree {tree_id}: {m}"))?;
        // Average divides by the tree count: every tree feeds every group.
        let (lo, hi) = if plan.aggregation == Aggregation::Average {
            (0, n_groups - 1)
        } else {
            match (
                b.touched.iter().position(|&x| x),
                b.touched.iter().rposition(|&x| x),
            ) {
                (Some(lo), Some(hi)) => (lo, hi),
                // No weights at all: onnxruntime adds nothing.
                _ => continue,
            }
        };
        let mut nodes = b.nodes;
        for node in &mut nodes {
            if let Node::Leaf(l) = node {
                l.values = l.values[lo..=hi].to_vec();
            }
        }
        out.push(Tree {
            source_id: u32::try_from(tree_id)
                .ok()
                .or_else(|| u32::try_from(t).ok())
                .unwrap_or(u32::MAX),
            group: lo as u32,
            nodes,
        });
    }
    if out.is_empty() {
        return Err("no tree has a leaf weight".to_string());
    }
    Ok(out)
}

/// The next float32 toward minus infinity (`-inf` and NaN unchanged).
fn next_down(f: f32) -> f32 {
    if f.is_nan() || f == f32::NEG_INFINITY {
        f
    } else if f == 0.0 {
        -f32::from_bits(1)
    } else if f > 0.0 {
        f32::from_bits(f.to_bits() - 1)
    } else {
        f32::from_bits(f.to_bits() + 1)
    }
}

/// onnxruntime's decision for float32 input `x` (true = the node's true
/// branch). Float thresholds widen exactly, so comparing in f64 is the
/// float comparison for them and the double comparison for doubles.
pub(crate) fn goes_true(b: &Branch, x: f32) -> bool {
    if x.is_nan() {
        // Every comparison with NaN is false except `!=`.
        return b.nan_true || b.mode == Mode::Neq;
    }
    let v = f64::from(x);
    let t = b.value;
    match b.mode {
        Mode::Leq => v <= t,
        Mode::Lt => v < t,
        Mode::Gte => v >= t,
        Mode::Gt => v > t,
        Mode::Eq => v == t,
        Mode::Neq => v != t,
        Mode::Member => b.members.contains(&v),
    }
}

/// The float32 line cut into pieces on which `b` decides one way:
/// `(upper, goes_true)`, upper inclusive, the last ending at `+inf`,
/// neighbours differing. For each threshold `t`, with `c` the largest
/// float32 `<= t`, the decision can only change at `next_down(c)` and `c`.
fn decision_pieces(b: &Branch) -> Vec<(f32, bool)> {
    let values: &[f64] = if b.mode == Mode::Member {
        &b.members
    } else {
        std::slice::from_ref(&b.value)
    };
    let mut cuts: Vec<f32> = Vec::with_capacity(2 * values.len() + 1);
    for &t in values {
        if t.is_nan() {
            continue;
        }
        let c = crate::frontend::lightgbm::floor_f32(t);
        cuts.push(next_down(c));
        cuts.push(c);
    }
    cuts.retain(|c| !c.is_nan() && *c != f32::INFINITY);
    cuts.sort_by(|a, b| a.total_cmp(b));
    cuts.dedup_by(|a, b| a == b);
    cuts.push(f32::INFINITY);
    let mut pieces: Vec<(f32, bool)> = Vec::new();
    for c in cuts {
        let d = goes_true(b, c);
        match pieces.last_mut() {
            Some(last) if last.1 == d => last.0 = c,
            _ => pieces.push((c, d)),
        }
    }
    pieces
}

/// Builds one ONNX tree's IR nodes, root first.
struct Builder<'a> {
    forest: &'a Forest,
    columns: &'a [Column],
    nodes: Vec<Node>,
    /// Groups some reached leaf has a weight for.
    touched: Vec<bool>,
}

impl Builder<'_> {
    fn push(&mut self, node: Node) -> Result<u32, String> {
        if self.nodes.len() >= MAX_NODES_PER_TREE {
            return Err(format!(
                "expanding it into float32 comparisons needs more than {MAX_NODES_PER_TREE} nodes"
            ));
        }
        self.nodes.push(node);
        Ok((self.nodes.len() - 1) as u32)
    }

    fn leaf(&mut self, l: usize) -> Result<u32, String> {
        let leaf = &self.forest.leaves[l];
        let mut values = vec![0.0f32; self.columns.len()];
        for (g, col) in self.columns.iter().enumerate() {
            let mut found: Option<f64> = None;
            for &(k, w) in &leaf.weights {
                if k == col.output {
                    if found.is_some() {
                        return Err(format!(
                            "leaf {} has two weights for output {k}; onnxruntime adds them one by one into the running sum, which timber does not reproduce",
                            leaf.source_id
                        ));
                    }
                    found = Some(w);
                }
            }
            if let Some(w) = found {
                self.touched[g] = true;
                let w = if col.negate { -w } else { w };
                values[g] = to_f32(w).map_err(|m| format!("leaf {}: {m}", leaf.source_id))?;
            }
        }
        self.push(Node::Leaf(IrLeaf {
            source_id: leaf.source_id,
            values: values.into_iter().map(f64::from).collect(),
        }))
    }

    fn emit(&mut self, c: Child, depth: usize) -> Result<u32, String> {
        if depth > MAX_DEPTH {
            return Err(format!("deeper than {MAX_DEPTH} levels (or a cycle)"));
        }
        match c {
            Child::Leaf(l) => self.leaf(l),
            Child::Branch(n) => {
                let b = &self.forest.branches[n];
                let pieces = decision_pieces(b);
                let nan_true = goes_true(b, f32::NAN);
                self.cuts(n, &pieces, 0, pieces.len() - 1, nan_true, depth)
            }
        }
    }

    /// The `<=` splits that route pieces `lo..=hi` of branch `n`.
    fn cuts(
        &mut self,
        n: usize,
        pieces: &[(f32, bool)],
        lo: usize,
        hi: usize,
        nan_true: bool,
        depth: usize,
    ) -> Result<u32, String> {
        if depth > MAX_DEPTH {
            return Err(format!("deeper than {MAX_DEPTH} levels (or a cycle)"));
        }
        let b = &self.forest.branches[n];
        let (on_true, on_false, feature, source_id) =
            (b.on_true, b.on_false, b.feature, b.source_id);
        let child = |t: bool| if t { on_true } else { on_false };
        if lo == hi {
            let dest = pieces[lo].1;
            if lo == 0 && hi == pieces.len() - 1 && dest != nan_true {
                // Every number goes one way, NaN the other: x <= +inf.
                let idx = self.split(source_id, feature, f32::INFINITY, MissingGoes::Right)?;
                let l = self.emit(child(dest), depth + 1)?;
                let r = self.emit(child(nan_true), depth + 1)?;
                self.patch(idx, l, r);
                return Ok(idx);
            }
            return self.emit(child(dest), depth + 1);
        }
        let mid = (lo + hi) / 2;
        let has_nan_dest = |a: usize, z: usize| pieces[a..=z].iter().any(|p| p.1 == nan_true);
        let missing = if has_nan_dest(lo, mid) || !has_nan_dest(mid + 1, hi) {
            MissingGoes::Left
        } else {
            MissingGoes::Right
        };
        let idx = self.split(source_id, feature, pieces[mid].0, missing)?;
        let l = self.cuts(n, pieces, lo, mid, nan_true, depth + 1)?;
        let r = self.cuts(n, pieces, mid + 1, hi, nan_true, depth + 1)?;
        self.patch(idx, l, r);
        Ok(idx)
    }

    fn split(
        &mut self,
        source_id: u32,
        feature: u32,
        threshold: f32,
        missing: MissingGoes,
    ) -> Result<u32, String> {
        self.push(Node::Split(Split {
            source_id,
            feature,
            threshold,
            op: SplitOp::Le,
            missing,
            left: 0,
            right: 0,
        }))
    }

    fn patch(&mut self, idx: u32, l: u32, r: u32) {
        if let Some(Node::Split(s)) = self.nodes.get_mut(idx as usize) {
            s.left = l;
            s.right = r;
        }
    }
}

#[cfg(test)]
mod tests;
