//! Deterministic float32 elementary functions shared, operation for
//! operation, with the generated C (`templates/c99/model.c.j2`).
//!
//! Why not libm: `expf` differs between glibc, newlib and picolibc, and glibc
//! even picks a different implementation by CPU, so its bits are not a
//! reference. These functions use only IEEE-754 `+ - * /`, comparisons and
//! float<->int conversions of in-range values, in a fixed order, so every
//! conforming platform (and Rust, which never fuses `a*b+c` on its own)
//! computes the same bits.
//!
//! exp: Cody-Waite range reduction `x = k*ln2 + r` with a two-part ln2 whose
//! high part has trailing zero bits (so `k*LN2_HI` and `x - k*LN2_HI` are
//! exact), a degree-7 Taylor polynomial on |r| <= ln2/2 evaluated as
//! `1 + (r + r^2 * q(r))` so the largest rounding happens last, and scaling
//! by 2^k built from exact power-of-two products (no type punning, which
//! MISRA C restricts). Measured exhaustively against a correctly rounded exp
//! over all 2,239,849,421 float32 inputs with a finite non-zero result: max
//! error 1 ulp, 0.81 % not correctly rounded (`exp_error_exhaustive`, an
//! ignored test run on demand).

/// log2(e) rounded to float32.
pub const LOG2E: f32 = std::f32::consts::LOG2_E;
/// High part of ln 2: 0x3F317200, 15 significant bits, so `k * LN2_HI` is
/// exact for |k| < 512.
pub const LN2_HI: f32 = f32::from_bits(0x3F31_7200);
/// ln 2 - LN2_HI rounded to float32 (0x35BFBE8E).
pub const LN2_LO: f32 = f32::from_bits(0x35BF_BE8E);
/// Inputs above this give +inf (exp overflows for x > ln(FLT_MAX)); the
/// clamp keeps the integer conversion in range.
pub const EXP_CLAMP_HI: f32 = 100.0;
/// Inputs below this give +0 (exp(x) < 2^-150 rounds to zero).
pub const EXP_CLAMP_LO: f32 = -110.0;
/// 1/k! for k = 2..7, rounded to float32.
pub const EXP_C: [f32; 6] = [
    0.5,
    0.166_666_67,
    0.041_666_668,
    0.008_333_334,
    0.001_388_888_9,
    0.000_198_412_7,
];
/// 2^(2^i) for i = 0..6, and their reciprocals: exact powers of two.
pub const POW2_UP: [f32; 7] = [
    2.0,
    4.0,
    16.0,
    256.0,
    65_536.0,
    4_294_967_296.0,
    18_446_744_073_709_551_616.0,
];
pub const POW2_DOWN: [f32; 7] = [
    0.5,
    0.25,
    0.062_5,
    0.003_906_25,
    1.525_878_9e-5,
    2.328_306_4e-10,
    f32::from_bits(0x1F80_0000),
];
/// 2^32 and 2^-32, the pre-scale that keeps 2^k representable.
pub const TWO_P32: f32 = 4_294_967_296.0;
pub const TWO_M32: f32 = 2.328_306_4e-10;

/// 2^|k| or 2^-|k| for |k| < 128, exactly, as a product of powers of two.
fn pow2_int(k: i32) -> f32 {
    let negative = k < 0;
    let mut mag = k.unsigned_abs();
    let mut scale = 1.0_f32;
    let mut bit = 0usize;
    while bit < 7 {
        if (mag & 1) != 0 {
            scale *= if negative {
                POW2_DOWN[bit]
            } else {
                POW2_UP[bit]
            };
        }
        mag >>= 1;
        bit += 1;
    }
    scale
}

/// exp(x) in float32, bit-identical to `timber_exp` in the generated C.
pub fn exp(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    // NaN returned above, so clamp's NaN behaviour never matters; the C
    // writes the same clamp as two comparisons.
    let xc = x.clamp(EXP_CLAMP_LO, EXP_CLAMP_HI);
    let kf = xc * LOG2E;
    // Round half away from zero; truncation of an in-range value is exact.
    let mut k = if kf >= 0.0 {
        (kf + 0.5) as i32
    } else {
        (kf - 0.5) as i32
    };
    let kk = k as f32;
    let hi = xc - kk * LN2_HI;
    let r = hi - kk * LN2_LO;
    let q =
        EXP_C[0] + r * (EXP_C[1] + r * (EXP_C[2] + r * (EXP_C[3] + r * (EXP_C[4] + r * EXP_C[5]))));
    let p = (r * r) * q;
    let mut e = 1.0_f32 + (r + p);
    if k > 120 {
        e *= TWO_P32;
        k -= 32;
    } else if k < -120 {
        e *= TWO_M32;
        k += 32;
    }
    e * pow2_int(k)
}

/// XGBoost's sigmoid: `1 / (1 + exp(-x))` in float32.
pub fn sigmoid(x: f32) -> f32 {
    1.0_f32 / (1.0_f32 + exp(-x))
}

/// XGBoost's softmax, in place: max in f32, exps in f32, their sum in f64,
/// each divided by the f64 sum rounded to f32.
pub fn softmax(v: &mut [f32]) {
    if v.is_empty() {
        return;
    }
    let mut wmax = v[0];
    for &m in &v[1..] {
        if m > wmax {
            wmax = m;
        }
    }
    let mut wsum = 0.0_f64;
    for m in v.iter_mut() {
        *m = exp(*m - wmax);
        wsum += f64::from(*m);
    }
    let s = wsum as f32;
    for m in v.iter_mut() {
        *m /= s;
    }
}

/// onnxruntime's logistic: `v = 1 / (1 + exp(-|x|))` in float32, then
/// `1 - v` for negative `x` (so negative inputs lose the relative
/// precision that [`sigmoid`] keeps; this is the framework's arithmetic).
pub fn symmetric_sigmoid(x: f32) -> f32 {
    let v = 1.0_f32 / (1.0_f32 + exp(-x.abs()));
    if x < 0.0 {
        1.0_f32 - v
    } else {
        v
    }
}

/// onnxruntime's softmax, in place: max in f32, exps in f32, their sum in
/// f32 in order, each divided by the sum.
pub fn softmax_f32(v: &mut [f32]) {
    if v.is_empty() {
        return;
    }
    let mut wmax = v[0];
    for &m in &v[1..] {
        if m > wmax {
            wmax = m;
        }
    }
    let mut s = 0.0_f32;
    for m in v.iter_mut() {
        *m = exp(*m - wmax);
        s += *m;
    }
    for m in v.iter_mut() {
        *m /= s;
    }
}

/// Index of the first largest value (ties keep the earlier index).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0usize;
    for (i, &m) in v.iter().enumerate() {
        if m > v[best] {
            best = i;
        }
    }
    best
}

/// Distance in float32 units in the last place between two finite floats of
/// any sign (0 when the bits are equal; u32::MAX when either is NaN and the
/// other is not).
pub fn ulp_distance(a: f32, b: f32) -> u32 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u32::MAX
        };
    }
    // Map the float bits onto a monotone integer line.
    fn key(x: f32) -> i64 {
        let bits = x.to_bits() as i32;
        if bits < 0 {
            i64::from(i32::MIN) - i64::from(bits)
        } else {
            i64::from(bits)
        }
    }
    let d = (key(a) - key(b)).unsigned_abs();
    u32::try_from(d).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn correctly_rounded_exp(x: f32) -> f32 {
        // f64 exp is accurate to < 1 ulp of f64; rounding that to f32 gives
        // the correctly rounded f32 except in astronomically rare ties.
        f64::from(x).exp() as f32
    }

    #[test]
    fn constants_are_the_intended_bits() {
        assert_eq!(LN2_HI.to_bits(), 0x3F31_7200);
        assert_eq!(LN2_LO.to_bits(), 0x35BF_BE8E);
        for (i, (&up, &down)) in POW2_UP.iter().zip(POW2_DOWN.iter()).enumerate() {
            let e = 1i32 << i;
            assert_eq!(up, 2f32.powi(e));
            assert_eq!(down, 2f32.powi(-e));
        }
        assert_eq!(TWO_P32, 2f32.powi(32));
        assert_eq!(TWO_M32, 2f32.powi(-32));
    }

    #[test]
    fn exp_special_values() {
        assert!(exp(f32::NAN).is_nan());
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert_eq!(exp(-104.0), 0.0);
        // Largest finite and smallest subnormal results agree with the
        // correctly rounded exp at the edges of the range.
        let edge_hi = f32::from_bits(0x42B1_7217);
        assert_eq!(exp(edge_hi), correctly_rounded_exp(edge_hi));
        assert!(exp(f32::from_bits(0x42B1_7218)).is_infinite());
    }

    #[test]
    fn exp_within_one_ulp_on_a_dense_sample() {
        // Every 97th float32 in the range where the result is finite and
        // non-zero: ~45 million points in release, a sparser grid in debug.
        let step = if cfg!(debug_assertions) { 9973 } else { 97 };
        let mut worst = 0u32;
        let mut worst_x = 0.0f32;
        for sign in [0u32, 0x8000_0000] {
            let mut bits = 0u32;
            while bits <= 0x42B1_7217 {
                let x = f32::from_bits(bits | sign);
                if x >= -103.9 {
                    let d = ulp_distance(exp(x), correctly_rounded_exp(x));
                    if d > worst {
                        worst = d;
                        worst_x = x;
                    }
                }
                bits += step;
            }
        }
        assert!(worst <= 1, "exp off by {worst} ulp at x = {worst_x:e}");
    }

    /// Every float32 whose exp is finite and non-zero (about 2.2 billion
    /// inputs): prints the maximum error and how many results are not
    /// correctly rounded. About a minute in release:
    /// `cargo test --release --lib -- --ignored exp_error_exhaustive --nocapture`.
    #[test]
    #[ignore = "exhaustive sweep, run on demand"]
    fn exp_error_exhaustive() {
        let mut worst = 0u32;
        let mut worst_x = 0.0f32;
        let mut not_cr = 0u64;
        let mut total = 0u64;
        for sign in [0u32, 0x8000_0000] {
            let top = if sign == 0 {
                0x42B1_7217u32
            } else {
                0x42CF_F1B4
            };
            for bits in 0..=top {
                let x = f32::from_bits(bits | sign);
                let want = correctly_rounded_exp(x);
                if want == 0.0 {
                    continue;
                }
                let d = ulp_distance(exp(x), want);
                total += 1;
                if d != 0 {
                    not_cr += 1;
                }
                if d > worst {
                    worst = d;
                    worst_x = x;
                }
            }
        }
        println!(
            "exp: {total} inputs, max error {worst} ulp (at x = {worst_x:e}), {not_cr} not correctly rounded ({:.4} %)",
            100.0 * not_cr as f64 / total as f64
        );
        assert!(worst <= 1);
    }

    #[test]
    fn sigmoid_matches_definition_at_extremes() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
    }

    #[test]
    fn softmax_sums_to_about_one_and_argmax_prefers_first() {
        let mut v = [1.0f32, 2.0, 3.0];
        softmax(&mut v);
        let s: f32 = v.iter().sum();
        assert!((s - 1.0).abs() < 1e-6);
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
    }

    #[test]
    fn ulp_distance_crosses_zero() {
        assert_eq!(ulp_distance(0.0, -0.0), 0);
        assert_eq!(ulp_distance(f32::from_bits(1), -f32::from_bits(1)), 2);
        assert_eq!(ulp_distance(1.0, f32::from_bits(1.0f32.to_bits() + 3)), 3);
    }
}
