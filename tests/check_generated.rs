//! The checker against the generator, from both sides:
//! - every C file timber emits for every fixture model (XGBoost 1.7, 2.1,
//!   3.2 sets; both NaN policies; table, branches and compact layouts, and
//!   the integer mode wherever it can express the model) has zero
//!   findings and parses cleanly;
//! - a mutation test: each implemented rule's violation (its non-compliant
//!   fixture) is injected into generated model.c and must be reported at
//!   the injected lines; the kill rate is printed and must be 100 %.

mod common;

use std::collections::BTreeSet;
use timber::check::{check_sources, Config};
use timber::codegen::c99::{emit_c99, Layout, NanPolicy, Numeric, Options};
use timber::frontend::{load_model, FormatChoice};

fn generated_sources(name: &str, dir: &std::path::Path, opts: &Options) -> Vec<(String, String)> {
    let ens = load_model(&dir.join(format!("{name}.json")), FormatChoice::Auto)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    emit_c99(&ens, opts)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .into_iter()
        .map(|f| (f.name, f.contents))
        .collect()
}

#[test]
fn generated_c_for_every_fixture_has_zero_findings() {
    let mut files = 0usize;
    for dir in common::xgboost_fixture_dirs() {
        for name in common::xgboost_models_in(&dir) {
            for (policy, layout, numeric) in [NanPolicy::Missing, NanPolicy::Reject]
                .into_iter()
                .flat_map(|p| {
                    [
                        (p, Layout::Table, Numeric::Float),
                        (p, Layout::Branches, Numeric::Float),
                        (p, Layout::Compact, Numeric::Float),
                        (p, Layout::Compact, Numeric::Int),
                    ]
                })
            {
                let opts = Options {
                    nan_policy: policy,
                    layout,
                    numeric,
                };
                if let Some(why) = opts.unsupported(
                    &load_model(&dir.join(format!("{name}.json")), FormatChoice::Auto)
                        .unwrap_or_else(|e| panic!("{name}: {e}")),
                ) {
                    // Only the integer mode may refuse a model (e.g. a
                    // stump without splits), with a reason.
                    assert_eq!(numeric, Numeric::Int, "{name}: {why}");
                    continue;
                }
                let layout = (layout, numeric);
                let sources = generated_sources(&name, &dir, &opts);
                files += sources.len();
                let report = check_sources(sources, &Config::default())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(
                    report.findings.is_empty(),
                    "{}/{name} ({policy:?}, {layout:?}): {} findings, first: {:?}",
                    dir.display(),
                    report.findings.len(),
                    report.findings.first()
                );
                assert!(
                    report.parse_issues.is_empty(),
                    "{name}: parse issues {:?}",
                    report.parse_issues
                );
            }
        }
    }
    println!("{files} generated files checked: 0 findings");
}

/// The integer mode for the LightGBM and CatBoost fixtures too (both NaN
/// policies; the XGBoost ones are in the test above): zero findings.
#[test]
fn integer_mode_for_lightgbm_and_catboost_fixtures_has_zero_findings() {
    let mut checked = 0usize;
    for (sub, ext) in [("lightgbm", "txt"), ("catboost", "json")] {
        let dir = common::fixtures().join(sub);
        for name in common::models_with_extension(&dir, ext, 1) {
            let ens = load_model(&dir.join(format!("{name}.{ext}")), FormatChoice::Auto)
                .unwrap_or_else(|e| panic!("{sub}/{name}: {e}"));
            for nan_policy in [NanPolicy::Missing, NanPolicy::Reject] {
                let opts = Options {
                    nan_policy,
                    layout: Layout::Auto,
                    numeric: Numeric::Int,
                };
                if opts.unsupported(&ens).is_some() {
                    continue;
                }
                let sources: Vec<(String, String)> = emit_c99(&ens, &opts)
                    .unwrap_or_else(|e| panic!("{sub}/{name}: {e}"))
                    .into_iter()
                    .map(|f| (f.name, f.contents))
                    .collect();
                let report = check_sources(sources, &Config::default())
                    .unwrap_or_else(|e| panic!("{sub}/{name}: {e}"));
                assert!(
                    report.findings.is_empty() && report.parse_issues.is_empty(),
                    "{sub}/{name} ({nan_policy:?}): {:?} {:?}",
                    report.findings.first(),
                    report.parse_issues
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} integer-mode runs checked");
    println!("{checked} integer-mode runs checked: 0 findings");
}

fn expectations(text: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(pos) = line.find("expect:") {
            let rest = &line[pos + "expect:".len()..];
            let rest = rest.split("*/").next().unwrap_or("");
            for id in rest.split(',') {
                let id = id.trim();
                if !id.is_empty() {
                    out.insert((i + 1, id.to_string()));
                }
            }
        }
    }
    out
}

#[test]
fn every_rule_catches_its_violation_injected_into_generated_code() {
    let dir = common::fixtures().join("xgboost");
    let base = generated_sources("multiclass", &dir, &Options::default());
    let model_c = base
        .iter()
        .find(|(n, _)| n == "model.c")
        .map(|(_, t)| t.clone())
        .expect("model.c");
    let offset = model_c.lines().count();

    let root = common::fixtures().join("check");
    let mut rules: Vec<_> = std::fs::read_dir(&root)
        .expect("check fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("noncompliant.c").exists())
        .collect();
    rules.sort();
    let (mut killed, mut total) = (0usize, 0usize);
    let mut survivors = Vec::new();
    for rule_dir in &rules {
        let rule = rule_dir.file_name().unwrap().to_string_lossy().into_owned();
        let fixture = std::fs::read_to_string(rule_dir.join("noncompliant.c")).unwrap();
        let want: BTreeSet<usize> = expectations(&fixture)
            .into_iter()
            .filter(|(_, id)| *id == rule)
            .map(|(line, _)| line + offset)
            .collect();
        assert!(!want.is_empty(), "{rule}: fixture has no expectation");
        let mut sources: Vec<(String, String)> = base
            .iter()
            .filter(|(n, _)| n != "model.c")
            .cloned()
            .collect();
        sources.push(("model.c".into(), format!("{model_c}{fixture}")));
        // Companion headers of the fixture (system rules such as 8.7).
        for e in std::fs::read_dir(rule_dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "h") {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                sources.push((name, std::fs::read_to_string(&p).unwrap()));
            }
        }
        let report = check_sources(sources, &Config::default()).expect("check runs");
        let got: BTreeSet<usize> = report
            .findings
            .iter()
            .filter(|f| f.rule == rule && f.file == "model.c")
            .map(|f| f.line)
            .collect();
        total += 1;
        if want.is_subset(&got) {
            killed += 1;
        } else {
            survivors.push(format!("{rule}: expected lines {want:?}, reported {got:?}"));
        }
    }
    println!(
        "mutation kill rate: {killed}/{total} rules ({:.1} %)",
        100.0 * killed as f64 / total as f64
    );
    assert!(
        survivors.is_empty(),
        "injected violations not caught:\n{}",
        survivors.join("\n")
    );
}

/// Violations written with the generator's own typedefs and macros
/// (`timber_float32_t`, `timber_float64_t`, `TIMBER_LOG2E`, `TIMBER_OK`,
/// ...), each appended to generated model.c: the essential type rules
/// must see through the generated header's typedefs and the macros, and
/// report each at its line. (The fixtures use their own typedefs; these
/// use exactly what generated code is made of.)
#[test]
fn violations_built_from_the_generators_typedefs_and_macros_are_caught() {
    let dir = common::fixtures().join("xgboost");
    let base = generated_sources("multiclass", &dir, &Options::default());
    let text = |name: &str| {
        base.iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("{name} generated"))
    };
    let (model_c, model_h) = (text("model.c"), text("model.h"));
    for needed in [
        "typedef float timber_float32_t;",
        "typedef double timber_float64_t;",
        "#define TIMBER_OK",
        "#define TIMBER_ERR_NAN",
        "#define TIMBER_N_FEATURES",
    ] {
        assert!(
            model_h.contains(needed),
            "model.h no longer has `{needed}`: update this test"
        );
    }
    assert!(model_c.contains("#define TIMBER_LOG2E ") && model_c.contains("#include <stdbool.h>"));
    // (rule, code; the violation is on the line marked `/* here */`).
    let mutants: &[(&str, &str)] = &[
        ("10.1", "static int32_t m(int32_t s)\n{\n    return s & TIMBER_ERR_NAN; /* here */\n}\n"),
        ("10.2", "static char m(char c)\n{\n    return c + TIMBER_LOG2E; /* here */\n}\n"),
        ("10.3", "static int32_t m(timber_float32_t x)\n{\n    int32_t k = x; /* here */\n    return k;\n}\n"),
        ("10.3", "static int16_t m(int32_t a)\n{\n    int16_t s = a; /* here */\n    return s;\n}\n"),
        ("10.4", "static timber_float32_t m(timber_float32_t x, int32_t k)\n{\n    return x * k; /* here */\n}\n"),
        ("10.5", "static timber_float32_t m(bool b)\n{\n    return (timber_float32_t)b; /* here */\n}\n"),
        ("10.6", "static timber_float64_t m(timber_float32_t x)\n{\n    timber_float64_t d = x * TIMBER_LOG2E; /* here */\n    return d;\n}\n"),
        ("10.7", "static timber_float64_t m(timber_float64_t d, timber_float32_t x)\n{\n    return d * (x + TIMBER_LOG2E); /* here */\n}\n"),
        ("10.8", "static int32_t m(timber_float32_t kf)\n{\n    return (int32_t)(kf + 0.5f); /* here */\n}\n"),
        ("10.8", "static timber_float64_t m(timber_float32_t x)\n{\n    return (timber_float64_t)(x * x); /* here */\n}\n"),
        ("12.2", "static uint32_t m(void)\n{\n    return TIMBER_N_FEATURES << 40U; /* here */\n}\n"),
        ("14.4", "static int32_t m(timber_float32_t x)\n{\n    int32_t r = TIMBER_OK;\n    if (x) { /* here */\n        r = TIMBER_ERR_NAN;\n    }\n    return r;\n}\n"),
    ];
    let offset = model_c.lines().count();
    let mut survivors = Vec::new();
    for (rule, code) in mutants {
        let line = offset
            + 1
            + code
                .lines()
                .position(|l| l.contains("/* here */"))
                .expect("marked line");
        let mut sources: Vec<(String, String)> = base
            .iter()
            .filter(|(n, _)| n != "model.c")
            .cloned()
            .collect();
        sources.push(("model.c".into(), format!("{model_c}{code}")));
        let report = check_sources(sources, &Config::default()).expect("check runs");
        let hit = report
            .findings
            .iter()
            .any(|f| f.rule == *rule && f.file == "model.c" && f.line == line);
        if !hit {
            survivors.push(format!("{rule} at model.c:{line} not reported in:\n{code}"));
        }
    }
    println!(
        "generator-typedef mutants killed: {}/{}",
        mutants.len() - survivors.len(),
        mutants.len()
    );
    assert!(survivors.is_empty(), "{}", survivors.join("\n"));
}
