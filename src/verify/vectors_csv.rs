//! The verification vectors as CSV, for a framework to predict on
//! (`timber vectors`, `scripts/oracle.py`).
//!
//! Layout: a header `f0,f1,...` (one column per model feature, in the
//! model's feature order), then one row per vector in the order certify
//! runs them. Every value is written with nine significant digits in
//! scientific notation (`1.5e0`, trailing zeros trimmed), which any decimal
//! reader, through float64 or directly, rounds back to the same float32;
//! `nan`, `inf` and `-inf` are spelled out as numpy, pandas and Python's
//! `float()` read them. Signed zeros keep their sign (`-0e0`).

/// A float32 written so that it parses back to the same bits.
pub fn format_f32(v: f32) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Nine significant digits identify every float32; the decimal is far
    // closer to the float than half an ulp, so rounding through float64
    // first lands on the same float32.
    let s = format!("{v:.8e}");
    let (mantissa, exponent) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}e{exponent}")
}

/// The CSV text of `rows` (each `n_features` wide).
pub fn to_csv(n_features: usize, rows: &[Vec<f32>]) -> String {
    let mut out = String::new();
    let header: Vec<String> = (0..n_features).map(|i| format!("f{i}")).collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row.iter().map(|v| format_f32(*v)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Through float64 (as Python and numpy read it) back to float32.
    fn via_f64(s: &str) -> f32 {
        s.parse::<f64>().expect("parses") as f32
    }

    #[test]
    fn every_kind_of_float32_parses_back_to_its_bits() {
        let mut samples = vec![
            0.0f32,
            -0.0,
            1.0,
            0.1,
            -3.402_823_5e38,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            f32::from_bits(0x007f_ffff),
            16_777_217.0,
            1.0e-45,
        ];
        // A deterministic sweep over the bit patterns.
        let mut b: u32 = 0x1234_5678;
        for _ in 0..20_000 {
            b = b.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = f32::from_bits(b);
            if v.is_finite() {
                samples.push(v);
            }
        }
        for v in samples {
            let s = format_f32(v);
            assert_eq!(s.parse::<f32>().map(f32::to_bits), Ok(v.to_bits()), "{s}");
            assert_eq!(via_f64(&s).to_bits(), v.to_bits(), "{s} via f64");
        }
    }

    #[test]
    fn specials_are_spelled_out_and_rows_follow_the_header() {
        assert_eq!(format_f32(f32::NAN), "nan");
        assert_eq!(format_f32(f32::INFINITY), "inf");
        assert_eq!(format_f32(f32::NEG_INFINITY), "-inf");
        assert_eq!(format_f32(-0.0), "-0e0");
        assert_eq!(format_f32(1.5), "1.5e0");
        let csv = to_csv(2, &[vec![1.0, f32::NAN], vec![-0.25, f32::INFINITY]]);
        assert_eq!(csv, "f0,f1\n1e0,nan\n-2.5e-1,inf\n");
    }
}
