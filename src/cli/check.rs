//! `timber check`: run the built-in MISRA C:2012 rule checker over C files
//! and directories, write the report, and map the result to an exit code:
//! 0 clean, 1 an undeviated mandatory/required finding, 2 bad input.

use std::path::PathBuf;

use crate::timber_cli::{EXIT_FAIL, EXIT_OK};
use timber::check::{self, catalogue, deviation, report, Format};
use timber::profile;

/// Arguments of `timber check`.
#[derive(clap::Args)]
pub struct Args {
    /// C files or directories (searched recursively for .c and .h, in sorted
    /// order; symbolic links to directories inside them are not entered
    /// without --follow-symlinks).
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Deviation records and re-categorization plan (TOML, `[[deviation]]` and `[[recategorize]]` tables).
    #[arg(long, value_name = "FILE")]
    pub deviations: Option<PathBuf>,
    /// Apply a safety profile's guideline plan (a built-in name, see
    /// `timber profiles`, or a .toml path): its re-categorisations and the
    /// guidelines it permits deviations for.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Level of the profile (e.g. ASIL-D, SIL-3, DAL-A, class-C); default:
    /// the profile's default level.
    #[arg(long, value_name = "LEVEL", requires = "profile")]
    pub level: Option<String>,
    /// Enter symbolic links to directories found inside the named
    /// directories (by default they are listed as not checked). Either way a
    /// directory is entered once: link cycles and `..` links cannot loop.
    /// FIFOs, sockets and devices are never read; they are listed as not checked.
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Search this directory for included headers (repeatable, in order;
    /// `#include "h"` is looked up next to the including file first).
    /// Headers are read for their declarations (typedefs, members,
    /// prototypes, macros), which the essential type rules need; findings
    /// are reported for the named files only.
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let guidelines = catalogue::guidelines()?;
    let mut config = check::Config {
        follow_symlinks: args.follow_symlinks,
        include_dirs: args.include_dirs.clone(),
        ..check::Config::default()
    };
    if let Some(path) = &args.deviations {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read deviations: {e}", path.display()))?;
        let (deviations, recategorizations) =
            deviation::parse_plan(&text, &path.display().to_string(), &guidelines)?;
        config.deviations = deviations;
        config.recategorizations = recategorizations;
    }
    if let Some(spec) = &args.profile {
        let targets = timber::verify::targets::names();
        let profile = profile::load(spec, &guidelines, &targets)?.resolve(args.level.as_deref())?;
        if let Some(d) = config
            .deviations
            .iter()
            .find(|d| !profile.permits_deviation(&d.rule))
        {
            anyhow::bail!(
                "deviation {} covers {}, which profile {} does not permit deviations for (permitted: {})",
                d.id,
                d.rule,
                profile.label(),
                profile.check.deviations_permitted.join(", ")
            );
        }
        config.recategorizations = profile::merge_recategorizations(
            profile.recategorizations(&guidelines),
            std::mem::take(&mut config.recategorizations),
        );
    }
    let result = check::check_files(&args.paths, &config)?;
    let rendered = report::render(&result, args.format, &guidelines)?;
    match &args.output {
        Some(path) => std::fs::write(path, rendered)
            .map_err(|e| anyhow::anyhow!("{}: cannot write report: {e}", path.display()))?,
        None => print!("{rendered}"),
    }
    if args.output.is_some() || args.format != Format::Text {
        eprintln!(
            "timber check: {} file(s), {} finding(s), {} failing",
            result.files.len(),
            result.findings.len(),
            result.failing()
        );
    }
    Ok(if result.failing() > 0 {
        EXIT_FAIL
    } else {
        EXIT_OK
    })
}
