//! The tree-ensemble operators' attributes decoded into one neutral shape.
//!
//! TreeEnsembleClassifier / TreeEnsembleRegressor (ai.onnx.ml opsets 1-3)
//! describe trees as parallel arrays keyed by (tree id, node id);
//! TreeEnsemble (opset 5) uses positions into separate node and leaf
//! arrays. Both become [`Forest`]: branches and leaves by position, trees
//! as roots in summation order. Every array length, id and reference is
//! checked here, so lowering can index without panicking.

use super::attrs::{tensor_numbers, tensor_u8, Attrs, Numbers};
use std::collections::BTreeMap;

/// A split's comparison; `true` follows the node's true branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
    /// opset 5: the input is one of a set of values.
    Member,
}

/// Where a branch leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    Branch(usize),
    Leaf(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// The node's id in the model (opsets 1-3) or its position (opset 5).
    pub source_id: u32,
    pub feature: u32,
    pub mode: Mode,
    /// The threshold, exactly as stored (a float widened, or a double).
    pub value: f64,
    /// The set of a `Member` node.
    pub members: Vec<f64>,
    /// NaN follows the true branch.
    pub nan_true: bool,
    pub on_true: Child,
    pub on_false: Child,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub source_id: u32,
    /// (class or target index, weight), in attribute order.
    pub weights: Vec<(u32, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Post {
    None,
    Logistic,
    Softmax,
    SoftmaxZero,
    Probit,
}

impl Aggregate {
    /// The ONNX spelling, for messages.
    pub fn onnx_name(self) -> &'static str {
        match self {
            Aggregate::Sum => "SUM",
            Aggregate::Average => "AVERAGE",
            Aggregate::Min => "MIN",
            Aggregate::Max => "MAX",
        }
    }
}

impl Post {
    /// The ONNX spelling, for messages.
    pub fn onnx_name(self) -> &'static str {
        match self {
            Post::None => "NONE",
            Post::Logistic => "LOGISTIC",
            Post::Softmax => "SOFTMAX",
            Post::SoftmaxZero => "SOFTMAX_ZERO",
            Post::Probit => "PROBIT",
        }
    }
}

/// One decoded tree-ensemble node.
#[derive(Debug, Clone, PartialEq)]
pub struct Forest {
    pub branches: Vec<Branch>,
    pub leaves: Vec<Leaf>,
    /// (tree id, root), in the order trees are summed.
    pub trees: Vec<(i64, Child)>,
    /// Number of classes (classifier) or targets (regressor).
    pub n_outputs: u32,
    /// Empty or one per output (validated by the caller for classifiers).
    pub base_values: Vec<f64>,
    pub aggregate: Aggregate,
    pub post: Post,
    /// Thresholds, weights or base values were stored as doubles.
    pub any_double: bool,
}

/// An error with the attribute it is about.
pub type AttrError = (String, String);

fn err<T>(attr: &str, msg: impl Into<String>) -> Result<T, AttrError> {
    Err((attr.to_string(), msg.into()))
}

fn at(attr: &str) -> impl Fn(String) -> AttrError + '_ {
    move |m| (attr.to_string(), m)
}

fn need<T>(attr: &str, v: Result<Option<T>, String>) -> Result<T, AttrError> {
    match v {
        Ok(Some(x)) => Ok(x),
        Ok(None) => err(attr, "missing"),
        Err(m) => err(attr, m),
    }
}

fn opt<T>(attr: &str, v: Result<Option<T>, String>) -> Result<Option<T>, AttrError> {
    v.map_err(at(attr))
}

fn u32_of(attr: &str, i: usize, v: i64) -> Result<u32, AttrError> {
    u32::try_from(v).or_else(|_| err(attr, format!("entry {i}: {v} is not a valid index")))
}

fn same_len(attr: &str, got: usize, want: usize, other: &str) -> Result<(), AttrError> {
    if got != want {
        return err(
            attr,
            format!("has {got} entries but `{other}` has {want}; they must match"),
        );
    }
    Ok(())
}

fn parse_post(s: &str) -> Result<Post, AttrError> {
    Ok(match s {
        "NONE" => Post::None,
        "LOGISTIC" => Post::Logistic,
        "SOFTMAX" => Post::Softmax,
        "SOFTMAX_ZERO" => Post::SoftmaxZero,
        "PROBIT" => Post::Probit,
        other => return err("post_transform", format!("unknown value `{other}`")),
    })
}

fn parse_mode(i: usize, s: &str) -> Result<Option<Mode>, AttrError> {
    Ok(Some(match s {
        "BRANCH_LEQ" => Mode::Leq,
        "BRANCH_LT" => Mode::Lt,
        "BRANCH_GTE" => Mode::Gte,
        "BRANCH_GT" => Mode::Gt,
        "BRANCH_EQ" => Mode::Eq,
        "BRANCH_NEQ" => Mode::Neq,
        "LEAF" => return Ok(None),
        other => return err("nodes_modes", format!("entry {i}: unknown mode `{other}`")),
    }))
}

/// Opsets 1-3: TreeEnsembleClassifier (`classifier` true) or
/// TreeEnsembleRegressor.
pub fn from_v3(a: &Attrs, classifier: bool) -> Result<Forest, AttrError> {
    let tree_ids = need("nodes_treeids", a.ints("nodes_treeids"))?;
    let n = tree_ids.len();
    let node_ids = need("nodes_nodeids", a.ints("nodes_nodeids"))?;
    let features = need("nodes_featureids", a.ints("nodes_featureids"))?;
    let modes = need("nodes_modes", a.strings("nodes_modes"))?;
    let values = need("nodes_values", a.numbers("nodes_values"))?;
    let true_ids = need("nodes_truenodeids", a.ints("nodes_truenodeids"))?;
    let false_ids = need("nodes_falsenodeids", a.ints("nodes_falsenodeids"))?;
    let tracks = opt(
        "nodes_missing_value_tracks_true",
        a.ints("nodes_missing_value_tracks_true"),
    )?
    .unwrap_or_else(|| vec![0; n]);
    for (name, len) in [
        ("nodes_nodeids", node_ids.len()),
        ("nodes_featureids", features.len()),
        ("nodes_modes", modes.len()),
        ("nodes_values", values.values.len()),
        ("nodes_truenodeids", true_ids.len()),
        ("nodes_falsenodeids", false_ids.len()),
        ("nodes_missing_value_tracks_true", tracks.len()),
    ] {
        same_len(name, len, n, "nodes_treeids")?;
    }
    if n == 0 {
        return err("nodes_treeids", "the ensemble has no nodes");
    }
    let (prefix, n_outputs) = if classifier {
        let ints = opt("classlabels_int64s", a.ints("classlabels_int64s"))?;
        let strs = opt("classlabels_strings", a.strings("classlabels_strings"))?;
        let count =
            match (ints, strs) {
                (Some(i), None) => i.len(),
                (None, Some(s)) => s.len(),
                _ => return err(
                    "classlabels_int64s",
                    "exactly one of `classlabels_int64s` and `classlabels_strings` must be given",
                ),
            };
        ("class", count)
    } else {
        let t = opt("n_targets", a.int("n_targets"))?.unwrap_or(1);
        let t = usize::try_from(t)
            .ok()
            .filter(|&t| t > 0)
            .ok_or_else(|| ("n_targets".to_string(), format!("{t} targets")))?;
        ("target", t)
    };
    let n_outputs = u32::try_from(n_outputs)
        .ok()
        .filter(|&c| c > 0 && c <= 1 << 16)
        .ok_or_else(|| {
            (
                format!("{prefix} labels"),
                format!("{n_outputs} outputs; 1 to 65536 are supported"),
            )
        })?;
    let w_tree_name = format!("{prefix}_treeids");
    let w_node_name = format!("{prefix}_nodeids");
    let w_id_name = format!("{prefix}_ids");
    let w_weight_name = format!("{prefix}_weights");
    let w_trees = need(&w_tree_name, a.ints(&w_tree_name))?;
    let w_nodes = need(&w_node_name, a.ints(&w_node_name))?;
    let w_ids = need(&w_id_name, a.ints(&w_id_name))?;
    let w_weights = need(&w_weight_name, a.numbers(&w_weight_name))?;
    same_len(&w_node_name, w_nodes.len(), w_trees.len(), &w_tree_name)?;
    same_len(&w_id_name, w_ids.len(), w_trees.len(), &w_tree_name)?;
    same_len(
        &w_weight_name,
        w_weights.values.len(),
        w_trees.len(),
        &w_tree_name,
    )?;

    // (tree id, node id) -> position; trees in order of first appearance,
    // each one's nodes listed together, its first-listed node the root.
    let mut pos: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    let mut tree_order: Vec<(i64, usize)> = Vec::new();
    for i in 0..n {
        let key = (tree_ids[i], node_ids[i]);
        if pos.insert(key, i).is_some() {
            return err(
                "nodes_nodeids",
                format!("tree {} has node {} twice", key.0, key.1),
            );
        }
        if tree_order.last().map(|t| t.0) != Some(tree_ids[i]) {
            if tree_order.iter().any(|t| t.0 == tree_ids[i]) {
                return err(
                    "nodes_treeids",
                    format!(
                        "the nodes of tree {} are not listed together (entry {i})",
                        tree_ids[i]
                    ),
                );
            }
            tree_order.push((tree_ids[i], i));
        }
    }
    // Position -> branch or leaf index.
    let mut slot: Vec<Child> = Vec::with_capacity(n);
    let (mut n_branches, mut n_leaves) = (0usize, 0usize);
    let mut parsed_modes = Vec::with_capacity(n);
    for (i, m) in modes.iter().enumerate() {
        let mode = parse_mode(i, m)?;
        if mode.is_some() {
            slot.push(Child::Branch(n_branches));
            n_branches += 1;
        } else {
            slot.push(Child::Leaf(n_leaves));
            n_leaves += 1;
        }
        parsed_modes.push(mode);
    }
    let mut leaves: Vec<Leaf> = Vec::with_capacity(n_leaves);
    let mut branches: Vec<Branch> = Vec::with_capacity(n_branches);
    for i in 0..n {
        let source_id = u32_of("nodes_nodeids", i, node_ids[i])?;
        let Some(mode) = parsed_modes[i] else {
            leaves.push(Leaf {
                source_id,
                weights: Vec::new(),
            });
            continue;
        };
        let child = |name: &str, id: i64| -> Result<Child, AttrError> {
            pos.get(&(tree_ids[i], id))
                .map(|&p| slot[p])
                .ok_or_else(|| {
                    (
                        name.to_string(),
                        format!(
                            "node {} of tree {}: child {id} is not a node of that tree",
                            node_ids[i], tree_ids[i]
                        ),
                    )
                })
        };
        let value = values.values[i];
        if value.is_nan() {
            return err(
                "nodes_values",
                format!(
                    "node {} of tree {}: the threshold is NaN",
                    node_ids[i], tree_ids[i]
                ),
            );
        }
        branches.push(Branch {
            source_id,
            feature: u32_of("nodes_featureids", i, features[i])?,
            mode,
            value,
            members: Vec::new(),
            nan_true: match tracks[i] {
                0 => false,
                1 => true,
                t => {
                    return err(
                        "nodes_missing_value_tracks_true",
                        format!("entry {i}: {t} is neither 0 nor 1"),
                    )
                }
            },
            on_true: child("nodes_truenodeids", true_ids[i])?,
            on_false: child("nodes_falsenodeids", false_ids[i])?,
        });
    }
    for k in 0..w_trees.len() {
        let key = (w_trees[k], w_nodes[k]);
        let leaf = match pos.get(&key).map(|&p| slot[p]) {
            Some(Child::Leaf(l)) => l,
            Some(Child::Branch(_)) => {
                return err(
                    &w_node_name,
                    format!("entry {k}: node {} of tree {} is not a LEAF", key.1, key.0),
                )
            }
            None => {
                return err(
                    &w_node_name,
                    format!("entry {k}: tree {} has no node {}", key.0, key.1),
                )
            }
        };
        let id = u32_of(&w_id_name, k, w_ids[k])?;
        if id >= n_outputs {
            return err(
                &w_id_name,
                format!("entry {k}: index {id} but there are {n_outputs} outputs"),
            );
        }
        leaves[leaf].weights.push((id, w_weights.values[k]));
    }
    let base = opt("base_values", a.numbers("base_values"))?.unwrap_or(Numbers {
        values: Vec::new(),
        double: false,
    });
    let aggregate = if classifier {
        Aggregate::Sum
    } else {
        match opt("aggregate_function", a.string("aggregate_function"))?.as_deref() {
            None | Some("SUM") => Aggregate::Sum,
            Some("AVERAGE") => Aggregate::Average,
            Some("MIN") => Aggregate::Min,
            Some("MAX") => Aggregate::Max,
            Some(other) => return err("aggregate_function", format!("unknown value `{other}`")),
        }
    };
    let post = match opt("post_transform", a.string("post_transform"))? {
        None => Post::None,
        Some(s) => parse_post(&s)?,
    };
    Ok(Forest {
        branches,
        leaves,
        trees: tree_order.iter().map(|&(t, i)| (t, slot[i])).collect(),
        n_outputs,
        any_double: values.double || w_weights.double || base.double,
        base_values: base.values,
        aggregate,
        post,
    })
}

/// Opset 5: TreeEnsemble.
pub fn from_v5(a: &Attrs) -> Result<Forest, AttrError> {
    let roots = need("tree_roots", a.ints("tree_roots"))?;
    let features = need("nodes_featureids", a.ints("nodes_featureids"))?;
    let n = features.len();
    let modes_t = need("nodes_modes", a.tensor("nodes_modes"))?;
    let modes = tensor_u8("nodes_modes", modes_t).map_err(at("nodes_modes"))?;
    let splits_t = need("nodes_splits", a.tensor("nodes_splits"))?;
    let splits = tensor_numbers("nodes_splits", splits_t).map_err(at("nodes_splits"))?;
    let true_ids = need("nodes_truenodeids", a.ints("nodes_truenodeids"))?;
    let true_leaf = need("nodes_trueleafs", a.ints("nodes_trueleafs"))?;
    let false_ids = need("nodes_falsenodeids", a.ints("nodes_falsenodeids"))?;
    let false_leaf = need("nodes_falseleafs", a.ints("nodes_falseleafs"))?;
    let tracks = opt(
        "nodes_missing_value_tracks_true",
        a.ints("nodes_missing_value_tracks_true"),
    )?
    .unwrap_or_else(|| vec![0; n]);
    for (name, len) in [
        ("nodes_modes", modes.len()),
        ("nodes_splits", splits.values.len()),
        ("nodes_truenodeids", true_ids.len()),
        ("nodes_trueleafs", true_leaf.len()),
        ("nodes_falsenodeids", false_ids.len()),
        ("nodes_falseleafs", false_leaf.len()),
        ("nodes_missing_value_tracks_true", tracks.len()),
    ] {
        same_len(name, len, n, "nodes_featureids")?;
    }
    let leaf_targets = need("leaf_targetids", a.ints("leaf_targetids"))?;
    let leaf_w_t = need("leaf_weights", a.tensor("leaf_weights"))?;
    let leaf_w = tensor_numbers("leaf_weights", leaf_w_t).map_err(at("leaf_weights"))?;
    same_len(
        "leaf_weights",
        leaf_w.values.len(),
        leaf_targets.len(),
        "leaf_targetids",
    )?;
    let n_targets = need("n_targets", a.int("n_targets"))?;
    let n_outputs = u32::try_from(n_targets)
        .ok()
        .filter(|&c| c > 0 && c <= 1 << 16)
        .ok_or_else(|| {
            (
                "n_targets".to_string(),
                format!("{n_targets} targets; 1 to 65536 are supported"),
            )
        })?;
    let mut members: Vec<Vec<f64>> = Vec::new();
    if let Some(t) = opt("membership_values", a.tensor("membership_values"))? {
        let v = tensor_numbers("membership_values", t).map_err(at("membership_values"))?;
        let mut cur = Vec::new();
        for x in v.values {
            if x.is_nan() {
                members.push(std::mem::take(&mut cur));
            } else {
                cur.push(x);
            }
        }
        if !cur.is_empty() {
            return err("membership_values", "the last set is not ended by a NaN");
        }
    }
    let child = |name: &str, i: usize, id: i64, leaf: i64| -> Result<Child, AttrError> {
        let idx = usize::try_from(id).ok();
        match (leaf, idx) {
            (0, Some(p)) if p < n => Ok(Child::Branch(p)),
            (1, Some(p)) if p < leaf_targets.len() => Ok(Child::Leaf(p)),
            (0 | 1, _) => err(name, format!("entry {i}: {id} is out of range")),
            _ => err(
                name,
                format!("entry {i}: leaf flag {leaf} is neither 0 nor 1"),
            ),
        }
    };
    let mut branches = Vec::with_capacity(n);
    let mut next_set = 0usize;
    for i in 0..n {
        let mode = match modes[i] {
            0 => Mode::Leq,
            1 => Mode::Lt,
            2 => Mode::Gte,
            3 => Mode::Gt,
            4 => Mode::Eq,
            5 => Mode::Neq,
            6 => Mode::Member,
            m => return err("nodes_modes", format!("entry {i}: unknown mode {m}")),
        };
        let set = if mode == Mode::Member {
            let s = members.get(next_set).cloned().ok_or_else(|| {
                (
                    "membership_values".to_string(),
                    format!("fewer sets than BRANCH_MEMBER nodes (node {i})"),
                )
            })?;
            next_set += 1;
            s
        } else {
            if splits.values[i].is_nan() {
                return err("nodes_splits", format!("entry {i}: the threshold is NaN"));
            }
            Vec::new()
        };
        branches.push(Branch {
            source_id: u32_of("nodes_featureids", i, i as i64)?,
            feature: u32_of("nodes_featureids", i, features[i])?,
            mode,
            value: splits.values[i],
            members: set,
            nan_true: match tracks[i] {
                0 => false,
                1 => true,
                t => {
                    return err(
                        "nodes_missing_value_tracks_true",
                        format!("entry {i}: {t} is neither 0 nor 1"),
                    )
                }
            },
            on_true: child("nodes_truenodeids", i, true_ids[i], true_leaf[i])?,
            on_false: child("nodes_falsenodeids", i, false_ids[i], false_leaf[i])?,
        });
    }
    if next_set != members.len() {
        return err(
            "membership_values",
            format!("{} sets for {next_set} BRANCH_MEMBER nodes", members.len()),
        );
    }
    let mut leaves = Vec::with_capacity(leaf_targets.len());
    for (k, (&t, &w)) in leaf_targets.iter().zip(&leaf_w.values).enumerate() {
        let id = u32_of("leaf_targetids", k, t)?;
        if id >= n_outputs {
            return err(
                "leaf_targetids",
                format!("entry {k}: target {id} but n_targets is {n_outputs}"),
            );
        }
        leaves.push(Leaf {
            source_id: u32_of("leaf_targetids", k, k as i64)?,
            weights: vec![(id, w)],
        });
    }
    let mut trees = Vec::with_capacity(roots.len());
    for (t, &r) in roots.iter().enumerate() {
        match usize::try_from(r).ok().filter(|&p| p < n) {
            Some(p) => trees.push((t as i64, Child::Branch(p))),
            None => return err("tree_roots", format!("entry {t}: node {r} is out of range")),
        }
    }
    if trees.is_empty() {
        return err("tree_roots", "the ensemble has no trees");
    }
    let aggregate = match opt("aggregate_function", a.int("aggregate_function"))?.unwrap_or(1) {
        0 => Aggregate::Average,
        1 => Aggregate::Sum,
        2 => Aggregate::Min,
        3 => Aggregate::Max,
        other => return err("aggregate_function", format!("unknown value {other}")),
    };
    let post = match opt("post_transform", a.int("post_transform"))?.unwrap_or(0) {
        0 => Post::None,
        1 => Post::Softmax,
        2 => Post::Logistic,
        3 => Post::SoftmaxZero,
        4 => Post::Probit,
        other => return err("post_transform", format!("unknown value {other}")),
    };
    Ok(Forest {
        branches,
        leaves,
        trees,
        n_outputs,
        any_double: splits.double || leaf_w.double,
        base_values: Vec::new(),
        aggregate,
        post,
    })
}
