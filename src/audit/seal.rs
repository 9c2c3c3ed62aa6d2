//! The last step of writing a bundle: the files that follow from all the
//! others. Given the evidence files and the certification record, add the
//! in-toto attestations, `certification.json` and `report.html`.
//!
//! `certify` seals the bundle it has just assembled; `audit merge` seals
//! the union of partial bundles with the same function, which is why a
//! merged bundle is byte for byte the bundle of one run.

use std::collections::BTreeMap;

use serde::Serialize;

use super::layout;
use super::provenance::{self, Subject};
use super::record::Certification;
use crate::frontend::sha256_hex;

/// Why a bundle could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("serialising {file}")]
    Json {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("rendering {}", layout::REPORT_HTML)]
    Report(#[source] super::report::ReportError),
}

/// Pretty JSON with a trailing newline: the one form every bundle JSON has.
pub fn json_bytes<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(s.into_bytes())
}

/// Whether `path` is written by [`seal`] (and so rewritten, never merged).
pub fn is_sealed_file(path: &str) -> bool {
    path == layout::CERTIFICATION
        || path == layout::REPORT_HTML
        || path == layout::PROVENANCE
        || path == layout::TEST_RESULT
}

/// Add the attestations, `certification.json` and `report.html` to
/// `bundle` (bundle path -> bytes). `embedded`: the embedded inputs'
/// hashes (toolchain.json's `embedded`); `timber_binary`: the sha256 of
/// the timber executable, when known.
pub fn seal(
    bundle: &mut BTreeMap<String, Vec<u8>>,
    cert: &Certification,
    embedded: &BTreeMap<String, String>,
    timber_binary: Option<&str>,
) -> Result<(), SealError> {
    let json = |file: &str, v: &serde_json::Value| {
        json_bytes(v).map_err(|source| SealError::Json {
            file: file.to_string(),
            source,
        })
    };
    // Attestations: subjects are the generated artefacts.
    let subjects: Vec<Subject> = bundle
        .iter()
        .filter(|(p, _)| p.starts_with(&format!("{}/", layout::SOURCES_DIR)) || *p == layout::IR)
        .map(|(p, b)| Subject {
            name: p.clone(),
            sha256: sha256_hex(b),
        })
        .collect();
    let mut deps = vec![Subject {
        name: cert.model.file_name.clone(),
        sha256: cert.model.sha256.clone(),
    }];
    deps.extend(embedded.iter().map(|(k, v)| Subject {
        name: k.clone(),
        sha256: v.clone(),
    }));
    if let Some(h) = timber_binary {
        deps.push(Subject {
            name: "timber".into(),
            sha256: h.to_string(),
        });
    }
    let evidence: Vec<Subject> = bundle
        .iter()
        .filter(|(p, _)| {
            p.starts_with("check/")
                || p.starts_with("build/")
                || p.starts_with("verify/")
                || p.starts_with("coverage/")
                || p.starts_with("oracle/")
                || *p == layout::RESOURCES
                || *p == layout::TIMING
        })
        .map(|(p, b)| Subject {
            name: p.clone(),
            sha256: sha256_hex(b),
        })
        .collect();
    let prov = json(
        layout::PROVENANCE,
        &provenance::provenance(cert, &subjects, &deps, embedded),
    )?;
    bundle.insert(layout::PROVENANCE.to_string(), prov);
    let test = json(
        layout::TEST_RESULT,
        &provenance::test_result(cert, &subjects, &evidence),
    )?;
    bundle.insert(layout::TEST_RESULT.to_string(), test);
    let record = json_bytes(cert).map_err(|source| SealError::Json {
        file: layout::CERTIFICATION.to_string(),
        source,
    })?;
    bundle.insert(layout::CERTIFICATION.to_string(), record);
    let html = super::report::render_html(cert).map_err(SealError::Report)?;
    bundle.insert(layout::REPORT_HTML.to_string(), html.into_bytes());
    Ok(())
}
