//! How every guideline the level requires is covered: checked by timber's
//! rule checker, shown by construction with a named test, reviewed, or
//! deviated; derived from the bundle's `check/plan.json` (effective
//! categories, enforcement, which deviations the profile permits),
//! `check/compliance.json` (the checker's status per guideline) and
//! `check/review.toml` (the review record, [`super::review`]).
//!
//! MISRA Compliance:2020 asks that every mandatory and required guideline
//! be shown compliant or be deviated; the misra row passes only when none is
//! left uncovered. Mandatory guidelines cannot be deviated.

use serde::Deserialize;
use std::collections::BTreeMap;

use super::layout;
use super::record::{CheckSummary, GuidelineCoverage, NotCovered, Requirement, Status};
use super::requirements::{read, EvidenceError};
use super::review::{self, Verdict};
use crate::profile::{AdvisoryPolicy, Profile};

#[derive(Deserialize)]
struct Plan {
    advisory: String,
    guidelines: Vec<PlanGuideline>,
}

#[derive(Deserialize)]
struct PlanGuideline {
    id: String,
    effective_category: String,
    enforcement: String,
    deviation_permitted: bool,
}

#[derive(Deserialize)]
struct Compliance {
    summary: Vec<ComplianceGuideline>,
}

#[derive(Deserialize)]
struct ComplianceGuideline {
    id: String,
    status: String,
    violations: usize,
}

/// Who stands behind the record in the bundle.
pub fn record_owner(text: &[u8], record: &review::Record) -> String {
    if review::is_shipped(text) {
        format!(
            "timber's shipped record ({}), not countersigned by the user's reviewer",
            review::SHIPPED_PATH
        )
    } else {
        format!(
            "the user's record{} (reviewers: {})",
            if record.owner.is_empty() {
                String::new()
            } else {
                format!(" of {}", record.owner)
            },
            record.reviewers().join(", ")
        )
    }
}

/// The coverage of every required guideline, from the bundle files.
pub fn coverage(files: &BTreeMap<String, Vec<u8>>) -> Result<GuidelineCoverage, EvidenceError> {
    let plan: Plan = read(files, layout::CHECK_PLAN)?;
    let compliance: Compliance = read(files, layout::CHECK_SUMMARY)?;
    let text = files
        .get(layout::CHECK_REVIEW)
        .ok_or_else(|| EvidenceError {
            file: layout::CHECK_REVIEW.into(),
            message: "missing: the misra row is derived from the review record".into(),
        })?;
    let catalogue = crate::check::catalogue::guidelines().map_err(|e| EvidenceError {
        file: layout::CHECK_REVIEW.into(),
        message: format!("the rule catalogue: {e}"),
    })?;
    let utf8 = std::str::from_utf8(text).map_err(|e| EvidenceError {
        file: layout::CHECK_REVIEW.into(),
        message: format!("not UTF-8: {e}"),
    })?;
    let record =
        review::parse(utf8, layout::CHECK_REVIEW, &catalogue).map_err(|e| EvidenceError {
            file: layout::CHECK_REVIEW.into(),
            message: format!("line {}: {}: {}", e.line, e.field, e.message),
        })?;
    let status: BTreeMap<&str, &ComplianceGuideline> = compliance
        .summary
        .iter()
        .map(|g| (g.id.as_str(), g))
        .collect();
    let mut out = GuidelineCoverage {
        record: record_owner(text, &record),
        required: 0,
        tool: 0,
        construction: 0,
        reviewed: 0,
        deviated: 0,
        not_covered: Vec::new(),
    };
    for g in &plan.guidelines {
        let required = match g.effective_category.as_str() {
            "mandatory" | "required" => true,
            "advisory" => plan.advisory == "required",
            _ => false,
        };
        if !required
            || status
                .get(g.id.as_str())
                .is_some_and(|s| s.status == "disapplied")
        {
            continue;
        }
        out.required += 1;
        let mut gap = |why: String| {
            out.not_covered.push(NotCovered {
                id: g.id.clone(),
                category: g.effective_category.clone(),
                why,
            })
        };
        if g.enforcement == "checker" {
            match status
                .get(g.id.as_str())
                .map(|s| (s.status.as_str(), s.violations))
            {
                Some(("compliant", _)) => out.tool += 1,
                Some(("deviated", _)) => out.deviated += 1,
                Some(("violations", n)) => gap(format!("{n} undeviated findings")),
                other => gap(format!(
                    "the checker's status is {}",
                    other.map_or("missing", |s| s.0)
                )),
            }
            continue;
        }
        let Some(e) = record.entries.get(&g.id) else {
            gap("no entry in the review record".into());
            continue;
        };
        match e.verdict {
            Verdict::Compliant if g.enforcement == "by-construction" => {
                if e.tests().is_empty() {
                    gap(format!(
                        "enforced by construction, but the entry (line {}) names no test",
                        e.line
                    ));
                } else {
                    out.construction += 1;
                }
            }
            Verdict::Compliant | Verdict::NotApplicable => out.reviewed += 1,
            Verdict::Deviated if g.effective_category == "mandatory" => {
                gap("a mandatory guideline cannot be deviated".into())
            }
            Verdict::Deviated if !g.deviation_permitted => {
                gap("the profile does not permit deviating it".into())
            }
            Verdict::Deviated => out.deviated += 1,
        }
    }
    Ok(out)
}

/// The misra row: no undeviated mandatory or required finding, no parse
/// issue, and every guideline the level requires covered. Stores the
/// coverage in `check.coverage` for the report.
pub fn row(
    profile: &Profile,
    files: &BTreeMap<String, Vec<u8>>,
    check: &mut CheckSummary,
    parse_issues: usize,
) -> Result<Requirement, EvidenceError> {
    let cov = coverage(files)?;
    let gaps: Vec<String> = cov
        .not_covered
        .iter()
        .map(|g| format!("{} ({})", g.id, g.why))
        .collect();
    let measured = format!(
        "{} guidelines required: {} checked by the tool, {} by construction, {} reviewed, {} \
         deviated, {} not covered{}; {} files checked: {} findings, {} failing, {} deviated{}; \
         record: {}",
        cov.required,
        cov.tool,
        cov.construction,
        cov.reviewed,
        cov.deviated,
        cov.not_covered.len(),
        if gaps.is_empty() {
            String::new()
        } else {
            format!(" ({})", gaps.join("; "))
        },
        check.files,
        check.findings,
        check.failing,
        check.deviated,
        if parse_issues == 0 {
            String::new()
        } else {
            format!(", {parse_issues} parse issues")
        },
        cov.record
    );
    let ok = check.failing == 0 && parse_issues == 0 && cov.not_covered.is_empty();
    check.coverage = Some(cov);
    Ok(Requirement {
        id: "misra".into(),
        title: "MISRA C:2012 compliance of the generated C".into(),
        demanded: format!(
            "every mandatory and required guideline{} checked by the tool, shown by construction \
             with a named test, reviewed, or deviated; no undeviated mandatory or required finding",
            match profile.requirements.advisory {
                AdvisoryPolicy::Advisory => "",
                AdvisoryPolicy::Required => " (advisory ones re-categorised as required)",
            }
        ),
        measured,
        status: Status::from_bool(ok),
        evidence: vec![
            layout::CHECK_SARIF.into(),
            layout::CHECK_SUMMARY.into(),
            layout::CHECK_PLAN.into(),
            layout::CHECK_REVIEW.into(),
        ],
    })
}
