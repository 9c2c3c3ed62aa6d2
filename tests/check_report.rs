//! Report formats, deviations, the compliance summary and the CLI exit codes
//! of `timber check`.

use std::path::{Path, PathBuf};
use std::process::Command;

use timber::check::{self, catalogue, deviation, report, Format};

const BAD: &str = "typedef signed int int32_t;\n\
int32_t sign(int32_t x)\n\
{\n\
    if (x < 0) {\n\
        return -1;\n\
    }\n\
    goto out;\n\
out:\n\
    return 0;\n\
}\n";

fn run(src: &str, deviations: &str) -> check::Report {
    let guidelines = catalogue::guidelines().expect("catalogue");
    let config = check::Config {
        deviations: deviation::parse(deviations, "test.toml", &guidelines)
            .expect("deviations parse"),
        ..Default::default()
    };
    check::check_sources(vec![("src/bad.c".into(), src.into())], &config).expect("check runs")
}

#[test]
fn sarif_has_the_structure_code_scanning_expects() {
    let r = run(BAD, "");
    let guidelines = catalogue::guidelines().expect("catalogue");
    let text = report::render(&r, Format::Sarif, &guidelines).expect("render");
    let v: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"]
        .as_str()
        .expect("schema")
        .contains("sarif-2.1.0"));
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "timber-check");
    let rules = driver["rules"].as_array().expect("rules");
    assert!(rules.len() >= 20);
    for rule in rules {
        assert!(rule["id"].is_string());
        assert!(rule["shortDescription"]["text"].is_string());
        let cat = rule["properties"]["category"].as_str().expect("category");
        assert!(["mandatory", "required", "advisory"].contains(&cat));
    }
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), r.findings.len());
    assert!(!results.is_empty());
    for res in results {
        let id = res["ruleId"].as_str().expect("ruleId");
        let index = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().expect("level")));
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "src/bad.c");
        assert!(loc["region"]["startLine"].as_u64().expect("line") >= 1);
        assert!(loc["region"]["startColumn"].as_u64().expect("col") >= 1);
        assert!(res["message"]["text"].is_string());
    }
    let goto = results
        .iter()
        .find(|r| r["ruleId"] == "15.1")
        .expect("15.1 result");
    assert_eq!(goto["level"], "warning", "advisory maps to warning");
    assert_eq!(
        goto["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
}

#[test]
fn json_is_sorted_and_stable() {
    let a = run(BAD, "");
    let b = run(BAD, "");
    let guidelines = catalogue::guidelines().expect("catalogue");
    let ja = report::render(&a, Format::Json, &guidelines).expect("json");
    let jb = report::render(&b, Format::Json, &guidelines).expect("json");
    assert_eq!(ja, jb);
    let keys: Vec<_> = a
        .findings
        .iter()
        .map(|f| (f.line, f.col, f.rule.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let v: serde_json::Value = serde_json::from_str(&ja).expect("json");
    assert!(v["summary"].as_array().expect("summary").len() >= 215);
}

#[test]
fn deviations_mark_findings_and_feed_the_summary() {
    let dev = r#"
[[deviation]]
id = "DEV-1"
rule = "15.5"
file = "src/*.c"
function = "sign"
rationale = "early return on invalid input keeps the check readable"
approved_by = "safety lead"

[[deviation]]
id = "DEV-2"
rule = "15.1"
file = "src/*.c"
line = 99
rationale = "never matches"
approved_by = "safety lead"
"#;
    let r = run(BAD, dev);
    let returns: Vec<_> = r.findings.iter().filter(|f| f.rule == "15.5").collect();
    assert!(!returns.is_empty());
    assert!(returns
        .iter()
        .all(|f| f.deviation.as_deref() == Some("DEV-1")));
    let gotos: Vec<_> = r.findings.iter().filter(|f| f.rule == "15.1").collect();
    assert!(
        gotos.iter().all(|f| f.deviation.is_none()),
        "line 99 matches nothing"
    );
    assert_eq!(r.unused_deviations, vec!["DEV-2".to_string()]);
    let status = |id: &str| {
        r.summary
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.status.clone())
            .expect("guideline in summary")
    };
    assert_eq!(status("15.5"), "deviated");
    assert_eq!(status("15.1"), "violations");
    assert_eq!(status("19.2"), "compliant");
    assert_eq!(status("1.3"), "not checked");
    let text = report::text(&r);
    assert!(text.contains("(deviated: DEV-1)"));
    assert!(text.contains("Guideline Compliance Summary"));
}

#[test]
fn mandatory_rules_and_unknown_rules_cannot_be_deviated() {
    let guidelines = catalogue::guidelines().expect("catalogue");
    let mandatory = "[[deviation]]\nid = \"D\"\nrule = \"17.6\"\nfile = \"*\"\nrationale = \"r\"\napproved_by = \"a\"\n";
    let err = deviation::parse(mandatory, "d.toml", &guidelines).expect_err("mandatory");
    assert!(err.to_string().contains("mandatory"), "{err}");
    let unknown = mandatory.replace("17.6", "99.9");
    let err = deviation::parse(&unknown, "d.toml", &guidelines).expect_err("unknown");
    assert!(err.to_string().contains("unknown guideline"), "{err}");
    let no_reason = mandatory.replace("17.6", "15.5").replace("\"r\"", "\"\"");
    assert!(deviation::parse(&no_reason, "d.toml", &guidelines).is_err());
}

fn fixture(rule: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/check")
        .join(rule)
        .join(name)
}

#[test]
fn cli_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_timber");
    let clean = Command::new(bin)
        .args(["check"])
        .arg(fixture("15.5", "compliant.c"))
        .output()
        .expect("run timber");
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );

    let advisory_only = Command::new(bin)
        .args(["check"])
        .arg(fixture("15.5", "noncompliant.c"))
        .output()
        .expect("run timber");
    assert_eq!(
        advisory_only.status.code(),
        Some(0),
        "advisory findings do not fail"
    );

    let failing = Command::new(bin)
        .args(["check", "--format", "json"])
        .arg(fixture("16.4", "noncompliant.c"))
        .output()
        .expect("run timber");
    assert_eq!(failing.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&failing.stdout).expect("json on stdout");
    assert!(v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["rule"] == "16.4"));
    // Paths under the current directory (the crate root for tests) are shown relative.
    let file = v["findings"][0]["file"].as_str().expect("file");
    assert_eq!(file, "tests/fixtures/check/16.4/noncompliant.c");

    let missing = Command::new(bin)
        .args(["check", "/nonexistent/file.c"])
        .output()
        .expect("run timber");
    assert_eq!(missing.status.code(), Some(2));

    let dir = tempfile::tempdir().expect("tempdir");
    let dev = dir.path().join("dev.toml");
    std::fs::write(&dev, "[[deviation]]\nid = \"D\"\nrule = \"12.5\"\nfile = \"*\"\nrationale = \"r\"\napproved_by = \"a\"\n")
        .expect("write");
    let bad_dev = Command::new(bin)
        .args(["check", "--deviations"])
        .arg(&dev)
        .arg(fixture("15.5", "compliant.c"))
        .output()
        .expect("run timber");
    assert_eq!(
        bad_dev.status.code(),
        Some(2),
        "a mandatory deviation is bad input"
    );

    let out = dir.path().join("r.sarif");
    let dirrun = Command::new(bin)
        .args(["check", "--format", "sarif", "--output"])
        .arg(&out)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/16.4"))
        .output()
        .expect("run timber");
    assert_eq!(dirrun.status.code(), Some(1));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("sarif written")).expect("json");
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn recursion_is_found_across_files_and_directories_are_sorted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("src");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let a = "typedef unsigned int uint32_t;\nuint32_t pong(uint32_t n);\nuint32_t ping(uint32_t n)\n{\n    uint32_t r = 0U;\n    if (n > 0U) {\n        r = pong(n - 1U);\n    }\n    return r;\n}\n";
    let b = "typedef unsigned int uint32_t;\nuint32_t ping(uint32_t n);\nuint32_t pong(uint32_t n)\n{\n    uint32_t r = 0U;\n    if (n > 0U) {\n        r = ping(n - 1U);\n    }\n    return r;\n}\n";
    std::fs::write(sub.join("b.c"), b).expect("write");
    std::fs::write(sub.join("a.c"), a).expect("write");
    std::fs::write(sub.join("notes.txt"), "not C").expect("write");
    let report =
        check::check_files(&[dir.path().to_path_buf()], &check::Config::default()).expect("check");
    assert_eq!(report.files.len(), 2, "{:?}", report.files);
    assert!(report.files[0].ends_with("src/a.c") && report.files[1].ends_with("src/b.c"));
    let rec: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "17.2")
        .collect();
    assert_eq!(rec.len(), 2, "{rec:?}");
    assert!(rec.iter().all(|f| f.line == 7));
    // Each file alone has no cycle.
    let alone = check::check_files(&[sub.join("a.c")], &check::Config::default()).expect("check");
    assert!(alone.findings.iter().all(|f| f.rule != "17.2"));
}

#[test]
fn example_deviations_file_is_valid() {
    let guidelines = catalogue::guidelines().expect("catalogue");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/deviations.example.toml"),
    )
    .expect("example file");
    let devs =
        deviation::parse(&text, "rules/deviations.example.toml", &guidelines).expect("valid");
    assert_eq!(devs.len(), 2);
}

fn plan(text: &str) -> anyhow::Result<(Vec<deviation::Deviation>, Vec<check::Recategorization>)> {
    let guidelines = catalogue::guidelines().expect("catalogue");
    deviation::parse_plan(text, "plan.toml", &guidelines)
}

fn run_plan(src: &str, text: &str) -> check::Report {
    let (deviations, recategorizations) = plan(text).expect("plan parses");
    let config = check::Config {
        deviations,
        recategorizations,
        ..Default::default()
    };
    check::check_sources(vec![("src/bad.c".into(), src.into())], &config).expect("check runs")
}

fn status<'a>(r: &'a check::Report, id: &str) -> &'a check::GuidelineStatus {
    r.summary
        .iter()
        .find(|g| g.id == id)
        .expect("guideline in summary")
}

#[test]
fn recategorize_advisory_up_to_required_makes_it_fail() {
    // 15.5 (advisory) fires on BAD; raised to required it fails the check.
    let before = run(BAD, "");
    let r = run_plan(
        BAD,
        "[[recategorize]]\nrule = \"15.5\"\ncategory = \"required\"\n",
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "15.5")
        .expect("15.5 finding");
    assert_eq!(f.category, check::Category::Required);
    assert_eq!(status(&r, "15.5").category, "required");
    assert!(r.failing() > before.failing());
}

#[test]
fn recategorize_required_up_to_mandatory_forbids_its_deviation() {
    let r = run_plan(
        BAD,
        "[[recategorize]]\nrule = \"15.1\"\ncategory = \"mandatory\"\n",
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "15.1")
        .expect("15.1 finding");
    assert_eq!(f.category, check::Category::Mandatory);
    let err = plan(
        "[[recategorize]]\nrule = \"15.6\"\ncategory = \"mandatory\"\n\
         [[deviation]]\nid = \"D1\"\nrule = \"15.6\"\nfile = \"*\"\nrationale = \"r\"\napproved_by = \"a\"\n",
    )
    .expect_err("deviation of a raised rule");
    assert!(err.to_string().contains("mandatory"), "{err}");
}

#[test]
fn recategorize_advisory_disapplied_hides_findings_and_lists_them() {
    let r = run_plan(
        BAD,
        "[[recategorize]]\nrule = \"15.5\"\ncategory = \"disapplied\"\n",
    );
    assert!(r.findings.iter().all(|f| f.rule != "15.5"));
    let s = status(&r, "15.5");
    assert_eq!(s.status, "disapplied");
    assert_eq!(s.category, "disapplied");
    assert!(s.disapplied > 0);
    let guidelines = catalogue::guidelines().expect("catalogue");
    let text = report::render(&r, Format::Text, &guidelines).expect("render");
    assert!(text.contains("disapplied"), "{text}");
}

#[test]
fn recategorize_rejects_downward_mandatory_unknown_and_bad_entries() {
    for (entry, why) in [
        ("rule = \"15.6\"\ncategory = \"advisory\"", "downward"),
        (
            "rule = \"15.6\"\ncategory = \"disapplied\"",
            "required disapplied",
        ),
        ("rule = \"17.6\"\ncategory = \"required\"", "mandatory"),
        (
            "rule = \"17.6\"\ncategory = \"mandatory\"",
            "mandatory unchanged",
        ),
        ("rule = \"15.5\"\ncategory = \"advisory\"", "no change"),
        ("rule = \"15.5\"\ncategory = \"optional\"", "bad category"),
        ("rule = \"99.9\"\ncategory = \"required\"", "unknown rule"),
    ] {
        let text = format!("[[recategorize]]\n{entry}\n");
        let err = plan(&text).expect_err(why);
        let msg = err.to_string();
        assert!(
            msg.contains("plan.toml") && msg.contains("recategorize entry 1"),
            "{why}: {msg}"
        );
    }
    let twice = "[[recategorize]]\nrule = \"15.5\"\ncategory = \"required\"\n\
                 [[recategorize]]\nrule = \"15.5\"\ncategory = \"mandatory\"\n";
    let err = plan(twice).expect_err("twice");
    assert!(err.to_string().contains("recategorize entry 2"), "{err}");
}

#[test]
fn cli_exits_2_on_a_bad_recategorization() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan_path = dir.path().join("plan.toml");
    std::fs::write(
        &plan_path,
        "[[recategorize]]\nrule = \"17.6\"\ncategory = \"advisory\"\n",
    )
    .expect("write plan");
    let c = dir.path().join("a.c");
    std::fs::write(&c, BAD).expect("write c");
    let out = Command::new(env!("CARGO_BIN_EXE_timber"))
        .arg("check")
        .arg(&c)
        .arg("--deviations")
        .arg(&plan_path)
        .output()
        .expect("run timber");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plan.toml") && stderr.contains("17.6"),
        "{stderr}"
    );
}
