//! Safety profiles: the built-in ones load and say what the standards
//! demand, custom ones are validated strictly, and `timber check --profile`
//! applies a profile's guideline plan.

use std::process::Command;
use timber::check::catalogue;
use timber::profile::{self, AdvisoryPolicy, BundleItem};

fn timber() -> Command {
    Command::new(env!("CARGO_BIN_EXE_timber"))
}

fn ctx() -> (Vec<catalogue::Guideline>, Vec<String>) {
    (
        catalogue::guidelines().expect("catalogue"),
        timber::verify::targets::names(),
    )
}

#[test]
fn builtin_profiles_load_and_every_level_resolves() {
    let (g, t) = ctx();
    let defs = profile::builtin(&g, &t).expect("built-in profiles parse");
    let names: Vec<&str> = defs.iter().map(|d| d.name()).collect();
    assert_eq!(
        names,
        ["do178c", "iec61508", "iec62304", "iso26262", "misra"]
    );
    for d in &defs {
        for level in d.level_names() {
            let arg = d.level_kind().map(|_| level.as_str());
            let p = d.resolve(arg).expect("level resolves");
            assert!(p.numeric.bit_identical);
            assert!(p.requirements.targets.contains(&"host".to_string()));
        }
    }
}

/// The framework oracle is demanded exactly at ISO 26262 ASIL-C/D,
/// IEC 61508 SIL-3/4, DO-178C DAL-A/B and IEC 62304 class C.
#[test]
fn the_highest_levels_demand_the_framework_oracle() {
    let (g, t) = ctx();
    let mut demanding = Vec::new();
    for d in profile::builtin(&g, &t).expect("built-in profiles parse") {
        for level in d.level_names() {
            let arg = d.level_kind().map(|_| level.as_str());
            if d.resolve(arg).expect("level").requirements.oracle {
                demanding.push(format!("{} {level}", d.name()));
            }
        }
    }
    assert_eq!(
        demanding,
        [
            "do178c DAL-A",
            "do178c DAL-B",
            "iec61508 SIL-3",
            "iec61508 SIL-4",
            "iec62304 class-C",
            "iso26262 ASIL-C",
            "iso26262 ASIL-D"
        ]
    );
    let out = timber()
        .args(["profiles", "iso26262"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("framework oracle: required").count(),
        2,
        "{text}"
    );
}

#[test]
fn integrity_levels_demand_more_as_they_rise() {
    let (g, t) = ctx();
    let iso = profile::load("iso26262", &g, &t).expect("iso26262");
    let a = iso.resolve(Some("ASIL-A")).expect("A");
    let d = iso.resolve(Some("d")).expect("D accepts a bare letter");
    assert_eq!(d.level.as_deref(), Some("ASIL-D"));
    assert_eq!(a.requirements.coverage.mcdc, None);
    assert_eq!(d.requirements.coverage.mcdc, Some(100.0));
    assert!(d.requirements.targets.len() > a.requirements.targets.len());
    assert!(d.requirements.stack_budget_bytes <= a.requirements.stack_budget_bytes);
    assert_eq!(d.requirements.advisory, AdvisoryPolicy::Required);
    // Default level is the strictest.
    assert_eq!(
        iso.resolve(None).expect("default").level.as_deref(),
        Some("ASIL-D")
    );
    let do178 = profile::load("do178c", &g, &t).expect("do178c");
    let dal_a = do178.resolve(Some("DAL-A")).expect("DAL-A");
    assert_eq!(dal_a.requirements.coverage.mcdc, Some(100.0));
    let dal_e = do178.resolve(Some("E")).expect("DAL-E");
    assert!(!dal_e.requirements.coverage.any());
    let misra = profile::load("misra", &g, &t).expect("misra");
    let m = misra.resolve(None).expect("misra resolves");
    assert_eq!(m.level, None);
    assert!(!m.bundle.require.contains(&BundleItem::Coverage));
    let err = iso.resolve(Some("ASIL-E")).expect_err("no ASIL-E");
    assert!(
        err.to_string().contains("ASIL-A, ASIL-B, ASIL-C, ASIL-D"),
        "{err}"
    );
}

#[test]
fn asil_d_raises_every_advisory_guideline() {
    let (g, t) = ctx();
    let d = profile::load("iso26262", &g, &t)
        .and_then(|p| p.resolve(Some("D")))
        .expect("ASIL-D");
    let recats = d.recategorizations(&g);
    let advisory = g.iter().filter(|x| x.category == "advisory").count();
    assert_eq!(recats.len(), advisory);
    assert!(recats.iter().all(|r| r.category == "required"));
}

fn write_profile(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    let p = dir.join("custom.toml");
    std::fs::write(&p, body).expect("write profile");
    p
}

const CUSTOM: &str = r#"name = "custom"
title = "Our product line"
standard = "internal"
description = "host and Cortex-M4F, branch coverage"

[check]
deviations_permitted = ["15.5"]

[numeric]
nan_policy = "reject"
bit_identical = true

[bundle]
require = ["ir", "sources", "check"]

[levels.default]
summary = "one level"
targets = ["host", "cortex-m4f"]
coverage = { branch = 100.0 }
stack_budget_bytes = 300
advisory = "advisory"
"#;

#[test]
fn custom_profile_loads_and_bad_ones_name_file_and_key() {
    let (g, t) = ctx();
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = write_profile(dir.path(), CUSTOM);
    let p = profile::load(ok.to_str().expect("utf8"), &g, &t)
        .and_then(|d| d.resolve(None))
        .expect("custom profile");
    assert_eq!(p.origin, "custom.toml");
    assert_eq!(p.requirements.stack_budget_bytes, Some(300));
    assert_eq!(p.numeric.nan_policy, "reject");

    let cases = [
        (
            CUSTOM.replace(
                "advisory = \"advisory\"",
                "advisory = \"advisory\"\nbudget = 1",
            ),
            "unknown field `budget`",
        ),
        (
            CUSTOM.replace("\"cortex-m4f\"]", "\"cortex-m5\"]"),
            "unknown target \"cortex-m5\"",
        ),
        (
            CUSTOM.replace("[\"15.5\"]", "[\"17.3\"]"),
            "17.3 is mandatory",
        ),
        (
            CUSTOM.replace("bit_identical = true", "bit_identical = false"),
            "only bit-identical",
        ),
        (
            CUSTOM.replace("branch = 100.0", "branch = 120.0"),
            "a percentage",
        ),
        (
            CUSTOM.replace("\"check\"]", "\"check\", \"check\"]"),
            "twice",
        ),
        (
            CUSTOM.replace(
                "[check]",
                "[check]\nrecategorize = { \"17.3\" = \"advisory\" }",
            ),
            "only upward",
        ),
    ];
    for (body, needle) in cases {
        let path = write_profile(dir.path(), &body);
        let err = profile::load(path.to_str().expect("utf8"), &g, &t)
            .expect_err("malformed profile must be refused");
        let msg = err.to_string();
        assert!(msg.contains("custom.toml"), "names the file: {msg}");
        assert!(msg.contains(needle), "expected {needle:?} in {msg}");
    }
    let err = profile::load("iso-26262", &g, &t).expect_err("unknown name");
    assert!(
        err.to_string().contains("iso26262"),
        "lists the built-ins: {err}"
    );
}

#[test]
fn profiles_command_lists_demands() {
    let out = timber().arg("profiles").output().expect("run timber");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "iso26262",
        "ASIL-D (default)",
        "MC/DC >= 100%",
        "iec62304",
        "class-C",
        "do178c",
        "DAL-E",
        "iec61508",
        "SIL-4",
        "misra",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let out = timber()
        .args(["profiles", "--format", "json"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v.as_array().map(|a| a.len()), Some(5));
}

#[test]
fn check_with_profile_applies_its_plan() {
    // 15.5 (single exit) is advisory: it fails under ASIL-D, where every
    // advisory guideline is required, and not under ASIL-A.
    let fixture = "tests/fixtures/check/15.5/noncompliant.c";
    let a = timber()
        .args([
            "check",
            "--profile",
            "iso26262",
            "--level",
            "ASIL-A",
            fixture,
        ])
        .output()
        .expect("run");
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stdout)
    );
    let d = timber()
        .args([
            "check",
            "--profile",
            "iso26262",
            "--level",
            "ASIL-D",
            fixture,
        ])
        .output()
        .expect("run");
    assert_eq!(d.status.code(), Some(1));
    // A deviation the profile does not permit is refused.
    let dir = tempfile::tempdir().expect("tempdir");
    let dev = dir.path().join("dev.toml");
    std::fs::write(
        &dev,
        "[[deviation]]\nid = \"DEV-9\"\nrule = \"10.4\"\nfile = \"*\"\nrationale = \"r\"\napproved_by = \"a\"\n",
    )
    .expect("write");
    let out = timber()
        .args(["check", "--profile", "iso26262", "--deviations"])
        .arg(&dev)
        .arg(fixture)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DEV-9") && err.contains("10.4"), "{err}");
}
