//! `timber audit verify`: re-check a bundle's integrity and, given the
//! model, regenerate its IR and C sources and compare them byte for byte.
//!
//! What is checked, in order:
//! 1. `manifest.json` parses, is in its one canonical form (any byte change
//!    shows), and is well-formed (version, algorithm, sorted unique safe
//!    paths, hex hashes);
//! 2. every file listed is there with the listed sha256 and size, and no
//!    file is there that is not listed (symlinks and special files are
//!    reported, never followed);
//! 3. `certification.json` parses as a [`Certification`];
//! 4. every in-toto subject of the attestations matches the file it names;
//! 5. `certification.json` agrees with the evidence (when 1-4 found
//!    nothing): the profile it names is the built-in profile of that name
//!    with that sha256 (or the custom profile TOML the bundle carries), and
//!    every requirement row, figure and the verdict equal what the rows are
//!    derived from (see [`super::consistency`]);
//! 6. with the model: its sha256 equals `certification.model.sha256`, and
//!    `ir.json` and `src/*` equal what this timber generates from it with
//!    the recorded options (a unified diff for each that differs);
//! 7. the signature envelope `manifest.dsse.json`, when present, signs this
//!    manifest, and every public key given has a valid signature in it
//!    (see [`super::sign`]).
//!
//! Steps 5 and 6 are what catch an attacker who edits the record or a
//! source and re-writes the manifest and attestations to match: the hashes
//! agree with each other, but not with the evidence or the model.
//!
//! When two pieces of evidence disagree, the problem names the file the
//! rest of the evidence points at: a source whose manifest entry differs
//! but whose attestation subject matches is reported as a manifest.json
//! problem; a subject that differs from a file the manifest vouches for is
//! reported against the attestation.

use super::consistency::{self, Checked};
use super::error::AuditError;
use super::layout;
use super::manifest::{self, check_bundle_path, is_sha256_hex, Found, Manifest, RefusedKind};
use super::record::{Certification, CERTIFICATION_SCHEMA_VERSION};
use crate::codegen::c99::{emit_c99, Layout, NanPolicy, Numeric, Options};
use crate::frontend::{load_model_bytes, sha256_hex, FormatChoice};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What kind of problem a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// manifest.json is not there.
    ManifestMissing,
    /// manifest.json is not UTF-8 or not a valid manifest.
    ManifestUnreadable,
    /// manifest.json parses but is not byte for byte its canonical form.
    ManifestNotCanonical,
    /// Wrong version or algorithm, unsorted, unsafe path, malformed hash,
    /// or an entry that the file and its attestation both contradict.
    ManifestInvalid,
    /// A file listed in the manifest is not in the bundle.
    Missing,
    /// A file's sha256 or size differs from the manifest.
    Modified,
    /// A file is in the bundle but not in the manifest.
    Unexpected,
    /// A symlink, special file or non-UTF-8 name.
    NotRegular,
    /// certification.json is missing or not a valid record.
    CertificationInvalid,
    /// An attestation is not a readable in-toto statement.
    AttestationInvalid,
    /// An in-toto subject's digest differs from the file it names.
    AttestationSubject,
    /// The model given differs from the certified one.
    ModelMismatch,
    /// A regenerated file differs from the bundle's (see `diff`).
    RegeneratedDiffers,
    /// A file the generator produces is not in the bundle.
    GeneratedMissing,
    /// A file in src/ that the generator does not produce.
    GeneratedExtra,
    /// The signature envelope is malformed, signs another manifest, or
    /// lacks a valid signature by a key given with `--pubkey`.
    Signature,
    /// certification.json disagrees with the profile it names or with the
    /// requirement rows, figures or verdict derived from the evidence.
    CertificationInconsistent,
    /// A target's stored output bits (verify/outputs/<target>.txt) do not
    /// give its recorded output hash, or a passing target's bits differ
    /// from the reference outputs.
    OutputsInconsistent,
    /// assumptions.json or assumptions.md differ from what the bundle's
    /// records (ir.json, src/model.c, verify/*.json, resources.json and
    /// the certification options) give.
    AssumptionsInconsistent,
    /// coverage/object.json: a function's figures do not add up or a
    /// partial branch is not listed.
    ObjectCoverageInconsistent,
    /// The bundle is one shard of a sharded run (`partial.json`), not a
    /// release bundle: `timber audit merge` joins the shards.
    Partial,
}

/// One problem, naming the file it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Bundle path (or the model path as given for `model-mismatch`).
    pub file: String,
    pub kind: ProblemKind,
    /// One line a human reads.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Unified diff, bundle file -> regenerated file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl Problem {
    fn new(file: impl Into<String>, kind: ProblemKind, message: impl Into<String>) -> Problem {
        Problem {
            file: file.into(),
            kind,
            message: message.into(),
            expected: None,
            actual: None,
            diff: None,
        }
    }

    fn with_hashes(mut self, expected: &str, actual: &str) -> Problem {
        self.expected = Some(expected.to_string());
        self.actual = Some(actual.to_string());
        self
    }
}

/// What `--model` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelCheck {
    /// The model path as given.
    pub path: String,
    pub sha256: String,
    /// `certification.model.sha256`, when the record could be read.
    pub certified_sha256: Option<String>,
    /// Bundle paths compared with their regenerated version.
    pub compared: Vec<String>,
    /// Why regeneration was skipped, if it was.
    pub skipped: Option<String>,
}

/// The result of verifying a bundle: every problem found, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// The bundle directory as given.
    pub bundle: String,
    /// sha256 of manifest.json's bytes, when it could be read.
    pub root_sha256: Option<String>,
    /// Number of files the manifest lists.
    pub files: usize,
    pub model: Option<ModelCheck>,
    /// The signature envelope's check, when the bundle is signed or a
    /// public key was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<super::sign::SignatureCheck>,
    /// The requirement rows re-derived from the evidence, when they were
    /// (not when the files or the record already failed steps 1-4) and
    /// agreed with certification.json.
    pub rederived: Option<Checked>,
    pub problems: Vec<Problem>,
}

impl AuditReport {
    /// True when nothing was found wrong.
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One subject of an in-toto statement.
struct Subject {
    attestation: &'static str,
    name: String,
    sha256: String,
}

/// Verify `bundle`; with `model`, also regenerate and compare.
///
/// Errors only when the question cannot be asked: `bundle` is not a bundle
/// directory, a file cannot be read, or the model cannot be loaded or
/// compiled. Tampering is reported in the [`AuditReport`].
pub fn verify_bundle(bundle: &Path, model: Option<&Path>) -> Result<AuditReport, AuditError> {
    verify_signed_bundle(bundle, model, &[])
}

/// [`verify_bundle`], and the signature envelope (`manifest.dsse.json`):
/// when present it must sign this manifest; each of `pubkeys` must have a
/// valid signature in it.
pub fn verify_signed_bundle(
    bundle: &Path,
    model: Option<&Path>,
    pubkeys: &[(std::path::PathBuf, ed25519_dalek::VerifyingKey)],
) -> Result<AuditReport, AuditError> {
    check_is_bundle(bundle)?;
    let mut problems = Vec::new();

    // What is on disk.
    let mut on_disk: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut refused: BTreeSet<String> = BTreeSet::new();
    for found in manifest::walk(bundle)? {
        match found {
            Found::File(rel) => {
                let hashed = manifest::hash_file(&manifest::on_disk(bundle, &rel))?;
                on_disk.insert(rel, hashed);
            }
            Found::Refused(rel, kind) => {
                let what = match kind {
                    RefusedKind::Symlink => "a symbolic link",
                    RefusedKind::NonUtf8 => "a file name that is not UTF-8",
                    RefusedKind::NotRegular => "not a regular file",
                };
                problems.push(Problem::new(
                    rel.clone(),
                    ProblemKind::NotRegular,
                    format!("{what}; a bundle holds regular files only"),
                ));
                refused.insert(rel);
            }
        }
    }

    // The signature envelope signs the manifest, so the manifest cannot
    // list it: it is checked on its own (step 7).
    on_disk.remove(layout::SIGNATURE);

    // 1. The manifest.
    let (manifest, root_sha256) = read_manifest(bundle, &mut problems)?;

    // 4 (read first: the attribution of hash mismatches uses them).
    let subjects = read_attestations(bundle, &on_disk, &mut problems)?;

    // 2. Files against the manifest.
    if let Some(m) = &manifest {
        check_files(m, &on_disk, &refused, &subjects, &mut problems);
    }

    // 4. Subjects against the files.
    check_subjects(manifest.as_ref(), &on_disk, &subjects, &mut problems);

    // 3. The certification record.
    let certification = read_certification(bundle, &on_disk, &mut problems)?;

    // 5. The record against the evidence. Only on files that passed 1-4:
    // otherwise the changed file is already named, and blaming the record
    // for disagreeing with it would point at the wrong file.
    let mut rederived = None;
    if let (Some(cert), true) = (&certification, problems.is_empty()) {
        let mut files = BTreeMap::new();
        for rel in on_disk.keys() {
            let path = manifest::on_disk(bundle, rel);
            let bytes = std::fs::read(&path).map_err(|e| AuditError::io(&path, e))?;
            files.insert(rel.clone(), bytes);
        }
        for (file, message) in super::outputs::check(&files) {
            problems.push(Problem::new(
                file,
                ProblemKind::OutputsInconsistent,
                message,
            ));
        }
        for (file, message) in super::object_coverage::check(&files) {
            problems.push(Problem::new(
                file,
                ProblemKind::ObjectCoverageInconsistent,
                message,
            ));
        }
        for (file, message) in super::assumptions::check(&files, &cert.options.nan_policy) {
            problems.push(Problem::new(
                file,
                ProblemKind::AssumptionsInconsistent,
                message,
            ));
        }
        match consistency::check(cert, &files) {
            Ok(c) => rederived = Some(c),
            Err(messages) => problems.extend(messages.into_iter().map(|m| {
                Problem::new(
                    layout::CERTIFICATION,
                    ProblemKind::CertificationInconsistent,
                    m,
                )
            })),
        }
    }

    // A shard is evidence, not a release bundle, whatever its own rows say.
    if on_disk.contains_key(layout::PARTIAL) {
        problems.push(Problem::new(
            layout::PARTIAL,
            ProblemKind::Partial,
            "a partial bundle (one shard of a sharded certification), not a release bundle: join the shards with `timber audit merge`",
        ));
    }

    // 6. The model.
    let model = match model {
        Some(path) => Some(check_model(
            bundle,
            path,
            certification.as_ref(),
            &on_disk,
            &mut problems,
        )?),
        None => None,
    };

    // 7. The signature envelope.
    let signature = super::sign::check_bundle(bundle, pubkeys)?;
    if let Some(sig) = &signature {
        for message in &sig.problems {
            problems.push(Problem::new(
                layout::SIGNATURE,
                ProblemKind::Signature,
                message.clone(),
            ));
        }
    }

    // Stable order: the model (not a bundle file) first, then by bundle
    // path; problems of one file keep their discovery order.
    problems.sort_by(|a, b| {
        let model_last = |p: &Problem| p.kind != ProblemKind::ModelMismatch;
        (model_last(a), &a.file).cmp(&(model_last(b), &b.file))
    });
    Ok(AuditReport {
        bundle: bundle.display().to_string(),
        root_sha256,
        files: manifest.as_ref().map_or(on_disk.len(), |m| m.files.len()),
        model,
        signature,
        rederived,
        problems,
    })
}

fn check_is_bundle(bundle: &Path) -> Result<(), AuditError> {
    let not = |reason: &str| AuditError::NotABundle {
        path: bundle.to_path_buf(),
        reason: reason.to_string(),
    };
    let meta = match std::fs::metadata(bundle) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not("no such file or directory"))
        }
        Err(e) => return Err(AuditError::io(bundle, e)),
    };
    if !meta.is_dir() {
        return Err(not("not a directory"));
    }
    let has = |name: &str| std::fs::symlink_metadata(bundle.join(name)).is_ok();
    if !has(layout::MANIFEST) && !has(layout::CERTIFICATION) {
        return Err(not(&format!(
            "it holds neither {} nor {}",
            layout::MANIFEST,
            layout::CERTIFICATION
        )));
    }
    Ok(())
}

/// Read manifest.json; problems go to `problems`. Returns the manifest if
/// it parsed (even when not canonical, so the files can still be checked)
/// and the sha256 of its bytes.
fn read_manifest(
    bundle: &Path,
    problems: &mut Vec<Problem>,
) -> Result<(Option<Manifest>, Option<String>), AuditError> {
    let path = bundle.join(layout::MANIFEST);
    let name = layout::MANIFEST;
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            problems.push(Problem::new(
                name,
                ProblemKind::ManifestMissing,
                "missing: no file of the bundle can be checked against it",
            ));
            return Ok((None, None));
        }
        Err(e) => return Err(AuditError::io(&path, e)),
    };
    if !meta.is_file() {
        problems.push(Problem::new(
            name,
            ProblemKind::NotRegular,
            "not a regular file (a symlink or directory)",
        ));
        return Ok((None, None));
    }
    let bytes = std::fs::read(&path).map_err(|e| AuditError::io(&path, e))?;
    let root = sha256_hex(&bytes);
    let Ok(text) = std::str::from_utf8(&bytes) else {
        problems.push(Problem::new(
            name,
            ProblemKind::ManifestUnreadable,
            "not UTF-8 text",
        ));
        return Ok((None, Some(root)));
    };
    let m = match Manifest::from_json(&path, text) {
        Ok(m) => m,
        Err(e) => {
            let message = match e {
                AuditError::Json { message, .. } => message,
                other => other.to_string(),
            };
            problems.push(Problem::new(name, ProblemKind::ManifestUnreadable, message));
            return Ok((None, Some(root)));
        }
    };
    let canonical = m.to_canonical_json();
    if canonical.as_bytes() != bytes.as_slice() {
        let at = canonical
            .bytes()
            .zip(bytes.iter())
            .position(|(a, b)| a != *b)
            .unwrap_or_else(|| canonical.len().min(bytes.len()));
        problems.push(Problem::new(
            name,
            ProblemKind::ManifestNotCanonical,
            format!(
                "not in canonical form (first difference at byte {at}; {} bytes, canonical form has {})",
                bytes.len(),
                canonical.len()
            ),
        ));
    }
    for defect in m.defects() {
        problems.push(Problem::new(name, ProblemKind::ManifestInvalid, defect));
    }
    Ok((Some(m), Some(root)))
}

fn check_files(
    m: &Manifest,
    on_disk: &BTreeMap<String, (String, u64)>,
    refused: &BTreeSet<String>,
    subjects: &[Subject],
    problems: &mut Vec<Problem>,
) {
    let mut listed = BTreeSet::new();
    for e in &m.files {
        listed.insert(e.path.as_str());
        if check_bundle_path(&e.path).is_err()
            || e.path == layout::MANIFEST
            || !is_sha256_hex(&e.sha256)
        {
            continue; // reported by Manifest::defects; never opened
        }
        let Some((sha, bytes)) = on_disk.get(&e.path) else {
            // A renamed entry: an unlisted file on disk has exactly this
            // entry's hash and size. The manifest is what changed.
            let renamed_from = on_disk
                .iter()
                .find(|(p, (h, b))| *h == e.sha256 && *b == e.bytes && m.entry(p).is_none());
            if let Some((old, _)) = renamed_from {
                listed.insert(old.as_str());
                problems.push(Problem::new(
                    layout::MANIFEST,
                    ProblemKind::ManifestInvalid,
                    format!(
                        "entry {:?} names no file of the bundle; its hash and size are those of the unlisted file {old:?} (an entry was renamed)",
                        e.path
                    ),
                ));
            } else if !refused.contains(&e.path) {
                problems.push(Problem::new(
                    e.path.clone(),
                    ProblemKind::Missing,
                    "listed in manifest.json but not in the bundle",
                ));
            }
            continue;
        };
        if *sha == e.sha256 && *bytes == e.bytes {
            continue;
        }
        // Who is wrong: the file or its manifest entry? An intact
        // attestation that agrees with the file points at the manifest.
        let witness = subjects.iter().find(|s| {
            s.name == e.path && s.sha256 == *sha && attestation_intact(m, on_disk, s.attestation)
        });
        if *sha == e.sha256 {
            problems.push(Problem::new(
                layout::MANIFEST,
                ProblemKind::ManifestInvalid,
                format!(
                    "entry {:?} says {} bytes, the file has {bytes} (its sha256 matches)",
                    e.path, e.bytes
                ),
            ));
        } else if let Some(w) = witness {
            problems.push(
                Problem::new(
                    layout::MANIFEST,
                    ProblemKind::ManifestInvalid,
                    format!(
                        "entry {:?} has sha256 {}, but the file and {} agree on {sha}",
                        e.path, e.sha256, w.attestation
                    ),
                )
                .with_hashes(&e.sha256, sha),
            );
        } else {
            problems.push(
                Problem::new(
                    e.path.clone(),
                    ProblemKind::Modified,
                    format!(
                        "modified: sha256 {sha} ({bytes} bytes), manifest.json lists {} ({} bytes)",
                        e.sha256, e.bytes
                    ),
                )
                .with_hashes(&e.sha256, sha),
            );
        }
    }
    for path in on_disk.keys() {
        if !listed.contains(path.as_str()) {
            problems.push(Problem::new(
                path.clone(),
                ProblemKind::Unexpected,
                "in the bundle but not listed in manifest.json",
            ));
        }
    }
}

/// Whether a bundle file matches its manifest entry.
fn attestation_intact(m: &Manifest, on_disk: &BTreeMap<String, (String, u64)>, path: &str) -> bool {
    match (m.entry(path), on_disk.get(path)) {
        (Some(e), Some((sha, bytes))) => e.sha256 == *sha && e.bytes == *bytes,
        _ => false,
    }
}

/// Parse the in-toto statements that are present; problems go to
/// `problems`.
fn read_attestations(
    bundle: &Path,
    on_disk: &BTreeMap<String, (String, u64)>,
    problems: &mut Vec<Problem>,
) -> Result<Vec<Subject>, AuditError> {
    let mut out = Vec::new();
    for attestation in [layout::PROVENANCE, layout::TEST_RESULT] {
        if !on_disk.contains_key(attestation) {
            continue;
        }
        let path = manifest::on_disk(bundle, attestation);
        let bytes = std::fs::read(&path).map_err(|e| AuditError::io(&path, e))?;
        let bad = |why: String| Problem::new(attestation, ProblemKind::AttestationInvalid, why);
        let value: serde_json::Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                problems.push(bad(format!("not valid JSON: {e}")));
                continue;
            }
        };
        let Some(list) = value.get("subject").and_then(|s| s.as_array()) else {
            problems.push(bad("no `subject` array (not an in-toto statement)".into()));
            continue;
        };
        // The test-result statement also names the evidence it was judged
        // on (`predicate.configuration`), by bundle path: those digests must
        // match the files too, or an edited check report or verify record
        // with a re-hashed manifest would pass.
        let empty = Vec::new();
        let configuration = if attestation == layout::TEST_RESULT {
            value
                .get("predicate")
                .and_then(|p| p.get("configuration"))
                .and_then(|c| c.as_array())
                .unwrap_or(&empty)
        } else {
            &empty
        };
        for (what, entries) in [("subject", list), ("configuration entry", configuration)] {
            for (i, s) in entries.iter().enumerate() {
                let name = s.get("name").and_then(|n| n.as_str());
                let digest = s
                    .get("digest")
                    .and_then(|d| d.get("sha256"))
                    .and_then(|d| d.as_str());
                match (name, digest) {
                    (Some(name), Some(digest)) => {
                        if let Err(why) = check_bundle_path(name) {
                            problems.push(bad(format!("{what} {i} {name:?}: {why}")));
                        } else if !is_sha256_hex(digest) {
                            problems.push(bad(format!(
                                "{what} {i} {name:?}: digest.sha256 {digest:?} is not 64 lower-case hex digits"
                            )));
                        } else {
                            out.push(Subject {
                                attestation,
                                name: name.to_string(),
                                sha256: digest.to_string(),
                            });
                        }
                    }
                    _ => problems.push(bad(format!(
                        "{what} {i} lacks a string `name` or `digest.sha256`"
                    ))),
                }
            }
        }
    }
    Ok(out)
}

fn check_subjects(
    m: Option<&Manifest>,
    on_disk: &BTreeMap<String, (String, u64)>,
    subjects: &[Subject],
    problems: &mut Vec<Problem>,
) {
    for s in subjects {
        let Some((sha, _)) = on_disk.get(&s.name) else {
            let in_manifest = m.is_some_and(|m| m.entry(&s.name).is_some());
            if !in_manifest {
                problems.push(Problem::new(
                    s.attestation,
                    ProblemKind::AttestationSubject,
                    format!("subject {:?} is not a file of the bundle", s.name),
                ));
            } // else: reported as missing against the file itself
            continue;
        };
        if *sha == s.sha256 {
            continue;
        }
        // The file vouched for by the manifest -> the attestation is wrong;
        // otherwise the file itself changed (reported against the file).
        let file_intact = m.is_some_and(|m| attestation_intact(m, on_disk, &s.name));
        let blamed = if file_intact {
            s.attestation.to_string()
        } else {
            s.name.clone()
        };
        problems.push(
            Problem::new(
                blamed,
                ProblemKind::AttestationSubject,
                format!(
                    "{} subject {:?} has sha256 {}, the file has {sha}",
                    s.attestation, s.name, s.sha256
                ),
            )
            .with_hashes(&s.sha256, sha),
        );
    }
}

fn read_certification(
    bundle: &Path,
    on_disk: &BTreeMap<String, (String, u64)>,
    problems: &mut Vec<Problem>,
) -> Result<Option<Certification>, AuditError> {
    let name = layout::CERTIFICATION;
    if !on_disk.contains_key(name) {
        // Missing from the manifest's point of view is reported by
        // check_files; say it here too only if nothing else will.
        if !problems.iter().any(|p| p.file == name) {
            problems.push(Problem::new(
                name,
                ProblemKind::CertificationInvalid,
                "missing: every bundle has a certification record",
            ));
        }
        return Ok(None);
    }
    let path = manifest::on_disk(bundle, name);
    let bytes = std::fs::read(&path).map_err(|e| AuditError::io(&path, e))?;
    match serde_json::from_slice::<Certification>(&bytes) {
        Ok(c) if c.schema_version == CERTIFICATION_SCHEMA_VERSION => Ok(Some(c)),
        Ok(c) => {
            problems.push(Problem::new(
                name,
                ProblemKind::CertificationInvalid,
                format!(
                    "schema_version is {}, expected {CERTIFICATION_SCHEMA_VERSION}",
                    c.schema_version
                ),
            ));
            Ok(None)
        }
        Err(e) => {
            problems.push(Problem::new(
                name,
                ProblemKind::CertificationInvalid,
                format!("not a valid certification record: {e}"),
            ));
            Ok(None)
        }
    }
}

fn check_model(
    bundle: &Path,
    model: &Path,
    certification: Option<&Certification>,
    on_disk: &BTreeMap<String, (String, u64)>,
    problems: &mut Vec<Problem>,
) -> Result<ModelCheck, AuditError> {
    let bytes = crate::frontend::read_model_file(model)?;
    let sha = sha256_hex(&bytes);
    let shown = model.display().to_string();
    let mut check = ModelCheck {
        path: shown.clone(),
        sha256: sha.clone(),
        certified_sha256: certification.map(|c| c.model.sha256.clone()),
        compared: Vec::new(),
        skipped: None,
    };
    let Some(cert) = certification else {
        check.skipped =
            Some("certification.json could not be read: the generation options are unknown".into());
        return Ok(check);
    };
    if cert.model.sha256 != sha {
        problems.push(
            Problem::new(
                shown.clone(),
                ProblemKind::ModelMismatch,
                format!(
                    "model sha256 {sha} differs from certification.json model.sha256 {} (certified model {:?})",
                    cert.model.sha256, cert.model.file_name
                ),
            )
            .with_hashes(&cert.model.sha256, &sha),
        );
    }
    let nan_policy = match cert.options.nan_policy.as_str() {
        "missing" => NanPolicy::Missing,
        "reject" => NanPolicy::Reject,
        other => {
            problems.push(Problem::new(
                layout::CERTIFICATION,
                ProblemKind::CertificationInvalid,
                format!("options.nan_policy {other:?} is neither \"missing\" nor \"reject\""),
            ));
            check.skipped = Some("unknown nan_policy in certification.json".into());
            return Ok(check);
        }
    };
    let Some(layout) = Layout::from_name(&cert.options.layout).filter(|l| *l != Layout::Auto)
    else {
        problems.push(Problem::new(
            layout::CERTIFICATION,
            ProblemKind::CertificationInvalid,
            format!(
                "options.layout {:?} is not a concrete layout (table, branches or compact)",
                cert.options.layout
            ),
        ));
        check.skipped = Some("unknown layout in certification.json".into());
        return Ok(check);
    };
    let Some(numeric) = Numeric::from_name(&cert.options.numeric) else {
        problems.push(Problem::new(
            layout::CERTIFICATION,
            ProblemKind::CertificationInvalid,
            format!(
                "options.numeric {:?} is neither \"float\" nor \"int\"",
                cert.options.numeric
            ),
        ));
        check.skipped = Some("unknown numeric mode in certification.json".into());
        return Ok(check);
    };
    let ens = load_model_bytes(model, &bytes, FormatChoice::Auto)?;
    let generated = emit_c99(
        &ens,
        &Options {
            nan_policy,
            layout,
            numeric,
        },
    )
    .map_err(|source| AuditError::Codegen {
        path: model.to_path_buf(),
        source,
    })?;

    let mut expected: Vec<(String, String)> = vec![(layout::IR.into(), ens.to_canonical_json())];
    expected.extend(
        generated
            .into_iter()
            .map(|f| (layout::source_file(&f.name), f.contents)),
    );
    let wanted: BTreeSet<&str> = expected.iter().map(|(p, _)| p.as_str()).collect();
    for (rel, text) in &expected {
        if !on_disk.contains_key(rel) {
            problems.push(Problem::new(
                rel.clone(),
                ProblemKind::GeneratedMissing,
                "generated from the model but not in the bundle",
            ));
            continue;
        }
        let path = manifest::on_disk(bundle, rel);
        let have = std::fs::read(&path).map_err(|e| AuditError::io(&path, e))?;
        check.compared.push(rel.clone());
        if have == text.as_bytes() {
            continue;
        }
        let have_sha = sha256_hex(&have);
        let have = String::from_utf8_lossy(&have);
        let diff = similar::TextDiff::from_lines(have.as_ref(), text.as_str())
            .unified_diff()
            .context_radius(3)
            .header(&format!("bundle/{rel}"), &format!("regenerated/{rel}"))
            .to_string();
        let mut p = Problem::new(
            rel.clone(),
            ProblemKind::RegeneratedDiffers,
            "differs from what timber generates from the model",
        )
        .with_hashes(&sha256_hex(text.as_bytes()), &have_sha);
        p.diff = Some(diff);
        problems.push(p);
    }
    let src_prefix = format!("{}/", layout::SOURCES_DIR);
    for rel in on_disk.keys() {
        if rel.starts_with(&src_prefix) && !wanted.contains(rel.as_str()) {
            problems.push(Problem::new(
                rel.clone(),
                ProblemKind::GeneratedExtra,
                "in the bundle's sources but not generated from the model",
            ));
        }
    }
    Ok(check)
}
