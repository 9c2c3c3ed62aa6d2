//! The one intermediate representation every model format is lowered to.
//!
//! The IR knows no file format and no backend: frontends produce an
//! [`Ensemble`], [`validate`] checks it once, and from then on the C99
//! backend, the reference evaluator and the verifier can trust its shape.
//!
//! Numeric contract carried by the IR (see docs/architecture.md):
//! - inputs are `f32`; each split compares the `f32` input against an `f32`
//!   threshold with the operator the framework uses ([`SplitOp`]), so a
//!   frontend whose framework compares against a double threshold must first
//!   turn it into the exactly equivalent `f32` comparison;
//! - a NaN input follows the node's [`MissingGoes`] direction;
//! - per output group, the sum starts at the group's base score and adds
//!   each tree's leaf value in tree order, in the ensemble's
//!   [`Accumulator`] precision: `f32` (XGBoost, which sums in float32) or
//!   `f64` (LightGBM, CatBoost, scikit-learn, which sum in double);
//! - then [`Aggregation`] and [`PostTransform`] are applied, with the
//!   arithmetic of [`eval`]: in `f32` under [`Accumulator::F32`]; under
//!   [`Accumulator::F64`] the average divides in `f64`, the link function
//!   runs in `f64` ([`mathfn::exp64`] and friends) and each output is
//!   rounded to `f32` exactly once, at the end.
//!
//! Leaf values and base scores are held as `f64`. Under
//! [`Accumulator::F32`] validation requires each to be exactly a float32
//! (a widened `f32` is exact), so the `f32` arithmetic loses nothing.
//!
//! `ir.json` (see [`Ensemble::to_canonical_json`]) is the canonical,
//! versioned serialisation: struct fields in declaration order, maps sorted,
//! floats written so that they parse back to the same bits.

pub mod eval;
pub mod mathfn;
pub mod validate;

use serde::{Deserialize, Serialize};

pub use eval::{evaluate, evaluate_into, Decisions};
pub use validate::{validate, ValidationError, MAX_DEPTH};

/// Version of the `ir.json` schema. Bump on any change of meaning.
pub const IR_SCHEMA_VERSION: u32 = 1;

/// A whole tree ensemble: what to compute, independent of any format.
///
/// Serialised by hand (see the `Serialize` impl below) so a float32
/// model's base scores print as the float32 digits they always had, and
/// read through [`EnsembleWire`], which rounds them back to float32.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "EnsembleWire")]
pub struct Ensemble {
    /// Always [`IR_SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// Where the model came from, for traceability.
    pub source: Source,
    /// Number of input features (length of the input row).
    pub n_features: u32,
    /// Optional feature names, empty or exactly `n_features` long.
    #[serde(default)]
    pub feature_names: Vec<String>,
    /// Number of margin groups the trees add into (1 for regression and
    /// binary classification, the class count for multiclass).
    pub n_groups: u32,
    /// Precision of the sums, the averaging and the link function.
    /// Omitted from `ir.json` when `f32` (the default), so a float32 model's
    /// `ir.json` reads as it did before the field existed.
    pub accumulator: Accumulator,
    /// Initial value of each group's sum, in margin space, one per group.
    /// Exactly a float32 under [`Accumulator::F32`].
    pub base_score: Vec<f64>,
    /// How the tree sums become margins.
    pub aggregation: Aggregation,
    /// The link function applied to the margins.
    pub post_transform: PostTransform,
    /// The trees, in the order their leaves are added.
    pub trees: Vec<Tree>,
}

/// `ir.json` as read: the fields of [`Ensemble`], in its order.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnsembleWire {
    schema_version: u32,
    source: Source,
    n_features: u32,
    #[serde(default)]
    feature_names: Vec<String>,
    n_groups: u32,
    #[serde(default)]
    accumulator: Accumulator,
    #[serde(with = "f64_bits_vec")]
    base_score: Vec<f64>,
    aggregation: Aggregation,
    post_transform: PostTransform,
    trees: Vec<Tree>,
}

impl From<EnsembleWire> for Ensemble {
    fn from(w: EnsembleWire) -> Ensemble {
        // A float32 model's base scores are written as float32 digits;
        // read as doubles they are rounded back to the float32 they name.
        let base_score = match w.accumulator {
            Accumulator::F32 => w
                .base_score
                .into_iter()
                .map(|b| f64::from(b as f32))
                .collect(),
            Accumulator::F64 => w.base_score,
        };
        Ensemble {
            schema_version: w.schema_version,
            source: w.source,
            n_features: w.n_features,
            feature_names: w.feature_names,
            n_groups: w.n_groups,
            accumulator: w.accumulator,
            base_score,
            aggregation: w.aggregation,
            post_transform: w.post_transform,
            trees: w.trees,
        }
    }
}

impl Serialize for Ensemble {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let f32_acc = self.accumulator.is_f32();
        let n_fields = if f32_acc { 10 } else { 11 };
        let mut st = s.serialize_struct("Ensemble", n_fields)?;
        st.serialize_field("schema_version", &self.schema_version)?;
        st.serialize_field("source", &self.source)?;
        st.serialize_field("n_features", &self.n_features)?;
        st.serialize_field("feature_names", &self.feature_names)?;
        st.serialize_field("n_groups", &self.n_groups)?;
        if f32_acc {
            st.skip_field("accumulator")?;
            // Float32 digits (the values are float32, validated).
            let base: Vec<F32Repr> = self
                .base_score
                .iter()
                .map(|b| F32Repr::from_f64(f64::from(*b as f32)))
                .map(|r| match r {
                    F32Repr::Num(x) => F32Repr::Short(x as f32),
                    other => other,
                })
                .collect();
            st.serialize_field("base_score", &base)?;
        } else {
            st.serialize_field("accumulator", &self.accumulator)?;
            let base: Vec<F32Repr> = self
                .base_score
                .iter()
                .map(|b| F32Repr::from_f64(*b))
                .collect();
            st.serialize_field("base_score", &base)?;
        }
        st.serialize_field("aggregation", &self.aggregation)?;
        st.serialize_field("post_transform", &self.post_transform)?;
        st.serialize_field("trees", &self.trees)?;
        st.end()
    }
}

/// Provenance of a model, carried into the generated code and the audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Format identifier, e.g. `xgboost-json`.
    pub format: String,
    /// Framework version recorded in the model file, if any.
    #[serde(default)]
    pub framework_version: Option<String>,
    /// The framework's objective or task name, verbatim.
    pub objective: String,
    /// sha256 (lower-case hex) of the model file's bytes.
    pub sha256: String,
}

/// The precision in which an ensemble's leaves are summed and its link
/// function is computed (outputs are always `f32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accumulator {
    /// float32 sums, float32 link function (XGBoost).
    #[default]
    F32,
    /// double sums and link function, one rounding to float32 at the end
    /// (LightGBM, CatBoost, scikit-learn).
    F64,
}

impl Accumulator {
    /// The name `ir.json`, the CLI summary and the audit use.
    pub fn name(self) -> &'static str {
        match self {
            Accumulator::F32 => "f32",
            Accumulator::F64 => "f64",
        }
    }

    /// Is this the float32 default (left out of `ir.json`)?
    pub fn is_f32(&self) -> bool {
        *self == Accumulator::F32
    }
}

/// How group sums become margins before the post transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// margin = base + sum of leaves (gradient boosting).
    Sum,
    /// margin = base + (sum of leaves) / (number of trees in the group)
    /// (random forests).
    Average,
    /// margin = (sum of leaves, starting from 0) + base: the base added
    /// after the trees, in `f32` (onnxruntime's tree ensembles).
    SumThenBase,
}

/// The link function from margins to outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostTransform {
    /// outputs = margins.
    Identity,
    /// outputs[g] = 1 / (1 + exp(-margin[g])), in `f32`.
    Sigmoid,
    /// XGBoost's softmax: max in `f32`, exponentials in `f32`, their sum in
    /// `f64`, each divided by the sum rounded to `f32`.
    Softmax,
    /// outputs[g] = exp(margin[g]) (poisson, gamma, tweedie).
    Exp,
    /// outputs[g] = 1 if margin[g] > 0 else 0 (binary:hinge).
    Hinge,
    /// One output: the index of the first largest margin, as `f32`
    /// (multi:softmax).
    ArgMax,
    /// onnxruntime's logistic: `v = 1 / (1 + exp(-|x|))` in `f32`, and
    /// `1 - v` for negative `x`.
    SymmetricSigmoid,
    /// onnxruntime's softmax: max in `f32`, exponentials in `f32`, their
    /// sum in `f32` in group order, each divided by the sum.
    SoftmaxF32,
}

impl PostTransform {
    /// Number of outputs produced from `n_groups` margins.
    pub fn n_outputs(self, n_groups: u32) -> u32 {
        match self {
            PostTransform::ArgMax => 1,
            _ => n_groups,
        }
    }
}

/// One tree. Node 0 is the root; every node is reachable from it exactly
/// once (checked by [`validate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    /// The tree's index in the source model (traceability).
    pub source_id: u32,
    /// The output group the leaf values are added to (the first one for
    /// vector leaves: value `i` goes to group `group + i`).
    pub group: u32,
    /// The nodes, root first.
    pub nodes: Vec<Node>,
}

/// A node: either a binary split or a leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Node {
    Split(Split),
    Leaf(Leaf),
}

/// `if x[feature] OP threshold then left else right`; NaN goes to `missing`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// The node's id in the source model (traceability).
    pub source_id: u32,
    pub feature: u32,
    #[serde(with = "f32_bits")]
    pub threshold: f32,
    pub op: SplitOp,
    pub missing: MissingGoes,
    /// Index of the child taken when the comparison is true.
    pub left: u32,
    /// Index of the child taken when the comparison is false.
    pub right: u32,
}

/// A leaf: one value per output group it feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    /// The node's id in the source model (traceability).
    pub source_id: u32,
    /// Exactly a float32 each under [`Accumulator::F32`].
    #[serde(with = "f64_bits_vec")]
    pub values: Vec<f64>,
}

/// The comparison a split makes; `true` goes left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitOp {
    /// `x < t` (XGBoost).
    Lt,
    /// `x <= t` (LightGBM, scikit-learn).
    Le,
}

/// Where a NaN (missing) input goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingGoes {
    Left,
    Right,
}

impl Node {
    pub fn source_id(&self) -> u32 {
        match self {
            Node::Split(s) => s.source_id,
            Node::Leaf(l) => l.source_id,
        }
    }
}

impl Ensemble {
    /// Number of outputs the model produces per row.
    pub fn n_outputs(&self) -> u32 {
        self.post_transform.n_outputs(self.n_groups)
    }

    /// Per group, how many trees add a value into it. Every leaf of a tree
    /// has the same number of values (validated), so this is a property
    /// of the model, the same for every row: the divisor of
    /// [`Aggregation::Average`] (a group no tree feeds counts 0; its
    /// average divides by 1, see [`Ensemble::average_divisors`]). Assumes
    /// a validated ensemble.
    pub fn group_tree_counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.n_groups as usize];
        for tree in &self.trees {
            let width = tree
                .nodes
                .iter()
                .find_map(|n| match n {
                    Node::Leaf(l) => Some(l.values.len()),
                    Node::Split(_) => None,
                })
                .unwrap_or(0);
            for i in 0..width {
                if let Some(c) = counts.get_mut(tree.group as usize + i) {
                    *c = c.saturating_add(1);
                }
            }
        }
        counts
    }

    /// Per group, the divisor of [`Aggregation::Average`]: the group's
    /// tree count, or 1 when no tree feeds it (its sum is then 0).
    pub fn average_divisors(&self) -> Vec<u32> {
        self.group_tree_counts()
            .into_iter()
            .map(|c| c.max(1))
            .collect()
    }

    /// Total node count over all trees.
    pub fn n_nodes(&self) -> usize {
        self.trees.iter().map(|t| t.nodes.len()).sum()
    }

    /// The canonical `ir.json` text (pretty, stable key order, newline at
    /// the end). Two equal ensembles give byte-identical text.
    pub fn to_canonical_json(&self) -> String {
        // Struct fields serialise in declaration order and there are no
        // maps, so serde_json's output is already canonical.
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("IR serialisation cannot fail: {e}"));
        text.push('\n');
        text
    }

    /// Parse `ir.json` text, refusing unknown fields and other schema versions.
    pub fn from_json(text: &str) -> Result<Ensemble, IrJsonError> {
        let ens: Ensemble = serde_json::from_str(text).map_err(|e| IrJsonError::Parse {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if ens.schema_version != IR_SCHEMA_VERSION {
            return Err(IrJsonError::Version {
                found: ens.schema_version,
                expected: IR_SCHEMA_VERSION,
            });
        }
        Ok(ens)
    }
}

/// Errors reading `ir.json`.
#[derive(Debug, thiserror::Error)]
pub enum IrJsonError {
    #[error("ir.json line {line}, column {column}: {message}")]
    Parse {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("ir.json has schema_version {found}; this timber reads version {expected}")]
    Version { found: u32, expected: u32 },
}

/// Serialise an `f32` as a JSON number that parses back to the same bits.
///
/// A finite f32 widened to f64 is exact, and serde_json prints f64 with the
/// shortest round-trip form, so `(f64 as f32)` gives the bits back. NaN and
/// infinities cannot appear (validation refuses them in thresholds and
/// leaves), but they would be written as strings rather than lost.
mod f32_bits {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
        super::F32Repr::from(*v).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        super::F32Repr::deserialize(d)?
            .to_f32()
            .map_err(serde::de::Error::custom)
    }
}

/// Serialise `f64` values (leaf values, base scores) as JSON numbers that
/// parse back to the same bits: serde_json prints the shortest round-trip
/// form, so a widened float32 prints exactly as the float32 did before
/// these fields were `f64`. Non-finite values (refused by validation) are
/// written as the strings `nan`, `inf`, `-inf`.
mod f64_bits_vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let reprs: Vec<super::F32Repr> = v.iter().map(|x| super::F32Repr::from_f64(*x)).collect();
        reprs.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<super::F32Repr>::deserialize(d)?
            .into_iter()
            .map(|r| r.to_f64().map_err(serde::de::Error::custom))
            .collect()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum F32Repr {
    Num(f64),
    Special(String),
    /// Written with float32's shortest digits (never read back as this).
    #[serde(skip_deserializing)]
    Short(f32),
}

impl From<f32> for F32Repr {
    fn from(v: f32) -> Self {
        if v.is_finite() {
            F32Repr::Num(f64::from(v))
        } else if v.is_nan() {
            F32Repr::Special("nan".into())
        } else if v > 0.0 {
            F32Repr::Special("inf".into())
        } else {
            F32Repr::Special("-inf".into())
        }
    }
}

impl F32Repr {
    fn from_f64(v: f64) -> Self {
        if v.is_finite() {
            F32Repr::Num(v)
        } else if v.is_nan() {
            F32Repr::Special("nan".into())
        } else if v > 0.0 {
            F32Repr::Special("inf".into())
        } else {
            F32Repr::Special("-inf".into())
        }
    }

    fn to_f64(&self) -> Result<f64, String> {
        match self {
            F32Repr::Num(x) => Ok(*x),
            F32Repr::Short(x) => Ok(f64::from(*x)),
            F32Repr::Special(s) => match s.as_str() {
                "nan" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(format!("`{other}` is not a number")),
            },
        }
    }

    fn to_f32(&self) -> Result<f32, String> {
        match self {
            F32Repr::Num(x) => {
                let f = *x as f32;
                if f64::from(f) == *x {
                    Ok(f)
                } else {
                    Err(format!("{x} is not exactly representable as float32"))
                }
            }
            F32Repr::Short(x) => Ok(*x),
            F32Repr::Special(s) => match s.as_str() {
                "nan" => Ok(f32::NAN),
                "inf" => Ok(f32::INFINITY),
                "-inf" => Ok(f32::NEG_INFINITY),
                other => Err(format!("`{other}` is not a float32 value")),
            },
        }
    }
}
