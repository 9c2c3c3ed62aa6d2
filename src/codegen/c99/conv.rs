//! Small conversions from Rust values to C99 source text.
//!
//! Every float the generator writes goes through [`f32_literal`], so the
//! bits the C compiler reads back are exactly the bits in the IR.

/// A C99 `float` constant expression whose value is exactly `v`.
///
/// Finite values use Rust's shortest round-trip scientific form with an `f`
/// suffix (`1.5e0f`, `-0e0f`, `1e-45f`): a C compiler parses a suffixed
/// decimal literal straight to `float` with round-to-nearest, and the
/// shortest round-trip digits round to `v` by construction. Negative values
/// are a unary minus applied to the positive literal, which is exact, so
/// negative zero survives. C99 has no infinity literal outside `<math.h>`,
/// so infinities are written as `FLT_MAX * 2.0f`, a constant expression
/// that IEEE-754 rounds to infinity.
///
/// NaN never reaches the generator (validation refuses NaN thresholds and
/// non-finite leaves and base scores); it is mapped to `None`.
pub fn f32_literal(v: f32) -> Option<String> {
    if v.is_nan() {
        None
    } else if v.is_infinite() {
        let max = format!("{:e}f", f32::MAX);
        Some(if v > 0.0 {
            format!("({max} * 2.0f)")
        } else {
            format!("(-{max} * 2.0f)")
        })
    } else {
        Some(format!("{v:e}f"))
    }
}

/// A C99 `double` constant expression whose value is exactly `v` (the
/// double-accumulation tables and constants): Rust's shortest round-trip
/// scientific form without a suffix, which a C compiler parses to the
/// nearest double, i.e. `v`. Infinities never reach the generator
/// (validation refuses them); they and NaN map to `None`.
pub fn f64_literal(v: f64) -> Option<String> {
    if v.is_finite() {
        Some(format!("{v:e}"))
    } else {
        None
    }
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
mod tests {
    use super::*;

    /// Parse the literal back the way a C compiler does for finite values:
    /// straight from decimal to f32 (Rust's parser is correctly rounded).
    fn parse_back(lit: &str) -> f32 {
        let body = lit.strip_suffix('f').expect("f suffix");
        body.parse::<f32>().expect("parses")
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
            assert_eq!(
                lit.parse::<f64>().expect("parses").to_bits(),
                v.to_bits(),
                "{lit}"
            );
        }
        assert_eq!(f64_literal(f64::NAN), None);
        assert_eq!(f64_literal(f64::INFINITY), None);
        assert_eq!(
            leaf_literal(crate::ir::Accumulator::F32, 0.5).as_deref(),
            Some("5e-1f")
        );
        assert_eq!(
            leaf_literal(crate::ir::Accumulator::F64, 0.1).as_deref(),
            Some("1e-1")
        );
    }

    #[test]
    fn negative_zero_keeps_its_sign() {
        assert_eq!(f32_literal(-0.0).as_deref(), Some("-0e0f"));
        assert_eq!(f32_literal(0.0).as_deref(), Some("0e0f"));
    }

    #[test]
    fn infinities_and_nan() {
        assert_eq!(
            f32_literal(f32::INFINITY).as_deref(),
            Some("(3.4028235e38f * 2.0f)")
        );
        assert_eq!(
            f32_literal(f32::NEG_INFINITY).as_deref(),
            Some("(-3.4028235e38f * 2.0f)")
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
