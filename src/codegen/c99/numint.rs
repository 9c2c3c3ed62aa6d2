//! The exact integer mode (`--numeric int`): every split becomes one
//! comparison of small unsigned integers, so a microcontroller without an
//! FPU walks the trees with integer instructions only. Each used feature's
//! float value is turned into an integer *code* once per row; the only
//! float work left is that encoding (a binary search) and the leaf sums,
//! which are the float path's own accumulation, unchanged.
//!
//! # The code of a value
//!
//! For one feature, let `t_0 < t_1 < ... < t_{k-1}` be the distinct values
//! (compared as floats, so `-0.0` and `+0.0` are one value) of the
//! thresholds of the splits on that feature. For a non-NaN `x`:
//!
//! ```text
//! below(x) = #{ i : t_i <  x }      at_or_below(x) = #{ i : t_i <= x }
//! code(x)  = below(x) + at_or_below(x)            (0 ..= 2k)
//! ```
//!
//! # Why a comparison of codes equals the float comparison
//!
//! Take a split on threshold `t_j` (the `j`-th distinct value).
//!
//! - `x < t_j`: then every `t_i <= x` has `i < j`, so `below <= j` and
//!   `at_or_below <= j`: `code <= 2j`. Otherwise `x >= t_j`: `t_0..t_j`
//!   are all `<= x` and `t_0..t_{j-1}` all `< x`, so `code >= j + (j+1) =
//!   2j + 1`. Hence `x < t_j  <=>  code <= 2j`.
//! - `x <= t_j`: then `below <= j` and `at_or_below <= j + 1`: `code <= 2j +
//!   1`. Otherwise `x > t_j`: `t_0..t_j` are all `< x`, `code >= 2(j+1)`.
//!   Hence `x <= t_j  <=>  code <= 2j + 1`.
//!
//! So every split, `<` or `<=`, is `code <= limit` with `limit = 2j` or
//! `2j + 1` ([`split_limit`]): one operator for both. This holds for every
//! float `x` that is not NaN, `±inf` and `±0` included, because only the
//! IEEE-754 order of `x` against the `t_i` enters: it is the same order the
//! float comparison uses (`-0.0 == +0.0`, `-inf` below and `+inf` above
//! every finite value).
//!
//! # NaN without a branch
//!
//! The walk compares *stored* codes `code + 1` with stored limits
//! `limit + 1` (the same order). Under the NaN policy `missing` every used
//! feature has two code slots: in the *missing-left* slot a NaN is stored
//! as `0`, below every stored limit (`>= 1`), so every split reading it
//! goes left; in the *missing-right* slot a NaN is stored as
//! [`FeatureThresholds::nan_high`], above every stored limit, so every
//! split reading it goes right. A non-NaN value has the same stored code in
//! both. Each split reads the slot of its own missing direction, so the
//! walk is one unsigned comparison per node, NaN included, and takes
//! exactly the float walk's branch (the float comparison is false for NaN
//! and the float walk then follows the missing direction). Under
//! `reject` no NaN reaches the walk and each feature has one slot.
//!
//! # How the generated C computes the code
//!
//! `below` is found by a binary search with float `<` over the feature's
//! ascending thresholds; `at_or_below` is `below + 1` exactly when the
//! next threshold `t_below` is `<= x` (it is `>= x` by the search, so this
//! means `t_below == x`). To make `t_below` exist even when `below == k`,
//! each feature's list ends with a sentinel `FLT_MAX`; reading it can add 1
//! only when `below == k` (code `2k` becomes `2k + 1`, for `x >= FLT_MAX`),
//! and both are above every limit of the feature (at most `2k - 1`), so no
//! decision changes. [`code`] is that computation in Rust, sentinel
//! included; the proptests below check the whole walk against
//! [`crate::ir::eval`]'s on thresholds, their neighbouring floats, NaN,
//! `±inf` and `±0`, and the code against counting.
//!
//! # Types
//!
//! Stored codes are `uint8_t` when `2k + 3` fits (k <= 126 thresholds on
//! the busiest feature), else `uint16_t`; a feature with more distinct
//! thresholds than that is refused ([`MAX_THRESHOLDS_PER_FEATURE`]). A row
//! holds the stored limit, the code slot and the offset of its left child
//! from the row (the right child is the next row), each the narrowest
//! unsigned type that fits: 3 or 4 bytes a row, against 8 for the float
//! compact layout. A leaf is the row whose offset is 0; its `limit` field
//! is the index of its value among its tree's leaf values (the value table
//! is separate, 4 bytes a leaf).

use super::conv::{f32_literal, leaf_literal, uint_type_for};
use super::CodegenError;
use crate::ir::{Ensemble, MissingGoes, Node, SplitOp};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Most distinct thresholds one feature may have: its stored codes
/// `1..=2k + 2` (the sentinel's included) and the high NaN code `2k + 3`
/// must fit `uint16_t`.
pub const MAX_THRESHOLDS_PER_FEATURE: usize = (u16::MAX as usize - 3) / 2;

/// The sorted distinct thresholds of every feature some split uses.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureThresholds {
    /// Used features, ascending; slot `s` of the codes is `features[s]`.
    pub features: Vec<u32>,
    /// Per slot, the distinct threshold values, ascending (`-0.0` stored as
    /// `+0.0`; they compare equal).
    pub thresholds: Vec<Vec<f32>>,
}

impl FeatureThresholds {
    /// Collect them from every split of `ens`; refuses a NaN threshold and
    /// a feature with more than [`MAX_THRESHOLDS_PER_FEATURE`] values.
    pub fn of(ens: &Ensemble) -> Result<FeatureThresholds, CodegenError> {
        let mut per_feature: BTreeMap<u32, Vec<f32>> = BTreeMap::new();
        for tree in &ens.trees {
            for node in &tree.nodes {
                if let Node::Split(s) = node {
                    if s.threshold.is_nan() {
                        return Err(CodegenError::Unsupported {
                            what: format!(
                                "tree {} node {}: NaN threshold",
                                tree.source_id, s.source_id
                            ),
                        });
                    }
                    // +0.0 for both zeros: one value, one code.
                    let t = if s.threshold == 0.0 { 0.0 } else { s.threshold };
                    per_feature.entry(s.feature).or_default().push(t);
                }
            }
        }
        let mut features = Vec::with_capacity(per_feature.len());
        let mut thresholds = Vec::with_capacity(per_feature.len());
        for (feature, mut ts) in per_feature {
            ts.sort_by(f32::total_cmp);
            ts.dedup();
            if ts.len() > MAX_THRESHOLDS_PER_FEATURE {
                return Err(CodegenError::Unsupported {
                    what: format!(
                        "--numeric int: feature {feature} has {} distinct thresholds; the \
                         integer codes hold at most {MAX_THRESHOLDS_PER_FEATURE} per feature \
                         (use --numeric float)",
                        ts.len()
                    ),
                });
            }
            features.push(feature);
            thresholds.push(ts);
        }
        Ok(FeatureThresholds {
            features,
            thresholds,
        })
    }

    /// The slot of `feature`, if a split uses it.
    pub fn slot(&self, feature: u32) -> Option<usize> {
        self.features.binary_search(&feature).ok()
    }

    /// Most distinct thresholds on one feature.
    pub fn max_count(&self) -> usize {
        self.thresholds.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// The stored code of NaN in a missing-right slot: above every stored
    /// code a value can get (`2k + 2`, the sentinel's), for the busiest
    /// feature's `k`.
    pub fn nan_high(&self) -> u32 {
        2 * self.max_count() as u32 + 3
    }
}

/// The code of a non-NaN `x` against one feature's ascending distinct
/// thresholds, computed the way the generated C does (binary search with
/// float `<`, then one `<=` against the next threshold or the `FLT_MAX`
/// sentinel); None for NaN.
pub fn code(x: f32, thresholds: &[f32]) -> Option<u32> {
    if x.is_nan() {
        return None;
    }
    let (mut lo, mut len) = (0usize, thresholds.len());
    while len > 0 {
        let half = len / 2;
        if thresholds[lo + half] < x {
            lo += half + 1;
            len -= half + 1;
        } else {
            len = half;
        }
    }
    let next = thresholds.get(lo).copied().unwrap_or(f32::MAX);
    Some(2 * lo as u32 + u32::from(next <= x))
}

/// The code stored in a slot: `code + 1`, or for NaN `0` (missing-left
/// slot) or `nan_high` (missing-right slot).
pub fn stored_code(x: f32, thresholds: &[f32], missing_left: bool, nan_high: u32) -> u32 {
    match code(x, thresholds) {
        Some(c) => c + 1,
        None if missing_left => 0,
        None => nan_high,
    }
}

/// The limit of a split on the `j`-th distinct threshold: it goes left
/// exactly when `code <= limit` (see the module docs; rows store
/// `limit + 1`).
pub fn split_limit(op: SplitOp, j: usize) -> u32 {
    match op {
        SplitOp::Lt => 2 * j as u32,
        SplitOp::Le => 2 * j as u32 + 1,
    }
}

/// One row of the integer node table.
#[derive(Debug, Serialize, Clone)]
pub struct IntRow {
    /// Split: goes left when the stored code is `<= limit` (the split's
    /// limit + 1). Leaf: the index of its value among its tree's leaf
    /// values.
    pub limit: u64,
    /// Split: the code slot it reads. Leaf: 0.
    pub slot: u32,
    /// Split: left child row minus this row (>= 1; the right child is one
    /// further). Leaf: 0.
    pub next: u64,
    pub tree: u32,
    pub node: u32,
}

/// Per tree: root row, first leaf value, group.
#[derive(Debug, Serialize)]
pub struct IntTree {
    pub root: u64,
    pub leaf_first: u64,
    pub group: u32,
    pub tree: u32,
}

/// One used feature: its input index, its thresholds' first position in
/// the threshold table, and its code slots (`slot` for missing-left and
/// `slot + 1` for missing-right splits under `missing`; `slot` only under
/// `reject`).
#[derive(Debug, Serialize)]
pub struct IntFeature {
    pub feature: u32,
    pub slot: u32,
    pub first: u64,
    pub count: usize,
}

/// One entry of the threshold table.
#[derive(Debug, Serialize)]
pub struct ThresholdRow {
    pub value: String,
    pub feature: u32,
    /// The `FLT_MAX` sentinel closing a feature's list.
    pub sentinel: bool,
}

/// Everything the templates print in int mode.
#[derive(Debug, Serialize)]
pub struct IntTables {
    pub rows: Vec<IntRow>,
    pub trees: Vec<IntTree>,
    pub leaf_values: Vec<super::context::LeafValueRow>,
    pub features: Vec<IntFeature>,
    pub thresholds: Vec<ThresholdRow>,
    /// The stored code of NaN in a missing-right slot.
    pub nan_high: u32,
    /// Code slots per row (`TIMBER_N_SLOTS`).
    pub n_slots: u32,
    pub code_type: &'static str,
    pub slot_type: &'static str,
    pub next_type: &'static str,
    pub index_type: &'static str,
    pub leaf_index_type: &'static str,
    pub threshold_index_type: &'static str,
    /// Type of a feature's threshold count.
    pub count_type: &'static str,
    /// Type of an input feature index.
    pub feature_type: &'static str,
}

/// Why int mode cannot express this ensemble, if it cannot.
pub fn unsupported(ens: &Ensemble) -> Option<String> {
    let vector = ens.trees.iter().any(|t| {
        t.nodes.iter().any(|n| match n {
            Node::Leaf(l) => l.values.len() != 1,
            Node::Split(_) => false,
        })
    });
    if vector {
        return Some(
            "--numeric int needs one value per leaf and this model has vector leaves; \
             use --numeric float"
                .to_string(),
        );
    }
    match FeatureThresholds::of(ens) {
        Err(e) => Some(e.to_string()),
        Ok(ft) if ft.features.is_empty() => Some(
            "--numeric int: the model has no split, so there is nothing to compare; \
             use --numeric float"
                .to_string(),
        ),
        Ok(_) => None,
    }
}

/// Can int mode express this ensemble?
pub fn supports(ens: &Ensemble) -> bool {
    unsupported(ens).is_none()
}

/// Lay out every tree (breadth first, a split's children side by side,
/// like the compact layout) with limits instead of thresholds.
/// `reject_nan`: NaN inputs are refused, so no row carries a missing
/// direction.
pub fn tables(ens: &Ensemble, reject_nan: bool) -> Result<IntTables, CodegenError> {
    if let Some(why) = unsupported(ens) {
        return Err(CodegenError::Unsupported { what: why });
    }
    let ft = FeatureThresholds::of(ens)?;
    let mut rows: Vec<IntRow> = Vec::with_capacity(ens.n_nodes());
    let mut trees = Vec::with_capacity(ens.trees.len());
    let mut leaf_values = Vec::new();
    for tree in &ens.trees {
        let root = rows.len();
        let leaf_first = leaf_values.len() as u64;
        trees.push(IntTree {
            root: root as u64,
            leaf_first,
            group: tree.group,
            tree: tree.source_id,
        });
        let what = |kind: &str, id: u32| CodegenError::Unsupported {
            what: format!("tree {} node {id}: {kind}", tree.source_id),
        };
        let row_of = |idx: u32,
                      leaf_values: &mut Vec<super::context::LeafValueRow>|
         -> Result<IntRow, CodegenError> {
            match tree.nodes.get(idx as usize) {
                Some(Node::Split(s)) => {
                    let slot = ft
                        .slot(s.feature)
                        .ok_or_else(|| what("feature without thresholds", s.source_id))?;
                    let t = if s.threshold == 0.0 { 0.0 } else { s.threshold };
                    let j = ft.thresholds[slot]
                        .binary_search_by(|v| v.total_cmp(&t))
                        .map_err(|_| what("threshold not in its feature's list", s.source_id))?;
                    // Under `missing`: slot 2s (NaN left) or 2s + 1 (NaN
                    // right); under `reject`: slot s.
                    let slot = if reject_nan {
                        slot
                    } else {
                        2 * slot + usize::from(s.missing == MissingGoes::Right)
                    };
                    Ok(IntRow {
                        limit: u64::from(split_limit(s.op, j)) + 1,
                        slot: slot as u32,
                        next: 0,
                        tree: tree.source_id,
                        node: s.source_id,
                    })
                }
                Some(Node::Leaf(l)) => {
                    let value = leaf_literal(ens.accumulator, l.values[0])
                        .ok_or_else(|| what("non-finite leaf value", l.source_id))?;
                    let limit = leaf_values.len() as u64 - leaf_first;
                    leaf_values.push(super::context::LeafValueRow {
                        value,
                        tree: tree.source_id,
                        node: l.source_id,
                        pad: false,
                    });
                    Ok(IntRow {
                        limit,
                        slot: 0,
                        next: 0,
                        tree: tree.source_id,
                        node: l.source_id,
                    })
                }
                None => Err(what("index out of range", idx)),
            }
        };
        rows.push(row_of(0, &mut leaf_values)?);
        let mut queue = VecDeque::from([(0u32, root)]);
        while let Some((idx, at)) = queue.pop_front() {
            if let Some(Node::Split(s)) = tree.nodes.get(idx as usize) {
                let child = rows.len();
                rows.push(row_of(s.left, &mut leaf_values)?);
                rows.push(row_of(s.right, &mut leaf_values)?);
                rows[at].next = (child - at) as u64;
                queue.push_back((s.left, child));
                queue.push_back((s.right, child + 1));
            }
        }
    }
    let mut features = Vec::with_capacity(ft.features.len());
    let mut thresholds = Vec::new();
    let slots_per_feature = if reject_nan { 1 } else { 2 };
    for (s, (feature, ts)) in ft.features.iter().zip(&ft.thresholds).enumerate() {
        features.push(IntFeature {
            feature: *feature,
            slot: (s * slots_per_feature) as u32,
            first: thresholds.len() as u64,
            count: ts.len(),
        });
        for t in ts {
            thresholds.push(ThresholdRow {
                value: f32_literal(*t).ok_or_else(|| CodegenError::Unsupported {
                    what: format!("feature {feature}: NaN threshold"),
                })?,
                feature: *feature,
                sentinel: false,
            });
        }
        thresholds.push(ThresholdRow {
            value: f32_literal(f32::MAX).unwrap_or_default(),
            feature: *feature,
            sentinel: true,
        });
    }
    let nan_high = ft.nan_high();
    let max_next = rows.iter().map(|r| r.next).max().unwrap_or(0);
    let max_limit = rows.iter().map(|r| r.limit).max().unwrap_or(0);
    let n_slots = (features.len() * slots_per_feature) as u32;
    Ok(IntTables {
        code_type: uint_type_for(u64::from(nan_high).max(max_limit)),
        slot_type: uint_type_for(u64::from(n_slots.saturating_sub(1))),
        next_type: uint_type_for(max_next),
        index_type: uint_type_for(rows.len() as u64),
        leaf_index_type: uint_type_for(leaf_values.len() as u64),
        threshold_index_type: uint_type_for(thresholds.len() as u64),
        count_type: uint_type_for(ft.max_count() as u64),
        feature_type: uint_type_for(u64::from(ft.features.last().copied().unwrap_or(0))),
        nan_high,
        n_slots,
        rows,
        trees,
        leaf_values,
        features,
        thresholds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::*;
    use proptest::prelude::*;

    /// Walk the int rows the way the generated C does, in Rust: codes
    /// first, then integer comparisons only.
    fn leaf_value(t: &IntTables, ens: &Ensemble, tree: usize, x: &[f32]) -> f64 {
        let ft = FeatureThresholds::of(ens).unwrap();
        let mut codes = vec![0u32; t.n_slots as usize];
        for (f, ts) in t.features.iter().zip(&ft.thresholds) {
            let s = f.slot as usize;
            let v = x[f.feature as usize];
            codes[s] = stored_code(v, ts, true, t.nan_high);
            if t.n_slots as usize == 2 * t.features.len() {
                codes[s + 1] = stored_code(v, ts, false, t.nan_high);
            }
        }
        let mut r = t.trees[tree].root as usize;
        while t.rows[r].next != 0 {
            let row = &t.rows[r];
            let go_left = u64::from(codes[row.slot as usize]) <= row.limit;
            r += row.next as usize + usize::from(!go_left);
        }
        let v = &t.leaf_values[(t.trees[tree].leaf_first + t.rows[r].limit) as usize];
        f64::from(crate::codegen::c99::conv::parse_f32_literal(&v.value))
    }

    fn split(id: u32, f: u32, t: f32, op: SplitOp, miss: MissingGoes, l: u32, r: u32) -> Node {
        Node::Split(Split {
            source_id: id,
            feature: f,
            threshold: t,
            op,
            missing: miss,
            left: l,
            right: r,
        })
    }

    fn leaf(id: u32, v: f32) -> Node {
        Node::Leaf(Leaf {
            source_id: id,
            values: vec![f64::from(v)],
        })
    }

    fn ensemble(trees: Vec<Tree>) -> Ensemble {
        Ensemble {
            schema_version: IR_SCHEMA_VERSION,
            source: Source {
                format: "hand-built".into(),
                framework_version: None,
                objective: "x".into(),
                sha256: String::new(),
            },
            n_features: 2,
            feature_names: Vec::new(),
            n_groups: 1,
            accumulator: crate::ir::Accumulator::F32,
            base_score: vec![0.0],
            aggregation: Aggregation::Sum,
            post_transform: PostTransform::Identity,
            trees,
        }
    }

    /// A depth-2 tree per (threshold pair, operator pair, missing pair):
    /// `<` and `<=` splits sharing thresholds on one feature.
    fn trees_on(ta: f32, tb: f32, ops: [SplitOp; 3], miss: [MissingGoes; 3]) -> Vec<Tree> {
        let tree = |id: u32, f2: u32| Tree {
            source_id: id,
            group: 0,
            nodes: vec![
                split(0, 0, ta, ops[0], miss[0], 1, 2),
                split(1, 0, tb, ops[1], miss[1], 3, 4),
                split(2, f2, ta, ops[2], miss[2], 5, 6),
                leaf(3, 1.0),
                leaf(4, 2.0),
                leaf(5, 4.0),
                leaf(6, 8.0),
            ],
        };
        vec![tree(0, 0), tree(1, 1)]
    }

    /// Values around a threshold: itself, the floats next to it, both
    /// zeros, infinities, NaN and the float extremes.
    fn probes(ts: &[f32]) -> Vec<f32> {
        let mut v = vec![
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            f32::from_bits(1),
            -f32::from_bits(1),
        ];
        for t in ts {
            v.push(*t);
            v.push(-*t);
            v.push(f32::from_bits(t.to_bits().wrapping_add(1)));
            v.push(f32::from_bits(t.to_bits().wrapping_sub(1)));
        }
        v.retain(|x| !x.is_nan() || x.to_bits() == f32::NAN.to_bits());
        v
    }

    fn op() -> impl Strategy<Value = SplitOp> {
        prop_oneof![Just(SplitOp::Lt), Just(SplitOp::Le)]
    }

    fn miss() -> impl Strategy<Value = MissingGoes> {
        prop_oneof![Just(MissingGoes::Left), Just(MissingGoes::Right)]
    }

    /// Finite thresholds, biased towards the awkward ones.
    fn threshold() -> impl Strategy<Value = f32> {
        prop_oneof![
            Just(0.0f32),
            Just(-0.0f32),
            Just(f32::MAX),
            Just(f32::MIN),
            Just(f32::from_bits(1)),
            Just(-1.5f32),
            (-1.0e6f32..1.0e6f32),
            any::<u32>()
                .prop_map(f32::from_bits)
                .prop_filter("finite", |t| t.is_finite()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The integer walk reaches the reference evaluator's leaf for
        /// every probe and random value, both NaN policies' tables.
        #[test]
        fn integer_walk_equals_the_float_walk(
            ta in threshold(),
            tb in threshold(),
            ops in [op(), op(), op()],
            misses in [miss(), miss(), miss()],
            extra in proptest::collection::vec(any::<u32>().prop_map(f32::from_bits), 8),
        ) {
            let ens = ensemble(trees_on(ta, tb, ops, misses));
            let t = tables(&ens, false).unwrap();
            let t_reject = tables(&ens, true).unwrap();
            let mut xs = probes(&[ta, tb]);
            xs.extend(extra);
            for x0 in &xs {
                for x1 in &xs {
                    let row = [*x0, *x1];
                    let nan_free = !x0.is_nan() && !x1.is_nan();
                    for tree in 0..2 {
                        let want = crate::ir::eval::leaf_index(&ens.trees[tree], &row);
                        let Node::Leaf(l) = &ens.trees[tree].nodes[want as usize] else {
                            panic!("not a leaf");
                        };
                        let got = leaf_value(&t, &ens, tree, &row);
                        prop_assert_eq!(got.to_bits(), l.values[0].to_bits(), "row {:?}", row);
                        if nan_free {
                            let got = leaf_value(&t_reject, &ens, tree, &row);
                            prop_assert_eq!(got.to_bits(), l.values[0].to_bits(), "reject {:?}", row);
                        }
                    }
                }
            }
        }

        /// The code is exactly below + at_or_below (sentinel aside), by
        /// counting, for many thresholds.
        #[test]
        fn encode_counts_thresholds(
            mut ts in proptest::collection::vec(threshold(), 1..40),
            x in prop_oneof![any::<u32>().prop_map(f32::from_bits), threshold()],
        ) {
            for t in ts.iter_mut() {
                if *t == 0.0 { *t = 0.0; }
            }
            ts.sort_by(f32::total_cmp);
            ts.dedup();
            let nan = 2 * ts.len() as u32 + 3;
            let code = stored_code(x, &ts, false, nan);
            if x.is_nan() {
                prop_assert_eq!(code, nan);
                prop_assert_eq!(stored_code(x, &ts, true, nan), 0);
            } else {
                prop_assert_eq!(code, stored_code(x, &ts, true, nan));
                let code = code - 1;
                let below = ts.iter().filter(|t| **t < x).count() as u32;
                let at = ts.iter().filter(|t| **t <= x).count() as u32;
                let want = below + at;
                if want == 2 * ts.len() as u32 {
                    // Past the last threshold: the sentinel may add one.
                    prop_assert!(code == want || (code == want + 1 && x >= f32::MAX));
                } else {
                    prop_assert_eq!(code, want);
                }
                prop_assert!(code + 1 < nan);
            }
        }
    }

    #[test]
    fn too_many_thresholds_on_one_feature_is_refused() {
        let n = MAX_THRESHOLDS_PER_FEATURE + 1;
        // A right-leaning chain with n distinct thresholds on feature 0.
        let mut nodes = Vec::new();
        for i in 0..n as u32 {
            nodes.push(split(
                i,
                0,
                i as f32,
                SplitOp::Lt,
                MissingGoes::Left,
                n as u32 + 1 + i,
                i + 1,
            ));
        }
        nodes.push(leaf(n as u32, 0.5));
        for i in 0..n as u32 {
            nodes.push(leaf(n as u32 + 1 + i, i as f32));
        }
        let ens = ensemble(vec![Tree {
            source_id: 0,
            group: 0,
            nodes,
        }]);
        let err = tables(&ens, false).unwrap_err().to_string();
        assert!(
            err.contains("feature 0 has 32767 distinct thresholds"),
            "{err}"
        );
    }

    #[test]
    fn narrow_types_for_a_small_model() {
        let ens = ensemble(trees_on(
            0.5,
            -0.0,
            [SplitOp::Lt, SplitOp::Le, SplitOp::Lt],
            [MissingGoes::Left, MissingGoes::Right, MissingGoes::Left],
        ));
        let t = tables(&ens, true).unwrap();
        assert_eq!(t.code_type, "uint8_t");
        assert_eq!(t.slot_type, "uint8_t");
        assert_eq!(t.next_type, "uint8_t");
        // -0.0 and 0.5 on feature 0, 0.5 on feature 1, each list closed by
        // the sentinel.
        let values: Vec<&str> = t.thresholds.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(
            values,
            [
                "0x0p+0f",
                "0x1p-1f",
                "0x1.fffffep+127f",
                "0x1p-1f",
                "0x1.fffffep+127f"
            ]
        );
        // Reject: one slot per feature; missing: two.
        assert_eq!(t.n_slots, 2);
        assert_eq!(tables(&ens, false).unwrap().n_slots, 4);
    }
}
