//! Which files `timber check FILE_OR_DIR...` reads: the named files, and
//! the `.c` and `.h` files under the named directories in sorted order.
//!
//! The walk is iterative (directory depth costs no stack) and never loops:
//! symbolic links to directories are not followed unless asked, and when
//! they are, a directory already visited (a link cycle, a `..` link, two
//! links to one place) is not entered again. Only regular files are read:
//! a FIFO, socket or device named like a C file would block or never end,
//! so it is skipped, and every skipped path is listed in the report.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A path the walk did not check, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// The files to check, in order, and the paths skipped on the way.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
}

/// A named path or a directory that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{path}: cannot read")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot list directory")]
    List {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn is_c_file(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("c" | "h"))
}

/// The identity of a file or directory: its canonical path.
fn identity(p: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(p).ok()
}

/// Expand `paths` into the files to check. A path named on the command line
/// is taken as it is (a symbolic link to a directory named there is
/// entered); inside directories, symbolic links to directories are entered
/// only with `follow_symlinks`.
pub fn collect(paths: &[PathBuf], follow_symlinks: bool) -> Result<Walk, WalkError> {
    let mut walk = Walk::default();
    let mut dirs_seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut files_seen: BTreeSet<PathBuf> = BTreeSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| WalkError::Read {
            path: p.display().to_string(),
            source,
        })?;
        if meta.is_dir() {
            walk_dir(
                p,
                follow_symlinks,
                &mut dirs_seen,
                &mut files_seen,
                &mut walk,
            )?;
        } else {
            add_file(p, &meta, &mut files_seen, &mut walk);
        }
    }
    Ok(walk)
}

fn skip(walk: &mut Walk, p: &Path, reason: &str) {
    walk.skipped.push(Skipped {
        path: super::display_path(p),
        reason: reason.to_string(),
    });
}

fn add_file(p: &Path, meta: &std::fs::Metadata, seen: &mut BTreeSet<PathBuf>, walk: &mut Walk) {
    if !meta.is_file() {
        skip(
            walk,
            p,
            "not a regular file (a FIFO, socket or device is never read)",
        );
        return;
    }
    if let Some(id) = identity(p) {
        if !seen.insert(id) {
            skip(walk, p, "the same file was reached by another path");
            return;
        }
    }
    walk.files.push(p.to_path_buf());
}

fn walk_dir(
    root: &Path,
    follow_symlinks: bool,
    dirs_seen: &mut BTreeSet<PathBuf>,
    files_seen: &mut BTreeSet<PathBuf>,
    walk: &mut Walk,
) -> Result<(), WalkError> {
    if let Some(id) = identity(root) {
        if !dirs_seen.insert(id) {
            skip(walk, root, "directory already visited");
            return Ok(());
        }
    }
    // Depth first in sorted order: a stack of directory listings, each
    // reversed so that popping yields the next entry in order.
    let mut stack: Vec<Vec<PathBuf>> = vec![list(root)?];
    while let Some(top) = stack.last_mut() {
        let Some(p) = top.pop() else {
            stack.pop();
            continue;
        };
        let lmeta = std::fs::symlink_metadata(&p).map_err(|source| WalkError::Read {
            path: p.display().to_string(),
            source,
        })?;
        let meta = if lmeta.file_type().is_symlink() {
            match std::fs::metadata(&p) {
                Ok(m) => m,
                Err(_) => {
                    if is_c_file(&p) {
                        skip(walk, &p, "symbolic link to nothing");
                    }
                    continue;
                }
            }
        } else {
            lmeta.clone()
        };
        if meta.is_dir() {
            if lmeta.file_type().is_symlink() && !follow_symlinks {
                skip(
                    walk,
                    &p,
                    "symbolic link to a directory, not followed (--follow-symlinks enters it)",
                );
                continue;
            }
            if let Some(id) = identity(&p) {
                if !dirs_seen.insert(id) {
                    skip(
                        walk,
                        &p,
                        "directory already visited (a symbolic link cycle or a second link to it)",
                    );
                    continue;
                }
            }
            stack.push(list(&p)?);
        } else if is_c_file(&p) {
            add_file(&p, &meta, files_seen, walk);
        }
    }
    Ok(())
}

/// The entries of a directory, sorted and reversed (see `walk_dir`).
fn list(dir: &Path) -> Result<Vec<PathBuf>, WalkError> {
    let err = |source| WalkError::List {
        path: dir.display().to_string(),
        source,
    };
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir).map_err(err)? {
        entries.push(e.map_err(err)?.path());
    }
    entries.sort();
    entries.reverse();
    Ok(entries)
}
