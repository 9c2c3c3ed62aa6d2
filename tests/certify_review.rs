//! The MISRA review record through `timber certify` (profile misra, the
//! host target): the shipped record makes the misra row pass and says whose
//! record it is; removing one entry fails certify with exit 1 naming the
//! guideline; a user's countersigned copy is named as the user's; a
//! malformed record is exit 2 naming file, line and field; `audit verify`
//! re-derives the row from the bundle.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/binary_nan.json")
}

fn ready() -> bool {
    if common::targets_with_tools(&["host"]).is_none() {
        return false;
    }
    if timber::certify::build::find_clang().is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and clang is missing"
        );
        eprintln!("NOTICE: not run, clang is missing");
        return false;
    }
    true
}

fn certify(dir: &Path, review: Option<&Path>, extra: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_timber"));
    c.current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .arg("certify")
        .arg(model())
        .args(["--profile", "misra", "--out", "bundle", "--force"])
        .args(extra);
    if let Some(r) = review {
        c.arg("--review").arg(r);
    }
    c.output().expect("run timber")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn misra_row(bundle: &Path) -> serde_json::Value {
    let cert: serde_json::Value = serde_json::from_slice(
        &std::fs::read(bundle.join("certification.json")).expect("certification.json"),
    )
    .expect("json");
    cert["requirements"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["id"] == "misra")
        .expect("misra row")
        .clone()
}

/// The shipped record without the entry of `id`.
fn without(id: &str) -> String {
    let shipped = timber::audit::review::SHIPPED;
    let mut out = String::new();
    for block in shipped.split("\n[[entry]]\n") {
        if block.starts_with(&format!("guideline = \"{id}\"\n")) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n[[entry]]\n");
        }
        out.push_str(block);
    }
    assert_ne!(out.len(), shipped.len(), "{id} has an entry");
    out
}

fn audit_verify(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(dir)
        .args(["audit", "verify", "bundle"])
        .output()
        .expect("run timber")
}

#[test]
fn the_shipped_record_covers_every_required_guideline_and_says_whose_it_is() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = certify(dir.path(), None, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let row = misra_row(&dir.path().join("bundle"));
    assert_eq!(row["status"], "pass", "{row}");
    let measured = row["measured"].as_str().expect("measured");
    assert!(measured.contains(", 0 not covered;"), "{measured}");
    assert!(measured.contains("timber's shipped record"), "{measured}");
    let cert: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("bundle/certification.json")).expect("read"),
    )
    .expect("json");
    let cov = &cert["check"]["coverage"];
    let n = |k: &str| cov[k].as_u64().expect(k);
    // misra profile: advisory guidelines stay advisory; every mandatory
    // and required one is counted once.
    let catalogue = timber::check::catalogue::guidelines().expect("catalogue");
    let required = catalogue
        .iter()
        .filter(|g| g.category != "advisory")
        .count() as u64;
    assert_eq!(n("required"), required, "{cov}");
    assert_eq!(
        n("tool") + n("construction") + n("reviewed") + n("deviated"),
        required,
        "{cov}"
    );
    assert_eq!(n("construction"), 6, "{cov}");
    assert!(n("reviewed") >= 70, "{cov}");
    assert_eq!(
        std::fs::read(dir.path().join("bundle/check/review.toml")).expect("review.toml"),
        timber::audit::review::SHIPPED.as_bytes()
    );
    let html = std::fs::read_to_string(dir.path().join("bundle/report.html")).expect("html");
    assert!(
        html.contains("Not covered"),
        "report.html shows the gaps list"
    );
    let v = audit_verify(dir.path());
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
}

#[test]
fn one_missing_entry_fails_certify_naming_the_guideline() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("review.toml");
    std::fs::write(&record, without("9.1")).expect("write");
    let out = certify(dir.path(), Some(&record), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("9.1 (no entry in the review record)"),
        "{}",
        text(&out)
    );
    let row = misra_row(&dir.path().join("bundle"));
    assert_eq!(row["status"], "fail");
    assert!(
        row["measured"]
            .as_str()
            .unwrap_or("")
            .contains("1 not covered"),
        "{row}"
    );
    // The user's record, not the shipped one.
    assert!(
        row["measured"]
            .as_str()
            .unwrap_or("")
            .contains("the user's record of timber maintainers"),
        "{row}"
    );
    // audit verify re-derives the same failing row from the bundle (and
    // finds the bundle consistent: the record in it is the one counted).
    let v = audit_verify(dir.path());
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        String::from_utf8_lossy(&v.stdout).contains("re-derived from the evidence"),
        "{}",
        text(&v)
    );

    // An advisory guideline's entry matters only where the level makes
    // advisory guidelines required: under misra it does not.
    std::fs::write(&record, without("D4.4")).expect("write");
    let out = certify(dir.path(), Some(&record), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_countersigned_copy_is_named_and_a_bad_record_is_exit_2() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("countersigned.toml");
    let signed = timber::audit::review::SHIPPED
        .replace(
            "reviewer = \"timber maintainers\"",
            "reviewer = \"J. Assessor\"",
        )
        .replace("owner = \"timber maintainers\"", "owner = \"ACME brakes\"");
    std::fs::write(&record, &signed).expect("write");
    let out = certify(dir.path(), Some(&record), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let row = misra_row(&dir.path().join("bundle"));
    assert!(
        row["measured"]
            .as_str()
            .unwrap_or("")
            .ends_with("record: the user's record of ACME brakes (reviewers: J. Assessor)"),
        "{row}"
    );

    // A bad verdict: exit 2 before any work, naming file, line and field.
    let bad = signed.replacen("verdict = \"compliant\"", "verdict = \"fine\"", 1);
    let line = bad
        .lines()
        .position(|l| l == "verdict = \"fine\"")
        .expect("planted")
        + 1;
    std::fs::write(&record, bad).expect("write");
    let out = certify(dir.path(), Some(&record), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("countersigned.toml:{line}: verdict: ")),
        "{}",
        text(&out)
    );
}
