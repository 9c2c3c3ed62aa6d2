//! `timber certify --fleet FILE`: fixture models of five formats certified
//! in one command, two at a time, with one summary table and one JUnit
//! file (a suite per model, a case per requirement, read back with an XML
//! parser and checked against each bundle's certification.json); one model
//! under a profile it cannot meet makes the command exit 1; each bundle is
//! byte for byte what `timber certify` writes for that model alone; a bad
//! fleet file is refused with exit 2 naming the file, line and field.
//!
//! Needs a host C compiler and clang (scripts/install-toolchains.sh);
//! without them the tests print a notice and return, except under CI.

mod common;

use std::path::Path;
use std::process::Command;

use common::bundle::read_tree;
use common::output_text as text;

fn timber(cwd: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_timber"));
    c.current_dir(cwd)
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH");
    c
}

/// (entry name, fixture path under tests/fixtures).
const MODELS: [(&str, &str); 6] = [
    ("xgb-hinge", "xgboost/binary_hinge.json"),
    ("xgb-regression", "xgboost/regression.json"),
    ("lgbm-nan", "lightgbm/binary_nan.txt"),
    ("sklearn-tree", "sklearn/dt_clf/model.pkl"),
    ("onnx-raw", "onnx/binary_raw/model.onnx"),
    ("catboost", "catboost/binary.json"),
];

fn fleet_toml(fixtures: &Path) -> String {
    let mut s = String::new();
    for (name, path) in MODELS {
        s.push_str(&format!(
            "[[model]]\nname = \"{name}\"\nmodel = \"{}\"\nprofile = \"misra\"\nout = \"bundles/{name}\"\nrandom_rows = 16\n\n",
            fixtures.join(path).display()
        ));
    }
    // The same hinge model under a profile demanding a 1-byte stack.
    s.push_str(
        "[[model]]\nname = \"tiny-stack\"\nmodel = \"FIXTURES/xgboost/binary_hinge.json\"\nprofile = \"tiny-stack.toml\"\nout = \"bundles/tiny-stack\"\nrandom_rows = 16\n",
    );
    s.replace("FIXTURES", &fixtures.display().to_string())
}

#[test]
fn six_models_of_five_formats_certify_in_one_command_with_one_junit_file() {
    if common::targets_with_tools(&["host"]).is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fixtures = common::fixtures();
    let misra = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/profiles/misra.toml"),
    )
    .unwrap();
    let tiny = misra
        .replacen("name = \"misra\"", "name = \"tiny-stack\"", 1)
        .replacen(
            "[levels.default]\n",
            "[levels.default]\nstack_budget_bytes = 1\n",
            1,
        );
    assert_ne!(tiny, misra);
    std::fs::write(dir.join("tiny-stack.toml"), tiny).unwrap();
    std::fs::write(dir.join("fleet.toml"), fleet_toml(&fixtures)).unwrap();

    let o = timber(
        dir,
        &[
            "certify",
            "--fleet",
            "fleet.toml",
            "--jobs",
            "2",
            "--junit",
            "fleet.xml",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    for (name, _) in MODELS {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with("pass") && l.contains(name)),
            "{name} passes: {}",
            text(&o)
        );
    }
    assert!(
        stdout.lines().any(|l| l.trim_start().starts_with("FAIL")
            && l.contains("tiny-stack")
            && l.contains("stack:host")),
        "{}",
        text(&o)
    );
    assert!(
        stdout.contains("fleet: 7 model(s), 6 passed, 1 failed, 0 not certified"),
        "{}",
        text(&o)
    );

    // The JUnit file: a suite per model, a case per requirement row of its
    // bundle's record, failures where the record has them.
    let xml = std::fs::read_to_string(dir.join("fleet.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit XML");
    let suites: Vec<_> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: Vec<&str> = MODELS
        .iter()
        .map(|(n, _)| *n)
        .chain(["tiny-stack"])
        .collect();
    assert_eq!(suites.len(), names.len());
    let mut total = 0;
    for (suite, name) in suites.iter().zip(&names) {
        let cert: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join("bundles").join(name).join("certification.json")).unwrap(),
        )
        .unwrap();
        let rows = cert["requirements"].as_array().unwrap();
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), rows.len(), "{name}");
        total += rows.len();
        for (case, row) in cases.iter().zip(rows) {
            assert_eq!(
                case.attribute("classname"),
                Some(format!("timber.fleet.{name}").as_str())
            );
            assert!(case
                .attribute("name")
                .unwrap()
                .starts_with(row["id"].as_str().unwrap()));
            let failed = case.children().any(|n| n.has_tag_name("failure"));
            assert_eq!(failed, row["status"] == "fail", "{name} {}", row["id"]);
        }
    }
    assert_eq!(
        doc.root_element().attribute("tests"),
        Some(total.to_string().as_str())
    );

    // A fleet entry's bundle is what `timber certify` writes for it alone.
    let single = timber(
        dir,
        &[
            "certify",
            fixtures.join(MODELS[4].1).to_str().unwrap(),
            "--profile",
            "misra",
            "--random-rows",
            "16",
            "--out",
            "single",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(single.status.code(), Some(0), "{}", text(&single));
    assert!(
        read_tree(&dir.join("single")) == read_tree(&dir.join("bundles").join(MODELS[4].0)),
        "the fleet's bundle of {} differs from a single certify run",
        MODELS[4].0
    );
}

#[test]
fn a_bad_fleet_file_is_refused_before_anything_runs_naming_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let model = common::fixtures().join("xgboost/binary_hinge.json");
    let m = model.display();
    let cases: Vec<(String, &str)> = vec![
        (
            format!("[[model]]\nmodel = \"{m}\"\nprofile = \"misra\"\nout = \"a\"\ncolour = \"red\"\n"),
            "fleet.toml:5: (syntax): unknown field `colour`",
        ),
        (
            "[[model]]\nmodel = \"missing.json\"\nprofile = \"misra\"\nout = \"a\"\n".into(),
            "fleet.toml:2: model: ",
        ),
        (
            format!("[[model]]\nmodel = \"{m}\"\nprofile = \"misra\"\nout = \"a\"\n\n[[model]]\nname = \"b\"\nmodel = \"{m}\"\nprofile = \"misra\"\nout = \"a\"\n"),
            "fleet.toml:10: out: ",
        ),
        (
            format!("[[model]]\nmodel = \"{m}\"\nprofile = \"iso26262\"\nlevel = \"ASIL-Q\"\nout = \"a\"\n"),
            "fleet.toml:4: level: ",
        ),
        (
            format!("[[model]]\nmodel = \"{m}\"\nprofile = \"misra\"\nout = \"a\"\nlayout = \"diagonal\"\n"),
            "fleet.toml:5: layout: \"diagonal\" is not a layout",
        ),
    ];
    for (toml, wanted) in cases {
        std::fs::write(dir.join("fleet.toml"), &toml).unwrap();
        let o = timber(dir, &["certify", "--fleet", "fleet.toml"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{toml}\n{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(wanted),
            "wanted {wanted:?}\n{toml}\n{}",
            text(&o)
        );
        assert!(!dir.join("a").exists(), "nothing ran");
    }
    // A per-model option on the command line would be ignored: refused.
    let o = timber(
        dir,
        &["certify", "--fleet", "fleet.toml", "--random-rows", "3"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot be used with"),
        "{}",
        text(&o)
    );
}
