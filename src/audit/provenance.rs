//! in-toto attestations of a certification: a Statement v1 with a SLSA
//! provenance v1 predicate (what was built from what, by which tool and
//! parameters) and a Statement v1 with a test-result predicate (which
//! requirements passed). Subjects are bundle files, named by their bundle
//! path, so `audit verify` can check each digest against the file.
//!
//! No timestamps unless SOURCE_DATE_EPOCH is set (then `startedOn` and
//! `finishedOn` carry that instant), so reruns give the same bytes.

use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::record::{Certification, Status};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const SLSA_PROVENANCE: &str = "https://slsa.dev/provenance/v1";
pub const TEST_RESULT: &str = "https://in-toto.io/attestation/test-result/v0.1";
/// Our build type: a URI naming how to read `externalParameters`.
pub const BUILD_TYPE: &str = "urn:timber:certify:v1";

/// A file of the bundle (or an input) with its sha256.
#[derive(Debug, Clone)]
pub struct Subject {
    pub name: String,
    pub sha256: String,
}

fn descriptors(list: &[Subject]) -> Vec<Value> {
    list.iter()
        .map(|s| json!({"name": s.name, "digest": {"sha256": s.sha256}}))
        .collect()
}

/// The SLSA provenance statement. `subjects`: the generated artefacts
/// (sources and IR); `dependencies`: the model and every embedded input.
pub fn provenance(
    cert: &Certification,
    subjects: &[Subject],
    dependencies: &[Subject],
    embedded: &BTreeMap<String, String>,
) -> Value {
    let mut metadata = json!({
        "invocationId": invocation_id(cert),
    });
    if let Some(ts) = &cert.timestamp {
        metadata["startedOn"] = json!(ts);
        metadata["finishedOn"] = json!(ts);
    }
    json!({
        "_type": STATEMENT_TYPE,
        "subject": descriptors(subjects),
        "predicateType": SLSA_PROVENANCE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "model": cert.model.file_name,
                    "profile": cert.profile.name,
                    "level": cert.profile.level,
                    "nan_policy": cert.options.nan_policy,
                    "seed": cert.options.seed,
                    "random_rows": cert.options.random_rows,
                    "targets": cert.targets.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
                },
                "internalParameters": {
                    "generator": cert.generator,
                    "embedded": embedded,
                },
                "resolvedDependencies": descriptors(dependencies),
            },
            "runDetails": {
                "builder": {
                    "id": format!("urn:timber:{}", cert.generator.replace(' ', ":")),
                },
                "metadata": metadata,
            },
        },
    })
}

/// The test-result statement over the same subjects.
pub fn test_result(cert: &Certification, subjects: &[Subject], configuration: &[Subject]) -> Value {
    let ids = |s: Status| -> Vec<String> {
        cert.requirements
            .iter()
            .filter(|r| r.status == s)
            .map(|r| r.id.clone())
            .collect()
    };
    json!({
        "_type": STATEMENT_TYPE,
        "subject": descriptors(subjects),
        "predicateType": TEST_RESULT,
        "predicate": {
            "result": match cert.verdict { Status::Pass => "PASSED", Status::Fail => "FAILED" },
            "configuration": descriptors(configuration),
            "passedTests": ids(Status::Pass),
            "warnedTests": Vec::<String>::new(),
            "failedTests": ids(Status::Fail),
        },
    })
}

/// A stable id of this invocation: the hash of what determines it.
fn invocation_id(cert: &Certification) -> String {
    let key = format!(
        "{}|{}|{}|{}|{}|{}|{}",
        cert.model.sha256,
        cert.profile.sha256,
        cert.profile.level.as_deref().unwrap_or("-"),
        cert.options.nan_policy,
        cert.options.seed,
        cert.options.random_rows,
        cert.generator
    );
    format!("urn:sha256:{}", crate::frontend::sha256_hex(key.as_bytes()))
}
