//! Small conversions from Rust values to C99 source text.
//!
//! Every float the generator writes goes through [`f32_literal`], so the
//! bits the C compiler reads back are exactly the bits in the IR.

/// A C99 `float` constant expression whose value is exactly `v`.
///
/// Finite values are hexadecimal floating constants with an `f` suffix
/// (`0x1.8p+0f`, `-0x1.99999ap-4f`, `0x1p-149f`): the significand's bits
/// written out in base 16 and a binary exponent, so the constant *is* the
/// float, with no decimal-to-binary rounding left to the compiler (C99
/// 6.4.4.2; a compiler whose decimal conversion is not correctly rounded,
/// as some embedded ones are not, still reads the exact bits). Negative
/// values are a unary minus applied to the positive constant, which is
/// exact, so negative zero survives. C99 has no infinity constant outside
/// `<math.h>`, so infinities are written as `FLT_MAX * 2`, a constant
/// expression that IEEE-754 rounds to infinity.
///
/// NaN never reaches the generator (validation refuses NaN thresholds and
/// non-finite leaves and base scores); it is mapped to `None`.
pub fn f32_literal(v: f32) -> Option<String> {
    if v.is_nan() {
        None
    } else if v.is_infinite() {
        let max = hex_float(u64::from(f32::MAX.to_bits()), 23, 8);
        Some(if v > 0.0 {
            format!("({max}f * 0x1p+1f)")
        } else {
            format!("(-{max}f * 0x1p+1f)")
        })
    } else {
        Some(format!("{}f", hex_float(u64::from(v.to_bits()), 23, 8)))
    }
}

/// A C99 `double` constant expression whose value is exactly `v` (the
/// double-accumulation tables and constants): a hexadecimal floating
/// constant without a suffix. Infinities never reach the generator
/// (validation refuses them); they and NaN map to `None`.
pub fn f64_literal(v: f64) -> Option<String> {
    if v.is_finite() {
        Some(hex_float(v.to_bits(), 52, 11))
    } else {
        None
    }
}

/// The hexadecimal floating constant (no suffix) of a finite IEEE-754
/// value given by its bits, `frac_bits` fraction and `exp_bits` exponent
/// bits: `[-]0x1.<hex>p<exp>` with the leading 1 of the normalised
/// significand (subnormals are normalised too: the constant's exponent
/// then lies below the format's minimum, which C reads exactly), trailing
/// zero digits dropped; zero is `0x0p+0`.
fn hex_float(bits: u64, frac_bits: u32, exp_bits: u32) -> String {
    let sign = if bits >> (frac_bits + exp_bits) & 1 == 1 {
        "-"
    } else {
        ""
    };
    let biased = (bits >> frac_bits) & ((1 << exp_bits) - 1);
    let frac = bits & ((1 << frac_bits) - 1);
    let bias = (1i64 << (exp_bits - 1)) - 1;
    // value = m * 2^e with an integer significand m.
    let (m, e) = if biased == 0 {
        (frac, 1 - bias - i64::from(frac_bits))
    } else {
        (
            frac | (1 << frac_bits),
            biased as i64 - bias - i64::from(frac_bits),
        )
    };
    if m == 0 {
        return format!("{sign}0x0p+0");
    }
    // Normalise: m = 1.f * 2^top, f in `top` bits.
    let top = 63 - m.leading_zeros();
    let f = m & ((1u64 << top) - 1);
    let exp = e + i64::from(top);
    let digits = top.div_ceil(4) as usize;
    let mut hex = if digits == 0 {
        String::new()
    } else {
        format!("{:0digits$x}", f << (4 * digits as u32 - top))
    };
    while hex.ends_with('0') {
        hex.pop();
    }
    let dot = if hex.is_empty() { "" } else { "." };
    format!("{sign}0x1{dot}{hex}p{exp:+}")
}

/// A leaf value or base score as C text in the accumulator's type: the
/// one place that decides how the summed values are written, shared by
/// every layout. Under float32 accumulation the value is exactly a float32
/// (validated) and written as a `float` literal; under double
/// accumulation as a `double` literal.
pub fn leaf_literal(acc: crate::ir::Accumulator, v: f64) -> Option<String> {
    match acc {
        crate::ir::Accumulator::F32 => f32_literal(v as f32),
        crate::ir::Accumulator::F64 => f64_literal(v),
    }
}

/// The narrowest C unsigned fixed-width type that holds every value in
/// `0..=max`.
pub fn uint_type_for(max: u64) -> &'static str {
    if max <= u64::from(u8::MAX) {
        "uint8_t"
    } else if max <= u64::from(u16::MAX) {
        "uint16_t"
    } else if max <= u64::from(u32::MAX) {
        "uint32_t"
    } else {
        "uint64_t"
    }
}

/// Is `s` usable verbatim inside a C string literal and a C comment?
/// (Printable ASCII without `"`, `\`, `*` and `/`, so it can neither end
/// the literal nor open or close a comment, and no `?`, so no trigraphs.)
pub fn is_plain_c_text(s: &str) -> bool {
    s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'*' | b'/' | b'?'))
}

#[cfg(test)]
/// Read a hexadecimal floating constant back exactly, the way C99
/// defines it (significand digits times a power of two), independent of
/// the formatter: digits into an integer, then scaled in two exact
/// steps (the second lands on the value itself, subnormals included).
pub fn hex_value(lit: &str) -> f64 {
    let (neg, body) = match lit.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, lit),
    };
    let body = body.strip_prefix("0x").expect("0x prefix");
    let (sig, exp) = body.split_once('p').expect("binary exponent");
    let exp: i32 = exp.parse().expect("exponent");
    let (int, frac) = sig.split_once('.').unwrap_or((sig, ""));
    let digits = format!("{int}{frac}");
    let m = u64::from_str_radix(&digits, 16).expect("hex digits");
    let k = exp - 4 * frac.len() as i32;
    let v = if k >= 0 {
        (m as f64) * 2f64.powi(k)
    } else {
        (m as f64) * 2f64.powi(k + 600) * 2f64.powi(-600)
    };
    if neg {
        -v
    } else {
        v
    }
}

/// A float constant of [`f32_literal`] read back (tests).
#[cfg(test)]
pub fn parse_f32_literal(lit: &str) -> f32 {
    hex_value(lit.strip_suffix('f').expect("f suffix")) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_back(lit: &str) -> f32 {
        parse_f32_literal(lit)
    }

    #[test]
    fn finite_literals_round_trip_exactly() {
        let mut samples = vec![
            0.0f32,
            -0.0,
            1.0,
            -1.5,
            0.1,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            f32::from_bits(0x807f_ffff),
            f32::EPSILON,
        ];
        // A seeded walk over bit patterns of every exponent.
        let mut x = 0x9e37_79b9u32;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let f = f32::from_bits(x);
            if f.is_finite() {
                samples.push(f);
            }
        }
        for v in samples {
            let lit = f32_literal(v).expect("finite");
            assert!(lit.ends_with('f'), "{lit}");
            assert_eq!(parse_back(&lit).to_bits(), v.to_bits(), "{lit}");
        }
    }

    #[test]
    fn double_literals_round_trip_exactly() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut samples = vec![
            0.0f64,
            -0.0,
            0.1,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
        ];
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            samples.push(f64::from_bits(x));
        }
        for v in samples.into_iter().filter(|v| v.is_finite()) {
            let lit = f64_literal(v).expect("finite");
            assert!(!lit.ends_with('f'), "{lit}");
            // A C compiler parses an unsuffixed literal to the nearest double.
            assert_eq!(hex_value(&lit).to_bits(), v.to_bits(), "{lit}");
        }
        assert_eq!(f64_literal(f64::NAN), None);
        assert_eq!(f64_literal(f64::INFINITY), None);
        assert_eq!(
            leaf_literal(crate::ir::Accumulator::F32, 0.5).as_deref(),
            Some("0x1p-1f")
        );
        assert_eq!(
            leaf_literal(crate::ir::Accumulator::F64, 0.1).as_deref(),
            Some("0x1.999999999999ap-4")
        );
    }

    #[test]
    fn negative_zero_keeps_its_sign() {
        assert_eq!(f32_literal(-0.0).as_deref(), Some("-0x0p+0f"));
        assert_eq!(f32_literal(0.0).as_deref(), Some("0x0p+0f"));
        assert_eq!(f32_literal(1.5).as_deref(), Some("0x1.8p+0f"));
        assert_eq!(f32_literal(0.1).as_deref(), Some("0x1.99999ap-4f"));
        assert_eq!(f32_literal(f32::from_bits(1)).as_deref(), Some("0x1p-149f"));
        assert_eq!(
            f32_literal(-f32::from_bits(0x007f_ffff)).as_deref(),
            Some("-0x1.fffffcp-127f")
        );
        assert_eq!(f64_literal(f64::from_bits(1)).as_deref(), Some("0x1p-1074"));
    }

    #[test]
    fn infinities_and_nan() {
        assert_eq!(
            f32_literal(f32::INFINITY).as_deref(),
            Some("(0x1.fffffep+127f * 0x1p+1f)")
        );
        assert_eq!(
            f32_literal(f32::NEG_INFINITY).as_deref(),
            Some("(-0x1.fffffep+127f * 0x1p+1f)")
        );
        assert_eq!(f32_literal(f32::NAN), None);
    }

    #[test]
    fn narrowest_types() {
        assert_eq!(uint_type_for(0), "uint8_t");
        assert_eq!(uint_type_for(255), "uint8_t");
        assert_eq!(uint_type_for(256), "uint16_t");
        assert_eq!(uint_type_for(65_536), "uint32_t");
        assert_eq!(uint_type_for(1 << 40), "uint64_t");
    }

    #[test]
    fn plain_text_check() {
        assert!(is_plain_c_text("0123abcdef"));
        assert!(!is_plain_c_text("a\"b"));
        assert!(!is_plain_c_text("*/"));
        assert!(!is_plain_c_text("??="));
        assert!(!is_plain_c_text("é"));
    }
}
