//! XGBoost frontend: `Booster.save_model` JSON and UBJSON (XGBoost 1.x-3.x).
//!
//! What XGBoost computes, and so what this lowering reproduces:
//! - a split sends `x` left when `x < split_condition` (float32), NaN goes
//!   to the `default_left` side;
//! - per output group the prediction starts at the base margin and adds each
//!   tree's leaf in tree order, in float32; `tree_info` names each tree's
//!   group; `num_parallel_tree` trees are simply summed;
//! - dart multiplies each tree's contribution by its `weight_drop` entry as
//!   `out += (0 + leaf) * w` in float32, which is folded into the leaves here
//!   exactly (same operations, same rounding);
//! - `base_score` is stored in output space (a string, or in 3.x a string
//!   holding a list) and turned into a margin by the objective's link
//!   inverse (logit for binary:logistic and reg:logistic, log for
//!   poisson/gamma/tweedie; binary:logitraw keeps it as a margin);
//! - the objective picks the post transform.
//!
//! Anything else (gblinear, categorical splits, vector leaves, unknown
//! objectives) is refused with an error naming the field: never guessed.

use super::{ubjson, Format, FrontendError};
use crate::ir::{
    Accumulator, Aggregation, Ensemble, Leaf, MissingGoes, Node, PostTransform, Source, Split,
    SplitOp, Tree, IR_SCHEMA_VERSION,
};
use serde_json::Value;
use std::path::Path;

/// Lower an XGBoost JSON model.
pub fn from_json_bytes(path: &Path, bytes: &[u8]) -> Result<Ensemble, FrontendError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| FrontendError::Syntax {
        path: path.to_path_buf(),
        message: format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    })?;
    lower(path, bytes, &doc, Format::XgboostJson)
}

/// Lower an XGBoost UBJSON model.
pub fn from_ubj_bytes(path: &Path, bytes: &[u8]) -> Result<Ensemble, FrontendError> {
    let doc = ubjson::decode(bytes).map_err(|e| FrontendError::Syntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    lower(path, bytes, &doc, Format::XgboostUbj)
}

/// Navigation over the parsed document with field paths for errors.
struct Cx<'a> {
    path: &'a Path,
}

impl Cx<'_> {
    fn err(&self, field: &str, message: impl Into<String>) -> FrontendError {
        FrontendError::Field {
            path: self.path.to_path_buf(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn get<'v>(&self, v: &'v Value, parent: &str, key: &str) -> Result<&'v Value, FrontendError> {
        v.get(key)
            .ok_or_else(|| self.err(&format!("{parent}/{key}"), "missing"))
    }

    fn str<'v>(&self, v: &'v Value, field: &str) -> Result<&'v str, FrontendError> {
        v.as_str()
            .ok_or_else(|| self.err(field, format!("expected a string, found {}", kind(v))))
    }

    fn arr<'v>(&self, v: &'v Value, field: &str) -> Result<&'v [Value], FrontendError> {
        v.as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| self.err(field, format!("expected an array, found {}", kind(v))))
    }

    /// An unsigned integer stored as a number or (XGBoost params) a string.
    fn uint(&self, v: &Value, field: &str) -> Result<u64, FrontendError> {
        match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
        .ok_or_else(|| self.err(field, format!("expected a non-negative integer, found {v}")))
    }

    /// A signed integer number (child indices use -1 for "none").
    fn int(&self, v: &Value, field: &str) -> Result<i64, FrontendError> {
        v.as_i64()
            .ok_or_else(|| self.err(field, format!("expected an integer, found {v}")))
    }

    /// A float32 from a JSON number, exactly as XGBoost reads it.
    fn f32(&self, v: &Value, field: &str) -> Result<f32, FrontendError> {
        let d = v
            .as_f64()
            .ok_or_else(|| self.err(field, format!("expected a number, found {v}")))?;
        exact_f32(d).ok_or_else(|| {
            self.err(
                field,
                format!("{d} lies exactly between two float32 values; its float32 rounding cannot be decided from the parsed double"),
            )
        })
    }

    fn bool_like(&self, v: &Value, field: &str) -> Result<bool, FrontendError> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) => match n.as_i64() {
                Some(0) => Ok(false),
                Some(1) => Ok(true),
                _ => Err(self.err(field, format!("expected 0 or 1, found {n}"))),
            },
            _ => Err(self.err(field, format!("expected a boolean, found {}", kind(v)))),
        }
    }
}

/// Round a double (parsed from a float32's decimal text or widened from a
/// float32) to float32, refusing the one case where double rounding could
/// differ from rounding the original text: a double exactly halfway
/// between two float32 values.
fn exact_f32(d: f64) -> Option<f32> {
    let f = d as f32;
    if !f.is_finite() || f64::from(f) == d {
        return Some(f);
    }
    let (lo, hi) = if f64::from(f) < d {
        (
            f,
            f32::from_bits(
                f.to_bits()
                    .wrapping_add(if f >= 0.0 { 1 } else { u32::MAX }),
            ),
        )
    } else {
        (
            f32::from_bits(f.to_bits().wrapping_add(if f > 0.0 { u32::MAX } else { 1 })),
            f,
        )
    };
    let mid = (f64::from(lo) + f64::from(hi)) / 2.0;
    if d == mid {
        None
    } else {
        Some(f)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// How an objective maps margins to outputs and base_score to a margin.
#[derive(Clone, Copy)]
enum BaseLink {
    Identity,
    Logit,
    Log,
}

fn objective_semantics(name: &str) -> Option<(PostTransform, BaseLink)> {
    use PostTransform as P;
    Some(match name {
        "binary:logistic" | "reg:logistic" => (P::Sigmoid, BaseLink::Logit),
        // logitraw stores base_score as a raw margin (measured on XGBoost
        // 3.2: a logit here is off by exactly logit(b) - b).
        "binary:logitraw" => (P::Identity, BaseLink::Identity),
        "binary:hinge" => (P::Hinge, BaseLink::Identity),
        "reg:squarederror"
        | "reg:linear"
        | "reg:squaredlogerror"
        | "reg:pseudohubererror"
        | "reg:absoluteerror"
        | "rank:pairwise"
        | "rank:ndcg"
        | "rank:map" => (P::Identity, BaseLink::Identity),
        "count:poisson" | "reg:gamma" | "reg:tweedie" => (P::Exp, BaseLink::Log),
        "multi:softprob" => (P::Softmax, BaseLink::Identity),
        "multi:softmax" => (P::ArgMax, BaseLink::Identity),
        _ => return None,
    })
}

const SUPPORTED_OBJECTIVES: &str = "binary:logistic, binary:logitraw, binary:hinge, \
reg:squarederror, reg:squaredlogerror, reg:pseudohubererror, reg:absoluteerror, reg:logistic, \
count:poisson, reg:gamma, reg:tweedie, multi:softprob, multi:softmax, rank:pairwise, rank:ndcg, rank:map";

/// Parse XGBoost's base_score text: "5E-1" or, in 3.x, "[5E-1]" or
/// "[1E0,2E0]". Each number is read straight into float32, as XGBoost does.
fn parse_base_score(cx: &Cx, text: &str, field: &str) -> Result<Vec<f32>, FrontendError> {
    let t = text.trim();
    let inner = t
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(t);
    let mut out = Vec::new();
    for part in inner.split(',') {
        let p = part.trim();
        let v: f32 = p
            .parse()
            .map_err(|_| cx.err(field, format!("`{p}` is not a number (in `{text}`)")))?;
        if !v.is_finite() {
            return Err(cx.err(field, format!("base_score `{p}` is not finite")));
        }
        out.push(v);
    }
    Ok(out)
}

/// base_score (output space) -> margin, with XGBoost's float32 arithmetic.
fn base_margin(cx: &Cx, link: BaseLink, b: f32, field: &str) -> Result<f32, FrontendError> {
    Ok(match link {
        BaseLink::Identity => b,
        BaseLink::Logit => {
            if !(b > 0.0 && b < 1.0) {
                return Err(cx.err(
                    field,
                    format!("base_score {b} must lie in (0, 1) for a logistic objective"),
                ));
            }
            // -log(1/b - 1): the reciprocal and difference in float32 as
            // XGBoost does; the log correctly rounded to float32.
            let q = 1.0f32 / b - 1.0f32;
            -((f64::from(q)).ln() as f32)
        }
        BaseLink::Log => {
            if b <= 0.0 {
                return Err(cx.err(
                    field,
                    format!("base_score {b} must be positive for a log-link objective"),
                ));
            }
            (f64::from(b)).ln() as f32
        }
    })
}

fn lower(
    path: &Path,
    bytes: &[u8],
    doc: &Value,
    format: Format,
) -> Result<Ensemble, FrontendError> {
    let cx = Cx { path };
    let learner = cx.get(doc, "", "learner")?;
    let version = doc.get("version").and_then(Value::as_array).map(|v| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(".")
    });

    // Objective.
    let obj = cx.get(learner, "/learner", "objective")?;
    let obj_name = cx.str(
        cx.get(obj, "/learner/objective", "name")?,
        "/learner/objective/name",
    )?;
    let (post, link) = objective_semantics(obj_name).ok_or_else(|| {
        cx.err(
            "/learner/objective/name",
            format!("objective `{obj_name}` is not supported; supported: {SUPPORTED_OBJECTIVES}"),
        )
    })?;

    // Model parameters.
    let lmp_field = "/learner/learner_model_param";
    let lmp = cx.get(learner, "/learner", "learner_model_param")?;
    let num_feature = cx.uint(
        cx.get(lmp, lmp_field, "num_feature")?,
        &format!("{lmp_field}/num_feature"),
    )?;
    let num_class = match lmp.get("num_class") {
        Some(v) => cx.uint(v, &format!("{lmp_field}/num_class"))?,
        None => 0,
    };
    let num_target = match lmp.get("num_target") {
        Some(v) => cx.uint(v, &format!("{lmp_field}/num_target"))?,
        None => 1,
    };
    if num_class > 0 && num_target > 1 {
        return Err(cx.err(
            &format!("{lmp_field}/num_target"),
            "multi-target multiclass models are not supported",
        ));
    }
    let n_groups = num_class.max(num_target).max(1);
    let n_groups = u32::try_from(n_groups)
        .ok()
        .filter(|&g| g <= 65_536)
        .ok_or_else(|| cx.err(&format!("{lmp_field}/num_class"), "too many output groups"))?;
    let n_features = u32::try_from(num_feature)
        .ok()
        .filter(|&n| n > 0 && n <= 1_000_000)
        .ok_or_else(|| {
            cx.err(
                &format!("{lmp_field}/num_feature"),
                format!("{num_feature} features is outside 1..=1000000"),
            )
        })?;
    if matches!(post, PostTransform::Softmax | PostTransform::ArgMax) && num_class < 2 {
        return Err(cx.err(
            &format!("{lmp_field}/num_class"),
            format!("objective `{obj_name}` needs num_class >= 2, found {num_class}"),
        ));
    }

    let bs_field = format!("{lmp_field}/base_score");
    let bs_text = cx.str(cx.get(lmp, lmp_field, "base_score")?, &bs_field)?;
    let bs = parse_base_score(&cx, bs_text, &bs_field)?;
    let bs: Vec<f32> = match bs.len() {
        1 => vec![bs[0]; n_groups as usize],
        n if n == n_groups as usize => bs,
        n => {
            return Err(cx.err(
                &bs_field,
                format!("{n} base scores for {n_groups} output groups"),
            ))
        }
    };
    let base_score = bs
        .iter()
        .map(|&b| base_margin(&cx, link, b, &bs_field).map(f64::from))
        .collect::<Result<Vec<_>, _>>()?;

    // Booster.
    let gb_field = "/learner/gradient_booster";
    let gb = cx.get(learner, "/learner", "gradient_booster")?;
    let gb_name = cx.str(cx.get(gb, gb_field, "name")?, &format!("{gb_field}/name"))?;
    let (model, model_field, weights): (&Value, String, Option<&[Value]>) = match gb_name {
        "gbtree" => (
            cx.get(gb, gb_field, "model")?,
            format!("{gb_field}/model"),
            None,
        ),
        "dart" => {
            let inner = cx.get(gb, gb_field, "gbtree")?;
            let wd_field = format!("{gb_field}/weight_drop");
            let wd = cx.arr(cx.get(gb, gb_field, "weight_drop")?, &wd_field)?;
            (
                cx.get(inner, &format!("{gb_field}/gbtree"), "model")?,
                format!("{gb_field}/gbtree/model"),
                Some(wd),
            )
        }
        "gblinear" => {
            return Err(cx.err(
                &format!("{gb_field}/name"),
                "gblinear (a linear booster) has no trees; timber compiles tree ensembles only",
            ))
        }
        other => {
            return Err(cx.err(
                &format!("{gb_field}/name"),
                format!("booster `{other}` is not supported (gbtree and dart are)"),
            ))
        }
    };
    let trees_field = format!("{model_field}/trees");
    let trees_v = cx.arr(cx.get(model, &model_field, "trees")?, &trees_field)?;
    let info_field = format!("{model_field}/tree_info");
    let tree_info = cx.arr(cx.get(model, &model_field, "tree_info")?, &info_field)?;
    if tree_info.len() != trees_v.len() {
        return Err(cx.err(
            &info_field,
            format!("{} entries for {} trees", tree_info.len(), trees_v.len()),
        ));
    }
    // As XGBoost: the declared tree count must be the trees array's length.
    if let Some(v) = model
        .get("gbtree_model_param")
        .and_then(|p| p.get("num_trees"))
    {
        let nt_field = format!("{model_field}/gbtree_model_param/num_trees");
        let declared = cx.uint(v, &nt_field)?;
        if declared != trees_v.len() as u64 {
            return Err(cx.err(
                &nt_field,
                format!(
                    "declares {declared} trees but the trees array has {}",
                    trees_v.len()
                ),
            ));
        }
    }
    if let Some(w) = weights {
        if w.len() != trees_v.len() {
            return Err(cx.err(
                &format!("{gb_field}/weight_drop"),
                format!("{} weights for {} trees", w.len(), trees_v.len()),
            ));
        }
    }

    let mut trees = Vec::with_capacity(trees_v.len());
    for (t, tv) in trees_v.iter().enumerate() {
        let tf = format!("{trees_field}/{t}");
        let group = cx.uint(&tree_info[t], &format!("{info_field}/{t}"))?;
        if group >= u64::from(n_groups) {
            return Err(cx.err(
                &format!("{info_field}/{t}"),
                format!("group {group} but the model has {n_groups} output groups"),
            ));
        }
        let weight = match weights {
            Some(w) => Some(cx.f32(&w[t], &format!("{gb_field}/weight_drop/{t}"))?),
            None => None,
        };
        trees.push(lower_tree(
            &cx,
            tv,
            &tf,
            t,
            group as u32,
            weight,
            n_features,
        )?);
    }

    let feature_names = match learner.get("feature_names") {
        Some(v) => {
            let arr = cx.arr(v, "/learner/feature_names")?;
            let mut names = Vec::with_capacity(arr.len());
            for (i, n) in arr.iter().enumerate() {
                names.push(
                    cx.str(n, &format!("/learner/feature_names/{i}"))?
                        .to_string(),
                );
            }
            names
        }
        None => Vec::new(),
    };
    if let Some(types) = learner.get("feature_types").and_then(Value::as_array) {
        if let Some(i) = types.iter().position(|t| t.as_str() == Some("c")) {
            return Err(cx.err(
                &format!("/learner/feature_types/{i}"),
                "categorical features are not supported yet; re-train with numeric encoding",
            ));
        }
    }
    if !feature_names.is_empty() && feature_names.len() != n_features as usize {
        return Err(cx.err(
            "/learner/feature_names",
            format!("{} names for {} features", feature_names.len(), n_features),
        ));
    }

    Ok(Ensemble {
        schema_version: IR_SCHEMA_VERSION,
        source: Source {
            format: format.id().to_string(),
            framework_version: version,
            objective: obj_name.to_string(),
            sha256: super::sha256_hex(bytes),
        },
        n_features,
        feature_names,
        n_groups,
        // XGBoost sums its float32 leaves in float32.
        accumulator: Accumulator::F32,
        base_score,
        aggregation: Aggregation::Sum,
        post_transform: post,
        trees,
    })
}

fn lower_tree(
    cx: &Cx,
    tv: &Value,
    tf: &str,
    t: usize,
    group: u32,
    weight: Option<f32>,
    n_features: u32,
) -> Result<Tree, FrontendError> {
    let field = |k: &str| format!("{tf}/{k}");
    let get_arr =
        |k: &str| -> Result<&[Value], FrontendError> { cx.arr(cx.get(tv, tf, k)?, &field(k)) };
    let source_id = match tv.get("id") {
        Some(v) => u32::try_from(cx.uint(v, &field("id"))?)
            .map_err(|_| cx.err(&field("id"), "tree id too large"))?,
        None => t as u32,
    };
    if let Some(tp) = tv.get("tree_param") {
        if let Some(v) = tp.get("size_leaf_vector") {
            let n = cx.uint(v, &field("tree_param/size_leaf_vector"))?;
            if n > 1 {
                return Err(cx.err(
                    &field("tree_param/size_leaf_vector"),
                    format!("vector leaves of size {n} (multi_strategy=multi_output_tree) are not supported"),
                ));
            }
        }
    }
    let left = get_arr("left_children")?;
    let right = get_arr("right_children")?;
    let cond = get_arr("split_conditions")?;
    let idx = get_arr("split_indices")?;
    let dleft = get_arr("default_left")?;
    let n = left.len();
    for (k, a) in [
        ("right_children", right.len()),
        ("split_conditions", cond.len()),
        ("split_indices", idx.len()),
        ("default_left", dleft.len()),
    ] {
        if a != n {
            return Err(cx.err(&field(k), format!("{a} entries but left_children has {n}")));
        }
    }
    if n == 0 {
        return Err(cx.err(&field("left_children"), "a tree with no nodes"));
    }
    // As XGBoost: the declared node count must be the arrays' length.
    if let Some(v) = tv.get("tree_param").and_then(|p| p.get("num_nodes")) {
        let declared = cx.uint(v, &field("tree_param/num_nodes"))?;
        if declared != n as u64 {
            return Err(cx.err(
                &field("tree_param/num_nodes"),
                format!("declares {declared} nodes but left_children has {n}"),
            ));
        }
    }
    let n_u32 = u32::try_from(n).map_err(|_| cx.err(&field("left_children"), "too many nodes"))?;
    if let Some(st) = tv.get("split_type").and_then(Value::as_array) {
        for (i, s) in st.iter().enumerate() {
            if s.as_i64().unwrap_or(0) != 0 {
                return Err(cx.err(
                    &format!("{tf}/split_type/{i}"),
                    format!(
                        "node {i} is a categorical split; categorical splits are not supported yet"
                    ),
                ));
            }
        }
    }

    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let l = cx.int(&left[i], &format!("{tf}/left_children/{i}"))?;
        let r = cx.int(&right[i], &format!("{tf}/right_children/{i}"))?;
        let value = cx.f32(&cond[i], &format!("{tf}/split_conditions/{i}"))?;
        if l == -1 {
            if r != -1 {
                return Err(cx.err(
                    &format!("{tf}/right_children/{i}"),
                    format!("node {i} has no left child but right child {r}"),
                ));
            }
            if !value.is_finite() {
                return Err(cx.err(
                    &format!("{tf}/split_conditions/{i}"),
                    format!("leaf value {value} is not finite"),
                ));
            }
            // dart: out += (0 + leaf) * w, all in float32 (see module doc).
            let v = match weight {
                Some(w) => (0.0f32 + value) * w,
                None => value,
            };
            nodes.push(Node::Leaf(Leaf {
                source_id: i as u32,
                values: vec![f64::from(v)],
            }));
        } else {
            let child = |c: i64, k: &str| -> Result<u32, FrontendError> {
                u32::try_from(c).ok().filter(|&c| c < n_u32).ok_or_else(|| {
                    cx.err(
                        &format!("{tf}/{k}/{i}"),
                        format!("child index {c} out of range (tree has {n} nodes)"),
                    )
                })
            };
            let feature = cx.uint(&idx[i], &format!("{tf}/split_indices/{i}"))?;
            if feature >= u64::from(n_features) {
                return Err(cx.err(
                    &format!("{tf}/split_indices/{i}"),
                    format!("feature {feature} but the model has {n_features} features"),
                ));
            }
            if value.is_nan() {
                return Err(cx.err(
                    &format!("{tf}/split_conditions/{i}"),
                    "split threshold is NaN",
                ));
            }
            let default_left = cx.bool_like(&dleft[i], &format!("{tf}/default_left/{i}"))?;
            nodes.push(Node::Split(Split {
                source_id: i as u32,
                feature: feature as u32,
                threshold: value,
                op: SplitOp::Lt,
                missing: if default_left {
                    MissingGoes::Left
                } else {
                    MissingGoes::Right
                },
                left: child(l, "left_children")?,
                right: child(r, "right_children")?,
            }));
        }
    }
    Ok(Tree {
        source_id,
        group,
        nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(objective: &str, base_score: &str, extra_gb: &str) -> String {
        format!(
            r#"{{"learner":{{"feature_names":[],"feature_types":[],
            "gradient_booster":{{"name":"gbtree","model":{{
              "gbtree_model_param":{{"num_parallel_tree":"1","num_trees":"1"}},
              "tree_info":[0],
              "trees":[{{"id":0,"left_children":[1,-1,-1],"right_children":[2,-1,-1],
                "split_conditions":[0.5,-1.25,2.0],"split_indices":[1,0,0],
                "default_left":[1,0,0],"split_type":[0,0,0]{extra_gb}}}]}}}},
            "learner_model_param":{{"base_score":"{base_score}","num_class":"0","num_feature":"2","num_target":"1"}},
            "objective":{{"name":"{objective}"}}}},"version":[3,2,0]}}"#
        )
    }

    fn lower_str(s: &str) -> Result<Ensemble, FrontendError> {
        from_json_bytes(Path::new("m.json"), s.as_bytes())
    }

    #[test]
    fn lowers_a_stump() {
        let e = lower_str(&model("reg:squarederror", "[5E-1]", "")).unwrap();
        assert_eq!(e.base_score, vec![0.5]);
        assert_eq!(e.n_features, 2);
        assert_eq!(e.source.framework_version.as_deref(), Some("3.2.0"));
        match &e.trees[0].nodes[0] {
            Node::Split(s) => {
                assert_eq!(s.feature, 1);
                assert_eq!(s.threshold, 0.5);
                assert_eq!(s.missing, MissingGoes::Left);
                assert_eq!((s.left, s.right), (1, 2));
            }
            other => panic!("{other:?}"),
        }
        crate::ir::validate(&e).unwrap();
    }

    #[test]
    fn logistic_base_score_becomes_logit() {
        let e = lower_str(&model("binary:logistic", "5E-1", "")).unwrap();
        assert_eq!(e.base_score, vec![0.0]);
        assert_eq!(e.post_transform, PostTransform::Sigmoid);
        let e = lower_str(&model("count:poisson", "2E0", "")).unwrap();
        assert_eq!(e.base_score, vec![f64::from(std::f32::consts::LN_2)]);
    }

    #[test]
    fn refusals_name_the_field() {
        let err = lower_str(&model("survival:cox", "5E-1", ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/learner/objective/name"), "{err}");
        let err = lower_str(
            &model("reg:squarederror", "5E-1", "")
                .replace("\"split_type\":[0,0,0]", "\"split_type\":[1,0,0]"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("split_type/0") && err.contains("categorical"),
            "{err}"
        );
        let err = lower_str(
            &model("reg:squarederror", "5E-1", "")
                .replace("\"gbtree\",\"model\"", "\"gblinear\",\"model\""),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("gblinear"), "{err}");
        let err =
            lower_str(&model("reg:squarederror", "5E-1", "").replace("[1,-1,-1]", "[7,-1,-1]"))
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("left_children/0") && err.contains("out of range"),
            "{err}"
        );
        let err = lower_str(&model("binary:logistic", "1E0", ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_score"), "{err}");
        let err = lower_str("{\"learner\": 3").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn exact_f32_refuses_only_true_ties() {
        assert_eq!(exact_f32(0.1), Some(0.1f32));
        let a = 1.0f32;
        let b = f32::from_bits(a.to_bits() + 1);
        let mid = (f64::from(a) + f64::from(b)) / 2.0;
        assert_eq!(exact_f32(mid), None);
        assert_eq!(exact_f32(-mid), None);
        assert_eq!(exact_f32(mid + 1e-12), Some(b));
    }
}
