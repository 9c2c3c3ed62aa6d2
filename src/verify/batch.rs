//! The batch API (`timber_infer`) on the target: what the harness prints
//! after the single-row calls (see qemu/harness.c), and its comparison with
//! the reference.
//!
//! Per image, the harness runs `timber_infer` over all of the image's rows
//! three times: in blocks of 1 row, of 7 rows, and in one call over the
//! whole image. For each block size it compares every output bit with the
//! single-row call of the same row (`Y` lines name the differences), lists
//! the calls that returned a non-OK status (`X`), and prints an FNV-1a hash
//! of all batch outputs (`B`). Here each of these is checked against what
//! the reference says: the status each call must return (TIMBER_ERR_NAN
//! for a block holding a NaN row under the `reject` policy, else OK), and
//! the hash the reference outputs give (a refused call must leave its
//! outputs untouched, i.e. at the harness's fill pattern).

use super::{fnv1a, Mismatch, TIMBER_ERR_NAN};
use serde::Serialize;

/// The block sizes the harness runs, in order; 0 stands for one call over
/// all rows of the image.
pub const BLOCKS: [usize; 3] = [1, 7, 0];

/// The fill pattern of the harness's batch outputs (BATCH_FILL).
pub const FILL: u32 = 0x7fc0_dead;

/// The batch API's figures on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct BatchReport {
    /// Block sizes run, in rows ("whole image" is the image's row count,
    /// listed once per image).
    pub block_sizes: Vec<usize>,
    /// `timber_infer` calls made, over all block sizes and images.
    pub calls: u64,
    /// Calls that returned a non-OK status (as required: every one of
    /// them is checked against the expected status).
    pub refused_calls: u64,
    /// Outputs (or call statuses) that differ from the single-row calls
    /// or the reference.
    pub mismatch_count: usize,
}

/// A batch line of the harness that does not parse (the caller names it).
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// What the harness printed about the batch API for one image.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lines {
    /// (pass, first row, status) of each non-OK call; the pass is the
    /// index into [`BLOCKS`] (lines before the pass's `B` line).
    pub refused: Vec<(usize, usize, u32)>,
    /// (pass, row, output, batch bits, single bits).
    pub differs: Vec<(usize, usize, usize, u32, u32)>,
    /// (block, calls, hash).
    pub summaries: Vec<(usize, u64, u32)>,
}

impl Lines {
    /// Read one `X`, `Y` or `B` line; Ok(false) for other tags, Err for a
    /// malformed line of these tags.
    pub fn read(&mut self, line: &str) -> Result<bool, Malformed> {
        let mut it = line.split_whitespace();
        let tag = it.next();
        let fields: Vec<&str> = it.collect();
        let dec = |i: usize| {
            fields
                .get(i)
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or(Malformed)
        };
        let hex = |i: usize| {
            fields
                .get(i)
                .and_then(|s| u32::from_str_radix(s, 16).ok())
                .ok_or(Malformed)
        };
        let pass = self.summaries.len();
        match (tag, fields.len()) {
            (Some("X"), 3) => {
                dec(0)?;
                self.refused.push((pass, dec(1)? as usize, dec(2)? as u32));
            }
            (Some("Y"), 5) => self.differs.push((
                {
                    dec(0)?;
                    pass
                },
                dec(1)? as usize,
                dec(2)? as usize,
                hex(3)?,
                hex(4)?,
            )),
            (Some("B"), 3) => self.summaries.push((dec(0)? as usize, dec(1)?, hex(2)?)),
            (Some("X" | "Y" | "B"), _) => return Err(Malformed),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// One image's rows and what the reference says about them.
pub struct Image<'a> {
    /// Row index of the image's first row in the whole vector set.
    pub offset: usize,
    pub rows: &'a [Vec<f32>],
    /// Reference output bits per row of the image.
    pub expected: &'a [Vec<u32>],
    pub reject_nan: bool,
}

impl Image<'_> {
    /// The status `timber_infer` must return for rows [start, end).
    fn want_status(&self, start: usize, end: usize) -> u32 {
        let nan = self.rows[start..end]
            .iter()
            .any(|r| r.iter().any(|v| v.is_nan()));
        if self.reject_nan && nan {
            TIMBER_ERR_NAN
        } else {
            0
        }
    }
}

/// Check one image's batch lines; mismatches (with `block` set) go to
/// `out`, figures to `rep`. Err: the lines are incomplete.
pub fn check(
    img: &Image<'_>,
    lines: &Lines,
    rep: &mut BatchReport,
    out: &mut Vec<Mismatch>,
) -> Result<(), String> {
    let n = img.rows.len();
    let input = |row: usize| {
        img.rows[row]
            .iter()
            .map(|v| format!("0x{:08x}", v.to_bits()))
            .collect::<Vec<_>>()
    };
    for (i, &b) in BLOCKS.iter().enumerate() {
        let block = if b == 0 { n } else { b };
        let Some(&(got_block, calls, hash)) = lines.summaries.get(i) else {
            return Err(format!(
                "the harness printed no batch summary for blocks of {block} rows"
            ));
        };
        if got_block != block || calls != n.div_ceil(block) as u64 {
            return Err(format!(
                "batch summary {} is for blocks of {got_block} rows in {calls} calls; \
                 expected blocks of {block} rows in {} calls",
                i + 1,
                n.div_ceil(block)
            ));
        }
        rep.block_sizes.push(block);
        rep.calls += calls;
        let mut want_bits: Vec<u32> = Vec::new();
        for start in (0..n).step_by(block) {
            let end = (start + block).min(n);
            let want = img.want_status(start, end);
            let got = lines
                .refused
                .iter()
                .find(|&&(p, s, _)| p == i && s == start)
                .map_or(0, |&(_, _, st)| st);
            if got != 0 {
                rep.refused_calls += 1;
            }
            if got != want {
                rep.mismatch_count += 1;
                out.push(Mismatch {
                    row: img.offset + start,
                    output: None,
                    expected: format!("status {want}"),
                    got: format!("status {got}"),
                    ulps: None,
                    input: input(start),
                    block: Some(block),
                });
            }
            for row in start..end {
                if want == 0 {
                    want_bits.extend_from_slice(&img.expected[row]);
                } else {
                    want_bits.extend(std::iter::repeat_n(FILL, img.expected[row].len()));
                }
            }
        }
        if let Some(&(_, start, _)) = lines
            .refused
            .iter()
            .find(|&&(p, s, _)| p == i && (s % block != 0 || s >= n))
        {
            return Err(format!(
                "the harness reports a refused call at row {start} for blocks of {block} rows, \
                 which is no block start"
            ));
        }
        if let Some(d) = lines.differs.iter().find(|d| d.0 == i && d.1 >= n) {
            return Err(format!(
                "the harness reports row {} for blocks of {block} rows; the image has {n}",
                d.1
            ));
        }
        for &(_, row, k, got, single) in lines.differs.iter().filter(|d| d.0 == i) {
            let start = row - row % block;
            let want = if img.want_status(start, (start + block).min(n)) == 0 {
                img.expected.get(row).and_then(|e| e.get(k)).copied()
            } else {
                Some(FILL)
            };
            rep.mismatch_count += 1;
            let d = want.map_or(u32::MAX, |w| {
                crate::ir::mathfn::ulp_distance(f32::from_bits(w), f32::from_bits(got))
            });
            out.push(Mismatch {
                row: img.offset + row,
                output: Some(k),
                expected: want.map_or_else(|| format!("0x{single:08x}"), |w| format!("0x{w:08x}")),
                got: format!("0x{got:08x}"),
                ulps: (d != u32::MAX).then_some(d),
                input: input(row),
                block: Some(block),
            });
        }
        let any_differs = lines.differs.iter().any(|d| d.0 == i);
        if hash != fnv1a(want_bits.iter()) && !any_differs {
            // Batch equal to the single-row calls but not to the
            // reference: the single-row mismatches already name the rows;
            // counted here once more so the batch figure is not clean.
            rep.mismatch_count += 1;
        }
    }
    Ok(())
}

/// Distinct block sizes in first-seen order, as `1, 7, 250`.
pub fn block_list(sizes: &[usize]) -> String {
    let mut seen: Vec<usize> = Vec::new();
    for &b in sizes {
        if !seen.contains(&b) {
            seen.push(b);
        }
    }
    seen.iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image<'a>(rows: &'a [Vec<f32>], expected: &'a [Vec<u32>]) -> Image<'a> {
        Image {
            offset: 0,
            rows,
            expected,
            reject_nan: true,
        }
    }

    /// What a correct harness prints for `expected` under the reject
    /// policy, computed here from the same rules.
    fn correct_lines(img: &Image<'_>) -> Lines {
        let n = img.rows.len();
        let mut l = Lines::default();
        for b in BLOCKS {
            let block = if b == 0 { n } else { b };
            let mut bits = Vec::new();
            for start in (0..n).step_by(block) {
                let end = (start + block).min(n);
                let st = img.want_status(start, end);
                if st != 0 {
                    l.refused.push((l.summaries.len(), start, st));
                }
                for row in start..end {
                    if st == 0 {
                        bits.extend_from_slice(&img.expected[row]);
                    } else {
                        bits.extend(std::iter::repeat_n(FILL, img.expected[row].len()));
                    }
                }
            }
            l.summaries
                .push((block, n.div_ceil(block) as u64, fnv1a(bits.iter())));
        }
        l
    }

    #[test]
    fn a_differing_output_names_block_row_and_output() {
        let rows: Vec<Vec<f32>> = (0..10).map(|i| vec![i as f32]).collect();
        let expected: Vec<Vec<u32>> = (0..10u32).map(|i| vec![i, i + 100]).collect();
        let img = image(&rows, &expected);
        let mut lines = correct_lines(&img);
        let (mut rep, mut out) = (BatchReport::default(), Vec::new());
        check(&img, &lines, &mut rep, &mut out).expect("complete");
        assert_eq!(rep.mismatch_count, 0);
        assert_eq!(rep.block_sizes, vec![1, 7, 10]);
        assert_eq!(rep.calls, 10 + 2 + 1);
        lines.differs.push((1, 8, 1, 0xdead, 108));
        lines.summaries[1].2 ^= 1;
        let (mut rep, mut out) = (BatchReport::default(), Vec::new());
        check(&img, &lines, &mut rep, &mut out).expect("complete");
        assert_eq!(rep.mismatch_count, 1);
        assert_eq!(
            (out[0].block, out[0].row, out[0].output),
            (Some(7), 8, Some(1))
        );
        assert_eq!(out[0].expected, format!("0x{:08x}", 108));
    }

    #[test]
    fn a_nan_block_must_be_refused_and_an_ok_call_is_a_mismatch() {
        let mut rows: Vec<Vec<f32>> = (0..9).map(|i| vec![i as f32]).collect();
        rows[3][0] = f32::NAN;
        let expected: Vec<Vec<u32>> = (0..9u32).map(|i| vec![i]).collect();
        let img = image(&rows, &expected);
        let mut lines = correct_lines(&img);
        // blocks of 1: row 3; of 7: rows 0..7; whole: all.
        assert_eq!(lines.refused.len(), 3);
        let (mut rep, mut out) = (BatchReport::default(), Vec::new());
        check(&img, &lines, &mut rep, &mut out).expect("complete");
        assert_eq!((rep.mismatch_count, rep.refused_calls), (0, 3));
        lines.refused.remove(1);
        let (mut rep, mut out) = (BatchReport::default(), Vec::new());
        check(&img, &lines, &mut rep, &mut out).expect("complete");
        assert_eq!(rep.mismatch_count, 1);
        assert_eq!(
            (out[0].block, out[0].row, out[0].output),
            (Some(7), 0, None)
        );
    }

    #[test]
    fn missing_or_malformed_lines_are_errors() {
        let rows: Vec<Vec<f32>> = vec![vec![1.0]];
        let expected = vec![vec![1u32]];
        let img = image(&rows, &expected);
        let mut lines = correct_lines(&img);
        lines.summaries.pop();
        let (mut rep, mut out) = (BatchReport::default(), Vec::new());
        assert!(check(&img, &lines, &mut rep, &mut out).is_err());
        let mut l = Lines::default();
        assert_eq!(l.read("R 0 0 00000000"), Ok(false));
        assert_eq!(l.read("Y 7 1 0 zz 00000000"), Err(Malformed));
        assert_eq!(l.read("B 7 2"), Err(Malformed));
        assert_eq!(l.read("B 7 2 0000abcd"), Ok(true));
        assert_eq!(l.summaries, vec![(7, 2, 0xabcd)]);
        assert_eq!(l.read("Y 1 1 0 0000abcd 00000000"), Ok(true));
        assert_eq!(l.differs, vec![(1, 1, 0, 0xabcd, 0)]);
    }
}
