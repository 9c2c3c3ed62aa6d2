//! Sharded certification: `timber certify --partial --targets SUBSET`
//! writes one shard (a partial bundle), `timber audit merge PART...` joins
//! the shards into the bundle one run over all their targets writes, byte
//! for byte, verdict included.
//!
//! The merge re-runs nothing. It works from whatever files the parts'
//! manifests list, by rules rather than a list of known files, so evidence
//! files added later merge without this module changing:
//!
//! 1. every part must be an intact partial bundle (`audit verify` finds
//!    nothing but its partialness), no target may be in two parts, and the
//!    parts' `certification.json` must agree on everything that does not
//!    follow from the evidence (model, profile and level, generation
//!    options, timber version, timestamp);
//! 2. a file the parts hold with the same bytes is taken once (IR, sources,
//!    rule check, coverage, vectors, ...);
//! 3. a file only one part holds must be that part's own: its name without
//!    extension is one of the part's targets (`verify/<target>.json`,
//!    `verify/outputs/<target>.txt`, ...);
//! 4. a JSON file every part holds with different bytes is merged value by
//!    value: equal values are kept; objects must have the same keys and are
//!    merged key by key; an array whose elements all belong to a target
//!    (a target name, or an object whose `target` field names one) is the
//!    parts' elements in the run's target order; an array each part keeps
//!    sorted is the sorted union of the parts' elements; any other
//!    difference (a scalar, a key, the embedded template hashes, the timber
//!    binary hash) refuses the merge, naming the file, the field and the two
//!    values;
//! 5. the record, the attestations and the report are derived again from
//!    the merged evidence by the functions certify writes them with
//!    ([`super::requirements::derive`], [`super::seal::seal`]).
//!
//! The run's target order, which the per-target arrays follow, is the one a
//! single `certify --targets` run gives: the profile's own targets first
//! (in the profile's order), then the others in the order of the parts as
//! given (and within a part, in its own order).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::layout;
use super::manifest::Manifest;
use super::ordered_json::Json;
use super::record::Certification;
use super::verify::{verify_bundle, ProblemKind};

/// The schema version of `partial.json`.
pub const PARTIAL_SCHEMA_VERSION: u32 = 1;

/// `partial.json`: what marks a bundle as one shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialRecord {
    pub schema_version: u32,
    /// One line for a human who opens the file.
    pub note: String,
    /// The targets this shard verified, in its order.
    pub targets: Vec<String>,
}

/// The `partial.json` of a shard over `targets`.
pub fn partial_record(targets: &[String]) -> PartialRecord {
    PartialRecord {
        schema_version: PARTIAL_SCHEMA_VERSION,
        note: "one shard of a sharded certification, not a release bundle: join the shards with `timber audit merge`".into(),
        targets: targets.to_vec(),
    }
}

/// Why parts could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The parts are not shards of one run, or a part is not an intact
    /// partial bundle.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Audit(#[from] super::AuditError),
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The merged bundle could not be written or sealed.
    #[error("{0}")]
    Write(String),
}

/// What a merge wrote.
#[derive(Debug)]
pub struct MergeOutcome {
    pub certification: Certification,
    /// sha256 of the merged bundle's manifest.json.
    pub root_sha256: String,
    /// Files in the merged bundle (manifest included).
    pub files: usize,
    /// The targets of the merged bundle, in the run's order.
    pub targets: Vec<String>,
}

/// One part as read.
struct Part {
    name: String,
    targets: Vec<String>,
    cert: Certification,
    files: BTreeMap<String, Vec<u8>>,
}

/// Merge the partial bundles `parts` into a bundle at `out` (which must be
/// absent or empty, or an earlier bundle with `force`).
pub fn merge(parts: &[PathBuf], out: &Path, force: bool) -> Result<MergeOutcome, MergeError> {
    if parts.is_empty() {
        return Err(MergeError::Refused("no partial bundle given".into()));
    }
    let inputs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    super::outdir::check_bundle_out(out, force, &inputs)
        .map_err(|e| MergeError::Refused(e.to_string()))?;
    let parts: Vec<Part> = parts
        .iter()
        .map(|p| read_part(p))
        .collect::<Result<_, _>>()?;
    let targets = run_order(&parts)?;
    let mut merged = merge_files(&parts, &targets)?;

    // The record: what does not follow from the evidence is the parts'
    // (equal in all of them), the rest is derived again.
    let first = &parts[0];
    // The assumptions of use follow from the merged records, as certify
    // and audit verify derive them.
    for (path, bytes) in super::assumptions::bundle_files(&merged, &first.cert.options.nan_policy)
        .map_err(|e| {
        MergeError::Refused(format!(
            "the merged records do not give the assumptions of use: {e}"
        ))
    })? {
        merged.insert(path, bytes);
    }
    let profile = super::consistency::named_profile(&first.cert, &first.files).map_err(|e| {
        MergeError::Refused(format!("{}: {}: {e}", first.name, layout::CERTIFICATION))
    })?;
    let derived = super::requirements::derive(&profile, &merged, &first.cert.model.file_name)
        .map_err(|e| {
            MergeError::Refused(format!(
                "the merged evidence does not give the requirement rows: {e}"
            ))
        })?;
    let mut cert = first.cert.clone();
    cert.verdict = derived.verdict;
    cert.requirements = derived.requirements;
    cert.targets = derived.targets;
    cert.coverage = derived.coverage;
    cert.check = derived.check;

    let toolchain: Value =
        serde_json::from_slice(merged.get(layout::TOOLCHAIN).ok_or_else(|| {
            MergeError::Refused(format!("the parts hold no {}", layout::TOOLCHAIN))
        })?)
        .map_err(|e| MergeError::Refused(format!("{}: {e}", layout::TOOLCHAIN)))?;
    let embedded: BTreeMap<String, String> = serde_json::from_value(
        toolchain.get("embedded").cloned().unwrap_or(Value::Null),
    )
    .map_err(|e| MergeError::Refused(format!("{}: field `embedded`: {e}", layout::TOOLCHAIN)))?;
    let binary = toolchain
        .get("timber_binary_sha256")
        .and_then(Value::as_str);
    super::seal::seal(&mut merged, &cert, &embedded, binary)
        .map_err(|e| MergeError::Write(format!("sealing the merged bundle: {e}")))?;
    let (root_sha256, files) =
        crate::certify::write_bundle(out, &merged).map_err(|e| MergeError::Write(e.to_string()))?;
    Ok(MergeOutcome {
        certification: cert,
        root_sha256,
        files,
        targets,
    })
}

/// Read and check one part: an intact partial bundle.
fn read_part(dir: &Path) -> Result<Part, MergeError> {
    let name = dir.display().to_string();
    let report = verify_bundle(dir, None)?;
    let mut partial = false;
    for p in &report.problems {
        if p.kind == ProblemKind::Partial {
            partial = true;
        } else {
            return Err(MergeError::Refused(format!(
                "{name} is not an intact partial bundle ({} problem(s); `timber audit verify {name}` lists them): first, {}: {}",
                report.problems.len(),
                p.file,
                p.message
            )));
        }
    }
    if !partial {
        return Err(MergeError::Refused(format!(
            "{name} is a complete bundle, not a shard: certify each shard with --partial"
        )));
    }
    let read = |rel: &str| -> Result<Vec<u8>, MergeError> {
        let path = dir.join(rel);
        std::fs::read(&path).map_err(|source| MergeError::Io {
            context: format!("reading {}", path.display()),
            source,
        })
    };
    let manifest: Manifest = serde_json::from_slice(&read(layout::MANIFEST)?)
        .map_err(|e| MergeError::Refused(format!("{name}/{}: {e}", layout::MANIFEST)))?;
    let mut files = BTreeMap::new();
    for entry in &manifest.files {
        files.insert(entry.path.clone(), read(&entry.path)?);
    }
    let record: PartialRecord = parse_json(&name, layout::PARTIAL, &files)?;
    if record.schema_version != PARTIAL_SCHEMA_VERSION {
        return Err(MergeError::Refused(format!(
            "{name}/{}: field `schema_version` is {}, this timber merges version {PARTIAL_SCHEMA_VERSION}",
            layout::PARTIAL,
            record.schema_version
        )));
    }
    let cert: Certification = parse_json(&name, layout::CERTIFICATION, &files)?;
    Ok(Part {
        name,
        targets: record.targets,
        cert,
        files,
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(
    part: &str,
    file: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<T, MergeError> {
    let bytes = files
        .get(file)
        .ok_or_else(|| MergeError::Refused(format!("{part}: the manifest does not list {file}")))?;
    serde_json::from_slice(bytes).map_err(|e| MergeError::Refused(format!("{part}/{file}: {e}")))
}

/// The record's fields that follow from the evidence (derived again).
const DERIVED_FIELDS: [&str; 5] = ["verdict", "requirements", "targets", "coverage", "check"];

/// The run's targets in order; refuses a target in two parts and parts
/// whose records differ in anything the evidence does not give.
fn run_order(parts: &[Part]) -> Result<Vec<String>, MergeError> {
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for p in parts {
        for t in &p.targets {
            if let Some(other) = owner.insert(t, &p.name) {
                return Err(MergeError::Refused(format!(
                    "target {t} is in two parts, {other} and {}: each target must be certified in one shard only",
                    p.name
                )));
            }
        }
    }
    let identity = |c: &Certification| -> Result<Value, MergeError> {
        let mut v = serde_json::to_value(c)
            .map_err(|e| MergeError::Write(format!("serialising a record: {e}")))?;
        if let Some(o) = v.as_object_mut() {
            for f in DERIVED_FIELDS {
                o.remove(f);
            }
        }
        Ok(v)
    };
    let base = identity(&parts[0].cert)?;
    for p in &parts[1..] {
        if let Some((field, a, b)) = first_difference("", &base, &identity(&p.cert)?) {
            return Err(MergeError::Refused(format!(
                "the parts are not shards of one run: {} field `{field}` is {a} in {} but {b} in {}",
                layout::CERTIFICATION,
                parts[0].name,
                p.name
            )));
        }
    }
    Ok(target_order(parts))
}

/// The target order of one run over all the parts' targets.
fn target_order(parts: &[Part]) -> Vec<String> {
    let all: Vec<&String> = parts.iter().flat_map(|p| p.targets.iter()).collect();
    let profile = super::consistency::named_profile(&parts[0].cert, &parts[0].files)
        .map(|p| p.requirements.targets)
        .unwrap_or_default();
    let mut order: Vec<String> = profile.into_iter().filter(|t| all.contains(&t)).collect();
    for t in all {
        if !order.contains(t) {
            order.push(t.clone());
        }
    }
    order
}

/// The first leaf where `a` and `b` differ: (field path, a's, b's).
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<(String, String, String)> {
    if a == b {
        return None;
    }
    if let (Value::Object(x), Value::Object(y)) = (a, b) {
        let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for k in keys {
            let sub = join(path, k);
            match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => {
                    if let Some(d) = first_difference(&sub, p, q) {
                        return Some(d);
                    }
                }
                (p, q) => return Some((sub, shown(p), shown(q))),
            }
        }
    }
    Some((
        if path.is_empty() {
            "(whole file)".into()
        } else {
            path.to_string()
        },
        a.to_string(),
        b.to_string(),
    ))
}

fn shown(v: Option<&Value>) -> String {
    v.map_or_else(|| "absent".to_string(), Value::to_string)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Files of the merged bundle before sealing (rules 2-4 of the module
/// documentation).
fn merge_files(parts: &[Part], order: &[String]) -> Result<BTreeMap<String, Vec<u8>>, MergeError> {
    // Sealed files and the assumptions of use follow from the others and
    // are derived again below.
    let skip = |p: &str| {
        super::seal::is_sealed_file(p)
            || p == layout::PARTIAL
            || p == layout::ASSUMPTIONS_JSON
            || p == layout::ASSUMPTIONS_MD
    };
    let paths: BTreeSet<&String> = parts
        .iter()
        .flat_map(|p| p.files.keys())
        .filter(|p| !skip(p))
        .collect();
    let mut out = BTreeMap::new();
    for path in paths {
        let holders: Vec<&Part> = parts
            .iter()
            .filter(|p| p.files.contains_key(path))
            .collect();
        if holders.len() < parts.len() {
            let stem = Path::new(path.as_str())
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            match holders.as_slice() {
                [one] if one.targets.contains(&stem) => {
                    out.insert(path.clone(), one.files[path].clone());
                    continue;
                }
                // A JSON file only some parts write (e.g. coverage/object.json,
                // written when a part traced a bare-metal target): joined
                // over the parts that hold it, by the same rules.
                _ if path.ends_with(".json") => {
                    out.insert(path.clone(), merge_json_file(path, &holders, order)?);
                    continue;
                }
                _ => {
                    let missing: Vec<&str> = parts
                        .iter()
                        .filter(|p| !p.files.contains_key(path))
                        .map(|p| p.name.as_str())
                        .collect();
                    return Err(MergeError::Refused(format!(
                        "{path} is in {} but not in {}, and its name does not make it one target's file",
                        holders.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
                        missing.join(", ")
                    )));
                }
            }
        }
        let first = &parts[0].files[path];
        if parts.iter().all(|p| &p.files[path] == first) {
            out.insert(path.clone(), first.clone());
            continue;
        }
        if !path.ends_with(".json") {
            let other = parts
                .iter()
                .find(|p| &p.files[path] != first)
                .map_or("", |p| p.name.as_str());
            return Err(MergeError::Refused(format!(
                "{path} differs between {} and {other}, and is neither JSON nor one target's file",
                parts[0].name
            )));
        }
        let all: Vec<&Part> = parts.iter().collect();
        out.insert(path.clone(), merge_json_file(path, &all, order)?);
    }
    Ok(out)
}

/// The bytes of JSON file `path` joined over the parts that hold it
/// (rule 4, applied from the document's root).
fn merge_json_file(path: &str, holders: &[&Part], order: &[String]) -> Result<Vec<u8>, MergeError> {
    let values: Vec<(&Part, Json)> = holders
        .iter()
        .map(|p| {
            serde_json::from_slice(&p.files[path])
                .map(|v| (*p, v))
                .map_err(|e| MergeError::Refused(format!("{}/{path}: {e}", p.name)))
        })
        .collect::<Result<_, _>>()?;
    let refs: Vec<(&Part, &Json)> = values.iter().map(|(p, v)| (*p, v)).collect();
    let merged =
        merge_value("", &refs, order).map_err(|e| MergeError::Refused(format!("{path}: {e}")))?;
    super::seal::json_bytes(&merged)
        .map_err(|e| MergeError::Write(format!("serialising {path}: {e}")))
}

/// Merge one JSON value the parts hold (rule 4).
fn merge_value(path: &str, values: &[(&Part, &Json)], order: &[String]) -> Result<Json, String> {
    let (p0, v0) = values[0];
    if values.iter().all(|(_, v)| *v == v0) {
        return Ok(v0.clone());
    }
    if let Some(objects) = values
        .iter()
        .map(|(p, v)| match v {
            Json::Object(pairs) => Some((*p, pairs)),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
    {
        let keys: Vec<&String> = objects[0].1.iter().map(|(k, _)| k).collect();
        for (p, pairs) in &objects {
            let theirs: Vec<&String> = pairs.iter().map(|(k, _)| k).collect();
            if theirs != keys {
                return Err(format!(
                    "field `{}` has keys {:?} in {} but {:?} in {}",
                    if path.is_empty() { "(top level)" } else { path },
                    keys,
                    p0.name,
                    theirs,
                    p.name
                ));
            }
        }
        let mut out = Vec::new();
        for (i, k) in keys.into_iter().enumerate() {
            let sub: Vec<(&Part, &Json)> = objects.iter().map(|(p, o)| (*p, &o[i].1)).collect();
            out.push((k.clone(), merge_value(&join(path, k), &sub, order)?));
        }
        return Ok(Json::Object(out));
    }
    if let Some(arrays) = values
        .iter()
        .map(|(p, v)| match v {
            Json::Array(items) => Some((*p, items)),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
    {
        if let Some(v) = per_target_array(path, &arrays, order)? {
            return Ok(v);
        }
        if let Some(v) = sorted_union(&arrays) {
            return Ok(v);
        }
        return Err(format!(
            "array `{path}` differs between the parts, and neither is each element one target's nor is each part's array sorted"
        ));
    }
    let (p, v) = values
        .iter()
        .find(|(_, v)| *v != v0)
        .map_or((p0, v0), |(p, v)| (*p, *v));
    Err(format!(
        "field `{path}` is {} in {} but {} in {}: the parts are not shards of one run",
        v0.text(),
        p0.name,
        v.text(),
        p.name
    ))
}

/// The target an array element belongs to: a target name, or an object
/// whose `target` field names one.
fn element_target(v: &Json) -> Option<&str> {
    match v {
        Json::Object(_) => v.get("target").and_then(Json::as_str),
        _ => v.as_str(),
    }
}

/// Arrays whose every element belongs to a target of the run: the
/// elements in the run's target order (a target's elements in their
/// order). None when an element belongs to no target of the run; Err when
/// one belongs to a target its part did not certify.
fn per_target_array(
    path: &str,
    arrays: &[(&Part, &Vec<Json>)],
    order: &[String],
) -> Result<Option<Json>, String> {
    let mut keyed: Vec<(usize, &Json)> = Vec::new();
    for (p, a) in arrays {
        for v in a.iter() {
            let Some(t) = element_target(v) else {
                return Ok(None);
            };
            let Some(i) = order.iter().position(|x| x == t) else {
                return Ok(None);
            };
            if !p.targets.iter().any(|x| x == t) {
                return Err(format!(
                    "array `{path}` has an entry for target {t} in {}, which certified {} only",
                    p.name,
                    p.targets.join(", ")
                ));
            }
            keyed.push((i, v));
        }
    }
    // Stable: a target's elements keep their order.
    keyed.sort_by_key(|(i, _)| *i);
    Ok(Some(Json::Array(
        keyed.into_iter().map(|(_, v)| v.clone()).collect(),
    )))
}

/// Arrays each part keeps strictly sorted (by the elements' JSON text):
/// their sorted union.
fn sorted_union(arrays: &[(&Part, &Vec<Json>)]) -> Option<Json> {
    let mut all: BTreeMap<String, &Json> = BTreeMap::new();
    for (_, a) in arrays {
        let texts: Vec<String> = a.iter().map(Json::text).collect();
        if texts.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        for (t, v) in texts.into_iter().zip(a.iter()) {
            all.insert(t, v);
        }
    }
    Some(Json::Array(all.into_values().cloned().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, targets: &[&str]) -> Part {
        let cert: Certification =
            serde_json::from_str(include_str!("../../audit/example/certification.json"))
                .expect("the example record parses");
        Part {
            name: name.into(),
            targets: targets.iter().map(|t| t.to_string()).collect(),
            cert,
            files: BTreeMap::new(),
        }
    }

    fn json(text: &str) -> Json {
        serde_json::from_str(text).expect("test JSON")
    }

    fn merged(a: &str, b: &str) -> Result<String, String> {
        let (pa, pb) = (part("A", &["m4"]), part("B", &["a53", "host"]));
        let order: Vec<String> = ["host", "m4", "a53"].map(String::from).to_vec();
        let (ja, jb) = (json(a), json(b));
        merge_value("", &[(&pa, &ja), (&pb, &jb)], &order).map(|v| v.text())
    }

    #[test]
    fn per_target_entries_join_in_run_order_keeping_key_order() {
        assert_eq!(
            merged(
                r#"{"z":1,"targets":[{"target":"m4","v":1}]}"#,
                r#"{"z":1,"targets":[{"target":"a53","v":2},{"target":"host","v":3},{"target":"host","v":4}]}"#
            ),
            Ok(r#"{"z":1,"targets":[{"target":"host","v":3},{"target":"host","v":4},{"target":"m4","v":1},{"target":"a53","v":2}]}"#.into())
        );
        assert_eq!(
            merged(r#"["m4"]"#, r#"["a53","host"]"#),
            Ok(r#"["host","m4","a53"]"#.into())
        );
    }

    #[test]
    fn sorted_arrays_join_as_sorted_unions() {
        assert_eq!(
            merged(
                r#"[{"role":"compiler for m4"},{"role":"coverage"}]"#,
                r#"[{"role":"compiler for a53"},{"role":"coverage"},{"role":"runner for a53"}]"#
            ),
            Ok(r#"[{"role":"compiler for a53"},{"role":"compiler for m4"},{"role":"coverage"},{"role":"runner for a53"}]"#.into())
        );
    }

    #[test]
    fn other_differences_are_refused_naming_field_and_values() {
        let e = merged(r#"{"a":{"b":"x"}}"#, r#"{"a":{"b":"y"}}"#).unwrap_err();
        assert!(
            e.contains("field `a.b` is \"x\" in A but \"y\" in B"),
            "{e}"
        );
        let e = merged(r#"{"a":1,"b":2}"#, r#"{"a":1,"c":2}"#).unwrap_err();
        assert!(e.contains("has keys"), "{e}");
        // An entry naming a target of another part is not that part's.
        let e = merged(
            r#"[{"target":"host"}]"#,
            r#"[{"target":"a53"},{"target":"m4"}]"#,
        )
        .unwrap_err();
        assert!(
            e.contains("has an entry for target host in A, which certified m4 only"),
            "{e}"
        );
    }
}
