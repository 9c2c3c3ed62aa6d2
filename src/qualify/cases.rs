//! The compiler verification suite: hand-built ensembles that together make
//! the templates emit every construct they can — each split operator and
//! missing-value direction, every aggregation and post transform, vector
//! leaves, single-leaf trees, margins large enough to reach exp's guards,
//! node tables of every index width, and double accumulation (double
//! leaf tables and sums, the double exp, sigmoid and softmax, whose
//! arithmetic is a libgcc routine on soft-float and single-precision FPU
//! targets) — so that a target compiler that miscompiles any of them is
//! caught.
//!
//! Every case is deterministic (fixed seeds), so a qualification report is
//! reproducible.

use crate::ir::{
    Accumulator, Aggregation, Ensemble, Leaf, MissingGoes, Node, PostTransform, Source, Split,
    SplitOp, Tree, IR_SCHEMA_VERSION,
};

/// One ensemble of the suite and the constructs it exists for.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub constructs: Vec<String>,
    pub ensemble: Ensemble,
    /// Cap on the vectors run (an even stride over the derived set, so
    /// every part of the node table is still reached); None = all.
    pub max_rows: Option<usize>,
}

fn leaf(id: u32, values: &[f32]) -> Node {
    Node::Leaf(Leaf {
        source_id: id,
        values: values.iter().map(|v| f64::from(*v)).collect(),
    })
}

#[allow(clippy::too_many_arguments)]
fn split(
    id: u32,
    feature: u32,
    threshold: f32,
    op: SplitOp,
    missing: MissingGoes,
    left: u32,
    right: u32,
) -> Node {
    Node::Split(Split {
        source_id: id,
        feature,
        threshold,
        op,
        missing,
        left,
        right,
    })
}

fn tree(source_id: u32, group: u32, nodes: Vec<Node>) -> Tree {
    Tree {
        source_id,
        group,
        nodes,
    }
}

fn ensemble(
    name: &str,
    n_features: u32,
    base_score: Vec<f32>,
    aggregation: Aggregation,
    post_transform: PostTransform,
    trees: Vec<Tree>,
) -> Ensemble {
    Ensemble {
        schema_version: IR_SCHEMA_VERSION,
        source: Source {
            format: "qualification-suite".into(),
            framework_version: None,
            objective: name.into(),
            sha256: crate::frontend::sha256_hex(name.as_bytes()),
        },
        n_features,
        feature_names: vec![],
        n_groups: base_score.len() as u32,
        accumulator: Accumulator::F32,
        base_score: base_score.iter().map(|b| f64::from(*b)).collect(),
        aggregation,
        post_transform,
        trees,
    }
}

/// Turn a float32 case into a double-accumulation one whose every leaf
/// and base value lies off the float32 grid (scaled by 1 + 2^-40), so a
/// target that summed in float would differ.
fn to_double(ens: &mut Ensemble) {
    let nudge = |v: f64| v * (1.0 + 2f64.powi(-40));
    ens.accumulator = Accumulator::F64;
    for b in &mut ens.base_score {
        *b = nudge(*b);
    }
    for t in &mut ens.trees {
        for n in &mut t.nodes {
            if let Node::Leaf(l) = n {
                for v in &mut l.values {
                    *v = nudge(*v);
                }
            }
        }
    }
}

/// A small deterministic generator (xorshift64*), so the suite needs no
/// random-number crate and never changes between runs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A random complete-ish tree of at most `depth` levels over `n_features`.
fn random_tree(
    rng: &mut Rng,
    source_id: u32,
    group: u32,
    n_features: u32,
    depth: u32,
    scale: f32,
) -> Tree {
    let mut nodes: Vec<Node> = Vec::new();
    // Breadth-first: (slot, depth); children appended as they are made.
    let mut queue: std::collections::VecDeque<(usize, u32)> = std::collections::VecDeque::new();
    nodes.push(leaf(0, &[0.0]));
    queue.push_back((0, 0));
    while let Some((slot, d)) = queue.pop_front() {
        let make_split = d < depth && (d < 2 || rng.below(4) != 0);
        if make_split {
            let left = nodes.len() as u32;
            let right = left + 1;
            nodes.push(leaf(left, &[0.0]));
            nodes.push(leaf(right, &[0.0]));
            let threshold = match rng.below(6) {
                0 => 0.0,
                1 => -0.0,
                2 => f32::MIN_POSITIVE * rng.unit(),
                _ => (rng.unit() - 0.5) * 8.0,
            };
            let op = if rng.below(2) == 0 {
                SplitOp::Lt
            } else {
                SplitOp::Le
            };
            let missing = if rng.below(2) == 0 {
                MissingGoes::Left
            } else {
                MissingGoes::Right
            };
            nodes[slot] = split(
                slot as u32,
                rng.below(n_features as u64) as u32,
                threshold,
                op,
                missing,
                left,
                right,
            );
            queue.push_back((left as usize, d + 1));
            queue.push_back((right as usize, d + 1));
        } else {
            let v = (rng.unit() - 0.5) * scale;
            nodes[slot] = leaf(slot as u32, &[v]);
        }
    }
    tree(source_id, group, nodes)
}

/// Every case of the suite, in a fixed order.
pub fn suite() -> Vec<Case> {
    use MissingGoes::{Left, Right};
    use SplitOp::{Le, Lt};
    let mut out = Vec::new();
    let mut case = |name: &str, constructs: &[&str], ensemble: Ensemble| {
        out.push(Case {
            name: name.into(),
            constructs: constructs.iter().map(|s| s.to_string()).collect(),
            ensemble,
            max_rows: None,
        });
    };

    // Each operator with each missing direction, thresholds at 0, -0 and
    // the smallest subnormal.
    let mut stumps = Vec::new();
    let mut id = 0u32;
    for (f, op) in [Lt, Le].into_iter().enumerate() {
        for (m, missing) in [Left, Right].into_iter().enumerate() {
            for thr in [0.25f32, -0.0, f32::from_bits(1)] {
                let feature = (f * 2 + m) as u32;
                stumps.push(tree(
                    id,
                    0,
                    vec![
                        split(0, feature, thr, op, missing, 1, 2),
                        leaf(1, &[0.5 + id as f32]),
                        leaf(2, &[-1.25 * (id as f32 + 1.0)]),
                    ],
                ));
                id += 1;
            }
        }
    }
    case(
        "split-operators",
        &[
            "split <",
            "split <=",
            "missing left",
            "missing right",
            "signed zero and subnormal thresholds",
            "identity",
            "sum",
        ],
        ensemble(
            "split-operators",
            4,
            vec![0.0],
            Aggregation::Sum,
            PostTransform::Identity,
            stumps,
        ),
    );

    // Single-leaf trees next to a split tree: the smallest tables.
    case(
        "single-leaf-trees",
        &["tree of one leaf", "smallest tables", "8-bit node index"],
        ensemble(
            "single-leaf-trees",
            1,
            vec![0.5],
            Aggregation::Sum,
            PostTransform::Identity,
            vec![
                tree(0, 0, vec![leaf(0, &[1.5])]),
                tree(
                    1,
                    0,
                    vec![
                        split(0, 0, 1.0, Lt, Right, 1, 2),
                        leaf(1, &[2.0]),
                        leaf(2, &[-2.0]),
                    ],
                ),
                tree(2, 0, vec![leaf(0, &[-0.0])]),
            ],
        ),
    );

    // Random ensembles with every aggregation and post transform.
    let mut rng = Rng(0x7469_6d62_6572);
    for (name, pt, agg, groups, base, scale) in [
        (
            "sum-identity",
            PostTransform::Identity,
            Aggregation::Sum,
            1u32,
            0.3f32,
            2.0f32,
        ),
        (
            "average-identity",
            PostTransform::Identity,
            Aggregation::Average,
            1,
            0.0,
            2.0,
        ),
        (
            "sigmoid",
            PostTransform::Sigmoid,
            Aggregation::Sum,
            1,
            -0.2,
            3.0,
        ),
        (
            "sigmoid-huge-margins",
            PostTransform::Sigmoid,
            Aggregation::Sum,
            1,
            300.0,
            400.0,
        ),
        ("exp", PostTransform::Exp, Aggregation::Sum, 1, 0.7, 1.0),
        (
            "exp-guards",
            PostTransform::Exp,
            Aggregation::Sum,
            1,
            -60.0,
            150.0,
        ),
        ("hinge", PostTransform::Hinge, Aggregation::Sum, 1, 0.0, 2.0),
        (
            "softmax",
            PostTransform::Softmax,
            Aggregation::Sum,
            3,
            0.5,
            4.0,
        ),
        (
            "softmax-huge-margins",
            PostTransform::Softmax,
            Aggregation::Sum,
            4,
            0.0,
            1e6,
        ),
        (
            "argmax",
            PostTransform::ArgMax,
            Aggregation::Sum,
            3,
            0.0,
            2.0,
        ),
        (
            "multiclass-identity",
            PostTransform::Identity,
            Aggregation::Sum,
            3,
            -0.5,
            2.0,
        ),
    ] {
        let n_features = 5;
        let mut trees = Vec::new();
        for t in 0..(groups * 7) {
            trees.push(random_tree(&mut rng, t, t % groups, n_features, 6, scale));
        }
        let constructs: Vec<String> = vec![
            format!("post transform {pt:?}"),
            format!("aggregation {agg:?}"),
            format!("{groups} output group(s)"),
            "random thresholds incl. 0, -0, subnormals".into(),
        ];
        let c: Vec<&str> = constructs.iter().map(String::as_str).collect();
        case(
            name,
            &c,
            ensemble(
                name,
                n_features,
                vec![base; groups as usize],
                agg,
                pt,
                trees,
            ),
        );
    }

    // Vector leaves: one tree feeds several groups (random-forest style).
    case(
        "vector-leaves",
        &["vector leaves", "average", "multi-output"],
        ensemble(
            "vector-leaves",
            2,
            vec![0.0, 0.0, 0.0],
            Aggregation::Average,
            PostTransform::Identity,
            vec![
                tree(
                    0,
                    0,
                    vec![
                        split(0, 0, 0.5, Le, Left, 1, 2),
                        leaf(1, &[0.2, 0.3, 0.5]),
                        leaf(2, &[0.9, 0.1, 0.0]),
                    ],
                ),
                tree(
                    1,
                    1,
                    vec![
                        split(0, 1, -2.0, Lt, Right, 1, 2),
                        leaf(1, &[0.7, 0.3]),
                        leaf(2, &[0.6, 0.4]),
                    ],
                ),
            ],
        ),
    );

    // Double accumulation: leaves and base scores off the float32 grid,
    // summed and linked in double; margins reaching exp64's guards.
    let mut rng = Rng(0x0066_3634);
    for (name, pt, agg, groups, base, scale) in [
        (
            "f64-sum-identity",
            PostTransform::Identity,
            Aggregation::Sum,
            1u32,
            0.3f32,
            2.0f32,
        ),
        (
            "f64-average-identity",
            PostTransform::Identity,
            Aggregation::Average,
            2,
            0.1,
            2.0,
        ),
        (
            "f64-sigmoid",
            PostTransform::Sigmoid,
            Aggregation::Sum,
            1,
            -0.2,
            3.0,
        ),
        (
            "f64-exp-guards",
            PostTransform::Exp,
            Aggregation::Sum,
            1,
            -400.0,
            900.0,
        ),
        (
            "f64-softmax",
            PostTransform::Softmax,
            Aggregation::Sum,
            3,
            0.5,
            4.0,
        ),
        (
            "f64-hinge",
            PostTransform::Hinge,
            Aggregation::Sum,
            1,
            0.0,
            2.0,
        ),
        (
            "f64-argmax",
            PostTransform::ArgMax,
            Aggregation::Sum,
            3,
            0.0,
            2.0,
        ),
    ] {
        let n_features = 5;
        let mut trees = Vec::new();
        for t in 0..(groups * 7) {
            trees.push(random_tree(&mut rng, t, t % groups, n_features, 6, scale));
        }
        let constructs: Vec<String> = vec![
            "double accumulation".into(),
            format!("post transform {pt:?} in double"),
            format!("aggregation {agg:?}"),
            format!("{groups} output group(s)"),
        ];
        let c: Vec<&str> = constructs.iter().map(String::as_str).collect();
        let mut ens = ensemble(
            name,
            n_features,
            vec![base; groups as usize],
            agg,
            pt,
            trees,
        );
        to_double(&mut ens);
        case(name, &c, ens);
    }

    // Node tables past 255 and past 65535 rows: 16- and 32-bit indices.
    let mut rng = Rng(42);
    let mut mid = Vec::new();
    for t in 0..24u32 {
        mid.push(random_tree(&mut rng, t, 0, 8, 6, 1.0));
    }
    case(
        "index-16-bit",
        &["16-bit node index", "deep trees"],
        ensemble(
            "index-16-bit",
            8,
            vec![0.1],
            Aggregation::Sum,
            PostTransform::Sigmoid,
            mid,
        ),
    );
    let mut big = Vec::new();
    let mut t = 0u32;
    let mut nodes = 0usize;
    while nodes <= 70_000 {
        let tr = random_tree(&mut rng, t, 0, 8, 10, 0.05);
        nodes += tr.nodes.len();
        big.push(tr);
        t += 1;
    }
    case(
        "index-32-bit",
        &["32-bit node index", "largest tables"],
        ensemble(
            "index-32-bit",
            8,
            vec![0.0],
            Aggregation::Sum,
            PostTransform::Identity,
            big,
        ),
    );
    if let Some(last) = out.last_mut() {
        last.max_rows = Some(1500);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_is_valid_and_the_suite_is_deterministic() {
        let a = suite();
        let b = suite();
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            crate::ir::validate(&x.ensemble).unwrap_or_else(|e| panic!("{}: {e}", x.name));
            assert_eq!(x.ensemble, y.ensemble);
        }
        let big = a
            .iter()
            .find(|c| c.name == "index-32-bit")
            .map(|c| c.ensemble.n_nodes());
        assert!(big.unwrap_or(0) > 65_535);
    }
}
