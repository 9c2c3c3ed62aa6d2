//! The audit bundle's report.html, rendered from realistic certification
//! records and opened in a real headless Chromium: no console errors, no
//! external resources, the verdict banner visible in a screenshot, every
//! string of the record escaped.
//!
//! Without Chromium (`chromium` or `chromium-browser` on PATH, or the path
//! in the `CHROMIUM` environment variable) the browser checks print a
//! notice and pass, unless the `CI` environment variable is set: then they
//! fail (`.ci/run` installs the Debian package `chromium`).

use std::fs::File;
use std::io::{BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use timber::audit::layout;
use timber::audit::record::{
    Certification, CheckSummary, CoverageSummary, GenerationOptions, ModelInfo, ProfileInfo, Ratio,
    Requirement, Status, TargetSummary, CERTIFICATION_SCHEMA_VERSION,
};
use timber::audit::report::{
    render_html, CONTENT_SECURITY_POLICY, FAIL_BANNER_RGB, PASS_BANNER_RGB,
};

// ---------------------------------------------------------------------------
// Records.

const TARGETS: [(&str, &str); 9] = [
    (
        "host",
        "The build machine itself, system C compiler (cc), run natively",
    ),
    (
        "cortex-m0",
        "Cortex-M0 (ARMv6-M, soft float) on the BBC micro:bit board",
    ),
    (
        "cortex-m0-mps2",
        "ARMv6-M code (-mcpu=cortex-m0, soft float) on the MPS2 AN385 board",
    ),
    (
        "cortex-m3",
        "Cortex-M3 (ARMv7-M, soft float) on the MPS2 AN385 board",
    ),
    (
        "cortex-m4f",
        "Cortex-M4F (ARMv7E-M, single-precision FPU, hard-float ABI) on the MPS2 AN386 board",
    ),
    (
        "cortex-m7",
        "Cortex-M7 (ARMv7E-M, double-precision FPU, hard-float ABI) on the MPS2 AN500 board",
    ),
    (
        "cortex-m33",
        "Cortex-M33 (ARMv8-M Mainline, single-precision FPU) on the MPS2 AN505 board",
    ),
    (
        "cortex-a7",
        "Cortex-A7 (ARMv7-A, VFPv4/NEON, hard-float ABI, Linux user mode) under qemu-arm",
    ),
    (
        "cortex-a53",
        "Cortex-A53 (AArch64, Linux user mode, static glibc) under qemu-aarch64",
    ),
];

fn req(
    id: &str,
    title: &str,
    demanded: &str,
    measured: &str,
    ok: bool,
    ev: &[&str],
) -> Requirement {
    Requirement {
        id: id.to_string(),
        title: title.to_string(),
        demanded: demanded.to_string(),
        measured: measured.to_string(),
        status: Status::from_bool(ok),
        evidence: ev.iter().map(|s| s.to_string()).collect(),
    }
}

fn target(i: usize, name: &str, description: &str) -> TargetSummary {
    let i = i as u64;
    let soft = name == "cortex-m0" || name == "cortex-m0-mps2" || name == "cortex-m3";
    let text = 1_480 + 96 * i + if soft { 2_300 } else { 0 };
    TargetSummary {
        name: name.to_string(),
        description: description.to_string(),
        status: "pass".to_string(),
        rows_run: 1_064,
        mismatches: 0,
        text: Some(text),
        rodata: Some(18_432),
        data: Some(if i % 3 == 0 { 0 } else { 16 }),
        bss: Some(0),
        stack_estimate: Some(96 + 8 * i),
        stack_measured: Some(80 + 4 * i),
        stack_budget: Some(512),
        timing: None,
    }
}

/// A passing ISO 26262 run over all nine targets.
fn passing() -> Certification {
    let mut requirements = vec![req(
        "misra",
        "MISRA C:2012 guidelines of the profile, no undeviated mandatory/required finding",
        "0 failing findings",
        "0 failing (0 findings, 0 deviated)",
        true,
        &[
            layout::CHECK_SARIF,
            layout::CHECK_SUMMARY,
            layout::CHECK_PLAN,
        ],
    )];
    for (name, _) in TARGETS {
        requirements.push(req(
            &format!("verify:{name}"),
            &format!("Outputs bit-identical to the reference on {name}"),
            "0 mismatches",
            "0 of 1,064 rows",
            true,
            &[&layout::verify_file(name), layout::VECTORS],
        ));
    }
    requirements.push(req(
        "coverage:statement",
        "Statement coverage of the generated C",
        ">= 100.0 %",
        "100.0 % (318/318)",
        true,
        &[layout::COVERAGE],
    ));
    requirements.push(req(
        "coverage:branch",
        "Branch coverage of the generated C",
        ">= 100.0 %",
        "100.0 % (212/212)",
        true,
        &[layout::COVERAGE],
    ));
    requirements.push(req(
        "stack:cortex-m4f",
        "Stack per call within the budget on cortex-m4f",
        "<= 512 bytes",
        "96 bytes measured, 128 estimated",
        true,
        &[layout::RESOURCES],
    ));
    requirements.push(req(
        "bundle",
        "Audit bundle complete and deterministic",
        "all files present, manifest verified",
        "21 files, manifest verified",
        true,
        &[layout::MANIFEST, layout::PROVENANCE],
    ));
    Certification {
        schema_version: CERTIFICATION_SCHEMA_VERSION,
        generator: "timber 0.1.0".to_string(),
        verdict: Status::Pass,
        model: ModelInfo {
            file_name: "binary_nan.json".to_string(),
            sha256: "9f2c4e6a1b3d5f7081a2c3e4f5061728394a5b6c7d8e9f0a1b2c3d4e5f607182".to_string(),
            format: "xgboost-json".to_string(),
            objective: "binary:logistic".to_string(),
            n_trees: 40,
            n_nodes: 1_186,
            n_features: 12,
            n_outputs: 1,
        },
        profile: ProfileInfo {
            name: "iso26262".to_string(),
            standard: "ISO 26262-6:2018".to_string(),
            level: Some("ASIL-D".to_string()),
            sha256: "0d1e2f30415263748596a7b8c9dae0f1021324354657687980a1b2c3d4e5f607".to_string(),
            origin: "builtin".to_string(),
        },
        options: GenerationOptions {
            nan_policy: "missing".to_string(),
            layout: "table".to_string(),
            numeric: "float".to_string(),
            seed: 42,
            random_rows: 1_000,
        },
        requirements,
        targets: TARGETS
            .iter()
            .enumerate()
            .map(|(i, (n, d))| target(i, n, d))
            .collect(),
        coverage: Some(CoverageSummary {
            statement: Ratio {
                covered: 318,
                total: 318,
            },
            branch: Ratio {
                covered: 212,
                total: 212,
            },
            mcdc: Some(Ratio {
                covered: 96,
                total: 96,
            }),
            decisions: Some(vec![
                timber::coverage::DecisionCount {
                    conditions: 1,
                    decisions: 106,
                    covered: 106,
                },
                timber::coverage::DecisionCount {
                    conditions: 2,
                    decisions: 48,
                    covered: 48,
                },
            ]),
        }),
        check: CheckSummary {
            files: 4,
            guidelines_enforced: 143,
            findings: 0,
            failing: 0,
            deviated: 0,
            coverage: Some(timber::audit::record::GuidelineCoverage {
                record: "timber's shipped record".to_string(),
                required: 219,
                tool: 119,
                construction: 6,
                reviewed: 94,
                deviated: 0,
                not_covered: Vec::new(),
            }),
        },
        timestamp: None,
    }
}

/// Hostile strings in every free-text field the report shows.
const SCRIPT: &str = "<script>alert(1)</script>";

/// A failing run: a target mismatch, a stack budget exceeded, a failing
/// rule finding, and markup in every string.
fn failing() -> Certification {
    let mut c = passing();
    c.verdict = Status::Fail;
    c.model.file_name = format!("fraud{SCRIPT}&co.json");
    c.model.objective = "binary:logistic & <b>bold</b>".to_string();
    c.profile.origin = "custom & \"quoted\" 'single' profile.toml".to_string();
    c.generator = format!("timber 0.1.0 {SCRIPT}");
    c.timestamp = Some("2026-11-24T14:00:00Z".to_string());
    // Requirement rows: a mismatch on cortex-m7, stack over budget on m0.
    for r in &mut c.requirements {
        if r.id == "verify:cortex-m7" {
            r.status = Status::Fail;
            r.measured = "3 of 1,064 rows differ (first: row 17, output 0 ulp 2)".to_string();
        }
        if r.id == "misra" {
            r.status = Status::Fail;
            r.measured = format!("1 failing: Rule 15.5 in model.c & {SCRIPT}");
        }
    }
    if let Some(g) = &mut c.check.coverage {
        g.reviewed -= 1;
        g.not_covered.push(timber::audit::record::NotCovered {
            id: "9.1".to_string(),
            category: "mandatory".to_string(),
            why: format!("no entry in the review record {SCRIPT}"),
        });
    }
    c.requirements.push(req(
        "stack:cortex-m0",
        &format!("Stack per call within the budget on cortex-m0 {SCRIPT}"),
        "<= 64 bytes",
        "80 bytes measured > 64",
        false,
        &[
            layout::RESOURCES,
            "javascript:alert(1)",
            "http://example.invalid/evidence.json",
            "../outside.json",
            "odd name & more.json",
        ],
    ));
    for t in &mut c.targets {
        if t.name == "cortex-m7" {
            t.status = "mismatch".to_string();
            t.mismatches = 3;
        }
        if t.name == "cortex-m0" {
            t.stack_budget = Some(64);
            t.description = format!("micro:bit & friends {SCRIPT}");
        }
        if t.name == "cortex-a53" {
            // A target that did not build has no figures.
            t.status = "build_failed".to_string();
            t.rows_run = 0;
            t.text = None;
            t.rodata = None;
            t.data = None;
            t.bss = None;
            t.stack_estimate = None;
            t.stack_measured = None;
        }
    }
    c.coverage = Some(CoverageSummary {
        statement: Ratio {
            covered: 310,
            total: 318,
        },
        branch: Ratio {
            covered: 201,
            total: 212,
        },
        mcdc: None,
        decisions: None,
    });
    c.check.findings = 3;
    c.check.failing = 1;
    c.check.deviated = 2;
    c
}

fn render(c: &Certification) -> String {
    match render_html(c) {
        Ok(html) => html,
        Err(e) => panic!("render_html: {e}"),
    }
}

// ---------------------------------------------------------------------------
// Static checks (no browser).

/// Every URL-bearing attribute and CSS `url(` / `@import` of `html` that
/// points anywhere but a relative path or `data:`.
fn external_references(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let attrs = [
        "src",
        "href",
        "xlink:href",
        "action",
        "formaction",
        "poster",
        "srcset",
        "background",
        "data",
        "cite",
        "ping",
        "manifest",
    ];
    let bytes = lower.as_bytes();
    for attr in attrs {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(attr) {
            let start = from + pos;
            from = start + attr.len();
            // An attribute name: preceded by whitespace, followed by '='.
            if start == 0 || !bytes[start - 1].is_ascii_whitespace() {
                continue;
            }
            let rest = lower[from..].trim_start();
            let Some(rest) = rest.strip_prefix('=') else {
                continue;
            };
            let rest = rest.trim_start();
            let value = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
                _ => rest
                    .split(|c: char| c.is_ascii_whitespace() || c == '>')
                    .next()
                    .unwrap_or(""),
            };
            let value = decode_entities(value);
            if !is_local(&value) {
                found.push(format!("{attr}={value}"));
            }
        }
    }
    for needle in ["url(", "@import"] {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(needle) {
            let start = from + pos + needle.len();
            from = start;
            let value = lower[start..]
                .trim_start()
                .trim_start_matches(['"', '\''])
                .split(['"', '\'', ')', ';'])
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if !is_local(&value) {
                found.push(format!("{needle}{value}"));
            }
        }
    }
    found
}

/// Decodes the character references of an attribute value.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "colon" => Some(':'),
            "sol" => Some('/'),
            _ => {
                let num = entity.strip_prefix('#');
                num.and_then(|n| match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => n.parse().ok(),
                })
                .and_then(char::from_u32)
            }
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A relative bundle path, a fragment or a `data:` URL.
fn is_local(value: &str) -> bool {
    let v = value.trim();
    if v.starts_with("data:") || v.starts_with('#') {
        return true;
    }
    if v.is_empty() || v.starts_with('/') || v.starts_with('\\') || v.contains("..") {
        return false;
    }
    // A scheme before the first '/' (http:, javascript:, file:, ...), or
    // an entity that could hide one.
    let first = v.split('/').next().unwrap_or("");
    !first.contains(':') && !first.contains('&')
}

#[test]
fn static_scan_flags_external_references() {
    // Negative controls: the scanner must catch each of these.
    for bad in [
        r#"<img src="http://example.invalid/x.png">"#,
        r#"<a href='https://example.invalid/'>x</a>"#,
        r#"<link rel=stylesheet href=//cdn.example.invalid/x.css>"#,
        r#"<a href="javascript:alert(1)">x</a>"#,
        r#"<a href="/etc/passwd">x</a>"#,
        r#"<a href="../up.json">x</a>"#,
        r#"<style>body { background: url(http://example.invalid/bg.png) }</style>"#,
        r#"<style>@import "https://example.invalid/a.css";</style>"#,
        r#"<svg><image xlink:href="http://example.invalid/i.svg"/></svg>"#,
        r#"<img srcset="https://example.invalid/a.png 2x">"#,
        r#"<a href="&#106;avascript:alert(1)">x</a>"#,
    ] {
        assert!(
            !external_references(bad).is_empty(),
            "scanner missed an external reference in {bad}"
        );
    }
    // Positive controls.
    for good in [
        r#"<a href="verify/cortex-m4f.json">x</a>"#,
        r#"<img src="data:image/png;base64,AAAA" alt="">"#,
        r##"<a href="#verdict">x</a>"##,
    ] {
        assert_eq!(external_references(good), Vec::<String>::new(), "{good}");
    }
}

#[test]
fn report_is_self_contained() {
    for c in [passing(), failing()] {
        let html = render(&c);
        let refs = external_references(&html);
        assert!(refs.is_empty(), "external references: {refs:?}");
        let csp = format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
            CONTENT_SECURITY_POLICY.replace('\'', "&#x27;")
        );
        assert!(html.contains(&csp), "CSP meta tag missing (expected {csp})");
        assert_eq!(
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        );
        let lower = html.to_ascii_lowercase();
        for tag in [
            "<script", "<link", "<iframe", "<object", "<embed", "<img", "<base",
        ] {
            assert!(!lower.contains(tag), "report contains {tag}");
        }
        // The only places a URL could hide without an attribute: none.
        assert!(!lower.contains("<meta http-equiv=\"refresh\""));
    }
}

#[test]
fn every_string_is_escaped() {
    let c = failing();
    let html = render(&c);
    assert!(!html.contains(SCRIPT), "raw <script> in the report");
    assert!(!html.contains("<b>bold</b>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert!(html.contains("fraud&lt;script&gt;"));
    assert!(html.contains("&amp;co.json"));
    assert!(html.contains("binary:logistic &amp; &lt;b&gt;bold&lt;&#x2f;b&gt;"));
    assert!(html.contains("&quot;quoted&quot;"));
    // Evidence that is not a relative bundle path is shown, never linked.
    assert!(!html.contains("href=\"javascript"));
    assert!(!html.contains("href=\"http"));
    assert!(!html.contains("href=\"..&#x2f;"));
    assert!(!html.contains("href=\"../"));
    assert!(html.contains("javascript:alert(1)</code> <span class=\"muted\">(not a bundle path)"));
    // Odd but relative names are percent-encoded.
    assert!(html.contains("href=\"odd%20name%20%26%20more.json\""));
}

#[test]
fn report_lists_requirements_targets_and_evidence() {
    for c in [passing(), failing()] {
        let html = render(&c);
        assert!(html.starts_with("<!DOCTYPE html>"));
        for r in &c.requirements {
            let id = r.id.replace('<', "&lt;");
            assert!(html.contains(&format!("<code>{id}</code>")), "row {}", r.id);
        }
        for t in &c.targets {
            assert!(html.contains(&format!("href=\"verify&#x2f;{}.json\"", t.name)));
            assert!(
                html.contains(&format!("<title>{}: ", t.name)),
                "chart bar titles of {}",
                t.name
            );
        }
        assert!(html.contains("href=\"check&#x2f;report.sarif\""));
        assert!(
            html.matches("<th scope=\"col\"").count() > 10,
            "column headers"
        );
        assert!(html.matches("<th scope=\"row\"").count() >= c.requirements.len());
        assert!(html.contains("<title id=\"size-chart-t\">"));
        assert!(html.contains("<title id=\"stack-chart-t\">"));
        let word = if c.verdict == Status::Pass {
            "PASS"
        } else {
            "FAIL"
        };
        assert!(html.contains(&format!("</span>{word}</h1>")));
    }
    let fail = render(&failing());
    assert!(fail.contains("3 of 15 requirements not met"));
    assert!(fail.contains("no figures"), "target without figures");
    assert!(fail.contains("class=\"k-over\""), "stack over budget");
    assert!(fail.contains("2026-11-24T14:00:00Z"));
}

#[test]
fn report_is_deterministic_and_timeless() {
    let c = passing();
    let a = render(&c);
    let b = render(&c);
    assert_eq!(a, b);
    // No date or time unless the record carries one.
    assert!(!a.contains("<time"));
    let year = regex_like_year(&a);
    assert!(year.is_none(), "a date in the report: {year:?}");
}

/// The first `20xx-xx-xx` in `s`.
fn regex_like_year(s: &str) -> Option<String> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(10)).find_map(|i| {
        let w = &b[i..i + 10];
        let ok = w[0] == b'2'
            && w[1] == b'0'
            && w[2..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..7].iter().all(u8::is_ascii_digit)
            && w[7] == b'-'
            && w[8..10].iter().all(u8::is_ascii_digit);
        ok.then(|| String::from_utf8_lossy(w).into_owned())
    })
}

#[test]
fn inconsistent_record_is_flagged() {
    let mut c = failing();
    c.verdict = Status::Pass;
    let html = render(&c);
    assert!(html.contains("this record is defective"));
    assert!(!render(&passing()).contains("this record is defective"));
}

#[test]
fn empty_record_renders() {
    let mut c = passing();
    c.requirements.clear();
    c.targets.clear();
    c.coverage = None;
    c.profile.level = None;
    let html = render(&c);
    assert!(html.contains("The profile lists no requirements."));
    assert!(html.contains("No target reported section sizes."));
    assert!(html.contains("Coverage was not measured"));
}

// ---------------------------------------------------------------------------
// Chromium.

/// One browser at a time: the machine is shared.
static BROWSER: Mutex<()> = Mutex::new(());

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium, or None after a notice; panics under CI.
fn require_chromium() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and chromium is missing (apt-get install -y chromium)"
        );
        eprintln!("NOTICE: chromium not installed; browser checks skipped");
    }
    found
}

struct Run {
    stdout: String,
    stderr: String,
    /// Network requests the page made (from Chromium's NetLog).
    requests: Vec<String>,
}

/// Runs headless Chromium on `page` with `extra` flags, logging console
/// messages to stderr. A fresh profile directory per run.
fn run_chromium(browser: &Path, page: &Path, extra: &[String]) -> Run {
    let _guard = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let profile = tempfile::tempdir().expect("profile dir");
    let netlog = profile.path().join("netlog.json");
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!(
        "--user-data-dir={}",
        profile.path().join("p").display()
    ))
    .arg(format!("--log-net-log={}", netlog.display()))
    .args(extra)
    .arg(file_url(page))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn chromium");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        match child.try_wait().expect("wait chromium") {
            Some(_) => break,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish within 180 s on {}", page.display());
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let netlog = std::fs::read_to_string(&netlog).expect("chromium wrote no NetLog");
    Run {
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        requests: page_requests(&netlog),
    }
}

/// URLs of the network requests a `file://` page made, from a NetLog: the
/// URL request jobs whose network isolation key is the page's `file://`
/// site. (Chromium's own background requests carry other keys.)
fn page_requests(netlog: &str) -> Vec<String> {
    let log: serde_json::Value = serde_json::from_str(netlog).expect("NetLog is JSON");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("NetLog knows URL_REQUEST_START_JOB");
    let mut urls: Vec<String> = log["events"]
        .as_array()
        .expect("NetLog events")
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| {
            let p = &e["params"];
            p["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.contains("file://"))
                || p["initiator"]
                    .as_str()
                    .is_some_and(|i| i.starts_with("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect();
    urls.dedup();
    urls
}

fn file_url(p: &Path) -> String {
    let abs = std::fs::canonicalize(p).expect("canonical path");
    let mut url = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Console messages (any level: the report runs no script, so any message
/// is a defect), CSP violations and failed loads in Chromium's log.
fn console_problems(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Content Security Policy")
                || l.contains("Failed to load resource")
                || l.contains("net::ERR_")
        })
        .map(str::to_string)
        .collect()
}

/// Console problems and network requests of one load.
fn problems(run: &Run) -> Vec<String> {
    let mut p = console_problems(&run.stderr);
    p.extend(run.requests.iter().map(|u| format!("network request: {u}")));
    p
}

/// Loads `page`, takes a 1280x900 screenshot and returns its RGB pixels and
/// the console problems of that load.
fn screenshot(browser: &Path, page: &Path, png_path: &Path) -> (Image, Vec<String>) {
    let run = run_chromium(
        browser,
        page,
        &[
            format!("--screenshot={}", png_path.display()),
            "--window-size=1280,900".to_string(),
            "--hide-scrollbars".to_string(),
        ],
    );
    assert!(
        png_path.is_file(),
        "no screenshot written\n{}\n{}",
        run.stdout,
        run.stderr
    );
    (decode_png(png_path), problems(&run))
}

struct Image {
    width: usize,
    height: usize,
    rgb: Vec<[u8; 3]>,
}

fn decode_png(path: &Path) -> Image {
    let file = File::open(path).expect("open screenshot");
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Indexed => panic!("indexed png after normalisation"),
    };
    let (w, h) = (info.width as usize, info.height as usize);
    let mut rgb = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = &buf[y * info.line_size..y * info.line_size + w * channels];
        for px in row.chunks(channels) {
            rgb.push(if channels >= 3 {
                [px[0], px[1], px[2]]
            } else {
                [px[0], px[0], px[0]]
            });
        }
    }
    Image {
        width: w,
        height: h,
        rgb,
    }
}

/// Fraction of the pixels in rows `y0..y1` within +-3 per channel of `c`.
fn coverage_of(img: &Image, c: [u8; 3], y0: usize, y1: usize) -> f64 {
    let y1 = y1.min(img.height);
    let mut hit = 0usize;
    for y in y0..y1 {
        for px in &img.rgb[y * img.width..(y + 1) * img.width] {
            if px.iter().zip(c).all(|(a, b)| a.abs_diff(b) <= 3) {
                hit += 1;
            }
        }
    }
    hit as f64 / ((y1 - y0) * img.width).max(1) as f64
}

/// Negative controls: a script error, a script or image blocked by the CSP
/// must show on the console detector, an external image without a CSP on
/// the network detector; a clean page on neither. A detector that cannot
/// fail proves nothing.
#[test]
fn detectors_catch_injected_errors() {
    let Some(browser) = require_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let csp = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">"
    );
    let head = format!("<!DOCTYPE html><head>{csp}<title>x</title></head><p>x</p>");
    let image = "<img src=\"http://example.invalid/x.png\" alt=\"\">";
    // (page, console detector must fire (None: either way), network
    // detector must fire)
    let pages = [
        (
            "js-error",
            "<!DOCTYPE html><title>x</title><p>x</p><script>noSuchFunction();</script>".to_string(),
            Some(true),
            false,
        ),
        (
            "csp-blocked-image",
            format!("{head}{image}"),
            Some(true),
            false,
        ),
        (
            "csp-blocked-script",
            format!("{head}<script>document.title='y';</script>"),
            Some(true),
            false,
        ),
        (
            "unreachable-image",
            format!("<!DOCTYPE html><title>x</title><p>x</p>{image}"),
            None,
            true,
        ),
        ("clean", head.clone(), Some(false), false),
    ];
    for (name, html, console, network) in pages {
        let page = dir.path().join(format!("{name}.html"));
        std::fs::write(&page, html).expect("write page");
        let run = run_chromium(&browser, &page, &["--dump-dom".to_string()]);
        assert!(run.stdout.contains("<p>x</p>"), "{name}: page did not load");
        let messages = console_problems(&run.stderr);
        assert!(
            console.is_none_or(|flagged| flagged != messages.is_empty()),
            "{name}: console detector gave {messages:?}\n{}",
            run.stderr
        );
        assert_eq!(
            !run.requests.is_empty(),
            network,
            "{name}: network detector gave {:?}",
            run.requests
        );
        if network {
            assert_eq!(run.requests, ["http://example.invalid/x.png"]);
        }
    }
}

#[test]
fn report_loads_cleanly_and_shows_the_verdict() {
    let Some(browser) = require_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, cert, colour, other) in [
        ("pass", passing(), PASS_BANNER_RGB, FAIL_BANNER_RGB),
        ("fail", failing(), FAIL_BANNER_RGB, PASS_BANNER_RGB),
    ] {
        let bundle = dir.path().join(name);
        std::fs::create_dir_all(&bundle).expect("bundle dir");
        let page = bundle.join(layout::REPORT_HTML);
        std::fs::write(&page, render(&cert)).expect("write report");

        // The DOM as the browser built it: escaped text stays text.
        let run = run_chromium(&browser, &page, &["--dump-dom".to_string()]);
        let problems = problems(&run);
        assert!(problems.is_empty(), "{name}: console problems {problems:?}");
        let dom = run.stdout;
        assert!(
            dom.contains("id=\"verdict\""),
            "{name}: no verdict in the DOM"
        );
        assert!(
            !dom.to_ascii_lowercase().contains("<script"),
            "{name}: script element in the DOM"
        );
        if name == "fail" {
            assert!(
                dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{name}: escaped text lost"
            );
        }

        // The screenshot: the banner colour fills the top of the page.
        let png_path = dir.path().join(format!("{name}.png"));
        let (img, problems) = screenshot(&browser, &page, &png_path);
        assert!(problems.is_empty(), "{name}: console problems {problems:?}");
        assert_eq!(
            (img.width, img.height),
            (1280, 900),
            "{name}: screenshot size"
        );
        let top = coverage_of(&img, colour, 0, 160);
        let top_other = coverage_of(&img, other, 0, 300);
        let below = coverage_of(&img, colour, 400, 900);
        if let Some(keep) = std::env::var_os("TIMBER_KEEP_SCREENSHOTS") {
            let _ = std::fs::copy(
                &png_path,
                Path::new(&keep).join(format!("report-{name}.png")),
            );
            let _ = std::fs::copy(&page, Path::new(&keep).join(format!("report-{name}.html")));
        }
        assert!(
            top > 0.6,
            "{name}: verdict colour {colour:?} covers {:.1} % of the top 160 rows",
            top * 100.0
        );
        assert!(
            top_other < 0.001,
            "{name}: the other verdict colour {other:?} covers {:.2} % of the top",
            top_other * 100.0
        );
        assert!(
            below < 0.05,
            "{name}: verdict colour spills into the page body ({:.1} %)",
            below * 100.0
        );
    }
}

/// The report's own CSP is in force: loads injected into the rendered page
/// are blocked (a console error) and never reach the network.
#[test]
fn report_csp_blocks_injected_loads() {
    let Some(browser) = require_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let html = render(&passing());
    let injected = html.replacen(
        "</main>",
        "<img src=\"http://example.invalid/x.png\" alt=\"\"><script>document.title = 'ran';</script></main>",
        1,
    );
    assert_ne!(html, injected, "injection point not found");
    let page = dir.path().join(layout::REPORT_HTML);
    std::fs::write(&page, injected).expect("write report");
    let run = run_chromium(&browser, &page, &["--dump-dom".to_string()]);
    assert!(
        run.requests.is_empty(),
        "network requests {:?}",
        run.requests
    );
    let messages = console_problems(&run.stderr);
    assert!(
        messages.iter().any(|m| m.contains("img-src")),
        "blocked image not reported: {messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("script-src") || m.contains("default-src")),
        "blocked script not reported: {messages:?}"
    );
    assert!(
        !run.stdout.contains("<title>ran</title>"),
        "the injected script ran"
    );
}

/// Certify binary_nan.json with `profile` (and `level`) into `out`; None
/// after a notice when a toolchain is missing (a failure under CI).
fn certify_real(profile: &str, level: Option<&str>, out: &Path) -> Option<Certification> {
    let guidelines = timber::check::catalogue::guidelines().expect("rule catalogue");
    let targets = timber::verify::targets::names();
    let prof = timber::profile::load(profile, &guidelines, &targets)
        .expect("profile")
        .resolve(level)
        .expect("level");
    let opts = timber::certify::CertifyOptions {
        layout: timber::codegen::c99::Layout::Table,
        numeric: timber::codegen::c99::Numeric::Float,
        model: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/binary_nan.json"),
        format: timber::frontend::FormatChoice::Auto,
        profile: prof,
        deviations: Vec::new(),
        recategorizations: Vec::new(),
        extra_targets: Vec::new(),
        qualification: None,
        review: None,
        oracle: None,
        seed: 0x7469_6d62_6572,
        random_rows: 64,
        out: out.to_path_buf(),
        force: false,
        input_files: Vec::new(),
        verify: timber::verify::VerifyOptions {
            jobs: Some(2),
            ..Default::default()
        },
        stage: None,
    };
    match timber::certify::certify(&opts) {
        Ok(o) => Some(o.certification),
        Err(e @ timber::certify::CertifyError::ToolMissing(_)) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set and a toolchain is missing: {e}"
            );
            eprintln!("NOTICE: {e}; real-bundle report check skipped");
            None
        }
        Err(e) => panic!("certify under {profile}: {e}"),
    }
}

/// The report.html of REAL bundles (`timber::certify::certify` on a
/// fixture under iso26262 ASIL-A: host and cortex-m4f, and under misra:
/// host only) loads without a console message or a network request, and
/// its banner shows the bundle's own verdict colour.
#[test]
fn real_bundle_report_loads_cleanly_and_shows_its_verdict() {
    let Some(browser) = require_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut verdicts = Vec::new();
    for (profile, level) in [("iso26262", Some("ASIL-A")), ("misra", None)] {
        let name = format!("{profile}-{}", level.unwrap_or("default"));
        let bundle = dir.path().join(&name);
        let Some(returned) = certify_real(profile, level, &bundle) else {
            return;
        };
        // The verdict as the bundle records it (not as certify returned it).
        let record: Certification = serde_json::from_str(
            &std::fs::read_to_string(bundle.join(layout::CERTIFICATION))
                .expect("certification.json"),
        )
        .expect("certification.json parses");
        assert_eq!(record, returned, "{name}");
        verdicts.push(record.verdict);
        let (colour, other) = match record.verdict {
            Status::Pass => (PASS_BANNER_RGB, FAIL_BANNER_RGB),
            Status::Fail => (FAIL_BANNER_RGB, PASS_BANNER_RGB),
        };
        let page = bundle.join(layout::REPORT_HTML);
        assert_eq!(
            std::fs::read_to_string(&page).expect("report.html"),
            render(&record),
            "{name}: report.html is not the rendering of certification.json"
        );

        let run = run_chromium(&browser, &page, &["--dump-dom".to_string()]);
        let found = problems(&run);
        assert!(found.is_empty(), "{name}: console problems {found:?}");
        assert!(
            run.stdout.contains("id=\"verdict\""),
            "{name}: no verdict in the DOM"
        );
        for r in &record.requirements {
            assert!(
                run.stdout.contains(&r.id),
                "{name}: requirement {} not in the DOM",
                r.id
            );
        }

        let png_path = dir.path().join(format!("{name}.png"));
        let (img, found) = screenshot(&browser, &page, &png_path);
        assert!(found.is_empty(), "{name}: console problems {found:?}");
        assert_eq!(
            (img.width, img.height),
            (1280, 900),
            "{name}: screenshot size"
        );
        if let Some(keep) = std::env::var_os("TIMBER_KEEP_SCREENSHOTS") {
            let _ = std::fs::copy(
                &png_path,
                Path::new(&keep).join(format!("report-real-{name}.png")),
            );
        }
        let top = coverage_of(&img, colour, 0, 160);
        let top_other = coverage_of(&img, other, 0, 300);
        assert!(
            top > 0.6,
            "{name}: verdict {:?}: colour {colour:?} covers {:.1} % of the top 160 rows",
            record.verdict,
            top * 100.0
        );
        assert!(
            top_other < 0.001,
            "{name}: the other verdict colour {other:?} covers {:.2} % of the top",
            top_other * 100.0
        );
    }
    if verdicts.windows(2).all(|w| w[0] == w[1]) {
        eprintln!(
            "NOTICE: every real bundle has verdict {verdicts:?}; only one banner colour was seen"
        );
    }
}
