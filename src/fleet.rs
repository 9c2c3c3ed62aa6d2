//! `timber certify --fleet FILE`: many models certified in one command.
//!
//! The fleet file is TOML, one `[[model]]` table per model:
//!
//! ```toml
//! [[model]]
//! name = "engine-a"              # optional; default: the out directory's name
//! model = "models/engine-a.json" # paths are relative to the fleet file
//! profile = "iso26262"           # built-in name or a profile .toml
//! level = "ASIL-B"               # optional: the profile's default
//! out = "audit/engine-a"         # the bundle directory
//! targets = ["cortex-a53"]       # optional: verified beyond the profile's
//! deviations = "dev.toml"        # optional
//! review = "review.toml"         # optional, like --review
//! oracle = "predictions.csv"     # optional
//! random_rows = 256              # optional, like --random-rows
//! seed = 0                       # optional, like --seed
//! layout = "auto"                # optional: auto (as the CLI), branches, table, compact
//! numeric = "float"              # optional: float, int
//! force = false                  # optional: replace an earlier bundle
//! ```
//!
//! Every entry is checked (files readable, profile and level known,
//! targets known, names and out directories unique) before anything runs;
//! an error names the fleet file, the line and the field. Each entry is
//! one [`crate::certify::certify`] run, exactly as `timber certify` with
//! the same arguments; `jobs` entries run at once.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Deserialize;
use toml::Spanned;

use crate::certify::{CertifyError, CertifyOptions, CertifyOutcome};
use crate::codegen::c99::{Layout, Numeric};
use crate::profile::Profile;

/// A fleet file error: file, line, field and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {field}: {message}")]
pub struct FleetError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetToml {
    model: Vec<Spanned<EntryToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryToml {
    name: Option<Spanned<String>>,
    model: Spanned<String>,
    profile: Spanned<String>,
    level: Option<Spanned<String>>,
    out: Spanned<String>,
    #[serde(default)]
    targets: Option<Spanned<Vec<String>>>,
    deviations: Option<Spanned<String>>,
    review: Option<Spanned<String>>,
    oracle: Option<Spanned<String>>,
    random_rows: Option<usize>,
    seed: Option<u64>,
    layout: Option<Spanned<String>>,
    numeric: Option<Spanned<String>>,
    #[serde(default)]
    force: bool,
}

/// One entry, checked and resolved, ready to run.
pub struct Planned {
    /// The entry's name (unique in the fleet).
    pub name: String,
    /// Line of its `[[model]]` header in the fleet file.
    pub line: usize,
    pub options: CertifyOptions,
}

/// Read and check a fleet file; every entry resolved, nothing run.
pub fn plan(path: &Path) -> Result<Vec<Planned>, FleetError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| FleetError {
        file: file.clone(),
        line: 0,
        field: "(file)".into(),
        message: format!("cannot read: {e}"),
    })?;
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let parsed: FleetToml = toml::from_str(&text).map_err(|e| FleetError {
        file: file.clone(),
        line: e.span().map_or(0, |s| line_of(s.start)),
        field: "(syntax)".into(),
        message: e.message().to_string(),
    })?;
    if parsed.model.is_empty() {
        return Err(FleetError {
            file,
            line: 1,
            field: "model".into(),
            message: "no [[model]] entry".into(),
        });
    }
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let catalogue = crate::check::catalogue::guidelines().map_err(|e| FleetError {
        file: file.clone(),
        line: 0,
        field: "(catalogue)".into(),
        message: e.to_string(),
    })?;
    let target_names = crate::verify::targets::names();
    let mut out: Vec<Planned> = Vec::new();
    for entry in &parsed.model {
        let header = line_of(entry.span().start);
        let e = entry.get_ref();
        let err = |field: &str, at: Option<std::ops::Range<usize>>, message: String| FleetError {
            file: file.clone(),
            line: at.map_or(header, |s| line_of(s.start)),
            field: field.to_string(),
            message,
        };
        let rel = |s: &Spanned<String>, field: &str, must_exist: bool| {
            let p = base.join(s.get_ref());
            if must_exist && !p.is_file() {
                return Err(err(
                    field,
                    Some(s.span()),
                    format!("{} is not a readable file", p.display()),
                ));
            }
            Ok(p)
        };
        let model = rel(&e.model, "model", true)?;
        let out_dir = rel(&e.out, "out", false)?;
        let name = match &e.name {
            Some(n) => n.get_ref().clone(),
            None => out_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| e.out.get_ref().clone()),
        };
        if let Some(prev) = out.iter().find(|p| p.name == name) {
            return Err(err(
                "name",
                e.name.as_ref().map(Spanned::span),
                format!(
                    "{name:?} is also the name of the entry at line {}",
                    prev.line
                ),
            ));
        }
        if let Some(prev) = out.iter().find(|p| p.options.out == out_dir) {
            return Err(err(
                "out",
                Some(e.out.span()),
                format!(
                    "{} is also the out directory of entry {:?}",
                    out_dir.display(),
                    prev.name
                ),
            ));
        }
        let spec = e.profile.get_ref();
        let spec = if spec.ends_with(".toml") {
            base.join(spec).display().to_string()
        } else {
            spec.clone()
        };
        let def = crate::profile::load(&spec, &catalogue, &target_names)
            .map_err(|x| err("profile", Some(e.profile.span()), x.to_string()))?;
        let profile: Profile = def
            .resolve(e.level.as_ref().map(|l| l.get_ref().as_str()))
            .map_err(|x| err("level", e.level.as_ref().map(Spanned::span), x.to_string()))?;
        let extra: Vec<String> = match &e.targets {
            Some(t) => crate::verify::targets::select(&t.get_ref().join(","))
                .map_err(|x| err("targets", Some(t.span()), x.to_string()))?
                .into_iter()
                .map(|t| t.name)
                .collect(),
            None => Vec::new(),
        };
        let (deviations, recategorizations, dev_path) = match &e.deviations {
            Some(d) => {
                let p = rel(d, "deviations", true)?;
                let text = std::fs::read_to_string(&p)
                    .map_err(|x| err("deviations", Some(d.span()), x.to_string()))?;
                let (dv, rc) = crate::check::deviation::parse_plan(
                    &text,
                    &p.display().to_string(),
                    &catalogue,
                )
                .map_err(|x| err("deviations", Some(d.span()), x.to_string()))?;
                (dv, rc, Some(p))
            }
            None => (Vec::new(), Vec::new(), None),
        };
        let oracle = e
            .oracle
            .as_ref()
            .map(|o| rel(o, "oracle", true))
            .transpose()?;
        let review = e
            .review
            .as_ref()
            .map(|r| rel(r, "review", true))
            .transpose()?;
        let layout = match &e.layout {
            Some(l) => Layout::from_name(l.get_ref()).ok_or_else(|| {
                err(
                    "layout",
                    Some(l.span()),
                    format!(
                        "{:?} is not a layout (auto, branches, table, compact)",
                        l.get_ref()
                    ),
                )
            })?,
            None => Layout::Auto,
        };
        let numeric = match &e.numeric {
            Some(n) => Numeric::from_name(n.get_ref()).ok_or_else(|| {
                err(
                    "numeric",
                    Some(n.span()),
                    format!("{:?} is not a numeric mode (float, int)", n.get_ref()),
                )
            })?,
            None => Numeric::default(),
        };
        out.push(Planned {
            name,
            line: header,
            options: CertifyOptions {
                model,
                format: crate::frontend::FormatChoice::Auto,
                profile,
                deviations,
                recategorizations,
                extra_targets: extra,
                qualification: None,
                input_files: dev_path
                    .iter()
                    .chain(oracle.iter())
                    .chain(review.iter())
                    .cloned()
                    .collect(),
                review,
                oracle,
                seed: e.seed.unwrap_or(DEFAULT_SEED),
                random_rows: e.random_rows.unwrap_or(DEFAULT_RANDOM_ROWS),
                layout,
                numeric,
                out: out_dir,
                force: e.force,
                verify: Default::default(),
                stage: None,
            },
        });
    }
    Ok(out)
}

/// `timber certify`'s default `--seed`.
pub const DEFAULT_SEED: u64 = 0x7469_6d62_6572;
/// `timber certify`'s default `--random-rows`.
pub const DEFAULT_RANDOM_ROWS: usize = 256;

/// Run the planned entries, `jobs` at once (at least 1); `done` is called
/// as each finishes (from the worker thread). Results in entry order.
pub fn run(
    plan: &[Planned],
    jobs: usize,
    done: &(dyn Fn(&Planned, &Result<CertifyOutcome, CertifyError>) + Sync),
) -> Vec<Result<CertifyOutcome, CertifyError>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<CertifyOutcome, CertifyError>>>> =
        Mutex::new(plan.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, plan.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(p) = plan.get(i) else { break };
                let r = crate::certify::certify(&p.options);
                done(p, &r);
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(CertifyError::Stage(
                    "the worker running this entry stopped".into(),
                ))
            })
        })
        .collect()
}
