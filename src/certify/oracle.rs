//! The framework oracle: the model's own framework's predictions of the
//! verification vectors (written by `scripts/oracle.py` from the CSV of
//! `timber vectors`), compared with the reference evaluator.
//!
//! The reference evaluator and the generated C share timber's frontend and
//! IR, so a misread threshold, default direction, base score or link
//! function would make both wrong in the same way and `verify` would still
//! pass. The oracle breaks that common cause: its numbers come from the
//! framework that trained the model, reading the model file itself.
//!
//! Demanded: for every row the framework accepts, every decision equal
//! (the leaf reached in each tree where the framework reports it; the
//! argmax of several outputs; the class of a single probability or the
//! sign of a single margin) and every output within the format's ulp bound
//! ([`ulp_bound`]) of the framework's value rounded to float32. Rows the
//! framework's input checks refuse (empty cells) are counted and named as
//! not compared, never as agreeing.

use crate::audit::layout;
use crate::audit::record::{Requirement, Status};
use crate::ir::mathfn::ulp_distance;
use crate::ir::{Ensemble, Node, PostTransform};
use serde::{Deserialize, Serialize};

/// The predictions file's first line.
pub const MAGIC: &str = "# timber oracle predictions v1";

/// Mismatches listed in full in the evidence (all are counted).
pub const MAX_LISTED: usize = 50;

/// The bound on |reference - framework| per output, in float32 ulps, by
/// model format: the bound the frontends are held to against the
/// frameworks' own predictions on the committed fixtures (float32
/// frameworks -- XGBoost, onnxruntime -- and the double-accumulating ones
/// -- LightGBM, scikit-learn, CatBoost -- whose float64 result is rounded
/// to float32 before counting).
pub fn ulp_bound(format: &str) -> u32 {
    match format {
        "xgboost-json" | "xgboost-ubj" => 4,
        "lightgbm-text" => 4,
        "sklearn-pickle" => 4,
        "catboost-json" => 4,
        "onnx" => 4,
        _ => 4,
    }
}

/// A predictions file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    #[error("{origin}: line {line}: {message}")]
    Malformed {
        origin: String,
        line: usize,
        message: String,
    },
}

/// A parsed predictions file.
#[derive(Debug, Clone)]
pub struct Predictions {
    pub framework: String,
    pub model_sha256: String,
    pub vectors_sha256: String,
    /// Per row: the outputs (None where the framework refused the row).
    pub outputs: Vec<Option<Vec<f64>>>,
    /// Per row: the leaf reached in each tree (None where not given).
    pub leaves: Vec<Option<Vec<u32>>>,
    pub n_outputs: usize,
    pub n_leaf_columns: usize,
}

/// Parse the text of a predictions file; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Predictions, OracleError> {
    let bad = |line: usize, message: String| OracleError::Malformed {
        origin: origin.to_string(),
        line,
        message,
    };
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    if lines.next().map(|(_, l)| l.trim_end()) != Some(MAGIC) {
        return Err(bad(
            1,
            format!("not a predictions file of scripts/oracle.py (its first line is `{MAGIC}`)"),
        ));
    }
    let mut meta = |key: &str| -> Result<String, OracleError> {
        let (n, l) = lines
            .next()
            .ok_or_else(|| bad(0, format!("ends before the `# {key}:` line")))?;
        l.strip_prefix(&format!("# {key}: "))
            .map(|v| v.trim().to_string())
            .ok_or_else(|| bad(n, format!("expected `# {key}: ...`, found {l:?}")))
    };
    let framework = meta("framework")?;
    let model_sha256 = meta("model sha256")?;
    let vectors_sha256 = meta("vectors sha256")?;
    let (hn, header) = lines
        .next()
        .ok_or_else(|| bad(5, "no header line `row,y0,...`".into()))?;
    let cols: Vec<&str> = header.split(',').collect();
    if cols.first() != Some(&"row") {
        return Err(bad(
            hn,
            format!("the header starts with `row`, found {header:?}"),
        ));
    }
    let n_outputs = cols.iter().filter(|c| c.starts_with('y')).count();
    let n_leaf_columns = cols.iter().filter(|c| c.starts_with('t')).count();
    for (i, c) in cols.iter().enumerate().skip(1) {
        let want = if i <= n_outputs {
            format!("y{}", i - 1)
        } else {
            format!("t{}", i - 1 - n_outputs)
        };
        if *c != want {
            return Err(bad(
                hn,
                format!("column {}: expected `{want}`, found `{c}`", i + 1),
            ));
        }
    }
    if n_outputs == 0 {
        return Err(bad(hn, "no output column `y0`".into()));
    }
    let mut outputs = Vec::new();
    let mut leaves = Vec::new();
    for (n, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = l.split(',').collect();
        if cells.len() != cols.len() {
            return Err(bad(
                n,
                format!("{} cells, the header has {}", cells.len(), cols.len()),
            ));
        }
        let row: usize = cells[0]
            .parse()
            .map_err(|_| bad(n, format!("column row: {:?} is not a row number", cells[0])))?;
        if row != outputs.len() {
            return Err(bad(n, format!("row {row}, expected row {}", outputs.len())));
        }
        let ys = &cells[1..=n_outputs];
        outputs.push(if ys.iter().all(|c| c.is_empty()) {
            None
        } else {
            let mut v = Vec::with_capacity(n_outputs);
            for (j, c) in ys.iter().enumerate() {
                v.push(
                    c.parse::<f64>()
                        .map_err(|_| bad(n, format!("column y{j}: {c:?} is not a number")))?,
                );
            }
            Some(v)
        });
        let ts = &cells[1 + n_outputs..];
        leaves.push(if ts.is_empty() || ts.iter().all(|c| c.is_empty()) {
            None
        } else {
            let mut v = Vec::with_capacity(ts.len());
            for (j, c) in ts.iter().enumerate() {
                v.push(
                    c.parse::<u32>()
                        .map_err(|_| bad(n, format!("column t{j}: {c:?} is not a leaf index")))?,
                );
            }
            Some(v)
        });
    }
    Ok(Predictions {
        framework,
        model_sha256,
        vectors_sha256,
        outputs,
        leaves,
        n_outputs,
        n_leaf_columns,
    })
}

/// One disagreement between the framework and the reference evaluator.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mismatch {
    pub row: usize,
    /// `output`, `decision` or `leaf`.
    pub kind: String,
    /// The output index, or the tree index for a leaf.
    pub index: usize,
    pub framework: String,
    pub reference: String,
    /// For outputs: the distance in float32 ulps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ulps: Option<u32>,
}

/// The comparison, as written to the bundle (`oracle/comparison.json`),
/// and read back by `audit::requirements` to derive the oracle row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OracleReport {
    pub schema_version: u32,
    pub framework: String,
    pub model_sha256: String,
    pub vectors_sha256: String,
    pub rows: usize,
    /// Rows whose outputs the framework gave (and were compared).
    pub rows_compared: usize,
    /// Rows the framework refused (no outputs): not compared.
    pub rows_refused: Vec<usize>,
    /// Rows whose leaf indices the framework gave (and were compared).
    pub leaf_rows_compared: usize,
    pub trees_compared: usize,
    pub ulp_bound: u32,
    pub max_ulps: u32,
    pub decisions_compared: usize,
    pub mismatch_count: usize,
    /// Every row with at least one mismatch, ascending.
    pub mismatch_rows: Vec<usize>,
    /// The first [`MAX_LISTED`] mismatches.
    pub mismatches: Vec<Mismatch>,
}

impl OracleReport {
    pub fn passed(&self) -> bool {
        self.mismatch_count == 0 && self.rows_compared > 0
    }

    /// One line for the requirement table.
    pub fn measured(&self) -> String {
        let refused = if self.rows_refused.is_empty() {
            String::new()
        } else {
            format!(
                "; {} rows the framework refuses, not compared (rows {})",
                self.rows_refused.len(),
                list(&self.rows_refused, 8)
            )
        };
        if self.mismatch_count == 0 {
            let leaves = if self.leaf_rows_compared == 0 {
                " (the framework reports no leaf indices)".to_string()
            } else {
                format!(
                    ", leaves of {} trees in {} rows",
                    self.trees_compared, self.leaf_rows_compared
                )
            };
            format!(
                "{}: {}/{} rows compared: decisions equal{}, outputs within {} ulp (max {}){}",
                self.framework,
                self.rows_compared,
                self.rows,
                leaves,
                self.ulp_bound,
                self.max_ulps,
                refused
            )
        } else {
            let first: Vec<String> = self
                .mismatches
                .iter()
                .take(3)
                .map(|m| {
                    format!(
                        "row {} {} {}: framework {} reference {}",
                        m.row, m.kind, m.index, m.framework, m.reference
                    )
                })
                .collect();
            format!(
                "{}: {} mismatches in {} rows: {} ({}){}",
                self.framework,
                self.mismatch_count,
                self.mismatch_rows.len(),
                list(&self.mismatch_rows, 10),
                first.join("; "),
                refused
            )
        }
    }
}

fn list(v: &[usize], max: usize) -> String {
    let mut s: Vec<String> = v.iter().take(max).map(|r| r.to_string()).collect();
    if v.len() > max {
        s.push(format!("... {} more", v.len() - max));
    }
    s.join(", ")
}

/// Why a predictions file does not belong to this run (bad input).
#[derive(Debug, thiserror::Error)]
pub enum Provenance {
    #[error("{origin}: line 3: made from a model with sha256 {found}, but the certified model's is {expected}; rerun scripts/oracle.py on this model")]
    Model {
        origin: String,
        found: String,
        expected: String,
    },
    #[error("{origin}: line 4: made from vectors with sha256 {found}, but this run's vectors have {expected}; rerun `timber vectors` with the same --seed and --random-rows, then scripts/oracle.py")]
    Vectors {
        origin: String,
        found: String,
        expected: String,
    },
    #[error("{origin}: {found} rows, but this run has {expected} vectors")]
    Rows {
        origin: String,
        found: usize,
        expected: usize,
    },
    #[error("{origin}: line 5: {found} output columns, but the model has {expected} outputs")]
    Outputs {
        origin: String,
        found: usize,
        expected: usize,
    },
    #[error("{origin}: line 5: {found} leaf columns, but the model has {expected} trees")]
    Leaves {
        origin: String,
        found: usize,
        expected: usize,
    },
}

/// Check that `p` was made from this model and these vectors.
pub fn check_provenance(
    p: &Predictions,
    origin: &str,
    ens: &Ensemble,
    model_sha256: &str,
    vectors_sha256: &str,
    n_rows: usize,
) -> Result<(), Provenance> {
    if p.model_sha256 != model_sha256 {
        return Err(Provenance::Model {
            origin: origin.into(),
            found: p.model_sha256.clone(),
            expected: model_sha256.into(),
        });
    }
    if p.vectors_sha256 != vectors_sha256 {
        return Err(Provenance::Vectors {
            origin: origin.into(),
            found: p.vectors_sha256.clone(),
            expected: vectors_sha256.into(),
        });
    }
    if p.outputs.len() != n_rows {
        return Err(Provenance::Rows {
            origin: origin.into(),
            found: p.outputs.len(),
            expected: n_rows,
        });
    }
    if p.n_outputs != ens.n_outputs() as usize {
        return Err(Provenance::Outputs {
            origin: origin.into(),
            found: p.n_outputs,
            expected: ens.n_outputs() as usize,
        });
    }
    // A framework may leave out trees that decide nothing (CatBoost's
    // constant bias tree, which timber appends as a single leaf).
    let deciding = ens
        .trees
        .iter()
        .filter(|t| !matches!(t.nodes.first(), Some(Node::Leaf(_))))
        .count();
    if p.n_leaf_columns != 0 && (p.n_leaf_columns > ens.trees.len() || p.n_leaf_columns < deciding)
    {
        return Err(Provenance::Leaves {
            origin: origin.into(),
            found: p.n_leaf_columns,
            expected: ens.trees.len(),
        });
    }
    Ok(())
}

/// The decision a set of outputs stands for: the first largest output of
/// several; for one output, the class of a probability (> 0.5), the value
/// itself for class indices and hinge outputs, else the sign.
fn decision(post: PostTransform, ys: &[f64]) -> i64 {
    if ys.len() > 1 {
        let mut best = 0usize;
        for (i, y) in ys.iter().enumerate() {
            if *y > ys[best] {
                best = i;
            }
        }
        return best as i64;
    }
    let y = ys.first().copied().unwrap_or(0.0);
    match post {
        PostTransform::Sigmoid | PostTransform::SymmetricSigmoid => i64::from(y > 0.5),
        PostTransform::ArgMax | PostTransform::Hinge => y as i64,
        _ => i64::from(y > 0.0) - i64::from(y < 0.0),
    }
}

/// Compare the framework's predictions with the reference evaluator on
/// `rows` (the vectors, in order; provenance already checked).
pub fn compare(ens: &Ensemble, rows: &[Vec<f32>], p: &Predictions) -> OracleReport {
    let bound = ulp_bound(&ens.source.format);
    let mut report = OracleReport {
        schema_version: 1,
        framework: p.framework.clone(),
        model_sha256: p.model_sha256.clone(),
        vectors_sha256: p.vectors_sha256.clone(),
        rows: rows.len(),
        rows_compared: 0,
        rows_refused: Vec::new(),
        leaf_rows_compared: 0,
        trees_compared: p.n_leaf_columns,
        ulp_bound: bound,
        max_ulps: 0,
        decisions_compared: 0,
        mismatch_count: 0,
        mismatch_rows: Vec::new(),
        mismatches: Vec::new(),
    };
    let found = |m: Mismatch, r: &mut OracleReport| {
        r.mismatch_count += 1;
        if r.mismatch_rows.last() != Some(&m.row) {
            r.mismatch_rows.push(m.row);
        }
        if r.mismatches.len() < MAX_LISTED {
            r.mismatches.push(m);
        }
    };
    for (i, row) in rows.iter().enumerate() {
        if let Some(Some(fw_leaves)) = p.leaves.get(i) {
            report.leaf_rows_compared += 1;
            for (t, (tree, &want)) in ens.trees.iter().zip(fw_leaves).enumerate() {
                let got = tree.nodes[crate::ir::eval::leaf_index(tree, row) as usize].source_id();
                if got != want {
                    found(
                        Mismatch {
                            row: i,
                            kind: "leaf".into(),
                            index: t,
                            framework: want.to_string(),
                            reference: got.to_string(),
                            ulps: None,
                        },
                        &mut report,
                    );
                }
            }
        }
        let Some(Some(fw)) = p.outputs.get(i) else {
            report.rows_refused.push(i);
            continue;
        };
        report.rows_compared += 1;
        let ours = crate::ir::evaluate(ens, row);
        for (o, (&y, &f)) in ours.iter().zip(fw).enumerate() {
            let d = ulp_distance(y, f as f32);
            report.max_ulps = report.max_ulps.max(d);
            if d > bound {
                found(
                    Mismatch {
                        row: i,
                        kind: "output".into(),
                        index: o,
                        framework: format!("{f:?}"),
                        reference: format!("{y:?}"),
                        ulps: Some(d),
                    },
                    &mut report,
                );
            }
        }
        let ours64: Vec<f64> = ours.iter().map(|v| f64::from(*v)).collect();
        let (a, b) = (
            decision(ens.post_transform, fw),
            decision(ens.post_transform, &ours64),
        );
        report.decisions_compared += 1;
        if a != b {
            found(
                Mismatch {
                    row: i,
                    kind: "decision".into(),
                    index: 0,
                    framework: a.to_string(),
                    reference: b.to_string(),
                    ulps: None,
                },
                &mut report,
            );
        }
    }
    report
}

/// The `oracle` row of the requirement table: None when the profile does
/// not demand it and no predictions were given.
pub fn requirement(
    report: Option<&OracleReport>,
    demanded: bool,
    model: &str,
) -> Option<Requirement> {
    let (measured, status, evidence) = match report {
        Some(r) => (
            r.measured(),
            Status::from_bool(r.passed()),
            vec![
                layout::ORACLE_PREDICTIONS.to_string(),
                layout::ORACLE_COMPARISON.to_string(),
            ],
        ),
        None if demanded => (
            format!(
                "no framework predictions given (--oracle): this level demands them; {}",
                how_to(model)
            ),
            Status::Fail,
            Vec::new(),
        ),
        None => return None,
    };
    Some(Requirement {
        id: "oracle".into(),
        title: "Agreement with the model's own framework (oracle)".into(),
        demanded: "for every row the framework accepts: every decision equal (leaf per tree where reported, argmax, class or sign), every output within the format's ulp bound".into(),
        measured,
        status,
        evidence,
    })
}

/// The two commands that produce the predictions for `model`.
pub fn how_to(model: &str) -> String {
    format!(
        "make it with `timber vectors {model} --out vectors.csv` and `python3 scripts/oracle.py {model} vectors.csv --out predictions.csv`, then pass --oracle predictions.csv"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_file_is_refused_naming_the_line() {
        let e = parse("row,y0\n0,1\n", "p.csv").unwrap_err().to_string();
        assert!(e.contains("p.csv: line 1"), "{e}");
        let head = format!("{MAGIC}\n# framework: x 1\n# model sha256: a\n# vectors sha256: b\n");
        let e = parse(&format!("{head}row,y0,t0\n0,abc,1\n"), "p.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 6: column y0"), "{e}");
        let e = parse(&format!("{head}row,y1\n"), "p.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 5: column 2: expected `y0`"), "{e}");
        let p = parse(&format!("{head}row,y0,t0\n0,0.5,3\n1,,\n"), "p.csv").expect("parses");
        assert_eq!(p.outputs, vec![Some(vec![0.5]), None]);
        assert_eq!(p.leaves, vec![Some(vec![3]), None]);
        assert_eq!(p.framework, "x 1");
    }

    #[test]
    fn decisions_follow_the_link_function() {
        assert_eq!(decision(PostTransform::Sigmoid, &[0.51]), 1);
        assert_eq!(decision(PostTransform::Sigmoid, &[0.5]), 0);
        assert_eq!(decision(PostTransform::Identity, &[-2.0]), -1);
        assert_eq!(decision(PostTransform::Softmax, &[0.2, 0.5, 0.3]), 1);
        assert_eq!(decision(PostTransform::ArgMax, &[2.0]), 2);
    }
}
