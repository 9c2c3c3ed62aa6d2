//! CatBoost frontend: the JSON export (`model.save_model("m.json",
//! format="json")`), oblivious trees on float features.
//!
//! What CatBoost computes, and so what this lowering reproduces:
//! - a split compares a float32 feature with a float32 border: bit `i` of
//!   the leaf index is `x > border` for the tree's `i`-th split;
//! - NaN follows the feature's `nan_value_treatment`: `AsTrue` sets the
//!   bit, `AsFalse` and `AsIs` clear it (a NaN comparison is false);
//! - leaf `l` holds `dims` values at `leaf_values[l * dims ..]`;
//! - raw value = `scale * (sum of leaves) + bias` (`scale_and_bias`), then
//!   sigmoid for `Logloss`/`CrossEntropy`, softmax for `MultiClass`,
//!   identity for `RMSE` and the other regression losses.
//!
//! An oblivious tree of depth `d` becomes a complete IR tree with `2^d`
//! leaves: `x <= border` goes left (bit clear), NaN goes right only for
//! `AsTrue`. Leaves keep CatBoost's leaf index as their source id. The
//! borders are float32 values printed as doubles, so they are read back
//! exactly (a border that is not a float32 is refused).
//!
//! Precision: CatBoost keeps leaf values as doubles, sums each dimension
//! in double from 0 in tree order, then computes `scale * sum + bias` and
//! its link in double. The IR reproduces that with [`Accumulator::F64`]:
//! the leaves are the exact doubles times `scale` (folded in only when it
//! is a power of two, so `scale * sum` equals the sum of scaled leaves),
//! the base score is 0, and `bias` is added last, as one extra one-leaf
//! tree (source id = the number of CatBoost trees, leaf id 0) after every
//! real tree: the same additions in the same order. Outputs are rounded to
//! float32 once; tests/catboost_reference.rs asserts at most 4 ulps.
//!
//! Refused with an error naming the field: categorical, text and embedding
//! features (CTRs), non-float splits, unknown losses, and malformed fields.

use super::{Format, FrontendError};
use crate::ir::{
    Accumulator, Aggregation, Ensemble, Leaf, MissingGoes, Node, PostTransform, Source, Split,
    SplitOp, Tree, IR_SCHEMA_VERSION,
};
use serde_json::Value;
use std::collections::VecDeque;
use std::path::Path;

/// Deepest oblivious tree accepted (CatBoost's own limit is 16).
const MAX_OBLIVIOUS_DEPTH: usize = 16;

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

    fn arr<'v>(&self, v: &'v Value, field: &str) -> Result<&'v [Value], FrontendError> {
        v.as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| self.err(field, "expected an array"))
    }

    fn uint(&self, v: &Value, field: &str) -> Result<usize, FrontendError> {
        v.as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.err(field, format!("expected a non-negative integer, found {v}")))
    }

    fn f64(&self, v: &Value, field: &str) -> Result<f64, FrontendError> {
        v.as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.err(field, format!("expected a finite number, found {v}")))
    }

    fn str<'v>(&self, v: &'v Value, field: &str) -> Result<&'v str, FrontendError> {
        v.as_str()
            .ok_or_else(|| self.err(field, format!("expected a string, found {v}")))
    }
}

fn is_power_of_two(s: f64) -> bool {
    s.is_finite() && s > 0.0 && {
        let bits = s.to_bits();
        // A normal double whose mantissa bits are all zero.
        bits & ((1u64 << 52) - 1) == 0 && (bits >> 52) != 0
    }
}

/// Lower a CatBoost JSON model.
pub fn from_json_bytes(path: &Path, bytes: &[u8]) -> Result<Ensemble, FrontendError> {
    let cx = Cx { path };
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| FrontendError::Syntax {
        path: path.to_path_buf(),
        message: format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    })?;

    // Features: only float features.
    let fi = cx.get(&doc, "", "features_info")?;
    for kind in [
        "categorical_features",
        "text_features",
        "embedding_features",
    ] {
        if let Some(v) = fi.get(kind) {
            if v.as_array().is_some_and(|a| !a.is_empty()) {
                return Err(cx.err(
                    &format!("/features_info/{kind}"),
                    "categorical, text and embedding features (CTR statistics) are not supported; only float features are",
                ));
            }
        }
    }
    if doc.get("ctr_data").is_some() {
        return Err(cx.err(
            "/ctr_data",
            "CTR data (categorical feature statistics) is not supported",
        ));
    }
    let ff_field = "/features_info/float_features";
    let ff = cx.arr(cx.get(fi, "/features_info", "float_features")?, ff_field)?;
    // (input column, NaN goes to the "true" side)
    let mut float_features = Vec::with_capacity(ff.len());
    let mut n_features = 0usize;
    for (i, f) in ff.iter().enumerate() {
        let field = format!("{ff_field}/{i}");
        let flat = cx.uint(
            cx.get(f, &field, "flat_feature_index")?,
            &format!("{field}/flat_feature_index"),
        )?;
        if flat >= 1_000_000 {
            return Err(cx.err(
                &format!("{field}/flat_feature_index"),
                "feature index too large",
            ));
        }
        let nan_true = match f.get("nan_value_treatment").and_then(Value::as_str) {
            None | Some("AsIs") | Some("AsFalse") => false,
            Some("AsTrue") => true,
            Some(other) => {
                return Err(cx.err(
                    &format!("{field}/nan_value_treatment"),
                    format!("unknown treatment `{other}`"),
                ))
            }
        };
        n_features = n_features.max(flat + 1);
        float_features.push((flat as u32, nan_true));
    }
    if n_features == 0 {
        return Err(cx.err(ff_field, "the model has no float features"));
    }

    // Loss and link.
    let loss_field = "/model_info/params/loss_function/type";
    let loss = cx.str(
        doc.pointer(loss_field)
            .ok_or_else(|| cx.err(loss_field, "missing"))?,
        loss_field,
    )?;
    let post = match loss {
        "Logloss" | "CrossEntropy" => PostTransform::Sigmoid,
        "MultiClass" => PostTransform::Softmax,
        "RMSE" | "MAE" | "Quantile" | "MAPE" | "Lq" | "Huber" | "Expectile" | "LogCosh" => {
            PostTransform::Identity
        }
        other => {
            return Err(cx.err(
                loss_field,
                format!("loss `{other}` is not supported; supported: Logloss, CrossEntropy, MultiClass, RMSE, MAE, Quantile, MAPE, Lq, Huber, Expectile, LogCosh"),
            ))
        }
    };

    // scale_and_bias: [scale, [bias per dimension]].
    let sb_field = "/scale_and_bias";
    let sb = cx.arr(cx.get(&doc, "", "scale_and_bias")?, sb_field)?;
    if sb.len() != 2 {
        return Err(cx.err(sb_field, "expected [scale, [bias, ...]]"));
    }
    let scale = cx.f64(&sb[0], &format!("{sb_field}/0"))?;
    if !is_power_of_two(scale) {
        return Err(cx.err(
            &format!("{sb_field}/0"),
            format!("scale {scale} is not supported exactly: only a power-of-two scale folds into the leaves without rounding"),
        ));
    }
    let bias_v = match &sb[1] {
        Value::Array(a) => a.clone(),
        v => vec![v.clone()],
    };
    let mut bias = Vec::with_capacity(bias_v.len());
    for (i, b) in bias_v.iter().enumerate() {
        let v = cx.f64(b, &format!("{sb_field}/1/{i}"))?;
        if !v.is_finite() {
            return Err(cx.err(
                &format!("{sb_field}/1/{i}"),
                format!("bias {v} is not finite"),
            ));
        }
        bias.push(v);
    }
    let dims = bias.len().max(1);
    if bias.is_empty() {
        bias.push(0.0);
    }
    if post == PostTransform::Softmax && dims < 2 {
        return Err(cx.err(sb_field, "MultiClass with a single dimension"));
    }
    if post != PostTransform::Softmax && dims != 1 {
        return Err(cx.err(
            sb_field,
            format!("{dims} dimensions for loss `{loss}` (multi-target models are not supported)"),
        ));
    }

    let trees_field = "/oblivious_trees";
    let trees_v = cx.arr(cx.get(&doc, "", "oblivious_trees")?, trees_field)?;
    if trees_v.is_empty() {
        return Err(cx.err(trees_field, "the model has no trees"));
    }
    let mut trees = Vec::with_capacity(trees_v.len());
    for (t, tv) in trees_v.iter().enumerate() {
        trees.push(lower_tree(&cx, tv, t, &float_features, dims, scale)?);
    }
    // CatBoost adds the bias after scaling the finished sum: one more
    // addition after the last tree, here a one-leaf tree.
    trees.push(Tree {
        source_id: u32::try_from(trees_v.len())
            .map_err(|_| cx.err(trees_field, "too many trees"))?,
        group: 0,
        nodes: vec![Node::Leaf(Leaf {
            source_id: 0,
            values: bias,
        })],
    });
    let version = doc
        .pointer("/model_info/catboost_version_info")
        .and_then(Value::as_str)
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.trim().strip_prefix("Branch: tags/v"))
        })
        .map(str::to_string);

    Ok(Ensemble {
        schema_version: IR_SCHEMA_VERSION,
        source: Source {
            format: Format::CatboostJson.id().to_string(),
            framework_version: version,
            objective: loss.to_string(),
            sha256: super::sha256_hex(bytes),
        },
        n_features: n_features as u32,
        feature_names: Vec::new(),
        n_groups: dims as u32,
        // CatBoost sums and links in double.
        accumulator: Accumulator::F64,
        base_score: vec![0.0; dims],
        aggregation: Aggregation::Sum,
        post_transform: post,
        trees,
    })
}

fn lower_tree(
    cx: &Cx,
    tv: &Value,
    t: usize,
    float_features: &[(u32, bool)],
    dims: usize,
    scale: f64,
) -> Result<Tree, FrontendError> {
    let tf = format!("/oblivious_trees/{t}");
    let splits_v = cx.arr(cx.get(tv, &tf, "splits")?, &format!("{tf}/splits"))?;
    let depth = splits_v.len();
    if depth > MAX_OBLIVIOUS_DEPTH {
        return Err(cx.err(
            &format!("{tf}/splits"),
            format!("depth {depth} exceeds {MAX_OBLIVIOUS_DEPTH}"),
        ));
    }
    // (input column, float32 border, NaN goes right)
    let mut splits = Vec::with_capacity(depth);
    for (i, s) in splits_v.iter().enumerate() {
        let sf = format!("{tf}/splits/{i}");
        match s.get("split_type").and_then(Value::as_str) {
            Some("FloatFeature") => {}
            other => {
                return Err(cx.err(
                    &format!("{sf}/split_type"),
                    format!(
                        "split type {} is not supported (only FloatFeature)",
                        other.unwrap_or("(missing)")
                    ),
                ))
            }
        }
        let fidx = cx.uint(
            cx.get(s, &sf, "float_feature_index")?,
            &format!("{sf}/float_feature_index"),
        )?;
        let &(column, nan_true) = float_features.get(fidx).ok_or_else(|| {
            cx.err(
                &format!("{sf}/float_feature_index"),
                format!(
                    "float feature {fidx} but the model has {}",
                    float_features.len()
                ),
            )
        })?;
        let border_d = cx.f64(cx.get(s, &sf, "border")?, &format!("{sf}/border"))?;
        let border = border_d as f32;
        if f64::from(border) != border_d {
            return Err(cx.err(
                &format!("{sf}/border"),
                format!("{border_d} is not a float32 value; CatBoost borders are float32"),
            ));
        }
        splits.push((column, border, nan_true));
    }
    let lv_field = format!("{tf}/leaf_values");
    let lv = cx.arr(cx.get(tv, &tf, "leaf_values")?, &lv_field)?;
    let n_leaves = 1usize << depth;
    if lv.len() != n_leaves * dims {
        return Err(cx.err(
            &lv_field,
            format!(
                "{} values for {n_leaves} leaves of {dims} dimensions",
                lv.len()
            ),
        ));
    }
    let mut values = Vec::with_capacity(lv.len());
    for (i, v) in lv.iter().enumerate() {
        let raw = cx.f64(v, &format!("{lv_field}/{i}"))?;
        let x = raw * scale;
        // Scaling by a power of two is exact unless it overflows or
        // leaves the normal range.
        if !x.is_finite() || (x != 0.0 && x.abs() < f64::MIN_POSITIVE && scale != 1.0) {
            return Err(cx.err(
                &format!("{lv_field}/{i}"),
                format!("leaf value {raw} times scale {scale} is not a finite, normal double"),
            ));
        }
        values.push(x);
    }

    // A complete tree, level k testing split k; a right turn sets bit k.
    let mut nodes: Vec<Node> = Vec::with_capacity(2 * n_leaves - 1);
    // Breadth first, so child indices are handed out in push order: a node
    // at level k with partial leaf index p (bits 0..k).
    let mut next_free = 1u32;
    let mut pending: VecDeque<(usize, usize)> = VecDeque::from([(0, 0)]);
    while let Some((k, p)) = pending.pop_front() {
        if k == depth {
            let leaf = p;
            nodes.push(Node::Leaf(Leaf {
                source_id: leaf as u32,
                values: values[leaf * dims..(leaf + 1) * dims].to_vec(),
            }));
        } else {
            let (column, border, nan_true) = splits[k];
            let left = next_free;
            let right = next_free + 1;
            next_free += 2;
            nodes.push(Node::Split(Split {
                source_id: k as u32,
                feature: column,
                threshold: border,
                op: SplitOp::Le,
                missing: if nan_true {
                    MissingGoes::Right
                } else {
                    MissingGoes::Left
                },
                left,
                right,
            }));
            pending.push_back((k + 1, p));
            pending.push_back((k + 1, p | (1 << k)));
        }
    }
    Ok(Tree {
        source_id: t as u32,
        group: 0,
        nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(loss: &str, extra: &str) -> String {
        format!(
            r#"{{"features_info":{{"float_features":[
              {{"borders":[0.5],"feature_index":0,"flat_feature_index":0,"has_nans":true,"nan_value_treatment":"AsTrue"}},
              {{"borders":[1.5],"feature_index":1,"flat_feature_index":1,"has_nans":false,"nan_value_treatment":"AsIs"}}]{extra}}},
             "model_info":{{"params":{{"loss_function":{{"params":{{}},"type":"{loss}"}}}}}},
             "oblivious_trees":[{{"leaf_values":[1,2,3,4],"leaf_weights":[1,1,1,1],
               "splits":[{{"border":0.5,"float_feature_index":0,"split_index":0,"split_type":"FloatFeature"}},
                         {{"border":1.5,"float_feature_index":1,"split_index":1,"split_type":"FloatFeature"}}]}}],
             "scale_and_bias":[1,[0.25]]}}"#
        )
    }

    fn lower(s: &str) -> Result<Ensemble, FrontendError> {
        from_json_bytes(Path::new("m.json"), s.as_bytes())
    }

    #[test]
    fn oblivious_tree_leaf_index_bits() {
        let e = lower(&model("RMSE", "")).unwrap();
        crate::ir::validate(&e).unwrap();
        assert_eq!(e.accumulator, crate::ir::Accumulator::F64);
        assert_eq!(e.base_score, vec![0.0]);
        // The bias is one last one-leaf tree, added after the real trees.
        let bias_tree = e.trees.last().unwrap();
        assert_eq!(bias_tree.source_id, 1);
        assert_eq!(
            bias_tree.nodes,
            vec![Node::Leaf(Leaf {
                source_id: 0,
                values: vec![0.25]
            })]
        );
        // bit 0: x0 > 0.5 (NaN true), bit 1: x1 > 1.5 (NaN false).
        for (row, leaf) in [
            ([0.5f32, 1.5f32], 0u32),
            ([0.6, 1.5], 1),
            ([0.5, 1.6], 2),
            ([f32::NAN, f32::NAN], 1),
            ([f32::INFINITY, 2.0], 3),
        ] {
            let t = &e.trees[0];
            let l = crate::ir::eval::leaf_index(t, &row);
            assert_eq!(t.nodes[l as usize].source_id(), leaf, "{row:?}");
        }
        assert_eq!(crate::ir::evaluate(&e, &[0.6, 1.6]), vec![0.25 + 4.0]);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases = [
            (
                model("YetiRank", ""),
                "/model_info/params/loss_function/type",
            ),
            (
                model("RMSE", r#","categorical_features":[{"feature_index":2}]"#),
                "categorical_features",
            ),
            (
                model("RMSE", "").replace("[1,2,3,4]", "[1,2,3]"),
                "leaf_values",
            ),
            (
                model("RMSE", "").replace("\"border\":0.5", "\"border\":0.1"),
                "float32",
            ),
            (
                model("RMSE", "").replace("[1,[0.25]]", "[3,[0.25]]"),
                "scale",
            ),
            (
                model("RMSE", "").replace("\"float_feature_index\":1", "\"float_feature_index\":9"),
                "float feature 9",
            ),
            (
                model("RMSE", "").replace(
                    "\"split_type\":\"FloatFeature\"}]",
                    "\"split_type\":\"OneHotFeature\"}]",
                ),
                "OneHotFeature",
            ),
            ("{\"features_info\": 3".to_string(), "line 1"),
        ];
        for (text, want) in cases {
            let e = lower(&text).unwrap_err().to_string();
            assert!(e.contains(want), "expected `{want}` in: {e}");
        }
    }
}
