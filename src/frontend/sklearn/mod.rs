//! scikit-learn frontend: tree ensembles saved with `pickle` or `joblib`.
//!
//! The file is read by the restricted [pickle reader](super::pickle), which
//! refuses any global outside its whitelist and never runs anything; this
//! module interprets the recorded estimator state the way scikit-learn's
//! `predict` / `predict_proba` use it:
//! - `DecisionTree*` / `ExtraTree*`: one tree; a classifier's leaf gives its
//!   class proportions (the stored values divided by their sum), a
//!   regressor's leaf its value;
//! - `RandomForest*` / `ExtraTrees*`: those per-tree values summed in tree
//!   order and divided by the tree count ([`Aggregation::Average`]);
//! - `GradientBoosting*`: the init estimator's prediction turned into the
//!   raw baseline by the loss link (`DummyRegressor` constant, `DummyClassifier`
//!   priors through logit / multinomial logit, or `'zero'`), plus
//!   `learning_rate * value` of every tree; sigmoid (binary), softmax
//!   (multiclass), identity (regression);
//! - `HistGradientBoosting*`: `_baseline_prediction` plus the predictors'
//!   leaf values (shrinkage already applied); the loss's inverse link
//!   (identity, exp for poisson/gamma, sigmoid, softmax).
//!
//! Outputs: `predict` for regressors; `predict_proba` for classifiers, all
//! classes for single trees and forests, and for boosting the positive
//! class's probability when binary (one output) or all classes.
//!
//! Splits are `(double)x <= threshold` with NaN following
//! `missing_go_to_left` ([`lower`]). Values are kept in double until
//! [`lower::ir_value`], the single place they become IR values.
//!
//! Refused with an error naming the field: multi-output models, categorical
//! splits of histogram gradient boosting, init estimators other than the
//! dummy ones, losses without an IR link, trees pickled by scikit-learn
//! before 1.3 (no `missing_go_to_left`), and anything malformed.

pub mod lower;
pub mod numeric;

use super::pickle::{self, ndarray, Global, Heap, Value};
use super::{Format, FrontendError};
use crate::ir::{Aggregation, Ensemble, PostTransform, Source, Tree, IR_SCHEMA_VERSION};
use lower::{ir_value, lower_tree, SrcNode};
use std::path::Path;

/// Most IR nodes one model may lower to: the process's
/// [`super::read::max_model_nodes`] (default
/// [`super::read::DEFAULT_MAX_MODEL_NODES`], `--max-nodes` raises it). A
/// pickle's memo lets a small file name one large tree many times; every
/// reference is lowered anew, so the cap is on the expanded model.
fn max_total_ir_nodes() -> usize {
    usize::try_from(super::read::max_model_nodes()).unwrap_or(usize::MAX)
}

/// Oldest scikit-learn whose trees record `missing_go_to_left`.
const MIN_VERSION: (u32, u32) = (1, 3);

/// Read a scikit-learn estimator from a pickle or joblib file.
pub fn from_pickle_bytes(path: &Path, bytes: &[u8]) -> Result<Ensemble, FrontendError> {
    let loaded = pickle::load(bytes).map_err(|e| FrontendError::Syntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let cx = Cx {
        path,
        heap: &loaded.heap,
        nodes_used: std::cell::Cell::new(0),
    };
    let est = cx.object(loaded.root, "")?;
    let version = est.string("_sklearn_version")?;
    check_version(&cx, &version)?;
    let n_features = u32::try_from(est.int("n_features_in_")?)
        .ok()
        .filter(|&n| n > 0 && n <= 1_000_000)
        .ok_or_else(|| cx.err("n_features_in_", "outside 1..=1000000"))?;
    let feature_names = match est.opt("feature_names_in_") {
        Some(v) => ndarray::str_array(cx.heap, v)
            .filter(|n| n.len() == n_features as usize)
            .ok_or_else(|| {
                cx.err(
                    "feature_names_in_",
                    "not an array of n_features_in_ strings",
                )
            })?,
        None => Vec::new(),
    };
    let model = match est.class {
        Global::DecisionTreeClassifier | Global::ExtraTreeClassifier => single_tree(&est, true)?,
        Global::DecisionTreeRegressor | Global::ExtraTreeRegressor => single_tree(&est, false)?,
        Global::RandomForestClassifier | Global::ExtraTreesClassifier => forest(&est, true)?,
        Global::RandomForestRegressor | Global::ExtraTreesRegressor => forest(&est, false)?,
        Global::GradientBoostingClassifier | Global::GradientBoostingRegressor => {
            gradient_boosting(&est)?
        }
        Global::HistGradientBoostingClassifier | Global::HistGradientBoostingRegressor => {
            hist_gradient_boosting(&est)?
        }
        other => {
            return Err(cx.err(
                "",
                format!("{other} is not a tree-ensemble estimator timber reads"),
            ))
        }
    };
    for t in &model.trees {
        for n in &t.nodes {
            if let crate::ir::Node::Split(s) = n {
                if s.feature >= n_features {
                    return Err(cx.err(
                        "n_features_in_",
                        format!(
                            "tree {} splits on feature {} of {n_features}",
                            t.source_id, s.feature
                        ),
                    ));
                }
            }
        }
    }
    let (_, class_name) = est.class.path();
    let objective = match &model.loss {
        Some(l) => format!("{class_name}(loss={l})"),
        None => class_name.to_string(),
    };
    Ok(Ensemble {
        schema_version: IR_SCHEMA_VERSION,
        source: Source {
            format: Format::SklearnPickle.id().to_string(),
            framework_version: Some(format!("scikit-learn {version}")),
            objective,
            sha256: super::sha256_hex(bytes),
        },
        n_features,
        feature_names,
        n_groups: model.n_groups,
        // scikit-learn sums and averages in double.
        accumulator: crate::ir::Accumulator::F64,
        base_score: model.base.iter().map(|v| ir_value(*v)).collect(),
        aggregation: model.aggregation,
        post_transform: model.post,
        trees: model.trees,
    })
}

fn check_version(cx: &Cx, version: &str) -> Result<(), FrontendError> {
    let mut parts = version.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .ok()
    });
    let (Some(Some(major)), Some(Some(minor))) = (parts.next(), parts.next()) else {
        return Err(cx.err("_sklearn_version", format!("`{version}` is not a version")));
    };
    if (major, minor) < MIN_VERSION || major >= 2 {
        return Err(cx.err(
            "_sklearn_version",
            format!(
                "saved by scikit-learn {version}; timber reads models of scikit-learn 1.3 to 1.x \
                 (older trees lack missing_go_to_left)"
            ),
        ));
    }
    Ok(())
}

/// What an estimator lowers to, before the common fields are added.
struct Model {
    n_groups: u32,
    /// Raw baseline per group, in double.
    base: Vec<f64>,
    aggregation: Aggregation,
    post: PostTransform,
    trees: Vec<Tree>,
    loss: Option<String>,
}

struct Cx<'a> {
    path: &'a Path,
    heap: &'a Heap,
    /// IR nodes made so far (see [`max_total_ir_nodes`]).
    nodes_used: std::cell::Cell<usize>,
}

/// An estimator or helper object: its class and state dict.
struct ObjView<'a> {
    cx: &'a Cx<'a>,
    class: Global,
    state: Value,
    /// Where this object sits in the model, for messages (`estimators_[3]`).
    at: String,
}

impl<'a> Cx<'a> {
    fn err(&self, field: &str, message: impl Into<String>) -> FrontendError {
        FrontendError::Field {
            path: self.path.to_path_buf(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// `v` as an object built by `NEWOBJ`/`REDUCE` + `BUILD` with a dict
    /// state (estimators, `Tree`, `TreePredictor`, loss objects).
    fn object(&'a self, v: Value, at: &str) -> Result<ObjView<'a>, FrontendError> {
        let (class, args, state) = self
            .heap
            .call(v)
            .ok_or_else(|| self.err(at, "expected a scikit-learn object"))?;
        let (class, state) = if class == Global::Reconstructor {
            match args.first() {
                Some(Value::Global(c)) => (*c, state),
                _ => return Err(self.err(at, "malformed copyreg._reconstructor")),
            }
        } else {
            (class, state)
        };
        let state = state
            .filter(|s| self.heap.dict(*s).is_some())
            .ok_or_else(|| self.err(at, format!("{class} has no attribute dict")))?;
        Ok(ObjView {
            cx: self,
            class,
            state,
            at: at.to_string(),
        })
    }
}

impl<'a> ObjView<'a> {
    fn field(&self, key: &str) -> String {
        if self.at.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.at)
        }
    }

    fn err(&self, key: &str, message: impl Into<String>) -> FrontendError {
        self.cx.err(&self.field(key), message)
    }

    fn opt(&self, key: &str) -> Option<Value> {
        self.cx
            .heap
            .dict_get(self.state, key)
            .filter(|v| *v != Value::None)
    }

    fn get(&self, key: &str) -> Result<Value, FrontendError> {
        self.opt(key)
            .ok_or_else(|| self.err(key, format!("missing from the {}", self.class)))
    }

    fn num(&self, key: &str) -> Result<f64, FrontendError> {
        ndarray::number(self.cx.heap, self.get(key)?).ok_or_else(|| self.err(key, "not a number"))
    }

    fn int(&self, key: &str) -> Result<i64, FrontendError> {
        match self.get(key)? {
            Value::Int(i) => Ok(i),
            v => ndarray::number(self.cx.heap, v)
                .filter(|f| f.fract() == 0.0)
                .map(|f| f as i64)
                .ok_or_else(|| self.err(key, "not an integer")),
        }
    }

    fn string(&self, key: &str) -> Result<String, FrontendError> {
        self.cx
            .heap
            .str(self.get(key)?)
            .map(str::to_string)
            .ok_or_else(|| self.err(key, "not a string"))
    }

    fn array(&self, key: &str) -> Result<ndarray::NdArray, FrontendError> {
        ndarray::array(self.cx.heap, self.get(key)?).map_err(|m| self.err(key, m))
    }

    fn child(&self, key: &str) -> Result<ObjView<'a>, FrontendError> {
        self.cx.object(self.get(key)?, &self.field(key))
    }

    /// `n_outputs_` must be 1: multi-output estimators are refused.
    fn single_output(&self) -> Result<(), FrontendError> {
        match self.opt("n_outputs_") {
            None => Ok(()),
            Some(_) => {
                let n = self.int("n_outputs_")?;
                if n == 1 {
                    Ok(())
                } else {
                    Err(self.err(
                        "n_outputs_",
                        format!("multi-output models ({n} outputs) are not supported"),
                    ))
                }
            }
        }
    }
}

/// A decoded `sklearn.tree._tree.Tree`.
struct SkTree {
    n_classes: usize,
    /// Per node: children, feature, threshold, missing direction.
    nodes: Vec<(i64, i64, i64, f64, bool)>,
    /// `values[node]`: the first output's row (class weights or the value).
    values: Vec<Vec<f64>>,
}

/// Decode the `tree_` of a decision-tree estimator.
fn decode_tree(est: &ObjView) -> Result<SkTree, FrontendError> {
    est.single_output()?;
    let heap = est.cx.heap;
    let tv = est.get("tree_")?;
    let at = est.field("tree_");
    let (class, args, _) = heap
        .call(tv)
        .ok_or_else(|| est.cx.err(&at, "not a sklearn.tree._tree.Tree"))?;
    if class != Global::Tree {
        return Err(est
            .cx
            .err(&at, format!("{class} is not sklearn.tree._tree.Tree")));
    }
    let tree = est.cx.object(tv, &at)?;
    let [_, classes_v, Value::Int(n_outputs)] = args else {
        return Err(est.cx.err(
            &at,
            "Tree arguments are not (n_features, n_classes, n_outputs)",
        ));
    };
    if *n_outputs != 1 {
        return Err(est.cx.err(
            &at,
            format!("multi-output trees ({n_outputs} outputs) are not supported"),
        ));
    }
    let n_classes = ndarray::array(heap, *classes_v)
        .ok()
        .and_then(|a| a.i64_at(&[0]))
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| (1..=65_536).contains(&n))
        .ok_or_else(|| est.cx.err(&at, "n_classes is not a positive class count"))?;
    let node_count =
        usize::try_from(tree.int("node_count")?).map_err(|_| tree.err("node_count", "negative"))?;
    let nodes = tree.array("nodes")?;
    let values = tree.array("values")?;
    if nodes.shape != [node_count] || node_count == 0 {
        return Err(tree.err(
            "nodes",
            format!("shape {:?} for node_count {node_count}", nodes.shape),
        ));
    }
    let field = |name: &str| {
        nodes.field(name).cloned().ok_or_else(|| {
            if name == "missing_go_to_left" {
                tree.err(
                    "nodes",
                    "no missing_go_to_left field: trees from scikit-learn < 1.3 are not supported",
                )
            } else {
                tree.err("nodes", format!("structured dtype has no `{name}` field"))
            }
        })
    };
    let (fl, fr, ff, ft, fm) = (
        field("left_child")?,
        field("right_child")?,
        field("feature")?,
        field("threshold")?,
        field("missing_go_to_left")?,
    );
    if values.shape.len() != 3
        || values.shape[0] != node_count
        || values.shape[1] != 1
        || values.shape[2] < n_classes
    {
        return Err(tree.err(
            "values",
            format!(
                "shape {:?}, expected ({node_count}, 1, >= {n_classes})",
                values.shape
            ),
        ));
    }
    let bad = |what: &str, i: usize| tree.err("nodes", format!("node {i}: {what} unreadable"));
    let mut out_nodes = Vec::with_capacity(node_count);
    let mut out_values = Vec::with_capacity(node_count);
    for i in 0..node_count {
        out_nodes.push((
            nodes
                .record_i64(i, &fl)
                .ok_or_else(|| bad("left_child", i))?,
            nodes
                .record_i64(i, &fr)
                .ok_or_else(|| bad("right_child", i))?,
            nodes.record_i64(i, &ff).ok_or_else(|| bad("feature", i))?,
            nodes
                .record_f64(i, &ft)
                .ok_or_else(|| bad("threshold", i))?,
            nodes
                .record_i64(i, &fm)
                .ok_or_else(|| bad("missing_go_to_left", i))?
                != 0,
        ));
        let row: Option<Vec<f64>> = (0..n_classes).map(|c| values.f64_at(&[i, 0, c])).collect();
        out_values.push(row.ok_or_else(|| tree.err("values", format!("node {i} unreadable")))?);
    }
    Ok(SkTree {
        n_classes,
        nodes: out_nodes,
        values: out_values,
    })
}

/// A decoded tree as source nodes, leaves valued by `leaf`.
fn src_nodes(
    est: &ObjView,
    t: &SkTree,
    leaf: impl Fn(&[f64]) -> Vec<f64>,
) -> Result<Vec<SrcNode>, FrontendError> {
    t.nodes
        .iter()
        .zip(&t.values)
        .enumerate()
        .map(|(i, (&(l, r, f, thr, ml), v))| {
            // TREE_LEAF = -1 marks a leaf.
            if l == -1 {
                return Ok(SrcNode::Leaf(leaf(v)));
            }
            let child = |c: i64| {
                usize::try_from(c)
                    .map_err(|_| est.err("tree_.nodes", format!("node {i}: child {c}")))
            };
            Ok(SrcNode::Split {
                feature: u32::try_from(f)
                    .map_err(|_| est.err("tree_.nodes", format!("node {i}: feature {f}")))?,
                threshold: thr,
                missing_left: ml,
                left: child(l)?,
                right: child(r)?,
            })
        })
        .collect()
}

fn lower(est: &ObjView, nodes: &[SrcNode], id: u32, group: u32) -> Result<Tree, FrontendError> {
    lower_counted(est, "tree_", nodes, id, group)
}

/// Lower one tree, counting its nodes against the model's cap: refused
/// before the work when the source nodes alone pass it, and after when
/// the lowered tree does (errors name `field` of `view`).
fn lower_counted(
    view: &ObjView,
    field: &str,
    nodes: &[SrcNode],
    id: u32,
    group: u32,
) -> Result<Tree, FrontendError> {
    check_budget(view, view.cx.nodes_used.get().saturating_add(nodes.len()))?;
    let tree = lower_tree(nodes, id, group).map_err(|m| view.err(field, m))?;
    let used = view.cx.nodes_used.get() + tree.nodes.len();
    view.cx.nodes_used.set(used);
    check_budget(view, used)?;
    Ok(tree)
}

/// Refuse a model whose trees, expanded, need more than the node cap.
fn check_budget(est: &ObjView, used: usize) -> Result<(), FrontendError> {
    let cap = max_total_ir_nodes();
    if used > cap {
        return Err(est.err(
            "",
            format!(
                "the model expands to more than {cap} nodes (every reference to a shared tree counts); \
                 raise the cap with --max-nodes N if the model is meant to be that large"
            ),
        ));
    }
    Ok(())
}

fn single_tree(est: &ObjView, classifier: bool) -> Result<Model, FrontendError> {
    let t = decode_tree(est)?;
    let (n_groups, nodes) = if classifier {
        (t.n_classes, src_nodes(est, &t, numeric::normalise)?)
    } else {
        (1, src_nodes(est, &t, |v| vec![v[0]])?)
    };
    Ok(Model {
        n_groups: n_groups as u32,
        base: vec![0.0; n_groups],
        aggregation: Aggregation::Sum,
        post: PostTransform::Identity,
        trees: vec![lower(est, &nodes, 0, 0)?],
        loss: None,
    })
}

fn forest(est: &ObjView, classifier: bool) -> Result<Model, FrontendError> {
    est.single_output()?;
    let heap = est.cx.heap;
    let list = heap
        .seq(est.get("estimators_")?)
        .ok_or_else(|| est.err("estimators_", "not a list"))?;
    if list.is_empty() {
        return Err(est.err("estimators_", "the forest has no trees"));
    }
    let mut trees = Vec::with_capacity(list.len());
    let mut n_groups = None;
    for (i, v) in list.iter().enumerate() {
        let sub = est.cx.object(*v, &format!("estimators_[{i}]"))?;
        let ok = match sub.class {
            Global::DecisionTreeClassifier | Global::ExtraTreeClassifier => classifier,
            Global::DecisionTreeRegressor | Global::ExtraTreeRegressor => !classifier,
            _ => false,
        };
        if !ok {
            return Err(sub.err("", format!("{} in a {}", sub.class, est.class)));
        }
        let t = decode_tree(&sub)?;
        let (k, nodes) = if classifier {
            (t.n_classes, src_nodes(&sub, &t, numeric::normalise)?)
        } else {
            (1, src_nodes(&sub, &t, |v| vec![v[0]])?)
        };
        if *n_groups.get_or_insert(k) != k {
            return Err(sub.err("tree_", "trees disagree on the number of classes"));
        }
        let id = u32::try_from(i).map_err(|_| est.err("estimators_", "too many trees"))?;
        trees.push(lower(&sub, &nodes, id, 0)?);
    }
    let n_groups = n_groups.unwrap_or(1);
    Ok(Model {
        n_groups: n_groups as u32,
        base: vec![0.0; n_groups],
        aggregation: Aggregation::Average,
        post: PostTransform::Identity,
        trees,
        loss: None,
    })
}

/// The link of a fitted loss object (`_loss`), as the IR post transform,
/// plus the factor folded into margins (2 for the exponential loss, whose
/// probability is `expit(2 raw)`), and whether it is one of the gradient
/// boosting losses of scikit-learn 1.1 to 1.3 (`_gb_losses`), whose init
/// baseline is computed differently.
fn loss_link(est: &ObjView) -> Result<(PostTransform, f64, bool), FrontendError> {
    let loss = est.child("_loss")?;
    Ok(match loss.class {
        Global::HalfSquaredError
        | Global::AbsoluteError
        | Global::PinballLoss
        | Global::HuberLoss => (PostTransform::Identity, 1.0, false),
        Global::HalfPoissonLoss | Global::HalfGammaLoss => (PostTransform::Exp, 1.0, false),
        Global::HalfBinomialLoss => (PostTransform::Sigmoid, 1.0, false),
        Global::ExponentialLoss => (PostTransform::Sigmoid, 2.0, false),
        Global::HalfMultinomialLoss => (PostTransform::Softmax, 1.0, false),
        Global::GbLeastSquaresError
        | Global::GbLeastAbsoluteError
        | Global::GbHuberLossFunction
        | Global::GbQuantileLossFunction => (PostTransform::Identity, 1.0, true),
        Global::GbBinomialDeviance => (PostTransform::Sigmoid, 1.0, true),
        Global::GbExponentialLoss => (PostTransform::Sigmoid, 2.0, true),
        Global::GbMultinomialDeviance => (PostTransform::Softmax, 1.0, true),
        other => return Err(est.err("_loss", format!("{other} has no IR link"))),
    })
}

/// A numpy array of Python objects: its shape and items (C order).
fn object_array(est: &ObjView, key: &str) -> Result<(Vec<usize>, Vec<Value>), FrontendError> {
    let heap = est.cx.heap;
    let v = est.get(key)?;
    let bad = || est.err(key, "not a numpy array of estimators");
    let (callable, _, state) = heap.call(v).ok_or_else(bad)?;
    if !matches!(callable, Global::Reconstruct | Global::Reconstruct2) {
        return Err(bad());
    }
    let st = state.and_then(|s| heap.tuple(s)).ok_or_else(bad)?;
    let [_, shape_v, dtype_v, fortran_v, items_v] = st else {
        return Err(bad());
    };
    if !matches!(ndarray::dtype(heap, *dtype_v), Ok(ndarray::Dtype::Object)) {
        return Err(bad());
    }
    let shape = ndarray::shape(heap, *shape_v).map_err(|m| est.err(key, m))?;
    let items = heap.seq(*items_v).ok_or_else(bad)?.to_vec();
    if items.len() != shape.iter().product::<usize>() || shape.len() != 2 {
        return Err(est.err(key, format!("{} items for shape {shape:?}", items.len())));
    }
    if matches!(fortran_v, Value::Bool(true)) {
        // Fortran order: reorder to C order (stage-major).
        let (n, k) = (shape[0], shape[1]);
        let mut c = Vec::with_capacity(items.len());
        for i in 0..n {
            for j in 0..k {
                c.push(items[j * n + i]);
            }
        }
        return Ok((shape, c));
    }
    Ok((shape, items))
}

fn gradient_boosting(est: &ObjView) -> Result<Model, FrontendError> {
    let heap = est.cx.heap;
    let classifier = est.class == Global::GradientBoostingClassifier;
    let (post, scale, legacy_loss) = loss_link(est)?;
    let loss_name = est.string("loss")?;
    let lr = est.num("learning_rate")?;
    let (shape, items) = object_array(est, "estimators_")?;
    let (n_stages, k) = (shape[0], shape[1]);
    if n_stages == 0 || k == 0 {
        return Err(est.err("estimators_", "no trees"));
    }
    let multiclass = post == PostTransform::Softmax;
    if multiclass != (k > 1) || (classifier && post == PostTransform::Identity) {
        return Err(est.err(
            "estimators_",
            format!("{k} trees per stage do not fit the loss `{loss_name}`"),
        ));
    }

    // The raw baseline, as `_init_raw_predictions` computes it.
    let init = est.get("init_")?;
    let base: Vec<f64> = if heap.str(init) == Some("zero") {
        vec![0.0; k]
    } else {
        let dummy = est.child("init_")?;
        match dummy.class {
            Global::DummyRegressor if !classifier => {
                let c = dummy.array("constant_")?;
                if c.len() != 1 {
                    return Err(dummy.err("constant_", "not a single value"));
                }
                let v = c.f64_at(&vec![0; c.shape.len()]).ok_or_else(|| dummy.err("constant_", "not a number"))?;
                vec![v]
            }
            Global::DummyClassifier if classifier => {
                let strategy = dummy.string("strategy")?;
                if strategy != "prior" {
                    return Err(dummy.err(
                        "strategy",
                        format!("init DummyClassifier(strategy='{strategy}') is not supported (only 'prior')"),
                    ));
                }
                let prior = dummy
                    .array("class_prior_")?
                    .to_f64_vec()
                    .ok_or_else(|| dummy.err("class_prior_", "not a vector"))?;
                if multiclass {
                    if prior.len() != k {
                        return Err(dummy.err("class_prior_", format!("{} priors for {k} classes", prior.len())));
                    }
                    if legacy_loss {
                        numeric::legacy_multinomial_baseline(&prior)
                    } else {
                        numeric::multinomial_baseline(&prior)
                    }
                } else {
                    let p1 = *prior.get(1).filter(|_| prior.len() == 2).ok_or_else(|| {
                        dummy.err("class_prior_", "not two priors for a binary model")
                    })?;
                    let b = if legacy_loss {
                        numeric::legacy_binary_baseline(p1)
                    } else {
                        numeric::binary_baseline(p1)
                    };
                    // ExponentialLoss's link is half the logit.
                    vec![if scale == 2.0 { 0.5 * b } else { b }]
                }
            }
            other => {
                return Err(est.err(
                    "init_",
                    format!("init estimator {other} is not supported (only the default DummyClassifier/DummyRegressor or 'zero')"),
                ))
            }
        }
    };

    let mut trees = Vec::with_capacity(items.len());
    for (idx, v) in items.iter().enumerate() {
        let (stage, group) = (idx / k, idx % k);
        let sub = est
            .cx
            .object(*v, &format!("estimators_[{stage}, {group}]"))?;
        if sub.class != Global::DecisionTreeRegressor {
            return Err(sub.err("", format!("{} in a gradient boosting model", sub.class)));
        }
        let t = decode_tree(&sub)?;
        // predict_stages adds `learning_rate * value` (a double product);
        // the factor 2 of the exponential loss is exact.
        let nodes = src_nodes(&sub, &t, |v| vec![scale * (lr * v[0])])?;
        let id = u32::try_from(idx).map_err(|_| est.err("estimators_", "too many trees"))?;
        trees.push(lower(&sub, &nodes, id, group as u32)?);
    }
    Ok(Model {
        n_groups: k as u32,
        base: base.iter().map(|b| scale * b).collect(),
        aggregation: Aggregation::Sum,
        post,
        trees,
        loss: Some(loss_name),
    })
}

fn hist_gradient_boosting(est: &ObjView) -> Result<Model, FrontendError> {
    let heap = est.cx.heap;
    let (post, _, _) = loss_link(est)?;
    let loss_name = est.string("loss")?;
    if est.opt("_preprocessor").is_some() {
        return Err(est.err(
            "_preprocessor",
            "categorical features (a fitted preprocessor) are not supported",
        ));
    }
    let k = usize::try_from(est.int("n_trees_per_iteration_")?)
        .ok()
        .filter(|&k| (1..=65_536).contains(&k))
        .ok_or_else(|| est.err("n_trees_per_iteration_", "not a positive count"))?;
    if (post == PostTransform::Softmax) != (k > 1) {
        return Err(est.err(
            "n_trees_per_iteration_",
            format!("{k} trees per iteration do not fit the loss `{loss_name}`"),
        ));
    }
    let base_v = est.get("_baseline_prediction")?;
    let base: Vec<f64> = match ndarray::number(heap, base_v) {
        Some(b) => vec![b],
        None => {
            let a = est.array("_baseline_prediction")?;
            let flat: Option<Vec<f64>> = (0..a.len())
                .map(|i| {
                    // (1, k) or (k, 1) or (k,): the i-th element in C order.
                    let mut idx = vec![0; a.shape.len()];
                    let mut rem = i;
                    for d in (0..a.shape.len()).rev() {
                        idx[d] = rem % a.shape[d];
                        rem /= a.shape[d];
                    }
                    a.f64_at(&idx)
                })
                .collect();
            flat.ok_or_else(|| est.err("_baseline_prediction", "not numeric"))?
        }
    };
    if base.len() != k {
        return Err(est.err(
            "_baseline_prediction",
            format!("{} values for {k} trees per iteration", base.len()),
        ));
    }
    let iterations = heap
        .seq(est.get("_predictors")?)
        .ok_or_else(|| est.err("_predictors", "not a list"))?;
    if iterations.is_empty() {
        return Err(est.err("_predictors", "no trees"));
    }
    let mut trees = Vec::new();
    for (it, row) in iterations.iter().enumerate() {
        let row = heap.seq(*row).filter(|r| r.len() == k).ok_or_else(|| {
            est.err(
                "_predictors",
                format!("iteration {it} has not {k} predictors"),
            )
        })?;
        for (g, p) in row.iter().enumerate() {
            let at = format!("_predictors[{it}][{g}]");
            let pred = est.cx.object(*p, &at)?;
            if pred.class != Global::TreePredictor {
                return Err(pred.err("", format!("{} is not a TreePredictor", pred.class)));
            }
            let nodes = predictor_nodes(&pred)?;
            let id =
                u32::try_from(it * k + g).map_err(|_| est.err("_predictors", "too many trees"))?;
            trees.push(lower_counted(&pred, "nodes", &nodes, id, g as u32)?);
        }
    }
    Ok(Model {
        n_groups: k as u32,
        base,
        aggregation: Aggregation::Sum,
        post,
        trees,
        loss: Some(loss_name),
    })
}

/// A `TreePredictor`'s node records as source nodes.
fn predictor_nodes(pred: &ObjView) -> Result<Vec<SrcNode>, FrontendError> {
    let nodes = pred.array("nodes")?;
    if nodes.shape.len() != 1 || nodes.shape[0] == 0 {
        return Err(pred.err("nodes", format!("shape {:?}", nodes.shape)));
    }
    let field = |name: &str| {
        nodes
            .field(name)
            .cloned()
            .ok_or_else(|| pred.err("nodes", format!("structured dtype has no `{name}` field")))
    };
    let (fv, ff, ft, fm, fl, fr, fleaf, fcat) = (
        field("value")?,
        field("feature_idx")?,
        field("num_threshold")?,
        field("missing_go_to_left")?,
        field("left")?,
        field("right")?,
        field("is_leaf")?,
        field("is_categorical")?,
    );
    (0..nodes.shape[0])
        .map(|i| {
            let bad = |what: &str| pred.err("nodes", format!("node {i}: {what} unreadable"));
            let int =
                |f: &ndarray::Field, what: &str| nodes.record_i64(i, f).ok_or_else(|| bad(what));
            if int(&fleaf, "is_leaf")? != 0 {
                let v = nodes.record_f64(i, &fv).ok_or_else(|| bad("value"))?;
                return Ok(SrcNode::Leaf(vec![v]));
            }
            if int(&fcat, "is_categorical")? != 0 {
                return Err(pred.err(
                    "nodes",
                    format!("node {i} is a categorical split: not supported"),
                ));
            }
            let idx = |f: &ndarray::Field, what: &str| {
                usize::try_from(int(f, what)?).map_err(|_| bad(what))
            };
            Ok(SrcNode::Split {
                feature: u32::try_from(int(&ff, "feature_idx")?).map_err(|_| bad("feature_idx"))?,
                threshold: nodes
                    .record_f64(i, &ft)
                    .ok_or_else(|| bad("num_threshold"))?,
                missing_left: int(&fm, "missing_go_to_left")? != 0,
                left: idx(&fl, "left")?,
                right: idx(&fr, "right")?,
            })
        })
        .collect()
}
