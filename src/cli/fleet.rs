//! `timber certify --fleet FILE`: many models in one command, one summary
//! table, one JUnit file, exit 1 when any model falls short.

use crate::timber_cli::{EXIT_FAIL, EXIT_OK, EXIT_TOOL_MISSING, EXIT_USAGE};
use anyhow::Context;
use std::io::IsTerminal;
use std::path::Path;
use timber::audit::record::Status;
use timber::certify::CertifyError;
use timber::fleet::{self, Planned};

pub fn run(file: &Path, jobs: Option<usize>, junit: Option<&Path>) -> anyhow::Result<u8> {
    let mut plan = fleet::plan(file)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = jobs.unwrap_or(1).max(1);
    // Models at once times targets at once stays within the cores.
    for p in &mut plan {
        p.options.verify.jobs = Some((cores / jobs).max(1));
    }
    eprintln!(
        "certifying {} model(s) of {}, {jobs} at once",
        plan.len(),
        file.display()
    );
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(plan.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} models {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let done = |p: &Planned, r: &Result<timber::certify::CertifyOutcome, CertifyError>| {
        let what = match r {
            Ok(o) => o.certification.verdict.as_str().to_uppercase(),
            Err(_) => "ERROR".into(),
        };
        match &bar {
            Some(b) => {
                b.set_message(format!("{}: {what}", p.name));
                b.inc(1);
            }
            None => eprintln!("  - {}: {what}", p.name),
        }
    };
    let results = fleet::run(&plan, jobs, &done);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }

    print!("{}", summary_table(&plan, &results));
    if let Some(path) = junit {
        let runs: Vec<(
            String,
            Result<&timber::audit::record::Certification, String>,
        )> = plan
            .iter()
            .zip(&results)
            .map(|(p, r)| {
                (
                    p.name.clone(),
                    r.as_ref()
                        .map(|o| &o.certification)
                        .map_err(|e| format!("{e:#}")),
                )
            })
            .collect();
        std::fs::write(path, timber::audit::junit::render_junit_fleet(&runs))
            .with_context(|| format!("{}: cannot write the JUnit report", path.display()))?;
    }
    let failed = results
        .iter()
        .filter(|r| matches!(r, Ok(o) if o.certification.verdict == Status::Fail))
        .count();
    let errors: Vec<&CertifyError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    println!(
        "fleet: {} model(s), {} passed, {failed} failed, {} not certified",
        plan.len(),
        plan.len() - failed - errors.len(),
        errors.len()
    );
    Ok(
        if errors
            .iter()
            .any(|e| matches!(e, CertifyError::ToolMissing(_)))
        {
            EXIT_TOOL_MISSING
        } else if !errors.is_empty() {
            EXIT_USAGE
        } else if failed > 0 {
            EXIT_FAIL
        } else {
            EXIT_OK
        },
    )
}

/// One line per model: verdict, name, profile, failed rows, bundle (or
/// the error).
fn summary_table(
    plan: &[Planned],
    results: &[Result<timber::certify::CertifyOutcome, CertifyError>],
) -> String {
    let w = plan.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let mut s = String::new();
    for (p, r) in plan.iter().zip(results) {
        let line = match r {
            Ok(o) => {
                let c = &o.certification;
                let failed: Vec<&str> = c
                    .requirements
                    .iter()
                    .filter(|r| r.status == Status::Fail)
                    .map(|r| r.id.as_str())
                    .collect();
                format!(
                    "  {}  {:<w$}  {}  {} requirement(s){}  bundle {}",
                    match c.verdict {
                        Status::Pass => "pass ",
                        Status::Fail => "FAIL ",
                    },
                    p.name,
                    p.options.profile.label(),
                    c.requirements.len(),
                    if failed.is_empty() {
                        String::new()
                    } else {
                        format!(", failed: {}", failed.join(", "))
                    },
                    o.bundle.display()
                )
            }
            Err(e) => format!("  ERROR  {:<w$}  {e:#}", p.name),
        };
        s.push_str(&line);
        s.push('\n');
    }
    s
}
