//! Is `certification.json` what the bundle's own evidence says?
//!
//! Hashes only show that files were not changed after the manifest and the
//! attestations were written; someone who edits the record and re-hashes
//! both passes them. This check needs no hash: the profile the record names
//! must be the built-in profile of that name with the recorded sha256 (or,
//! for a custom profile, the TOML the bundle carries, with that sha256), and
//! every requirement row, the per-target and coverage figures, the rule
//! check counts and the verdict must equal what
//! [`super::requirements::derive`] (the function certify wrote them with)
//! derives from the evidence files under that profile.

use std::collections::BTreeMap;

use super::layout;
use super::record::{Certification, Requirement};
use super::requirements::{derive, ModelFigures};
use crate::profile::Profile;

/// What the check covered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checked {
    /// The profile re-derived under, e.g. `iso26262 ASIL-D (built-in)`.
    pub profile: String,
    /// Requirement rows re-derived.
    pub rows: usize,
}

/// The profile `cert` names, as this timber has it: a built-in one by name,
/// or the custom profile TOML the bundle carries. Err: why it is not the
/// profile the record says.
pub fn named_profile(
    cert: &Certification,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Profile, String> {
    let p = &cert.profile;
    let catalogue = crate::check::catalogue::guidelines()
        .map_err(|e| format!("the rule catalogue of this timber does not load: {e}"))?;
    let targets = crate::verify::targets::names();
    let def = if p.origin == "builtin" {
        let all = crate::profile::builtin(&catalogue, &targets)
            .map_err(|e| format!("the built-in profiles of this timber do not load: {e}"))?;
        let known: Vec<String> = all.iter().map(|d| d.name().to_string()).collect();
        all.into_iter()
            .find(|d| d.name() == p.name)
            .ok_or_else(|| {
                format!(
                    "profile.name {:?} is not a built-in profile (built-in: {})",
                    p.name,
                    known.join(", ")
                )
            })?
    } else {
        let text = files.get(layout::PROFILE).ok_or_else(|| {
            format!(
                "profile.origin {:?} names a custom profile, but the bundle does not carry its text ({}): the rows cannot be re-derived",
                p.origin,
                layout::PROFILE
            )
        })?;
        let text = std::str::from_utf8(text)
            .map_err(|e| format!("{} is not UTF-8: {e}", layout::PROFILE))?;
        crate::profile::ProfileDef::parse(text, layout::PROFILE, &catalogue, &targets)
            .map_err(|e| e.to_string())?
    };
    let profile = def
        .resolve(p.level.as_deref())
        .map_err(|e| format!("profile.level {:?}: {e}", p.level))?;
    let mut wrong = Vec::new();
    if profile.sha256 != p.sha256 {
        wrong.push(format!(
            "profile.sha256 is {}, but {} has sha256 {}",
            p.sha256,
            if p.origin == "builtin" {
                format!("built-in profile {}", p.name)
            } else {
                layout::PROFILE.to_string()
            },
            profile.sha256
        ));
    }
    if profile.name != p.name {
        wrong.push(format!(
            "profile.name is {:?}, the profile's own name is {:?}",
            p.name, profile.name
        ));
    }
    if profile.level != p.level {
        wrong.push(format!(
            "profile.level is {:?}, the profile resolves it to {:?}",
            p.level, profile.level
        ));
    }
    if profile.standard != p.standard {
        wrong.push(format!(
            "profile.standard is {:?}, the profile says {:?}",
            p.standard, profile.standard
        ));
    }
    if wrong.is_empty() {
        Ok(profile)
    } else {
        Err(wrong.join("; "))
    }
}

/// Check `cert` against the evidence `files` (bundle path -> bytes). Each
/// inconsistency is one message about certification.json; Ok with what was
/// covered when there is none.
pub fn check(
    cert: &Certification,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Checked, Vec<String>> {
    let profile = named_profile(cert, files).map_err(|e| vec![e])?;
    let mut wrong = Vec::new();
    check_recorded_profile_hash(cert, files, &mut wrong);
    if cert.options.nan_policy != profile.numeric.nan_policy {
        wrong.push(format!(
            "options.nan_policy is {:?}, profile {} sets {:?}",
            cert.options.nan_policy,
            profile.label(),
            profile.numeric.nan_policy
        ));
    }
    let derived = derive(&profile, files, &cert.model.file_name)
        .map_err(|e| vec![format!("the requirement rows cannot be re-derived: {e}")])?;
    let recorded = ModelFigures::recorded(&cert.model);
    if recorded != derived.model {
        wrong.push(format!(
            "model is {recorded:?}, {} gives {:?}",
            layout::IR,
            derived.model
        ));
    }
    compare_rows(&cert.requirements, &derived.requirements, &mut wrong);
    if cert.verdict != derived.verdict {
        wrong.push(format!(
            "verdict is {:?}, the re-derived rows give {:?}",
            cert.verdict.as_str(),
            derived.verdict.as_str()
        ));
    }
    if cert.targets != derived.targets {
        let names = |t: &[super::record::TargetSummary]| -> Vec<String> {
            t.iter().map(|t| t.name.clone()).collect()
        };
        let (a, b) = (names(&cert.targets), names(&derived.targets));
        if a != b {
            wrong.push(format!(
                "targets are {a:?}, the evidence (resources.json, verify/) gives {b:?}"
            ));
        } else {
            for (r, e) in cert.targets.iter().zip(&derived.targets) {
                if r != e {
                    wrong.push(format!(
                        "targets entry {:?} differs from the evidence: recorded {}, the evidence gives {}",
                        r.name,
                        json_line(r),
                        json_line(e)
                    ));
                }
            }
        }
    }
    if cert.coverage != derived.coverage {
        wrong.push(format!(
            "coverage is {}, {} gives {}",
            json_line(&cert.coverage),
            layout::COVERAGE,
            json_line(&derived.coverage)
        ));
    }
    if cert.check != derived.check {
        wrong.push(format!(
            "check is {}, {} gives {}",
            json_line(&cert.check),
            layout::CHECK_SUMMARY,
            json_line(&derived.check)
        ));
    }
    if wrong.is_empty() {
        Ok(Checked {
            profile: format!(
                "{} ({})",
                profile.label(),
                if profile.origin == "builtin" {
                    "built-in".to_string()
                } else {
                    layout::PROFILE.to_string()
                }
            ),
            rows: derived.requirements.len(),
        })
    } else {
        Err(wrong)
    }
}

/// toolchain.json records the profile's hash among the embedded inputs: it
/// must be the one certification.json names.
fn check_recorded_profile_hash(
    cert: &Certification,
    files: &BTreeMap<String, Vec<u8>>,
    wrong: &mut Vec<String>,
) {
    let Some(bytes) = files.get(layout::TOOLCHAIN) else {
        return; // a missing toolchain.json fails the bundle row
    };
    let key = if cert.profile.origin == "builtin" {
        "profile (built-in)".to_string()
    } else {
        format!("profile {}", cert.profile.origin)
    };
    let recorded = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.pointer("/embedded").cloned())
        .and_then(|e| e.get(&key).and_then(|h| h.as_str()).map(str::to_string));
    match recorded {
        Some(h) if h == cert.profile.sha256 => {}
        Some(h) => wrong.push(format!(
            "profile.sha256 is {}, {} records {h} for {key:?}",
            cert.profile.sha256,
            layout::TOOLCHAIN
        )),
        None => wrong.push(format!(
            "{} records no hash for {key:?} (embedded.{key:?}), the profile certification.json names",
            layout::TOOLCHAIN
        )),
    }
}

/// Row by row: a missing, an extra, a reordered or a changed row.
fn compare_rows(recorded: &[Requirement], derived: &[Requirement], wrong: &mut Vec<String>) {
    let by_id = |rows: &[Requirement]| -> BTreeMap<String, usize> {
        rows.iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect()
    };
    let (rec, der) = (by_id(recorded), by_id(derived));
    if rec.len() != recorded.len() {
        wrong.push("requirements lists a row id twice".to_string());
    }
    for r in recorded {
        let Some(&i) = der.get(&r.id) else {
            wrong.push(format!(
                "requirement row {:?} is not derived from any evidence of the bundle under this profile (a row that certify did not write)",
                r.id
            ));
            continue;
        };
        let d = &derived[i];
        for (field, a, b) in [
            ("title", &r.title, &d.title),
            ("demanded", &r.demanded, &d.demanded),
            ("measured", &r.measured, &d.measured),
        ] {
            if a != b {
                wrong.push(format!(
                    "requirement row {:?}: {field} is {a:?}, the evidence gives {b:?}",
                    r.id
                ));
            }
        }
        if r.status != d.status {
            wrong.push(format!(
                "requirement row {:?}: status is {:?}, the evidence gives {:?}",
                r.id,
                r.status.as_str(),
                d.status.as_str()
            ));
        }
        if r.evidence != d.evidence {
            wrong.push(format!(
                "requirement row {:?}: evidence is {:?}, certify names {:?}",
                r.id, r.evidence, d.evidence
            ));
        }
    }
    for d in derived {
        if !rec.contains_key(&d.id) {
            wrong.push(format!(
                "requirement row {:?} is missing; the evidence gives: {} (measured {:?}, {})",
                d.id,
                d.title,
                d.measured,
                d.status.as_str()
            ));
        }
    }
    let order = |rows: &[Requirement], other: &BTreeMap<String, usize>| -> Vec<String> {
        rows.iter()
            .filter(|r| other.contains_key(&r.id))
            .map(|r| r.id.clone())
            .collect()
    };
    let (a, b) = (order(recorded, &der), order(derived, &rec));
    if a != b {
        wrong.push(format!(
            "requirement rows are in the order {a:?}, the profile's order is {b:?}"
        ));
    }
}

fn json_line<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| format!("<{e}>"))
}
