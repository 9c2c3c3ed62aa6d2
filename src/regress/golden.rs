//! Golden records: input rows and the output bits accepted for them.
//!
//! Why: a regression run in a HIL pipeline must compare today's outputs
//! with the outputs of the last accepted release, not with today's
//! reference evaluator (which changes together with the model or the
//! generator). The record is the very file an audit bundle already keeps,
//! `verify/vectors.json`, so an earlier bundle is a golden as it stands and
//! `timber verify --write-golden` writes the same shape:
//!
//! ```json
//! {
//!   "encoding": "IEEE 754 binary32 bits, hex, most significant digit first",
//!   "expected": [["3f1a2b3c"], ...],          // rows x n_outputs
//!   "inputs": [["00000000", "7fc00000", ...], ...],  // rows x n_features
//!   "n_features": 6,
//!   "n_outputs": 1,
//!   "reference_fnv1a": "1a2b3c4d",            // FNV-1a of all expected bits
//!   "rows": 412,
//!   "schema_version": 1
//! }
//! ```
//!
//! Every value is the 8-digit hex of a float32's bits (`0x` prefix
//! accepted), so NaN payloads and signed zeros survive. Reading checks
//! every field and names the file and the field of anything malformed;
//! unknown fields are ignored. `reference_fnv1a` is optional; when it does
//! not match the expected bits the record was edited after it was written,
//! which [`Golden::hash_matches`] reports (the comparison still runs, so an
//! edited row shows up as a mismatch naming its row).

use crate::audit::layout;
use crate::ir::{mathfn::ulp_distance, Ensemble};
use crate::verify::{fnv1a, Mismatch, MAX_LISTED_MISMATCHES};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The `schema_version` this timber reads and writes.
pub const GOLDEN_SCHEMA_VERSION: u64 = 1;

/// The `encoding` string of the record.
pub const ENCODING: &str = "IEEE 754 binary32 bits, hex, most significant digit first";

/// A golden record could not be read, is malformed, or does not fit the
/// model.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not valid JSON (line {line}, column {column}): {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A field is missing, malformed, inconsistent, or does not fit the
    /// model; `field` is a path into the record such as `inputs[3][2]`.
    #[error("{path}: field `{field}`: {message}")]
    Field {
        path: PathBuf,
        field: String,
        message: String,
    },
}

/// A golden record in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Golden {
    /// The JSON file it was read from (for a bundle, its
    /// `verify/vectors.json`).
    pub path: PathBuf,
    pub n_features: usize,
    pub n_outputs: usize,
    /// Input rows, `n_features` each.
    pub inputs: Vec<Vec<f32>>,
    /// Accepted output bits, `n_outputs` per row.
    pub expected: Vec<Vec<u32>>,
    /// `reference_fnv1a` as recorded, if present.
    pub recorded_fnv1a: Option<String>,
}

impl Golden {
    /// Record `rows` with the reference evaluator's outputs for `ens`.
    pub fn record(ens: &Ensemble, rows: &[Vec<f32>]) -> Golden {
        let expected = rows
            .iter()
            .map(|r| {
                crate::ir::evaluate(ens, r)
                    .iter()
                    .map(|v| v.to_bits())
                    .collect()
            })
            .collect();
        let mut g = Golden {
            path: PathBuf::new(),
            n_features: ens.n_features as usize,
            n_outputs: ens.n_outputs() as usize,
            inputs: rows.to_vec(),
            expected,
            recorded_fnv1a: None,
        };
        g.recorded_fnv1a = Some(g.fnv1a());
        g
    }

    /// FNV-1a over all expected bits (the `reference_fnv1a` of the record).
    pub fn fnv1a(&self) -> String {
        format!("{:08x}", fnv1a(self.expected.iter().flatten()))
    }

    /// False when `reference_fnv1a` is present and does not match the
    /// expected bits (the record was edited after it was written).
    pub fn hash_matches(&self) -> bool {
        self.recorded_fnv1a
            .as_ref()
            .is_none_or(|h| h.eq_ignore_ascii_case(&self.fnv1a()))
    }

    /// The record as JSON, in the shape of a bundle's `verify/vectors.json`
    /// (keys sorted as there, one row per line so that a changed row is a
    /// one-line change under version control; newline at the end).
    pub fn to_json(&self) -> String {
        fn matrix(rows: impl Iterator<Item = Vec<u32>>) -> String {
            let lines: Vec<String> = rows
                .map(|r| {
                    let cells: Vec<String> = r.iter().map(|b| format!("\"{b:08x}\"")).collect();
                    format!("    [{}]", cells.join(", "))
                })
                .collect();
            if lines.is_empty() {
                "[]".to_string()
            } else {
                format!("[\n{}\n  ]", lines.join(",\n"))
            }
        }
        let inputs = matrix(
            self.inputs
                .iter()
                .map(|r| r.iter().map(|v| v.to_bits()).collect()),
        );
        let expected = matrix(self.expected.iter().cloned());
        let mut s = String::from("{\n");
        let _ = writeln!(s, "  \"encoding\": \"{ENCODING}\",");
        let _ = writeln!(s, "  \"expected\": {expected},");
        let _ = writeln!(s, "  \"inputs\": {inputs},");
        let _ = writeln!(s, "  \"n_features\": {},", self.n_features);
        let _ = writeln!(s, "  \"n_outputs\": {},", self.n_outputs);
        let _ = writeln!(s, "  \"reference_fnv1a\": \"{}\",", self.fnv1a());
        let _ = writeln!(s, "  \"rows\": {},", self.inputs.len());
        let _ = writeln!(s, "  \"schema_version\": {GOLDEN_SCHEMA_VERSION}");
        s.push_str("}\n");
        s
    }

    /// Write the record to `path`.
    pub fn write(&self, path: &Path) -> Result<(), GoldenError> {
        std::fs::write(path, self.to_json()).map_err(|source| GoldenError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Read a golden: an audit bundle directory (its `verify/vectors.json`)
    /// or a record file.
    pub fn read(path: &Path) -> Result<Golden, GoldenError> {
        let file = if path.is_dir() {
            path.join(layout::VECTORS)
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&file).map_err(|source| GoldenError::Read {
            path: file.clone(),
            source,
        })?;
        Golden::parse(&file, &text)
    }

    /// Parse record text; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Golden, GoldenError> {
        let v: Value = serde_json::from_str(text).map_err(|e| GoldenError::Syntax {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let field = |field: &str, message: String| GoldenError::Field {
            path: path.to_path_buf(),
            field: field.to_string(),
            message,
        };
        let Some(obj) = v.as_object() else {
            return Err(field("(top level)", "is not a JSON object".into()));
        };
        let uint = |name: &str| -> Result<u64, GoldenError> {
            match obj.get(name) {
                None => Err(field(name, "is missing".into())),
                Some(x) => x
                    .as_u64()
                    .ok_or_else(|| field(name, format!("is `{x}`, not a non-negative integer"))),
            }
        };
        let version = uint("schema_version")?;
        if version != GOLDEN_SCHEMA_VERSION {
            return Err(field(
                "schema_version",
                format!("is {version}; this timber reads version {GOLDEN_SCHEMA_VERSION}"),
            ));
        }
        if let Some(e) = obj.get("encoding") {
            if e.as_str() != Some(ENCODING) {
                return Err(field(
                    "encoding",
                    format!("is {e}; expected \"{ENCODING}\""),
                ));
            }
        }
        let n_features = uint("n_features")? as usize;
        let n_outputs = uint("n_outputs")? as usize;
        let rows = uint("rows")? as usize;
        if n_outputs == 0 {
            return Err(field("n_outputs", "is 0".into()));
        }
        if rows == 0 {
            return Err(field("rows", "is 0: nothing to compare".into()));
        }
        let inputs = hex_matrix(obj.get("inputs"), "inputs", n_features, rows, &field)?;
        let expected = hex_matrix(obj.get("expected"), "expected", n_outputs, rows, &field)?;
        let recorded_fnv1a = match obj.get("reference_fnv1a") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(x) => return Err(field("reference_fnv1a", format!("is {x}, not a string"))),
        };
        Ok(Golden {
            path: path.to_path_buf(),
            n_features,
            n_outputs,
            inputs: inputs
                .into_iter()
                .map(|r| r.into_iter().map(f32::from_bits).collect())
                .collect(),
            expected,
            recorded_fnv1a,
        })
    }

    /// Check that the record fits a model: same feature and output counts.
    pub fn check_fits(&self, ens: &Ensemble) -> Result<(), GoldenError> {
        let field = |field: &str, message: String| GoldenError::Field {
            path: self.path.clone(),
            field: field.to_string(),
            message,
        };
        if self.n_features != ens.n_features as usize {
            return Err(field(
                "n_features",
                format!(
                    "the golden has {} features per row; the model takes {}",
                    self.n_features, ens.n_features
                ),
            ));
        }
        if self.n_outputs != ens.n_outputs() as usize {
            return Err(field(
                "n_outputs",
                format!(
                    "the golden has {} outputs per row; the model produces {}",
                    self.n_outputs,
                    ens.n_outputs()
                ),
            ));
        }
        Ok(())
    }

    /// The reference evaluator against the record, host-side: the cheap
    /// answer to "did the model change?". Assumes [`Golden::check_fits`].
    pub fn compare_reference(&self, ens: &Ensemble) -> ReferenceComparison {
        let mut c = ReferenceComparison {
            rows: self.inputs.len(),
            ..Default::default()
        };
        let mut all_bits: Vec<u32> = Vec::new();
        for (row, (input, want)) in self.inputs.iter().zip(&self.expected).enumerate() {
            let got = crate::ir::evaluate(ens, input);
            all_bits.extend(got.iter().map(|v| v.to_bits()));
            let mut row_differs = false;
            for (k, (w, g)) in want.iter().zip(&got).enumerate() {
                let g = g.to_bits();
                if *w == g {
                    continue;
                }
                row_differs = true;
                c.outputs_differing += 1;
                if c.first.len() < MAX_LISTED_MISMATCHES {
                    let d = ulp_distance(f32::from_bits(*w), f32::from_bits(g));
                    c.first.push(Mismatch {
                        row,
                        output: Some(k),
                        expected: format!("0x{w:08x}"),
                        got: format!("0x{g:08x}"),
                        ulps: (d != u32::MAX).then_some(d),
                        input: input
                            .iter()
                            .map(|v| format!("0x{:08x}", v.to_bits()))
                            .collect(),
                        block: None,
                    });
                }
            }
            if row_differs {
                c.rows_differing += 1;
            }
        }
        c.reference_fnv1a = format!("{:08x}", fnv1a(all_bits.iter()));
        c
    }

    /// The reference function to hand to [`crate::verify::verify_with`]
    /// with `self.inputs` as the vectors: for each row it returns the
    /// recorded output bits, so every target is compared with the golden.
    ///
    /// `verify_with` passes each row as a slice of the vector it was given,
    /// so the row is found by its address; a row from anywhere else is
    /// looked up by its input bits (the first equal row).
    pub fn expected_lookup(&self) -> impl Fn(&[f32]) -> Vec<f32> + Sync + '_ {
        let by_addr: HashMap<usize, usize> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.as_ptr() as usize, i))
            .collect();
        move |row: &[f32]| {
            let same = |i: usize| {
                self.inputs[i].len() == row.len()
                    && self.inputs[i]
                        .iter()
                        .zip(row)
                        .all(|(a, b)| a.to_bits() == b.to_bits())
            };
            let idx = by_addr
                .get(&(row.as_ptr() as usize))
                .copied()
                .filter(|&i| same(i))
                .or_else(|| (0..self.inputs.len()).find(|&i| same(i)));
            match idx {
                Some(i) => self.expected[i]
                    .iter()
                    .map(|b| f32::from_bits(*b))
                    .collect(),
                // Not a golden row: no outputs, which verify_with reports
                // as an input error rather than comparing anything.
                None => Vec::new(),
            }
        }
    }
}

/// The reference evaluator against a golden record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReferenceComparison {
    pub rows: usize,
    /// Rows where any output bit differs.
    pub rows_differing: usize,
    /// Outputs (row x output) whose bits differ.
    pub outputs_differing: usize,
    /// The first [`MAX_LISTED_MISMATCHES`] differing outputs; `expected` is
    /// the golden, `got` the reference.
    pub first: Vec<Mismatch>,
    /// FNV-1a of the reference's output bits on the golden inputs: a target
    /// whose `output_hash` equals it computes exactly today's reference.
    pub reference_fnv1a: String,
}

impl ReferenceComparison {
    pub fn identical(&self) -> bool {
        self.outputs_differing == 0
    }
}

/// Parse `rows` x `width` hex float bits from `value`, naming `name[i][j]`.
fn hex_matrix(
    value: Option<&Value>,
    name: &str,
    width: usize,
    rows: usize,
    field: &dyn Fn(&str, String) -> GoldenError,
) -> Result<Vec<Vec<u32>>, GoldenError> {
    let Some(value) = value else {
        return Err(field(name, "is missing".into()));
    };
    let Some(arr) = value.as_array() else {
        return Err(field(name, "is not an array of rows".into()));
    };
    if arr.len() != rows {
        return Err(field(
            name,
            format!("has {} rows; field `rows` says {rows}", arr.len()),
        ));
    }
    let count_field = if name == "inputs" {
        "n_features"
    } else {
        "n_outputs"
    };
    let mut out = Vec::with_capacity(arr.len());
    for (i, r) in arr.iter().enumerate() {
        let Some(cells) = r.as_array() else {
            return Err(field(&format!("{name}[{i}]"), "is not an array".into()));
        };
        if cells.len() != width {
            return Err(field(
                &format!("{name}[{i}]"),
                format!(
                    "has {} values; field `{count_field}` says {width}",
                    cells.len()
                ),
            ));
        }
        let mut row = Vec::with_capacity(width);
        for (j, c) in cells.iter().enumerate() {
            let bits = c.as_str().and_then(parse_hex_bits).ok_or_else(|| {
                field(
                    &format!("{name}[{i}][{j}]"),
                    format!("is {c}, not 8 hex digits of float32 bits"),
                )
            })?;
            row.push(bits);
        }
        out.push(row);
    }
    Ok(out)
}

/// `3f800000` or `0x3f800000` -> bits.
fn parse_hex_bits(s: &str) -> Option<u32> {
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if h.len() != 8 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(h, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_text() -> String {
        r#"{"schema_version": 1, "n_features": 2, "n_outputs": 1, "rows": 2,
            "inputs": [["3f800000", "0x7fc00001"], ["00000000", "80000000"]],
            "expected": [["40000000"], ["bf800000"]]}"#
            .to_string()
    }

    #[test]
    fn a_record_parses_bit_exactly_and_round_trips() {
        let g = Golden::parse(Path::new("g.json"), &record_text()).expect("parses");
        assert_eq!(g.inputs[0][1].to_bits(), 0x7fc0_0001);
        assert_eq!(g.inputs[1][1].to_bits(), 0x8000_0000);
        assert_eq!(g.expected, vec![vec![0x4000_0000], vec![0xbf80_0000]]);
        assert!(g.hash_matches());
        let again = Golden::parse(Path::new("g.json"), &g.to_json()).expect("round trip");
        assert_eq!(again.expected, g.expected);
        assert_eq!(
            again.inputs[0][1].to_bits(),
            0x7fc0_0001,
            "NaN payload kept"
        );
        assert!(again.hash_matches());
    }

    #[test]
    fn malformed_records_name_the_file_and_field() {
        let cases = [
            (r#""rows": 2"#, r#""rows": 3"#, "`inputs`"),
            (r#""0x7fc00001""#, r#""0x7fc0001""#, "`inputs[0][1]`"),
            (r#"["bf800000"]"#, r#"["bf800000", "0"]"#, "`expected[1]`"),
            (
                r#""schema_version": 1"#,
                r#""schema_version": 7"#,
                "`schema_version`",
            ),
            (r#""n_outputs": 1,"#, "", "`n_outputs`"),
        ];
        for (from, to, want) in cases {
            let text = record_text().replacen(from, to, 1);
            let e = Golden::parse(Path::new("dir/g.json"), &text)
                .expect_err(to)
                .to_string();
            assert!(
                e.starts_with("dir/g.json: field ") && e.contains(want),
                "{e}"
            );
        }
        let e = Golden::parse(Path::new("g.json"), "{").expect_err("syntax");
        assert!(e.to_string().starts_with("g.json: not valid JSON"), "{e}");
    }

    #[test]
    fn the_lookup_finds_duplicate_rows_by_address() {
        let mut g = Golden::parse(Path::new("g.json"), &record_text()).expect("parses");
        g.inputs[1] = g.inputs[0].clone();
        let look = g.expected_lookup();
        assert_eq!(look(&g.inputs[1])[0].to_bits(), 0xbf80_0000);
        assert_eq!(look(&g.inputs[0])[0].to_bits(), 0x4000_0000);
        let copy = g.inputs[1].clone();
        assert_eq!(look(&copy)[0].to_bits(), 0x4000_0000, "first equal row");
        assert!(look(&[1.0, 2.0]).is_empty());
    }
}
