//! Validation: the one place that decides whether an [`Ensemble`] is well
//! formed, so the backends, the evaluator and the verifier never have to.
//!
//! Every walk is iterative with an explicit stack and a visited set, so a
//! hostile model (a 100,000-deep chain, a cycle, a node shared by two
//! parents) yields an error naming the tree and node, never a stack
//! overflow, a hang or a panic.

use super::{Accumulator, Ensemble, Node, PostTransform, IR_SCHEMA_VERSION};

/// Is a finite `v` exactly a float32 (so narrowing it loses nothing)?
pub fn is_exact_f32(v: f64) -> bool {
    f64::from(v as f32) == v
}

/// Deepest tree accepted (root at depth 0). Generated code walks each tree
/// with a loop bounded by the model's actual depth; this limit keeps that
/// bound, the stack estimate and the test vectors reasonable. XGBoost's and
/// LightGBM's defaults are far below it.
pub const MAX_DEPTH: usize = 512;

/// Why an ensemble was refused. Tree and node are indices in the IR; the
/// `source` fields are the ids in the original model file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    #[error("unsupported IR schema_version {0} (expected {IR_SCHEMA_VERSION})")]
    SchemaVersion(u32),
    #[error("the ensemble has no trees")]
    NoTrees,
    #[error("n_features is 0: a model must read at least one feature")]
    NoFeatures,
    #[error("n_groups is 0: a model must produce at least one output")]
    NoGroups,
    #[error("feature_names has {found} names but n_features is {expected}")]
    FeatureNames { found: usize, expected: u32 },
    #[error("base_score has {found} values but n_groups is {expected}")]
    BaseScoreLen { found: usize, expected: u32 },
    #[error("base_score[{group}] is {value}, not a finite number")]
    BaseScoreNotFinite { group: usize, value: f64 },
    #[error("base_score[{group}] is {value}, not exactly a float32; a model with float32 accumulation needs float32 values (double values need accumulator f64)")]
    BaseScoreNotF32 { group: usize, value: f64 },
    #[error("post transform {transform} is defined on float32 margins (onnxruntime's arithmetic); it cannot follow accumulator f64")]
    Float32TransformAfterF64 { transform: &'static str },
    #[error("tree {tree} (source tree {source_tree}) has no nodes")]
    EmptyTree { tree: usize, source_tree: u32 },
    #[error("tree {tree} (source tree {source_tree}) adds into group {group} but n_groups is {n_groups}")]
    GroupOutOfRange {
        tree: usize,
        source_tree: u32,
        group: u32,
        n_groups: u32,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): child index {child} out of range (tree has {len} nodes)")]
    ChildOutOfRange {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
        child: u32,
        len: usize,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): child {child} is reached twice (a cycle or a shared node)")]
    CycleOrShared {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
        child: u32,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): unreachable from the root")]
    Unreachable {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): depth exceeds the limit of {MAX_DEPTH}")]
    TooDeep {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): feature index {feature} >= n_features {n_features}")]
    FeatureOutOfRange {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
        feature: u32,
        n_features: u32,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): threshold is NaN")]
    NanThreshold {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): leaf value {value} is not finite")]
    LeafNotFinite {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
        value: f64,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): leaf value {value} is not exactly a float32; a model with float32 accumulation needs float32 values (double values need accumulator f64)")]
    LeafNotF32 {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
        value: f64,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): leaf has {len} values; with group {group} it must fit in n_groups {n_groups} and be non-empty")]
    LeafWidth {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
        len: usize,
        group: u32,
        n_groups: u32,
    },
    #[error("tree {tree} (source tree {source_tree}), node {node} (source node {source_node}): leaf has {len} values but the tree's first leaf has {expected}; every leaf of a tree must feed the same groups")]
    LeafWidthMismatch {
        tree: usize,
        source_tree: u32,
        node: usize,
        source_node: u32,
        len: usize,
        expected: usize,
    },
}

/// Check an ensemble; the first problem found is returned.
pub fn validate(ens: &Ensemble) -> Result<(), ValidationError> {
    use ValidationError as E;
    if ens.schema_version != IR_SCHEMA_VERSION {
        return Err(E::SchemaVersion(ens.schema_version));
    }
    if ens.n_features == 0 {
        return Err(E::NoFeatures);
    }
    if ens.n_groups == 0 {
        return Err(E::NoGroups);
    }
    if ens.trees.is_empty() {
        return Err(E::NoTrees);
    }
    if !ens.feature_names.is_empty() && ens.feature_names.len() != ens.n_features as usize {
        return Err(E::FeatureNames {
            found: ens.feature_names.len(),
            expected: ens.n_features,
        });
    }
    if ens.base_score.len() != ens.n_groups as usize {
        return Err(E::BaseScoreLen {
            found: ens.base_score.len(),
            expected: ens.n_groups,
        });
    }
    if let Some((group, &value)) = ens
        .base_score
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite())
    {
        return Err(E::BaseScoreNotFinite { group, value });
    }
    if ens.accumulator == Accumulator::F64 {
        match ens.post_transform {
            PostTransform::SymmetricSigmoid => {
                return Err(E::Float32TransformAfterF64 {
                    transform: "symmetric_sigmoid",
                })
            }
            PostTransform::SoftmaxF32 => {
                return Err(E::Float32TransformAfterF64 {
                    transform: "softmax_f32",
                })
            }
            _ => {}
        }
    }
    if ens.accumulator == Accumulator::F32 {
        if let Some((group, &value)) = ens
            .base_score
            .iter()
            .enumerate()
            .find(|(_, v)| !is_exact_f32(**v))
        {
            return Err(E::BaseScoreNotF32 { group, value });
        }
    }
    for t in 0..ens.trees.len() {
        validate_tree(ens, t)?;
    }
    Ok(())
}

/// Depth of each tree (root-only tree has depth 0). Assumes validity.
pub fn tree_depth(tree: &super::Tree) -> usize {
    let mut max = 0usize;
    let mut stack: Vec<(u32, usize)> = vec![(0, 0)];
    while let Some((idx, depth)) = stack.pop() {
        max = max.max(depth);
        if let Some(Node::Split(s)) = tree.nodes.get(idx as usize) {
            if depth < MAX_DEPTH {
                stack.push((s.left, depth + 1));
                stack.push((s.right, depth + 1));
            }
        }
    }
    max
}

fn validate_tree(ens: &Ensemble, t: usize) -> Result<(), ValidationError> {
    use ValidationError as E;
    let tree = &ens.trees[t];
    let st = tree.source_id;
    let len = tree.nodes.len();
    if len == 0 {
        return Err(E::EmptyTree {
            tree: t,
            source_tree: st,
        });
    }
    if tree.group >= ens.n_groups {
        return Err(E::GroupOutOfRange {
            tree: t,
            source_tree: st,
            group: tree.group,
            n_groups: ens.n_groups,
        });
    }
    // Every leaf feeds the same groups, so the number of values each group
    // receives per row is a constant of the model (the averaging divisor).
    let mut width: Option<usize> = None;
    let mut seen = vec![false; len];
    seen[0] = true;
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
    while let Some((n, depth)) = stack.pop() {
        let node = &tree.nodes[n];
        let sn = node.source_id();
        match node {
            Node::Leaf(leaf) => {
                let fits = !leaf.values.is_empty()
                    && (tree.group as usize + leaf.values.len()) <= ens.n_groups as usize;
                if !fits {
                    return Err(E::LeafWidth {
                        tree: t,
                        source_tree: st,
                        node: n,
                        source_node: sn,
                        len: leaf.values.len(),
                        group: tree.group,
                        n_groups: ens.n_groups,
                    });
                }
                match width {
                    Some(expected) if expected != leaf.values.len() => {
                        return Err(E::LeafWidthMismatch {
                            tree: t,
                            source_tree: st,
                            node: n,
                            source_node: sn,
                            len: leaf.values.len(),
                            expected,
                        });
                    }
                    Some(_) => {}
                    None => width = Some(leaf.values.len()),
                }
                if let Some(&value) = leaf.values.iter().find(|v| !v.is_finite()) {
                    return Err(E::LeafNotFinite {
                        tree: t,
                        source_tree: st,
                        node: n,
                        source_node: sn,
                        value,
                    });
                }
                if ens.accumulator == Accumulator::F32 {
                    if let Some(&value) = leaf.values.iter().find(|v| !is_exact_f32(**v)) {
                        return Err(E::LeafNotF32 {
                            tree: t,
                            source_tree: st,
                            node: n,
                            source_node: sn,
                            value,
                        });
                    }
                }
            }
            Node::Split(s) => {
                if depth >= MAX_DEPTH {
                    return Err(E::TooDeep {
                        tree: t,
                        source_tree: st,
                        node: n,
                        source_node: sn,
                    });
                }
                if s.feature >= ens.n_features {
                    return Err(E::FeatureOutOfRange {
                        tree: t,
                        source_tree: st,
                        node: n,
                        source_node: sn,
                        feature: s.feature,
                        n_features: ens.n_features,
                    });
                }
                if s.threshold.is_nan() {
                    return Err(E::NanThreshold {
                        tree: t,
                        source_tree: st,
                        node: n,
                        source_node: sn,
                    });
                }
                for child in [s.left, s.right] {
                    let c = child as usize;
                    if c >= len {
                        return Err(E::ChildOutOfRange {
                            tree: t,
                            source_tree: st,
                            node: n,
                            source_node: sn,
                            child,
                            len,
                        });
                    }
                    if seen[c] {
                        return Err(E::CycleOrShared {
                            tree: t,
                            source_tree: st,
                            node: n,
                            source_node: sn,
                            child,
                        });
                    }
                    seen[c] = true;
                    stack.push((c, depth + 1));
                }
            }
        }
    }
    if let Some(n) = seen.iter().position(|s| !s) {
        return Err(E::Unreachable {
            tree: t,
            source_tree: st,
            node: n,
            source_node: tree.nodes[n].source_id(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::*;

    fn leaf(id: u32, v: f64) -> Node {
        Node::Leaf(Leaf {
            source_id: id,
            values: vec![v],
        })
    }

    fn split(id: u32, feature: u32, left: u32, right: u32) -> Node {
        Node::Split(Split {
            source_id: id,
            feature,
            threshold: 0.5,
            op: SplitOp::Lt,
            missing: MissingGoes::Left,
            left,
            right,
        })
    }

    fn ensemble(nodes: Vec<Node>) -> Ensemble {
        Ensemble {
            schema_version: IR_SCHEMA_VERSION,
            source: Source {
                format: "test".into(),
                framework_version: None,
                objective: "reg:squarederror".into(),
                sha256: String::new(),
            },
            n_features: 2,
            feature_names: vec![],
            n_groups: 1,
            accumulator: Accumulator::F32,
            base_score: vec![0.5],
            aggregation: Aggregation::Sum,
            post_transform: PostTransform::Identity,
            trees: vec![Tree {
                source_id: 7,
                group: 0,
                nodes,
            }],
        }
    }

    #[test]
    fn accepts_a_stump() {
        let e = ensemble(vec![split(0, 1, 1, 2), leaf(1, 1.0), leaf(2, 2.0)]);
        assert_eq!(validate(&e), Ok(()));
        assert_eq!(tree_depth(&e.trees[0]), 1);
    }

    #[test]
    fn refuses_child_out_of_range() {
        let e = ensemble(vec![split(0, 0, 1, 9), leaf(1, 1.0)]);
        assert!(matches!(
            validate(&e),
            Err(ValidationError::ChildOutOfRange {
                tree: 0,
                source_tree: 7,
                node: 0,
                child: 9,
                ..
            })
        ));
    }

    #[test]
    fn refuses_cycle_and_shared_node() {
        let cyc = ensemble(vec![split(0, 0, 1, 2), split(1, 0, 0, 2), leaf(2, 1.0)]);
        assert!(matches!(
            validate(&cyc),
            Err(ValidationError::CycleOrShared { .. })
        ));
        let shared = ensemble(vec![split(0, 0, 1, 1), leaf(1, 1.0)]);
        assert!(matches!(
            validate(&shared),
            Err(ValidationError::CycleOrShared {
                node: 0,
                child: 1,
                ..
            })
        ));
    }

    #[test]
    fn refuses_unreachable_feature_nan_inf() {
        let unreachable = ensemble(vec![
            split(0, 0, 1, 2),
            leaf(1, 1.0),
            leaf(2, 1.0),
            leaf(3, 1.0),
        ]);
        assert!(matches!(
            validate(&unreachable),
            Err(ValidationError::Unreachable {
                node: 3,
                source_node: 3,
                ..
            })
        ));
        let feat = ensemble(vec![split(0, 2, 1, 2), leaf(1, 1.0), leaf(2, 1.0)]);
        assert!(matches!(
            validate(&feat),
            Err(ValidationError::FeatureOutOfRange { feature: 2, .. })
        ));
        let mut nan = ensemble(vec![split(0, 0, 1, 2), leaf(1, 1.0), leaf(2, 1.0)]);
        if let Node::Split(s) = &mut nan.trees[0].nodes[0] {
            s.threshold = f32::NAN;
        }
        assert!(matches!(
            validate(&nan),
            Err(ValidationError::NanThreshold { .. })
        ));
        let inf = ensemble(vec![
            split(0, 0, 1, 2),
            leaf(1, f64::INFINITY),
            leaf(2, 1.0),
        ]);
        assert!(matches!(
            validate(&inf),
            Err(ValidationError::LeafNotFinite { node: 1, .. })
        ));
    }

    #[test]
    fn float32_accumulation_refuses_double_values_f64_accepts_them() {
        let tenth = ensemble(vec![split(0, 0, 1, 2), leaf(1, 0.1), leaf(2, 1.0)]);
        assert!(matches!(
            validate(&tenth),
            Err(ValidationError::LeafNotF32 { node: 1, .. })
        ));
        let mut base = ensemble(vec![leaf(0, 1.0)]);
        base.base_score = vec![0.1];
        assert!(matches!(
            validate(&base),
            Err(ValidationError::BaseScoreNotF32 { group: 0, .. })
        ));
        for mut e in [tenth, base] {
            e.accumulator = Accumulator::F64;
            assert_eq!(validate(&e), Ok(()));
        }
    }

    #[test]
    fn refuses_leaves_of_different_widths_in_one_tree() {
        let mut e = ensemble(vec![
            split(0, 0, 1, 2),
            leaf(1, 1.0),
            Node::Leaf(Leaf {
                source_id: 2,
                values: vec![1.0, 2.0],
            }),
        ]);
        e.n_groups = 2;
        e.base_score = vec![0.0, 0.0];
        let err = validate(&e).expect_err("mixed widths");
        assert!(
            matches!(
                err,
                ValidationError::LeafWidthMismatch {
                    tree: 0,
                    source_tree: 7,
                    len,
                    expected,
                    ..
                } if (len, expected) == (1, 2) || (len, expected) == (2, 1)
            ),
            "{err}"
        );
        assert!(err.to_string().contains("source tree 7"), "{err}");
        // The same widths everywhere: accepted, and every tree counts once
        // in each group it feeds.
        if let Node::Leaf(l) = &mut e.trees[0].nodes[1] {
            l.values = vec![3.0, 4.0];
        }
        assert_eq!(validate(&e), Ok(()));
        assert_eq!(e.group_tree_counts(), vec![1, 1]);
        e.n_groups = 3;
        e.base_score = vec![0.0; 3];
        assert_eq!(e.group_tree_counts(), vec![1, 1, 0]);
        assert_eq!(e.average_divisors(), vec![1, 1, 1]);
    }

    #[test]
    fn refuses_empty_ensemble() {
        let mut e = ensemble(vec![leaf(0, 1.0)]);
        e.trees.clear();
        assert_eq!(validate(&e), Err(ValidationError::NoTrees));
    }

    #[test]
    fn deep_chain_is_an_error_not_a_crash() {
        // 100,000 splits in a chain: node i splits into leaf 2i+1 ... built so
        // each split's left child is the next split.
        let depth = 100_000u32;
        let mut nodes = Vec::with_capacity(2 * depth as usize + 1);
        for i in 0..depth {
            let next_split = i + 1;
            let leaf_idx = depth + 1 + i;
            nodes.push(split(i, 0, next_split, leaf_idx));
        }
        nodes.push(leaf(depth, 0.0));
        for i in 0..depth {
            nodes.push(leaf(depth + 1 + i, 0.0));
        }
        let e = ensemble(nodes);
        assert!(matches!(
            validate(&e),
            Err(ValidationError::TooDeep { node: 512, .. })
        ));
        // The evaluator stays bounded on the same input.
        let _ = crate::ir::eval::leaf_index(&e.trees[0], &[0.0, 0.0]);
    }
}
