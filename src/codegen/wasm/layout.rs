//! The linear-memory image: the IR turned into little-endian tables that
//! the generated code walks, and the memory map around them.
//!
//! Memory map (byte offsets, every table 4-byte aligned):
//!
//! ```text
//! base_score   n_groups x f32          the groups' starting values
//! pow2         POW2_LEN x f32          2^k for k = POW2_K_MIN..=POW2_K_MAX (exp only)
//! trees        n_trees x (u32 root, u32 group)   in the order leaves are added
//! nodes        n_nodes x 12 bytes      see below
//! leaf_values  f32 per value           vector leaves only
//! ---- end of the data segment ----
//! sums         n_groups x f32          one row's running sums (scratch)
//! counts       n_groups x u32          averaging only (scratch)
//! io_base      16-byte aligned         inputs, then outputs (the loader's)
//! ```
//!
//! A node is `(f32 threshold, u32 word, u32 child)`. Each tree's nodes are
//! renumbered breadth first so that a split's two children are adjacent:
//! `child` is the absolute index of the left child and the right child is
//! `child + 1`. `word` holds flags in its top bits and the feature index
//! (splits) or the value count (leaves) below them. A scalar leaf (every
//! leaf of the model has one value, the common case) keeps its value in
//! `threshold`; otherwise `child` is the index of its first value in
//! `leaf_values`.

use super::WasmError;
use crate::ir::{Aggregation, Ensemble, MissingGoes, Node, PostTransform, SplitOp};
use std::collections::VecDeque;

/// `word` flag: the node is a leaf (the sign bit, so `word < 0` tests it).
pub const FLAG_LEAF: u32 = 1 << 31;
/// `word` flag: a NaN input goes to the left child.
pub const FLAG_MISSING_LEFT: u32 = 1 << 30;
/// `word` flag: the split compares with `<=` (else `<`).
pub const FLAG_LE: u32 = 1 << 29;
/// The bits of `word` below the flags: feature index or value count.
pub const PAYLOAD_MASK: u32 = FLAG_LE - 1;
/// Bytes per node.
pub const NODE_BYTES: u32 = 12;
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
    pub trees: u32,
    pub trees_end: u32,
    pub nodes: u32,
    pub leaf_values: u32,
    pub sums: u32,
    pub counts: u32,
    /// First byte the loader may use for inputs and outputs.
    pub io_base: u32,
    /// Pages the module declares (tables, scratch and one row of I/O).
    pub min_pages: u64,
    pub scalar_leaves: bool,
    pub split_ops: SplitOps,
}

/// Does the post transform call exp?
pub fn needs_exp(pt: PostTransform) -> bool {
    matches!(
        pt,
        PostTransform::Sigmoid | PostTransform::Exp | PostTransform::Softmax
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

/// `a * b + c` in u64, refused past [`MAX_IMAGE_BYTES`].
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

fn push_u32(data: &mut Vec<u8>, v: u32) {
    data.extend_from_slice(&v.to_le_bytes());
}

impl Layout {
    /// Lay out a validated ensemble.
    pub fn new(ens: &Ensemble) -> Result<Layout, WasmError> {
        if ens.n_features > PAYLOAD_MASK || ens.n_groups > PAYLOAD_MASK {
            return Err(WasmError::Unsupported {
                what: format!(
                    "{} features and {} groups: at most {PAYLOAD_MASK} each",
                    ens.n_features, ens.n_groups
                ),
            });
        }
        let scalar_leaves = ens
            .trees
            .iter()
            .flat_map(|t| t.nodes.iter())
            .all(|n| !matches!(n, Node::Leaf(l) if l.values.len() != 1));
        let split_ops = split_ops(ens);
        let n_nodes = ens.n_nodes();
        let n_trees = ens.trees.len();
        let n_groups = ens.n_groups as usize;
        let n_leaf_values: usize = if scalar_leaves {
            0
        } else {
            ens.trees
                .iter()
                .flat_map(|t| t.nodes.iter())
                .map(|n| match n {
                    Node::Leaf(l) => l.values.len(),
                    Node::Split(_) => 0,
                })
                .sum()
        };

        // Offsets first, every one checked against the address space.
        let base_score = 0u64;
        let mut at = span(base_score, n_groups, 4, "the base scores")?;
        let pow2_at = if needs_exp(ens.post_transform) {
            let p = at;
            at = span(at, POW2_LEN as usize, 4, "the 2^k table")?;
            Some(p)
        } else {
            None
        };
        let trees = at;
        at = span(at, n_trees, 8, "the tree table")?;
        let trees_end = at;
        let nodes = at;
        at = span(at, n_nodes, u64::from(NODE_BYTES), "the node table")?;
        let leaf_values = at;
        at = span(at, n_leaf_values, 4, "the leaf values")?;
        let data_end = at;
        let sums = at;
        at = span(at, n_groups, 4, "the sums")?;
        let counts = at;
        if ens.aggregation == Aggregation::Average {
            at = span(at, n_groups, 4, "the counts")?;
        }
        let io_base = at.div_ceil(16) * 16;
        let row_io = (u64::from(ens.n_features) + u64::from(ens.n_outputs())) * 4;
        let end = span(io_base, 1, row_io, "one row of input and output")?;
        let min_pages = end.div_ceil(PAGE_BYTES).max(1);
        // Every offset is below MAX_IMAGE_BYTES (2^31), so u32 holds it.
        let off = |v: u64| v as u32;

        let mut data = Vec::with_capacity(data_end as usize);
        for &b in &ens.base_score {
            push_f32(&mut data, b);
        }
        if pow2_at.is_some() {
            for k in POW2_K_MIN..=POW2_K_MAX {
                push_f32(&mut data, pow2(k)?);
            }
        }
        // Renumber each tree breadth first (siblings adjacent) and collect
        // its nodes in the new order.
        let mut order: Vec<Vec<usize>> = Vec::with_capacity(n_trees);
        let mut first = 0u32;
        for tree in &ens.trees {
            let o = bfs_order(&tree.nodes);
            push_u32(&mut data, first);
            push_u32(&mut data, tree.group);
            first += o.len() as u32;
            order.push(o);
        }
        let mut value_index = 0u32;
        let mut values: Vec<f32> = Vec::with_capacity(n_leaf_values);
        let mut first = 0u32;
        for (tree, o) in ens.trees.iter().zip(&order) {
            let mut new_index = vec![0u32; tree.nodes.len()];
            for (pos, &n) in o.iter().enumerate() {
                new_index[n] = first + pos as u32;
            }
            for &n in o {
                match &tree.nodes[n] {
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
                        push_u32(&mut data, new_index[s.left as usize]);
                    }
                    Node::Leaf(l) => {
                        let word = FLAG_LEAF | l.values.len() as u32;
                        if scalar_leaves {
                            push_f32(&mut data, l.values[0]);
                            push_u32(&mut data, word);
                            push_u32(&mut data, 0);
                        } else {
                            push_f32(&mut data, 0.0);
                            push_u32(&mut data, word);
                            push_u32(&mut data, value_index);
                            values.extend_from_slice(&l.values);
                            value_index += l.values.len() as u32;
                        }
                    }
                }
            }
            first += o.len() as u32;
        }
        for v in values {
            push_f32(&mut data, v);
        }
        debug_assert_eq!(data.len() as u64, data_end);

        Ok(Layout {
            data,
            base_score: off(base_score),
            pow2: pow2_at.map(off),
            trees: off(trees),
            trees_end: off(trees_end),
            nodes: off(nodes),
            leaf_values: off(leaf_values),
            sums: off(sums),
            counts: off(counts),
            io_base: off(io_base),
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

/// The tree's node indices in breadth-first order, root first, each
/// split's left child immediately followed by its right child. Assumes a
/// validated tree (every node reached exactly once).
fn bfs_order(nodes: &[Node]) -> Vec<usize> {
    let mut order = Vec::with_capacity(nodes.len());
    let mut queue = VecDeque::from([0usize]);
    while let Some(n) = queue.pop_front() {
        order.push(n);
        if let Some(Node::Split(s)) = nodes.get(n) {
            queue.push_back(s.left as usize);
            queue.push_back(s.right as usize);
        }
    }
    order
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

    #[test]
    fn bfs_puts_siblings_side_by_side() {
        use crate::ir::{Leaf, Split};
        let leaf = |id: u32| {
            Node::Leaf(Leaf {
                source_id: id,
                values: vec![id as f32],
            })
        };
        let split = |id: u32, left: u32, right: u32| {
            Node::Split(Split {
                source_id: id,
                feature: 0,
                threshold: 0.5,
                op: SplitOp::Lt,
                missing: MissingGoes::Right,
                left,
                right,
            })
        };
        // Children stored far apart and right-before-left in the IR.
        let nodes = vec![split(0, 4, 1), split(1, 3, 2), leaf(2), leaf(3), leaf(4)];
        assert_eq!(bfs_order(&nodes), vec![0, 4, 1, 3, 2]);
    }
}
