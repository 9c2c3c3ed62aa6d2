//! The output bits every target computed, one text file per target
//! (`verify/outputs/<target>.txt`), and their re-check: `timber audit
//! verify` recomputes each target's output hash from the stored bits,
//! compares it with `output_hash` of `verify/<target>.json`, and compares
//! every bit of a target that passed with the reference outputs of
//! `verify/vectors.json`. An assessor can redo both with a text editor and
//! a calculator; nothing rests on timber's word.
//!
//! Layout (also in audit/schema/bundle.md): lines starting with `#` are
//! comments; every other line is one vector row, in order,
//! `<row> <status> <out 0> <out 1> ...` with the row as a decimal number
//! from 0, the status `timber_infer_single` returned (0 = TIMBER_OK) and
//! each output as the 8 lower-case hex digits of its IEEE 754 binary32
//! bits. The output hash is FNV-1a (32-bit) over all output bits in row
//! order, each word's bytes least significant first.

use super::layout;
use crate::verify::{fnv1a, TIMBER_ERR_NAN};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One row: status and output bits.
pub type Row = (u32, Vec<u32>);

/// The file's text for one target.
pub fn render(target: &str, rows: &[Row]) -> String {
    let mut s = format!(
        "# timber verify: output bits of every vector on target {target}\n\
         # <row> <status> <output bits, IEEE 754 binary32, hex>...; output hash = FNV-1a over the bits\n"
    );
    for (i, (st, outs)) in rows.iter().enumerate() {
        let _ = write!(s, "{i} {st}");
        for o in outs {
            let _ = write!(s, " {o:08x}");
        }
        s.push('\n');
    }
    s
}

/// What an assessor needs to recompute the verification, by bundle path:
/// each target's output bits (targets that ran), the harness, the vector
/// source for all rows (with the batch check's buffers) and, when the
/// coverage run took place, its driver (`model_c`: the generated model.c,
/// whose block size the driver follows).
pub fn bundle_files(
    report: &crate::verify::VerifyReport,
    rows: &[Vec<f32>],
    n_features: usize,
    coverage_of: Option<&str>,
) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for t in &report.targets {
        if t.output_hash.is_some() {
            out.push((
                layout::outputs_file(&t.target),
                render(&t.target, &t.outputs).into_bytes(),
            ));
        }
    }
    out.push((
        layout::HARNESS_C.to_string(),
        crate::verify::targets::HARNESS_C.as_bytes().to_vec(),
    ));
    out.push((
        layout::HARNESS_VECTORS_C.to_string(),
        crate::verify::vectors_c(rows, Some((n_features, report.n_outputs))).into_bytes(),
    ));
    if let Some(model_c) = coverage_of {
        let driver = crate::coverage::driver::driver_c(
            rows,
            n_features,
            crate::coverage::driver::block_rows(model_c),
        );
        out.push((layout::COVERAGE_DRIVER.to_string(), driver.into_bytes()));
    }
    out
}

/// Read a file written by [`render`]; Err names the line.
pub fn parse(text: &str, n_outputs: usize) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what}", ln + 1);
        let mut it = line.split(' ');
        let row = it.next().and_then(|s| s.parse::<usize>().ok());
        if row != Some(rows.len()) {
            return Err(bad(&format!("expected row {}", rows.len())));
        }
        let st = it
            .next()
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| bad("no status"))?;
        let outs: Vec<u32> = it
            .map(|h| {
                if h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    u32::from_str_radix(h, 16).map_err(|_| bad(&format!("`{h}` is not hex")))
                } else {
                    Err(bad(&format!("`{h}` is not 8 hex digits")))
                }
            })
            .collect::<Result<_, _>>()?;
        if outs.len() != n_outputs {
            return Err(bad(&format!(
                "{} outputs; the model has {n_outputs}",
                outs.len()
            )));
        }
        rows.push((st, outs));
    }
    Ok(rows)
}

#[derive(Deserialize)]
struct Target {
    target: String,
    status: String,
    rows_run: usize,
    output_hash: Option<String>,
}

#[derive(Deserialize)]
struct Vectors {
    n_outputs: usize,
    inputs: Vec<Vec<String>>,
    expected: Vec<Vec<String>>,
}

/// Re-check every target's stored output bits. Returns (bundle file,
/// message) for each problem; empty when all agree.
pub fn check(files: &BTreeMap<String, Vec<u8>>) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let vectors: Vectors = match files
        .get(layout::VECTORS)
        .map(|b| serde_json::from_slice(b))
    {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            return vec![(layout::VECTORS.into(), format!("unreadable: {e}"))];
        }
        None => return vec![(layout::VECTORS.into(), "missing".into())],
    };
    for (path, bytes) in files {
        let is_target = path
            .strip_prefix(&format!("{}/", layout::VERIFY_DIR))
            .is_some_and(|rest| !rest.contains('/') && rest.ends_with(".json"))
            && path != layout::VECTORS;
        if !is_target {
            continue;
        }
        let t: Target = match serde_json::from_slice(bytes) {
            Ok(t) => t,
            Err(e) => {
                problems.push((path.clone(), format!("unreadable: {e}")));
                continue;
            }
        };
        let Some(want_hash) = &t.output_hash else {
            continue; // nothing ran: no outputs to recompute
        };
        let out_path = layout::outputs_file(&t.target);
        let mut fail = |m: String| problems.push((out_path.clone(), m));
        let Some(text) = files.get(&out_path) else {
            fail(format!(
                "missing: target {}'s output hash {want_hash} cannot be recomputed",
                t.target
            ));
            continue;
        };
        let rows = match std::str::from_utf8(text)
            .map_err(|e| e.to_string())
            .and_then(|s| parse(s, vectors.n_outputs))
        {
            Ok(r) => r,
            Err(e) => {
                fail(format!("target {}: {e}", t.target));
                continue;
            }
        };
        if rows.len() != t.rows_run {
            fail(format!(
                "target {}: {} rows, but verify/{}.json says {} rows ran",
                t.target,
                rows.len(),
                t.target,
                t.rows_run
            ));
            continue;
        }
        let got_hash = format!("{:08x}", fnv1a(rows.iter().flat_map(|(_, o)| o.iter())));
        let mut why = Vec::new();
        if t.status == "pass" {
            if let Some(d) = first_difference(&rows, &vectors) {
                why.push(d);
            }
        }
        if &got_hash != want_hash {
            why.push(format!(
                "the recomputed output hash {got_hash} differs from output_hash {want_hash} of verify/{}.json",
                t.target
            ));
        }
        if !why.is_empty() {
            fail(format!("target {}: {}", t.target, why.join("; ")));
        }
    }
    problems
}

/// The first output of a passing target that differs from the reference,
/// or a row whose status is neither OK nor a NaN refusal.
fn first_difference(rows: &[Row], v: &Vectors) -> Option<String> {
    for (i, (st, outs)) in rows.iter().enumerate() {
        let nan_input = v.inputs.get(i).is_some_and(|r| {
            r.iter().any(|h| {
                u32::from_str_radix(h, 16)
                    .map(|b| f32::from_bits(b).is_nan())
                    .unwrap_or(false)
            })
        });
        if *st == TIMBER_ERR_NAN && nan_input {
            continue; // refused as the reject policy requires
        }
        if *st != 0 {
            return Some(format!("row {i} returned status {st}"));
        }
        let want = v.expected.get(i)?;
        for (k, (g, w)) in outs.iter().zip(want).enumerate() {
            if format!("{g:08x}") != *w {
                return Some(format!(
                    "row {i} output {k} is {g:08x}, the reference in {} gives {w}",
                    layout::VECTORS
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_and_parse_round_trip_and_bad_lines_are_named() {
        let rows = vec![(0, vec![0x3f80_0000, 0x0000_0001]), (2, vec![0, 0])];
        let text = render("host", &rows);
        assert_eq!(parse(&text, 2), Ok(rows));
        let e = parse("0 0 3f800000\n2 0 00000000\n", 1).expect_err("row 2 after 0");
        assert_eq!(e, "line 2: expected row 1");
        let e = parse("0 0 3f80000\n", 1).expect_err("7 digits");
        assert!(e.contains("line 1") && e.contains("3f80000"), "{e}");
        assert!(parse("0 0 3f800000 3f800000\n", 1).is_err());
    }
}
