//! Floating-point exception flags raised by the model on the target.
//!
//! An ordered comparison (`<`, `<=`) with a NaN operand raises the invalid
//! exception; with exception traps enabled (an integrator may enable them
//! to catch faults) every missing feature would then trap. The generated
//! code tests for NaN with the quiet `x != x` first and orders only numbers,
//! and this module checks that on every target whose FPU flags can be read:
//! the harness (qemu/harness.c) clears the cumulative flags before each call
//! and reads them after it, straight from the FPU's status register (MXCSR
//! on x86-64, FPSR on AArch64, FPSCR on Arm VFP and PowerPC, `fflags` on
//! RISC-V), and prints
//!
//! ```text
//! E <row> <flags>                      a single-row call raised invalid or divide-by-zero
//! G <single flags> <batch flags>       the flags all calls raised (hex)
//! G -                                  no readable flags (soft float)
//! ```
//!
//! with the bits 1 invalid, 2 divide-by-zero, 4 overflow, 8 underflow,
//! 16 inexact.
//!
//! Forbidden: invalid and divide-by-zero (neither has a cause in correct
//! generated code: no NaN is compared, nothing is divided by zero; the
//! softmax divides by a sum of at least 1). Allowed and reported: inexact
//! (every rounded sum or product), underflow (exp of a large negative
//! argument gives a subnormal or zero), overflow (a sum of leaf values
//! beyond the float range is the model's own arithmetic, reproduced
//! bit for bit by the reference). Soft-float cores (libgcc's emulation
//! keeps no flags) are reported as not readable, never as clean.

use serde::{Deserialize, Serialize};

/// The flag bits of the harness, with their names, in bit order.
pub const FLAGS: [(u32, &str); 5] = [
    (1, "invalid"),
    (2, "divide-by-zero"),
    (4, "overflow"),
    (8, "underflow"),
    (16, "inexact"),
];

/// Flags no inference may raise.
pub const FORBIDDEN: u32 = 1 | 2;

/// Rows listed by name at most.
pub const MAX_LISTED_ROWS: usize = 20;

/// What the harness printed about exception flags for one image.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lines {
    /// (row within the image, flags) of each single-row call that raised
    /// a forbidden flag.
    pub rows: Vec<(usize, u32)>,
    /// (single-row flags, batch flags), or None after `G -`.
    pub summary: Option<Option<(u32, u32)>>,
}

/// An `E` or `G` line that does not parse.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

impl Lines {
    /// Read one `E` or `G` line; Ok(false) for other tags.
    pub fn read(&mut self, line: &str) -> Result<bool, Malformed> {
        let mut it = line.split_whitespace();
        let tag = it.next();
        let fields: Vec<&str> = it.collect();
        let hex = |s: &str| u32::from_str_radix(s, 16).map_err(|_| Malformed);
        match (tag, fields.as_slice()) {
            (Some("E"), [row, flags]) => {
                let row = row.parse::<usize>().map_err(|_| Malformed)?;
                self.rows.push((row, hex(flags)?));
            }
            (Some("G"), ["-"]) => self.summary = Some(None),
            (Some("G"), [single, batch]) => {
                self.summary = Some(Some((hex(single)?, hex(batch)?)));
            }
            (Some("E" | "G"), _) => return Err(Malformed),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The exception flags on one target, over all its images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FpFlagsReport {
    /// The target's FPU flags can be read (false: soft float, nothing
    /// is claimed).
    pub readable: bool,
    /// Flags raised by the single-row calls, by name, in bit order.
    pub single_raised: Vec<String>,
    /// Flags raised by the batch calls (`timber_infer`), by name.
    pub batch_raised: Vec<String>,
    /// Rows whose single-row call raised invalid or divide-by-zero (the
    /// first [`MAX_LISTED_ROWS`]), with the flags by name.
    pub forbidden_rows: Vec<(usize, Vec<String>)>,
    /// How many rows raised invalid or divide-by-zero.
    pub forbidden_row_count: usize,
}

/// The names of the bits set in `flags`.
pub fn names(flags: u32) -> Vec<String> {
    FLAGS
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect()
}

/// Accumulates the images of one target.
#[derive(Debug, Default)]
pub struct Collect {
    readable: Option<bool>,
    single: u32,
    batch: u32,
    rows: Vec<(usize, u32)>,
}

impl Collect {
    /// Add one image's lines (`offset`: its first row in the whole set).
    /// An image without a `G` line is an error (the harness always prints
    /// one), as is a target that is readable in one image and not another.
    pub fn add(&mut self, lines: &Lines, offset: usize) -> Result<(), String> {
        let readable = match lines.summary {
            None => return Err("the harness printed no exception-flag line (G)".into()),
            Some(None) => false,
            Some(Some((single, batch))) => {
                self.single |= single;
                self.batch |= batch;
                true
            }
        };
        if self.readable.is_some_and(|r| r != readable) {
            return Err("exception flags readable in one image and not in another".into());
        }
        self.readable = Some(readable);
        self.rows
            .extend(lines.rows.iter().map(|(r, f)| (offset + r, *f)));
        Ok(())
    }

    pub fn finish(self) -> FpFlagsReport {
        FpFlagsReport {
            readable: self.readable.unwrap_or(false),
            single_raised: names(self.single),
            batch_raised: names(self.batch),
            forbidden_rows: self
                .rows
                .iter()
                .take(MAX_LISTED_ROWS)
                .map(|(r, f)| (*r, names(*f)))
                .collect(),
            forbidden_row_count: self.rows.len(),
        }
    }
}

impl FpFlagsReport {
    /// No call raised invalid or divide-by-zero (vacuously true when the
    /// flags cannot be read: see [`FpFlagsReport::readable`]).
    pub fn clean(&self) -> bool {
        let forbidden = names(FORBIDDEN);
        self.forbidden_row_count == 0
            && !self
                .single_raised
                .iter()
                .chain(&self.batch_raised)
                .any(|n| forbidden.contains(n))
    }

    /// One line for the text report.
    pub fn summary(&self) -> String {
        if !self.readable {
            return "not readable (soft float: no FPU status flags)".into();
        }
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let mut s = format!(
            "single-row calls raised {}; batch calls raised {}",
            list(&self.single_raised),
            list(&self.batch_raised)
        );
        if self.forbidden_row_count > 0 {
            let rows: Vec<String> = self
                .forbidden_rows
                .iter()
                .map(|(r, f)| format!("row {r} ({})", f.join(", ")))
                .collect();
            s.push_str(&format!(
                "; FORBIDDEN on {} rows: {}",
                self.forbidden_row_count,
                rows.join(", ")
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_collect_over_images() {
        let mut a = Lines::default();
        assert_eq!(a.read("E 3 00000001"), Ok(true));
        assert_eq!(a.read("G 00000019 00000010"), Ok(true));
        assert_eq!(a.read("R 0 0 3f800000"), Ok(false));
        assert_eq!(a.read("E 3"), Err(Malformed));
        let mut b = Lines::default();
        assert_eq!(b.read("G 00000010 00000012"), Ok(true));
        let mut c = Collect::default();
        c.add(&a, 0).unwrap();
        c.add(&b, 100).unwrap();
        let r = c.finish();
        assert!(r.readable);
        assert_eq!(r.single_raised, ["invalid", "underflow", "inexact"]);
        assert_eq!(r.batch_raised, ["divide-by-zero", "inexact"]);
        assert_eq!(r.forbidden_rows, [(3, vec!["invalid".to_string()])]);
        assert!(!r.clean());
        assert!(r.summary().contains("FORBIDDEN on 1 rows: row 3 (invalid)"));
    }

    #[test]
    fn soft_float_is_not_readable_and_a_missing_line_is_an_error() {
        let mut soft = Lines::default();
        soft.read("G -").unwrap();
        let mut c = Collect::default();
        c.add(&soft, 0).unwrap();
        let r = c.finish();
        assert!(!r.readable);
        assert!(r.summary().starts_with("not readable"));
        assert!(Collect::default().add(&Lines::default(), 0).is_err());
        let mut hard = Lines::default();
        hard.read("G 00000000 00000000").unwrap();
        let mut mixed = Collect::default();
        mixed.add(&soft, 0).unwrap();
        assert!(mixed.add(&hard, 10).is_err());
    }

    #[test]
    fn inexact_underflow_and_overflow_are_allowed() {
        let mut l = Lines::default();
        l.read("G 0000001c 0000001c").unwrap();
        let mut c = Collect::default();
        c.add(&l, 0).unwrap();
        assert!(c.finish().clean());
    }
}
