//! What the generator can prove about the argument of every `timber_exp`
//! call, so `model.c` carries only the exp paths this model can execute.
//!
//! Per output group the margin is the base score plus one leaf of every
//! tree of the group, summed in float32. Its range is bounded in f64 by
//! `base + sum of [min leaf, max leaf]`, widened by a rounding allowance
//! that covers the float32 summation error (`|fl(sum) - sum| <= n u sum|x|`
//! with u = 2^-24; we allow twice that, plus an absolute slack). The post
//! transform then maps margins to exp arguments: sigmoid exponentiates
//! `-margin`, exp the margin, softmax `margin - max`, which is `<= 0`.
//!
//! Every decision below compares such an over-approximation with the
//! point where a guard of [`crate::ir::mathfn::exp`] starts to fire, with
//! slack on the safe side, so a guard left out provably never fires: the
//! code emitted computes the same bits as the full function on every
//! argument the model can produce.

use crate::ir::mathfn::{self, ExpWidth};
use crate::ir::{Aggregation, Ensemble, Node, PostTransform};

/// Which paths of `timber_exp` (and `timber_pow2_int`), or of
/// `timber_exp64` at double width, the model needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ExpPaths {
    /// The argument may be NaN (only when a margin may overflow).
    pub nan: bool,
    /// `x > clamp_hi` may happen.
    pub clamp_hi: bool,
    /// `x < clamp_lo` may happen.
    pub clamp_lo: bool,
    /// `kf >= 0` may happen (x >= 0, -0 included).
    pub round_pos: bool,
    /// `kf < 0` may happen (x < 0).
    pub round_neg: bool,
    /// `k > scale_k` may happen.
    pub scale_hi: bool,
    /// `k < -scale_k` may happen.
    pub scale_lo: bool,
    /// `k > 0` may happen.
    pub pow2_pos: bool,
    /// `k < 0` may happen.
    pub pow2_neg: bool,
    /// Every k the function scales by (after the pre-scaling) lies in
    /// `k_min..=k_max`: the range of its exact 2^k table.
    pub k_min: i32,
    pub k_max: i32,
}

/// Where the guards of one exp width fire, in f64.
struct Guards {
    clamp_lo: f64,
    clamp_hi: f64,
    scale_k: i32,
    scale_bits: i32,
}

impl Guards {
    fn of<F: Copy + Into<f64>>(w: &ExpWidth<F>) -> Guards {
        Guards {
            clamp_lo: w.clamp_lo.into(),
            clamp_hi: w.clamp_hi.into(),
            scale_k: w.scale_k,
            scale_bits: w.scale_bits,
        }
    }

    /// The smallest k after the pre-scaling: round(clamp_lo * log2 e)
    /// brought back by scale_bits (-127 at float32, -1012 at double).
    fn k_min(&self) -> i32 {
        (self.clamp_lo * std::f64::consts::LOG2_E).round() as i32 + self.scale_bits
    }
}

impl ExpPaths {
    /// Every path (the full function) of the width `w`.
    pub fn all<F: Copy + Into<f64>>(w: &ExpWidth<F>) -> ExpPaths {
        let g = Guards::of(w);
        ExpPaths {
            nan: true,
            clamp_hi: true,
            clamp_lo: true,
            round_pos: true,
            round_neg: true,
            scale_hi: true,
            scale_lo: true,
            pow2_pos: true,
            pow2_neg: true,
            k_min: g.k_min(),
            k_max: g.scale_k,
        }
    }

    /// The paths an argument in `[lo, hi]` (f64, already an
    /// over-approximation of every argument) can take at width `w`.
    pub fn for_interval<F: Copy + Into<f64>>(w: &ExpWidth<F>, lo: f64, hi: f64) -> ExpPaths {
        let all = ExpPaths::all(w);
        if !(lo.is_finite() && hi.is_finite()) || lo > hi {
            return all;
        }
        let g = Guards::of(w);
        // Thresholds, with slack towards emitting the path: a clamp fires
        // past its bound (one unit of slack); k = round(x * log2 e) passes
        // scale_k only for x >= (scale_k + 0.5) ln 2 (83.5... at float32,
        // 693.4... at double); k != 0 needs |x| >= 0.3465... (|kf| >= 0.5);
        // kf >= 0 iff x >= 0 (x = -0 gives kf = -0, which is >= 0), kf < 0
        // iff x < 0.
        let scale_x = ((f64::from(g.scale_k) + 0.5) * std::f64::consts::LN_2).floor();
        // k = round(clamp(x) * log2 e), two units of slack each way.
        let log2e = std::f64::consts::LOG2_E;
        let lo_c = lo.clamp(g.clamp_lo, g.clamp_hi);
        let hi_c = hi.clamp(g.clamp_lo, g.clamp_hi);
        let k_lo = (lo_c * log2e).floor() as i32 - 2;
        let k_hi = (hi_c * log2e).ceil() as i32 + 2;
        // A raw k beyond +-scale_k is pre-scaled by scale_bits.
        let (sk, sb) = (g.scale_k, g.scale_bits);
        let mut parts = Vec::new();
        if k_hi > sk {
            parts.push((k_lo.max(sk + 1) - sb, k_hi - sb));
        }
        if k_lo < -sk {
            parts.push((k_lo + sb, k_hi.min(-sk - 1) + sb));
        }
        if k_lo <= sk && k_hi >= -sk {
            parts.push((k_lo.max(-sk), k_hi.min(sk)));
        }
        let k_min = parts
            .iter()
            .map(|p| p.0)
            .min()
            .unwrap_or(all.k_min)
            .max(all.k_min);
        let k_max = parts
            .iter()
            .map(|p| p.1)
            .max()
            .unwrap_or(all.k_max)
            .min(all.k_max);
        ExpPaths {
            k_min,
            k_max,
            nan: false,
            clamp_hi: hi > g.clamp_hi - 1.0,
            clamp_lo: lo < g.clamp_lo + 1.0,
            round_pos: hi >= 0.0,
            round_neg: lo < 0.0,
            scale_hi: hi > scale_x,
            scale_lo: lo < -scale_x,
            pow2_pos: hi > 0.34,
            pow2_neg: lo < -0.34,
        }
    }
}

/// The exp64 paths the model's post transform can take (double
/// accumulation; the float32 summation allowance of [`margin_intervals`]
/// is far wider than the double sum's rounding).
pub fn exp64_paths(ens: &Ensemble) -> ExpPaths {
    let w = &mathfn::EXP_F64;
    let Some(m) = margin_intervals(ens) else {
        return ExpPaths::all(w);
    };
    let lo = m.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let hi = m.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    match ens.post_transform {
        PostTransform::Exp => ExpPaths::for_interval(w, lo, hi),
        PostTransform::Sigmoid => ExpPaths::for_interval(w, -hi, -lo),
        PostTransform::Softmax => {
            let d = lo - hi;
            ExpPaths::for_interval(w, d - d.abs() * REL - 1.0e-30, 0.0)
        }
        _ => ExpPaths::all(w),
    }
}

/// Beyond this bound (f64) a float32 margin might overflow: prove nothing.
const FINITE_LIMIT: f64 = 1.0e37;

/// Relative rounding allowance per float32 operation (2u, u = 2^-24).
const REL: f64 = 1.0 / 8_388_608.0;

/// Per group: an interval containing every float32 margin the model can
/// produce, or None when a margin may not be finite.
pub fn margin_intervals(ens: &Ensemble) -> Option<Vec<(f64, f64)>> {
    let n = ens.n_groups as usize;
    let mut lo: Vec<f64> = ens.base_score.to_vec();
    let mut hi = lo.clone();
    let mut abs: Vec<f64> = lo.iter().map(|b| b.abs()).collect();
    let mut terms = vec![1.0f64; n];
    if lo.len() != n {
        return None;
    }
    for tree in &ens.trees {
        let width = tree
            .nodes
            .iter()
            .map(|node| match node {
                Node::Leaf(l) => l.values.len(),
                Node::Split(_) => 0,
            })
            .max()
            .unwrap_or(0);
        for i in 0..width {
            let g = tree.group as usize + i;
            if g >= n {
                return None;
            }
            let (mut tlo, mut thi) = (f64::INFINITY, f64::NEG_INFINITY);
            for node in &tree.nodes {
                if let Node::Leaf(l) = node {
                    // A leaf without value i adds nothing to group g.
                    let v = l.values.get(i).copied().unwrap_or(0.0);
                    if !v.is_finite() {
                        return None;
                    }
                    tlo = tlo.min(v);
                    thi = thi.max(v);
                }
            }
            lo[g] += tlo;
            hi[g] += thi;
            abs[g] += tlo.abs().max(thi.abs());
            terms[g] += 1.0;
        }
    }
    let mut out = Vec::with_capacity(n);
    for g in 0..n {
        // A bound that is NaN or too large proves nothing.
        if abs[g].is_nan() || abs[g] >= FINITE_LIMIT {
            return None;
        }
        let slack = abs[g] * (terms[g] + 2.0) * REL + 1.0e-30;
        out.push(match ens.aggregation {
            // The same terms in another order: the same bound.
            Aggregation::Sum | Aggregation::SumThenBase => (lo[g] - slack, hi[g] + slack),
            // base + sum / count: within base +- the sum of |leaves|.
            Aggregation::Average => {
                let b = ens.base_score[g];
                let r = abs[g] * (1.0 + (terms[g] + 4.0) * REL) + 1.0e-30;
                (b - r, b + r)
            }
        });
    }
    Some(out)
}

/// The exp paths the model's post transform can take.
pub fn exp_paths(ens: &Ensemble) -> ExpPaths {
    let w = &mathfn::EXP_F32;
    let Some(m) = margin_intervals(ens) else {
        return ExpPaths::all(w);
    };
    let lo = m.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let hi = m.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    match ens.post_transform {
        PostTransform::Exp => ExpPaths::for_interval(w, lo, hi),
        PostTransform::Sigmoid => ExpPaths::for_interval(w, -hi, -lo),
        // exp(-|m|): from minus the largest |m| up to minus the smallest.
        // The argument is never above -0, and at -0 both rounding paths
        // give k = 0 (`(int)(-0 - 0.5f)` is 0), so the upper end is kept
        // below 0: the non-negative rounding path is never needed.
        PostTransform::SymmetricSigmoid => {
            let far = lo.abs().max(hi.abs());
            let near = if lo <= 0.0 && hi >= 0.0 {
                0.0
            } else {
                lo.abs().min(hi.abs())
            };
            ExpPaths::for_interval(w, -far, (-near).min(-f64::MIN_POSITIVE))
        }
        // v[g] - max: never above +0 (v[g] == max gives +0), never below
        // the smallest margin minus the largest (plus rounding).
        PostTransform::Softmax | PostTransform::SoftmaxF32 => {
            let d = lo - hi;
            ExpPaths::for_interval(w, d - d.abs() * REL - 1.0e-30, 0.0)
        }
        _ => ExpPaths::all(w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// exp64's guards never fire outside the paths the interval keeps,
    /// and every pre-scaled k is in the table.
    #[test]
    fn exp64_thresholds_are_conservative() {
        let mut x = -800.0f64;
        while x <= 800.0 {
            let p = ExpPaths::for_interval(&mathfn::EXP_F64, x, x);
            let xc = x.clamp(mathfn::EXP64_CLAMP_LO, mathfn::EXP64_CLAMP_HI);
            let kf = xc * mathfn::LOG2E64;
            let k = if kf >= 0.0 {
                (kf + 0.5) as i32
            } else {
                (kf - 0.5) as i32
            };
            assert!(p.clamp_hi || x <= mathfn::EXP64_CLAMP_HI, "{x}");
            assert!(p.clamp_lo || x >= mathfn::EXP64_CLAMP_LO, "{x}");
            assert!(p.scale_hi || k <= mathfn::EXP64_SCALE_K, "{x}");
            assert!(p.scale_lo || k >= -mathfn::EXP64_SCALE_K, "{x}");
            assert!(p.round_pos || kf < 0.0, "{x}");
            assert!(p.round_neg || kf >= 0.0, "{x}");
            let ks = if k > mathfn::EXP64_SCALE_K {
                k - 64
            } else if k < -mathfn::EXP64_SCALE_K {
                k + 64
            } else {
                k
            };
            assert!((p.k_min..=p.k_max).contains(&ks), "{x}: {ks} {p:?}");
            let all = ExpPaths::all(&mathfn::EXP_F64);
            assert!((all.k_min..=all.k_max).contains(&ks), "{x}: {ks}");
            x += 0.0137;
        }
    }

    /// The full functions' 2^k tables: -127..=120 at float32 (2^-127 is
    /// subnormal but exact), -1012..=1000 at double.
    #[test]
    fn full_tables() {
        let f = ExpPaths::all(&mathfn::EXP_F32);
        assert_eq!((f.k_min, f.k_max), (-127, 120));
        let d = ExpPaths::all(&mathfn::EXP_F64);
        assert_eq!((d.k_min, d.k_max), (-1012, 1000));
    }

    #[test]
    fn all_paths_when_unbounded() {
        assert_eq!(
            ExpPaths::for_interval(&mathfn::EXP_F32, f64::NAN, 1.0),
            ExpPaths::all(&mathfn::EXP_F32)
        );
        assert_eq!(
            ExpPaths::for_interval(&mathfn::EXP_F32, f64::NEG_INFINITY, 1.0),
            ExpPaths::all(&mathfn::EXP_F32)
        );
    }

    /// Every threshold is on the safe side of where the guard really
    /// fires, checked against the float32 arithmetic of mathfn::exp.
    #[test]
    fn thresholds_are_conservative() {
        let k_of = |x: f32| {
            let xc = x.clamp(mathfn::EXP_CLAMP_LO, mathfn::EXP_CLAMP_HI);
            let kf = xc * mathfn::LOG2E;
            if kf >= 0.0 {
                (kf + 0.5) as i32
            } else {
                (kf - 0.5) as i32
            }
        };
        // A sweep over the float32s in [-400, 400], and intervals past
        // the clamps.
        for (lo, hi) in [(150.0, 1e30), (-1e30, -150.0), (-1e30, 1e30), (90.0, 95.0)] {
            let p = ExpPaths::for_interval(&mathfn::EXP_F32, lo, hi);
            assert!(p.k_min <= p.k_max, "{lo} {hi}: {p:?}");
        }
        let mut bits = 0u32;
        while bits <= 0x43C8_0000 {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                let p = ExpPaths::for_interval(&mathfn::EXP_F32, f64::from(x), f64::from(x));
                assert!(p.k_min <= p.k_max, "{x}: {p:?}");
                let k = k_of(x);
                assert!(p.clamp_hi || x <= mathfn::EXP_CLAMP_HI, "{x}");
                assert!(p.clamp_lo || x >= mathfn::EXP_CLAMP_LO, "{x}");
                assert!(p.scale_hi || k <= 120, "{x}");
                assert!(p.scale_lo || k >= -120, "{x}");
                assert!(p.pow2_pos || k <= 0, "{x}");
                let k_scaled = if k > 120 {
                    k - 32
                } else if k < -120 {
                    k + 32
                } else {
                    k
                };
                assert!((p.k_min..=p.k_max).contains(&k_scaled), "{x}: {k_scaled}");
                let all = ExpPaths::all(&mathfn::EXP_F32);
                assert!((all.k_min..=all.k_max).contains(&k_scaled));
                assert!(p.pow2_neg || k >= 0, "{x}");
                let kf = x.clamp(mathfn::EXP_CLAMP_LO, mathfn::EXP_CLAMP_HI) * mathfn::LOG2E;
                assert!(p.round_pos || kf < 0.0, "{x}");
                assert!(p.round_neg || kf >= 0.0, "{x}");
            }
            bits += 4099;
        }
    }
}
