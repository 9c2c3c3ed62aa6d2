//! Structural coverage of the generated C: statement, branch and MC/DC,
//! measured on the host with the generated test vectors.
//!
//! Why it exists: safety standards (ISO 26262-6 table 12, DO-178C table
//! A-7, IEC 61508-3 table B.2) ask for structural coverage of the code that
//! ships. `timber certify` records it in the audit bundle; this module
//! produces the figures and names every line, branch and condition left
//! uncovered, so a shortfall is something a reviewer can look at.
//!
//! How: the generated sources are built together with a driver
//! ([`driver`]) that calls every entry point through the public API.
//! Statement and branch coverage come from gcc's instrumentation
//! (`gcc -std=c99 -O0 --coverage -ffp-contract=off`) read back with
//! `gcov --json-format --stdout` ([`gcov`]); statements are gcov's
//! executable lines. gcc 12 has no condition coverage, so MC/DC comes from
//! clang's source-based coverage (`clang-19 -fcoverage-mcdc`, LLVM 19 or
//! later) read back with `llvm-cov export` ([`llvm`]). Only the generated
//! files count, never the driver.
//!
//! The report is deterministic: file names only (no paths), no timings,
//! everything sorted. The build happens in a temporary directory that is
//! removed afterwards, unless [`CoverageOptions::build_dir`] keeps it.

pub mod driver;
pub mod gcov;
pub mod llvm;

use crate::codegen::GeneratedFile;
use crate::verify::process::{command_line, which};
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use crate::audit::record::Ratio;

/// The script that installs every tool timber needs.
pub const INSTALL_HINT: &str = "scripts/install-toolchains.sh";

/// Knobs of a coverage measurement.
#[derive(Debug, Clone, Default)]
pub struct CoverageOptions {
    /// Also measure MC/DC (needs clang 18 or later and its llvm tools).
    pub mcdc: bool,
    /// Build here and keep the files (subdirectories `timber-coverage-gcc`
    /// and `timber-coverage-clang`, replaced on every run); default: a
    /// temporary directory, removed afterwards.
    pub build_dir: Option<PathBuf>,
}

/// Coverage of one generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCoverage {
    /// File name only, e.g. `model.c`.
    pub file: String,
    pub statement: Ratio,
    pub branch: Ratio,
    pub mcdc: Option<Ratio>,
}

/// One thing the vectors did not cover.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Uncovered {
    /// File name only, e.g. `model.c`.
    pub file: String,
    /// 1-based line (for a condition: the line its decision starts on).
    pub line: u32,
    /// `statement`, `branch` or `condition`.
    pub kind: String,
    /// What exactly, with the source text.
    pub detail: String,
}

/// The result of [`measure`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageReport {
    /// First line of `gcov --version`.
    pub gcov_version: String,
    /// First line of `gcc --version`.
    pub compiler_version: String,
    /// First line of the MC/DC compiler's `--version` (clang), when MC/DC
    /// was measured.
    pub mcdc_tool: Option<String>,
    /// First line of `llvm-cov --version` that names a version.
    pub llvm_cov_version: Option<String>,
    /// Vectors the driver ran through `timber_infer_single`.
    pub rows: usize,
    /// Statements: gcov's executable lines.
    pub statement: Ratio,
    /// Branches: gcov's branch arcs (both outcomes of every decision).
    pub branch: Ratio,
    /// MC/DC: conditions shown to independently affect their decision.
    pub mcdc: Option<Ratio>,
    /// With MC/DC: the decisions of the generated C counted by their
    /// number of conditions ([`DecisionCount`]), fewest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<DecisionCount>>,
    /// Per generated file, sorted by name.
    pub files: Vec<FileCoverage>,
    /// Everything not covered, sorted by file, line, kind.
    pub uncovered: Vec<Uncovered>,
    /// The commands run, in order, relative to the build directory.
    pub commands: Vec<String>,
}

impl CoverageReport {
    /// The figures as the certification record holds them.
    pub fn summary(&self) -> crate::audit::record::CoverageSummary {
        crate::audit::record::CoverageSummary {
            statement: self.statement,
            branch: self.branch,
            mcdc: self.mcdc,
            decisions: self.decisions.clone(),
        }
    }
}

/// Decisions with one number of conditions. `covered`: for one
/// condition, both outcomes taken (there MC/DC equals decision coverage);
/// for more, every condition shown to affect the decision on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DecisionCount {
    pub conditions: usize,
    pub decisions: u64,
    pub covered: u64,
}

/// The MC/DC figure with what it counts: the conditions of the decisions
/// with two or more, and the one-condition decisions apart, where MC/DC
/// equals decision coverage.
pub fn mcdc_text(mcdc: &Ratio, decisions: &[DecisionCount]) -> String {
    let multi: Vec<String> = decisions
        .iter()
        .filter(|d| d.conditions > 1)
        .map(|d| format!("{} of {} conditions", d.decisions, d.conditions))
        .collect();
    let mut out = format!(
        "{:.1} % ({}/{} conditions of the decisions with two or more: {})",
        mcdc.percent(),
        mcdc.covered,
        mcdc.total,
        if multi.is_empty() {
            "none".to_string()
        } else {
            multi.join(", ")
        }
    );
    if let Some(one) = decisions.iter().find(|d| d.conditions == 1) {
        out.push_str(&format!(
            "; the other {} decisions have one condition, where MC/DC equals decision \
             coverage: {} took both outcomes",
            one.decisions, one.covered
        ));
    }
    out
}

/// Count `parsed`'s decisions of the generated `files` by conditions.
fn decision_counts(parsed: &llvm::LlvmExport, files: &[GeneratedFile]) -> Vec<DecisionCount> {
    let ours = |f: &str| files.iter().any(|g| g.name == f);
    let mut by: std::collections::BTreeMap<usize, (u64, u64)> = Default::default();
    for (file, _, both) in &parsed.single {
        if ours(file) {
            let e = by.entry(1).or_default();
            e.0 += 1;
            e.1 += u64::from(*both);
        }
    }
    for d in parsed.decisions.iter().filter(|d| ours(&d.file)) {
        let e = by.entry(d.conditions.len()).or_default();
        e.0 += 1;
        e.1 += u64::from(d.conditions.iter().all(|c| *c));
    }
    by.into_iter()
        .map(|(conditions, (decisions, covered))| DecisionCount {
            conditions,
            decisions,
            covered,
        })
        .collect()
}

/// Why a measurement could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    /// A tool is missing (the CLI maps this to exit code 3).
    #[error("`{tool}` was not found (Debian package {package}); run {INSTALL_HINT} to install it")]
    ToolMissing { tool: String, package: String },
    #[error("building the coverage driver failed: {0}")]
    Build(String),
    #[error("running the coverage driver failed: {0}")]
    Run(String),
    #[error("reading the coverage data failed: {0}")]
    Parse(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CoverageError {
    let context = context.into();
    move |source| CoverageError::Io { context, source }
}

/// Flags of the gcc build (statement and branch coverage).
pub const GCC_FLAGS: [&str; 4] = ["-std=c99", "-O0", "--coverage", "-ffp-contract=off"];
/// Flags of the clang build (MC/DC).
pub const CLANG_FLAGS: [&str; 6] = [
    "-std=c99",
    "-O0",
    "-ffp-contract=off",
    "-fprofile-instr-generate",
    "-fcoverage-mapping",
    "-fcoverage-mcdc",
];

const PROGRAM: &str = "timber_coverage_driver";
const GCC_SUBDIR: &str = "timber-coverage-gcc";
const CLANG_SUBDIR: &str = "timber-coverage-clang";

/// Measure statement and branch coverage (and MC/DC when asked) of the
/// generated files when driven with `vectors` (rows of
/// `TIMBER_N_FEATURES` floats).
pub fn measure(
    files: &[GeneratedFile],
    vectors: &[Vec<f32>],
    opts: &CoverageOptions,
) -> Result<CoverageReport, CoverageError> {
    let model_c = files
        .iter()
        .find(|f| f.name == "model.c")
        .ok_or_else(|| CoverageError::Build("no model.c among the generated files".into()))?;
    if !files.iter().any(|f| f.name == "model.h") {
        return Err(CoverageError::Build(
            "no model.h among the generated files".into(),
        ));
    }
    if files.iter().any(|f| f.name == driver::DRIVER_FILE) {
        return Err(CoverageError::Build(format!(
            "a generated file is named {}, the driver's name",
            driver::DRIVER_FILE
        )));
    }
    let n_features = vectors.first().map(Vec::len).unwrap_or(0);
    if vectors.iter().any(|r| r.len() != n_features) {
        return Err(CoverageError::Run(
            "the vectors do not all have the same length".into(),
        ));
    }

    // Every tool up front, so a missing one is reported before any work.
    let gcc = require("gcc", "gcc")?;
    let gcov = require("gcov", "gcc")?;
    let llvm = if opts.mcdc { Some(find_llvm()?) } else { None };

    let driver_text = driver::driver_c(vectors, n_features, driver::block_rows(&model_c.contents));

    let temp;
    let root: &Path = match &opts.build_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(io_err(format!("creating {}", d.display())))?;
            d
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("timber-coverage-")
                .tempdir()
                .map_err(io_err("creating a temporary directory"))?;
            temp.path()
        }
    };

    let mut commands = Vec::new();
    let gcc_dir = fresh_dir(root, GCC_SUBDIR, files, &driver_text)?;
    let gcov_text = run_gcc(&gcc, &gcov, &gcc_dir, files, &mut commands)?;
    let parsed = gcov::parse(&gcov_text).map_err(CoverageError::Parse)?;

    let mut uncovered = Vec::new();
    let mut per_file: Vec<FileCoverage> = Vec::new();
    for f in files {
        let Some(g) = parsed
            .files
            .iter()
            .find(|g| llvm::base_name(&g.file) == f.name)
        else {
            if f.name.ends_with(".c") {
                per_file.push(FileCoverage {
                    file: f.name.clone(),
                    statement: Ratio {
                        covered: 0,
                        total: 0,
                    },
                    branch: Ratio {
                        covered: 0,
                        total: 0,
                    },
                    mcdc: None,
                });
            }
            continue;
        };
        per_file.push(file_from_gcov(f, g, &mut uncovered));
    }

    let mut mcdc_tool = None;
    let mut llvm_cov_version = None;
    let mut decisions = None;
    if let Some(tools) = &llvm {
        let clang_dir = fresh_dir(root, CLANG_SUBDIR, files, &driver_text)?;
        let export = run_clang(tools, &clang_dir, files, &mut commands)?;
        let parsed = llvm::parse(&export).map_err(CoverageError::Parse)?;
        decisions = Some(decision_counts(&parsed, files));
        for fc in &mut per_file {
            fc.mcdc = Some(Ratio {
                covered: 0,
                total: 0,
            });
        }
        for d in &parsed.decisions {
            let Some(src) = files.iter().find(|f| f.name == d.file) else {
                continue;
            };
            let fc = match per_file.iter_mut().find(|fc| fc.file == d.file) {
                Some(fc) => fc,
                None => {
                    per_file.push(FileCoverage {
                        file: d.file.clone(),
                        statement: Ratio {
                            covered: 0,
                            total: 0,
                        },
                        branch: Ratio {
                            covered: 0,
                            total: 0,
                        },
                        mcdc: Some(Ratio {
                            covered: 0,
                            total: 0,
                        }),
                    });
                    let last = per_file.len() - 1;
                    &mut per_file[last]
                }
            };
            let n = d.conditions.len();
            let text = decision_text(&src.contents, d);
            if let Some(m) = fc.mcdc.as_mut() {
                m.total += n as u64;
                m.covered += d.conditions.iter().filter(|c| **c).count() as u64;
            }
            for (i, covered) in d.conditions.iter().enumerate() {
                if !covered {
                    uncovered.push(Uncovered {
                        file: d.file.clone(),
                        line: d.line_start,
                        kind: "condition".into(),
                        detail: format!(
                            "condition {} of {n} in `{text}` never shown to affect the decision on its own",
                            i + 1
                        ),
                    });
                }
            }
        }
        mcdc_tool = Some(tools.clang_version.clone());
        llvm_cov_version = Some(tools.llvm_cov_version.clone());
    }

    per_file.sort_by(|a, b| a.file.cmp(&b.file));
    uncovered.sort();
    let sum = |pick: fn(&FileCoverage) -> Option<Ratio>| {
        per_file.iter().filter_map(pick).fold(
            Ratio {
                covered: 0,
                total: 0,
            },
            |acc, r| Ratio {
                covered: acc.covered + r.covered,
                total: acc.total + r.total,
            },
        )
    };
    let statement = sum(|f| Some(f.statement));
    let branch = sum(|f| Some(f.branch));
    let mcdc = llvm.as_ref().map(|_| sum(|f| f.mcdc));
    Ok(CoverageReport {
        gcov_version: version_line(&gcov),
        compiler_version: version_line(&gcc),
        mcdc_tool,
        llvm_cov_version,
        rows: vectors.len(),
        statement,
        branch,
        mcdc,
        decisions,
        files: per_file,
        uncovered,
        commands,
    })
}

/// Statement and branch figures of one generated file from gcov's lines;
/// what is not covered goes to `uncovered`.
fn file_from_gcov(
    f: &GeneratedFile,
    g: &gcov::GcovFile,
    uncovered: &mut Vec<Uncovered>,
) -> FileCoverage {
    let source: Vec<&str> = f.contents.lines().collect();
    let text_of = |line: u32| -> String {
        source
            .get((line as usize).wrapping_sub(1))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut statement = Ratio {
        covered: 0,
        total: 0,
    };
    let mut branch = Ratio {
        covered: 0,
        total: 0,
    };
    for l in &g.lines {
        statement.total += 1;
        if l.count > 0 {
            statement.covered += 1;
        } else {
            uncovered.push(Uncovered {
                file: f.name.clone(),
                line: l.line,
                kind: "statement".into(),
                detail: format!("never executed: `{}`", text_of(l.line)),
            });
        }
        let arcs: Vec<&gcov::GcovBranch> = l.branches.iter().filter(|b| !b.throw).collect();
        for (i, b) in arcs.iter().enumerate() {
            branch.total += 1;
            if b.count > 0 {
                branch.covered += 1;
            } else {
                uncovered.push(Uncovered {
                    file: f.name.clone(),
                    line: l.line,
                    kind: "branch".into(),
                    detail: format!(
                        "branch {} of {} ({}) never taken: `{}`",
                        i + 1,
                        arcs.len(),
                        if b.fallthrough {
                            "fall-through"
                        } else {
                            "jump"
                        },
                        text_of(l.line)
                    ),
                });
            }
        }
    }
    FileCoverage {
        file: f.name.clone(),
        statement,
        branch,
        mcdc: None,
    }
}

/// The source text of a decision (columns are 1-based, the end exclusive),
/// lines joined by single spaces.
fn decision_text(contents: &str, d: &llvm::McdcDecision) -> String {
    let lines: Vec<&str> = contents.lines().collect();
    let mut parts = Vec::new();
    for ln in d.line_start..=d.line_end {
        let Some(line) = lines.get((ln as usize).wrapping_sub(1)) else {
            break;
        };
        let chars: Vec<char> = line.chars().collect();
        let from = if ln == d.line_start {
            (d.col_start as usize).saturating_sub(1)
        } else {
            0
        };
        let to = if ln == d.line_end {
            (d.col_end as usize).saturating_sub(1).min(chars.len())
        } else {
            chars.len()
        };
        if from < to {
            parts.push(
                chars[from..to]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string(),
            );
        }
    }
    parts.join(" ")
}

/// Write the generated files and the driver into `root/sub`, replacing
/// whatever a previous run left there (stale counters would add up).
fn fresh_dir(
    root: &Path,
    sub: &str,
    files: &[GeneratedFile],
    driver_text: &str,
) -> Result<PathBuf, CoverageError> {
    let dir = root.join(sub);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io_err(format!("removing {}", dir.display())))?;
    }
    std::fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
    for f in files {
        if f.name.contains('/') || f.name.contains('\\') || f.name.starts_with('.') {
            return Err(CoverageError::Build(format!(
                "generated file name `{}` is not a plain file name",
                f.name
            )));
        }
        let p = dir.join(&f.name);
        std::fs::write(&p, &f.contents).map_err(io_err(format!("writing {}", p.display())))?;
    }
    let p = dir.join(driver::DRIVER_FILE);
    std::fs::write(&p, driver_text).map_err(io_err(format!("writing {}", p.display())))?;
    Ok(dir)
}

/// The generated C sources, sorted by name (the order `files` has).
fn c_sources(files: &[GeneratedFile]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.name.ends_with(".c"))
        .map(|f| f.name.clone())
        .collect()
}

/// Build with gcc, run, and return gcov's JSON for the generated sources.
fn run_gcc(
    gcc: &Tool,
    gcov: &Tool,
    dir: &Path,
    files: &[GeneratedFile],
    commands: &mut Vec<String>,
) -> Result<String, CoverageError> {
    let sources = c_sources(files);
    let mut objects = Vec::new();
    for src in sources
        .iter()
        .map(String::as_str)
        .chain([driver::DRIVER_FILE])
    {
        let obj = format!("{}.o", src.trim_end_matches(".c"));
        let mut args: Vec<String> = GCC_FLAGS.iter().map(|s| s.to_string()).collect();
        args.extend(["-c".into(), src.into(), "-o".into(), obj.clone()]);
        step(gcc, &args, dir, &[], commands).map_err(CoverageError::Build)?;
        objects.push(obj);
    }
    let mut args: Vec<String> = vec!["--coverage".into()];
    args.extend(objects);
    args.extend(["-o".into(), PROGRAM.into()]);
    step(gcc, &args, dir, &[], commands).map_err(CoverageError::Build)?;
    run_driver(dir, &[], commands)?;
    let mut args: Vec<String> = vec![
        "--branch-probabilities".into(),
        "--json-format".into(),
        "--stdout".into(),
    ];
    // Sources without executable code (model_data.c: tables only) leave
    // no data file; gcov has nothing to say about them.
    let with_data: Vec<String> = sources
        .iter()
        .filter(|s| {
            dir.join(format!("{}.gcda", s.trim_end_matches(".c")))
                .is_file()
        })
        .cloned()
        .collect();
    if with_data.is_empty() {
        return Err(CoverageError::Run(
            "the driver ran but left no coverage data (.gcda)".into(),
        ));
    }
    args.extend(with_data);
    step(gcov, &args, dir, &[], commands).map_err(CoverageError::Parse)
}

/// Build with clang (MC/DC instrumentation), run, merge the profile and
/// return `llvm-cov export`'s JSON.
fn run_clang(
    tools: &LlvmTools,
    dir: &Path,
    files: &[GeneratedFile],
    commands: &mut Vec<String>,
) -> Result<String, CoverageError> {
    let mut args: Vec<String> = CLANG_FLAGS.iter().map(|s| s.to_string()).collect();
    args.extend(c_sources(files));
    args.extend([driver::DRIVER_FILE.into(), "-o".into(), PROGRAM.into()]);
    if let Err(e) = step(&tools.clang, &args, dir, &[], commands) {
        if e.contains("libclang_rt.profile") {
            return Err(CoverageError::ToolMissing {
                tool: "libclang_rt.profile".into(),
                package: tools.runtime_package.clone(),
            });
        }
        return Err(CoverageError::Build(e));
    }
    run_driver(dir, &[("LLVM_PROFILE_FILE", "timber.profraw")], commands)?;
    let args: Vec<String> = [
        "merge",
        "-sparse",
        "-o",
        "timber.profdata",
        "timber.profraw",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    step(&tools.profdata, &args, dir, &[], commands).map_err(CoverageError::Parse)?;
    let args: Vec<String> = [
        "export",
        "-format=text",
        "-instr-profile=timber.profdata",
        PROGRAM,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    step(&tools.cov, &args, dir, &[], commands).map_err(CoverageError::Parse)
}

fn run_driver(
    dir: &Path,
    env: &[(&str, &str)],
    commands: &mut Vec<String>,
) -> Result<(), CoverageError> {
    let program = Tool {
        name: format!("./{PROGRAM}"),
        path: dir.join(PROGRAM),
    };
    step(&program, &[], dir, env, commands)
        .map(|_| ())
        .map_err(CoverageError::Run)
}

/// A program: the name recorded in commands, and the path it runs from.
#[derive(Debug, Clone)]
struct Tool {
    name: String,
    path: PathBuf,
}

/// Run one command in `dir` with a clean coverage environment; its stdout,
/// or a message with its stderr.
fn step(
    tool: &Tool,
    args: &[String],
    dir: &Path,
    env: &[(&str, &str)],
    commands: &mut Vec<String>,
) -> Result<String, String> {
    let mut record = String::new();
    for (k, v) in env {
        record.push_str(&format!("{k}={v} "));
    }
    record.push_str(&command_line(&tool.name, args));
    commands.push(record.clone());
    let mut cmd = Command::new(&tool.path);
    cmd.args(args).current_dir(dir);
    for var in ["GCOV_PREFIX", "GCOV_PREFIX_STRIP", "LLVM_PROFILE_FILE"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (status, stdout, stderr) =
        run_with_timeout(cmd, STEP_TIMEOUT).map_err(|e| format!("`{record}`: {e}"))?;
    match status {
        Some(st) if st.success() => Ok(stdout),
        Some(st) => Err(format!(
            "`{record}` exited with {st}: {}{}",
            tail(&stderr, 2000),
            tail(&stdout, 500)
        )),
        None => Err(format!(
            "`{record}` did not finish within {} s",
            STEP_TIMEOUT.as_secs()
        )),
    }
}

/// Longest any one build, run or report step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(900);

/// Run `cmd` to the end, or kill it after `timeout` (status None);
/// stdout and stderr are read while it runs.
fn run_with_timeout(
    mut cmd: Command,
    timeout: Duration,
) -> std::io::Result<(Option<std::process::ExitStatus>, String, String)> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break Some(st);
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok((status, stdout, stderr))
}

fn tail(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.len() <= max {
        return s.to_string();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("...{}", &s[start..])
}

fn require(name: &str, package: &str) -> Result<Tool, CoverageError> {
    which(name)
        .map(|path| Tool {
            name: name.to_string(),
            path,
        })
        .ok_or_else(|| CoverageError::ToolMissing {
            tool: name.to_string(),
            package: package.to_string(),
        })
}

/// First line of `tool --version` that names a version (llvm-cov prints
/// a banner line first on some builds).
fn version_line(tool: &Tool) -> String {
    let out = Command::new(&tool.path).arg("--version").output();
    let text = match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(_) => return String::new(),
    };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.clone().next().unwrap_or("").to_string();
    lines
        .find(|l| l.contains("version"))
        .map(str::to_string)
        .unwrap_or(first)
}

/// clang and its llvm tools for MC/DC.
#[derive(Debug, Clone)]
struct LlvmTools {
    clang: Tool,
    profdata: Tool,
    cov: Tool,
    clang_version: String,
    llvm_cov_version: String,
    /// The Debian package with the profile runtime.
    runtime_package: String,
}

/// The oldest clang whose `-fcoverage-mcdc` timber reads.
pub const MIN_CLANG_MAJOR: u32 = 18;

/// The major version in `... clang version 19.1.7 ...`.
pub fn clang_major(version_line: &str) -> Option<u32> {
    let rest = version_line.split("clang version ").nth(1)?;
    rest.split(['.', ' ']).next()?.parse().ok()
}

/// clang-19 and its llvm-19 tools; else plain `clang` when it is 18 or
/// later, with plain `llvm-profdata` and `llvm-cov`.
fn find_llvm() -> Result<LlvmTools, CoverageError> {
    let tools = |suffix: &str, clang: Tool, llvm_pkg: &str, rt_pkg: &str| {
        let profdata = require(&format!("llvm-profdata{suffix}"), llvm_pkg)?;
        let cov = require(&format!("llvm-cov{suffix}"), llvm_pkg)?;
        Ok(LlvmTools {
            clang_version: version_line(&clang),
            llvm_cov_version: version_line(&cov),
            clang,
            profdata,
            cov,
            runtime_package: rt_pkg.to_string(),
        })
    };
    if let Ok(clang) = require("clang-19", "clang-19") {
        return tools("-19", clang, "llvm-19", "libclang-rt-19-dev");
    }
    if let Ok(clang) = require("clang", "clang") {
        let v = version_line(&clang);
        if clang_major(&v).is_some_and(|m| m >= MIN_CLANG_MAJOR) {
            return tools("", clang, "llvm", "libclang-rt-dev");
        }
    }
    Err(CoverageError::ToolMissing {
        tool: "clang-19".into(),
        package: "clang-19".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_names_its_package() {
        match require("timber-no-such-tool-for-coverage", "some-package") {
            Err(CoverageError::ToolMissing { tool, package }) => {
                assert_eq!(tool, "timber-no-such-tool-for-coverage");
                assert_eq!(package, "some-package");
            }
            other => panic!("expected ToolMissing, got {other:?}"),
        }
        let e = CoverageError::ToolMissing {
            tool: "clang-19".into(),
            package: "clang-19".into(),
        };
        assert!(e.to_string().contains(INSTALL_HINT));
    }

    #[test]
    fn clang_majors() {
        assert_eq!(
            clang_major("Debian clang version 19.1.7 (3~deb12u1)"),
            Some(19)
        );
        assert_eq!(
            clang_major("Ubuntu clang version 18.1.3 (1ubuntu1)"),
            Some(18)
        );
        assert_eq!(clang_major("clang version 14.0.6"), Some(14));
        assert_eq!(clang_major("gcc (Debian 12.2.0) 12.2.0"), None);
    }

    #[test]
    fn decision_text_spans_columns_and_lines() {
        let src = "int f(void)\n  if ((a > 0) && (b > 0)) {\n  x = (c\n      || d);\n";
        let d = llvm::McdcDecision {
            file: "a.c".into(),
            line_start: 2,
            col_start: 7,
            line_end: 2,
            col_end: 25,
            conditions: vec![],
        };
        assert_eq!(decision_text(src, &d), "(a > 0) && (b > 0)");
        let d2 = llvm::McdcDecision {
            line_start: 3,
            col_start: 8,
            line_end: 4,
            col_end: 11,
            ..d
        };
        assert_eq!(decision_text(src, &d2), "c || d");
    }
}
