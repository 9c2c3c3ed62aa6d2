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
//!
//! exp64 (double accumulation, [`crate::ir::Accumulator::F64`]): the same
//! shape in double: Cody-Waite with fdlibm's two-part ln2 (the high part
//! has 32 significant bits, so `k * LN2_HI64` is exact for |k| < 2^21), a
//! degree-13 Taylor polynomial on |r| <= ln2/2 (truncation error below
//! 2^-60 relative), evaluated as `1 + (r + r^2 * q(r))`, and scaling by
//! 2^k built from exact power-of-two products, with a 2^64 pre-scale near
//! the ends of double's range. Every constant is the double nearest its
//! mathematical value (1/k! for the coefficients). The generated C reads
//! 2^k from a table of the same exact values instead of multiplying them
//! out (its pruned paths need no data-dependent loop). Error against the
//! platform exp is checked by a proptest over the whole domain
//! (`exp64_close_to_std_over_the_domain`: within 2 double ulps); that is
//! about 2^-28 float32 ulps, so after the final rounding to float32 the
//! result is the correctly rounded float32 of the exact value except in
//! near-tie cases.

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

/// exp(x) in float32, bit-identical to `timber_exp` in the generated C.
pub fn exp(x: f32) -> f32 {
    exp_in(&EXP_F32, x)
}

/// log2(e) rounded to double.
pub const LOG2E64: f64 = std::f64::consts::LOG2_E;
/// High part of ln 2 (fdlibm's `ln2_hi`, 0x3FE62E42FEE00000): 32
/// significant bits, so `k * LN2_HI64` is exact for every k exp64 uses.
pub const LN2_HI64: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
/// ln 2 - LN2_HI64 rounded to double (fdlibm's `ln2_lo`).
pub const LN2_LO64: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
/// Inputs above this give +inf (exp overflows for x > ln(DBL_MAX) ~
/// 709.78); the clamp keeps the integer conversion in range.
pub const EXP64_CLAMP_HI: f64 = 710.0;
/// Inputs below this give +0 (exp(x) < 2^-1075 rounds to zero).
pub const EXP64_CLAMP_LO: f64 = -746.0;
/// 1/k! for k = 2..13, each the nearest double.
pub const EXP64_C: [f64; 12] = [
    f64::from_bits(0x3FE0_0000_0000_0000),
    f64::from_bits(0x3FC5_5555_5555_5555),
    f64::from_bits(0x3FA5_5555_5555_5555),
    f64::from_bits(0x3F81_1111_1111_1111),
    f64::from_bits(0x3F56_C16C_16C1_6C17),
    f64::from_bits(0x3F2A_01A0_1A01_A01A),
    f64::from_bits(0x3EFA_01A0_1A01_A01A),
    f64::from_bits(0x3EC7_1DE3_A556_C734),
    f64::from_bits(0x3E92_7E4F_B778_9F5C),
    f64::from_bits(0x3E5A_E645_67F5_44E4),
    f64::from_bits(0x3E21_EED8_EFF8_D898),
    f64::from_bits(0x3DE6_1246_13A8_6D09),
];
/// 2^(2^i) for i = 0..9 and their reciprocals: exact powers of two; their
/// products give 2^k for |k| <= 1023.
pub const POW2_UP64: [f64; 10] = [
    2.0,
    4.0,
    16.0,
    256.0,
    65_536.0,
    4_294_967_296.0,
    1.844_674_407_370_955_2e19,
    3.402_823_669_209_385e38,
    1.157_920_892_373_162e77,
    1.340_780_792_994_259_7e154,
];
pub const POW2_DOWN64: [f64; 10] = [
    0.5,
    0.25,
    0.062_5,
    0.003_906_25,
    1.525_878_906_25e-5,
    2.328_306_436_538_696_3e-10,
    5.421_010_862_427_522e-20,
    2.938_735_877_055_719e-39,
    8.636_168_555_094_445e-78,
    7.458_340_731_200_207e-155,
];
/// 2^64 and 2^-64, the pre-scale that keeps 2^k a normal double.
pub const TWO_P64: f64 = 1.844_674_407_370_955_2e19;
pub const TWO_M64: f64 = 5.421_010_862_427_522e-20;
/// Pre-scale when k exceeds this in magnitude (|k| <= 1077 before it).
pub const EXP64_SCALE_K: i32 = 1000;

/// 2^k for |k| <= 1023, exactly, as a product of powers of two.
pub fn pow2_int64(k: i32) -> f64 {
    pow2_in(&EXP_F64, k)
}

/// exp(x) in double, bit-identical to `timber_exp64` in the generated C
/// (and the WebAssembly build).
pub fn exp64(x: f64) -> f64 {
    exp_in(&EXP_F64, x)
}

/// The constants of the exp algorithm at one floating-point width: the
/// algorithm (module doc) is the same at both widths and only these
/// differ. The WebAssembly writer and the range analysis read them too.
#[derive(Debug, Clone, Copy)]
pub struct ExpWidth<F: 'static> {
    pub log2e: F,
    pub ln2_hi: F,
    pub ln2_lo: F,
    pub clamp_lo: F,
    pub clamp_hi: F,
    /// The coefficients of q, 1/k! for k = 2, 3, ..., lowest first.
    pub c: &'static [F],
    /// 2^(2^i) and 2^-(2^i): their products give every 2^k in range.
    pub pow2_up: &'static [F],
    pub pow2_down: &'static [F],
    /// A k above `scale_k` or below `-scale_k` is first brought back by
    /// `scale_bits`, multiplying by `two_p` or `two_m` (2^+-scale_bits).
    pub scale_k: i32,
    pub scale_bits: i32,
    pub two_p: F,
    pub two_m: F,
}

/// float32 exp ([`exp`]).
pub const EXP_F32: ExpWidth<f32> = ExpWidth {
    log2e: LOG2E,
    ln2_hi: LN2_HI,
    ln2_lo: LN2_LO,
    clamp_lo: EXP_CLAMP_LO,
    clamp_hi: EXP_CLAMP_HI,
    c: &EXP_C,
    pow2_up: &POW2_UP,
    pow2_down: &POW2_DOWN,
    scale_k: 120,
    scale_bits: 32,
    two_p: TWO_P32,
    two_m: TWO_M32,
};

/// double exp ([`exp64`]).
pub const EXP_F64: ExpWidth<f64> = ExpWidth {
    log2e: LOG2E64,
    ln2_hi: LN2_HI64,
    ln2_lo: LN2_LO64,
    clamp_lo: EXP64_CLAMP_LO,
    clamp_hi: EXP64_CLAMP_HI,
    c: &EXP64_C,
    pow2_up: &POW2_UP64,
    pow2_down: &POW2_DOWN64,
    scale_k: EXP64_SCALE_K,
    scale_bits: 64,
    two_p: TWO_P64,
    two_m: TWO_M64,
};

/// The arithmetic exp needs of a float type: IEEE-754 operations only.
pub trait ExpFloat:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::MulAssign
{
    const ZERO: Self;
    const HALF: Self;
    const ONE: Self;
    fn is_nan(self) -> bool;
    fn clamp(self, lo: Self, hi: Self) -> Self;
    /// Truncation towards zero (only ever of a value in i32's range).
    fn trunc_i32(self) -> i32;
    /// The exact value of `k` (|k| < 2^24 here).
    fn from_i32(k: i32) -> Self;
}

macro_rules! exp_float {
    ($t:ty) => {
        impl ExpFloat for $t {
            const ZERO: Self = 0.0;
            const HALF: Self = 0.5;
            const ONE: Self = 1.0;
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn clamp(self, lo: Self, hi: Self) -> Self {
                <$t>::clamp(self, lo, hi)
            }
            fn trunc_i32(self) -> i32 {
                self as i32
            }
            fn from_i32(k: i32) -> Self {
                k as $t
            }
        }
    };
}
exp_float!(f32);
exp_float!(f64);

/// 2^k for k within the width's range, as a product of exact powers of two.
fn pow2_in<F: ExpFloat>(w: &ExpWidth<F>, k: i32) -> F {
    let negative = k < 0;
    let mut mag = k.unsigned_abs();
    let mut scale = F::ONE;
    for (up, down) in w.pow2_up.iter().zip(w.pow2_down) {
        if (mag & 1) != 0 {
            scale *= if negative { *down } else { *up };
        }
        mag >>= 1;
    }
    scale
}

/// The exp algorithm of the module doc at width `F`, in the order the
/// generated C and the WebAssembly writer follow.
fn exp_in<F: ExpFloat>(w: &ExpWidth<F>, x: F) -> F {
    if x.is_nan() {
        return x;
    }
    // NaN returned above, so clamp's NaN behaviour never matters; the C
    // writes the same clamp as two comparisons.
    let xc = x.clamp(w.clamp_lo, w.clamp_hi);
    let kf = xc * w.log2e;
    // Round half away from zero; truncation of an in-range value is exact.
    let mut k = if kf >= F::ZERO {
        (kf + F::HALF).trunc_i32()
    } else {
        (kf - F::HALF).trunc_i32()
    };
    let kk = F::from_i32(k);
    let hi = xc - kk * w.ln2_hi;
    let r = hi - kk * w.ln2_lo;
    // q = c0 + r*(c1 + r*(... + r*c_last)), innermost first.
    let (last, rest) =
        w.c.split_last()
            .expect("every width has polynomial coefficients");
    let q = rest.iter().rev().fold(*last, |q, &c| c + r * q);
    let p = (r * r) * q;
    let mut e = F::ONE + (r + p);
    if k > w.scale_k {
        e *= w.two_p;
        k -= w.scale_bits;
    } else if k < -w.scale_k {
        e *= w.two_m;
        k += w.scale_bits;
    }
    e * pow2_in(w, k)
}

/// LightGBM's and CatBoost's sigmoid: `1 / (1 + exp(-x))` in double.
pub fn sigmoid64(x: f64) -> f64 {
    1.0_f64 / (1.0_f64 + exp64(-x))
}

/// LightGBM's and CatBoost's softmax, in place, all in double: the max,
/// `exp(v - max)` for each, their sum in order, each divided by the sum.
pub fn softmax64(v: &mut [f64]) {
    if v.is_empty() {
        return;
    }
    let mut wmax = v[0];
    for &m in &v[1..] {
        if m > wmax {
            wmax = m;
        }
    }
    for m in v.iter_mut() {
        *m = exp64(*m - wmax);
    }
    let mut wsum = 0.0_f64;
    for m in v.iter() {
        wsum += *m;
    }
    for m in v.iter_mut() {
        *m /= wsum;
    }
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

    /// Distance in double ulps (same monotone mapping as [`ulp_distance`]).
    fn ulp_distance64(a: f64, b: f64) -> u64 {
        fn key(x: f64) -> i128 {
            let bits = x.to_bits() as i64;
            if bits < 0 {
                i128::from(i64::MIN) - i128::from(bits)
            } else {
                i128::from(bits)
            }
        }
        u64::try_from((key(a) - key(b)).unsigned_abs()).unwrap_or(u64::MAX)
    }

    #[test]
    fn exp64_constants_and_special_values() {
        for (i, (&up, &down)) in POW2_UP64.iter().zip(POW2_DOWN64.iter()).enumerate() {
            let e = 1i32 << i;
            assert_eq!(up, 2f64.powi(e));
            assert_eq!(down, 2f64.powi(-e));
        }
        assert_eq!(TWO_P64, 2f64.powi(64));
        assert_eq!(TWO_M64, 2f64.powi(-64));
        // k * LN2_HI64 exact: the high part has at least 21 trailing zeros.
        assert!(LN2_HI64.to_bits().trailing_zeros() >= 21);
        let fact = |k: u32| (1..=k).map(f64::from).product::<f64>();
        for (i, c) in EXP64_C.iter().enumerate() {
            // 1/k! rounded once: within half an ulp of the f64 quotient.
            let k = i as u32 + 2;
            assert!(ulp_distance64(*c, 1.0 / fact(k)) <= 1, "1/{k}!");
        }
        for k in -1023..=1023 {
            assert_eq!(pow2_int64(k), 2f64.powi(k), "2^{k}");
        }
        assert!(exp64(f64::NAN).is_nan());
        assert_eq!(exp64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp64(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp64(0.0), 1.0);
        assert_eq!(exp64(709.8), f64::INFINITY);
        assert_eq!(exp64(-745.2), 0.0);
        assert!(exp64(709.78).is_finite());
        assert!(exp64(-745.0) > 0.0);
        assert_eq!(sigmoid64(0.0), 0.5);
        assert_eq!(sigmoid64(-800.0), 0.0);
        assert_eq!(sigmoid64(800.0), 1.0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// Over the whole range where exp is finite and normal, exp64 is
        /// within 2 double ulps of the platform's exp.
        #[test]
        fn exp64_close_to_std_over_the_domain(x in -708.0f64..709.7) {
            let d = ulp_distance64(exp64(x), x.exp());
            proptest::prop_assert!(d <= 2, "exp64({x:e}) off by {d} ulp");
        }

        /// Near zero, where most margins lie, and in the subnormal tail.
        #[test]
        fn exp64_close_to_std_near_zero_and_tail(x in -40.0f64..40.0, t in -745.0f64..-708.0) {
            proptest::prop_assert!(ulp_distance64(exp64(x), x.exp()) <= 2);
            // Subnormal results: within 2 ulps of the subnormal grid.
            let d = (exp64(t) - t.exp()).abs();
            proptest::prop_assert!(d <= 2.0 * f64::from_bits(1), "exp64({t:e})");
        }

        #[test]
        fn sigmoid64_close_to_std(x in -740.0f64..740.0) {
            let want = 1.0 / (1.0 + (-x).exp());
            proptest::prop_assert!(ulp_distance64(sigmoid64(x), want) <= 3);
        }

        #[test]
        fn softmax64_close_to_std(v in proptest::collection::vec(-50.0f64..50.0, 1..8)) {
            let mut got = v.clone();
            softmax64(&mut got);
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<f64> = v.iter().map(|m| (m - max).exp()).collect();
            let sum: f64 = exps.iter().sum();
            for (g, e) in got.iter().zip(&exps) {
                proptest::prop_assert!(ulp_distance64(*g, e / sum) <= 8);
            }
        }
    }

    #[test]
    fn ulp_distance_crosses_zero() {
        assert_eq!(ulp_distance(0.0, -0.0), 0);
        assert_eq!(ulp_distance(f32::from_bits(1), -f32::from_bits(1)), 2);
        assert_eq!(ulp_distance(1.0, f32::from_bits(1.0f32.to_bits() + 3)), 3);
    }
}
