//! `timber audit verify`: re-check an audit bundle.

use crate::timber_cli::{EXIT_FAIL, EXIT_OK};
use std::path::PathBuf;
use timber::audit::verify::{verify_bundle, AuditReport};

/// Lines of one diff printed in text output (JSON output carries it whole).
const TEXT_DIFF_LINES: usize = 200;

/// Arguments of `timber audit`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check an audit bundle for tampering; with --model, regenerate its IR
    /// and C sources and compare them byte for byte.
    #[command(
        long_about = "Check an audit bundle written by `timber certify`.\n\n\
What is checked:\n  \
1. manifest.json parses and is byte for byte in its canonical form, so any change to it shows;\n  \
2. every file it lists is present with the listed sha256 and size, and no other file is there\n     \
(symlinks and special files are reported, never followed);\n  \
3. certification.json is a valid certification record;\n  \
4. every subject of attestations/*.intoto.json matches the sha256 of the file it names;\n  \
5. certification.json agrees with the evidence: the profile it names is the built-in one with\n     \
that sha256 (or the custom profile the bundle carries), and every requirement row, figure and\n     \
the verdict equal what the evidence files (check/, verify/, coverage/, resources.json) give;\n  \
6. with --model: the model's sha256 equals the one certified, and ir.json and src/* are byte for\n     \
byte what this timber generates from it with the recorded options (unified diff otherwise).\n\n\
Hashes alone cannot catch someone who edits a file and re-hashes the manifest and the\n\
attestations; steps 5 and 6 can. The root sha256 printed is the sha256 of manifest.json: compare it\n\
with the one recorded when the bundle was made.\n\n\
Exit codes: 0 intact; 1 any problem (tampering, difference, model mismatch); 2 not a bundle,\n\
unreadable model, or bad usage.",
        after_help = "Example:\n  timber audit verify audit-bundle/ --model model.json"
    )]
    Verify(VerifyArgs),
}

/// Arguments of `timber audit verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The bundle directory.
    pub bundle: PathBuf,
    /// The model the bundle certifies: also check its hash and regenerate.
    #[arg(long, short = 'm')]
    pub model: Option<PathBuf>,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    match args.command {
        AuditCommand::Verify(a) => run_verify(a),
    }
}

fn run_verify(args: VerifyArgs) -> anyhow::Result<u8> {
    let report = verify_bundle(&args.bundle, args.model.as_deref())?;
    match args.format {
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report)?;
            text.push('\n');
            print!("{text}");
        }
        ReportFormat::Text => print!("{}", render_text(&report)),
    }
    Ok(if report.intact() { EXIT_OK } else { EXIT_FAIL })
}

fn render_text(r: &AuditReport) -> String {
    let mut out = String::new();
    let root = r.root_sha256.as_deref().unwrap_or("unavailable");
    if r.intact() {
        out.push_str(&format!(
            "bundle intact: {} files, root sha256 {root}",
            r.files
        ));
        if let Some(c) = &r.rederived {
            out.push_str(&format!(
                "; {} requirement rows and the verdict re-derived from the evidence under {}",
                c.rows, c.profile
            ));
        }
        out.push('\n');
    } else {
        let n = r.problems.len();
        out.push_str(&format!(
            "bundle {} does not verify: {n} problem{} ({} files in manifest, root sha256 {root})\n",
            r.bundle,
            if n == 1 { "" } else { "s" },
            r.files
        ));
        for p in &r.problems {
            out.push_str(&format!("{}: {}\n", p.file, p.message));
        }
    }
    if let Some(m) = &r.model {
        match &m.skipped {
            Some(why) => out.push_str(&format!("model {}: not regenerated: {why}\n", m.path)),
            None => {
                let differing = r.problems.iter().filter(|p| p.diff.is_some()).count();
                out.push_str(&format!(
                    "model {} (sha256 {}): regenerated and compared {} files, {differing} differ\n",
                    m.path,
                    m.sha256,
                    m.compared.len()
                ));
            }
        }
    }
    for p in &r.problems {
        let Some(diff) = &p.diff else { continue };
        let lines: Vec<&str> = diff.lines().collect();
        out.push('\n');
        for line in lines.iter().take(TEXT_DIFF_LINES) {
            out.push_str(line);
            out.push('\n');
        }
        if lines.len() > TEXT_DIFF_LINES {
            out.push_str(&format!(
                "... {} more diff lines of {} (all of them with --format json)\n",
                lines.len() - TEXT_DIFF_LINES,
                p.file
            ));
        }
    }
    out
}
