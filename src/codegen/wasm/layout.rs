//! The linear-memory image: the IR turned into little-endian tables that
//! the generated code walks, and the memory map around them.
//!
//! Memory map (byte offsets). `V` is the width of a value: 4 (f32) under
//! float32 accumulation, 8 (f64) under double accumulation
//! ([`crate::ir::Accumulator::F64`]), where every table of values is
//! 8-byte aligned:
//!
//! ```text
//! base_score   n_groups x V            the groups' starting values
//! pow2         POW2_LEN x f32          2^k for k = POW2_K_MIN..=POW2_K_MAX (float32 exp only)
//! slots        per group of LANES trees: u32 steps, LANES x u32 root,
//!              LANES x u32 sum offset   (trees in the order leaves are added)
//! nodes        n_nodes + 1 nodes of 16 bytes, see below
//! leaf_values  see below; absent for float32 scalar leaves
//! ---- end of the data segment ----
//! sums         (n_groups + 1) x V      one row's running sums, then a scratch slot
//! counts       (n_groups + 1) x V      averaging only (a u32 in each slot's first 4 bytes)
//! io_base      16-byte aligned         inputs, then outputs (the loader's)
//! ```
//!
//! A group's sum offset is `group * V`, and the same offset indexes the
//! base scores, the sums and the counts.
//!
//! A node is `(f32 threshold, u32 word, u32 left, u32 right)`; `left` and
//! `right` are byte offsets into the node table. Every tree's nodes are
//! stored in IR order, so IR node `n` of a tree starting at node `first`
//! is node `first + n`. `word` holds the flags [`FLAG_MISSING_LEFT`] and
//! [`FLAG_LE`] and, below them, the split's feature. A leaf's `left` and
//! `right` both point at the leaf itself and its word is 0 (feature 0, a
//! valid read): a walk that reached a leaf stays there, so the walk needs
//! no "is this a leaf" test and can take a fixed number of steps.
//!
//! Where a leaf keeps its values: under float32 accumulation a scalar leaf
//! (every leaf of the model has one value, the common case) keeps its
//! value in `threshold`. Otherwise `threshold` holds the bits of the byte
//! offset of the leaf's entry in `leaf_values`: a double scalar leaf's
//! entry is its f64 value; a vector leaf's entry is a u32 count, padded to
//! V bytes, then count values of V bytes (a double leaf's f64 cannot share
//! the node's 16 bytes with a walkable split word and two children).
//!
//! The walk runs [`LANES`] trees side by side, so their loads overlap; the
//! tree slots are padded to a multiple of [`LANES`] with a padding leaf (the
//! last node, value -0) that adds into the scratch slot, which is never
//! read. Leaves are still added in tree order.

use super::WasmError;
use crate::ir::validate::tree_depth;
use crate::ir::{Accumulator, Aggregation, Ensemble, MissingGoes, Node, PostTransform, SplitOp};

/// `word` flag: a NaN input goes to the left child.
pub const FLAG_MISSING_LEFT: u32 = 1 << 30;
/// `word` flag: the split compares with `<=` (else `<`).
pub const FLAG_LE: u32 = 1 << 29;
/// The bits of `word` below the flags: the feature index.
pub const FEATURE_MASK: u32 = FLAG_LE - 1;
/// Bytes per node.
pub const NODE_BYTES: u32 = 16;
/// Trees walked side by side.
pub const LANES: u32 = 4;
/// Bytes per slot group: steps, then LANES roots, then LANES sum offsets.
pub const SLOT_GROUP_BYTES: u32 = 4 + 8 * LANES;
/// Smallest and largest k the exp scales by with 2^k (after the +-32
/// pre-scale of `mathfn::exp`; its clamps bound k to [-159, 144]).
pub const POW2_K_MIN: i32 = -127;
pub const POW2_K_MAX: i32 = 120;
/// Entries of the 2^k table.
pub const POW2_LEN: u32 = (POW2_K_MAX - POW2_K_MIN + 1) as u32;
/// A WebAssembly page.
pub const PAGE_BYTES: u64 = 65_536;
/// Largest byte offset the tables and scratch may reach: half the 32-bit
/// address space, leaving the rest for input and output batches.
pub const MAX_IMAGE_BYTES: u64 = 1 << 31;

/// Which comparisons the model's splits use (so the walk can skip the
/// per-node operator test when there is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitOps {
    Lt,
    Le,
    Mixed,
}

/// The tables and where they live.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The data segment, placed at offset 0.
    pub data: Vec<u8>,
    pub base_score: u32,
    /// Offset of the 2^k table, when the post transform needs exp.
    pub pow2: Option<u32>,
    pub slots: u32,
    pub slots_end: u32,
    pub nodes: u32,
    pub leaf_values: u32,
    pub sums: u32,
    pub counts: u32,
    /// First byte the loader may use for inputs and outputs.
    pub io_base: u32,
    /// Double accumulation: values, sums and counts are 8 bytes wide.
    pub wide: bool,
    /// Pages the module declares (tables, scratch and one row of I/O).
    pub min_pages: u64,
    pub scalar_leaves: bool,
    pub split_ops: SplitOps,
}

/// Does the post transform call exp?
pub fn needs_exp(pt: PostTransform) -> bool {
    matches!(
        pt,
        PostTransform::Sigmoid
            | PostTransform::Exp
            | PostTransform::Softmax
            | PostTransform::SymmetricSigmoid
            | PostTransform::SoftmaxF32
    )
}

/// 2^k as float32, exactly (k >= -127 is at worst subnormal, still a
/// power of two float32 holds), the value `mathfn`'s product of powers of
/// two gives.
pub fn pow2(k: i32) -> Result<f32, WasmError> {
    let v = 2f64.powi(k) as f32;
    if f64::from(v) == 2f64.powi(k) {
        Ok(v)
    } else {
        Err(WasmError::Unsupported {
            what: format!("2^{k} is not exact in float32"),
        })
    }
}

fn too_large(what: &str) -> WasmError {
    WasmError::Unsupported {
        what: format!("{what} does not fit the 32-bit WebAssembly address space"),
    }
}

/// `start + count * each` in u64, refused past [`MAX_IMAGE_BYTES`].
fn span(start: u64, count: usize, each: u64, what: &str) -> Result<u64, WasmError> {
    let end = (count as u64)
        .checked_mul(each)
        .and_then(|b| b.checked_add(start))
        .ok_or_else(|| too_large(what))?;
    if end > MAX_IMAGE_BYTES {
        return Err(too_large(what));
    }
    Ok(end)
}

fn push_f32(data: &mut Vec<u8>, v: f32) {
    data.extend_from_slice(&v.to_bits().to_le_bytes());
}

fn push_f64(data: &mut Vec<u8>, v: f64) {
    data.extend_from_slice(&v.to_bits().to_le_bytes());
}

fn push_u32(data: &mut Vec<u8>, v: u32) {
    data.extend_from_slice(&v.to_le_bytes());
}

impl Layout {
    /// Lay out a validated ensemble.
    pub fn new(ens: &Ensemble) -> Result<Layout, WasmError> {
        let wide = ens.accumulator == Accumulator::F64;
        if wide
            && matches!(
                ens.post_transform,
                PostTransform::SymmetricSigmoid | PostTransform::SoftmaxF32
            )
        {
            // Validation refuses these already; never compute them on a
            // silently rounded margin.
            return Err(WasmError::Unsupported {
                what: format!(
                    "post transform {:?} is defined on float32 margins, not after double \
                     accumulation",
                    ens.post_transform
                ),
            });
        }
        if ens.n_features > FEATURE_MASK || ens.n_groups > FEATURE_MASK {
            return Err(WasmError::Unsupported {
                what: format!(
                    "{} features and {} groups: at most {FEATURE_MASK} each",
                    ens.n_features, ens.n_groups
                ),
            });
        }
        // Bytes per value (leaf value, base score, sum, count slot).
        let vb: u32 = if wide { 8 } else { 4 };
        let scalar_leaves = ens
            .trees
            .iter()
            .flat_map(|t| t.nodes.iter())
            .all(|n| !matches!(n, Node::Leaf(l) if l.values.len() != 1));
        // Leaves whose values live in `leaf_values` (not in the node).
        let leaf_table = wide || !scalar_leaves;
        let split_ops = split_ops(ens);
        // The model's nodes and the padding leaf.
        let n_nodes = ens.n_nodes() + 1;
        let n_trees = ens.trees.len();
        let n_slot_groups = n_trees.div_ceil(LANES as usize);
        let n_groups = ens.n_groups as usize;
        // Values of `vb` bytes in the leaf table, the padding leaf's too:
        // a scalar entry is one value, a vector entry a count then values.
        let entry = |width: usize| if scalar_leaves { 1 } else { 1 + width };
        let n_leaf_slots: usize = if leaf_table {
            entry(1)
                + ens
                    .trees
                    .iter()
                    .flat_map(|t| t.nodes.iter())
                    .map(|n| match n {
                        Node::Leaf(l) => entry(l.values.len()),
                        Node::Split(_) => 0,
                    })
                    .sum::<usize>()
        } else {
            0
        };
        let align = |at: u64| at.div_ceil(u64::from(vb)) * u64::from(vb);

        // Offsets first, every one checked against the address space.
        let base_score = 0u64;
        let mut at = span(base_score, n_groups, u64::from(vb), "the base scores")?;
        let pow2_at = if needs_exp(ens.post_transform) && !wide {
            let p = at;
            at = span(at, POW2_LEN as usize, 4, "the 2^k table")?;
            Some(p)
        } else {
            None
        };
        let slots = at;
        at = span(
            at,
            n_slot_groups,
            u64::from(SLOT_GROUP_BYTES),
            "the tree table",
        )?;
        let slots_end = at;
        let nodes = at;
        at = span(at, n_nodes, u64::from(NODE_BYTES), "the node table")?;
        let leaf_values = align(at);
        at = span(leaf_values, n_leaf_slots, u64::from(vb), "the leaf values")?;
        let data_end = at;
        let sums = align(at);
        at = span(sums, n_groups + 1, u64::from(vb), "the sums")?;
        let counts = at;
        if ens.aggregation == Aggregation::Average {
            at = span(at, n_groups + 1, u64::from(vb), "the counts")?;
        }
        let io_base = at.div_ceil(16) * 16;
        let row_io = (u64::from(ens.n_features) + u64::from(ens.n_outputs())) * 4;
        let end = span(io_base, 1, row_io, "one row of input and output")?;
        let min_pages = end.div_ceil(PAGE_BYTES).max(1);
        // Every offset is below MAX_IMAGE_BYTES (2^31), so u32 holds it.
        let off = |v: u64| v as u32;

        let mut data = Vec::with_capacity(data_end as usize);
        for &b in &ens.base_score {
            if wide {
                push_f64(&mut data, b);
            } else {
                push_f32(&mut data, b as f32);
            }
        }
        if pow2_at.is_some() {
            for k in POW2_K_MIN..=POW2_K_MAX {
                push_f32(&mut data, pow2(k)?);
            }
        }
        // Slots: LANES trees per group; padding slots walk the padding
        // leaf (the last node, 0 steps) into the scratch slot.
        let mut first_node = Vec::with_capacity(n_trees);
        let mut first = 0u32;
        for tree in &ens.trees {
            first_node.push(first);
            first += tree.nodes.len() as u32;
        }
        let padding_node = first;
        let scratch = ens.n_groups * vb;
        for chunk in 0..n_slot_groups {
            let lanes = chunk * LANES as usize..(chunk + 1) * LANES as usize;
            let steps = lanes
                .clone()
                .filter_map(|t| ens.trees.get(t).map(tree_depth))
                .max()
                .unwrap_or(0);
            push_u32(&mut data, steps as u32);
            for t in lanes.clone() {
                let root = first_node.get(t).copied().unwrap_or(padding_node);
                push_u32(&mut data, root * NODE_BYTES);
            }
            for t in lanes {
                let group = ens.trees.get(t).map_or(scratch, |tree| tree.group * vb);
                push_u32(&mut data, group);
            }
        }
        // Nodes, then the padding leaf (value -0, one value).
        let mut leaf_data: Vec<u8> = Vec::with_capacity(n_leaf_slots * vb as usize);
        // Append one leaf's entry; its byte offset in the leaf table.
        let push_entry = |leaf_data: &mut Vec<u8>, values: &[f64]| -> u32 {
            let entry_at = leaf_data.len() as u32;
            if !scalar_leaves {
                push_u32(leaf_data, values.len() as u32);
                if wide {
                    push_u32(leaf_data, 0);
                }
            }
            for &v in values {
                if wide {
                    push_f64(leaf_data, v);
                } else {
                    push_f32(leaf_data, v as f32);
                }
            }
            entry_at
        };
        for (tree, &first) in ens.trees.iter().zip(&first_node) {
            for (n, node) in tree.nodes.iter().enumerate() {
                let at = (first + n as u32) * NODE_BYTES;
                match node {
                    Node::Split(s) => {
                        let mut word = s.feature;
                        if s.missing == MissingGoes::Left {
                            word |= FLAG_MISSING_LEFT;
                        }
                        if s.op == SplitOp::Le {
                            word |= FLAG_LE;
                        }
                        push_f32(&mut data, s.threshold);
                        push_u32(&mut data, word);
                        push_u32(&mut data, (first + s.left) * NODE_BYTES);
                        push_u32(&mut data, (first + s.right) * NODE_BYTES);
                    }
                    Node::Leaf(l) => {
                        if leaf_table {
                            let entry_at = push_entry(&mut leaf_data, &l.values);
                            push_u32(&mut data, entry_at);
                        } else {
                            push_f32(&mut data, l.values[0] as f32);
                        }
                        push_u32(&mut data, 0);
                        push_u32(&mut data, at);
                        push_u32(&mut data, at);
                    }
                }
            }
        }
        let at = padding_node * NODE_BYTES;
        if leaf_table {
            let entry_at = push_entry(&mut leaf_data, &[-0.0]);
            push_u32(&mut data, entry_at);
        } else {
            push_f32(&mut data, -0.0);
        }
        push_u32(&mut data, 0);
        push_u32(&mut data, at);
        push_u32(&mut data, at);
        // Zero padding up to the (aligned) leaf table.
        data.resize(leaf_values as usize, 0);
        data.extend_from_slice(&leaf_data);
        debug_assert_eq!(data.len() as u64, data_end);

        Ok(Layout {
            data,
            base_score: off(base_score),
            pow2: pow2_at.map(off),
            slots: off(slots),
            slots_end: off(slots_end),
            nodes: off(nodes),
            leaf_values: off(leaf_values),
            sums: off(sums),
            counts: off(counts),
            io_base: off(io_base),
            wide,
            min_pages,
            scalar_leaves,
            split_ops,
        })
    }
}

fn split_ops(ens: &Ensemble) -> SplitOps {
    let mut lt = false;
    let mut le = false;
    for n in ens.trees.iter().flat_map(|t| t.nodes.iter()) {
        if let Node::Split(s) = n {
            match s.op {
                SplitOp::Lt => lt = true,
                SplitOp::Le => le = true,
            }
        }
    }
    if lt && le {
        SplitOps::Mixed
    } else if le {
        SplitOps::Le
    } else {
        SplitOps::Lt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::mathfn;

    #[test]
    fn pow2_table_covers_every_k_exp_scales_by() {
        // k = round-half-away(clamp(x) * LOG2E) is extreme at the clamps;
        // after the +-32 pre-scale it must land inside the table.
        for x in [mathfn::EXP_CLAMP_LO, mathfn::EXP_CLAMP_HI] {
            let kf = x * mathfn::LOG2E;
            let mut k = if kf >= 0.0 {
                (kf + 0.5) as i32
            } else {
                (kf - 0.5) as i32
            };
            if k > 120 {
                k -= 32;
            } else if k < -120 {
                k += 32;
            }
            assert!((POW2_K_MIN..=POW2_K_MAX).contains(&k), "k = {k}");
        }
        assert_eq!(pow2(-127).unwrap().to_bits(), 0x0040_0000);
        assert_eq!(pow2(0).unwrap(), 1.0);
        assert_eq!(pow2(120).unwrap(), 2f32.powi(120));
    }

    /// Read the tables back as the documented format says and walk them
    /// like the generated code: every tree must reach the leaf (and the
    /// values) the reference evaluator reaches, padding slots must reach
    /// the padding leaf in the scratch slot; under both accumulators.
    #[test]
    fn tables_walked_as_documented_reach_the_reference_leaves() {
        tables_reach_the_reference_leaves(crate::ir::Accumulator::F32);
        tables_reach_the_reference_leaves(crate::ir::Accumulator::F64);
    }

    fn tables_reach_the_reference_leaves(accumulator: crate::ir::Accumulator) {
        let wide = accumulator == crate::ir::Accumulator::F64;
        // Doubles that are no float32 under double accumulation.
        let widen = |v: f32| {
            if wide {
                f64::from(v) / 3.0
            } else {
                f64::from(v)
            }
        };
        use crate::ir::eval::leaf_index;
        use crate::ir::{Leaf, Source, Split, Tree, IR_SCHEMA_VERSION};
        let split = |f: u32, t: f32, op, missing, left, right| {
            Node::Split(Split {
                source_id: 0,
                feature: f,
                threshold: t,
                op,
                missing,
                left,
                right,
            })
        };
        let leaf = |values: Vec<f32>| {
            Node::Leaf(Leaf {
                source_id: 0,
                values: values.into_iter().map(widen).collect(),
            })
        };
        // Children stored out of order; one root-only tree; vector leaves
        // (every leaf of a tree as wide as the others, as validation asks).
        let tree = |group: u32, k: f32| Tree {
            source_id: 0,
            group,
            nodes: vec![
                split(1, 0.5, SplitOp::Le, MissingGoes::Left, 2, 1),
                leaf(vec![k, k + 0.5]),
                split(0, -1.0, SplitOp::Lt, MissingGoes::Right, 3, 4),
                leaf(vec![k + 1.0, k + 2.0]),
                leaf(vec![k + 3.0, k + 4.0]),
            ],
        };
        let mut trees: Vec<Tree> = (0..4).map(|i| tree(i % 2, i as f32 * 10.0)).collect();
        trees.push(Tree {
            source_id: 4,
            group: 1,
            nodes: vec![leaf(vec![99.0])],
        });
        let ens = Ensemble {
            schema_version: IR_SCHEMA_VERSION,
            source: Source {
                format: "test".into(),
                framework_version: None,
                objective: "test".into(),
                sha256: String::new(),
            },
            n_features: 2,
            feature_names: Vec::new(),
            n_groups: 3,
            accumulator,
            base_score: vec![0.0; 3],
            aggregation: Aggregation::Sum,
            post_transform: PostTransform::Identity,
            trees,
        };
        crate::ir::validate(&ens).unwrap();
        let l = Layout::new(&ens).unwrap();
        assert_eq!(l.wide, wide);
        let vb: u32 = if wide { 8 } else { 4 };
        for at in [l.base_score, l.leaf_values, l.sums, l.counts] {
            assert_eq!(at % vb, 0, "{at} not aligned to {vb}");
        }
        assert!(!l.scalar_leaves);
        assert_eq!(l.split_ops, SplitOps::Mixed);
        let d = &l.data;
        let u32_at = |at: u32| {
            let a = at as usize;
            u32::from_le_bytes([d[a], d[a + 1], d[a + 2], d[a + 3]])
        };
        let f32_at = |at: u32| f32::from_bits(u32_at(at));
        let value_at = |at: u32| {
            if wide {
                let lo = u64::from(u32_at(at));
                let hi = u64::from(u32_at(at + 4));
                f64::from_bits(lo | (hi << 32))
            } else {
                f64::from(f32_at(at))
            }
        };
        let n_slots = (l.slots_end - l.slots) / SLOT_GROUP_BYTES;
        assert_eq!(n_slots, 2);
        for row in [
            [0.0f32, 0.0],
            [-2.0, 0.5],
            [f32::NAN, 1.0],
            [-1.0, f32::NAN],
            [5.0, -3.0],
        ] {
            for slot in 0..n_slots * LANES {
                let at = l.slots + (slot / LANES) * SLOT_GROUP_BYTES;
                let lane = slot % LANES;
                let mut node = u32_at(at + 4 + 4 * lane);
                for _ in 0..u32_at(at) {
                    let n = l.nodes + node;
                    let word = u32_at(n + 4);
                    let x = row[(word & FEATURE_MASK) as usize];
                    let t = f32_at(n);
                    let go_left = if x.is_nan() {
                        word & FLAG_MISSING_LEFT != 0
                    } else if word & FLAG_LE != 0 {
                        x <= t
                    } else {
                        x < t
                    };
                    node = u32_at(n + if go_left { 8 } else { 12 });
                }
                // At a leaf: both children point back at it.
                assert_eq!(u32_at(l.nodes + node + 8), node);
                assert_eq!(u32_at(l.nodes + node + 12), node);
                let entry = l.leaf_values + u32_at(l.nodes + node);
                let count = u32_at(entry);
                let values: Vec<f64> = (0..count).map(|i| value_at(entry + vb * (i + 1))).collect();
                let group = u32_at(at + 4 + 4 * LANES + 4 * lane);
                match ens.trees.get(slot as usize) {
                    Some(tree) => {
                        let want = match &tree.nodes[leaf_index(tree, &row) as usize] {
                            Node::Leaf(leaf) => leaf.values.clone(),
                            Node::Split(_) => unreachable!(),
                        };
                        assert_eq!(values, want, "tree {slot}, row {row:?}");
                        assert_eq!(group, tree.group * vb);
                    }
                    None => {
                        assert_eq!(values.len(), 1);
                        assert_eq!(values[0].to_bits(), (-0.0f64).to_bits());
                        assert_eq!(
                            group,
                            ens.n_groups * vb,
                            "padding adds into the scratch slot"
                        );
                    }
                }
            }
        }
    }
}
