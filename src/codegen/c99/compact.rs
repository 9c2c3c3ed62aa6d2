//! The `compact` layout: a node table of 8-byte rows (with up to 256
//! features and 65,536 nodes) whose children sit next to each other, so a
//! split stores one child index; each tree is walked on its own, from its
//! root to its leaf, with no lane padding.
//!
//! Why: on a microcontroller the table layout's 12-byte rows, two child
//! indices and 8-lane padding cost flash, and the branches layout's code
//! costs about 22 bytes a split on Cortex-M4; this layout keeps the data
//! small while the code stays one short loop.
//!
//! Row order: tree by tree; within a tree, breadth first, and a split's
//! two children are placed together when the split is visited, so the
//! right child is always at `child + 1` and every child index is larger
//! than its parent's (the walk only moves forward, so it ends). A leaf
//! row holds its value in `threshold` and the leaf flag; under double
//! accumulation (a float threshold cannot hold a double) it holds in
//! `child` the index of its value in the double table
//! `timber_leaf_values[]` instead. Only ensembles
//! whose leaves hold one value each use this layout (every XGBoost model).
//!
//! Each row carries `/* tree T node N */` (the source model's ids), which
//! the audit's traceability map reads back.

use super::conv::{f32_literal, leaf_literal, uint_type_for};
use super::CodegenError;
use crate::ir::{Accumulator, Ensemble, MissingGoes, Node, SplitOp};
use serde::Serialize;
use std::collections::VecDeque;

/// One row of `timber_nodes` in the compact layout.
#[derive(Debug, Serialize, Clone)]
pub struct CompactRow {
    pub threshold: String,
    /// Split: index of the left child (the right one is next). Leaf: 0,
    /// or under double accumulation the index of its value in
    /// `timber_leaf_values[]`.
    pub child: u64,
    pub feature: u32,
    pub flags: &'static str,
    pub tree: u32,
    pub node: u32,
}

/// Per tree: its root row and the group it adds into.
#[derive(Debug, Serialize)]
pub struct CompactTree {
    pub root: u64,
    pub group: u32,
    pub tree: u32,
}

/// A leaf's double value (double accumulation only), with its source ids.
#[derive(Debug, Serialize)]
pub struct CompactLeafValue {
    pub value: String,
    pub tree: u32,
    pub node: u32,
}

/// The compact tables and the types that fit them.
#[derive(Debug, Serialize)]
pub struct CompactTables {
    pub rows: Vec<CompactRow>,
    /// Double accumulation: every leaf's value, in row order (empty under
    /// float32 accumulation, where a leaf row holds its value).
    pub leaf_values: Vec<CompactLeafValue>,
    pub trees: Vec<CompactTree>,
    /// Narrowest unsigned type of a row index.
    pub index_type: &'static str,
}

/// Why the compact layout cannot express this ensemble, if it cannot.
pub fn unsupported(ens: &Ensemble) -> Option<String> {
    let vector = ens.trees.iter().any(|t| {
        t.nodes.iter().any(|n| match n {
            Node::Leaf(l) => l.values.len() != 1,
            Node::Split(_) => false,
        })
    });
    vector.then(|| {
        "the compact layout needs one value per leaf and this model has vector leaves; \
         use --layout table"
            .to_string()
    })
}

/// Can the compact layout express this ensemble?
pub fn supports(ens: &Ensemble) -> bool {
    unsupported(ens).is_none()
}

fn flags(op: SplitOp, missing_left: bool) -> &'static str {
    match (op, missing_left) {
        (SplitOp::Lt, false) => "0U",
        (SplitOp::Lt, true) => "TIMBER_NODE_MISSING_LEFT",
        (SplitOp::Le, false) => "TIMBER_NODE_LE",
        (SplitOp::Le, true) => "TIMBER_NODE_LE | TIMBER_NODE_MISSING_LEFT",
    }
}

/// Lay out every tree. `reject_nan`: NaN inputs are refused, so no row
/// carries a missing direction.
pub fn tables(ens: &Ensemble, reject_nan: bool) -> Result<CompactTables, CodegenError> {
    if let Some(why) = unsupported(ens) {
        return Err(CodegenError::Unsupported { what: why });
    }
    let mut rows: Vec<CompactRow> = Vec::with_capacity(ens.n_nodes());
    let mut leaf_values: Vec<CompactLeafValue> = Vec::new();
    let mut trees = Vec::with_capacity(ens.trees.len());
    let f64_leaves = ens.accumulator == Accumulator::F64;
    for tree in &ens.trees {
        let mut row_of = |idx: u32| -> Result<CompactRow, CodegenError> {
            let what = |kind: &str, id: u32| CodegenError::Unsupported {
                what: format!("tree {} node {id}: {kind}", tree.source_id),
            };
            match tree.nodes.get(idx as usize) {
                Some(Node::Split(s)) => Ok(CompactRow {
                    threshold: f32_literal(s.threshold)
                        .ok_or_else(|| what("NaN threshold", s.source_id))?,
                    child: 0,
                    feature: s.feature,
                    flags: flags(s.op, !reject_nan && s.missing == MissingGoes::Left),
                    tree: tree.source_id,
                    node: s.source_id,
                }),
                Some(Node::Leaf(l)) if f64_leaves => {
                    leaf_values.push(CompactLeafValue {
                        value: leaf_literal(ens.accumulator, l.values[0])
                            .ok_or_else(|| what("non-finite leaf value", l.source_id))?,
                        tree: tree.source_id,
                        node: l.source_id,
                    });
                    Ok(CompactRow {
                        threshold: "0e0f".to_string(),
                        child: (leaf_values.len() - 1) as u64,
                        feature: 0,
                        flags: "TIMBER_NODE_LEAF",
                        tree: tree.source_id,
                        node: l.source_id,
                    })
                }
                Some(Node::Leaf(l)) => Ok(CompactRow {
                    threshold: leaf_literal(ens.accumulator, l.values[0])
                        .ok_or_else(|| what("NaN leaf value", l.source_id))?,
                    child: 0,
                    feature: 0,
                    flags: "TIMBER_NODE_LEAF",
                    tree: tree.source_id,
                    node: l.source_id,
                }),
                None => Err(what("index out of range", idx)),
            }
        };
        let root = rows.len() as u64;
        trees.push(CompactTree {
            root,
            group: tree.group,
            tree: tree.source_id,
        });
        rows.push(row_of(0)?);
        // (IR index, row index) of placed nodes whose children are due.
        let mut queue = VecDeque::from([(0u32, root as usize)]);
        while let Some((idx, at)) = queue.pop_front() {
            if let Some(Node::Split(s)) = tree.nodes.get(idx as usize) {
                let child = rows.len();
                rows.push(row_of(s.left)?);
                rows.push(row_of(s.right)?);
                rows[at].child = child as u64;
                queue.push_back((s.left, child));
                queue.push_back((s.right, child + 1));
            }
        }
    }
    let max_index = rows.len() as u64;
    Ok(CompactTables {
        index_type: uint_type_for(max_index),
        rows,
        leaf_values,
        trees,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::*;

    /// Walk the compact rows the way the generated C does, in Rust.
    fn walk(t: &CompactTables, tree: usize, x: &[f32], ens: &Ensemble) -> f32 {
        let mut i = t.trees[tree].root as usize;
        let ir = &ens.trees[tree];
        loop {
            let r = &t.rows[i];
            if r.flags == "TIMBER_NODE_LEAF" {
                return crate::codegen::c99::conv::parse_f32_literal(&r.threshold);
            }
            // Find the IR split this row came from to get op and missing.
            let Some(Node::Split(s)) = ir.nodes.iter().find(|n| n.source_id() == r.node) else {
                panic!("row {i} has no split");
            };
            let left =
                crate::ir::eval::goes_left(x[r.feature as usize], s.threshold, s.op, s.missing);
            assert!(r.child as usize > i, "children come after their parent");
            i = r.child as usize + usize::from(!left);
        }
    }

    #[test]
    fn children_are_adjacent_and_the_walk_reaches_the_reference_leaf() {
        let split = |id, f, t, l, r| {
            Node::Split(Split {
                source_id: id,
                feature: f,
                threshold: t,
                op: SplitOp::Lt,
                missing: MissingGoes::Left,
                left: l,
                right: r,
            })
        };
        let leaf = |id: u32, v: f64| {
            Node::Leaf(Leaf {
                source_id: id,
                values: vec![v],
            })
        };
        // Children stored out of order in the source.
        let tree = Tree {
            source_id: 7,
            group: 0,
            nodes: vec![
                split(0, 0, 0.5, 4, 1),
                split(1, 1, -1.0, 2, 3),
                leaf(2, 1.5),
                leaf(3, -2.5),
                leaf(4, 0.25),
            ],
        };
        let ens = Ensemble {
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
            trees: vec![tree.clone()],
        };
        let t = tables(&ens, false).unwrap();
        assert_eq!(t.rows.len(), 5);
        for x in [
            [0.0f32, -2.0],
            [0.0, 0.0],
            [1.0, 0.0],
            [f32::NAN, 0.0],
            [1.0, f32::NAN],
        ] {
            let want = crate::ir::evaluate(&ens, &x)[0];
            assert_eq!(walk(&t, 0, &x, &ens).to_bits(), want.to_bits(), "{x:?}");
        }
    }
}
