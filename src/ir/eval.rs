//! The reference evaluator: the IR computed in Rust with exactly the
//! arithmetic of the generated C. Its output bits are the oracle every
//! target (host, QEMU, WASM) is compared against.
//!
//! It assumes a validated ensemble (see [`super::validate`]); walks are
//! iterative and bounded by [`super::MAX_DEPTH`], so even an unvalidated
//! cycle cannot hang it.

use super::mathfn;
use super::{Accumulator, Aggregation, Ensemble, MissingGoes, Node, PostTransform, SplitOp, Tree};

/// For each tree, the index (in `Tree::nodes`) of the leaf a row reached.
pub type Decisions = Vec<u32>;

/// Does `x` go to the left (true) child of a split?
#[inline]
pub fn goes_left(x: f32, threshold: f32, op: SplitOp, missing: MissingGoes) -> bool {
    if x.is_nan() {
        missing == MissingGoes::Left
    } else {
        match op {
            SplitOp::Lt => x < threshold,
            SplitOp::Le => x <= threshold,
        }
    }
}

/// The leaf index a row reaches in one tree.
pub fn leaf_index(tree: &Tree, row: &[f32]) -> u32 {
    let mut idx = 0u32;
    let mut steps = 0usize;
    while steps <= super::MAX_DEPTH {
        match &tree.nodes[idx as usize] {
            Node::Leaf(_) => break,
            Node::Split(s) => {
                let x = row[s.feature as usize];
                idx = if goes_left(x, s.threshold, s.op, s.missing) {
                    s.left
                } else {
                    s.right
                };
            }
        }
        steps += 1;
    }
    idx
}

/// The leaves every tree reaches for one row.
pub fn decisions(ens: &Ensemble, row: &[f32]) -> Decisions {
    ens.trees.iter().map(|t| leaf_index(t, row)).collect()
}

/// Evaluate one row; returns `n_outputs` values.
///
/// # Panics
/// If `row` is shorter than `n_features` (a caller bug, not user input:
/// every user-facing path checks the row length first).
pub fn evaluate(ens: &Ensemble, row: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0f32; ens.n_outputs() as usize];
    let mut margins = vec![0.0f32; ens.n_groups as usize];
    evaluate_into(ens, row, &mut margins, &mut out);
    out
}

/// Evaluate one row into caller-provided buffers (`margins` has `n_groups`
/// elements, `out` has `n_outputs`). Under [`Accumulator::F64`] the
/// margins written are the double margins rounded to `f32` (for display;
/// the outputs are computed from the double margins).
pub fn evaluate_into(ens: &Ensemble, row: &[f32], margins: &mut [f32], out: &mut [f32]) {
    assert!(row.len() >= ens.n_features as usize, "row too short");
    match ens.accumulator {
        Accumulator::F32 => evaluate_f32(ens, row, margins, out),
        Accumulator::F64 => evaluate_f64(ens, row, margins, out),
    }
}

/// Float32 accumulation: every leaf and base value is exactly a float32
/// (validated), so narrowing them loses nothing.
fn evaluate_f32(ens: &Ensemble, row: &[f32], margins: &mut [f32], out: &mut [f32]) {
    let n_groups = ens.n_groups as usize;
    let base: Vec<f32> = ens.base_score.iter().map(|b| *b as f32).collect();
    let mut sums = vec![0.0f32; n_groups];
    let mut counts = vec![0u32; n_groups];
    match ens.aggregation {
        Aggregation::Sum => sums.copy_from_slice(&base),
        Aggregation::Average | Aggregation::SumThenBase => {}
    }
    for tree in &ens.trees {
        let leaf = leaf_index(tree, row);
        if let Node::Leaf(l) = &tree.nodes[leaf as usize] {
            for (i, v) in l.values.iter().enumerate() {
                let g = tree.group as usize + i;
                sums[g] += *v as f32;
                counts[g] += 1;
            }
        }
    }
    for g in 0..n_groups {
        margins[g] = match ens.aggregation {
            Aggregation::Sum => sums[g],
            Aggregation::Average => {
                let n = if counts[g] == 0 { 1 } else { counts[g] };
                base[g] + sums[g] / (n as f32)
            }
            Aggregation::SumThenBase => sums[g] + base[g],
        };
    }
    apply_post_transform(ens.post_transform, margins, out);
}

/// Double accumulation: the same order of additions as [`evaluate_f32`],
/// in `f64`, then [`apply_post_transform64`] and one rounding per output.
fn evaluate_f64(ens: &Ensemble, row: &[f32], margins: &mut [f32], out: &mut [f32]) {
    let n_groups = ens.n_groups as usize;
    let mut sums = vec![0.0f64; n_groups];
    let mut counts = vec![0u32; n_groups];
    match ens.aggregation {
        Aggregation::Sum => sums.copy_from_slice(&ens.base_score),
        Aggregation::Average | Aggregation::SumThenBase => {}
    }
    for tree in &ens.trees {
        let leaf = leaf_index(tree, row);
        if let Node::Leaf(l) = &tree.nodes[leaf as usize] {
            for (i, v) in l.values.iter().enumerate() {
                let g = tree.group as usize + i;
                sums[g] += *v;
                counts[g] += 1;
            }
        }
    }
    let mut margins64 = vec![0.0f64; n_groups];
    for g in 0..n_groups {
        margins64[g] = match ens.aggregation {
            Aggregation::Sum => sums[g],
            Aggregation::Average => {
                let n = if counts[g] == 0 { 1 } else { counts[g] };
                ens.base_score[g] + sums[g] / f64::from(n)
            }
            Aggregation::SumThenBase => sums[g] + ens.base_score[g],
        };
        margins[g] = margins64[g] as f32;
    }
    apply_post_transform64(ens.post_transform, &margins64, out);
}

/// A post transform in double, each output rounded to `f32` once.
pub fn apply_post_transform64(pt: PostTransform, margins: &[f64], out: &mut [f32]) {
    match pt {
        PostTransform::Identity => {
            for (o, m) in out.iter_mut().zip(margins) {
                *o = *m as f32;
            }
        }
        PostTransform::Sigmoid => {
            for (o, m) in out.iter_mut().zip(margins) {
                *o = mathfn::sigmoid64(*m) as f32;
            }
        }
        PostTransform::Exp => {
            for (o, m) in out.iter_mut().zip(margins) {
                *o = mathfn::exp64(*m) as f32;
            }
        }
        PostTransform::Hinge => {
            for (o, m) in out.iter_mut().zip(margins) {
                *o = if *m > 0.0 { 1.0 } else { 0.0 };
            }
        }
        PostTransform::Softmax => {
            let mut v = margins.to_vec();
            mathfn::softmax64(&mut v);
            for (o, m) in out.iter_mut().zip(&v) {
                *o = *m as f32;
            }
        }
        PostTransform::ArgMax => {
            out[0] = argmax64(margins) as f32;
        }
        // Defined on float32 margins (validation refuses them after a
        // double accumulator); round once, then the float32 arithmetic.
        PostTransform::SymmetricSigmoid | PostTransform::SoftmaxF32 => {
            let m32: Vec<f32> = margins.iter().map(|m| *m as f32).collect();
            apply_post_transform(pt, &m32, out);
        }
    }
}

/// Index of the first largest double (ties keep the earlier index).
fn argmax64(v: &[f64]) -> usize {
    let mut best = 0usize;
    for (i, &m) in v.iter().enumerate() {
        if m > v[best] {
            best = i;
        }
    }
    best
}

/// Apply a post transform to margins, writing the outputs.
pub fn apply_post_transform(pt: PostTransform, margins: &[f32], out: &mut [f32]) {
    match pt {
        PostTransform::Identity => out.copy_from_slice(margins),
        PostTransform::Sigmoid => {
            for (o, m) in out.iter_mut().zip(margins) {
                *o = mathfn::sigmoid(*m);
            }
        }
        PostTransform::Exp => {
            for (o, m) in out.iter_mut().zip(margins) {
                *o = mathfn::exp(*m);
            }
        }
        PostTransform::Hinge => {
            for (o, m) in out.iter_mut().zip(margins) {
                *o = if *m > 0.0 { 1.0 } else { 0.0 };
            }
        }
        PostTransform::Softmax => {
            out.copy_from_slice(margins);
            mathfn::softmax(out);
        }
        PostTransform::ArgMax => {
            out[0] = mathfn::argmax(margins) as f32;
        }
        PostTransform::SymmetricSigmoid => {
            for (o, m) in out.iter_mut().zip(margins) {
                *o = mathfn::symmetric_sigmoid(*m);
            }
        }
        PostTransform::SoftmaxF32 => {
            out.copy_from_slice(margins);
            mathfn::softmax_f32(out);
        }
    }
}
