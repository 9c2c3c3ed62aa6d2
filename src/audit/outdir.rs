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
//!
//! Commands that write named files into a directory the user owns
//! (`timber compile`, `timber qualify`) follow [`check_files_out`]: the
//! directory may hold anything, but a file of one of the names about to be
//! written is replaced only when timber generated it (recognised by its
//! [`Generated`] marker) or with `force`; a directory, a special file or one
//! of the run's inputs under such a name is never replaced.
//! `timber verify --build-dir DIR` follows [`check_build_out`]: it replaces
//! `DIR/TARGET` only when that is empty or an earlier build directory
//! (holding [`BUILD_MARKER`]).

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

/// How much of an existing file is read to recognise it as generated.
const SNIFF_BYTES: usize = 1024;

/// How a file timber writes into a user's directory is recognised as one
/// it generated earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generated {
    /// Its first KiB says "generated by timber" (any case): the comment
    /// heading every generated C file and JavaScript loader.
    Comment,
    /// It starts with these bytes and its first KiB holds the second.
    Text(&'static str, &'static str),
    /// It starts with this text (the WebAssembly text form).
    Prefix(&'static str),
    /// A WebAssembly module whose name section names it `timber_model`.
    WasmModule,
}

/// `ir.json` as every command writes it.
pub const IR_JSON: Generated = Generated::Text("{\n  \"schema_version\": ", "\"source\": {");

impl Generated {
    fn recognises(self, path: &Path) -> std::io::Result<bool> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(path)?;
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        (&mut f).take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
        let text = String::from_utf8_lossy(&head);
        Ok(match self {
            Generated::Comment => text.to_ascii_lowercase().contains("generated by timber"),
            Generated::Text(start, holds) => text.starts_with(start) && text.contains(holds),
            Generated::Prefix(start) => text.starts_with(start),
            Generated::WasmModule => {
                if !head.starts_with(b"\0asm") {
                    return Ok(false);
                }
                // The name section is the module's last section: look for
                // the module-name entry in the file's tail.
                let len = f.seek(SeekFrom::End(0))?;
                let start = len.saturating_sub(64 * 1024);
                f.seek(SeekFrom::Start(start))?;
                let mut tail = Vec::new();
                f.take(64 * 1024).read_to_end(&mut tail)?;
                let needle = b"\x0ctimber_model";
                tail.windows(needle.len()).any(|w| w == needle)
            }
        })
    }
}

fn is_input(path: &Path, inputs: &[&Path]) -> Result<bool, OutDirError> {
    let abs = absolute(path)?;
    for input in inputs {
        if absolute(input)? == abs {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The directory itself: a new or existing directory (a symbolic link to
/// one is fine: nothing replaces it), never a file or an empty path.
fn check_dir_itself(dir: &Path) -> Result<(), OutDirError> {
    if dir.as_os_str().is_empty() {
        return Err(refused(dir, "an empty path is not an output directory"));
    }
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(refused(
            dir,
            "exists and is not a directory; choose a directory for the output",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(dir, e)),
    }
}

/// Check before any work that `files` (name, how timber recognises its own
/// earlier output) may be written into `dir`. An existing file of one of
/// those names is replaced only when timber generated it or with `force`;
/// a directory, a special file or one of the run's `inputs` under such a
/// name is refused even with `force`. Refusals name every such file.
pub fn check_files_out(
    dir: &Path,
    files: &[(&str, Generated)],
    force: bool,
    inputs: &[&Path],
) -> Result<(), OutDirError> {
    check_dir_itself(dir)?;
    let mut foreign_files = Vec::new();
    for (name, kind) in files {
        let path = dir.join(name);
        if is_input(&path, inputs)? {
            return Err(refused(
                &path,
                "is an input of this run; it is never overwritten: choose another output directory",
            ));
        }
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&path, e)),
        };
        let kind_of = meta.file_type();
        if kind_of.is_dir() {
            return Err(refused(
                &path,
                "is a directory where a generated file goes; it is never replaced",
            ));
        }
        if kind_of.is_symlink() {
            foreign_files.push(format!("{name} (a symbolic link)"));
        } else if !kind_of.is_file() {
            return Err(refused(
                &path,
                "is not a regular file (a device, FIFO or socket); it is never replaced",
            ));
        } else if !kind.recognises(&path).map_err(|e| io(&path, e))? {
            foreign_files.push((*name).to_string());
        }
    }
    if foreign_files.is_empty() || force {
        return Ok(());
    }
    Err(refused(
        dir,
        format!(
            "holds {}, not generated by timber; not overwriting: choose another directory, \
             move them away, or pass --force to replace them",
            foreign_files.join(", ")
        ),
    ))
}

/// The file marking a per-target build directory of `timber verify`.
pub const BUILD_MARKER: &str = ".timber-build";

/// Check before any work that `DIR/SUB` may be replaced for each of
/// `subdirs` (`timber verify --build-dir DIR`, one per target): absent,
/// empty, or an earlier build directory (holding [`BUILD_MARKER`]); never a
/// symbolic link, a file, the working directory or one of its parents, or
/// a directory holding one of the run's `inputs`.
pub fn check_build_out(dir: &Path, subdirs: &[&str], inputs: &[&Path]) -> Result<(), OutDirError> {
    check_dir_itself(dir)?;
    let cwd = std::env::current_dir()
        .map_err(|e| io(dir, e))
        .map(|c| c.canonicalize().unwrap_or(c))?;
    for sub in subdirs {
        let path = dir.join(sub);
        let abs = absolute(&path)?;
        if cwd.starts_with(&abs) {
            return Err(refused(
                &path,
                "is the working directory or one of its parents; it would be replaced by a build directory",
            ));
        }
        for input in inputs {
            if absolute(input)?.starts_with(&abs) {
                return Err(refused(
                    &path,
                    format!(
                        "holds {}, an input of this run; choose another build directory",
                        input.display()
                    ),
                ));
            }
        }
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&path, e)),
        };
        if meta.file_type().is_symlink() || !meta.is_dir() {
            return Err(refused(
                &path,
                "exists and is not a directory (or is a symbolic link); a build directory goes there: choose another --build-dir",
            ));
        }
        let mut found = Vec::new();
        collect_files(&path, &path, &mut found)?;
        if !found.is_empty() && !path.join(BUILD_MARKER).is_file() {
            return Err(foreign(
                &path,
                &found,
                "is not empty and not a timber build directory (no .timber-build)",
            ));
        }
    }
    Ok(())
}

/// Write `contents` to `dir/name` through a fresh temporary file in `dir`
/// and a rename, so an interrupted run never leaves a truncated file and no
/// other file is touched on the way.
pub fn write_replacing(dir: &Path, name: &str, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // Like a file created by `std::fs::write` (0666 less the umask), not
    // the private 0600 of a temporary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dir.join(name)).map_err(|e| e.error)?;
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
