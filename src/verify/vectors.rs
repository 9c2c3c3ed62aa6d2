//! Test vectors derived from the IR: split boundaries, special values,
//! rows steering into every reachable leaf, and seeded random rows; plus
//! the leaf and branch coverage a set of rows achieves.

use crate::ir::eval::{goes_left, leaf_index};
use crate::ir::{Ensemble, MissingGoes, Node, SplitOp};
use serde::Serialize;

/// How to generate vectors.
#[derive(Debug, Clone)]
pub struct VectorOptions {
    /// Seed of the random rows (same seed, same rows).
    pub seed: u64,
    /// Number of random rows.
    pub random_rows: usize,
}

impl Default for VectorOptions {
    fn default() -> Self {
        VectorOptions {
            seed: 0x7469_6d62_6572,
            random_rows: 256,
        }
    }
}

/// Generated vectors and where they came from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VectorSet {
    pub rows: Vec<Vec<f32>>,
    /// Rows at split thresholds and their neighbouring floats.
    pub boundary_rows: usize,
    /// Rows with NaN or an infinity in one feature.
    pub special_rows: usize,
    /// Rows built to reach one particular leaf.
    pub leaf_rows: usize,
    /// Leaves no row can reach (contradictory path constraints).
    pub unreachable_leaves: usize,
    /// Rows that bring a missing (NaN) value to a split no earlier row
    /// brings one to (see `missing_value_rows`): the generated code tests
    /// for NaN there first, and both outcomes of that test are to be
    /// exercised (branch coverage and MC/DC of the C).
    pub missing_rows: usize,
    /// Rows that take the longest path of one tree (when no earlier row
    /// does) or the longest paths of several trees at once.
    pub longest_rows: usize,
    pub random_rows: usize,
}

/// Leaf and branch coverage achieved by a set of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Coverage {
    pub rows: usize,
    pub leaves_total: usize,
    pub leaves_hit: usize,
    /// Two per split: the true (left) and the false (right) side.
    pub branches_total: usize,
    pub branches_hit: usize,
}

impl Coverage {
    pub fn leaf_percent(&self) -> f64 {
        percent(self.leaves_hit, self.leaves_total)
    }
    pub fn branch_percent(&self) -> f64 {
        percent(self.branches_hit, self.branches_total)
    }
}

fn percent(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

/// The next float32 above `x` (finite x; +inf stays).
pub fn next_up(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f32::from_bits(1);
    }
    let b = x.to_bits();
    if x > 0.0 {
        f32::from_bits(b + 1)
    } else {
        f32::from_bits(b - 1)
    }
}

/// The next float32 below `x`.
pub fn next_down(x: f32) -> f32 {
    -next_up(-x)
}

/// Generate vectors for an ensemble.
pub fn generate(ens: &Ensemble, opts: &VectorOptions) -> VectorSet {
    let nf = ens.n_features as usize;
    let base = base_row(ens);
    let mut set = VectorSet::default();
    let mut rows: Vec<Vec<f32>> = vec![base.clone()];

    // Thresholds per feature, deduplicated by bits, in a stable order.
    let mut thresholds: Vec<Vec<f32>> = vec![Vec::new(); nf];
    for tree in &ens.trees {
        for node in &tree.nodes {
            if let Node::Split(s) = node {
                let f = s.feature as usize;
                if f < nf
                    && !thresholds[f]
                        .iter()
                        .any(|t| t.to_bits() == s.threshold.to_bits())
                {
                    thresholds[f].push(s.threshold);
                }
            }
        }
    }
    for (f, ts) in thresholds.iter().enumerate() {
        for &t in ts {
            for v in [t, next_down(t), next_up(t)] {
                let mut r = base.clone();
                r[f] = v;
                rows.push(r);
                set.boundary_rows += 1;
            }
        }
    }
    for f in 0..nf {
        for v in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut r = base.clone();
            r[f] = v;
            rows.push(r);
            set.special_rows += 1;
        }
    }
    // One row per leaf, unless an earlier row already reaches it.
    for (ti, tree) in ens.trees.iter().enumerate() {
        let mut reached = vec![false; tree.nodes.len()];
        for x in &rows {
            reached[leaf_index(tree, x) as usize] = true;
        }
        for (li, node) in tree.nodes.iter().enumerate() {
            if !matches!(node, Node::Leaf(_)) {
                continue;
            }
            match row_for_leaf(ens, ti, li as u32, &base) {
                Some(r) => {
                    if !reached[li] {
                        reached[li] = true;
                        rows.push(r);
                        set.leaf_rows += 1;
                    }
                }
                None => set.unreachable_leaves += 1,
            }
        }
    }
    let missing = missing_value_rows(ens, &base, &rows);
    set.missing_rows = missing.len();
    rows.extend(missing);
    let longest = longest_path_rows(ens, &base, &rows);
    set.longest_rows = longest.len();
    rows.extend(longest);
    let mut rng = SplitMix64(opts.seed);
    for _ in 0..opts.random_rows {
        let mut r = Vec::with_capacity(nf);
        for ts in &thresholds {
            r.push(random_value(&mut rng, ts));
        }
        rows.push(r);
        set.random_rows += 1;
    }
    set.rows = rows;
    set
}

/// A base row: each feature's median threshold (0 for unused features),
/// so single-feature edits land near the interesting region.
fn base_row(ens: &Ensemble) -> Vec<f32> {
    let nf = ens.n_features as usize;
    let mut per: Vec<Vec<f32>> = vec![Vec::new(); nf];
    for tree in &ens.trees {
        for node in &tree.nodes {
            if let Node::Split(s) = node {
                if (s.feature as usize) < nf && s.threshold.is_finite() {
                    per[s.feature as usize].push(s.threshold);
                }
            }
        }
    }
    per.into_iter()
        .map(|mut v| {
            if v.is_empty() {
                0.0
            } else {
                v.sort_by(f32::total_cmp);
                v[v.len() / 2]
            }
        })
        .collect()
}

/// Per-feature constraint collected along a path.
#[derive(Clone, Copy)]
struct Interval {
    lo: f32,
    hi: f32,
    /// Every decision on this feature so far takes the missing direction.
    nan_ok: bool,
}

impl Interval {
    const ANY: Interval = Interval {
        lo: f32::NEG_INFINITY,
        hi: f32::INFINITY,
        nan_ok: true,
    };

    fn meet(self, o: Interval) -> Interval {
        Interval {
            lo: self.lo.max(o.lo),
            hi: self.hi.min(o.hi),
            nan_ok: self.nan_ok && o.nan_ok,
        }
    }
}

/// Construct a row that reaches leaf `leaf` of tree `ti`, or None when the
/// path's constraints contradict each other.
pub fn row_for_leaf(ens: &Ensemble, ti: usize, leaf: u32, base: &[f32]) -> Option<Vec<f32>> {
    let tree = ens.trees.get(ti)?;
    let cons = path_constraints(ens, ti, leaf)?;
    let row = materialise(&cons, base)?;
    (leaf_index(tree, &row) == leaf).then_some(row)
}

/// Per-feature constraints of the path from the root of tree `ti` to node
/// `leaf` (None for features the path does not test).
fn path_constraints(ens: &Ensemble, ti: usize, leaf: u32) -> Option<Vec<Option<Interval>>> {
    let tree = ens.trees.get(ti)?;
    // Parent links: (parent, went_left).
    let mut parent: Vec<Option<(u32, bool)>> = vec![None; tree.nodes.len()];
    for (i, node) in tree.nodes.iter().enumerate() {
        if let Node::Split(s) = node {
            if let Some(p) = parent.get_mut(s.left as usize) {
                *p = Some((i as u32, true));
            }
            if let Some(p) = parent.get_mut(s.right as usize) {
                *p = Some((i as u32, false));
            }
        }
    }
    let nf = ens.n_features as usize;
    let mut iv = vec![Interval::ANY; nf];
    let mut constrained = vec![false; nf];
    let mut cur = leaf;
    let mut steps = 0usize;
    while let Some((p, left)) = parent.get(cur as usize).copied().flatten() {
        steps += 1;
        if steps > crate::ir::MAX_DEPTH + 1 {
            return None;
        }
        if let Node::Split(s) = &tree.nodes[p as usize] {
            let f = s.feature as usize;
            if f >= nf {
                return None;
            }
            constrained[f] = true;
            let i = &mut iv[f];
            let t = s.threshold;
            match (s.op, left) {
                (SplitOp::Lt, true) => i.hi = i.hi.min(next_down(t)),
                (SplitOp::Lt, false) => i.lo = i.lo.max(t),
                (SplitOp::Le, true) => i.hi = i.hi.min(t),
                (SplitOp::Le, false) => i.lo = i.lo.max(next_up(t)),
            }
            let missing_left = s.missing == MissingGoes::Left;
            if missing_left != left {
                i.nan_ok = false;
            }
        }
        cur = p;
    }
    Some(
        iv.into_iter()
            .zip(constrained)
            .map(|(i, c)| c.then_some(i))
            .collect(),
    )
}

/// A row inside the constraints: the base value where it fits, else a
/// value of the interval, else NaN where every decision lets it through.
fn materialise(cons: &[Option<Interval>], base: &[f32]) -> Option<Vec<f32>> {
    let mut row = base.to_vec();
    for (f, c) in cons.iter().enumerate() {
        let Some(i) = *c else { continue };
        row[f] = if i.lo <= i.hi {
            let b = base[f];
            if b >= i.lo && b <= i.hi {
                b
            } else if i.lo == f32::NEG_INFINITY {
                i.hi
            } else if i.hi == f32::INFINITY {
                i.lo
            } else {
                let mid = i.lo / 2.0 + i.hi / 2.0;
                mid.clamp(i.lo, i.hi)
            }
        } else if i.nan_ok {
            f32::NAN
        } else {
            return None;
        };
    }
    Some(row)
}

/// Does `row` carry a NaN in feature `f` and, in every other feature the
/// constraints name, a value that follows the path (a number inside them,
/// or NaN where no number can and every decision lets NaN through)?
fn carries_nan_to(row: &[f32], f: usize, cons: &[Option<Interval>]) -> bool {
    row[f].is_nan()
        && cons.iter().enumerate().all(|(g, c)| match c {
            Some(i) if g != f && i.lo <= i.hi => row[g] >= i.lo && row[g] <= i.hi,
            Some(i) if g != f => i.nan_ok && row[g].is_nan(),
            _ => true,
        })
}

/// For every split, a row with NaN in the split's feature and, in every
/// other feature its path tests, a number that follows the path, unless an
/// earlier row is such a row: wherever a NaN can reach the split, it then
/// does, and the generated code's NaN test there is exercised both ways.
/// The rows depend on the thresholds and operators only, not on the
/// missing directions (except where a path's other feature can only be NaN),
/// so a frontend that misreads a direction still derives the same vectors
/// (and the framework oracle made on them still applies).
fn missing_value_rows(ens: &Ensemble, base: &[f32], existing: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let mut out: Vec<Vec<f32>> = Vec::new();
    for (ti, tree) in ens.trees.iter().enumerate() {
        for (ni, node) in tree.nodes.iter().enumerate() {
            let Node::Split(s) = node else { continue };
            let f = s.feature as usize;
            let Some(mut cons) = path_constraints(ens, ti, ni as u32) else {
                continue;
            };
            if f >= cons.len() {
                continue;
            }
            cons[f] = None;
            if existing
                .iter()
                .chain(out.iter())
                .any(|r| carries_nan_to(r, f, &cons))
            {
                continue;
            }
            let Some(mut row) = materialise(&cons, base) else {
                continue;
            };
            row[f] = f32::NAN;
            out.push(row);
        }
    }
    out
}

/// Depth (number of splits above it) of every node of a tree.
fn depths(tree: &crate::ir::Tree) -> Vec<usize> {
    let mut d = vec![0usize; tree.nodes.len()];
    // Children always come after their parent is reached from the root:
    // walk from the root with an explicit stack.
    let mut stack = vec![0usize];
    let mut seen = 0usize;
    while let Some(i) = stack.pop() {
        seen += 1;
        if seen > tree.nodes.len() {
            break; // not a tree; validation refuses such models
        }
        if let Some(Node::Split(s)) = tree.nodes.get(i) {
            for c in [s.left as usize, s.right as usize] {
                if c < d.len() {
                    d[c] = d[i] + 1;
                    stack.push(c);
                }
            }
        }
    }
    d
}

/// Most rows that combine the longest paths of several trees.
const MAX_COMBINED_ROWS: usize = 64;

/// Rows for the longest paths: per tree, a row reaching its deepest
/// reachable leaf (unless one of `existing` already does); then rows that
/// take the deepest leaves of as many trees at once as the features allow
/// (greedy, in tree order, each tree added only when the row still reaches
/// every leaf chosen so far), until every tree's deepest leaf is in one.
fn longest_path_rows(ens: &Ensemble, base: &[f32], existing: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let mut targets: Vec<(usize, u32, Vec<Option<Interval>>)> = Vec::new();
    let mut out = Vec::new();
    for (ti, tree) in ens.trees.iter().enumerate() {
        let d = depths(tree);
        let mut leaves: Vec<usize> = (0..tree.nodes.len())
            .filter(|&i| matches!(tree.nodes[i], Node::Leaf(_)))
            .collect();
        leaves.sort_by(|a, b| d[*b].cmp(&d[*a]).then(a.cmp(b)));
        let Some((leaf, row)) = leaves
            .iter()
            .find_map(|&l| row_for_leaf(ens, ti, l as u32, base).map(|r| (l as u32, r)))
        else {
            continue;
        };
        if d[leaf as usize] == 0 {
            continue; // a single-leaf tree has no path to lengthen
        }
        if !existing.iter().any(|x| leaf_index(tree, x) == leaf) {
            out.push(row);
        }
        if let Some(c) = path_constraints(ens, ti, leaf) {
            targets.push((ti, leaf, c));
        }
    }
    let mut left: Vec<usize> = (0..targets.len()).collect();
    let mut combined = 0usize;
    while left.len() > 1 && combined < MAX_COMBINED_ROWS {
        let mut cons: Vec<Option<Interval>> = vec![None; base.len()];
        let mut chosen: Vec<usize> = Vec::new();
        let mut row = base.to_vec();
        for &k in &left {
            let (_, _, c) = &targets[k];
            let trial: Vec<Option<Interval>> = cons
                .iter()
                .zip(c)
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => Some(a.meet(*b)),
                    (a, b) => a.or(*b),
                })
                .collect();
            let Some(r) = materialise(&trial, base) else {
                continue;
            };
            let all_reached = chosen.iter().chain(std::iter::once(&k)).all(|&j| {
                let (ti, leaf, _) = &targets[j];
                leaf_index(&ens.trees[*ti], &r) == *leaf
            });
            if all_reached {
                cons = trial;
                chosen.push(k);
                row = r;
            }
        }
        if chosen.len() < 2 {
            break; // nothing combines any more: the per-tree rows cover the rest
        }
        left.retain(|k| !chosen.contains(k));
        out.push(row);
        combined += 1;
    }
    out
}

/// Leaf and branch coverage of `rows` (leaves via the reference
/// evaluator's `leaf_index`, branches by walking each path).
pub fn coverage(ens: &Ensemble, rows: &[Vec<f32>]) -> Coverage {
    let mut cov = Coverage {
        rows: rows.len(),
        ..Coverage::default()
    };
    for tree in &ens.trees {
        let n = tree.nodes.len();
        let mut leaf_hit = vec![false; n];
        let mut left_hit = vec![false; n];
        let mut right_hit = vec![false; n];
        for row in rows {
            if row.len() < ens.n_features as usize {
                continue;
            }
            leaf_hit[leaf_index(tree, row) as usize] = true;
            let mut idx = 0usize;
            let mut steps = 0usize;
            while let Some(Node::Split(s)) = tree.nodes.get(idx) {
                if steps > crate::ir::MAX_DEPTH {
                    break;
                }
                steps += 1;
                if goes_left(row[s.feature as usize], s.threshold, s.op, s.missing) {
                    left_hit[idx] = true;
                    idx = s.left as usize;
                } else {
                    right_hit[idx] = true;
                    idx = s.right as usize;
                }
            }
        }
        for (i, node) in tree.nodes.iter().enumerate() {
            match node {
                Node::Leaf(_) => {
                    cov.leaves_total += 1;
                    cov.leaves_hit += usize::from(leaf_hit[i]);
                }
                Node::Split(_) => {
                    cov.branches_total += 2;
                    cov.branches_hit += usize::from(left_hit[i]) + usize::from(right_hit[i]);
                }
            }
        }
    }
    cov
}

/// A small, fixed PRNG (SplitMix64) so vectors need no external crate and
/// stay identical across platforms and versions.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        ((self.next() >> 40) as f32) / ((1u64 << 24) as f32)
    }
}

fn random_value(rng: &mut SplitMix64, thresholds: &[f32]) -> f32 {
    let pick = rng.next() % 16;
    if pick == 0 {
        return f32::NAN;
    }
    if thresholds.is_empty() {
        return rng.unit() * 200.0 - 100.0;
    }
    let t = thresholds[(rng.next() % thresholds.len() as u64) as usize];
    match pick {
        1 => t,
        2 => next_down(t),
        3 => next_up(t),
        _ => {
            let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
            for &x in thresholds {
                lo = lo.min(x);
                hi = hi.max(x);
            }
            let span = (hi - lo).max(1.0);
            let v = (lo - span * 0.25) + rng.unit() * (span * 1.5);
            if v.is_finite() {
                v
            } else {
                t
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_step_one_ulp() {
        assert_eq!(next_up(1.0).to_bits(), 1.0f32.to_bits() + 1);
        assert_eq!(next_down(1.0).to_bits(), 1.0f32.to_bits() - 1);
        assert_eq!(next_up(0.0), f32::from_bits(1));
        assert_eq!(next_down(0.0), -f32::from_bits(1));
        assert_eq!(next_up(-f32::from_bits(1)), -0.0);
        assert_eq!(next_up(f32::MAX), f32::INFINITY);
    }

    #[test]
    fn every_tree_runs_its_longest_path_and_rows_combine_several() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/xgboost/binary_nan.json");
        let ens = crate::frontend::load_model(&path, crate::frontend::FormatChoice::Auto)
            .expect("fixture loads");
        let set = generate(&ens, &VectorOptions::default());
        assert!(set.longest_rows >= 1);
        let base = base_row(&ens);
        let mut best_combined = 0usize;
        let mut deepest: Vec<Option<u32>> = Vec::new();
        for (ti, tree) in ens.trees.iter().enumerate() {
            let d = depths(tree);
            // The deepest leaf any row can reach, found independently.
            let reachable = (0..tree.nodes.len())
                .filter(|&i| matches!(tree.nodes[i], Node::Leaf(_)))
                .filter(|&i| row_for_leaf(&ens, ti, i as u32, &base).is_some())
                .map(|i| d[i])
                .max()
                .expect("a reachable leaf");
            let reached = set
                .rows
                .iter()
                .map(|r| d[leaf_index(tree, r) as usize])
                .max()
                .expect("rows");
            assert_eq!(reached, reachable, "tree {ti}");
            deepest.push(Some(reachable as u32));
        }
        // The longest-path rows sit between the leaf rows and the random rows.
        let start = set.boundary_rows + set.special_rows + set.leaf_rows + 1;
        for r in &set.rows[start..start + set.longest_rows] {
            let n = ens
                .trees
                .iter()
                .zip(&deepest)
                .filter(|(t, d)| Some(depths(t)[leaf_index(t, r) as usize] as u32) == **d)
                .count();
            best_combined = best_combined.max(n);
        }
        assert!(best_combined >= 2, "{best_combined}");
    }
}
