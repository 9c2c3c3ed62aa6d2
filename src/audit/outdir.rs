//! Which output directories a command may replace.
//!
//! `timber certify --out DIR --force` renames a finished bundle over DIR, so
//! whatever DIR held is gone. That is only safe when DIR holds nothing a user
//! could miss: it is empty, or it is an earlier timber bundle (a
//! `manifest.json` in the bundle format, `certification.json`, and no file
//! the manifest does not list but its signature envelope). Everything else is refused before any work
//! starts, naming what is there: a file, a symbolic link, the working
//! directory or one of its parents, a directory that holds one of the run's
//! own inputs (the model, the deviation records), or a directory with foreign
//! files. The same check runs again just before the rename, so a directory
//! that changed during the run is not replaced either.

use super::layout;
use super::manifest::Manifest;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// How many foreign entries an error names before it says "and N more".
const NAMED_ENTRIES: usize = 5;

/// Why an output directory may not be written or replaced.
#[derive(Debug, thiserror::Error)]
pub enum OutDirError {
    #[error("{path}: {reason}")]
    Refused { path: PathBuf, reason: String },
    #[error("{path}: cannot inspect the output directory: {message}")]
    Io { path: PathBuf, message: String },
}

/// What `out` is now, when it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutDirState {
    /// Nothing there yet.
    Absent,
    /// An empty directory (replaced only with `force`).
    Empty,
    /// An earlier timber bundle (replaced only with `force`).
    Bundle,
}

fn refused(path: &Path, reason: impl Into<String>) -> OutDirError {
    OutDirError::Refused {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn io(path: &Path, e: std::io::Error) -> OutDirError {
    OutDirError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// `path` made absolute and free of `.`/`..` without touching the file
/// system beyond the nearest existing ancestor (which is canonicalised, so
/// symbolic links in it are resolved).
fn absolute(path: &Path) -> Result<PathBuf, OutDirError> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| io(path, e))?.join(path)
    };
    let mut clean = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other.as_os_str()),
        }
    }
    // Resolve symbolic links in the part that exists.
    let mut existing = clean.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    Ok(out)
}

/// Check that a bundle may be written to `out` before any work starts.
/// `inputs` are the run's own input files (model, deviations, ...): a
/// directory holding one of them is never replaced.
pub fn check_bundle_out(
    out: &Path,
    force: bool,
    inputs: &[&Path],
) -> Result<OutDirState, OutDirError> {
    if out.as_os_str().is_empty() {
        return Err(refused(out, "an empty path is not an output directory"));
    }
    let abs = absolute(out)?;
    if abs.parent().is_none() {
        return Err(refused(
            out,
            "the root directory is never an output directory",
        ));
    }
    let cwd = std::env::current_dir()
        .map_err(|e| io(out, e))
        .map(|c| c.canonicalize().unwrap_or(c))?;
    if cwd.starts_with(&abs) {
        return Err(refused(
            out,
            "is the working directory or one of its parents; choose a new directory for the bundle",
        ));
    }
    for input in inputs {
        let input_abs = absolute(input)?;
        if input_abs.starts_with(&abs) {
            return Err(refused(
                out,
                format!(
                    "holds {}, an input of this run; choose a new directory for the bundle",
                    input.display()
                ),
            ));
        }
    }
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OutDirState::Absent),
        Err(e) => return Err(io(out, e)),
    };
    if meta.file_type().is_symlink() {
        return Err(refused(
            out,
            "is a symbolic link; name the directory itself or choose a new one",
        ));
    }
    if !meta.is_dir() {
        return Err(refused(
            out,
            "exists and is not a directory; choose a new directory for the bundle",
        ));
    }
    if !force {
        return Err(refused(
            out,
            "already exists; choose another --out or pass --force to replace it (only an empty directory or an earlier timber bundle is replaced)",
        ));
    }
    classify_existing(out)
}

/// An existing directory: empty, an earlier bundle, or refused naming what
/// is in it that a bundle does not hold.
fn classify_existing(out: &Path) -> Result<OutDirState, OutDirError> {
    let mut found = Vec::new();
    collect_files(out, out, &mut found)?;
    if found.is_empty() {
        return Ok(OutDirState::Empty);
    }
    let manifest_path = out.join(layout::MANIFEST);
    let manifest = std::fs::read_to_string(&manifest_path)
        .ok()
        .and_then(|text| Manifest::from_json(&manifest_path, &text).ok());
    let Some(manifest) = manifest else {
        return Err(foreign(
            out,
            &found,
            "is not empty and not a timber bundle (no valid manifest.json)",
        ));
    };
    let listed: BTreeSet<&str> = manifest.files.iter().map(|e| e.path.as_str()).collect();
    if !listed.contains(layout::CERTIFICATION) {
        return Err(foreign(
            out,
            &found,
            "holds a manifest.json that does not list certification.json: not a timber bundle",
        ));
    }
    let extra: Vec<String> = found
        .into_iter()
        .filter(|p| p != layout::MANIFEST && p != layout::SIGNATURE && !listed.contains(p.as_str()))
        .collect();
    if !extra.is_empty() {
        return Err(foreign(
            out,
            &extra,
            "is a timber bundle with files its manifest does not list",
        ));
    }
    Ok(OutDirState::Bundle)
}

fn foreign(out: &Path, entries: &[String], what: &str) -> OutDirError {
    let mut names: Vec<&str> = entries
        .iter()
        .take(NAMED_ENTRIES)
        .map(String::as_str)
        .collect();
    let more = entries.len().saturating_sub(NAMED_ENTRIES);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    names.sort_unstable();
    refused(
        out,
        format!(
            "{what}; not replacing it (it holds {}{tail}); choose a new directory or empty it first",
            names.join(", ")
        ),
    )
}

/// Every entry under `dir`, relative to `root` with `/` separators, sorted.
/// Directories themselves are not listed (an empty subdirectory counts as
/// an entry); symbolic links and special files are listed, never followed.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), OutDirError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| io(&path, e))?;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if file_type.is_dir() {
            let inner_before = out.len();
            collect_files(root, &path, out)?;
            if out.len() == inner_before {
                out.push(format!("{rel}/"));
            }
        } else {
            out.push(rel);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("timber-outdir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn absent_directory_is_fine_without_force() {
        let d = tmp("absent");
        let out = d.join("bundle");
        assert_eq!(
            check_bundle_out(&out, false, &[]).unwrap(),
            OutDirState::Absent
        );
    }

    #[test]
    fn existing_directory_needs_force() {
        let d = tmp("noforce");
        let err = check_bundle_out(&d, false, &[]).unwrap_err().to_string();
        assert!(err.contains("--force"), "{err}");
        assert_eq!(check_bundle_out(&d, true, &[]).unwrap(), OutDirState::Empty);
    }

    #[test]
    fn foreign_files_are_named_and_refused() {
        let d = tmp("foreign");
        std::fs::write(d.join("notes.txt"), "mine").unwrap();
        let err = check_bundle_out(&d, true, &[]).unwrap_err().to_string();
        assert!(err.contains("notes.txt"), "{err}");
    }

    #[test]
    fn a_directory_holding_an_input_is_refused() {
        let d = tmp("input");
        let model = d.join("model.json");
        std::fs::write(&model, "{}").unwrap();
        let err = check_bundle_out(&d, true, &[&model])
            .unwrap_err()
            .to_string();
        assert!(err.contains("an input of this run"), "{err}");
    }

    #[test]
    fn a_file_is_refused() {
        let d = tmp("file");
        let f = d.join("f");
        std::fs::write(&f, "x").unwrap();
        let err = check_bundle_out(&f, true, &[]).unwrap_err().to_string();
        assert!(err.contains("not a directory"), "{err}");
    }

    #[test]
    fn working_directory_and_parents_are_refused() {
        for p in [".", "..", "./"] {
            let err = check_bundle_out(Path::new(p), true, &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains("working directory"), "{p}: {err}");
        }
    }

    #[test]
    fn a_bundle_with_an_extra_file_is_refused() {
        let d = tmp("bundle");
        std::fs::write(d.join("certification.json"), "{}").unwrap();
        let m = Manifest {
            schema_version: super::super::manifest::MANIFEST_SCHEMA_VERSION,
            algorithm: "sha256".into(),
            files: vec![super::super::manifest::ManifestEntry {
                path: "certification.json".into(),
                sha256: "0".repeat(64),
                bytes: 2,
            }],
        };
        std::fs::write(d.join("manifest.json"), m.to_canonical_json()).unwrap();
        assert_eq!(
            check_bundle_out(&d, true, &[]).unwrap(),
            OutDirState::Bundle
        );
        std::fs::write(d.join("notes.txt"), "mine").unwrap();
        let err = check_bundle_out(&d, true, &[]).unwrap_err().to_string();
        assert!(err.contains("notes.txt"), "{err}");
    }
}
