//! `timber certify`: the release gate. Runs the whole pipeline under a
//! safety profile, prints one line per requirement with pass/fail, writes
//! the audit bundle (and optionally a JUnit file), and exits 0 only when
//! every requirement is met.

use crate::timber_cli::verify::ProgressDisplay;
use crate::timber_cli::{CodedError, EXIT_FAIL, EXIT_OK, EXIT_TOOL_MISSING};
use anyhow::Context;
use std::io::IsTerminal;
use std::path::PathBuf;
use timber::audit::record::Status;
use timber::certify::{certify, CertifyError, CertifyOptions};
use timber::check::{catalogue, deviation};
use timber::frontend::FormatChoice;
use timber::profile;

/// Arguments of `timber certify`.
#[derive(clap::Args)]
#[command(
    after_help = "What it does, in order: parse and validate the model; generate C99; check \
it against MISRA C:2012 under the profile's guideline plan; measure structural coverage of the \
generated C on the host (gcov; MC/DC with clang) when the profile demands it; build and run it \
on every target the profile requires (QEMU) and compare every output bit with the reference \
evaluator; measure size and stack; write the audit bundle (manifest.json pins every file; \
report.html is the page for the auditor); print the requirement table.\n\n\
Exit codes: 0 every requirement met; 1 a requirement fell short (the bundle is still written, \
with the failure in it); 2 bad input or usage; 3 a needed tool is missing \
(run scripts/install-toolchains.sh).\n\n\
Examples:\n  timber certify model.json --profile iso26262 --level ASIL-D --out audit/\n  \
timber certify model.json --profile misra --junit certify.xml\n  \
timber certify model.json --profile my-profile.toml --deviations deviations.toml\n  \
timber certify model.json --profile iso26262 --partial --targets cortex-m4f --out part-m4f/\n  \
timber certify --fleet fleet.toml --jobs 2 --junit fleet.xml\n  \
timber audit verify audit/ --model model.json"
)]
pub struct Args {
    /// The model file (format detected from its content).
    #[arg(required_unless_present = "fleet")]
    pub model: Option<PathBuf>,
    /// Safety profile: iso26262, iec62304, iec61508, do178c, misra (see
    /// `timber profiles`), or a path to a profile .toml.
    #[arg(long, short = 'p', required_unless_present = "fleet")]
    pub profile: Option<String>,
    /// Certify many models in one command: a TOML file with one [[model]]
    /// table per model (model, profile, level, out, and optionally targets,
    /// deviations, oracle, random_rows, seed, layout, numeric, force; paths
    /// relative to the file). Prints one summary table; --junit writes one
    /// JUnit file with a test suite per model; --jobs models run at once
    /// (default 1). Exit 1 when any model falls short, 2 when one could not
    /// be certified.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["model", "profile", "level", "out", "force", "partial", "sign", "qualification", "deviations", "oracle", "targets", "model_format", "random_rows", "seed", "layout", "numeric"])]
    pub fleet: Option<PathBuf>,
    /// Integrity level of the profile (e.g. ASIL-B, class-C, SIL-3, DAL-A;
    /// a bare letter or digit also works); default: the profile's default.
    #[arg(long)]
    pub level: Option<String>,
    /// Bundle directory to write (must not exist unless --force).
    #[arg(long, short = 'o', default_value = "timber-audit")]
    pub out: PathBuf,
    /// Replace an existing bundle directory.
    #[arg(long)]
    pub force: bool,
    /// Deviation records and re-categorisation plan (TOML); only guidelines
    /// the profile permits may be deviated.
    #[arg(long, value_name = "FILE")]
    pub deviations: Option<PathBuf>,
    /// Targets verified in addition to the profile's (comma-separated).
    #[arg(long, value_name = "LIST")]
    pub targets: Option<String>,
    /// Write one shard of a sharded run: verify exactly the --targets given
    /// (not the profile's own) and write a partial bundle, which `timber
    /// audit verify` refuses as a release bundle and `timber audit merge`
    /// joins with the other shards into the bundle of one run over all
    /// their targets. Exits 0 once the shard is written: the verdict is the
    /// merge's.
    #[arg(long, requires = "targets", conflicts_with_all = ["junit", "sign"])]
    pub partial: bool,
    /// Also write the requirement table as a JUnit XML file (for CI test
    /// reports).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// A `timber qualify` report (qualification.json) to check this run's
    /// toolchain against and carry in the bundle.
    #[arg(long, value_name = "FILE")]
    pub qualification: Option<PathBuf>,
    /// MISRA review record (TOML) for the guidelines the checker does not
    /// decide: one entry per guideline (verdict compliant, not-applicable
    /// or deviated; rationale, evidence, reviewer, date). Without it,
    /// timber's shipped record rules/review/generated-code.toml applies and
    /// the misra row says it is not countersigned: give your reviewer's
    /// countersigned copy here.
    #[arg(long, value_name = "FILE")]
    pub review: Option<PathBuf>,
    /// Sign the bundle with this ed25519 private key (PKCS#8 PEM, from
    /// `timber audit keygen`): writes manifest.dsse.json, checked by
    /// `timber audit verify --pubkey KEY.pub`. The key is read before any
    /// work starts.
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// The model's own framework's predictions of the verification
    /// vectors (`timber vectors MODEL --out vectors.csv`, then
    /// `python3 scripts/oracle.py MODEL vectors.csv --out predictions.csv`);
    /// demanded at ISO 26262 ASIL-C/D, IEC 61508 SIL-3/4, DO-178C DAL-A/B
    /// and IEC 62304 class C.
    #[arg(long, value_name = "FILE")]
    pub oracle: Option<PathBuf>,
    /// Input format; `auto` detects it from the content.
    #[arg(long, value_enum, default_value = "auto")]
    pub model_format: FormatChoice,
    /// Number of seeded random rows added to the derived test vectors.
    #[arg(long, default_value_t = 256)]
    pub random_rows: usize,
    /// Seed of the random rows.
    #[arg(long, default_value_t = 0x7469_6d62_6572)]
    pub seed: u64,
    /// Targets built and run at once (default: number of cores); with
    /// --fleet, models certified at once (default 1).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Code layout of the trees; every layout gives the same output bits.
    /// `auto` picks `branches` for models of at most 4096 nodes (all trees
    /// together), `table` above; `compact` is the smallest in flash.
    #[arg(long, value_enum, default_value = "auto")]
    pub layout: timber::codegen::c99::Layout,
    /// How the tree walk compares inputs with thresholds; both give the
    /// same output bits. `int` encodes each used feature once per row into
    /// a small integer and walks the trees with integer comparisons only
    /// (for cores without an FPU); it uses the compact node table.
    #[arg(long, value_enum, default_value = "float")]
    pub numeric: timber::codegen::c99::Numeric,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    if let Some(file) = &args.fleet {
        return crate::timber_cli::fleet::run(file, args.jobs, args.junit.as_deref());
    }
    let (Some(model), Some(profile_spec)) = (args.model.clone(), args.profile.clone()) else {
        anyhow::bail!("give a model and --profile, or --fleet FILE");
    };
    let guidelines = catalogue::guidelines()?;
    let target_names = timber::verify::targets::names();
    let prof =
        profile::load(&profile_spec, &guidelines, &target_names)?.resolve(args.level.as_deref())?;
    let (deviations, recategorizations) = match &args.deviations {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read deviations", path.display()))?;
            deviation::parse_plan(&text, &path.display().to_string(), &guidelines)?
        }
        None => (Vec::new(), Vec::new()),
    };
    let extra: Vec<String> = match &args.targets {
        Some(list) => timber::verify::targets::select(list)?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        None => Vec::new(),
    };
    let mut shown = if args.partial {
        Vec::new()
    } else {
        prof.requirements.targets.clone()
    };
    for t in &extra {
        if !shown.contains(t) {
            shown.push(t.clone());
        }
    }
    eprintln!(
        "certifying {} under {} ({})",
        model.display(),
        prof.label(),
        prof.standard
    );
    let display = if std::io::stderr().is_terminal() {
        ProgressDisplay::bars(&shown)
    } else {
        ProgressDisplay::lines(&shown)
    };
    let opts = CertifyOptions {
        model,
        format: args.model_format,
        profile: prof,
        deviations,
        recategorizations,
        extra_targets: extra,
        qualification: args.qualification.clone(),
        review: args.review.clone(),
        oracle: args.oracle.clone(),
        seed: args.seed,
        random_rows: args.random_rows,
        layout: args.layout,
        numeric: args.numeric,
        out: args.out.clone(),
        force: args.force,
        input_files: args
            .deviations
            .iter()
            .chain(args.oracle.iter())
            .cloned()
            .collect(),
        verify: display.options(None, args.jobs),
        stage: Some(Box::new(|msg: &str| eprintln!("  - {msg}"))),
    };
    let signing_key = args
        .sign
        .as_deref()
        .map(timber::audit::sign::read_signing_key)
        .transpose()?;
    let result = if args.partial {
        timber::certify::certify_partial(&opts, &opts.extra_targets)
    } else {
        certify(&opts)
    };
    let outcome = match result {
        Ok(o) => o,
        Err(e @ CertifyError::ToolMissing(_)) => {
            return Err(CodedError {
                code: EXIT_TOOL_MISSING,
                message: e.to_string(),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    display.finish();
    let cert = &outcome.certification;
    if args.partial {
        println!(
            "partial bundle: {} ({} files, targets {}); no verdict until `timber audit merge` joins the shards",
            outcome.bundle.display(),
            outcome.files,
            shown.join(", ")
        );
        return Ok(EXIT_OK);
    }
    report_verdict(cert, args.junit.as_deref())?;
    if let Some(key) = &signing_key {
        let id = timber::audit::sign::sign_bundle(&outcome.bundle, key)?;
        println!("signed: {} with key {id}", timber::audit::layout::SIGNATURE);
    }
    println!(
        "bundle: {} ({} files, manifest sha256 {}); open {}/report.html, re-check with `timber audit verify {}`",
        outcome.bundle.display(),
        outcome.files,
        outcome.root_sha256,
        outcome.bundle.display(),
        outcome.bundle.display()
    );
    Ok(match cert.verdict {
        Status::Pass => EXIT_OK,
        Status::Fail => EXIT_FAIL,
    })
}

/// Print the requirement table and the verdict line; write the JUnit file
/// when asked.
pub(crate) fn report_verdict(
    cert: &timber::audit::record::Certification,
    junit: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    print!("{}", requirement_table(cert));
    if let Some(path) = junit {
        std::fs::write(path, timber::audit::junit::render_junit(cert))
            .with_context(|| format!("{}: cannot write the JUnit report", path.display()))?;
    }
    println!(
        "verdict: {}  ({} requirements, {} failed)",
        match cert.verdict {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
        },
        cert.requirements.len(),
        cert.requirements
            .iter()
            .filter(|r| r.status == Status::Fail)
            .count()
    );
    Ok(())
}

/// The short table: status, id, measured vs demanded.
fn requirement_table(cert: &timber::audit::record::Certification) -> String {
    let w = cert
        .requirements
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for r in &cert.requirements {
        s.push_str(&format!(
            "  {}  {:<w$}  {}  (demanded: {})\n",
            match r.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
            },
            r.id,
            r.measured,
            r.demanded,
        ));
    }
    s
}
