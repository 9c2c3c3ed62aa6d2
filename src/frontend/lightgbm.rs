//! LightGBM frontend: the text model format (`Booster.save_model`,
//! `version=v3` and `v4`).
//!
//! What LightGBM computes when it predicts, and so what this lowering
//! reproduces:
//! - a row is read as doubles; a value `v` with `|v| <= kZeroThreshold`
//!   (the float `1e-35f` widened to double) is dropped from the row and so
//!   reads as `0.0`;
//! - a numerical split (decision_type bit 0 clear) with threshold `t`
//!   (a double) sends `v` left when `v <= t`. Missing type (bits 2-3):
//!   *None*: NaN reads as `0.0`; *Zero*: NaN reads as `0.0`, and a value
//!   in `[-kZeroThreshold, kZeroThreshold]` takes the default direction
//!   (bit 1, default_left); *NaN*: NaN takes the default direction;
//! - a categorical split (bit 0 set) sends NaN right, truncates `v` to an
//!   int (x86-64 turns an out-of-range value into `INT_MIN`), sends a
//!   negative int right, and goes left when the int's bit is set in the
//!   node's `cat_threshold` bitset;
//! - per class, the prediction is the sum of the trees' leaf values (tree
//!   `i` feeds class `i % num_tree_per_iteration`), divided by the number of
//!   iterations in random-forest mode (`average_output`), then the
//!   objective's link: sigmoid (`binary`, `multiclassova`,
//!   `cross_entropy`), softmax (`multiclass`), exp (`poisson`, `gamma`,
//!   `tweedie`), identity (regression variants, ranking).
//!
//! The IR compares float32 inputs with float32 thresholds, so each split
//! is lowered to the float32 comparisons that make the same decision for
//! every float32 input. For float32 `x` and double `t`,
//! `(double)x <= t` iff `x <= f` with `f` the largest float32 `<= t`
//! ([`floor_f32`]): if `x <= f` then `x <= f <= t`; if `x <= t` then `x` is
//! a float32 `<= t`, so `x <= f` since `f` is the largest one. The float32
//! line is cut where the decision can change (`f`, the zero band's edges,
//! category edges), LightGBM's decision is evaluated on each piece
//! ([`lightgbm_goes_left`]), and neighbouring pieces with the same
//! direction are merged. Two pieces make one IR split; more (a Zero-type
//! split whose default direction differs from the side zero falls on, a
//! categorical bitset) become a small balanced tree of `<=` splits whose
//! leaves are copies of the child subtrees. Copies keep their source ids,
//! so every IR leaf still names its LightGBM leaf.
//!
//! Precision: LightGBM keeps leaf values as doubles (the text file prints
//! them with 17 significant digits, so they parse back exactly), sums them
//! per class in double starting from 0 in tree order, divides by the
//! iteration count in double (random forest), and applies its link in
//! double (`1 / (1 + exp(-sigmoid * x))`, `exp(x)`, softmax). The IR
//! reproduces that with [`Accumulator::F64`]: the exact double leaf
//! values, base score 0, and the link in double; the one rounding to
//! float32 happens at the end, so outputs land within a few float32 ulps
//! (tests/lightgbm_reference.rs asserts at most 4).
//!
//! Refused with an error naming the line and field: linear trees,
//! `cross_entropy_lambda` (its link `log(1 + exp(x))` is not in the IR),
//! `regression sqrt`, a `sigmoid:` parameter that is not a power of two,
//! unknown objectives, and any malformed or inconsistent field.

pub use super::threshold::floor_f32;
use super::threshold::next_down;
use super::{Format, FrontendError};
use crate::ir::{
    Accumulator, Aggregation, Ensemble, Leaf, MissingGoes, Node, PostTransform, Source, Split,
    SplitOp, Tree, IR_SCHEMA_VERSION, MAX_DEPTH,
};
use std::collections::BTreeMap;
use std::path::Path;

/// LightGBM's kZeroThreshold: the float `1e-35f`, used as a double.
pub const K_ZERO_THRESHOLD: f32 = 1e-35;

/// Most IR nodes one LightGBM tree may expand to (copies made for
/// Zero-type and categorical splits included).
pub const MAX_NODES_PER_TREE: usize = 1 << 20;

/// Largest category a bitset may hold: above 2^24 float32 no longer
/// represents every integer, so the category edges would not be exact.
const MAX_CATEGORY: u64 = 1 << 24;

/// LightGBM's missing-value handling of a numerical split (bits 2-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingType {
    None,
    Zero,
    NaN,
}

/// What one LightGBM split tests.
#[derive(Debug, Clone, PartialEq)]
pub enum LgbSplit {
    Numerical {
        threshold: f64,
        missing: MissingType,
        default_left: bool,
    },
    /// Goes left when the input's category bit is set in `bitset`.
    Categorical { bitset: Vec<u32> },
}

/// LightGBM's decision for the float32 input `x` (true = left), computed
/// the way LightGBM computes it, in double.
pub fn lightgbm_goes_left(split: &LgbSplit, x: f32) -> bool {
    let kz = f64::from(K_ZERO_THRESHOLD);
    // The row reader drops values within the zero band: they read as 0.
    let mut v = if x.is_nan() {
        f64::NAN
    } else if f64::from(x).abs() <= kz {
        0.0
    } else {
        f64::from(x)
    };
    match split {
        LgbSplit::Numerical {
            threshold,
            missing,
            default_left,
        } => {
            if v.is_nan() && *missing != MissingType::NaN {
                v = 0.0;
            }
            let is_missing = match missing {
                MissingType::None => false,
                MissingType::Zero => (-kz..=kz).contains(&v),
                MissingType::NaN => v.is_nan(),
            };
            if is_missing {
                *default_left
            } else {
                v <= *threshold
            }
        }
        LgbSplit::Categorical { bitset } => {
            if v.is_nan() {
                return false;
            }
            // static_cast<int> on x86-64: truncation, INT_MIN out of range.
            let i: i64 = if v >= 2_147_483_648.0 || v <= -2_147_483_649.0 {
                i64::from(i32::MIN)
            } else {
                v.trunc() as i64
            };
            if i < 0 {
                return false;
            }
            let word = (i / 32) as usize;
            match bitset.get(word) {
                Some(w) => (w >> (i % 32)) & 1 == 1,
                None => false,
            }
        }
    }
}

/// The float32 line cut into pieces on which `split` decides one way:
/// `(upper, left)` with `upper` the piece's inclusive upper end (the last
/// piece ends at `+inf`), neighbours always differing in direction. Also
/// returns where NaN goes.
pub fn decision_pieces(split: &LgbSplit) -> (Vec<(f32, bool)>, bool) {
    let z = K_ZERO_THRESHOLD;
    let mut cuts: Vec<f32> = vec![next_down(-z), z];
    match split {
        LgbSplit::Numerical { threshold, .. } => cuts.push(floor_f32(*threshold)),
        LgbSplit::Categorical { bitset } => {
            cuts.push(-1.0);
            for (w, bits) in bitset.iter().enumerate() {
                for b in 0..32u64 {
                    if (bits >> b) & 1 == 1 {
                        let c = (w as u64) * 32 + b;
                        // c and c + 1 are exact in float32 (c < 2^24).
                        if c > 0 {
                            cuts.push(next_down(c as f32));
                        }
                        cuts.push(next_down((c + 1) as f32));
                    }
                }
            }
        }
    }
    cuts.retain(|c| !c.is_nan() && *c != f32::INFINITY);
    cuts.sort_by(|a, b| a.total_cmp(b));
    cuts.dedup();
    cuts.push(f32::INFINITY);
    let mut pieces: Vec<(f32, bool)> = Vec::new();
    for c in cuts {
        let left = lightgbm_goes_left(split, c);
        match pieces.last_mut() {
            Some(last) if last.1 == left => last.0 = c,
            _ => pieces.push((c, left)),
        }
    }
    (pieces, lightgbm_goes_left(split, f32::NAN))
}

// --------------------------------------------------------------------------
// parsing

/// A `key=value` line and where it was.
#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    line: usize,
    value: &'a str,
}

struct Block<'a> {
    /// Label for messages: `header` or `Tree=3`.
    name: String,
    line: usize,
    entries: BTreeMap<&'a str, Entry<'a>>,
}

struct Cx<'a> {
    path: &'a Path,
}

impl Cx<'_> {
    fn err(
        &self,
        block: &str,
        key: &str,
        line: usize,
        message: impl Into<String>,
    ) -> FrontendError {
        FrontendError::Field {
            path: self.path.to_path_buf(),
            field: if block.is_empty() {
                key.to_string()
            } else {
                format!("{block}/{key}")
            },
            message: format!("line {line}: {}", message.into()),
        }
    }

    fn get<'b>(&self, b: &Block<'b>, key: &str) -> Result<Entry<'b>, FrontendError> {
        b.entries
            .get(key)
            .copied()
            .ok_or_else(|| self.err(&b.name, key, b.line, format!("`{key}=` is missing")))
    }

    fn scalar<T: std::str::FromStr>(&self, b: &Block, key: &str) -> Result<T, FrontendError> {
        let e = self.get(b, key)?;
        e.value.trim().parse::<T>().map_err(|_| {
            self.err(
                &b.name,
                key,
                e.line,
                format!(
                    "`{}` is not a valid {}",
                    e.value,
                    std::any::type_name::<T>()
                ),
            )
        })
    }

    /// A space-separated list of exactly `n` values (an absent key is an
    /// empty list).
    fn list<T: std::str::FromStr>(
        &self,
        b: &Block,
        key: &str,
        n: usize,
    ) -> Result<Vec<T>, FrontendError> {
        let (line, text) = match b.entries.get(key) {
            Some(e) => (e.line, e.value),
            None if n == 0 => return Ok(Vec::new()),
            None => return Err(self.err(&b.name, key, b.line, format!("`{key}=` is missing"))),
        };
        let mut out = Vec::with_capacity(n);
        for (i, tok) in text.split_ascii_whitespace().enumerate() {
            let v = tok.parse::<T>().map_err(|_| {
                self.err(
                    &b.name,
                    key,
                    line,
                    format!(
                        "entry {i} `{tok}` is not a valid {}",
                        std::any::type_name::<T>()
                    ),
                )
            })?;
            out.push(v);
        }
        if out.len() != n {
            return Err(self.err(
                &b.name,
                key,
                line,
                format!("{} entries, expected {n}", out.len()),
            ));
        }
        Ok(out)
    }
}

/// Split the text into the header block and one block per tree.
fn blocks<'a>(cx: &Cx, text: &'a str) -> Result<(Block<'a>, Vec<Block<'a>>), FrontendError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end()));
    match lines.next() {
        Some((_, "tree")) => {}
        _ => {
            return Err(FrontendError::Syntax {
                path: cx.path.to_path_buf(),
                message: "line 1: a LightGBM text model starts with `tree`".into(),
            })
        }
    }
    let mut header = Block {
        name: String::new(),
        line: 1,
        entries: BTreeMap::new(),
    };
    let mut trees: Vec<Block> = Vec::new();
    let mut ended = false;
    for (no, line) in lines {
        if line == "end of trees" {
            ended = true;
            break;
        }
        if line.is_empty() {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), v),
            None => (line.trim(), ""),
        };
        if key == "Tree" {
            trees.push(Block {
                name: format!("Tree={}", value.trim()),
                line: no,
                entries: BTreeMap::new(),
            });
            continue;
        }
        let block = trees.last_mut().unwrap_or(&mut header);
        if block
            .entries
            .insert(key, Entry { line: no, value })
            .is_some()
        {
            return Err(cx.err(&block.name, key, no, format!("`{key}` appears twice")));
        }
    }
    if !ended {
        return Err(FrontendError::Syntax {
            path: cx.path.to_path_buf(),
            message: "the model has no `end of trees` line (truncated file?)".into(),
        });
    }
    Ok((header, trees))
}

/// The objective's post transform and the factor folded into the leaves.
fn objective(
    cx: &Cx,
    header: &Block,
    num_class: u32,
) -> Result<(String, PostTransform, f64), FrontendError> {
    let Some(e) = header.entries.get("objective").copied() else {
        return Err(cx.err(
            "",
            "objective",
            header.line,
            "`objective=` is missing (a model trained with a custom objective); timber needs the objective to know the link function",
        ));
    };
    let err = |m: String| cx.err("", "objective", e.line, m);
    let mut toks = e.value.split_ascii_whitespace();
    let name = toks.next().unwrap_or("").to_string();
    let mut params: BTreeMap<&str, &str> = BTreeMap::new();
    for t in toks {
        match t.split_once(':') {
            Some((k, v)) => params.insert(k, v),
            None => params.insert(t, ""),
        };
    }
    if params.contains_key("sqrt") {
        return Err(err(format!(
            "`{name} sqrt` (a square-root transformed label) is not supported: its output transform sign(x)*x^2 is not in the IR"
        )));
    }
    let sigmoid = |default: f64| -> Result<f64, FrontendError> {
        let s = match params.get("sigmoid") {
            Some(v) => v
                .parse::<f64>()
                .map_err(|_| err(format!("sigmoid parameter `{v}` is not a number")))?,
            None => default,
        };
        // Folding s into the leaves is exact only for a power of two: it
        // scales every leaf, every partial sum and the margin without
        // rounding.
        let is_pow2 = s.is_finite() && s > 0.0 && {
            let (m, _) = frexp(s);
            m == 0.5
        };
        if !is_pow2 {
            return Err(err(format!(
                "sigmoid:{s} is not supported exactly: the IR's sigmoid has no scale, and only a power-of-two scale can be folded into the leaf values without rounding"
            )));
        }
        Ok(s)
    };
    let check_classes = |want_multi: bool| -> Result<(), FrontendError> {
        if let Some(v) = params.get("num_class") {
            if v.parse::<u32>().ok() != Some(num_class) {
                return Err(err(format!(
                    "num_class:{v} disagrees with num_class={num_class}"
                )));
            }
        }
        if want_multi && num_class < 2 {
            return Err(err(format!(
                "{name} needs num_class >= 2, found {num_class}"
            )));
        }
        if !want_multi && num_class != 1 {
            return Err(err(format!("{name} with num_class={num_class}")));
        }
        Ok(())
    };
    use PostTransform as P;
    let (post, scale) = match name.as_str() {
        "binary" => {
            check_classes(false)?;
            (P::Sigmoid, sigmoid(1.0)?)
        }
        "multiclassova" | "multiclass_ova" | "ova" | "ovr" => {
            check_classes(true)?;
            (P::Sigmoid, sigmoid(1.0)?)
        }
        "multiclass" | "softmax" => {
            check_classes(true)?;
            (P::Softmax, 1.0)
        }
        "cross_entropy" | "xentropy" => {
            check_classes(false)?;
            (P::Sigmoid, 1.0)
        }
        "cross_entropy_lambda" | "xentlambda" => {
            return Err(err(format!(
                "{name} is not supported: its output transform log(1 + exp(x)) is not in the IR and would have to be approximated"
            )))
        }
        "poisson" | "gamma" | "tweedie" => {
            check_classes(false)?;
            (P::Exp, 1.0)
        }
        "regression" | "regression_l2" | "l2" | "mean_squared_error" | "mse" | "l2_root"
        | "root_mean_squared_error" | "rmse" | "regression_l1" | "l1" | "mean_absolute_error"
        | "mae" | "huber" | "fair" | "quantile" | "mape" | "mean_absolute_percentage_error"
        | "lambdarank" | "rank_xendcg" | "xendcg" | "xe_ndcg" | "xe_ndcg_mart" | "xendcg_mart" => {
            check_classes(false)?;
            (P::Identity, 1.0)
        }
        other => {
            return Err(err(format!(
                "objective `{other}` is not supported; supported: binary, multiclass, multiclassova, cross_entropy, regression, regression_l1, huber, fair, quantile, mape, poisson, gamma, tweedie, lambdarank, rank_xendcg"
            )))
        }
    };
    Ok((e.value.trim().to_string(), post, scale))
}

/// Mantissa in [0.5, 1) and exponent of a positive finite double.
fn frexp(x: f64) -> (f64, i32) {
    let mut m = x;
    let mut e = 0;
    while m >= 1.0 {
        m /= 2.0;
        e += 1;
    }
    while m < 0.5 {
        m *= 2.0;
        e -= 1;
    }
    (m, e)
}

/// Lower a LightGBM text model.
pub fn from_text_bytes(path: &Path, bytes: &[u8]) -> Result<Ensemble, FrontendError> {
    let cx = Cx { path };
    let text = std::str::from_utf8(bytes).map_err(|e| FrontendError::Syntax {
        path: path.to_path_buf(),
        message: format!("not UTF-8 text (byte {})", e.valid_up_to()),
    })?;
    let (header, tree_blocks) = blocks(&cx, text)?;

    let version = cx.get(&header, "version")?;
    if !matches!(version.value.trim(), "v3" | "v4") {
        return Err(cx.err(
            "",
            "version",
            version.line,
            format!(
                "model format `{}` is not supported (v3 and v4 are)",
                version.value
            ),
        ));
    }
    let num_class: u32 = cx.scalar(&header, "num_class")?;
    let per_iter: u32 = cx.scalar(&header, "num_tree_per_iteration")?;
    if num_class == 0 || num_class > 65_536 {
        let line = cx.get(&header, "num_class")?.line;
        return Err(cx.err(
            "",
            "num_class",
            line,
            format!("{num_class} is outside 1..=65536"),
        ));
    }
    if per_iter != num_class {
        let line = cx.get(&header, "num_tree_per_iteration")?.line;
        return Err(cx.err(
            "",
            "num_tree_per_iteration",
            line,
            format!("{per_iter} trees per iteration for num_class={num_class}"),
        ));
    }
    let max_feature_idx: i64 = cx.scalar(&header, "max_feature_idx")?;
    let n_features = u32::try_from(max_feature_idx + 1)
        .ok()
        .filter(|&n| n > 0 && n <= 1_000_000)
        .ok_or_else(|| {
            let line = header.entries.get("max_feature_idx").map_or(0, |e| e.line);
            cx.err(
                "",
                "max_feature_idx",
                line,
                format!("{max_feature_idx} gives a feature count outside 1..=1000000"),
            )
        })?;
    let (objective_text, post, scale) = objective(&cx, &header, num_class)?;
    let average = header.entries.contains_key("average_output");
    if let Some(e) = header.entries.get("linear_tree") {
        if e.value.trim() != "0" {
            return Err(cx.err(
                "",
                "linear_tree",
                e.line,
                "linear trees are not supported: their leaves are linear models of the inputs",
            ));
        }
    }
    let feature_names: Vec<String> = match header.entries.get("feature_names") {
        Some(e) => {
            let names: Vec<String> = e.value.split_ascii_whitespace().map(String::from).collect();
            if names.len() != n_features as usize {
                return Err(cx.err(
                    "",
                    "feature_names",
                    e.line,
                    format!("{} names for {n_features} features", names.len()),
                ));
            }
            names
        }
        None => Vec::new(),
    };
    if tree_blocks.is_empty() {
        return Err(cx.err("", "Tree", header.line, "the model has no trees"));
    }
    if tree_blocks.len() % per_iter as usize != 0 {
        return Err(cx.err(
            "",
            "Tree",
            tree_blocks[tree_blocks.len() - 1].line,
            format!(
                "{} trees is not a whole number of iterations of {per_iter}",
                tree_blocks.len()
            ),
        ));
    }

    let mut trees = Vec::with_capacity(tree_blocks.len());
    for (t, b) in tree_blocks.iter().enumerate() {
        let group = (t % per_iter as usize) as u32;
        trees.push(lower_tree(&cx, b, t, group, n_features, scale)?);
    }

    Ok(Ensemble {
        schema_version: IR_SCHEMA_VERSION,
        source: Source {
            format: Format::LightgbmText.id().to_string(),
            // The file records its format version, not the LightGBM version.
            framework_version: Some(format!("model format {}", version.value.trim())),
            objective: objective_text,
            sha256: super::sha256_hex(bytes),
        },
        n_features,
        feature_names,
        n_groups: num_class,
        // LightGBM sums and links in double.
        accumulator: Accumulator::F64,
        base_score: vec![0.0; num_class as usize],
        aggregation: if average {
            Aggregation::Average
        } else {
            Aggregation::Sum
        },
        post_transform: post,
        trees,
    })
}

/// One parsed LightGBM tree, checked to be well formed.
struct LgbTree {
    splits: Vec<(u32, LgbSplit)>,
    left: Vec<i32>,
    right: Vec<i32>,
    leaves: Vec<f64>,
}

fn lower_tree(
    cx: &Cx,
    b: &Block,
    t: usize,
    group: u32,
    n_features: u32,
    scale: f64,
) -> Result<Tree, FrontendError> {
    let source_id =
        u32::try_from(t).map_err(|_| cx.err(&b.name, "Tree", b.line, "too many trees"))?;
    let declared: String = b.name.trim_start_matches("Tree=").to_string();
    if declared.parse::<usize>().ok() != Some(t) {
        return Err(cx.err(
            &b.name,
            "Tree",
            b.line,
            format!("tree {t} is labelled `Tree={declared}`"),
        ));
    }
    if let Some(e) = b.entries.get("is_linear") {
        if e.value.trim() != "0" {
            return Err(cx.err(
                &b.name,
                "is_linear",
                e.line,
                format!("tree {t} is a linear tree (leaves are linear models of the inputs); linear trees are not supported"),
            ));
        }
    }
    let num_leaves: usize = cx.scalar(b, "num_leaves")?;
    if num_leaves == 0 || num_leaves > MAX_NODES_PER_TREE {
        let line = cx.get(b, "num_leaves")?.line;
        return Err(cx.err(&b.name, "num_leaves", line, format!("{num_leaves} leaves")));
    }
    let n_int = num_leaves - 1;
    let leaf_values: Vec<f64> = cx.list(b, "leaf_value", num_leaves)?;
    let mut leaves = Vec::with_capacity(num_leaves);
    for (i, &v) in leaf_values.iter().enumerate() {
        let scaled = v * scale;
        // A power-of-two scale is exact unless it pushes a value out of the
        // normal range (overflow, or a subnormal losing bits); then
        // sigmoid * (sum of leaves) would differ from the sum of scaled
        // leaves.
        let lost = scale != 1.0 && scaled != 0.0 && scaled.abs() < f64::MIN_POSITIVE;
        if !scaled.is_finite() || lost {
            let line = cx.get(b, "leaf_value")?.line;
            return Err(cx.err(
                &b.name,
                "leaf_value",
                line,
                format!("leaf {i}: value {v} (times sigmoid scale {scale}) is not a finite, normal double"),
            ));
        }
        leaves.push(scaled);
    }
    if n_int == 0 {
        return Ok(Tree {
            source_id,
            group,
            nodes: vec![Node::Leaf(Leaf {
                source_id: 0,
                values: vec![leaves[0]],
            })],
        });
    }
    let features: Vec<u32> = cx.list(b, "split_feature", n_int)?;
    let thresholds: Vec<f64> = cx.list(b, "threshold", n_int)?;
    let dtypes: Vec<u8> = cx.list(b, "decision_type", n_int)?;
    let left: Vec<i32> = cx.list(b, "left_child", n_int)?;
    let right: Vec<i32> = cx.list(b, "right_child", n_int)?;
    let num_cat: usize = match b.entries.get("num_cat") {
        Some(_) => cx.scalar(b, "num_cat")?,
        None => 0,
    };
    let (cat_bounds, cat_words): (Vec<usize>, Vec<u32>) = if num_cat > 0 {
        if num_cat > n_int {
            let line = cx.get(b, "num_cat")?.line;
            return Err(cx.err(
                &b.name,
                "num_cat",
                line,
                format!("{num_cat} categorical splits in a tree of {n_int} splits"),
            ));
        }
        let bounds: Vec<usize> = cx.list(b, "cat_boundaries", num_cat + 1)?;
        let bline = cx.get(b, "cat_boundaries")?.line;
        if bounds[0] != 0 || bounds.windows(2).any(|w| w[0] > w[1]) {
            return Err(cx.err(
                &b.name,
                "cat_boundaries",
                bline,
                "boundaries must start at 0 and not decrease",
            ));
        }
        let n_words = bounds[num_cat];
        if n_words as u64 > MAX_CATEGORY / 32 {
            return Err(cx.err(&b.name, "cat_boundaries", bline, format!("a bitset of {n_words} words holds categories above 2^24, which float32 inputs cannot represent exactly")));
        }
        (bounds, cx.list(b, "cat_threshold", n_words)?)
    } else {
        (Vec::new(), Vec::new())
    };

    let mut splits = Vec::with_capacity(n_int);
    for i in 0..n_int {
        let f = features[i];
        if f >= n_features {
            let line = cx.get(b, "split_feature")?.line;
            return Err(cx.err(
                &b.name,
                "split_feature",
                line,
                format!("node {i}: feature {f} but the model has {n_features} features"),
            ));
        }
        let d = dtypes[i];
        let dline = cx.get(b, "decision_type")?.line;
        if d & !0x0F != 0 {
            return Err(cx.err(
                &b.name,
                "decision_type",
                dline,
                format!("node {i}: unknown decision_type bits in {d}"),
            ));
        }
        let th = thresholds[i];
        let tline = cx.get(b, "threshold")?.line;
        if th.is_nan() {
            return Err(cx.err(
                &b.name,
                "threshold",
                tline,
                format!("node {i}: threshold is NaN"),
            ));
        }
        let split = if d & 1 == 1 {
            if th < 0.0 || th.fract() != 0.0 || th >= num_cat as f64 {
                return Err(cx.err(
                    &b.name,
                    "threshold",
                    tline,
                    format!("node {i}: categorical split index {th} is not in 0..{num_cat}"),
                ));
            }
            let c = th as usize;
            LgbSplit::Categorical {
                bitset: cat_words[cat_bounds[c]..cat_bounds[c + 1]].to_vec(),
            }
        } else {
            let missing = match (d >> 2) & 3 {
                0 => MissingType::None,
                1 => MissingType::Zero,
                2 => MissingType::NaN,
                _ => {
                    return Err(cx.err(
                        &b.name,
                        "decision_type",
                        dline,
                        format!("node {i}: missing type 3 in decision_type {d} does not exist"),
                    ))
                }
            };
            LgbSplit::Numerical {
                threshold: th,
                missing,
                default_left: d & 2 != 0,
            }
        };
        splits.push((f, split));
    }
    // Every child reference in range, every node and leaf referenced once
    // (the root never), every leaf reachable.
    let mut int_refs = vec![0u32; n_int];
    let mut leaf_refs = vec![0u32; num_leaves];
    for (key, kids) in [("left_child", &left), ("right_child", &right)] {
        let line = cx.get(b, key)?.line;
        for (i, &c) in kids.iter().enumerate() {
            let slot = if c >= 0 {
                int_refs.get_mut(c as usize).filter(|_| c != 0)
            } else {
                leaf_refs.get_mut(!c as usize)
            };
            match slot {
                Some(s) => *s += 1,
                None => {
                    return Err(cx.err(
                        &b.name,
                        key,
                        line,
                        format!("node {i}: child {c} is not a valid node or leaf reference"),
                    ))
                }
            }
        }
    }
    if let Some(i) = int_refs.iter().skip(1).position(|&r| r != 1) {
        return Err(cx.err(
            &b.name,
            "left_child",
            cx.get(b, "left_child")?.line,
            format!(
                "node {} is referenced {} times; a tree references each node once",
                i + 1,
                int_refs[i + 1]
            ),
        ));
    }
    if let Some(l) = leaf_refs.iter().position(|&r| r != 1) {
        return Err(cx.err(
            &b.name,
            "left_child",
            cx.get(b, "left_child")?.line,
            format!(
                "leaf {l} is referenced {} times; a tree references each leaf once",
                leaf_refs[l]
            ),
        ));
    }
    let lgb = LgbTree {
        splits,
        left,
        right,
        leaves,
    };
    let mut builder = Builder {
        lgb: &lgb,
        nodes: Vec::new(),
        leaf_seen: vec![false; num_leaves],
    };
    builder
        .emit(0, 0)
        .map_err(|m| cx.err(&b.name, "left_child", b.line, format!("tree {t}: {m}")))?;
    if let Some(l) = builder.leaf_seen.iter().position(|s| !s) {
        return Err(cx.err(
            &b.name,
            "left_child",
            cx.get(b, "left_child")?.line,
            format!("leaf {l} is not reachable from the root"),
        ));
    }
    Ok(Tree {
        source_id,
        group,
        nodes: builder.nodes,
    })
}

/// Builds the IR nodes of one tree, root first, copying subtrees where a
/// split needs more than one cut.
struct Builder<'a> {
    lgb: &'a LgbTree,
    nodes: Vec<Node>,
    leaf_seen: Vec<bool>,
}

impl Builder<'_> {
    fn push(&mut self, node: Node) -> Result<u32, String> {
        if self.nodes.len() >= MAX_NODES_PER_TREE {
            return Err(format!(
                "expanding its Zero-type and categorical splits into float32 comparisons needs more than {MAX_NODES_PER_TREE} nodes"
            ));
        }
        self.nodes.push(node);
        Ok((self.nodes.len() - 1) as u32)
    }

    /// Emit LightGBM child reference `c` (>= 0 a split, < 0 a leaf) at IR
    /// depth `depth`; returns its IR index.
    fn emit(&mut self, c: i32, depth: usize) -> Result<u32, String> {
        if c < 0 {
            let l = !c as usize;
            self.leaf_seen[l] = true;
            return self.push(Node::Leaf(Leaf {
                source_id: l as u32,
                values: vec![self.lgb.leaves[l]],
            }));
        }
        let n = c as usize;
        let (pieces, nan_left) = decision_pieces(&self.lgb.splits[n].1);
        self.cuts(n, &pieces, 0, pieces.len() - 1, nan_left, depth)
    }

    /// Emit the comparisons that route pieces `lo..=hi` of node `n`.
    fn cuts(
        &mut self,
        n: usize,
        pieces: &[(f32, bool)],
        lo: usize,
        hi: usize,
        nan_left: bool,
        depth: usize,
    ) -> Result<u32, String> {
        if depth > MAX_DEPTH {
            return Err(format!("deeper than {MAX_DEPTH} levels (or a cycle)"));
        }
        let child = |left: bool| {
            if left {
                self.lgb.left[n]
            } else {
                self.lgb.right[n]
            }
        };
        let feature = self.lgb.splits[n].0;
        if lo == hi {
            let dest = pieces[lo].1;
            if lo == 0 && hi == pieces.len() - 1 && dest != nan_left {
                // Every number goes one way, NaN the other: x <= +inf.
                let (l, r) = (child(dest), child(nan_left));
                return self.split(n, feature, f32::INFINITY, MissingGoes::Right, l, r, depth);
            }
            return self.emit(child(dest), depth + 1);
        }
        let mid = (lo + hi) / 2;
        let has_nan_dest = |a: usize, b: usize| pieces[a..=b].iter().any(|p| p.1 == nan_left);
        let missing = if has_nan_dest(lo, mid) || !has_nan_dest(mid + 1, hi) {
            MissingGoes::Left
        } else {
            MissingGoes::Right
        };
        let idx = self.push(Node::Split(Split {
            source_id: n as u32,
            feature,
            threshold: pieces[mid].0,
            op: SplitOp::Le,
            missing,
            left: 0,
            right: 0,
        }))?;
        let l = self.cuts(n, pieces, lo, mid, nan_left, depth + 1)?;
        let r = self.cuts(n, pieces, mid + 1, hi, nan_left, depth + 1)?;
        self.patch(idx, l, r);
        Ok(idx)
    }

    #[allow(clippy::too_many_arguments)]
    fn split(
        &mut self,
        n: usize,
        feature: u32,
        threshold: f32,
        missing: MissingGoes,
        left: i32,
        right: i32,
        depth: usize,
    ) -> Result<u32, String> {
        let idx = self.push(Node::Split(Split {
            source_id: n as u32,
            feature,
            threshold,
            op: SplitOp::Le,
            missing,
            left: 0,
            right: 0,
        }))?;
        let l = self.emit(left, depth + 1)?;
        let r = self.emit(right, depth + 1)?;
        self.patch(idx, l, r);
        Ok(idx)
    }

    fn patch(&mut self, idx: u32, l: u32, r: u32) {
        if let Some(Node::Split(s)) = self.nodes.get_mut(idx as usize) {
            s.left = l;
            s.right = r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::eval::leaf_index;
    use proptest::prelude::*;

    fn stump(threshold: &str, decision_type: &str, cat: &str, objective: &str) -> String {
        format!(
            "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
max_feature_idx=1\nobjective={objective}\nfeature_names=a b\n\n\
Tree=0\nnum_leaves=2\nnum_cat={}\nsplit_feature=1\nthreshold={threshold}\n\
decision_type={decision_type}\nleft_child=-1\nright_child=-2\nleaf_value=0.25 -0.5\n{cat}\
is_linear=0\nshrinkage=1\n\n\nend of trees\n\nparameters:\n[boosting: gbdt]\nend of parameters\n",
            usize::from(!cat.is_empty())
        )
    }

    fn lower(text: &str) -> Result<Ensemble, FrontendError> {
        from_text_bytes(Path::new("m.txt"), text.as_bytes())
    }

    fn err(text: &str) -> String {
        lower(text).unwrap_err().to_string()
    }

    /// Does the lowered stump send `x` (feature 1) to LightGBM leaf 0?
    fn ir_left(ens: &Ensemble, x: f32) -> bool {
        let t = &ens.trees[0];
        t.nodes[leaf_index(t, &[0.0, x]) as usize].source_id() == 0
    }

    fn specials() -> Vec<f32> {
        let z = K_ZERO_THRESHOLD;
        let mut v = vec![
            f32::NAN,
            0.0,
            -0.0,
            z,
            -z,
            next_down(z),
            next_down(-z),
            -next_down(z),
            f32::from_bits(1),
            -f32::from_bits(1),
            1e-36,
            -1e-36,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            -f32::MAX,
            -0.5,
            -1.0,
            next_down(-1.0),
            3e9,
        ];
        for c in 0..40 {
            let c = c as f32;
            v.extend([c, next_down(c), c + 0.5, next_down(c + 1.0)]);
        }
        v
    }

    #[test]
    fn lowers_a_stump_with_names_and_objective() {
        let e = lower(&stump("0.5", "2", "", "binary sigmoid:1")).unwrap();
        crate::ir::validate(&e).unwrap();
        assert_eq!(e.n_features, 2);
        assert_eq!(e.feature_names, vec!["a", "b"]);
        assert_eq!(e.post_transform, PostTransform::Sigmoid);
        assert_eq!(e.source.format, "lightgbm-text");
        assert_eq!(e.base_score, vec![0.0]);
        match &e.trees[0].nodes[0] {
            Node::Split(s) => {
                assert_eq!((s.feature, s.threshold, s.op), (1, 0.5, SplitOp::Le));
            }
            other => panic!("{other:?}"),
        }
        // sigmoid:2 is folded into the leaves exactly.
        let e = lower(&stump("0.5", "2", "", "binary sigmoid:2")).unwrap();
        assert_eq!(e.n_nodes(), 3);
        match &e.trees[0].nodes[1] {
            Node::Leaf(l) => assert_eq!(l.values, vec![0.5]),
            other => panic!("{other:?}"),
        }
    }

    proptest! {
        /// A numerical split of every missing type and default direction,
        /// with thresholds around zero and the zero band: the lowered IR
        /// decides like LightGBM for random and special inputs.
        #[test]
        fn numerical_split_lowering_decides_like_lightgbm(
            which in 0usize..12,
            random_t in -10.0f64..10.0,
            dt in 0u8..12,
            xbits in proptest::collection::vec(any::<u32>(), 32),
        ) {
            let kz = f64::from(K_ZERO_THRESHOLD);
            let t = [random_t, 0.0, -0.0, kz, -kz, 1e-36, -1e-36, 1e-40, -1e-40, 1.5, -1.5, 1e300][which];
            let dt = dt & 0x0E; // numerical; default_left and missing type bits
            prop_assume!((dt >> 2) & 3 != 3);
            let text = stump(&format!("{t:e}"), &dt.to_string(), "", "regression");
            let ens = lower(&text).unwrap();
            crate::ir::validate(&ens).unwrap();
            let split = LgbSplit::Numerical {
                threshold: t,
                missing: [MissingType::None, MissingType::Zero, MissingType::NaN][usize::from((dt >> 2) & 3)],
                default_left: dt & 2 != 0,
            };
            let xs = specials().into_iter().chain(xbits.iter().map(|&b| f32::from_bits(b)));
            for x in xs.chain([floor_f32(t), next_down(floor_f32(t))]) {
                prop_assert_eq!(ir_left(&ens, x), lightgbm_goes_left(&split, x), "x = {:e}, t = {:e}, dt = {}", x, t, dt);
            }
        }

        /// Categorical bitsets: the lowered comparisons decide like LightGBM.
        #[test]
        fn categorical_split_lowering_decides_like_lightgbm(
            words in proptest::collection::vec(any::<u32>(), 1..3),
            nan_missing in any::<bool>(),
            xbits in proptest::collection::vec(any::<u32>(), 32),
        ) {
            let cat = format!(
                "cat_boundaries=0 {}\ncat_threshold={}\n",
                words.len(),
                words.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
            );
            let dt = if nan_missing { "9" } else { "1" };
            let ens = lower(&stump("0", dt, &cat, "regression")).unwrap();
            crate::ir::validate(&ens).unwrap();
            let split = LgbSplit::Categorical { bitset: words.clone() };
            let xs = specials().into_iter().chain(xbits.iter().map(|&b| f32::from_bits(b)));
            for x in xs {
                prop_assert_eq!(ir_left(&ens, x), lightgbm_goes_left(&split, x), "x = {:e}", x);
            }
        }
    }

    #[test]
    fn single_leaf_trees_and_hostile_chains() {
        // LightGBM writes a tree that never split with empty split fields.
        let one = stump("0.5", "2", "", "regression").replace(
            "num_leaves=2\nnum_cat=0\nsplit_feature=1\nthreshold=0.5\ndecision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=0.25 -0.5",
            "num_leaves=1\nnum_cat=0\nsplit_feature=\nthreshold=\ndecision_type=\nleft_child=\nright_child=\nleaf_value=0.25",
        );
        let e = lower(&one).unwrap();
        assert_eq!(e.trees[0].nodes.len(), 1);
        assert_eq!(crate::ir::evaluate(&e, &[f32::NAN, 1.0]), vec![0.25]);
        // A 100,000-split chain is refused with an error, not a crash.
        let n = 100_000usize;
        let left: Vec<String> = (0..n)
            .map(|i| {
                if i + 1 < n {
                    (i + 1).to_string()
                } else {
                    (-(n as i64) - 1).to_string()
                }
            })
            .collect();
        let right: Vec<String> = (0..n).map(|i| (-(i as i64) - 1).to_string()).collect();
        let chain = format!(
            "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=0\nobjective=regression\n\nTree=0\nnum_leaves={}\nsplit_feature={}\nthreshold={}\ndecision_type={}\nleft_child={}\nright_child={}\nleaf_value={}\n\nend of trees\n",
            n + 1,
            vec!["0"; n].join(" "),
            vec!["0.5"; n].join(" "),
            vec!["2"; n].join(" "),
            left.join(" "),
            right.join(" "),
            vec!["1"; n + 1].join(" "),
        );
        let e = err(&chain);
        assert!(e.contains("deeper than 512"), "{e}");
    }

    #[test]
    fn zero_type_split_against_the_default_side_is_copied() {
        // threshold -1 with zero (missing) going left: left, right, left,
        // right along the float32 line, so three cuts.
        let e = lower(&stump("-1", "6", "", "regression")).unwrap();
        crate::ir::validate(&e).unwrap();
        assert_eq!(e.trees[0].nodes.len(), 7);
        for (x, left) in [
            (-2.0, true),
            (-0.5, false),
            (0.0, true),
            (f32::NAN, true),
            (1e-36, true),
            (0.5, false),
        ] {
            assert_eq!(ir_left(&e, x), left, "x = {x}");
        }
    }

    #[test]
    fn malformed_and_unsupported_models_are_refused_with_line_and_field() {
        let good = stump("0.5", "2", "", "regression");
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "starts with `tree`"),
            ("tree\nversion=v4\n".into(), "end of trees"),
            (
                good.replace("version=v4", "version=v2"),
                "`version`: line 2",
            ),
            (
                good.replace("threshold=0.5", "threshold=zero"),
                "Tree=0/threshold`: line 14",
            ),
            (
                good.replace("leaf_value=0.25 -0.5", "leaf_value=0.25"),
                "Tree=0/leaf_value`: line 18: 1 entries, expected 2",
            ),
            (
                good.replace("leaf_value=0.25 -0.5", "leaf_value=0.25 nan"),
                "not a finite",
            ),
            (
                good.replace("right_child=-2", "right_child=-9"),
                "Tree=0/right_child`: line 17",
            ),
            (
                good.replace("right_child=-2", "right_child=-1"),
                "referenced 2 times",
            ),
            (
                good.replace("right_child=-2", "right_child=0"),
                "not a valid node",
            ),
            (
                good.replace("split_feature=1", "split_feature=7"),
                "feature 7",
            ),
            (
                good.replace("decision_type=2", "decision_type=14"),
                "missing type 3",
            ),
            (
                good.replace("decision_type=2", "decision_type=64"),
                "unknown decision_type",
            ),
            (
                good.replace("decision_type=2", "decision_type=1"),
                "categorical split index",
            ),
            (good.replace("is_linear=0", "is_linear=1"), "linear tree"),
            (
                good.replace("num_leaves=2", "num_leaves=99999999999"),
                "num_leaves",
            ),
            (good.replace("Tree=0", "Tree=3"), "labelled `Tree=3`"),
            (
                good.replace("objective=regression", "objective=cross_entropy_lambda"),
                "log(1 + exp(x))",
            ),
            (
                good.replace("objective=regression", "objective=regression sqrt"),
                "sqrt",
            ),
            (
                good.replace("objective=regression", "objective=binary sigmoid:3"),
                "sigmoid:3",
            ),
            (
                good.replace("objective=regression", "objective=survival"),
                "not supported",
            ),
            (
                good.replace("objective=regression\n", ""),
                "`objective=` is missing",
            ),
            (
                good.replace("num_class=1", "num_class=3"),
                "num_tree_per_iteration",
            ),
            (
                good.replace("max_feature_idx=1", "max_feature_idx=-1"),
                "max_feature_idx",
            ),
            (
                good.replace("feature_names=a b", "feature_names=a"),
                "1 names",
            ),
            (
                good.replace("shrinkage=1\n", "shrinkage=1\nshrinkage=1\n"),
                "appears twice",
            ),
        ];
        for (text, want) in cases {
            let e = err(&text);
            assert!(e.contains(want), "expected `{want}` in: {e}");
            assert!(e.starts_with("m.txt:"), "{e}");
        }
        // Not UTF-8.
        let e = from_text_bytes(Path::new("m.txt"), b"tree\n\xff\xfe").unwrap_err();
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }
}
