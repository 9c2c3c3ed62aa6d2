//! Forged certification records that re-hash everything: `timber audit
//! verify` re-derives the requirement rows from the evidence files and
//! checks the profile the record names, so an edited record is caught even
//! when manifest.json and both attestations are re-computed to match.
//!
//! Most cases forge the committed example bundle (audit/example: a real
//! iso26262 ASIL-D certification on eight targets), so they need no
//! toolchain. The reproduction of the original report (a misra bundle
//! relabelled iso26262 ASIL-D with a fake row) certifies on the host and
//! needs a C compiler (under CI a missing one fails the test).

mod common;

use common::bundle::{copy_dir, rehash_attestations};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use timber::audit::verify::{verify_bundle, AuditReport, ProblemKind};
use timber::audit::{layout, manifest};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A private copy of audit/example.
fn example() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    copy_dir(&root().join("audit/example"), &dir);
    (tmp, dir)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap() + "\n").unwrap();
}

/// What a forger re-runs after editing files: every attestation digest
/// and the manifest, re-computed from the files as they are now.
fn rehash_everything(dir: &Path) {
    rehash_attestations(dir);
    manifest::write(dir).unwrap();
}

/// Edit certification.json with `f`, re-hash everything, verify.
fn forge_record(f: impl FnOnce(&mut Value)) -> AuditReport {
    let (_tmp, dir) = example();
    let path = dir.join(layout::CERTIFICATION);
    let mut cert = read_json(&path);
    f(&mut cert);
    write_json(&path, &cert);
    rehash_everything(&dir);
    verify_bundle(&dir, None).unwrap()
}

/// Every problem is an inconsistency of certification.json, and one of
/// them contains each of `wanted`.
fn assert_caught(report: &AuditReport, wanted: &[&str]) {
    assert!(!report.intact(), "forgery not caught");
    assert!(report.rederived.is_none(), "{report:?}");
    for p in &report.problems {
        assert_eq!(p.file, layout::CERTIFICATION, "{p:?}");
        assert_eq!(p.kind, ProblemKind::CertificationInconsistent, "{p:?}");
    }
    for w in wanted {
        assert!(
            report.problems.iter().any(|p| p.message.contains(w)),
            "no problem says {w:?}: {:#?}",
            report.problems
        );
    }
}

fn row_index(cert: &Value, id: &str) -> usize {
    cert["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

#[test]
fn the_untouched_example_verifies_and_every_row_is_re_derived() {
    let (_tmp, dir) = example();
    let report = verify_bundle(&dir, None).unwrap();
    assert!(report.intact(), "{:#?}", report.problems);
    let cert = read_json(&dir.join(layout::CERTIFICATION));
    let rows = cert["requirements"].as_array().unwrap().len();
    let got = report.rederived.expect("rows re-derived");
    assert_eq!(got.rows, rows);
    assert_eq!(got.profile, "iso26262 ASIL-D (built-in)");

    // The CLI with the model: exit 0 and says what it re-derived.
    let o = Command::new(env!("CARGO_BIN_EXE_timber"))
        .args(["audit", "verify"])
        .arg(&dir)
        .arg("--model")
        .arg(root().join("tests/fixtures/xgboost/binary_nan.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{rows} requirement rows and the verdict re-derived from the evidence under iso26262 ASIL-D (built-in)"
        )),
        "{stdout}"
    );
}

#[test]
fn a_fake_requirement_row_is_caught_and_named() {
    let report = forge_record(|c| {
        let rows = c["requirements"].as_array_mut().unwrap();
        let at = rows.len() - 1;
        rows.insert(
            at,
            json!({
                "id": "hil:ecu-bench",
                "title": "Hardware-in-the-loop run on the target ECU",
                "demanded": "1686 rows bit-identical",
                "measured": "1686/1686 rows bit-identical",
                "status": "pass",
                "evidence": ["verify/host.json"]
            }),
        );
    });
    assert_caught(
        &report,
        &["\"hil:ecu-bench\" is not derived from any evidence"],
    );
}

#[test]
fn a_changed_figure_is_caught_and_named() {
    // The row and the summary both claim more coverage than measured.
    let (_tmp, dir) = example();
    let cert = read_json(&dir.join(layout::CERTIFICATION));
    let measured = cert["requirements"][row_index(&cert, "coverage:branch")]["measured"]
        .as_str()
        .expect("measured")
        .to_string();
    let report = forge_record(|c| {
        let i = row_index(c, "coverage:branch");
        c["requirements"][i]["measured"] = json!("100.0 % (1400/1400)");
        c["coverage"]["branch"] = json!({"covered": 1400, "total": 1400});
    });
    assert_caught(
        &report,
        &[
            &format!(
                "requirement row \"coverage:branch\": measured is \"100.0 % (1400/1400)\", the evidence gives \"{measured}\""
            ),
            "coverage is ",
        ],
    );
    // A stack figure of one target, row only.
    let report = forge_record(|c| {
        let i = row_index(c, "stack:cortex-m4f");
        c["requirements"][i]["measured"] = json!("8 B (painted, under QEMU)");
    });
    assert_caught(&report, &["\"stack:cortex-m4f\": measured is \"8 B"]);
    // A per-target summary figure.
    let report = forge_record(|c| {
        c["targets"][3]["stack_measured"] = json!(4);
    });
    assert_caught(&report, &["targets entry \"cortex-m4f\" differs"]);
}

#[test]
fn a_dropped_row_is_caught_and_named() {
    let report = forge_record(|c| {
        let i = row_index(c, "verify:cortex-a7");
        c["requirements"].as_array_mut().unwrap().remove(i);
    });
    assert_caught(
        &report,
        &["requirement row \"verify:cortex-a7\" is missing"],
    );
}

#[test]
fn a_changed_verdict_or_status_is_caught() {
    let report = forge_record(|c| c["verdict"] = json!("fail"));
    assert_caught(
        &report,
        &["verdict is \"fail\", the re-derived rows give \"pass\""],
    );
    let report = forge_record(|c| {
        let i = row_index(c, "misra");
        c["requirements"][i]["status"] = json!("fail");
    });
    assert_caught(
        &report,
        &["\"misra\": status is \"fail\", the evidence gives \"pass\""],
    );
}

#[test]
fn changed_evidence_under_an_unchanged_record_is_caught() {
    // The forger lowers a coverage figure in the evidence and re-hashes:
    // the record's 100 % row no longer follows from it.
    let (_tmp, dir) = example();
    let cert = read_json(&dir.join(layout::CERTIFICATION));
    let measured = cert["requirements"][row_index(&cert, "coverage:branch")]["measured"]
        .as_str()
        .expect("measured")
        .to_string();
    let path = dir.join(layout::COVERAGE);
    let mut cov = read_json(&path);
    let total = cov["branch"]["total"].as_u64().expect("branch total");
    cov["branch"]["covered"] = json!(1000);
    write_json(&path, &cov);
    rehash_everything(&dir);
    let report = verify_bundle(&dir, None).unwrap();
    let lowered = format!("{:.1} % (1000/{total}", 1000.0 * 100.0 / total as f64);
    assert_caught(
        &report,
        &[&format!(
            "\"coverage:branch\": measured is \"{measured}\", the evidence gives \"{lowered}"
        )],
    );
    // ... and the verify record of one target turned into a mismatch.
    let (_tmp, dir) = example();
    let path = dir.join("verify/cortex-m3.json");
    let mut v = read_json(&path);
    let n = v["rows_run"].as_u64().expect("rows_run");
    let calls = v["batch_api"]["calls"].as_u64().expect("batch_api.calls");
    // cortex-m3 is soft float: the harness reads no exception flags.
    let pass = format!(
        "{n}/{n} rows bit-identical; timber_infer: {calls} calls in blocks of 1, 7, {n} rows, \
         identical to the single-row calls; FP exception flags: not readable (soft float: no \
         FPU status flags)"
    );
    v["status"] = json!("mismatch");
    v["mismatch_count"] = json!(3);
    write_json(&path, &v);
    rehash_everything(&dir);
    let report = verify_bundle(&dir, None).unwrap();
    assert_caught(
        &report,
        &[
            &format!("\"verify:cortex-m3\": measured is \"{pass}\", the evidence gives \"3 outputs differ ({n} rows run); FP exception flags: not readable"),
            "verdict is \"pass\", the re-derived rows give \"fail\"",
        ],
    );
    // ... and a batch API mismatch under a target status left at pass.
    let (_tmp, dir) = example();
    let path = dir.join("verify/cortex-m3.json");
    let mut v = read_json(&path);
    v["batch_api"]["mismatch_count"] = json!(1);
    write_json(&path, &v);
    rehash_everything(&dir);
    let report = verify_bundle(&dir, None).unwrap();
    assert_caught(
        &report,
        &[
            &format!("timber_infer: {calls} calls in blocks of 1, 7, {n} rows, 1 outputs or statuses differ"),
            "\"verify:cortex-m3\": status is \"pass\", the evidence gives \"fail\"",
            "verdict is \"pass\", the re-derived rows give \"fail\"",
        ],
    );
}

#[test]
fn a_profile_that_is_not_the_one_named_is_caught() {
    // Level lowered: ASIL-A demands less, so the rows differ.
    let report = forge_record(|c| c["profile"]["level"] = json!("ASIL-A"));
    assert_caught(&report, &["requirement row"]);
    // Another built-in profile's name under iso26262's hash.
    let report = forge_record(|c| {
        c["profile"]["name"] = json!("iec62304");
        c["profile"]["level"] = json!("class-C");
    });
    let (_tmp, dir) = example();
    let recorded = read_json(&dir.join("certification.json"))["profile"]["sha256"]
        .as_str()
        .expect("profile.sha256")
        .to_string();
    assert_caught(
        &report,
        &[
            &format!("profile.sha256 is {}", &recorded[..12]),
            "built-in profile iec62304",
        ],
    );
    // A hash that no built-in profile has.
    let report = forge_record(|c| c["profile"]["sha256"] = json!("1".repeat(64)));
    assert_caught(&report, &["profile.sha256 is 1111"]);
    // A profile that does not exist.
    let report = forge_record(|c| c["profile"]["name"] = json!("iso26262-strict"));
    assert_caught(&report, &["\"iso26262-strict\" is not a built-in profile"]);
    // A custom origin whose text the bundle does not carry.
    let report = forge_record(|c| c["profile"]["origin"] = json!("mine.toml"));
    assert_caught(&report, &["does not carry its text"]);
}

#[test]
fn a_forged_toolchain_profile_hash_is_caught() {
    let (_tmp, dir) = example();
    let path = dir.join(layout::TOOLCHAIN);
    let mut tc = read_json(&path);
    tc["embedded"]["profile (built-in)"] = json!("2".repeat(64));
    write_json(&path, &tc);
    rehash_everything(&dir);
    let report = verify_bundle(&dir, None).unwrap();
    assert_caught(&report, &["toolchain.json records 2222"]);
}

/// The original report: a bundle certified under `misra` (host only, no
/// coverage or stack demands), relabelled iso26262 ASIL-D with the real
/// built-in profile's name, standard and sha256, a fake requirement row
/// added, everything re-hashed. Caught, with and without the model.
#[test]
fn a_misra_bundle_relabelled_as_asil_d_is_caught() {
    if common::targets_with_tools(&["host"]).is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    let model = root().join("tests/fixtures/xgboost/binary_nan.json");
    let o = Command::new(env!("CARGO_BIN_EXE_timber"))
        .arg("certify")
        .arg(&model)
        .args(["--profile", "misra", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let audit = |extra: &[&str]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_timber"))
            .args(["audit", "verify"])
            .arg(&dir)
            .args(extra)
            .output()
            .unwrap()
    };
    let model_s = model.to_string_lossy().into_owned();
    let o = audit(&["--model", &model_s]);
    assert_eq!(o.status.code(), Some(0), "untouched: {}", text(&o));

    let iso = read_json(&root().join("audit/example/certification.json"))["profile"].clone();
    let path = dir.join(layout::CERTIFICATION);
    let mut cert = read_json(&path);
    cert["profile"] = iso.clone();
    let rows = cert["requirements"].as_array_mut().unwrap();
    let at = rows.len() - 1;
    rows.insert(
        at,
        json!({
            "id": "coverage:mcdc",
            "title": "MC/DC of the generated C (clang source-based coverage, host)",
            "demanded": ">= 100.0 %",
            "measured": "100.0 % (4/4)",
            "status": "pass",
            "evidence": ["coverage/coverage.json"]
        }),
    );
    write_json(&path, &cert);
    // The forger also puts the iso26262 hash where toolchain.json records
    // the profile, so that file agrees with the record.
    let tc_path = dir.join(layout::TOOLCHAIN);
    let mut tc = read_json(&tc_path);
    tc["embedded"]["profile (built-in)"] = iso["sha256"].clone();
    write_json(&tc_path, &tc);
    rehash_everything(&dir);

    for extra in [vec![], vec!["--model", model_s.as_str()]] {
        let mut args = extra.clone();
        args.extend(["--format", "json"]);
        let o = audit(&args);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let messages: Vec<&str> = v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .inspect(|p| assert_eq!(p["kind"], "certification-inconsistent", "{p}"))
            .map(|p| p["message"].as_str().unwrap())
            .collect();
        // The MC/DC row is one of ASIL-D's, but nothing measured it.
        assert!(
            messages.iter().any(|m| m.contains(
                "\"coverage:mcdc\": measured is \"100.0 % (4/4)\", the evidence gives \"not measured\""
            )),
            "{messages:#?}"
        );
        // ASIL-D's rows the misra run never produced are missing.
        assert!(
            messages
                .iter()
                .any(|m| m.contains("requirement row \"stack:host\" is missing")),
            "{messages:#?}"
        );
    }
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A custom profile travels in the bundle (profile/profile.toml): the
/// untouched bundle re-derives under it; a profile text edited to demand
/// less (and re-hashed everywhere but certification.json's record of it)
/// is caught.
#[test]
fn a_custom_profile_is_carried_and_checked() {
    if common::targets_with_tools(&["host"]).is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("strict-host.toml");
    let toml = std::fs::read_to_string(root().join("rules/profiles/misra.toml"))
        .unwrap()
        .replace("name = \"misra\"", "name = \"strict-host\"")
        .replace(
            "advisory = \"advisory\"",
            "advisory = \"required\"\nstack_budget_bytes = 4096",
        );
    std::fs::write(&profile, &toml).unwrap();
    let dir = tmp.path().join("bundle");
    let model = root().join("tests/fixtures/xgboost/binary_nan.json");
    let o = Command::new(env!("CARGO_BIN_EXE_timber"))
        .arg("certify")
        .arg(&model)
        .arg("--profile")
        .arg(&profile)
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join(layout::PROFILE)).unwrap(),
        toml
    );
    let report = verify_bundle(&dir, None).unwrap();
    assert!(report.intact(), "{:#?}", report.problems);
    assert_eq!(
        report.rederived.map(|c| c.profile),
        Some("strict-host (profile/profile.toml)".to_string())
    );

    // The carried text loosened (no stack budget, advisory only), hashes
    // redone: the record's profile.sha256 no longer names it.
    let loose = toml
        .replace("advisory = \"required\"", "advisory = \"advisory\"")
        .replace("stack_budget_bytes = 4096", "");
    std::fs::write(dir.join(layout::PROFILE), loose).unwrap();
    rehash_everything(&dir);
    let report = verify_bundle(&dir, None).unwrap();
    assert_caught(
        &report,
        &["profile.sha256 is ", "but profile/profile.toml has sha256"],
    );
}

/// One output bit flipped in one target's stored outputs, manifest and
/// attestations re-hashed: `audit verify` recomputes the target's output
/// hash and compares the bits with the reference, naming target, row and
/// output, and exits 1.
#[test]
fn a_flipped_output_bit_in_one_target_is_caught_naming_target_row_and_output() {
    let (_tmp, dir) = example();
    let path = dir.join(layout::outputs_file("cortex-m33"));
    let text = std::fs::read_to_string(&path).expect("cortex-m33 outputs in the example");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Row 5 (after the two comment lines): flip the lowest bit of output 0.
    let line = lines
        .iter_mut()
        .find(|l| l.starts_with("5 "))
        .expect("row 5");
    let mut fields: Vec<String> = line.split(' ').map(String::from).collect();
    let bits = u32::from_str_radix(&fields[2], 16).expect("hex") ^ 1;
    let (was, now) = (fields[2].clone(), format!("{bits:08x}"));
    fields[2] = now.clone();
    *line = fields.join(" ");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    rehash_everything(&dir);
    let report = verify_bundle(&dir, None).unwrap();
    assert!(!report.intact());
    let p = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::OutputsInconsistent)
        .unwrap_or_else(|| panic!("{:#?}", report.problems));
    assert_eq!(p.file, "verify/outputs/cortex-m33.txt");
    assert!(
        p.message.starts_with(&format!(
            "target cortex-m33: row 5 output 0 is {now}, the reference in verify/vectors.json gives {was}"
        )),
        "{}",
        p.message
    );
    assert!(
        p.message.contains("the recomputed output hash"),
        "{}",
        p.message
    );
    // The other targets' files are untouched and not blamed.
    assert_eq!(
        report
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::OutputsInconsistent)
            .count(),
        1
    );
    let o = Command::new(env!("CARGO_BIN_EXE_timber"))
        .args(["audit", "verify"])
        .arg(&dir)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(all.contains("target cortex-m33: row 5 output 0"), "{all}");
}
