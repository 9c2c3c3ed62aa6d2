//! scikit-learn's double-precision arithmetic that the lowering has to
//! repeat: numpy's summation order, and the loss links that turn the init
//! estimator's prediction into the raw baseline.

/// `np.add.reduce` over a contiguous float64 row: numpy's pairwise sum
/// (plain loop below 8 elements, eight accumulators up to 128, halving
/// above), added to the identity 0.
pub fn np_sum(a: &[f64]) -> f64 {
    0.0 + pairwise(a)
}

fn pairwise(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = -0.0;
        for v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &a[i..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// A tree leaf's class proportions as `predict_proba` computes them: the
/// stored values divided by their sum (a zero sum divides by one).
pub fn normalise(values: &[f64]) -> Vec<f64> {
    let mut s = np_sum(values);
    if s == 0.0 {
        s = 1.0;
    }
    values.iter().map(|v| v / s).collect()
}

/// `np.finfo(np.float32).eps`: how far gradient boosting clips the init
/// estimator's probabilities from 0 and 1.
const CLIP_EPS: f64 = f32::EPSILON as f64;

fn clip(p: f64) -> f64 {
    p.clamp(CLIP_EPS, 1.0 - CLIP_EPS)
}

/// `scipy.special.logit` (scipy >= 1.11): `log(p / (1 - p))`, with
/// `log1p(s) - log1p(-s)`, `s = 2 (p - 1/2)`, for p in [0.3, 0.65].
pub fn logit(p: f64) -> f64 {
    if !(0.3..=0.65).contains(&p) {
        (p / (1.0 - p)).ln()
    } else {
        let s = 2.0 * (p - 0.5);
        s.ln_1p() - (-s).ln_1p()
    }
}

/// Binary log-loss baseline from the positive class's prior.
pub fn binary_baseline(p1: f64) -> f64 {
    logit(clip(p1))
}

/// Multinomial baseline (`MultinomialLogit.link`): `log(p / gmean(p))`
/// with `gmean(p) = exp(mean(log p))`, probabilities clipped first.
pub fn multinomial_baseline(priors: &[f64]) -> Vec<f64> {
    let p: Vec<f64> = priors.iter().map(|&v| clip(v)).collect();
    let logs: Vec<f64> = p.iter().map(|v| v.ln()).collect();
    let gm = (np_sum(&logs) / p.len() as f64).exp();
    p.iter().map(|v| (v / gm).ln()).collect()
}

/// Binary baseline of scikit-learn 1.1 to 1.3 (`BinomialDeviance`):
/// `log(p / (1 - p))` of the clipped prior.
pub fn legacy_binary_baseline(p1: f64) -> f64 {
    let p = clip(p1);
    (p / (1.0 - p)).ln()
}

/// Multiclass baseline of scikit-learn 1.1 to 1.3 (`MultinomialDeviance`):
/// `log(p)` of the clipped priors.
pub fn legacy_multinomial_baseline(priors: &[f64]) -> Vec<f64> {
    priors.iter().map(|&v| clip(v).ln()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_sum_order() {
        assert_eq!(np_sum(&[]), 0.0);
        assert_eq!(np_sum(&[0.1, 0.2, 0.3]), (0.1 + 0.2) + 0.3);
        // 17 elements: eight accumulators over the first 16, then the rest.
        let a: Vec<f64> = (0..17).map(|i| 0.1 * f64::from(i) + 1e-3).collect();
        let r: Vec<f64> = (0..8).map(|j| a[j] + a[8 + j]).collect();
        let want = (((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))) + a[16];
        assert_eq!(np_sum(&a), want);
    }

    #[test]
    fn links() {
        assert_eq!(logit(0.5), 0.0);
        assert!((logit(0.9) - (9.0f64).ln()).abs() < 1e-15);
        assert!((binary_baseline(0.0) - logit(CLIP_EPS)).abs() < 1e-12);
        let b = multinomial_baseline(&[0.25, 0.25, 0.5]);
        assert!((np_sum(&b)).abs() < 1e-15);
        assert!((b[2] - b[0] - 2f64.ln()).abs() < 1e-15);
        assert_eq!(normalise(&[0.0, 0.0]), vec![0.0, 0.0]);
        assert_eq!(normalise(&[1.0, 3.0]), vec![0.25, 0.75]);
    }
}
