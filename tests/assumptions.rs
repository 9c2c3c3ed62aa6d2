//! Assumptions of use (assumptions.json / assumptions.md): every bundle
//! carries them, their figures are those of the bundle's own records, and
//! `timber audit verify` catches a forged figure even when the manifest and
//! the attestations are re-hashed to match.
//!
//! The cases read or forge the committed example bundle (audit/example: a
//! real iso26262 ASIL-D certification on eight targets), so they need no
//! toolchain, except the one that compiles the example's model.c with
//! `-ffast-math` to show the guard assumptions.json names stopping the
//! build (under CI a missing `cc` fails it).

mod common;

use common::bundle::{copy_dir, rehash_attestations};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use timber::audit::verify::{verify_bundle, ProblemKind};
use timber::audit::{layout, manifest};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> PathBuf {
    root().join("audit/example")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A private copy of the example with `edit` applied to `file`, re-hashed
/// as a forger would, and its audit problems.
fn forge(file: &str, edit: impl FnOnce(&str) -> String) -> Vec<timber::audit::verify::Problem> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    copy_dir(&example(), &dir);
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(&path, edited).unwrap();
    rehash_attestations(&dir);
    manifest::write(&dir).unwrap();
    verify_bundle(&dir, None).unwrap().problems
}

#[test]
fn the_example_states_the_figures_of_its_own_records() {
    let a = read_json(&example().join(layout::ASSUMPTIONS_JSON));
    let resources = read_json(&example().join(layout::RESOURCES));
    let ir = read_json(&example().join(layout::IR));
    let cert = read_json(&example().join(layout::CERTIFICATION));

    // Stack bound, measured peak and model size of every target, in order.
    let targets = a["targets"].as_array().unwrap();
    let res = resources["targets"].as_array().unwrap();
    assert_eq!(targets.len(), res.len());
    assert_eq!(targets.len(), 8, "the example verifies eight targets");
    for (t, r) in targets.iter().zip(res) {
        assert_eq!(t["target"], r["target"]);
        assert_eq!(t["stack_bound_bytes"], r["stack"]["bound"]["bytes"], "{t}");
        assert_eq!(t["stack_measured_peak"], r["stack"]["measured_peak"], "{t}");
        assert_eq!(t["model_size"], r["model_size"], "{t}");
        assert!(t["stack_bound_bytes"].as_u64().is_some(), "{t}");
    }
    // The flag set of every target is the one its verify record compiled
    // model.c with, and carries the numeric contract's flags.
    for f in a["qualified_flags"].as_array().unwrap() {
        let target = f["target"].as_str().unwrap();
        let v = read_json(&example().join(layout::verify_file(target)));
        let cmd = v["commands"][0].as_str().unwrap();
        assert!(cmd.ends_with("-c model.c -o model.o"), "{cmd}");
        let flags: Vec<&str> = f["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        for want in ["-std=c99", "-ffp-contract=off", "-O2"] {
            assert!(flags.contains(&want), "{target}: {flags:?}");
        }
        for flag in &flags {
            assert!(cmd.contains(&format!(" {flag} ")), "{target}: {flag}");
        }
        assert!(!flags.iter().any(|f| f.contains("fast")), "{flags:?}");
    }
    // The guards are model.c's, by line and macro.
    let model_c = std::fs::read_to_string(example().join("src/model.c")).unwrap();
    let lines: Vec<&str> = model_c.lines().collect();
    let guards = a["compiler"]["guards"].as_array().unwrap();
    let macros: Vec<&str> = guards
        .iter()
        .flat_map(|g| g["macros"].as_array().unwrap())
        .map(|m| m.as_str().unwrap())
        .collect();
    for m in [
        "__FAST_MATH__",
        "FLT_EVAL_METHOD",
        "FLT_MANT_DIG",
        "DBL_MANT_DIG",
    ] {
        assert!(macros.contains(&m), "{macros:?}");
    }
    for g in guards {
        let line = g["line"].as_u64().unwrap() as usize;
        assert_eq!(
            lines[line - 1],
            format!("#if {}", g["condition"].as_str().unwrap())
        );
        assert!(lines[line].contains(g["message"].as_str().unwrap()));
    }
    let ids: Vec<&str> = a["fpu"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "round-to-nearest",
            "no-flush-to-zero",
            "no-default-nan",
            "exceptions-masked"
        ]
    );
    assert_eq!(a["features"]["count"], ir["n_features"]);
    assert_eq!(a["nan_policy"]["policy"], cert["options"]["nan_policy"]);
    assert_eq!(a["model"]["sha256"], cert["model"]["sha256"]);
    assert_eq!(a["state"]["pure_and_reentrant"], true);

    // Both files are listed in the manifest.
    let m = std::fs::read_to_string(example().join(layout::MANIFEST)).unwrap();
    assert!(m.contains("\"assumptions.json\"") && m.contains("\"assumptions.md\""));
    let md = std::fs::read_to_string(example().join(layout::ASSUMPTIONS_MD)).unwrap();
    // The table row of each target states the figures of assumptions.json.
    for t in a["targets"].as_array().unwrap() {
        let (Some(bound), Some(peak)) = (
            t["stack_bound_bytes"].as_u64(),
            t["stack_measured_peak"].as_u64(),
        ) else {
            continue;
        };
        let row = format!(
            "| {} | {bound} | {peak} | {} |",
            t["target"].as_str().unwrap(),
            t["stack_budget"]
        );
        assert!(md.contains(&row), "{row} not in {md}");
    }
}

fn read_example_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(example().join(name)).unwrap()).unwrap()
}

#[test]
fn a_forged_stack_bound_in_assumptions_json_is_caught_naming_the_field() {
    let problems = forge(layout::ASSUMPTIONS_JSON, |t| {
        // cortex-m0-mps2 is the second target; its bound lowered to 48.
        let mut a: Value = serde_json::from_str(t).unwrap();
        assert_eq!(a["targets"][1]["target"], "cortex-m0-mps2");
        assert_ne!(a["targets"][1]["stack_bound_bytes"], 48);
        a["targets"][1]["stack_bound_bytes"] = 48.into();
        serde_json::to_string_pretty(&a).unwrap() + "\n"
    });
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].file, layout::ASSUMPTIONS_JSON);
    assert_eq!(problems[0].kind, ProblemKind::AssumptionsInconsistent);
    let bound =
        read_example_json(layout::ASSUMPTIONS_JSON)["targets"][1]["stack_bound_bytes"].clone();
    assert_eq!(
        problems[0].message,
        format!(
            "differs from what the bundle's records give: field /targets/1/stack_bound_bytes is 48, the records give {bound}"
        )
    );
}

#[test]
fn a_forged_flag_in_assumptions_md_is_caught_naming_the_line() {
    let problems = forge(layout::ASSUMPTIONS_MD, |t| {
        t.replacen(
            "-mcpu=cortex-m4 -mfloat-abi=hard",
            "-mcpu=cortex-m4 -ffast-math -mfloat-abi=hard",
            1,
        )
    });
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].file, layout::ASSUMPTIONS_MD);
    assert_eq!(problems[0].kind, ProblemKind::AssumptionsInconsistent);
    assert!(
        problems[0].message.contains("-ffast-math"),
        "{}",
        problems[0].message
    );
    assert!(problems[0]
        .message
        .starts_with("differs from what the bundle's records give: line "));
}

#[test]
fn a_record_changed_without_its_assumptions_is_caught() {
    // The measured peak of cortex-m4f in resources.json, made 2 bytes less.
    let mut peak = 0u64;
    let problems = forge(layout::RESOURCES, |t| {
        let mut r: Value = serde_json::from_str(t).unwrap();
        let m4f = r["targets"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|t| t["target"] == "cortex-m4f")
            .unwrap();
        peak = m4f["stack"]["measured_peak"]
            .as_u64()
            .expect("a measured peak");
        m4f["stack"]["measured_peak"] = (peak - 2).into();
        serde_json::to_string_pretty(&r).unwrap() + "\n"
    });
    let p = problems
        .iter()
        .find(|p| p.file == layout::ASSUMPTIONS_JSON)
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert_eq!(p.kind, ProblemKind::AssumptionsInconsistent);
    assert!(
        p.message.contains(&format!(
            "stack_measured_peak is {peak}, the records give {}",
            peak - 2
        )),
        "{}",
        p.message
    );
}

#[test]
fn a_bundle_without_its_assumptions_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    copy_dir(&example(), &dir);
    std::fs::remove_file(dir.join(layout::ASSUMPTIONS_MD)).unwrap();
    rehash_attestations(&dir);
    manifest::write(&dir).unwrap();
    let problems = verify_bundle(&dir, None).unwrap().problems;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].file, layout::ASSUMPTIONS_MD);
    assert!(problems[0].message.starts_with("missing"));
}

/// The guard assumptions.json names for -ffast-math stops the example's
/// own model.c with its recorded message; the recorded flag set of the
/// host builds it.
#[test]
fn the_named_fast_math_guard_stops_a_fast_math_build_of_the_example() {
    let a = read_json(&example().join(layout::ASSUMPTIONS_JSON));
    let guard = a["compiler"]["guards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["macros"] == serde_json::json!(["__FAST_MATH__"]))
        .expect("a __FAST_MATH__ guard");
    let host = a["qualified_flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["target"] == "host")
        .unwrap();
    let flags: Vec<String> = host["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for f in ["model.c", "model.h", "model_data.h"] {
        std::fs::copy(example().join("src").join(f), dir.path().join(f)).unwrap();
    }
    let build = |extra: &[&str]| {
        Command::new("cc")
            .current_dir(dir.path())
            .args(&flags)
            .args(extra)
            .args(["-c", "model.c", "-o", "model.o"])
            .output()
    };
    let plain = match build(&[]) {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set and cc is missing: {e}"
            );
            eprintln!("NOTICE: cc not found ({e}); run scripts/install-toolchains.sh");
            return;
        }
    };
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let fast = build(&["-ffast-math"]).unwrap();
    assert!(!fast.status.success());
    let err = String::from_utf8_lossy(&fast.stderr);
    assert!(err.contains(guard["message"].as_str().unwrap()), "{err}");
    assert!(
        err.contains(&format!("model.c:{}", guard["line"].as_u64().unwrap() + 1)),
        "{err}"
    );
}
