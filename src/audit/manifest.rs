//! `manifest.json`: the sha256 of every other file of a bundle.
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "algorithm": "sha256",
//!   "files": [
//!     { "path": "src/model.c", "sha256": "<64 hex>", "bytes": 1234 }
//!   ]
//! }
//! ```
//!
//! Entries are sorted by path (byte order of the UTF-8 text), paths are
//! relative to the bundle root with `/` separators, and the text has one
//! canonical form: serde_json pretty (2 spaces) plus a trailing newline. So
//! the manifest's own sha256 ([`root_hash`]) names the whole bundle, and a
//! verifier can detect any byte change in it by re-serialising.

use super::error::AuditError;
use super::layout;
use crate::frontend::sha256_hex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Schema version of `manifest.json`.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;
/// The only hash algorithm a manifest uses.
pub const ALGORITHM: &str = "sha256";

/// The manifest of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema_version: u32,
    pub algorithm: String,
    pub files: Vec<ManifestEntry>,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Relative to the bundle root, `/`-separated.
    pub path: String,
    /// Lower-case hex.
    pub sha256: String,
    pub bytes: u64,
}

impl Manifest {
    /// The canonical text of `manifest.json`.
    pub fn to_canonical_json(&self) -> String {
        // Structs only, fields in declaration order: serde_json's pretty
        // output is already canonical.
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("manifest serialisation cannot fail: {e}"));
        text.push('\n');
        text
    }

    /// Parse manifest text; `path` is used in the error.
    pub fn from_json(path: &Path, text: &str) -> Result<Manifest, AuditError> {
        serde_json::from_str(text).map_err(|e| AuditError::Json {
            path: path.to_path_buf(),
            message: format!("not a valid manifest: {e}"),
        })
    }

    /// The entry of a bundle path.
    pub fn entry(&self, path: &str) -> Option<&ManifestEntry> {
        self.files.iter().find(|e| e.path == path)
    }

    /// What is wrong with the manifest's content beyond its syntax: schema
    /// version, algorithm, order, duplicates, unsafe paths, malformed hashes.
    /// Empty when the manifest is well-formed.
    pub fn defects(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.schema_version != MANIFEST_SCHEMA_VERSION {
            out.push(format!(
                "schema_version is {}, expected {MANIFEST_SCHEMA_VERSION}",
                self.schema_version
            ));
        }
        if self.algorithm != ALGORITHM {
            out.push(format!(
                "algorithm is {:?}, expected {ALGORITHM:?}",
                self.algorithm
            ));
        }
        for pair in self.files.windows(2) {
            if let [a, b] = pair {
                if a.path >= b.path {
                    out.push(format!(
                        "entries not sorted by path or duplicated: {:?} before {:?}",
                        a.path, b.path
                    ));
                }
            }
        }
        for e in &self.files {
            if let Err(why) = check_bundle_path(&e.path) {
                out.push(format!("entry {:?}: {why}", e.path));
            } else if e.path == layout::MANIFEST {
                out.push(format!("lists itself ({:?})", e.path));
            }
            if !is_sha256_hex(&e.sha256) {
                out.push(format!(
                    "entry {:?}: sha256 {:?} is not 64 lower-case hex digits",
                    e.path, e.sha256
                ));
            }
        }
        out
    }
}

/// Whether `s` is a sha256 in lower-case hex.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Check that `path` is a safe bundle path: relative, `/`-separated, no
/// empty, `.` or `..` components, no backslash or NUL. A manifest or
/// attestation naming anything else is refused before any file is opened,
/// so a crafted bundle cannot make the verifier read outside it.
pub fn check_bundle_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("empty path");
    }
    if path.contains('\\') || path.contains('\0') {
        return Err("path contains a backslash or NUL");
    }
    if path.starts_with('/') {
        return Err("absolute path");
    }
    if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err("path has an empty, `.` or `..` component");
    }
    Ok(())
}

/// What a walk of the bundle directory found at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// A regular file, by bundle path.
    File(String),
    /// Something a bundle must not hold; the reason is the error build()
    /// would return.
    Refused(String, RefusedKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefusedKind {
    Symlink,
    NonUtf8,
    NotRegular,
}

/// Every file under `bundle` except the root `manifest.json`, sorted by
/// bundle path. (Not even `write`'s temporary file is skipped: a verifier
/// must see every file.) Symlinks, non-UTF-8 names and
/// special files are returned as [`Found::Refused`], not followed.
pub(crate) fn walk(bundle: &Path) -> Result<Vec<Found>, AuditError> {
    let mut out = Vec::new();
    walk_dir(bundle, "", &mut out)?;
    out.sort_by(|a, b| found_path(a).cmp(found_path(b)));
    Ok(out)
}

fn found_path(f: &Found) -> &str {
    match f {
        Found::File(p) | Found::Refused(p, _) => p,
    }
}

fn walk_dir(dir: &Path, prefix: &str, out: &mut Vec<Found>) -> Result<(), AuditError> {
    let entries = std::fs::read_dir(dir).map_err(|e| AuditError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| AuditError::io(dir, e))?;
        let full = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            let lossy = format!("{prefix}{}", name.to_string_lossy());
            out.push(Found::Refused(lossy, RefusedKind::NonUtf8));
            continue;
        };
        let rel = format!("{prefix}{name}");
        if prefix.is_empty() && name == layout::MANIFEST {
            continue;
        }
        let meta = std::fs::symlink_metadata(&full).map_err(|e| AuditError::io(&full, e))?;
        let ft = meta.file_type();
        if ft.is_symlink() {
            out.push(Found::Refused(rel, RefusedKind::Symlink));
        } else if ft.is_dir() {
            walk_dir(&full, &format!("{rel}/"), out)?;
        } else if ft.is_file() {
            out.push(Found::File(rel));
        } else {
            out.push(Found::Refused(rel, RefusedKind::NotRegular));
        }
    }
    Ok(())
}

/// The temporary name `write` renames from.
const MANIFEST_TMP: &str = ".manifest.json.tmp";

/// sha256 and size of one bundle file.
pub(crate) fn hash_file(path: &Path) -> Result<(String, u64), AuditError> {
    let bytes = std::fs::read(path).map_err(|e| AuditError::io(path, e))?;
    Ok((sha256_hex(&bytes), bytes.len() as u64))
}

/// The full path of a (checked) bundle path.
pub(crate) fn on_disk(bundle: &Path, rel: &str) -> PathBuf {
    let mut p = bundle.to_path_buf();
    p.extend(rel.split('/'));
    p
}

/// Hash every file of `bundle` except `manifest.json`, in sorted order.
///
/// Refuses symlinks, special files and non-UTF-8 names (with the path).
pub fn build(bundle: &Path) -> Result<Manifest, AuditError> {
    let meta = std::fs::metadata(bundle).map_err(|e| AuditError::io(bundle, e))?;
    if !meta.is_dir() {
        return Err(AuditError::NotABundle {
            path: bundle.to_path_buf(),
            reason: "not a directory".into(),
        });
    }
    let mut files = Vec::new();
    for found in walk(bundle)? {
        match found {
            Found::File(rel) => {
                let (sha256, bytes) = hash_file(&on_disk(bundle, &rel))?;
                files.push(ManifestEntry {
                    path: rel,
                    sha256,
                    bytes,
                });
            }
            Found::Refused(rel, kind) => {
                let path = on_disk(bundle, &rel);
                return Err(match kind {
                    RefusedKind::Symlink => AuditError::Symlink { path },
                    RefusedKind::NonUtf8 => AuditError::NonUtf8Name { path },
                    RefusedKind::NotRegular => AuditError::NotRegular { path },
                });
            }
        }
    }
    Ok(Manifest {
        schema_version: MANIFEST_SCHEMA_VERSION,
        algorithm: ALGORITHM.into(),
        files,
    })
}

/// Build the manifest of `bundle` and write it to `bundle/manifest.json`
/// through a temporary file and a rename, so a reader never sees a
/// truncated manifest.
pub fn write(bundle: &Path) -> Result<Manifest, AuditError> {
    let tmp = bundle.join(MANIFEST_TMP);
    // A stale temporary file from an interrupted run is ours to remove
    // before hashing, or the manifest would list it.
    if std::fs::symlink_metadata(&tmp).is_ok() {
        std::fs::remove_file(&tmp).map_err(|e| AuditError::io(&tmp, e))?;
    }
    let manifest = build(bundle)?;
    let target = bundle.join(layout::MANIFEST);
    std::fs::write(&tmp, manifest.to_canonical_json()).map_err(|e| AuditError::io(&tmp, e))?;
    std::fs::rename(&tmp, &target).map_err(|e| AuditError::io(&target, e))?;
    Ok(manifest)
}

/// sha256 (hex) of the bytes of `bundle/manifest.json`: one hash that names
/// the whole bundle.
pub fn root_hash(bundle: &Path) -> Result<String, AuditError> {
    let path = bundle.join(layout::MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| AuditError::io(&path, e))?;
    Ok(sha256_hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_paths() {
        assert!(check_bundle_path("src/model.c").is_ok());
        for bad in ["", "/etc/passwd", "../x", "a//b", "a/./b", "a\\b", "a/"] {
            assert!(check_bundle_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn canonical_text() {
        let m = Manifest {
            schema_version: 1,
            algorithm: "sha256".into(),
            files: vec![ManifestEntry {
                path: "a".into(),
                sha256: "0".repeat(64),
                bytes: 3,
            }],
        };
        let text = m.to_canonical_json();
        assert!(text.ends_with("}\n"));
        assert!(text.contains("\n  \"files\": [\n    {\n      \"path\": \"a\","));
        assert_eq!(Manifest::from_json(Path::new("m"), &text).ok(), Some(m));
    }
}
