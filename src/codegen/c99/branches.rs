//! The `branches` layout: every tree becomes one C function holding an
//! if/else nest, thresholds and leaf values printed as float literals.
//!
//! Why a second layout: on a small model the table walk pays for its
//! generality (a load of the node, a load of the input, a select per level
//! and the 8-lane padding), while a nest of literal comparisons is a
//! compare and a branch per level and no table at all; it is both faster
//! and smaller there (see docs/benchmarks.md). On big models the code grows
//! with the node count and falls out of the instruction cache, so `auto`
//! keeps the table for those.
//!
//! Exactness: the comparisons are the IR's, the literals come from
//! [`super::conv::f32_literal`] (exact float32 bits), and the row function
//! adds the trees' values into the same float32 sums in tree order, as the
//! reference evaluator does. A missing (NaN) input is tested first, with
//! `timber_is_nan` (a quiet `x != x`), wherever the path can still carry a
//! NaN: `(!timber_is_nan(x)) && (x < t)` when the missing direction is
//! right, `timber_is_nan(x) || (x < t)` when it is left; the true branch is
//! always the left child. The ordered comparison (`<`, `<=`) raises the
//! invalid exception when one operand is NaN, so it runs only on numbers:
//! no missing value raises a floating-point exception (with traps enabled
//! it would trap). Where the path has already decided the feature (an
//! earlier split sent its NaN elsewhere) or the `reject` NaN policy checks
//! the inputs before any tree runs, the split's own comparison is emitted
//! alone.
//!
//! Each `if` and each leaf line carries `/* tree T node N */`, the source
//! model's ids, which the audit's traceability map reads back.

use super::conv::{f32_literal, leaf_literal};
use super::{CodegenError, NanPolicy};
use crate::ir::{Accumulator, Ensemble, MissingGoes, Node, SplitOp, Tree};
use serde::Serialize;

/// Deepest tree the layout emits. C99 (5.2.4.1) only guarantees 127 nested
/// blocks; the function body and the nest must stay within that, with
/// room to spare for a compiler that counts differently.
pub const MAX_NEST_DEPTH: usize = 100;

/// One tree's function, as the template prints it.
#[derive(Debug, Serialize)]
pub struct BranchTree {
    /// IR index of the tree: the function is `timber_tree_<index>`.
    pub index: usize,
    /// The source model's tree id.
    pub tree: u32,
    /// The first group its leaves add into.
    pub group: u32,
    /// Body lines, indented for the function body (4 spaces per level).
    pub lines: Vec<String>,
    /// A tree that is a single leaf has no function (it would not read
    /// its input, MISRA 2.7): these lines add its value(s) in the row
    /// function instead, in its place in the tree order.
    pub inline: Option<Vec<String>>,
    /// The nest calls `timber_is_nan` (a split NaN can reach).
    pub nan_test: bool,
}

/// How a leaf shows up in the nest.
#[derive(Clone, Copy)]
enum LeafStyle {
    /// Scalar leaves: `v = <value>;` (the function returns v).
    Return,
    /// Vector leaves: added into `acc->sums` directly, groups
    /// `tree.group + i`.
    Accumulate,
    /// A single-leaf tree, in the row function: added into `acc.sums`.
    Inline,
}

/// How a split's `if` condition handles a missing (NaN) input; the true
/// branch is always the left child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NanTest {
    /// No NaN reaches this split: the comparison alone.
    None,
    /// NaN goes right: `(!timber_is_nan(x)) && (x OP t)`.
    NumberAnd,
    /// NaN goes left: `timber_is_nan(x) || (x OP t)`.
    MissingOr,
    /// Every number the path lets through goes left, NaN right:
    /// `!timber_is_nan(x)` (the comparison could never be false).
    NotNan,
    /// Every number goes right, NaN left: `timber_is_nan(x)`.
    IsNan,
}

/// The condition of one split whose true branch is the left child: the C
/// comparison operator and the NaN test it needs. `nan_reaches`: the path
/// to the split can still carry a NaN in this feature; `numbers`: some
/// number the path lets through goes (left, right). A side only NaN
/// reaches makes the comparison constant for numbers, so only the NaN test
/// is written (a condition that cannot be false has no MC/DC pair).
fn condition(
    op: SplitOp,
    missing: MissingGoes,
    nan_reaches: bool,
    numbers: (bool, bool),
) -> (&'static str, NanTest) {
    let cmp = match op {
        SplitOp::Lt => "<",
        SplitOp::Le => "<=",
    };
    let test = match (nan_reaches, missing, numbers) {
        (false, _, _) => NanTest::None,
        (true, MissingGoes::Right, (_, false)) => NanTest::NotNan,
        (true, MissingGoes::Left, (false, _)) => NanTest::IsNan,
        (true, MissingGoes::Right, _) => NanTest::NumberAnd,
        (true, MissingGoes::Left, _) => NanTest::MissingOr,
    };
    (cmp, test)
}

/// The C text of a split's condition on input `x` against literal `t`.
fn condition_text(cmp: &str, test: NanTest, x: &str, t: &str) -> String {
    match test {
        NanTest::None => format!("{x} {cmp} {t}"),
        NanTest::NumberAnd => format!("(!timber_is_nan({x})) && ({x} {cmp} {t})"),
        NanTest::MissingOr => format!("timber_is_nan({x}) || ({x} {cmp} {t})"),
        NanTest::NotNan => format!("!timber_is_nan({x})"),
        NanTest::IsNan => format!("timber_is_nan({x})"),
    }
}

#[allow(clippy::too_many_arguments)]
fn leaf_lines(
    tree: &Tree,
    acc: Accumulator,
    values: &[f64],
    source_id: u32,
    style: LeafStyle,
    indent: &str,
    out: &mut Vec<String>,
) -> Result<(), CodegenError> {
    let trace = format!("/* tree {} node {} */", tree.source_id, source_id);
    let lit = |v: f64| {
        leaf_literal(acc, v).ok_or_else(|| CodegenError::Unsupported {
            what: format!("tree {} node {}: NaN leaf value", tree.source_id, source_id),
        })
    };
    match style {
        LeafStyle::Return => {
            let v = values.first().copied().unwrap_or(0.0);
            out.push(format!("{indent}v = {}; {trace}", lit(v)?));
        }
        LeafStyle::Accumulate | LeafStyle::Inline => {
            let acc = if matches!(style, LeafStyle::Inline) {
                "acc."
            } else {
                "acc->"
            };
            for (i, v) in values.iter().enumerate() {
                let g = u64::from(tree.group) + i as u64;
                let note = if i == 0 {
                    format!(" {trace}")
                } else {
                    String::new()
                };
                out.push(format!(
                    "{indent}{acc}sums[{g}U] = {acc}sums[{g}U] + {};{note}",
                    lit(*v)?
                ));
            }
        }
    }
    Ok(())
}

/// The values one feature can still have on the path to a node: NaN or
/// not, and a closed interval of non-NaN floats (None: no such float).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Reach {
    nan: bool,
    range: Option<(f32, f32)>,
}

impl Reach {
    fn all(nan: NanPolicy) -> Reach {
        Reach {
            nan: nan == NanPolicy::Missing,
            range: Some((f32::NEG_INFINITY, f32::INFINITY)),
        }
    }

    fn is_empty(&self) -> bool {
        !self.nan && self.range.is_none()
    }

    /// The part of `self` that satisfies `range` (non-NaN) or, when
    /// `nan_here`, is NaN.
    fn and(&self, range: Option<(f32, f32)>, nan_here: bool) -> Reach {
        let range = match (self.range, range) {
            (Some((a, b)), Some((c, d))) => {
                let (lo, hi) = (a.max(c), b.min(d));
                (lo <= hi).then_some((lo, hi))
            }
            _ => None,
        };
        Reach {
            nan: self.nan && nan_here,
            range,
        }
    }
}

/// The next float below / above `x` (None past the infinities). Zero's
/// neighbours are the smallest subnormals (-0 and 0 compare equal).
fn next_down(x: f32) -> Option<f32> {
    if x == f32::NEG_INFINITY {
        None
    } else if x == 0.0 {
        Some(-f32::from_bits(1))
    } else if x > 0.0 {
        Some(f32::from_bits(x.to_bits() - 1))
    } else {
        Some(f32::from_bits(x.to_bits() + 1))
    }
}

fn next_up(x: f32) -> Option<f32> {
    next_down(-x).map(|v| -v)
}

/// The non-NaN inputs that go left and right at a split.
/// A closed interval of non-NaN floats; None when no float is in it.
type Range = Option<(f32, f32)>;

fn sides(op: SplitOp, t: f32) -> (Range, Range) {
    let (ninf, inf) = (f32::NEG_INFINITY, f32::INFINITY);
    match op {
        SplitOp::Lt => (next_down(t).map(|h| (ninf, h)), Some((t, inf))),
        SplitOp::Le => (Some((ninf, t)), next_up(t).map(|l| (l, inf))),
    }
}

/// What is left to print of a nest (an explicit stack, so a deep tree
/// cannot exhaust the generator's own stack).
enum Step {
    Node {
        idx: u32,
        depth: usize,
        /// Per feature, the values the path to this node allows (features
        /// not yet tested are absent: anything).
        reach: std::collections::BTreeMap<u32, Reach>,
    },
    Text(String),
}

/// The nest of one tree. A side of a split no input can reach (the path
/// above already decided the feature, as XGBoost trees do when a default
/// direction sends only NaN somewhere, or under the `reject` policy where
/// no NaN arrives) is left out together with its `if`: unreachable code
/// (MISRA 2.1) that no test vector could cover. The split's trace comment
/// stays, on its own line.
#[cfg(test)]
fn tree_lines(tree: &Tree, style: LeafStyle, nan: NanPolicy) -> Result<Vec<String>, CodegenError> {
    Ok(nest(tree, style, nan, Accumulator::F32)?.lines)
}

/// A tree's nest, and whether it tests anything.
struct Nest {
    lines: Vec<String>,
    /// At least one `if`: the nest reads its input.
    tests: bool,
    /// At least one `if` tests for a missing value (`timber_is_nan`).
    nan_test: bool,
    /// The last leaf emitted (with no test, the only one): values, id.
    last_leaf: Option<(Vec<f64>, u32)>,
}

fn nest(
    tree: &Tree,
    style: LeafStyle,
    nan: NanPolicy,
    acc: Accumulator,
) -> Result<Nest, CodegenError> {
    let mut out = Vec::new();
    let mut tests = false;
    let mut nan_test = false;
    let mut last_leaf = None;
    let mut todo = vec![Step::Node {
        idx: 0,
        depth: 1,
        reach: std::collections::BTreeMap::new(),
    }];
    while let Some(step) = todo.pop() {
        let (idx, depth, reach) = match step {
            Step::Text(t) => {
                out.push(t);
                continue;
            }
            Step::Node { idx, depth, reach } => (idx, depth, reach),
        };
        if depth > MAX_NEST_DEPTH + 1 {
            return Err(CodegenError::Unsupported {
                what: format!(
                    "tree {} is deeper than {MAX_NEST_DEPTH} levels, too deep for the branches \
                     layout (C99 guarantees 127 nested blocks); use --layout table",
                    tree.source_id
                ),
            });
        }
        let indent = "    ".repeat(depth);
        match tree.nodes.get(idx as usize) {
            Some(Node::Leaf(l)) => {
                leaf_lines(tree, acc, &l.values, l.source_id, style, &indent, &mut out)?;
                last_leaf = Some((l.values.clone(), l.source_id));
            }
            Some(Node::Split(s)) => {
                let t = f32_literal(s.threshold).ok_or_else(|| CodegenError::Unsupported {
                    what: format!(
                        "tree {} node {}: NaN threshold",
                        tree.source_id, s.source_id
                    ),
                })?;
                let here = reach
                    .get(&s.feature)
                    .copied()
                    .unwrap_or_else(|| Reach::all(nan));
                let (left_range, right_range) = sides(s.op, s.threshold);
                let nan_left = s.missing == MissingGoes::Left;
                let left_reach = here.and(left_range, nan_left);
                let right_reach = here.and(right_range, !nan_left);
                let child = |to: u32, r: Reach, depth: usize| {
                    let mut reach = reach.clone();
                    reach.insert(s.feature, r);
                    Step::Node {
                        idx: to,
                        depth,
                        reach,
                    }
                };
                let trace = format!("/* tree {} node {} */", tree.source_id, s.source_id);
                if left_reach.is_empty() || right_reach.is_empty() {
                    // One side only: no test, the reachable child in place.
                    let (to, r, side) = if left_reach.is_empty() {
                        (s.right, right_reach, "right")
                    } else {
                        (s.left, left_reach, "left")
                    };
                    out.push(format!(
                        "{indent}/* tree {} node {} only the {side} side is reachable */",
                        tree.source_id, s.source_id
                    ));
                    todo.push(child(to, r, depth));
                    continue;
                }
                let (cmp, test) = condition(
                    s.op,
                    s.missing,
                    here.nan,
                    (left_reach.range.is_some(), right_reach.range.is_some()),
                );
                tests = true;
                nan_test |= test != NanTest::None;
                let x = format!("in[{}U]", s.feature);
                out.push(format!(
                    "{indent}if ({}) {{ {trace}",
                    condition_text(cmp, test, &x, &t)
                ));
                let (first, second) = (
                    child(s.left, left_reach, depth + 1),
                    child(s.right, right_reach, depth + 1),
                );
                // Pushed in reverse: first branch, `} else {`, second, `}`.
                todo.push(Step::Text(format!("{indent}}}")));
                todo.push(second);
                todo.push(Step::Text(format!("{indent}}} else {{")));
                todo.push(first);
            }
            None => {
                return Err(CodegenError::Unsupported {
                    what: format!("tree {}: node index {idx} out of range", tree.source_id),
                })
            }
        }
    }
    Ok(Nest {
        lines: out,
        tests,
        nan_test,
        last_leaf,
    })
}

/// The functions of every tree, in tree (summation) order.
pub fn branch_trees(
    ens: &Ensemble,
    scalar_leaves: bool,
    nan: NanPolicy,
) -> Result<Vec<BranchTree>, CodegenError> {
    if let Some(why) = unsupported(ens) {
        return Err(CodegenError::Unsupported { what: why });
    }
    let style = if scalar_leaves {
        LeafStyle::Return
    } else {
        LeafStyle::Accumulate
    };
    ens.trees
        .iter()
        .enumerate()
        .map(|(index, tree)| {
            let n = nest(tree, style, nan, ens.accumulator)?;
            // A tree that tests nothing (a single leaf, or one whose every
            // reachable path was pruned to one leaf) gets no function: it
            // would not read its input (MISRA 2.7). Its value is added in
            // the row function, after its trace comments.
            let inline = if n.tests {
                None
            } else {
                let (values, leaf_id) =
                    n.last_leaf
                        .clone()
                        .ok_or_else(|| CodegenError::Unsupported {
                            what: format!("tree {}: no leaf reached", tree.source_id),
                        })?;
                let mut lines: Vec<String> = n
                    .lines
                    .iter()
                    .filter(|l| l.trim_start().starts_with("/*"))
                    .map(|l| format!("    {}", l.trim_start()))
                    .collect();
                leaf_lines(
                    tree,
                    ens.accumulator,
                    &values,
                    leaf_id,
                    LeafStyle::Inline,
                    "    ",
                    &mut lines,
                )?;
                Some(lines)
            };
            Ok(BranchTree {
                index,
                tree: tree.source_id,
                group: tree.group,
                lines: if inline.is_some() {
                    Vec::new()
                } else {
                    n.lines
                },
                inline,
                nan_test: n.nan_test,
            })
        })
        .collect()
}

/// Why the branches layout cannot express this ensemble, if it cannot: a
/// tree deeper than [`MAX_NEST_DEPTH`], or no reachable test at all (then
/// the row function would never read its input, MISRA 2.7; the table
/// layout handles such a constant model).
pub fn unsupported(ens: &Ensemble) -> Option<String> {
    if let Some(t) = ens
        .trees
        .iter()
        .find(|t| crate::ir::validate::tree_depth(t) > MAX_NEST_DEPTH)
    {
        return Some(format!(
            "tree {} is deeper than {MAX_NEST_DEPTH} levels, too deep for the branches layout \
             (C99 guarantees 127 nested blocks); use --layout table",
            t.source_id
        ));
    }
    // Under `reject` a nest loses at least the sides `missing` loses, so a
    // test that survives there survives under both policies.
    let tests = |t: &Tree| {
        nest(t, LeafStyle::Return, NanPolicy::Reject, Accumulator::F64)
            .map(|n| n.tests)
            .unwrap_or(false)
    };
    if !ens.trees.iter().any(tests) {
        return Some(
            "no tree of the model tests its input (every reachable path is a single leaf): \
             nothing to branch on; use --layout table"
                .to_string(),
        );
    }
    None
}

/// Can the branches layout express this ensemble (see [`unsupported`])?
pub fn supports(ens: &Ensemble) -> bool {
    unsupported(ens).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_split_every_float_like_the_comparison() {
        let t = 0.5f32;
        let (l, r) = sides(SplitOp::Lt, t);
        assert_eq!(l, Some((f32::NEG_INFINITY, 0.49999997)));
        assert_eq!(r, Some((0.5, f32::INFINITY)));
        let (l, r) = sides(SplitOp::Le, t);
        assert_eq!(l, Some((f32::NEG_INFINITY, 0.5)));
        assert_eq!(r, Some((0.50000006, f32::INFINITY)));
        assert_eq!(sides(SplitOp::Lt, f32::NEG_INFINITY).0, None);
        assert_eq!(sides(SplitOp::Le, f32::INFINITY).1, None);
        assert_eq!(next_down(0.0), Some(-f32::from_bits(1)));
        assert_eq!(next_up(-0.0), Some(f32::from_bits(1)));
    }

    /// x < 1 then x < 2: the right side of the second split is reachable
    /// only by NaN; with NaN going left (or refused) it is left out.
    #[test]
    fn a_side_only_nan_could_reach_is_left_out() {
        use crate::ir::{Leaf, Split};
        let split = |id, t, missing, left, right| {
            Node::Split(Split {
                source_id: id,
                feature: 0,
                threshold: t,
                op: SplitOp::Lt,
                missing,
                left,
                right,
            })
        };
        let leaf = |id: u32| {
            Node::Leaf(Leaf {
                source_id: id,
                values: vec![f64::from(id)],
            })
        };
        let tree = |missing_inner| Tree {
            source_id: 0,
            group: 0,
            nodes: vec![
                split(0, 1.0, MissingGoes::Left, 1, 2),
                split(1, 2.0, missing_inner, 3, 4),
                leaf(2),
                leaf(3),
                leaf(4),
            ],
        };
        let text = |t: &Tree, nan| tree_lines(t, LeafStyle::Return, nan).unwrap().join("\n");
        // NaN goes left at the root, then right at node 1: node 4 reachable.
        let both = text(&tree(MissingGoes::Right), NanPolicy::Missing);
        assert!(both.contains("node 4 */"), "{both}");
        assert_eq!(both.matches("if (").count(), 2, "{both}");
        // NaN goes left at node 1 too: node 4 unreachable.
        let pruned = text(&tree(MissingGoes::Left), NanPolicy::Missing);
        assert!(!pruned.contains("node 4 */"), "{pruned}");
        assert!(pruned.contains("/* tree 0 node 1 only the left side is reachable */"));
        assert_eq!(pruned.matches("if (").count(), 1, "{pruned}");
        // NaN refused: node 4 unreachable whatever the direction.
        let rejected = text(&tree(MissingGoes::Right), NanPolicy::Reject);
        assert!(!rejected.contains("node 4 */"), "{rejected}");
    }

    #[test]
    fn nan_is_tested_first_where_it_can_arrive() {
        use MissingGoes::{Left, Right};
        let both = (true, true);
        assert_eq!(
            condition(SplitOp::Lt, Right, true, both),
            ("<", NanTest::NumberAnd)
        );
        assert_eq!(
            condition(SplitOp::Lt, Left, true, both),
            ("<", NanTest::MissingOr)
        );
        assert_eq!(
            condition(SplitOp::Le, Right, true, both),
            ("<=", NanTest::NumberAnd)
        );
        assert_eq!(
            condition(SplitOp::Le, Left, true, both),
            ("<=", NanTest::MissingOr)
        );
        // No NaN on the path (decided above, or refused): the comparison.
        assert_eq!(
            condition(SplitOp::Lt, Left, false, both),
            ("<", NanTest::None)
        );
        assert_eq!(
            condition(SplitOp::Le, Right, false, both),
            ("<=", NanTest::None)
        );
        // One side reached by NaN alone: the NaN test alone.
        assert_eq!(
            condition(SplitOp::Lt, Right, true, (true, false)),
            ("<", NanTest::NotNan)
        );
        assert_eq!(
            condition(SplitOp::Le, Left, true, (false, true)),
            ("<=", NanTest::IsNan)
        );
        assert_eq!(
            condition_text("<", NanTest::MissingOr, "in[3U]", "0.5f"),
            "timber_is_nan(in[3U]) || (in[3U] < 0.5f)"
        );
    }

    /// The condition sends every float, NaN included, where the reference
    /// evaluator's `goes_left` does, and evaluates the ordered comparison
    /// (which raises the invalid exception on NaN) only for numbers, as
    /// C's `&&` and `||` do: the right operand only when the left does not
    /// decide.
    #[test]
    fn condition_agrees_with_the_reference_and_never_orders_a_nan() {
        let t = 0.5f32;
        let xs = [
            f32::NAN,
            f32::NEG_INFINITY,
            -1.0,
            0.0,
            0.49999997,
            0.5,
            0.50000006,
            f32::INFINITY,
        ];
        for op in [SplitOp::Lt, SplitOp::Le] {
            for missing in [MissingGoes::Left, MissingGoes::Right] {
                let (c, test) = condition(op, missing, true, (true, true));
                for x in xs {
                    let ordered = |x: f32| {
                        assert!(!x.is_nan(), "{op:?} {missing:?}: ordered comparison of NaN");
                        match c {
                            "<" => x < t,
                            "<=" => x <= t,
                            _ => unreachable!(),
                        }
                    };
                    let left = match test {
                        NanTest::None => ordered(x),
                        NanTest::NumberAnd => !x.is_nan() && ordered(x),
                        NanTest::MissingOr => x.is_nan() || ordered(x),
                        NanTest::NotNan => !x.is_nan(),
                        NanTest::IsNan => x.is_nan(),
                    };
                    assert_eq!(
                        left,
                        crate::ir::eval::goes_left(x, t, op, missing),
                        "{op:?} {missing:?} x={x}"
                    );
                }
            }
        }
    }
}
