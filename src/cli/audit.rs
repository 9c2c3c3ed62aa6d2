//! `timber audit verify`: re-check an audit bundle; `timber audit sign` and
//! `timber audit keygen`: sign one with an ed25519 key.

use crate::timber_cli::{EXIT_FAIL, EXIT_OK};
use std::path::PathBuf;
use timber::audit::sign;
use timber::audit::verify::{verify_bundle, verify_signed_bundle, AuditReport};

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
byte what this timber generates from it with the recorded options (unified diff otherwise);\n  \
7. the signature envelope manifest.dsse.json, when present, signs this manifest.json; with\n     \
--pubkey, a valid ed25519 signature by each key given is demanded.\n\n\
Hashes alone cannot catch someone who edits a file and re-hashes the manifest and the\n\
attestations; steps 5 and 6 can. The root sha256 printed is the sha256 of manifest.json: compare it\n\
with the one recorded when the bundle was made.\n\n\
Exit codes: 0 intact; 1 any problem (tampering, difference, model mismatch); 2 not a bundle,\n\
unreadable model, or bad usage.",
        after_help = "Examples:\n  timber audit verify audit-bundle/ --model model.json\n  \
timber audit verify audit-bundle/ --pubkey release-key.pub"
    )]
    Verify(VerifyArgs),
    /// Sign a bundle's manifest with an ed25519 key (a DSSE envelope).
    #[command(
        long_about = "Sign an audit bundle: write manifest.dsse.json, a DSSE envelope (as in-toto and\n\
Sigstore use) whose payload is manifest.json and whose signature is ed25519 over DSSE's\n\
pre-authentication encoding. The manifest pins every other file by sha256, so the signature\n\
authenticates the whole bundle. The bundle is verified first (as `timber audit verify`): a\n\
bundle that does not verify is not signed. Signing again with another key adds a signature;\n\
with the same key replaces it (ed25519 is deterministic: same key, same bytes).\n\n\
The key is a PKCS#8 PEM private key (`timber audit keygen`, or\n\
`openssl genpkey -algorithm ed25519 -out KEY`).\n\n\
Exit codes: 0 signed; 1 the bundle does not verify; 2 bad key, not a bundle, bad usage.",
        after_help = "Example:\n  timber audit keygen release-key && timber audit sign audit-bundle/ --key release-key"
    )]
    Sign(SignArgs),
    /// Generate an ed25519 key pair for signing bundles.
    #[command(
        long_about = "Generate an ed25519 key pair: the private key at KEY (PKCS#8 PEM, mode 0600) and the\n\
public key at KEY.pub (SubjectPublicKeyInfo PEM), the formats OpenSSL reads and writes. Prints\n\
the key id (sha256 of the public key's DER), which signature envelopes name. Existing files are\n\
never overwritten.\n\n\
Exit codes: 0 written; 2 a file exists or cannot be written.",
        after_help = "Example:\n  timber audit keygen release-key   # writes release-key and release-key.pub"
    )]
    Keygen(KeygenArgs),
    /// Join the partial bundles of a sharded certification into one bundle.
    #[command(
        long_about = "Join the partial bundles written by `timber certify --partial --targets SUBSET` (one\n\
shard per CI job, say) into the bundle that one `timber certify` run over all their targets\n\
writes, byte for byte, verdict included. Nothing is re-run: the files the parts hold alike are\n\
taken once, each target's own files from its part, JSON files with per-target entries are\n\
joined in the run's target order, and the requirement rows, the verdict, the attestations and\n\
report.html are derived again from the merged evidence.\n\n\
The parts must be intact partial bundles of the same model, timber build, profile and level,\n\
options and timestamp, each target in one part only; otherwise nothing is written and the\n\
difference is named (the file, the field and the two values).\n\n\
Target order: the profile's own targets first, then the others in the order of the parts as\n\
given, so the merge of parts A B C equals `timber certify --targets` with A's, B's and C's\n\
targets in that order.\n\n\
Exit codes: 0 every requirement met; 1 a requirement fell short (the bundle is still written);\n\
2 the parts do not merge, or bad usage.",
        after_help = "Example:\n  timber certify model.json -p iso26262 --partial --targets host --out part-host\n  \
timber certify model.json -p iso26262 --partial --targets cortex-m4f --out part-m4f\n  \
timber audit merge part-host part-m4f --out audit-bundle --junit certify.xml"
    )]
    Merge(MergeArgs),
}

/// Arguments of `timber audit merge`.
#[derive(clap::Args)]
pub struct MergeArgs {
    /// The partial bundles (directories), in the run's target order.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// The merged bundle directory to write (must not exist unless --force).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Replace an existing bundle directory.
    #[arg(long)]
    pub force: bool,
    /// Also write the requirement table as a JUnit XML file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Sign the merged bundle with this ed25519 private key (PKCS#8 PEM).
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
}

/// Arguments of `timber audit sign`.
#[derive(clap::Args)]
pub struct SignArgs {
    /// The bundle directory.
    pub bundle: PathBuf,
    /// The ed25519 private key (PKCS#8 PEM).
    #[arg(long)]
    pub key: PathBuf,
}

/// Arguments of `timber audit keygen`.
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Where to write the private key; the public key goes to KEY.pub.
    pub key: PathBuf,
}

/// Arguments of `timber audit verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The bundle directory.
    pub bundle: PathBuf,
    /// The model the bundle certifies: also check its hash and regenerate.
    #[arg(long, short = 'm')]
    pub model: Option<PathBuf>,
    /// Demand a valid signature by this ed25519 public key (PEM; repeatable).
    #[arg(long = "pubkey", value_name = "PUB")]
    pub pubkeys: Vec<PathBuf>,
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
        AuditCommand::Sign(a) => run_sign(a),
        AuditCommand::Merge(a) => run_merge(a),
        AuditCommand::Keygen(a) => {
            let id = sign::keygen(&a.key)?;
            println!(
                "wrote {} (private, keep it secret) and {} (public); key id {id}",
                a.key.display(),
                sign::public_key_path(&a.key).display()
            );
            Ok(EXIT_OK)
        }
    }
}

fn run_merge(args: MergeArgs) -> anyhow::Result<u8> {
    let key = args
        .sign
        .as_deref()
        .map(sign::read_signing_key)
        .transpose()?;
    let outcome = timber::audit::merge::merge(&args.parts, &args.out, args.force)?;
    let cert = &outcome.certification;
    eprintln!(
        "merged {} part(s) over {} target(s): {}",
        args.parts.len(),
        outcome.targets.len(),
        outcome.targets.join(", ")
    );
    crate::timber_cli::certify::report_verdict(cert, args.junit.as_deref())?;
    if let Some(key) = &key {
        let id = sign::sign_bundle(&args.out, key)?;
        println!("signed: {} with key {id}", timber::audit::layout::SIGNATURE);
    }
    println!(
        "bundle: {} ({} files, manifest sha256 {})",
        args.out.display(),
        outcome.files,
        outcome.root_sha256
    );
    Ok(match cert.verdict {
        timber::audit::record::Status::Pass => EXIT_OK,
        timber::audit::record::Status::Fail => EXIT_FAIL,
    })
}

fn run_sign(args: SignArgs) -> anyhow::Result<u8> {
    let key = sign::read_signing_key(&args.key)?;
    let report = verify_bundle(&args.bundle, None)?;
    if !report.intact() {
        print!("{}", render_text(&report));
        eprintln!(
            "error: {} does not verify; not signing it",
            args.bundle.display()
        );
        return Ok(EXIT_FAIL);
    }
    let id = sign::sign_bundle(&args.bundle, &key)?;
    println!(
        "signed {} (manifest sha256 {}) with key {id}",
        args.bundle.display(),
        report.root_sha256.as_deref().unwrap_or("unavailable")
    );
    Ok(EXIT_OK)
}

fn run_verify(args: VerifyArgs) -> anyhow::Result<u8> {
    let pubkeys = args
        .pubkeys
        .iter()
        .map(|p| sign::read_verifying_key(p).map(|k| (p.clone(), k)))
        .collect::<Result<Vec<_>, _>>()?;
    let report = verify_signed_bundle(&args.bundle, args.model.as_deref(), &pubkeys)?;
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
    if let Some(sig) = &r.signature {
        if sig.keyids.is_empty() {
            out.push_str("signature: none\n");
        } else if sig.verified.is_empty() {
            out.push_str(&format!(
                "signature: signed by {} (not checked: give --pubkey to check a signature)\n",
                sig.keyids.join(", ")
            ));
        } else {
            out.push_str(&format!(
                "signature: verified for {} (signed by {})\n",
                sig.verified.join(", "),
                sig.keyids.join(", ")
            ));
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
