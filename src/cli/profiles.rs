//! `timber profiles`: list the safety profiles and what each demands per
//! level (targets, coverage, stack budget, guideline policy, bundle).

use crate::timber_cli::EXIT_OK;
use timber::check::catalogue;
use timber::profile::{self, AdvisoryPolicy, ProfileDef};

/// Arguments of `timber profiles`.
#[derive(clap::Args)]
#[command(
    after_help = "Use a profile with `timber certify MODEL --profile NAME [--level L]`, \
or write your own TOML (same keys as rules/profiles/*.toml; unknown keys are errors) and pass \
its path as --profile."
)]
pub struct Args {
    /// Show one profile (a built-in name or a .toml path) instead of all.
    pub profile: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let guidelines = catalogue::guidelines()?;
    let targets = timber::verify::targets::names();
    let defs: Vec<ProfileDef> = match &args.profile {
        Some(p) => vec![profile::load(p, &guidelines, &targets)?],
        None => profile::builtin(&guidelines, &targets)?,
    };
    match args.format {
        Format::Json => {
            let mut all = Vec::new();
            for d in &defs {
                let mut levels = Vec::new();
                for name in d.levels().keys() {
                    let key = if d.level_kind().is_some() {
                        Some(name.as_str())
                    } else {
                        None
                    };
                    levels.push(d.resolve(key)?);
                }
                all.push(serde_json::json!({
                    "name": d.name(),
                    "title": d.title(),
                    "standard": d.standard(),
                    "description": d.description(),
                    "default_level": d.default_level().map(|l| format!("{}-{l}", d.level_kind().unwrap_or_default())),
                    "levels": levels,
                }));
            }
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        Format::Text => print!("{}", render_text(&defs)),
    }
    Ok(EXIT_OK)
}

fn render_text(defs: &[ProfileDef]) -> String {
    let mut out = String::new();
    for d in defs {
        out.push_str(&format!("{}: {} ({})\n", d.name(), d.title(), d.standard()));
        out.push_str(&format!("  {}\n", d.description()));
        let numeric = d.numeric();
        out.push_str(&format!(
            "  numeric: NaN = {}, outputs bit-identical to the reference on every target\n",
            numeric.nan_policy
        ));
        let check = d.check();
        let permitted = if check.deviations_permitted.iter().any(|p| p == "*") {
            "any non-mandatory guideline".to_string()
        } else if check.deviations_permitted.is_empty() {
            "none".to_string()
        } else {
            check.deviations_permitted.join(", ")
        };
        out.push_str(&format!(
            "  MISRA C:2012: every guideline timber enforces; no undeviated mandatory/required finding; deviations permitted for: {permitted}\n"
        ));
        let items: Vec<&str> = d.bundle().require.iter().map(|i| i.as_str()).collect();
        out.push_str(&format!("  bundle: {}\n", items.join(", ")));
        for (name, l) in d.levels() {
            let label = match d.level_kind() {
                Some(k) => format!("{k}-{name}"),
                None => "requirements".to_string(),
            };
            let default = if d.default_level() == Some(name.as_str()) {
                " (default)"
            } else {
                ""
            };
            let mut cov = Vec::new();
            for (what, v) in [
                ("statement", l.coverage.statement),
                ("branch", l.coverage.branch),
                ("MC/DC", l.coverage.mcdc),
            ] {
                if let Some(p) = v {
                    cov.push(format!("{what} >= {p}%"));
                }
            }
            out.push_str(&format!("  {label}{default}: {}\n", l.summary));
            out.push_str(&format!("    targets: {}\n", l.targets.join(", ")));
            out.push_str(&format!(
                "    coverage: {}\n",
                if cov.is_empty() {
                    "none".to_string()
                } else {
                    cov.join(", ")
                }
            ));
            out.push_str(&format!(
                "    stack budget: {}\n",
                l.stack_budget_bytes
                    .map_or("none".to_string(), |b| format!("{b} bytes per call"))
            ));
            if let Some(t) = &l.timing {
                out.push_str(&format!(
                    "    timing budget: static bound <= {} per call{}\n",
                    t.describe(),
                    if t.require_bound {
                        ", a bound on every target"
                    } else {
                        " (measured only where no bound is claimed)"
                    }
                ));
            }
            if l.oracle {
                out.push_str(
                    "    framework oracle: required (--oracle, see `timber vectors --help`)\n",
                );
            }
            out.push_str(&format!(
                "    advisory guidelines: {}\n",
                match l.advisory {
                    AdvisoryPolicy::Advisory => "reported, do not fail",
                    AdvisoryPolicy::Required => "re-categorised as required",
                }
            ));
        }
        out.push('\n');
    }
    out
}
