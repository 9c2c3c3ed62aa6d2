//! The certification record (`certification.json`): what was certified,
//! under which profile and options, the verdict, and one row per
//! requirement of the profile with the measured figure and the bundle files
//! that hold the evidence. The HTML report and the JUnit file are rendered
//! from this record alone.

use serde::{Deserialize, Serialize};

/// Schema version of `certification.json`.
pub const CERTIFICATION_SCHEMA_VERSION: u32 = 1;

/// Outcome of the whole run or of one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
        }
    }
    pub fn from_bool(ok: bool) -> Status {
        if ok {
            Status::Pass
        } else {
            Status::Fail
        }
    }
}

/// The root record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    pub schema_version: u32,
    /// `timber <version>`.
    pub generator: String,
    pub verdict: Status,
    pub model: ModelInfo,
    pub profile: ProfileInfo,
    pub options: GenerationOptions,
    /// One row per requirement of the profile, in the profile's order.
    pub requirements: Vec<Requirement>,
    /// Per-target figures for tables and charts.
    pub targets: Vec<TargetSummary>,
    pub coverage: Option<CoverageSummary>,
    pub check: CheckSummary,
    /// Set only when SOURCE_DATE_EPOCH was set: RFC 3339, UTC.
    pub timestamp: Option<String>,
}

/// The input model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    /// File name only (never a directory: bundles carry no machine paths).
    pub file_name: String,
    pub sha256: String,
    /// Detected format, e.g. `xgboost-json`.
    pub format: String,
    pub objective: String,
    pub n_trees: usize,
    pub n_nodes: usize,
    pub n_features: u32,
    pub n_outputs: u32,
}

/// The profile and level certified against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInfo {
    /// e.g. `iso26262`.
    pub name: String,
    /// e.g. `ISO 26262-6:2018`.
    pub standard: String,
    /// e.g. `ASIL-D`; None for profiles without levels.
    pub level: Option<String>,
    /// sha256 of the profile TOML as loaded.
    pub sha256: String,
    /// `builtin` or the file name of a custom profile.
    pub origin: String,
}

fn default_layout() -> String {
    "table".to_string()
}

fn default_numeric() -> String {
    "float".to_string()
}

/// Everything that, with the model, determines the generated files and the
/// vectors: `audit verify --model` regenerates from these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationOptions {
    /// `missing` or `reject`.
    pub nan_policy: String,
    /// The code layout generated: `table`, `branches` or `compact` (never
    /// `auto`).
    /// Bundles written before layouts existed have none: `table`.
    #[serde(default = "default_layout")]
    pub layout: String,
    /// `float` or `int` (the comparisons of the tree walk). Bundles written
    /// before the integer mode existed have none: `float`.
    #[serde(default = "default_numeric")]
    pub numeric: String,
    /// Seed and count of the random test vectors.
    pub seed: u64,
    pub random_rows: usize,
}

/// One requirement of the profile and how this run met it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Stable id, e.g. `misra`, `verify:cortex-m4f`, `coverage:branch`,
    /// `stack:cortex-m4f`, `bundle`.
    pub id: String,
    /// One line a human reads, e.g. "Branch coverage of the generated C".
    pub title: String,
    /// What the profile demands, e.g. ">= 100.0 %".
    pub demanded: String,
    /// What was measured, e.g. "100.0 % (212/212)".
    pub measured: String,
    pub status: Status,
    /// Bundle paths holding the evidence.
    pub evidence: Vec<String>,
}

/// Figures of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSummary {
    pub name: String,
    pub description: String,
    /// `pass`, `mismatch`, `does_not_fit`, `build_failed`, `run_failed`: as verify
    /// reports it.
    pub status: String,
    pub rows_run: usize,
    pub mismatches: usize,
    /// Bytes of the model's own code and tables (text + rodata + data).
    pub text: Option<u64>,
    pub rodata: Option<u64>,
    pub data: Option<u64>,
    pub bss: Option<u64>,
    /// Stack per call: the generator's estimate and the measured peak.
    pub stack_estimate: Option<u64>,
    pub stack_measured: Option<u64>,
    pub stack_budget: Option<u64>,
    /// Execution time per call (levels with a timing budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<TimingSummary>,
}

/// Execution time per call of one target (from timing.json).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingSummary {
    /// The static bound (bare-metal targets the analysis accepts).
    pub bound_instructions: Option<u64>,
    pub bound_cycles: Option<u64>,
    pub bound_us: Option<f64>,
    pub clock_mhz: Option<f64>,
    /// Measured instructions per call over the vectors.
    pub measured_max: Option<u64>,
    pub measured_median: Option<u64>,
    pub budget_cycles: u64,
}

/// Structural coverage figures (covered / total).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageSummary {
    /// gcov's line coverage (executable lines).
    pub statement: Ratio,
    /// gcov's branch arcs.
    pub branch: Ratio,
    /// Conditions of the decisions with two or more conditions.
    pub mcdc: Option<Ratio>,
    /// Decisions counted by their number of conditions (with MC/DC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<crate::coverage::DecisionCount>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ratio {
    pub covered: u64,
    pub total: u64,
}

impl Ratio {
    /// Percentage; 100 when there is nothing to cover.
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.total as f64
        }
    }
}

/// The rule check in numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSummary {
    pub files: usize,
    pub guidelines_enforced: usize,
    pub findings: usize,
    /// Mandatory/required findings without a deviation.
    pub failing: usize,
    pub deviated: usize,
    /// How each guideline the level requires is covered (bundles written
    /// before the review record have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<GuidelineCoverage>,
}

/// Every guideline the level requires (mandatory, required, and advisory
/// where the level makes them required; disapplied ones excluded), counted
/// by how it is covered ([`super::misra`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidelineCoverage {
    /// Whose review record the bundle carries.
    pub record: String,
    pub required: usize,
    /// Decided by timber's rule checker with no finding.
    pub tool: usize,
    /// Enforced by construction, the review entry naming the test.
    pub construction: usize,
    /// A review entry: compliant or not applicable.
    pub reviewed: usize,
    /// Deviated (checker findings under deviation records, or a review
    /// entry with verdict deviated the profile permits).
    pub deviated: usize,
    pub not_covered: Vec<NotCovered>,
}

/// A required guideline nothing covers, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotCovered {
    pub id: String,
    pub category: String,
    pub why: String,
}
