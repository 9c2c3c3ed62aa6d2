//! The model store behind `timber load`, `list`, `remove` and `serve`.
//!
//! An edge gateway keeps several compiled models side by side and serves
//! them by name. Each entry is one directory `models/NAME/` holding the
//! model file as given, its `ir.json`, the generated C sources, the shared
//! library the system C compiler built from them, and `entry.json`: the
//! manifest recording the sha256 of every other file, the compiler and its
//! flags. The manifest is deterministic (fields in sorted order, no
//! timestamps, only paths relative to the entry) so the same model loaded
//! twice with the same compiler gives the same manifest.
//!
//! Why entries are built aside and renamed: a gateway can lose power in the
//! middle of a `load`. Everything is written into `models/.tmp-*` first,
//! fsynced, and renamed into place in one step, so an entry is either whole
//! or absent; `--force` swaps the new entry with the old in one step. Leftover `.tmp-*` directories of dead processes are ignored by
//! [`Store::list`] and removed by the next `list` or `load`.
//!
//! Why the library is re-hashed before it is loaded: `dlopen` runs code, so
//! the bytes loaded must be the bytes `load` built. [`Store::open`] reads
//! the library once, checks its sha256 against the manifest, and loads that
//! very copy (see [`library`]).

pub mod library;

pub use library::CompiledModel;

use crate::frontend::{load_model_bytes, sha256_hex, FormatChoice, FrontendError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Version of the `entry.json` schema. Bump on any change of meaning.
pub const MANIFEST_VERSION: u32 = 1;

/// The manifest's file name inside an entry.
pub const MANIFEST_FILE: &str = "entry.json";

/// The C compiler `load` builds the shared library with.
pub const COMPILER: &str = "cc";

/// The Debian package that provides [`COMPILER`].
pub const COMPILER_PACKAGE: &str = "gcc";

/// Flags of the shared-library build. `-std=c99 -ffp-contract=off` keep the
/// bits those of the reference evaluator (no fused multiply-add).
pub const CFLAGS: [&str; 5] = ["-std=c99", "-O2", "-ffp-contract=off", "-fPIC", "-shared"];

/// How long one compiler run may take before it is killed.
const COMPILE_TIMEOUT: Duration = Duration::from_secs(600);

/// Prefix of the directories an operation builds in before renaming.
const TMP_PREFIX: &str = ".tmp-";

/// Errors of the model store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "invalid model name `{name}`: {reason} (names are 1-64 characters of a-z, 0-9, \
         `.`, `_` and `-`, starting with a letter or digit)"
    )]
    InvalidName { name: String, reason: &'static str },
    #[error(
        "a model named `{name}` is already in the store at {path}; pass --force to replace it"
    )]
    Exists { name: String, path: PathBuf },
    #[error("no model named `{name}` in the store at {root}")]
    NotFound { name: String, root: PathBuf },
    #[error("{path}: {reason}; timber leaves it alone")]
    NotAnEntry { path: PathBuf, reason: &'static str },
    #[error(
        "no store directory: set TIMBER_HOME (or XDG_DATA_HOME, or HOME for ~/.local/share/timber)"
    )]
    NoHome,
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Frontend(#[from] FrontendError),
    #[error(transparent)]
    Codegen(#[from] crate::codegen::c99::CodegenError),
    #[error(
        "the C compiler `{tool}` is not on PATH; install it (Debian: apt-get install {package})"
    )]
    ToolMissing { tool: String, package: String },
    #[error("building the shared library failed: {command}\n{output}")]
    Build { command: String, output: String },
    #[error("{path}: malformed store manifest: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error(
        "model `{name}`: {file} does not match its recorded sha256 (recorded {expected}, \
         found {found}); the store entry was modified after `timber load`; reload it"
    )]
    Tampered {
        name: String,
        file: String,
        expected: String,
        found: String,
    },
    #[error("model `{name}`: cannot use the compiled library: {message}")]
    Library { name: String, message: String },
}

impl StoreError {
    fn io(action: &'static str, path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The manifest of one entry (`entry.json`). Fields are declared in sorted
/// order, so serde writes sorted keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The C API version the library exports (`timber_abi_version`).
    pub abi_version: u32,
    /// How the library was built.
    pub build: BuildInfo,
    /// sha256 of every file of the entry but the manifest, by path relative
    /// to the entry directory.
    pub files: BTreeMap<String, String>,
    /// Always [`MANIFEST_VERSION`] when written by this version.
    pub manifest_version: u32,
    /// The model the entry was built from.
    pub model: ModelInfo,
    /// The entry's name.
    pub name: String,
    /// The timber version that built the entry.
    pub timber_version: String,
}

/// How the shared library was built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildInfo {
    /// Compiler and flags as run, inputs and output relative to the entry.
    pub command: Vec<String>,
    /// The compiler's name as looked up on PATH.
    pub compiler: String,
    /// First line of `compiler --version`.
    pub compiler_version: String,
    /// The library's path relative to the entry.
    pub library: String,
}

/// What the stored model computes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    /// The model file's path relative to the entry.
    pub file: String,
    /// Format identifier, e.g. `xgboost-json`.
    pub format: String,
    pub n_features: u32,
    pub n_outputs: u32,
    pub n_trees: u32,
    /// The framework's objective, verbatim.
    pub objective: String,
    /// sha256 of the model file (also compiled into the library).
    pub sha256: String,
}

/// One row of [`Store::list`]: an entry and its manifest, or why it could
/// not be read.
#[derive(Debug)]
pub struct Listed {
    pub name: String,
    pub manifest: Result<Manifest, StoreError>,
}

/// A store directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// Check a model name: `^[a-z0-9][a-z0-9._-]{0,63}$` and no `..`.
///
/// Names become directory names and URL path segments, so they must not
/// traverse (`..`, `/`), hide (leading `.`) or need escaping.
pub fn validate_name(name: &str) -> Result<(), StoreError> {
    let bad = |reason| {
        Err(StoreError::InvalidName {
            name: name.to_string(),
            reason,
        })
    };
    let Some(first) = name.bytes().next() else {
        return bad("it is empty");
    };
    if name.len() > 64 {
        return bad("it is longer than 64 characters");
    }
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return bad("it must start with a lower-case letter or a digit");
    }
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
    if !name.bytes().all(allowed) {
        return bad("it contains a character other than a-z, 0-9, `.`, `_`, `-`");
    }
    if name.contains("..") {
        return bad("it contains `..`");
    }
    Ok(())
}

impl Store {
    /// The store at `root` (created on first write).
    pub fn at(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    /// The store named by the environment: `$TIMBER_HOME`, else
    /// `$XDG_DATA_HOME/timber`, else `$HOME/.local/share/timber`.
    pub fn from_env() -> Result<Store, StoreError> {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let Some(home) = var("TIMBER_HOME") {
            return Ok(Store::at(home));
        }
        // The XDG spec says relative values are invalid and to be ignored.
        if let Some(xdg) = var("XDG_DATA_HOME").filter(|p| p.is_absolute()) {
            return Ok(Store::at(xdg.join("timber")));
        }
        var("HOME")
            .map(|h| Store::at(h.join(".local/share/timber")))
            .ok_or(StoreError::NoHome)
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// The directory of entry `name` (which may not exist).
    pub fn entry_dir(&self, name: &str) -> Result<PathBuf, StoreError> {
        validate_name(name)?;
        Ok(self.models_dir().join(name))
    }

    /// Parse, validate and compile `model`, build its shared library and
    /// store the entry as `name`. With `force` an existing entry is
    /// replaced; without, it is an error. Returns the new manifest.
    pub fn load(&self, model: &Path, name: &str, force: bool) -> Result<Manifest, StoreError> {
        let final_dir = self.entry_dir(name)?;
        // Tools first: a missing compiler is reported whatever the model.
        if crate::verify::process::which(COMPILER).is_none() {
            return Err(StoreError::ToolMissing {
                tool: COMPILER.into(),
                package: COMPILER_PACKAGE.into(),
            });
        }
        // Before any work: only an earlier entry is ever replaced.
        if entry_state(&final_dir)? && !force {
            return Err(StoreError::Exists {
                name: name.into(),
                path: final_dir,
            });
        }
        let bytes = crate::frontend::read_model_file(model)?;
        let format = crate::frontend::detect(model, &bytes)?;
        let ens = load_model_bytes(model, &bytes, FormatChoice::Is(format))?;
        let sources = crate::codegen::c99::emit_c99(&ens, &Default::default())?;
        let models = self.models_dir();
        std::fs::create_dir_all(&models)
            .map_err(|e| StoreError::io("creating the store directory", &models, e))?;
        self.clean_stale();

        // Dropped (and removed) on every error path; kept on success.
        let tmp = tempfile::Builder::new()
            .prefix(&tmp_prefix("load"))
            .tempdir_in(&models)
            .map_err(|e| StoreError::io("creating a temporary entry in", &models, e))?;
        let dir = tmp.path();
        let mut files = BTreeMap::new();

        // Stored under its own format's extension (a LightGBM text model is
        // `model.txt`, a pickle `model.pkl`), so a user who copies the entry
        // out opens it with the right reader.
        let ext = (format.spec().extension)(&bytes);
        let model_file = format!("model.{ext}");
        write_file(dir, &model_file, &bytes, &mut files)?;
        write_file(
            dir,
            "ir.json",
            ens.to_canonical_json().as_bytes(),
            &mut files,
        )?;
        let src = dir.join("src");
        std::fs::create_dir(&src).map_err(|e| StoreError::io("creating", &src, e))?;
        for f in &sources {
            write_file(
                dir,
                &format!("src/{}", f.name),
                f.contents.as_bytes(),
                &mut files,
            )?;
        }
        sync_dir(&src)?;

        let library = format!("lib/libmodel{}", std::env::consts::DLL_SUFFIX);
        let lib_dir = dir.join("lib");
        std::fs::create_dir(&lib_dir).map_err(|e| StoreError::io("creating", &lib_dir, e))?;
        let mut args: Vec<String> = CFLAGS.iter().map(|s| s.to_string()).collect();
        args.extend(["-o".to_string(), library.clone()]);
        args.extend(["src/model.c".to_string(), "src/model_data.c".to_string()]);
        let command_text = crate::verify::process::command_line(COMPILER, &args);
        let done = crate::verify::process::run(COMPILER, &args, dir, COMPILE_TIMEOUT)
            .map_err(|e| StoreError::io("running the C compiler in", dir, e))?;
        if !done.success() {
            let mut output = done.stderr;
            output.push_str(&done.stdout);
            if done.timed_out {
                output.push_str(&format!("(killed after {}s)", COMPILE_TIMEOUT.as_secs()));
            }
            return Err(StoreError::Build {
                command: command_text,
                output,
            });
        }
        let lib_path = dir.join(&library);
        let lib_bytes =
            std::fs::read(&lib_path).map_err(|e| StoreError::io("reading", &lib_path, e))?;
        sync_file(&lib_path)?;
        sync_dir(&lib_dir)?;
        files.insert(library.clone(), sha256_hex(&lib_bytes));

        let mut command = vec![COMPILER.to_string()];
        command.extend(args);
        let manifest = Manifest {
            abi_version: crate::codegen::c99::ABI_VERSION,
            build: BuildInfo {
                command,
                compiler: COMPILER.into(),
                compiler_version: crate::verify::process::version_line(COMPILER),
                library,
            },
            files,
            manifest_version: MANIFEST_VERSION,
            model: ModelInfo {
                file: model_file,
                format: ens.source.format.clone(),
                n_features: ens.n_features,
                n_outputs: ens.n_outputs(),
                n_trees: u32::try_from(ens.trees.len()).unwrap_or(u32::MAX),
                objective: ens.source.objective.clone(),
                sha256: ens.source.sha256.clone(),
            },
            name: name.into(),
            timber_version: crate::version::TIMBER_VERSION.into(),
        };
        let mut unused = BTreeMap::new();
        write_file(
            dir,
            MANIFEST_FILE,
            manifest_json(&manifest).as_bytes(),
            &mut unused,
        )?;
        sync_dir(dir)?;

        let built = tmp.keep();
        if let Err(e) = self.install(&built, &final_dir, force, name) {
            let _ = std::fs::remove_dir_all(&built);
            return Err(e);
        }
        sync_dir(&models)?;
        Ok(manifest)
    }

    /// Rename a finished entry into place. With `force`, on Linux the new
    /// and the old entry are swapped in one step (renameat2 with
    /// RENAME_EXCHANGE), so the name never disappears, not even in a crash;
    /// elsewhere the old entry is first renamed aside (readers see the old,
    /// nothing, or the new; never a mix).
    fn install(
        &self,
        built: &Path,
        final_dir: &Path,
        force: bool,
        name: &str,
    ) -> Result<(), StoreError> {
        let mut old = None;
        if entry_state(final_dir)? {
            if !force {
                return Err(StoreError::Exists {
                    name: name.into(),
                    path: final_dir.to_path_buf(),
                });
            }
            if exchange(built, final_dir).is_ok() {
                // `built` now holds the old entry (still a `.tmp-` name, so
                // a crash here leaves it to the cleaner).
                let _ = std::fs::remove_dir_all(built);
                return Ok(());
            }
            let aside = self.aside_path("old")?;
            std::fs::rename(final_dir, &aside)
                .map_err(|e| StoreError::io("moving the old entry aside", final_dir, e))?;
            old = Some(aside);
        }
        std::fs::rename(built, final_dir)
            .map_err(|e| StoreError::io("renaming the new entry to", final_dir, e))?;
        if let Some(old) = old {
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(())
    }

    /// A fresh, unused path in `models/` for renaming an entry aside.
    fn aside_path(&self, what: &str) -> Result<PathBuf, StoreError> {
        let models = self.models_dir();
        let t = tempfile::Builder::new()
            .prefix(&tmp_prefix(what))
            .tempdir_in(&models)
            .map_err(|e| StoreError::io("creating a temporary name in", &models, e))?;
        // rename() over an empty directory replaces it.
        Ok(t.keep())
    }

    /// Every entry, sorted by name. Temporary directories are skipped (and
    /// those of dead processes removed).
    pub fn list(&self) -> Result<Vec<Listed>, StoreError> {
        let models = self.models_dir();
        if !models.exists() {
            return Ok(Vec::new());
        }
        self.clean_stale();
        let mut names = Vec::new();
        let rd = std::fs::read_dir(&models).map_err(|e| StoreError::io("reading", &models, e))?;
        for e in rd {
            let e = e.map_err(|e| StoreError::io("reading", &models, e))?;
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') || !e.path().is_dir() {
                continue;
            }
            names.push(name);
        }
        names.sort();
        Ok(names
            .into_iter()
            .map(|name| {
                let manifest = self.manifest(&name);
                Listed { name, manifest }
            })
            .collect())
    }

    /// Read the manifest of entry `name`.
    pub fn manifest(&self, name: &str) -> Result<Manifest, StoreError> {
        let dir = self.entry_dir(name)?;
        if !dir.is_dir() {
            return Err(StoreError::NotFound {
                name: name.into(),
                root: self.root.clone(),
            });
        }
        let path = dir.join(MANIFEST_FILE);
        let text =
            std::fs::read_to_string(&path).map_err(|e| StoreError::io("reading", &path, e))?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| StoreError::Manifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if m.manifest_version != MANIFEST_VERSION {
            return Err(StoreError::Manifest {
                path,
                message: format!(
                    "manifest_version {} (this timber reads {MANIFEST_VERSION})",
                    m.manifest_version
                ),
            });
        }
        if m.name != name {
            return Err(StoreError::Manifest {
                path,
                message: format!("it names the entry `{}`", m.name),
            });
        }
        // Paths come from a file on disk: keep them inside the entry.
        for f in m.files.keys().chain([&m.build.library, &m.model.file]) {
            let p = Path::new(f);
            let inside = p
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside || f.is_empty() {
                return Err(StoreError::Manifest {
                    path,
                    message: format!("file path `{f}` leaves the entry"),
                });
            }
        }
        if !m.files.contains_key(&m.build.library) {
            return Err(StoreError::Manifest {
                path,
                message: "the library has no recorded sha256".into(),
            });
        }
        Ok(m)
    }

    /// Remove entry `name` (renamed aside first, so it vanishes at once).
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let dir = self.entry_dir(name)?;
        if !entry_state(&dir)? {
            return Err(StoreError::NotFound {
                name: name.into(),
                root: self.root.clone(),
            });
        }
        let aside = self.aside_path("remove")?;
        if let Err(e) = std::fs::rename(&dir, &aside) {
            let _ = std::fs::remove_dir(&aside);
            return Err(StoreError::io("removing", &dir, e));
        }
        std::fs::remove_dir_all(&aside).map_err(|e| StoreError::io("removing", &aside, e))?;
        let models = self.models_dir();
        sync_dir(&models)
    }

    /// Verify every file of entry `name` against its manifest and load its
    /// library, ready to run.
    pub fn open(&self, name: &str) -> Result<CompiledModel, StoreError> {
        let manifest = self.manifest(name)?;
        let dir = self.entry_dir(name)?;
        let mut contents = BTreeMap::new();
        for (file, expected) in &manifest.files {
            let path = dir.join(file);
            let bytes = std::fs::read(&path).map_err(|e| StoreError::io("reading", &path, e))?;
            let found = sha256_hex(&bytes);
            if &found != expected {
                return Err(StoreError::Tampered {
                    name: name.into(),
                    file: file.clone(),
                    expected: expected.clone(),
                    found,
                });
            }
            contents.insert(file.clone(), bytes);
        }
        CompiledModel::from_verified(manifest, contents)
    }

    /// Remove `.tmp-*` directories whose creating process is gone. Errors
    /// are ignored: cleaning is housekeeping, never a reason to fail.
    fn clean_stale(&self) {
        let Ok(rd) = std::fs::read_dir(self.models_dir()) else {
            return;
        };
        for e in rd.flatten() {
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            if let Some(pid) = tmp_owner(&name) {
                if !process_alive(pid) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

/// Whether `dir` is an existing store entry (false when absent). Anything
/// else under that name (a symbolic link, a file, a directory without an
/// `entry.json`) is refused: `load --force` and `remove` replace or delete
/// only what `load` made.
fn entry_state(dir: &Path) -> Result<bool, StoreError> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(StoreError::io("inspecting", dir, e)),
    };
    let reason = if meta.file_type().is_symlink() {
        "is a symbolic link, not a store entry (entries are directories made by `timber load`); remove the link itself"
    } else if !meta.is_dir() {
        "is not a directory, so not a store entry"
    } else if !std::fs::symlink_metadata(dir.join(MANIFEST_FILE)).is_ok_and(|m| m.is_file()) {
        "is a directory without entry.json, not a store entry"
    } else {
        return Ok(true);
    };
    Err(StoreError::NotAnEntry {
        path: dir.to_path_buf(),
        reason,
    })
}

/// `.tmp-WHAT-PID-`: the owning process id is part of the name, so a
/// cleaner can tell a crashed operation's leftovers from a running one's.
fn tmp_prefix(what: &str) -> String {
    format!("{TMP_PREFIX}{what}-{}-", std::process::id())
}

/// The pid in a `.tmp-WHAT-PID-RANDOM` name.
fn tmp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TMP_PREFIX)?;
    let mut parts = rest.splitn(3, '-');
    let _what = parts.next()?;
    parts.next()?.parse().ok()
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    // Without /proc there is no cheap, dependency-free liveness check:
    // leave every directory alone rather than risk removing a running
    // operation's work.
    true
}

/// Swap two directories atomically.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the
    // call; AT_FDCWD resolves relative paths as open(2) does. The raw
    // syscall works with every Linux C library (glibc's wrapper is 2.28+).
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// The manifest's text: pretty JSON with a final newline.
pub fn manifest_json(m: &Manifest) -> String {
    let mut text = serde_json::to_string_pretty(m)
        .unwrap_or_else(|e| unreachable!("manifest serialisation cannot fail: {e}"));
    text.push('\n');
    text
}

/// Write `dir/rel`, fsync it, and record its sha256 in `files`.
fn write_file(
    dir: &Path,
    rel: &str,
    bytes: &[u8],
    files: &mut BTreeMap<String, String>,
) -> Result<(), StoreError> {
    let path = dir.join(rel);
    let mut f = std::fs::File::create(&path).map_err(|e| StoreError::io("creating", &path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| StoreError::io("writing", &path, e))?;
    files.insert(rel.to_string(), sha256_hex(bytes));
    Ok(())
}

fn sync_file(path: &Path) -> Result<(), StoreError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io("syncing", path, e))
}

/// fsync a directory so a rename or create in it is durable.
#[cfg(unix)]
fn sync_dir(path: &Path) -> Result<(), StoreError> {
    sync_file(path)
}

#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["a", "anomaly-detector", "m0.v2_x", &"a".repeat(64), "9"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "A",
            "-a",
            ".a",
            "a..b",
            "a/b",
            "../x",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(validate_name(bad), Err(StoreError::InvalidName { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn tmp_names_carry_the_owner() {
        assert_eq!(tmp_owner(".tmp-load-1234-abcdef"), Some(1234));
        assert_eq!(tmp_owner(".tmp-old-77-x-y"), Some(77));
        assert_eq!(tmp_owner("model"), None);
        assert_eq!(tmp_owner(".tmp-load-x-y"), None);
        let p = tmp_prefix("load");
        assert_eq!(tmp_owner(&format!("{p}zz")), Some(std::process::id()));
    }
}
