//! Turning a double-precision threshold into a float32 one.
//!
//! Frameworks that compare a float32 input widened to double against a
//! double threshold (LightGBM, scikit-learn) decide exactly like a float32
//! comparison against the largest float32 not above the threshold: for
//! float32 `x` and double `t`, `(double)x <= t` iff `x <= f` with `f` the
//! largest float32 `<= t`. If `x <= f` then `x <= f <= t`; if `x <= t` then
//! `x` is a float32 `<= t`, so `x <= f` since `f` is the largest one. NaN
//! fails both comparisons, so it is left to each split's missing rule.

/// The largest float32 `<= t` (rounding toward minus infinity). `t` must
/// not be NaN. `+inf` maps to `+inf`, `-inf` to `-inf`, and a finite `t`
/// above `f32::MAX` to `f32::MAX`.
pub fn floor_f32(t: f64) -> f32 {
    let f = t as f32;
    if f64::from(f) > t {
        next_down(f)
    } else {
        f
    }
}

/// The next float32 toward minus infinity (`-inf` and NaN unchanged).
pub fn next_down(f: f32) -> f32 {
    if f.is_nan() || f == f32::NEG_INFINITY {
        f
    } else if f == 0.0 {
        -f32::from_bits(1)
    } else if f > 0.0 {
        f32::from_bits(f.to_bits() - 1)
    } else {
        f32::from_bits(f.to_bits() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn floor_f32_edges() {
        assert_eq!(floor_f32(0.5), 0.5);
        assert_eq!(floor_f32(0.1), next_down(0.1f32));
        assert_eq!(floor_f32(-0.1), -0.1f32);
        assert_eq!(floor_f32(f64::INFINITY), f32::INFINITY);
        assert_eq!(floor_f32(f64::NEG_INFINITY), f32::NEG_INFINITY);
        assert_eq!(floor_f32(1e300), f32::MAX);
        assert_eq!(floor_f32(-1e300), f32::NEG_INFINITY);
        assert_eq!(floor_f32(1e-50), 0.0);
        assert_eq!(floor_f32(-1e-50), -f32::from_bits(1));
    }

    proptest! {
        /// For every float32 x and double t: (double)x <= t iff x <= floor_f32(t).
        #[test]
        fn floor_f32_gives_the_same_comparison(
            tbits in any::<u64>(),
            xbits in any::<u32>(),
            near in any::<bool>(),
            delta in -4i64..=4,
        ) {
            let t = f64::from_bits(tbits);
            prop_assume!(!t.is_nan());
            // Half the cases put x within a few ulps of t, where it matters.
            let x = if near {
                let base = t as f32;
                prop_assume!(base.is_finite());
                f32::from_bits((base.to_bits() as i64 + delta).clamp(0, u32::MAX as i64) as u32)
            } else {
                f32::from_bits(xbits)
            };
            prop_assume!(!x.is_nan());
            let f = floor_f32(t);
            prop_assert!(f64::from(f) <= t);
            prop_assert_eq!(f64::from(x) <= t, x <= f);
        }

    }
}
