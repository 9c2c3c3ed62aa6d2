//! The template context: everything the C99 templates print, computed once
//! from the IR so the templates hold layout and no logic beyond loops.
//!
//! Tables (see `templates/c99/model_data.h.j2` for the C declarations):
//! - `timber_nodes[]`: every node of every tree, tree by tree, each tree's
//!   nodes in IR order, so IR node `n` of a tree whose first node is at
//!   `first` sits at `first + n`. Splits hold threshold, feature, the
//!   absolute indices of both children and flags; leaves hold the offset
//!   of their values in `timber_leaf_values[]` (in `left`) and how many
//!   values they have (in `right`).
//!   With scalar leaves (every leaf one value, the common case) a leaf
//!   instead holds its value in `threshold` and its own index in both
//!   `left` and `right`: a self-loop, so the branch-free walk needs no
//!   "already at a leaf" select, and `timber_leaf_values[]` is not emitted.
//! - `timber_leaf_values[]` (vector leaves only): leaf values, leaf by
//!   leaf, in node order.
//! - `timber_tree_root[]`, `timber_tree_group[]`, `timber_tree_depth[]`:
//!   per tree, in the order the trees are added, then padding slots up to
//!   a multiple of the lane count. A padding slot's root is a padding leaf
//!   of value -0 (the last node), depth 0; it adds into group 0 (x + -0 ==
//!   x for every float x, so the sum is unchanged bit for bit; an average
//!   divides by a constant, so padding changes nothing there either).
//! - `timber_group_steps[]`: per group of `TIMBER_LANES` slots, the
//!   deepest depth among them: the walk's step count for that group.
//! - `timber_base_score[]`: per group.
//! - `timber_average_divisor[]` (averaging models): per group, the number
//!   of trees feeding it, in the accumulator's type. Every leaf of a tree
//!   has the same width (validated), so that count is a constant of the
//!   model: the generated code neither counts at run time nor guards a
//!   zero count no input could produce (a guard coverage could never
//!   take).
//!
//! Double accumulation ([`Accumulator::F64`]): leaf values and base scores
//! are `timber_float64_t` tables (a float row field cannot hold them), so
//! the table layout always uses `timber_leaf_values[]` (no scalar-leaf
//! self-loop), the sums are doubles, and `timber_exp64` and its sigmoid
//! and softmax replace the float ones. The accumulator's C type is
//! [`Context::acc_type`]; every leaf and base literal comes from
//! [`super::conv::leaf_literal`].
//!
//! Index, feature, group and depth fields use the narrowest unsigned
//! fixed-width type that fits this model (`timber_index_t` and friends).

use super::branches::{branch_trees, BranchTree};
use super::conv::{f32_literal, f64_literal, is_plain_c_text, leaf_literal, uint_type_for};
use super::range::{exp64_paths, exp_paths, ExpPaths};
use super::{CodegenError, Layout, NanPolicy, Options};
use crate::ir::mathfn;
use crate::ir::validate::tree_depth;
use crate::ir::{Accumulator, Aggregation, Ensemble, MissingGoes, Node, PostTransform, SplitOp};
use serde::Serialize;

/// Version of the generated C API (`timber_abi_version()`); bump when a
/// signature or the meaning of a status code changes.
pub const ABI_VERSION: u32 = 1;

/// Tree walks the generated code interleaves (see `timber_walk`): enough
/// independent loads in flight to hide their latency on an out-of-order
/// core, few enough to stay in registers and cheap on a Cortex-M.
const LANES: u32 = 8;

/// Most stack the per-row sums of one `timber_infer` block may take.
const BLOCK_STACK_BYTES: u32 = 2048;

/// Rows per block: up to 16, a multiple of [`LANES`], within
/// [`BLOCK_STACK_BYTES`]; 0 (evaluate row by row) when not even
/// [`LANES`] rows fit.
fn block_rows(ens: &Ensemble) -> u32 {
    let sum_bytes = match ens.accumulator {
        Accumulator::F32 => 4,
        Accumulator::F64 => 8,
    };
    let per_row = ens.n_groups.saturating_mul(sum_bytes).max(1);
    let fit = (BLOCK_STACK_BYTES / per_row).min(16);
    fit - fit % LANES
}

#[derive(Debug, Serialize)]
pub struct Context {
    /// `table`, `branches` or `compact` (never `auto`: resolved before
    /// rendering).
    pub layout: &'static str,
    /// The branches layout's tree functions (empty for other layouts).
    pub branch_trees: Vec<BranchTree>,
    /// Some branches-layout split tests for a missing value: the template
    /// emits `timber_is_nan`.
    pub branches_nan_test: bool,
    /// The compact layout's tables (None for other layouts and int mode).
    pub compact: Option<super::compact::CompactTables>,
    /// `float` or `int` (see [`super::Numeric`]).
    pub numeric: &'static str,
    /// Int mode's tables (None in float mode).
    pub int: Option<super::numint::IntTables>,
    pub generator_version: &'static str,
    pub abi_version: u32,
    pub model_sha256: String,
    pub model_format: String,
    pub model_objective: String,
    pub n_features: u32,
    pub n_outputs: u32,
    pub n_trees: usize,
    pub n_groups: u32,
    pub n_nodes: usize,
    pub n_leaf_values: usize,
    /// Deepest tree's depth + 1: the bound of the tree walk loop.
    pub max_depth: usize,
    pub index_type: &'static str,
    pub feature_type: &'static str,
    pub group_type: &'static str,
    /// Every leaf has exactly one value (the common case; simpler loop).
    pub scalar_leaves: bool,
    /// `lt` or `le` when every split uses that operator (then the tree
    /// walk tests only that one), `mixed` otherwise.
    pub split_ops: &'static str,
    /// Rows `timber_infer` walks together, tree by tree (cache locality);
    /// 0 when a block would not fit [`BLOCK_STACK_BYTES`] (row by row).
    pub block_rows: u32,
    /// Tree walks interleaved at once.
    pub lanes: u32,
    pub depth_type: &'static str,
    /// Tree slots: `n_trees` rounded up to a multiple of `lanes`.
    pub n_tree_slots: usize,
    /// Per group of `lanes` tree slots, the walk's step count.
    pub group_steps: Vec<usize>,
    /// The larger of `n_features` and `n_outputs`: its macro name, the
    /// one row-count overflow bound.
    pub bound_macro: &'static str,
    /// Which paths of timber_exp this model can take.
    pub exp_paths: ExpPaths,
    /// Comment lines saying which exp paths are left out, and why.
    pub exp_note: Vec<String>,
    pub aggregation: &'static str,
    pub post_transform: &'static str,
    /// `f32` or `f64`: the precision of sums and link function.
    pub accumulator: &'static str,
    /// The C type of the sums, leaf values and base scores.
    pub acc_type: &'static str,
    /// The double exp's constants (double accumulation with a link that
    /// exponentiates).
    pub exp64: Option<Exp64Constants>,
    pub needs_exp: bool,
    pub reject_nan: bool,
    pub nodes: Vec<NodeRow>,
    pub leaf_values: Vec<LeafValueRow>,
    pub trees: Vec<TreeRow>,
    pub base_score: Vec<String>,
    /// Averaging models: per group, the tree count it is divided by, as
    /// a literal of the accumulator's type (empty for other aggregations).
    pub average_divisors: Vec<String>,
    pub exp: ExpConstants,
}

#[derive(Debug, Serialize)]
pub struct NodeRow {
    pub threshold: String,
    pub feature: u32,
    pub left: u64,
    pub right: u64,
    pub flags: &'static str,
    pub tree: u32,
    pub node: u32,
    /// The padding leaf (no source node).
    pub pad: bool,
}

#[derive(Debug, Serialize)]
pub struct LeafValueRow {
    pub value: String,
    pub tree: u32,
    pub node: u32,
    /// The padding leaf's value.
    pub pad: bool,
}

#[derive(Debug, Serialize)]
pub struct TreeRow {
    pub root: u64,
    pub depth: usize,
    pub group: u32,
    pub tree: u32,
    /// A padding slot (no source tree).
    pub pad: bool,
}

/// The constants of [`mathfn::exp`], printed from the Rust constants
/// themselves so the C cannot drift from the reference.
#[derive(Debug, Serialize)]
pub struct ExpConstants {
    pub log2e: String,
    pub ln2_hi: String,
    pub ln2_lo: String,
    pub clamp_hi: String,
    pub clamp_lo: String,
    pub c: Vec<String>,
    pub pow2_up: Vec<String>,
    pub pow2_down: Vec<String>,
    pub two_p32: String,
    pub two_m32: String,
    /// 2^k for k = k_min..=k_max (exact powers of two), and -k_min, the
    /// index bias.
    pub pow2: Vec<Pow2Row>,
    pub pow2_bias: i32,
}

/// The constants of [`mathfn::exp64`], printed from the Rust constants.
#[derive(Debug, Serialize)]
pub struct Exp64Constants {
    pub log2e: String,
    pub ln2_hi: String,
    pub ln2_lo: String,
    pub clamp_hi: String,
    pub clamp_lo: String,
    pub c: Vec<String>,
    pub pow2_up: Vec<String>,
    pub pow2_down: Vec<String>,
    pub two_p64: String,
    pub two_m64: String,
    pub scale_k: i32,
    /// The paths this model's exp64 arguments can take.
    pub paths: ExpPaths,
    /// 2^k for k = k_min..=k_max (exact powers of two, the values of
    /// mathfn's products), and -k_min, the index bias.
    pub pow2: Vec<Pow2Row>,
    pub pow2_bias: i32,
}

impl Exp64Constants {
    fn new(paths: ExpPaths) -> Result<Self, CodegenError> {
        let l = |v: f64, what: &str| {
            f64_literal(v).ok_or_else(|| CodegenError::Unsupported {
                what: format!("{what} is not finite"),
            })
        };
        let ls = |vs: &[f64], what: &str| -> Result<Vec<String>, CodegenError> {
            vs.iter().map(|v| l(*v, what)).collect()
        };
        Ok(Exp64Constants {
            log2e: l(mathfn::LOG2E64, "LOG2E64")?,
            ln2_hi: l(mathfn::LN2_HI64, "LN2_HI64")?,
            ln2_lo: l(mathfn::LN2_LO64, "LN2_LO64")?,
            clamp_hi: l(mathfn::EXP64_CLAMP_HI, "EXP64_CLAMP_HI")?,
            clamp_lo: l(mathfn::EXP64_CLAMP_LO, "EXP64_CLAMP_LO")?,
            c: ls(&mathfn::EXP64_C, "EXP64_C")?,
            pow2_up: ls(&mathfn::POW2_UP64, "POW2_UP64")?,
            pow2_down: ls(&mathfn::POW2_DOWN64, "POW2_DOWN64")?,
            two_p64: l(mathfn::TWO_P64, "TWO_P64")?,
            two_m64: l(mathfn::TWO_M64, "TWO_M64")?,
            scale_k: mathfn::EXP64_SCALE_K,
            pow2: (paths.k_min..=paths.k_max)
                .map(|k| {
                    Ok(Pow2Row {
                        value: l(mathfn::pow2_int64(k), "2^k")?,
                        k,
                    })
                })
                .collect::<Result<_, CodegenError>>()?,
            pow2_bias: -paths.k_min,
            paths,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct Pow2Row {
    pub value: String,
    pub k: i32,
}

fn lit(v: f32, what: &str) -> Result<String, CodegenError> {
    f32_literal(v).ok_or_else(|| CodegenError::Unsupported {
        what: format!("{what} is NaN"),
    })
}

fn lits(vs: &[f32], what: &str) -> Result<Vec<String>, CodegenError> {
    vs.iter().map(|v| lit(*v, what)).collect()
}

impl ExpConstants {
    fn new(paths: &ExpPaths) -> Result<Self, CodegenError> {
        let mut pow2 = Vec::new();
        for k in paths.k_min..=paths.k_max {
            // 2^k is a power of two within float32's range (k >= -127 is
            // at worst subnormal, still exact): the f64 value converts
            // exactly, equal to mathfn's product of powers of two.
            let v = 2f64.powi(k) as f32;
            if f64::from(v) != 2f64.powi(k) {
                return Err(CodegenError::Unsupported {
                    what: format!("2^{k} is not exact in float32"),
                });
            }
            pow2.push(Pow2Row {
                value: lit(v, "2^k")?,
                k,
            });
        }
        Ok(ExpConstants {
            pow2,
            pow2_bias: -paths.k_min,
            log2e: lit(mathfn::LOG2E, "LOG2E")?,
            ln2_hi: lit(mathfn::LN2_HI, "LN2_HI")?,
            ln2_lo: lit(mathfn::LN2_LO, "LN2_LO")?,
            clamp_hi: lit(mathfn::EXP_CLAMP_HI, "EXP_CLAMP_HI")?,
            clamp_lo: lit(mathfn::EXP_CLAMP_LO, "EXP_CLAMP_LO")?,
            c: lits(&mathfn::EXP_C, "EXP_C")?,
            pow2_up: lits(&mathfn::POW2_UP, "POW2_UP")?,
            pow2_down: lits(&mathfn::POW2_DOWN, "POW2_DOWN")?,
            two_p32: lit(mathfn::TWO_P32, "TWO_P32")?,
            two_m32: lit(mathfn::TWO_M32, "TWO_M32")?,
        })
    }
}

fn split_flags(op: SplitOp, missing: MissingGoes) -> &'static str {
    match (op, missing) {
        (SplitOp::Lt, MissingGoes::Right) => "0U",
        (SplitOp::Lt, MissingGoes::Left) => "TIMBER_NODE_MISSING_LEFT",
        (SplitOp::Le, MissingGoes::Right) => "TIMBER_NODE_LE",
        (SplitOp::Le, MissingGoes::Left) => "TIMBER_NODE_LE | TIMBER_NODE_MISSING_LEFT",
    }
}

/// Informational text from the model file that ends up in a C comment:
/// every character that could end the comment or is not printable ASCII
/// becomes `_`.
fn plain(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            if is_plain_c_text(c.encode_utf8(&mut buf)) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The comment of a pruned timber_exp: what the model's exp arguments
/// never do, so the paths for it are left out.
fn exp_note(p: &ExpPaths) -> Vec<String> {
    if *p == ExpPaths::all(&mathfn::EXP_F32) {
        return Vec::new();
    }
    let mut facts = Vec::new();
    if !p.nan {
        facts.push("never NaN");
    }
    if !p.clamp_hi {
        facts.push("never above the upper clamp");
    }
    if !p.clamp_lo {
        facts.push("never below the lower clamp");
    }
    if !p.round_pos {
        facts.push("always negative");
    }
    if !p.round_neg {
        facts.push("never negative");
    }
    if !p.scale_hi && !p.scale_lo {
        facts.push("|k| <= 120 (2^k needs no pre-scaling)");
    } else if !p.scale_hi {
        facts.push("k <= 120");
    } else if !p.scale_lo {
        facts.push("k >= -120");
    }
    let text = format!(
        "Only the paths this model's arguments can take are emitted: timber \
         bounds every argument from the base score and the leaf values, and \
         here it is {}.",
        facts.join(", ")
    );
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.len() + 1 + word.len() > 72 {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

impl Context {
    pub fn new(ens: &Ensemble, opts: &Options) -> Result<Self, CodegenError> {
        if !ens.source.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CodegenError::Unsupported {
                what: format!(
                    "source.sha256 `{}` is not hexadecimal",
                    ens.source.sha256.escape_default()
                ),
            });
        }
        let mut nodes = Vec::with_capacity(ens.n_nodes());
        let mut leaf_values = Vec::new();
        let mut trees = Vec::with_capacity(ens.trees.len());
        let mut max_depth = 0usize;
        let mut max_leaf_width = 1usize;
        let acc = ens.accumulator;
        let f64_acc = acc == Accumulator::F64;
        let layout = opts.layout.resolve(ens);
        // Under double accumulation the table layout's leaves cannot hold
        // their value in the float threshold: they use the value table.
        let scalar_leaves = !(f64_acc && layout == Layout::Table)
            && ens.trees.iter().all(|t| {
                t.nodes.iter().all(|n| match n {
                    Node::Leaf(l) => l.values.len() == 1,
                    Node::Split(_) => true,
                })
            });
        let leaf_lit = |v: f64, what: &str| {
            leaf_literal(acc, v).ok_or_else(|| CodegenError::Unsupported {
                what: format!("{what} is not finite"),
            })
        };
        let (mut any_lt, mut any_le) = (false, false);
        for tree in &ens.trees {
            let first = nodes.len() as u64;
            let depth = tree_depth(tree);
            max_depth = max_depth.max(depth);
            trees.push(TreeRow {
                root: first,
                depth,
                group: tree.group,
                tree: tree.source_id,
                pad: false,
            });
            for node in &tree.nodes {
                let row = match node {
                    Node::Split(s) => {
                        any_lt |= s.op == SplitOp::Lt;
                        any_le |= s.op == SplitOp::Le;
                        NodeRow {
                            threshold: f32_literal(s.threshold).ok_or_else(|| {
                                CodegenError::Unsupported {
                                    what: format!(
                                        "tree {} node {}: NaN threshold",
                                        tree.source_id, s.source_id
                                    ),
                                }
                            })?,
                            feature: s.feature,
                            left: first + u64::from(s.left),
                            right: first + u64::from(s.right),
                            // NaN inputs refused: no missing direction.
                            flags: split_flags(
                                s.op,
                                if opts.nan_policy == NanPolicy::Reject {
                                    MissingGoes::Right
                                } else {
                                    s.missing
                                },
                            ),
                            tree: tree.source_id,
                            node: s.source_id,
                            pad: false,
                        }
                    }
                    Node::Leaf(l) if scalar_leaves => {
                        // The value in `threshold`, a self-loop in
                        // `left` and `right`.
                        let own = nodes.len() as u64;
                        NodeRow {
                            threshold: leaf_lit(
                                l.values[0],
                                &format!("tree {} node {} leaf value", tree.source_id, l.source_id),
                            )?,
                            feature: 0,
                            left: own,
                            right: own,
                            flags: "TIMBER_NODE_LEAF",
                            tree: tree.source_id,
                            node: l.source_id,
                            pad: false,
                        }
                    }
                    Node::Leaf(l) => {
                        let offset = leaf_values.len() as u64;
                        for v in &l.values {
                            leaf_values.push(LeafValueRow {
                                value: leaf_lit(
                                    *v,
                                    &format!(
                                        "tree {} node {} leaf value",
                                        tree.source_id, l.source_id
                                    ),
                                )?,
                                tree: tree.source_id,
                                node: l.source_id,
                                pad: false,
                            });
                        }
                        max_leaf_width = max_leaf_width.max(l.values.len());
                        NodeRow {
                            threshold: "0e0f".to_string(),
                            feature: 0,
                            left: offset,
                            right: l.values.len() as u64,
                            flags: "TIMBER_NODE_LEAF",
                            tree: tree.source_id,
                            node: l.source_id,
                            pad: false,
                        }
                    }
                };
                nodes.push(row);
            }
        }
        // Padding slots up to a multiple of LANES: a -0 leaf of depth 0.
        let lanes = LANES as usize;
        if trees.len() % lanes != 0 {
            let own = nodes.len() as u64;
            let (left, right) = if scalar_leaves {
                (own, own)
            } else {
                let offset = leaf_values.len() as u64;
                leaf_values.push(LeafValueRow {
                    value: leaf_lit(-0.0, "padding")?,
                    tree: 0,
                    node: 0,
                    pad: true,
                });
                (offset, 1)
            };
            nodes.push(NodeRow {
                threshold: "-0e0f".to_string(),
                feature: 0,
                left,
                right,
                flags: "TIMBER_NODE_LEAF",
                tree: 0,
                node: 0,
                pad: true,
            });
            while trees.len() % lanes != 0 {
                trees.push(TreeRow {
                    root: own,
                    depth: 0,
                    // x + -0 == x: every sum, and so every average, is
                    // unchanged.
                    group: 0,
                    tree: 0,
                    pad: true,
                });
            }
        }
        let group_steps: Vec<usize> = trees
            .chunks(lanes)
            .map(|c| c.iter().map(|t| t.depth).max().unwrap_or(0))
            .collect();
        // The walk's step loop is bounded by a table value; TIMBER_MAX_DEPTH
        // (its max_depth + 1 in the context) bounds it by construction.
        if group_steps.iter().any(|s| *s > max_depth) {
            return Err(CodegenError::Unsupported {
                what: "a lane group's step count exceeds the deepest tree".to_string(),
            });
        }
        let max_group = trees.iter().map(|t| t.group).max().unwrap_or(0);
        if let Some(why) = opts.unsupported(ens) {
            return Err(CodegenError::Unsupported { what: why });
        }
        let layout = opts.layout(ens);
        let int_mode = opts.numeric == super::Numeric::Int;
        let needs_exp = matches!(
            ens.post_transform,
            PostTransform::Sigmoid
                | PostTransform::Softmax
                | PostTransform::Exp
                | PostTransform::SymmetricSigmoid
                | PostTransform::SoftmaxF32
        );
        let paths = if needs_exp && !f64_acc {
            exp_paths(ens)
        } else {
            ExpPaths::all(&mathfn::EXP_F32)
        };
        let max_index = (nodes.len() as u64)
            .max(leaf_values.len() as u64)
            .max(max_leaf_width as u64);
        let branch_trees = if layout == Layout::Branches {
            branch_trees(ens, scalar_leaves, opts.nan_policy)?
        } else {
            Vec::new()
        };
        let int = if int_mode {
            Some(super::numint::tables(
                ens,
                opts.nan_policy == NanPolicy::Reject,
            )?)
        } else {
            None
        };
        let compact = if layout == Layout::Compact && !int_mode {
            Some(super::compact::tables(
                ens,
                opts.nan_policy == NanPolicy::Reject,
            )?)
        } else {
            None
        };
        Ok(Context {
            layout: layout.name(),
            branches_nan_test: branch_trees.iter().any(|t| t.nan_test),
            branch_trees,
            compact,
            numeric: opts.numeric.name(),
            int,
            generator_version: crate::version::TIMBER_VERSION,
            abi_version: ABI_VERSION,
            model_sha256: ens.source.sha256.to_ascii_lowercase(),
            model_format: plain(&ens.source.format),
            model_objective: plain(&ens.source.objective),
            n_features: ens.n_features,
            n_outputs: ens.n_outputs(),
            n_trees: ens.trees.len(),
            n_tree_slots: trees.len(),
            group_steps,
            bound_macro: if ens.n_outputs() > ens.n_features {
                "TIMBER_N_OUTPUTS"
            } else {
                "TIMBER_N_FEATURES"
            },
            exp_paths: paths,
            exp_note: exp_note(&paths),
            n_groups: ens.n_groups,
            n_nodes: nodes.len(),
            n_leaf_values: leaf_values.len(),
            max_depth: max_depth + 1,
            index_type: uint_type_for(max_index),
            feature_type: uint_type_for(u64::from(ens.n_features.saturating_sub(1))),
            group_type: uint_type_for(u64::from(max_group)),
            scalar_leaves,
            // The branches layout evaluates row by row.
            block_rows: if layout == Layout::Table {
                block_rows(ens)
            } else {
                0
            },
            lanes: LANES,
            depth_type: uint_type_for(max_depth as u64),
            split_ops: match (any_lt, any_le) {
                (true, true) => "mixed",
                (false, true) => "le",
                _ => "lt",
            },
            aggregation: match ens.aggregation {
                Aggregation::Sum => "sum",
                Aggregation::Average => "average",
                Aggregation::SumThenBase => "sum_then_base",
            },
            post_transform: match ens.post_transform {
                PostTransform::Identity => "identity",
                PostTransform::Sigmoid => "sigmoid",
                PostTransform::Softmax => "softmax",
                PostTransform::Exp => "exp",
                PostTransform::Hinge => "hinge",
                PostTransform::ArgMax => "argmax",
                PostTransform::SymmetricSigmoid => "symmetric_sigmoid",
                PostTransform::SoftmaxF32 => "softmax_f32",
            },
            accumulator: acc.name(),
            acc_type: if f64_acc {
                "timber_float64_t"
            } else {
                "timber_float32_t"
            },
            exp64: if needs_exp && f64_acc {
                Some(Exp64Constants::new(exp64_paths(ens))?)
            } else {
                None
            },
            needs_exp,
            reject_nan: opts.nan_policy == NanPolicy::Reject,
            nodes,
            leaf_values,
            trees,
            base_score: ens
                .base_score
                .iter()
                .map(|b| leaf_lit(*b, "base_score"))
                .collect::<Result<_, _>>()?,
            average_divisors: if ens.aggregation == Aggregation::Average {
                ens.average_divisors()
                    .into_iter()
                    .map(|n| leaf_lit(f64::from(n), "average divisor"))
                    .collect::<Result<_, _>>()?
            } else {
                Vec::new()
            },
            exp: ExpConstants::new(&paths)?,
        })
    }
}
