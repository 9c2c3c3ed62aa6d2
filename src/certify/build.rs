//! certify's warning build: every generated `.c` file compiled by each
//! verified target's compiler with its own flags plus the strict warning
//! set, and by clang with `-Weverything` on the host
//! ([`crate::verify::warnings`]); the result is the record
//! `build/warnings.json` the `build:<target>` rows are derived from.

use std::path::{Path, PathBuf};

use crate::audit::warnings::{WarningsBuild, WarningsRecord, WarningsRun};
use crate::codegen::GeneratedFile;
use crate::verify::process::{version_line, which};
use crate::verify::warnings::{self, WarningsReport};
use crate::verify::TargetSpec;

/// The clang of the host's `-Weverything` pass: `clang-19`, else `clang`.
pub fn find_clang() -> Option<String> {
    ["clang-19", "clang"]
        .into_iter()
        .find(|c| which(c).is_some())
        .map(str::to_string)
}

/// Why the warning build could not run.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "clang is needed for the host's -Weverything warning build and was not found \
(install clang-19, or run scripts/install-toolchains.sh)"
    )]
    ClangMissing,
    #[error("writing the generated files to {dir}")]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Build `files` on every target of `targets` (and with clang on the
/// host) and return the record. A compiler that cannot be started is a
/// failed run with the reason as its diagnostic, not an error: the row
/// says so.
pub fn warning_builds(
    files: &[GeneratedFile],
    targets: &[TargetSpec],
) -> Result<WarningsRecord, BuildError> {
    let clang = if targets.iter().any(|t| t.name == "host") {
        Some(find_clang().ok_or(BuildError::ClangMissing)?)
    } else {
        None
    };
    let dir = std::env::temp_dir().join(format!(
        "timber-warnings-{}-{}",
        std::process::id(),
        unique()
    ));
    let io = |dir: &Path| {
        let dir = dir.to_path_buf();
        move |source| BuildError::Io { dir, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let _guard = Scratch(dir.clone());
    for f in files {
        std::fs::write(dir.join(&f.name), &f.contents).map_err(io(&dir))?;
    }
    let mut builds = Vec::new();
    for t in targets {
        builds.push(record(
            &t.name,
            &t.compiler,
            warnings::check_target(t, &dir),
        ));
        if t.name == "host" {
            if let Some(c) = &clang {
                builds.push(record("host", c, warnings::check_clang_everything(c, &dir)));
            }
        }
    }
    Ok(WarningsRecord::new(builds))
}

fn unique() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

fn record(target: &str, compiler: &str, report: std::io::Result<WarningsReport>) -> WarningsBuild {
    match report {
        Ok(r) => WarningsBuild {
            target: target.to_string(),
            compiler: r.compiler,
            compiler_version: version_line(compiler),
            warning_flags: r.flags,
            runs: r
                .runs
                .into_iter()
                .map(|run| WarningsRun {
                    file: run.file,
                    command: run.command,
                    exit_code: run.exit_code,
                    diagnostics: run.diagnostics,
                })
                .collect(),
        },
        Err(e) => WarningsBuild {
            target: target.to_string(),
            compiler: compiler.to_string(),
            compiler_version: String::new(),
            warning_flags: Vec::new(),
            runs: vec![WarningsRun {
                file: String::new(),
                command: String::new(),
                exit_code: None,
                diagnostics: format!("{compiler} could not be run: {e}"),
            }],
        },
    }
}
