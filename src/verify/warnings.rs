//! Warnings as evidence: the generated C compiled by each target's own
//! compiler, with its own flags, under a strict warning set turned into
//! errors.
//!
//! A compiler's warnings are a second, independent reading of the code
//! (implicit conversions, shadowing, qualifiers cast away, float promoted
//! to double). The evidence is that none fires, on every target:
//! [`STRICT_FLAGS`] appended to the target's flags (so `-O2` and the CPU
//! selection stay, and with them the warnings that need the optimiser),
//! each generated `.c` file compiled on its own. On the host, where clang
//! is available (certify already needs it for MC/DC), clang's
//! `-Weverything` is added as well, minus [`CLANG_EXCLUDED`], each with
//! the reason it does not apply to generated code.

use super::process::{command_line, run};
use super::targets::TargetSpec;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// The warning set every target's compiler applies to the generated C.
pub const STRICT_FLAGS: &[&str] = &[
    "-std=c99",
    "-pedantic",
    "-Wall",
    "-Wextra",
    "-Wconversion",
    "-Wdouble-promotion",
    "-Wshadow",
    "-Wcast-qual",
    "-Werror",
];

/// clang `-Weverything` warnings switched off, with why each does not
/// apply to the generated code.
pub const CLANG_EXCLUDED: &[(&str, &str)] = &[
    (
        "-Wno-padded",
        "reports padding the ABI inserts in a struct; informational, not a defect: the node tables' layout is fixed by the generator and their size is reported per target",
    ),
    (
        "-Wno-unsafe-buffer-usage",
        "the C++ Safe Buffers model flags every subscript of a pointer, which C cannot avoid (the API takes `const float *`); every index the generated code uses is bounded by construction (feature ids below TIMBER_N_FEATURES, node ids inside their tree's table, rows below the count passed in), which the verification runs exercise on every leaf",
    ),
];

/// How long one compilation may take.
const COMPILE_TIMEOUT: Duration = Duration::from_secs(300);

/// One compiler run over one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarningsRun {
    /// The generated file compiled.
    pub file: String,
    /// The command line (relative paths only).
    pub command: String,
    /// True when the compiler accepted the file under the flags.
    pub clean: bool,
    /// The compiler's exit code (None when killed or timed out).
    pub exit_code: Option<i32>,
    /// What the compiler printed (empty when clean).
    pub diagnostics: String,
}

/// Every run of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarningsReport {
    pub target: String,
    pub compiler: String,
    /// The warning flags added to the target's own flags.
    pub flags: Vec<String>,
    pub runs: Vec<WarningsRun>,
}

impl WarningsReport {
    /// True when every file compiled without a warning.
    pub fn clean(&self) -> bool {
        self.runs.iter().all(|r| r.clean)
    }

    /// `file:line: message` of the first diagnostic of each failing run.
    pub fn first_diagnostics(&self) -> Vec<String> {
        self.runs
            .iter()
            .filter(|r| !r.clean)
            .map(|r| {
                let first = r
                    .diagnostics
                    .lines()
                    .find(|l| l.contains("error") || l.contains("warning"))
                    .unwrap_or("the compiler failed without a diagnostic");
                format!("{} ({}): {}", r.file, self.target, first.trim())
            })
            .collect()
    }
}

/// The C files of `sources` (a directory holding what `timber compile`
/// wrote), sorted.
fn c_files(sources: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(sources)?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".c"))
        .collect();
    names.sort();
    Ok(names)
}

fn compile_each(
    compiler: &str,
    base_flags: &[String],
    sources: &Path,
) -> std::io::Result<Vec<WarningsRun>> {
    let mut runs = Vec::new();
    for file in c_files(sources)? {
        let mut args = base_flags.to_vec();
        args.extend(["-c".to_string(), file.clone(), "-o".to_string()]);
        args.push(format!("{file}.warnings.o"));
        let done = run(compiler, &args, sources, COMPILE_TIMEOUT)?;
        let _ = std::fs::remove_file(sources.join(format!("{file}.warnings.o")));
        runs.push(WarningsRun {
            file,
            command: command_line(compiler, &args),
            clean: done.success() && done.stderr.trim().is_empty(),
            exit_code: if done.timed_out { None } else { done.code },
            diagnostics: done.stderr,
        });
    }
    Ok(runs)
}

/// Compile every generated `.c` file of `sources` with `target`'s compiler
/// and flags plus [`STRICT_FLAGS`]. `sources` must also hold the headers.
pub fn check_target(target: &TargetSpec, sources: &Path) -> std::io::Result<WarningsReport> {
    // The target's own flags first (CPU, ABI, -O level, the C library's
    // specs, so the same headers are read as in the verified build).
    let mut flags: Vec<String> = target.cflags.clone();
    flags.extend(STRICT_FLAGS.iter().map(|s| s.to_string()));
    let runs = compile_each(&target.compiler, &flags, sources)?;
    Ok(WarningsReport {
        target: target.name.clone(),
        compiler: target.compiler.clone(),
        flags: STRICT_FLAGS.iter().map(|s| s.to_string()).collect(),
        runs,
    })
}

/// The host's clang pass: `-Weverything` minus [`CLANG_EXCLUDED`], with
/// `-Werror`, at the host target's optimisation level.
pub fn check_clang_everything(clang: &str, sources: &Path) -> std::io::Result<WarningsReport> {
    let mut warning_flags: Vec<String> = vec!["-Weverything".into()];
    warning_flags.extend(CLANG_EXCLUDED.iter().map(|(f, _)| f.to_string()));
    warning_flags.push("-Werror".into());
    let mut flags: Vec<String> = vec!["-std=c99".into(), "-O2".into()];
    flags.extend(warning_flags.iter().cloned());
    let runs = compile_each(clang, &flags, sources)?;
    Ok(WarningsReport {
        target: "host, clang -Weverything".into(),
        compiler: clang.into(),
        flags: warning_flags,
        runs,
    })
}
