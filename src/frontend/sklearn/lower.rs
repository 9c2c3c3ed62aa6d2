//! Lowering one scikit-learn tree (a `sklearn.tree._tree.Tree` or a
//! histogram-gradient-boosting `TreePredictor`, both already decoded into
//! [`SrcNode`]s) to an IR tree.
//!
//! Both compare `(double)x <= threshold` with a double threshold, which is
//! the float32 comparison `x <= floor_f32(threshold)` for every float32 `x`
//! (see [`crate::frontend::threshold`]); NaN follows `missing_go_to_left`.
//! One case has no single float32 comparison: a threshold of `+inf`
//! (histogram gradient boosting writes it for "every value left, only
//! missing right"), where even `x = +inf` goes left. It becomes two splits
//! at `f32::MAX`: the first sends finite values left, the second sends NaN
//! to the original right child and `+inf` to a copy of the left subtree.
//! With missing also going left the split decides nothing and is skipped.
//! Copies keep their source node ids, so every IR leaf names its source leaf.

use crate::frontend::threshold::floor_f32;
use crate::ir::{Leaf, MissingGoes, Node, Split, SplitOp, Tree};

/// Most IR nodes one source tree may lower to (copies included); also what
/// stops a cyclic child index in a hostile file.
pub const MAX_IR_NODES: usize = 1 << 20;

/// A decoded source node.
#[derive(Debug, Clone, PartialEq)]
pub enum SrcNode {
    /// Leaf values as the framework adds them, exact in double.
    Leaf(Vec<f64>),
    Split {
        feature: u32,
        threshold: f64,
        missing_left: bool,
        left: usize,
        right: usize,
    },
}

/// The one place where a value the framework keeps in double becomes an IR
/// value: scikit-learn sums in double, so the ensemble accumulates in f64
/// (see [`crate::ir::Accumulator::F64`]) and the value is kept exactly.
pub fn ir_value(v: f64) -> f64 {
    v
}

#[derive(Clone, Copy)]
enum Slot {
    Left,
    Right,
}

/// Lower the tree rooted at node 0 of `nodes`.
pub fn lower_tree(nodes: &[SrcNode], source_id: u32, group: u32) -> Result<Tree, String> {
    let mut out: Vec<Node> = Vec::new();
    // (source node, where to link the IR node made for it)
    let mut work: Vec<(usize, Option<(usize, Slot)>)> = vec![(0, None)];
    while let Some((s, parent)) = work.pop() {
        if out.len() + 2 > MAX_IR_NODES {
            return Err(format!(
                "more than {MAX_IR_NODES} nodes: the tree is too large or its child links form a cycle"
            ));
        }
        let node = nodes
            .get(s)
            .ok_or_else(|| format!("child index {s} is outside the {} nodes", nodes.len()))?;
        let sid = u32::try_from(s).map_err(|_| format!("node index {s} too large"))?;
        match node {
            SrcNode::Leaf(values) => {
                link(&mut out, parent);
                out.push(Node::Leaf(Leaf {
                    source_id: sid,
                    values: values.iter().map(|v| ir_value(*v)).collect(),
                }));
            }
            SrcNode::Split {
                feature,
                threshold,
                missing_left,
                left,
                right,
            } => {
                if threshold.is_nan() {
                    return Err(format!("node {s}: threshold is NaN"));
                }
                let missing = if *missing_left {
                    MissingGoes::Left
                } else {
                    MissingGoes::Right
                };
                if *threshold == f64::INFINITY {
                    if *missing_left {
                        // Every input goes left: the split decides nothing.
                        work.push((*left, parent));
                        continue;
                    }
                    let a = link(&mut out, parent);
                    out.push(split(sid, *feature, f32::MAX, MissingGoes::Right));
                    let b = link(&mut out, Some((a, Slot::Right)));
                    out.push(split(sid, *feature, f32::MAX, MissingGoes::Left));
                    work.push((*left, Some((b, Slot::Right))));
                    work.push((*right, Some((b, Slot::Left))));
                    work.push((*left, Some((a, Slot::Left))));
                } else {
                    let a = link(&mut out, parent);
                    out.push(split(sid, *feature, floor_f32(*threshold), missing));
                    work.push((*right, Some((a, Slot::Right))));
                    work.push((*left, Some((a, Slot::Left))));
                }
            }
        }
    }
    Ok(Tree {
        source_id,
        group,
        nodes: out,
    })
}

fn split(source_id: u32, feature: u32, threshold: f32, missing: MissingGoes) -> Node {
    Node::Split(Split {
        source_id,
        feature,
        threshold,
        op: SplitOp::Le,
        missing,
        left: 0,
        right: 0,
    })
}

/// The index the next pushed node gets, linked from its parent's slot.
fn link(out: &mut [Node], parent: Option<(usize, Slot)>) -> usize {
    let idx = out.len();
    if let Some((p, slot)) = parent {
        if let Some(Node::Split(s)) = out.get_mut(p) {
            match slot {
                Slot::Left => s.left = idx as u32,
                Slot::Right => s.right = idx as u32,
            }
        }
    }
    idx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::eval::leaf_index;

    fn stump(threshold: f64, missing_left: bool) -> Vec<SrcNode> {
        vec![
            SrcNode::Split {
                feature: 0,
                threshold,
                missing_left,
                left: 1,
                right: 2,
            },
            SrcNode::Leaf(vec![1.0]),
            SrcNode::Leaf(vec![2.0]),
        ]
    }

    fn reached(t: &Tree, x: f32) -> u32 {
        t.nodes[leaf_index(t, &[x]) as usize].source_id()
    }

    #[test]
    fn decides_like_double_comparison() {
        let inputs = [
            f32::NEG_INFINITY,
            -1.0,
            0.1,
            f32::from_bits(0.1f32.to_bits() - 1),
            f32::from_bits(0.1f32.to_bits() + 1),
            f32::MAX,
            f32::INFINITY,
            f32::NAN,
        ];
        for t in [0.1f64, 0.1f32 as f64, -3.5, 1e300, f64::INFINITY] {
            for ml in [false, true] {
                let tree = lower_tree(&stump(t, ml), 0, 0).unwrap();
                for x in inputs {
                    let want = if x.is_nan() {
                        if ml {
                            1
                        } else {
                            2
                        }
                    } else if f64::from(x) <= t {
                        1
                    } else {
                        2
                    };
                    assert_eq!(reached(&tree, x), want, "t {t} ml {ml} x {x}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Random double thresholds (half of them next to a float32) and
        /// random float32 inputs: the lowered stump sends every input where
        /// `(double)x <= t` / `missing_go_to_left` does.
        #[test]
        fn lowered_stump_decides_like_scikit_learn(
            tbits in proptest::prelude::any::<u64>(),
            near in proptest::prelude::any::<bool>(),
            xbits in proptest::collection::vec(proptest::prelude::any::<u32>(), 16),
            ml in proptest::prelude::any::<bool>(),
        ) {
            let mut t = f64::from_bits(tbits);
            proptest::prop_assume!(!t.is_nan());
            if near {
                t = f64::from((t as f32).clamp(-f32::MAX, f32::MAX));
            }
            let tree = lower_tree(&stump(t, ml), 0, 0).unwrap();
            let t32 = t as f32;
            let around = [t32, f32::from_bits(t32.to_bits().wrapping_add(1)), f32::from_bits(t32.to_bits().wrapping_sub(1))];
            for x in xbits.into_iter().map(f32::from_bits).chain(around) {
                let left = if x.is_nan() { ml } else { f64::from(x) <= t };
                proptest::prop_assert_eq!(reached(&tree, x), if left { 1 } else { 2 }, "t {} x {}", t, x);
            }
        }
    }

    #[test]
    fn bad_links_are_errors_not_panics() {
        let mut cyclic = stump(0.5, true);
        cyclic[1] = SrcNode::Split {
            feature: 0,
            threshold: 0.5,
            missing_left: true,
            left: 0,
            right: 2,
        };
        assert!(lower_tree(&cyclic, 0, 0).unwrap_err().contains("cycle"));
        let mut dangling = stump(0.5, true);
        if let SrcNode::Split { right, .. } = &mut dangling[0] {
            *right = 99;
        }
        assert!(lower_tree(&dangling, 0, 0).unwrap_err().contains("outside"));
    }
}
