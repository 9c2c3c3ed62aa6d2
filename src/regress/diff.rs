//! What changed between two models: header, trees, nodes, leaves, and the
//! predictions that result.
//!
//! Why: when a regression run reports changed output bits, the next
//! question is "what changed in the model?". A textual diff of two XGBoost
//! JSON files is unreadable (numbers reformatted, arrays reshuffled); this
//! compares the lowered IR, the thing timber actually compiles, so two
//! files in different formats holding the same model are identical, and a
//! bundle's `ir.json` compares directly with the model it came from.
//!
//! Trees are matched by position (tree `i` of OLD with tree `i` of NEW),
//! nodes by their index in the tree. Predictions are compared on a
//! deterministic row set: [`crate::verify::generate`] of OLD followed by
//! that of NEW with the same options, rows with identical bits kept once
//! (first occurrence), both evaluated with [`crate::ir::evaluate`].
//! Provenance (`source.format`, `framework_version`, `sha256`) is shown but
//! is not a difference: the same model saved twice is identical.

use crate::audit::layout;
use crate::frontend::{load_model, FormatChoice, FrontendError};
use crate::ir::validate::is_exact_f32;
use crate::ir::{mathfn, Ensemble, Node, PostTransform};
use crate::verify::{generate, VectorOptions};
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How many changes the text report lists in each "largest" section.
pub const TOP: usize = 10;

/// One side of a diff could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Model(#[from] FrontendError),
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    IrJson {
        path: PathBuf,
        #[source]
        source: crate::ir::IrJsonError,
    },
    #[error("{path}: {source}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: crate::ir::ValidationError,
    },
}

/// Load one side: a model file (any format timber reads), an `ir.json`
/// file, or a directory holding an `ir.json` (an audit bundle, or
/// `timber compile` output).
pub fn load(path: &Path) -> Result<Ensemble, DiffError> {
    if !path.is_dir() {
        return match load_model(path, FormatChoice::Auto) {
            Err(e @ FrontendError::UnknownFormat { .. }) => {
                // Not a framework model; an ir.json file is fine too, else
                // the frontend's error (it lists the formats tried) stands.
                let text = std::fs::read_to_string(path).map_err(|source| DiffError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                match Ensemble::from_json(&text) {
                    Ok(ens) => {
                        crate::ir::validate(&ens).map_err(|source| DiffError::Invalid {
                            path: path.to_path_buf(),
                            source,
                        })?;
                        Ok(ens)
                    }
                    Err(_) => Err(e.into()),
                }
            }
            other => Ok(other?),
        };
    }
    let file = path.join(layout::IR);
    let text = std::fs::read_to_string(&file).map_err(|source| DiffError::Read {
        path: file.clone(),
        source,
    })?;
    let ens = Ensemble::from_json(&text).map_err(|source| DiffError::IrJson {
        path: file.clone(),
        source,
    })?;
    crate::ir::validate(&ens).map_err(|source| DiffError::Invalid { path: file, source })?;
    Ok(ens)
}

/// A field whose value changed, both values as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// A numeric change of one value (a float32 threshold, or a leaf value
/// or base score, which are doubles under double accumulation). In JSON
/// both values are their exact f64 value (as `ir.json` writes them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueChange {
    pub old: f64,
    pub new: f64,
    /// `new - old`, computed in f64 (exact for two float32 values).
    pub delta: f64,
    /// Distance in float32 ulps, when both values are float32.
    pub ulps: Option<u32>,
}

/// A float32 in JSON as its exact f64 value.
fn exact<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(f64::from(*v))
}

impl ValueChange {
    fn new(old: f64, new: f64) -> ValueChange {
        let as_f32 = |x: f64| is_exact_f32(x).then_some(x as f32);
        let ulps = match (as_f32(old), as_f32(new)) {
            (Some(a), Some(b)) => {
                let d = mathfn::ulp_distance(a, b);
                (d != u32::MAX).then_some(d)
            }
            _ => None,
        };
        ValueChange {
            old,
            new,
            delta: new - old,
            ulps,
        }
    }
}

/// A value as text: a float32 value prints as the float32 it is (so the
/// text does not show its widening digits), any other double as a double.
fn num_text(x: f64) -> String {
    if is_exact_f32(x) {
        (x as f32).to_string()
    } else {
        x.to_string()
    }
}

/// A split (or a node whose kind changed, or that exists on one side only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeChange {
    /// Index of the node in the tree.
    pub node: usize,
    pub old_source_id: Option<u32>,
    pub new_source_id: Option<u32>,
    /// Every changed field: `kind` (split / leaf / absent), `feature`,
    /// `threshold`, `op`, `missing`, `left`, `right`, `source_id`.
    pub fields: Vec<FieldChange>,
    /// Set when the threshold changed.
    pub threshold: Option<ValueChange>,
}

/// A leaf whose values changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeafChange {
    pub node: usize,
    pub source_id: u32,
    /// One entry per leaf value (one per output group it feeds).
    pub values: Vec<ValueChange>,
    /// Largest `|delta|` over the values.
    pub largest_abs_change: f64,
}

/// The changes inside one tree present in both models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeChange {
    /// Position of the tree in both models.
    pub tree: usize,
    pub old_source_id: u32,
    pub new_source_id: u32,
    /// Tree-level fields: `source_id`, `group`, `nodes` (node count).
    pub fields: Vec<FieldChange>,
    pub nodes: Vec<NodeChange>,
    pub leaves: Vec<LeafChange>,
    /// Largest absolute leaf change in this tree, and at which node.
    pub largest_leaf_change: Option<f64>,
    pub largest_leaf_change_node: Option<usize>,
}

/// One output of one row that changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputChange {
    pub row: usize,
    pub output: usize,
    #[serde(serialize_with = "exact")]
    pub old: f32,
    #[serde(serialize_with = "exact")]
    pub new: f32,
    pub old_bits: String,
    pub new_bits: String,
    /// `|new - old|` in f64; None when exactly one side is NaN.
    pub abs_change: Option<f64>,
    pub ulps: Option<u32>,
}

/// A row whose predicted class changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassChange {
    pub row: usize,
    pub old: u32,
    pub new: u32,
}

/// Predictions of both models on the shared row set.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct PredictionDiff {
    /// False when the feature counts differ (no shared rows); `reason` says so.
    pub compared: bool,
    pub reason: Option<String>,
    pub seed: u64,
    pub random_rows: usize,
    pub rows: usize,
    /// Rows where any output bit differs (or the output count differs).
    pub rows_changed: usize,
    /// Outputs (row x output, over the outputs both have) whose bits differ.
    pub outputs_changed: usize,
    pub largest_abs_change: Option<OutputChange>,
    pub largest_ulp_change: Option<OutputChange>,
    /// How a class is read from the outputs, when both models are
    /// classifiers: `argmax`, `threshold 0.5`, `class index`.
    pub class_rule: Option<String>,
    /// Rows whose predicted class changed (None when not both classifiers).
    pub class_changes: Option<usize>,
    /// Every changed output, by row then output.
    pub changes: Vec<OutputChange>,
    /// Every row whose class changed, by row.
    pub class_changed_rows: Vec<ClassChange>,
}

/// Summary counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub header_fields_changed: usize,
    pub trees_old: usize,
    pub trees_new: usize,
    pub trees_added: usize,
    pub trees_removed: usize,
    pub trees_changed: usize,
    pub nodes_changed: usize,
    pub thresholds_changed: usize,
    pub leaves_changed: usize,
}

/// One side's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    pub path: String,
    pub format: String,
    pub framework_version: Option<String>,
    pub objective: String,
    pub sha256: String,
    pub trees: usize,
    pub nodes: usize,
}

/// Everything that differs between two models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelDiff {
    /// True when nothing the model computes differs.
    pub identical: bool,
    pub old: Side,
    pub new: Side,
    pub counts: Counts,
    /// `objective`, `post_transform`, `aggregation`, `base_score`,
    /// `n_features`, `n_groups`, `n_outputs`, `feature_names`.
    pub header: Vec<FieldChange>,
    /// Positions of trees only NEW has / only OLD has.
    pub trees_added: Vec<usize>,
    pub trees_removed: Vec<usize>,
    /// Trees present in both that differ, by position.
    pub trees: Vec<TreeChange>,
    pub predictions: PredictionDiff,
}

/// Compare two ensembles. `old_path` and `new_path` only label the report.
pub fn diff(
    old: &Ensemble,
    new: &Ensemble,
    old_path: &str,
    new_path: &str,
    opts: &VectorOptions,
) -> ModelDiff {
    let header = header_changes(old, new);
    let common = old.trees.len().min(new.trees.len());
    let trees: Vec<TreeChange> = (0..common)
        .filter_map(|i| tree_change(i, &old.trees[i], &new.trees[i]))
        .collect();
    let trees_added: Vec<usize> = (common..new.trees.len()).collect();
    let trees_removed: Vec<usize> = (common..old.trees.len()).collect();
    let counts = Counts {
        header_fields_changed: header.len(),
        trees_old: old.trees.len(),
        trees_new: new.trees.len(),
        trees_added: trees_added.len(),
        trees_removed: trees_removed.len(),
        trees_changed: trees.len(),
        nodes_changed: trees.iter().map(|t| t.nodes.len()).sum(),
        thresholds_changed: trees
            .iter()
            .flat_map(|t| &t.nodes)
            .filter(|n| n.threshold.is_some())
            .count(),
        leaves_changed: trees.iter().map(|t| t.leaves.len()).sum(),
    };
    let identical = header.is_empty() && trees.is_empty() && old.trees.len() == new.trees.len();
    ModelDiff {
        identical,
        old: side(old, old_path),
        new: side(new, new_path),
        counts,
        header,
        trees_added,
        trees_removed,
        trees,
        predictions: predictions(old, new, opts),
    }
}

fn side(e: &Ensemble, path: &str) -> Side {
    Side {
        path: path.to_string(),
        format: e.source.format.clone(),
        framework_version: e.source.framework_version.clone(),
        objective: e.source.objective.clone(),
        sha256: e.source.sha256.clone(),
        trees: e.trees.len(),
        nodes: e.n_nodes(),
    }
}

fn change(field: &str, old: impl ToString, new: impl ToString) -> FieldChange {
    FieldChange {
        field: field.to_string(),
        old: old.to_string(),
        new: new.to_string(),
    }
}

fn snake<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::from("?"),
    }
}

fn floats(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| num_text(*x)).collect();
    format!("[{}]", items.join(", "))
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn header_changes(old: &Ensemble, new: &Ensemble) -> Vec<FieldChange> {
    let mut h = Vec::new();
    if old.source.objective != new.source.objective {
        h.push(change(
            "objective",
            &old.source.objective,
            &new.source.objective,
        ));
    }
    if old.post_transform != new.post_transform {
        h.push(change(
            "post_transform",
            snake(&old.post_transform),
            snake(&new.post_transform),
        ));
    }
    if old.aggregation != new.aggregation {
        h.push(change(
            "aggregation",
            snake(&old.aggregation),
            snake(&new.aggregation),
        ));
    }
    if old.accumulator != new.accumulator {
        h.push(change(
            "accumulator",
            old.accumulator.name(),
            new.accumulator.name(),
        ));
    }
    if !same_bits(&old.base_score, &new.base_score) {
        h.push(change(
            "base_score",
            floats(&old.base_score),
            floats(&new.base_score),
        ));
    }
    if old.n_features != new.n_features {
        h.push(change("n_features", old.n_features, new.n_features));
    }
    if old.n_groups != new.n_groups {
        h.push(change("n_groups", old.n_groups, new.n_groups));
    }
    if old.n_outputs() != new.n_outputs() {
        h.push(change("n_outputs", old.n_outputs(), new.n_outputs()));
    }
    if old.feature_names != new.feature_names {
        h.push(change(
            "feature_names",
            format!("{:?}", old.feature_names),
            format!("{:?}", new.feature_names),
        ));
    }
    h
}

fn kind(n: Option<&Node>) -> &'static str {
    match n {
        Some(Node::Split(_)) => "split",
        Some(Node::Leaf(_)) => "leaf",
        None => "absent",
    }
}

fn tree_change(i: usize, old: &crate::ir::Tree, new: &crate::ir::Tree) -> Option<TreeChange> {
    let mut fields = Vec::new();
    if old.source_id != new.source_id {
        fields.push(change("source_id", old.source_id, new.source_id));
    }
    if old.group != new.group {
        fields.push(change("group", old.group, new.group));
    }
    if old.nodes.len() != new.nodes.len() {
        fields.push(change("nodes", old.nodes.len(), new.nodes.len()));
    }
    let mut nodes = Vec::new();
    let mut leaves = Vec::new();
    for k in 0..old.nodes.len().max(new.nodes.len()) {
        let (a, b) = (old.nodes.get(k), new.nodes.get(k));
        let mut nc = NodeChange {
            node: k,
            old_source_id: a.map(Node::source_id),
            new_source_id: b.map(Node::source_id),
            fields: Vec::new(),
            threshold: None,
        };
        match (a, b) {
            (Some(Node::Split(x)), Some(Node::Split(y))) => {
                if x.feature != y.feature {
                    nc.fields.push(change("feature", x.feature, y.feature));
                }
                if x.threshold.to_bits() != y.threshold.to_bits() {
                    nc.fields
                        .push(change("threshold", x.threshold, y.threshold));
                    nc.threshold = Some(ValueChange::new(
                        f64::from(x.threshold),
                        f64::from(y.threshold),
                    ));
                }
                if x.op != y.op {
                    nc.fields.push(change("op", snake(&x.op), snake(&y.op)));
                }
                if x.missing != y.missing {
                    nc.fields
                        .push(change("missing", snake(&x.missing), snake(&y.missing)));
                }
                if x.left != y.left {
                    nc.fields.push(change("left", x.left, y.left));
                }
                if x.right != y.right {
                    nc.fields.push(change("right", x.right, y.right));
                }
                if x.source_id != y.source_id {
                    nc.fields
                        .push(change("source_id", x.source_id, y.source_id));
                }
            }
            (Some(Node::Leaf(x)), Some(Node::Leaf(y))) => {
                if x.source_id != y.source_id {
                    nc.fields
                        .push(change("source_id", x.source_id, y.source_id));
                }
                if !same_bits(&x.values, &y.values) {
                    let values: Vec<ValueChange> = if x.values.len() == y.values.len() {
                        x.values
                            .iter()
                            .zip(&y.values)
                            .map(|(o, n)| ValueChange::new(*o, *n))
                            .collect()
                    } else {
                        nc.fields
                            .push(change("values", floats(&x.values), floats(&y.values)));
                        Vec::new()
                    };
                    if !values.is_empty() {
                        let largest = values.iter().map(|v| v.delta.abs()).fold(0.0, f64::max);
                        leaves.push(LeafChange {
                            node: k,
                            source_id: y.source_id,
                            values,
                            largest_abs_change: largest,
                        });
                    }
                }
            }
            _ => nc.fields.push(change("kind", kind(a), kind(b))),
        }
        if !nc.fields.is_empty() {
            nodes.push(nc);
        }
    }
    if fields.is_empty() && nodes.is_empty() && leaves.is_empty() {
        return None;
    }
    // Largest leaf change; ties go to the lowest node (deterministic).
    let mut largest: Option<(f64, usize)> = None;
    for l in &leaves {
        if largest.is_none_or(|(d, _)| l.largest_abs_change > d) {
            largest = Some((l.largest_abs_change, l.node));
        }
    }
    Some(TreeChange {
        tree: i,
        old_source_id: old.source_id,
        new_source_id: new.source_id,
        fields,
        nodes,
        leaves,
        largest_leaf_change: largest.map(|l| l.0),
        largest_leaf_change_node: largest.map(|l| l.1),
    })
}

/// The row set both models are evaluated on: `generate(old)` then
/// `generate(new)` with the same options, duplicate rows (same bits) kept
/// once, first occurrence first. Empty when the feature counts differ.
pub fn prediction_rows(old: &Ensemble, new: &Ensemble, opts: &VectorOptions) -> Vec<Vec<f32>> {
    if old.n_features != new.n_features {
        return Vec::new();
    }
    let mut seen: HashSet<Vec<u32>> = HashSet::new();
    let mut rows = Vec::new();
    for r in generate(old, opts)
        .rows
        .into_iter()
        .chain(generate(new, opts).rows)
    {
        if seen.insert(r.iter().map(|v| v.to_bits()).collect()) {
            rows.push(r);
        }
    }
    rows
}

/// How a model's outputs name a class, if it is a classifier: softmax ->
/// argmax; multi:softmax -> the output itself; one-output sigmoid or hinge
/// -> output > 0.5.
pub fn class_rule(e: &Ensemble) -> Option<&'static str> {
    match e.post_transform {
        PostTransform::Softmax | PostTransform::SoftmaxF32 => Some("argmax"),
        PostTransform::ArgMax => Some("class index"),
        PostTransform::Sigmoid | PostTransform::Hinge | PostTransform::SymmetricSigmoid
            if e.n_outputs() == 1 =>
        {
            Some("threshold 0.5")
        }
        _ => None,
    }
}

/// The predicted class of one row's outputs under `rule`.
pub fn class_of(rule: &str, out: &[f32]) -> u32 {
    match rule {
        "argmax" => mathfn::argmax(out) as u32,
        "class index" => out.first().map_or(0, |v| *v as u32),
        _ => u32::from(out.first().is_some_and(|v| *v > 0.5)),
    }
}

fn predictions(old: &Ensemble, new: &Ensemble, opts: &VectorOptions) -> PredictionDiff {
    let mut p = PredictionDiff {
        seed: opts.seed,
        random_rows: opts.random_rows,
        ..Default::default()
    };
    if old.n_features != new.n_features {
        p.reason = Some(format!(
            "feature counts differ ({} -> {}): predictions not compared",
            old.n_features, new.n_features
        ));
        return p;
    }
    p.compared = true;
    let rows = prediction_rows(old, new, opts);
    p.rows = rows.len();
    let rules = (class_rule(old), class_rule(new));
    if let (Some(a), Some(b)) = rules {
        p.class_rule = Some(if a == b {
            a.to_string()
        } else {
            format!("{a} -> {b}")
        });
        p.class_changes = Some(0);
    }
    for (row, r) in rows.iter().enumerate() {
        let a = crate::ir::evaluate(old, r);
        let b = crate::ir::evaluate(new, r);
        let mut changed = a.len() != b.len();
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            if x.to_bits() == y.to_bits() {
                continue;
            }
            changed = true;
            let d = mathfn::ulp_distance(*x, *y);
            let c = OutputChange {
                row,
                output: k,
                old: *x,
                new: *y,
                old_bits: format!("0x{:08x}", x.to_bits()),
                new_bits: format!("0x{:08x}", y.to_bits()),
                abs_change: (x.is_nan() == y.is_nan())
                    .then(|| (f64::from(*y) - f64::from(*x)).abs())
                    .filter(|v| !v.is_nan()),
                ulps: (d != u32::MAX).then_some(d),
            };
            if let Some(v) = c.abs_change {
                if p.largest_abs_change
                    .as_ref()
                    .is_none_or(|m| m.abs_change.is_none_or(|w| v > w))
                {
                    p.largest_abs_change = Some(c.clone());
                }
            }
            if let Some(u) = c.ulps {
                if p.largest_ulp_change
                    .as_ref()
                    .is_none_or(|m| m.ulps.is_none_or(|w| u > w))
                {
                    p.largest_ulp_change = Some(c.clone());
                }
            }
            p.outputs_changed += 1;
            p.changes.push(c);
        }
        if changed {
            p.rows_changed += 1;
        }
        if let (Some(ra), Some(rb)) = rules {
            let (ca, cb) = (class_of(ra, &a), class_of(rb, &b));
            if ca != cb {
                p.class_changed_rows.push(ClassChange {
                    row,
                    old: ca,
                    new: cb,
                });
            }
        }
    }
    if p.class_changes.is_some() {
        p.class_changes = Some(p.class_changed_rows.len());
    }
    p
}

/// The report as pretty JSON (everything, deterministic order).
pub fn render_json(d: &ModelDiff) -> String {
    let mut s = serde_json::to_string_pretty(d)
        .unwrap_or_else(|e| unreachable!("the diff always serialises: {e}"));
    s.push('\n');
    s
}

/// A float difference, printed as float32 when it is one exactly (the
/// shortest form that reads back), else as f64.
fn num(x: f64) -> String {
    let f = x as f32;
    if f64::from(f) == x {
        format!("{f}")
    } else {
        format!("{x}")
    }
}

fn signed(x: f64) -> String {
    if x >= 0.0 {
        format!("+{}", num(x))
    } else {
        num(x)
    }
}

fn value_change_text(v: &ValueChange) -> String {
    let ulps = v.ulps.map(|u| format!(", {u} ulp")).unwrap_or_default();
    format!(
        "{} -> {} (delta {}{ulps})",
        num_text(v.old),
        num_text(v.new),
        signed(v.delta)
    )
}

fn positions(v: &[usize]) -> String {
    match (v.first(), v.last()) {
        (Some(a), Some(b)) if a == b => format!("position {a}"),
        (Some(a), Some(b)) => format!("positions {a}..={b}"),
        _ => String::new(),
    }
}

/// A model change for the "largest changes" list: structural changes first
/// (they have no size), then by absolute delta, then tree and node.
struct Ranked {
    size: f64,
    tree: usize,
    node: usize,
    text: String,
}

/// The human-readable report: summary counts first, then the largest
/// changes of the model and of its predictions.
pub fn render_text(d: &ModelDiff) -> String {
    let mut s = String::new();
    for (label, side) in [("old", &d.old), ("new", &d.new)] {
        let _ = writeln!(
            s,
            "{label}: {} ({}, {}, {} trees, {} nodes, sha256 {})",
            side.path,
            side.format,
            side.objective,
            side.trees,
            side.nodes,
            side.sha256.get(..12).unwrap_or(&side.sha256)
        );
    }
    let c = &d.counts;
    let p = &d.predictions;
    if d.identical {
        let _ = writeln!(
            s,
            "identical: same header, {} trees, {} nodes; predictions equal on all {} rows{}",
            c.trees_old,
            d.old.nodes,
            p.rows,
            if d.old.sha256 != d.new.sha256 {
                " (the files differ, the models do not)"
            } else {
                ""
            }
        );
        return s;
    }
    let _ = writeln!(s, "summary: the models differ");
    let _ = writeln!(s, "  header: {} field(s) changed", c.header_fields_changed);
    let _ = writeln!(
        s,
        "  trees: {} -> {}: {} added, {} removed, {} changed",
        c.trees_old, c.trees_new, c.trees_added, c.trees_removed, c.trees_changed
    );
    let _ = writeln!(
        s,
        "  nodes: {} changed ({} threshold(s)); leaves: {} changed",
        c.nodes_changed, c.thresholds_changed, c.leaves_changed
    );
    if p.compared {
        let mut line = format!(
            "  predictions: {} of {} rows change an output bit ({} outputs)",
            p.rows_changed, p.rows, p.outputs_changed
        );
        if let Some(m) = &p.largest_abs_change {
            let _ = write!(
                line,
                "; largest change {} (row {}, output {})",
                num(m.abs_change.unwrap_or(f64::INFINITY)),
                m.row,
                m.output
            );
        }
        if let Some(m) = &p.largest_ulp_change {
            let _ = write!(
                line,
                "; largest {} ulp (row {}, output {})",
                m.ulps.unwrap_or(u32::MAX),
                m.row,
                m.output
            );
        }
        if let (Some(n), Some(rule)) = (p.class_changes, &p.class_rule) {
            let _ = write!(
                line,
                "; {n} row{} change{} the predicted class ({rule})",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" }
            );
        }
        let _ = writeln!(s, "{line}");
    } else if let Some(r) = &p.reason {
        let _ = writeln!(s, "  predictions: {r}");
    }
    if !d.header.is_empty() {
        let _ = writeln!(s, "header:");
        for h in &d.header {
            let _ = writeln!(s, "  {}: {} -> {}", h.field, h.old, h.new);
        }
    }
    if !d.trees_added.is_empty() {
        let _ = writeln!(s, "trees added at {}", positions(&d.trees_added));
    }
    if !d.trees_removed.is_empty() {
        let _ = writeln!(s, "trees removed at {}", positions(&d.trees_removed));
    }
    let mut ranked: Vec<Ranked> = Vec::new();
    for t in &d.trees {
        for f in &t.fields {
            ranked.push(Ranked {
                size: f64::INFINITY,
                tree: t.tree,
                node: 0,
                text: format!("tree {}: {} {} -> {}", t.tree, f.field, f.old, f.new),
            });
        }
        for n in &t.nodes {
            let src = n
                .new_source_id
                .or(n.old_source_id)
                .map(|id| format!(" (source node {id})"))
                .unwrap_or_default();
            for f in &n.fields {
                let (size, what) = match (&n.threshold, f.field.as_str()) {
                    (Some(v), "threshold") => (v.delta.abs(), value_change_text(v)),
                    _ => (f64::INFINITY, format!("{} -> {}", f.old, f.new)),
                };
                ranked.push(Ranked {
                    size,
                    tree: t.tree,
                    node: n.node,
                    text: format!("tree {} node {}{src}: {} {what}", t.tree, n.node, f.field),
                });
            }
        }
        for l in &t.leaves {
            let vals: Vec<String> = l.values.iter().map(value_change_text).collect();
            ranked.push(Ranked {
                size: l.largest_abs_change,
                tree: t.tree,
                node: l.node,
                text: format!(
                    "tree {} node {} (source node {}): leaf {}",
                    t.tree,
                    l.node,
                    l.source_id,
                    vals.join("; ")
                ),
            });
        }
    }
    ranked.sort_by(|a, b| {
        b.size
            .total_cmp(&a.size)
            .then(a.tree.cmp(&b.tree))
            .then(a.node.cmp(&b.node))
    });
    if !ranked.is_empty() {
        let _ = writeln!(
            s,
            "largest model changes ({} of {}):",
            ranked.len().min(TOP),
            ranked.len()
        );
        for r in ranked.iter().take(TOP) {
            let _ = writeln!(s, "  {}", r.text);
        }
    }
    if !p.changes.is_empty() {
        let mut top: Vec<&OutputChange> = p.changes.iter().collect();
        top.sort_by(|a, b| {
            let size = |c: &OutputChange| c.abs_change.unwrap_or(f64::INFINITY);
            size(b)
                .total_cmp(&size(a))
                .then(a.row.cmp(&b.row))
                .then(a.output.cmp(&b.output))
        });
        let _ = writeln!(
            s,
            "largest prediction changes ({} of {}):",
            top.len().min(TOP),
            top.len()
        );
        for c in top.iter().take(TOP) {
            let ulps = c.ulps.map(|u| format!(", {u} ulp")).unwrap_or_default();
            let class = p
                .class_changed_rows
                .iter()
                .find(|k| k.row == c.row)
                .map(|k| format!(", class {} -> {}", k.old, k.new))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  row {} output {}: {} -> {} ({} -> {}{ulps}){class}",
                c.row, c.output, c.old, c.new, c.old_bits, c.new_bits
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{
        Aggregation, Leaf, MissingGoes, Source, Split, SplitOp, Tree, IR_SCHEMA_VERSION,
    };

    fn stump(t: f32, l: f32, r: f32) -> Tree {
        Tree {
            source_id: 0,
            group: 0,
            nodes: vec![
                Node::Split(Split {
                    source_id: 0,
                    feature: 0,
                    threshold: t,
                    op: SplitOp::Lt,
                    missing: MissingGoes::Left,
                    left: 1,
                    right: 2,
                }),
                Node::Leaf(Leaf {
                    source_id: 1,
                    values: vec![f64::from(l)],
                }),
                Node::Leaf(Leaf {
                    source_id: 2,
                    values: vec![f64::from(r)],
                }),
            ],
        }
    }

    fn model(trees: Vec<Tree>) -> Ensemble {
        Ensemble {
            schema_version: IR_SCHEMA_VERSION,
            source: Source {
                format: "test".into(),
                framework_version: None,
                objective: "binary:logistic".into(),
                sha256: "00".into(),
            },
            n_features: 2,
            feature_names: vec![],
            n_groups: 1,
            accumulator: crate::ir::Accumulator::F32,
            base_score: vec![0.0],
            aggregation: Aggregation::Sum,
            post_transform: PostTransform::Sigmoid,
            trees,
        }
    }

    #[test]
    fn a_model_is_identical_to_itself() {
        let m = model(vec![stump(0.5, -1.0, 1.0)]);
        let d = diff(&m, &m, "a", "a", &VectorOptions::default());
        assert!(d.identical);
        assert_eq!(d.predictions.rows_changed, 0);
        assert!(render_text(&d).contains("identical"));
    }

    #[test]
    fn threshold_leaf_and_tree_changes_are_reported_with_values() {
        let old = model(vec![stump(0.5, -1.0, 1.0)]);
        let new = model(vec![stump(0.75, -1.0, 1.5), stump(0.0, 0.1, 0.2)]);
        let d = diff(&old, &new, "a", "b", &VectorOptions::default());
        assert!(!d.identical);
        assert_eq!(d.trees_added, vec![1]);
        let t = &d.trees[0];
        let th = t.nodes[0].threshold.as_ref().expect("threshold change");
        assert_eq!((th.old, th.new, th.delta), (0.5, 0.75, 0.25));
        assert_eq!(t.leaves.len(), 1);
        assert_eq!(t.leaves[0].node, 2);
        assert_eq!(t.largest_leaf_change, Some(0.5));
        assert!(d.predictions.rows_changed > 0);
        assert_eq!(d.predictions.class_rule.as_deref(), Some("threshold 0.5"));
        let text = render_text(&d);
        assert!(
            text.contains("tree 0 node 0 (source node 0): threshold 0.5 -> 0.75 (delta +0.25"),
            "{text}"
        );
        assert!(text.contains("leaf 1 -> 1.5 (delta +0.5"), "{text}");
        assert!(text.contains("trees added at position 1"), "{text}");
    }
}
