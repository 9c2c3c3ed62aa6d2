//! The certification record as JUnit XML, read back with a real XML parser:
//! counts, failures with demanded vs measured, properties, escaping and
//! determinism.

use timber::audit::junit::render_junit;
use timber::audit::record::{
    Certification, CheckSummary, CoverageSummary, GenerationOptions, ModelInfo, ProfileInfo, Ratio,
    Requirement, Status, TargetSummary, CERTIFICATION_SCHEMA_VERSION,
};

const NASTY: &str = "<script>alert(\"x\" & 'y')</script> ]]> \u{1} tab\there\nnewline";

fn req(id: &str, demanded: &str, measured: &str, ok: bool, evidence: &[&str]) -> Requirement {
    Requirement {
        id: id.to_string(),
        title: format!("Title of {id}"),
        demanded: demanded.to_string(),
        measured: measured.to_string(),
        status: Status::from_bool(ok),
        evidence: evidence.iter().map(|s| s.to_string()).collect(),
    }
}

fn record(failed: &[&str]) -> Certification {
    let ids = [
        ("misra", "0 failing findings", "0 failing"),
        ("verify:host", "0 mismatches", "0 of 1,064 rows"),
        (
            "verify:cortex-m4f",
            "0 mismatches",
            "3 of 1,064 rows differ",
        ),
        ("verify:cortex-m0", "0 mismatches", "0 of 1,064 rows"),
        ("coverage:branch", ">= 100.0 %", "97.2 % (206/212)"),
        ("stack:cortex-m4f", "<= 512 bytes", "96 bytes"),
        ("bundle", "manifest verified", "manifest verified"),
    ];
    let requirements: Vec<Requirement> = ids
        .iter()
        .map(|(id, d, m)| {
            req(
                id,
                d,
                m,
                !failed.contains(id),
                &["certification.json", "verify/host.json"],
            )
        })
        .collect();
    Certification {
        schema_version: CERTIFICATION_SCHEMA_VERSION,
        generator: "timber 0.1.0".to_string(),
        verdict: Status::from_bool(failed.is_empty()),
        model: ModelInfo {
            file_name: "binary_nan.json".to_string(),
            sha256: "ab".repeat(32),
            format: "xgboost-json".to_string(),
            objective: "binary:logistic".to_string(),
            n_trees: 40,
            n_nodes: 1186,
            n_features: 12,
            n_outputs: 1,
        },
        profile: ProfileInfo {
            name: "iso26262".to_string(),
            standard: "ISO 26262-6:2018".to_string(),
            level: Some("ASIL-D".to_string()),
            sha256: "cd".repeat(32),
            origin: "builtin".to_string(),
        },
        options: GenerationOptions {
            nan_policy: "missing".to_string(),
            layout: "table".to_string(),
            numeric: "float".to_string(),
            seed: 42,
            random_rows: 1000,
        },
        requirements,
        targets: vec![TargetSummary {
            name: "host".to_string(),
            description: "host".to_string(),
            status: "pass".to_string(),
            rows_run: 1064,
            mismatches: 0,
            text: Some(1),
            rodata: Some(2),
            data: Some(3),
            bss: Some(0),
            stack_estimate: Some(96),
            stack_measured: Some(80),
            stack_budget: Some(512),
            timing: None,
        }],
        coverage: Some(CoverageSummary {
            statement: Ratio {
                covered: 1,
                total: 1,
            },
            branch: Ratio {
                covered: 206,
                total: 212,
            },
            mcdc: None,
            decisions: None,
        }),
        check: CheckSummary {
            files: 4,
            guidelines_enforced: 143,
            findings: 0,
            failing: 0,
            deviated: 0,
            coverage: None,
        },
        timestamp: None,
    }
}

fn parse(xml: &str) -> roxmltree::Document<'_> {
    match roxmltree::Document::parse(xml) {
        Ok(doc) => doc,
        Err(e) => panic!("JUnit output is not well-formed XML: {e}\n{xml}"),
    }
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> has no {name}", node.tag_name().name()))
}

fn children<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(|n| n.is_element() && n.tag_name().name() == tag)
        .collect()
}

fn properties(suite: roxmltree::Node<'_, '_>) -> Vec<(String, String)> {
    let props = children(suite, "properties");
    assert_eq!(props.len(), 1, "one <properties>");
    children(props[0], "property")
        .into_iter()
        .map(|p| (attr(p, "name").to_string(), attr(p, "value").to_string()))
        .collect()
}

fn property(suite: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    properties(suite)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

#[test]
fn counts_match_the_record() {
    for failed in [
        &[][..],
        &["verify:cortex-m4f"][..],
        &["verify:cortex-m4f", "coverage:branch", "misra"][..],
    ] {
        let cert = record(failed);
        let xml = render_junit(&cert);
        let doc = parse(&xml);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let n = cert.requirements.len().to_string();
        let f = failed.len().to_string();
        assert_eq!(attr(root, "tests"), n);
        assert_eq!(attr(root, "failures"), f);
        assert_eq!(attr(root, "errors"), "0");
        let suites = children(root, "testsuite");
        assert_eq!(suites.len(), 1);
        let suite = suites[0];
        assert_eq!(attr(suite, "name"), "iso26262 ASIL-D: binary_nan.json");
        assert_eq!(attr(suite, "tests"), n);
        assert_eq!(attr(suite, "failures"), f);
        assert_eq!(attr(suite, "errors"), "0");
        assert_eq!(attr(suite, "skipped"), "0");
        assert!(suite.attribute("timestamp").is_none());
        assert!(suite.attribute("hostname").is_none());

        let cases = children(suite, "testcase");
        assert_eq!(cases.len(), cert.requirements.len());
        for (case, r) in cases.iter().zip(&cert.requirements) {
            assert_eq!(attr(*case, "name"), format!("{}: {}", r.id, r.title));
            assert_eq!(attr(*case, "classname"), "timber.certify.iso26262");
            assert_eq!(attr(*case, "time"), "0");
            let failures = children(*case, "failure");
            if r.status == Status::Fail {
                assert_eq!(failures.len(), 1, "{}", r.id);
                let message = attr(failures[0], "message");
                assert!(message.contains(&r.demanded), "{message}");
                assert!(message.contains(&r.measured), "{message}");
                let body = failures[0].text().unwrap_or("");
                assert!(body.contains(&format!("demanded: {}", r.demanded)));
                assert!(body.contains(&format!("measured: {}", r.measured)));
                assert!(body.contains("verify/host.json"));
            } else {
                assert!(failures.is_empty(), "{}", r.id);
            }
            assert!(children(*case, "error").is_empty());
            assert!(children(*case, "skipped").is_empty());
        }
        let failed_cases = doc
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count();
        assert_eq!(failed_cases, failed.len());
        // No time attribute other than "0" anywhere.
        for node in doc.descendants().filter(|n| n.is_element()) {
            if let Some(t) = node.attribute("time") {
                assert_eq!(t, "0");
            }
        }
        assert_eq!(
            property(suite, "verdict").as_deref(),
            Some(cert.verdict.as_str())
        );
    }
}

#[test]
fn properties_name_model_and_profile() {
    let cert = record(&[]);
    let xml = render_junit(&cert);
    let doc = parse(&xml);
    let suite = children(doc.root_element(), "testsuite")[0];
    assert_eq!(property(suite, "model.sha256"), Some("ab".repeat(32)));
    assert_eq!(
        property(suite, "model.file").as_deref(),
        Some("binary_nan.json")
    );
    assert_eq!(property(suite, "profile").as_deref(), Some("iso26262"));
    assert_eq!(property(suite, "profile.level").as_deref(), Some("ASIL-D"));
    assert_eq!(property(suite, "profile.sha256"), Some("cd".repeat(32)));
    assert_eq!(property(suite, "timestamp"), None);

    let mut no_level = cert.clone();
    no_level.profile.level = None;
    no_level.timestamp = Some("2026-11-24T14:00:00Z".to_string());
    let xml = render_junit(&no_level);
    let doc = parse(&xml);
    let suite = children(doc.root_element(), "testsuite")[0];
    assert_eq!(attr(suite, "name"), "iso26262: binary_nan.json");
    assert_eq!(property(suite, "profile.level"), None);
    assert_eq!(attr(suite, "timestamp"), "2026-11-24T14:00:00Z");
    assert_eq!(
        property(suite, "timestamp").as_deref(),
        Some("2026-11-24T14:00:00Z")
    );
}

#[test]
fn hostile_strings_are_escaped() {
    let mut cert = record(&["misra"]);
    cert.model.file_name = format!("m{NASTY}.json");
    cert.profile.name = format!("p{NASTY}");
    cert.profile.level = Some(NASTY.to_string());
    cert.requirements[0].id = format!("id{NASTY}");
    cert.requirements[0].title = NASTY.to_string();
    cert.requirements[0].demanded = format!("<= 0 {NASTY}");
    cert.requirements[0].measured = format!("> 0 & {NASTY}");
    cert.requirements[0].evidence = vec![NASTY.to_string()];
    let xml = render_junit(&cert);
    assert!(!xml.contains("<script>"));
    assert!(
        !xml.contains('\u{1}'),
        "a control character XML 1.0 forbids"
    );
    let doc = parse(&xml);
    // Control characters become U+FFFD; everything else round-trips.
    let expected = NASTY.replace('\u{1}', "\u{fffd}");
    let suite = children(doc.root_element(), "testsuite")[0];
    assert_eq!(
        property(suite, "model.file"),
        Some(format!("m{expected}.json"))
    );
    assert_eq!(property(suite, "profile.level"), Some(expected.clone()));
    let case = children(suite, "testcase")[0];
    assert_eq!(attr(case, "name"), format!("id{expected}: {expected}"));
    assert_eq!(
        attr(case, "classname"),
        format!("timber.certify.p{expected}")
    );
    let failure = children(case, "failure")[0];
    assert_eq!(
        attr(failure, "message"),
        format!("id{expected}: demanded <= 0 {expected}, measured > 0 & {expected}")
    );
    let body = failure.text().unwrap_or("");
    assert!(body.contains(&format!("measured: > 0 & {expected}\n")));
    assert!(body.contains(&format!("  {expected}\n")));
}

#[test]
fn deterministic() {
    let cert = record(&["bundle"]);
    assert_eq!(render_junit(&cert), render_junit(&cert));
    assert!(render_junit(&cert).starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
}

#[test]
fn empty_profile_is_valid() {
    let mut cert = record(&[]);
    cert.requirements.clear();
    let xml = render_junit(&cert);
    let doc = parse(&xml);
    assert_eq!(attr(doc.root_element(), "tests"), "0");
    let suite = children(doc.root_element(), "testsuite")[0];
    assert!(children(suite, "testcase").is_empty());
}
