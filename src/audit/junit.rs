//! The certification record as a JUnit XML report, for the test views of
//! CI systems (GitLab merge requests, GitHub test-reporter actions).
//!
//! One `<testsuite>` named after the profile and the model, one
//! `<testcase>` per requirement of the profile (in the profile's order), a
//! `<failure>` with demanded vs measured on each requirement not met.
//! Deterministic: no durations (every `time` is "0"), no host names, and a
//! `timestamp` only when the record carries one.

use std::fmt::Write as _;

use super::record::{Certification, Requirement, Status};

/// Renders the JUnit XML of `cert`.
pub fn render_junit(cert: &Certification) -> String {
    let (tests, failures) = counts(cert);
    let classname = format!("timber.certify.{}", cert.profile.name);

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"0\">",
        attr(&format!("timber certify {}", cert.profile.name))
    );
    write_suite(&mut out, cert, &classname);
    out.push_str("</testsuites>\n");
    out
}

/// One `<testsuite>` of `cert`: its properties and a test case per
/// requirement.
fn write_suite(out: &mut String, cert: &Certification, classname: &str) {
    let (tests, failures) = counts(cert);
    let suite = suite_name(cert);
    let _ = write!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"0\"",
        attr(&suite)
    );
    if let Some(ts) = &cert.timestamp {
        let _ = write!(out, " timestamp=\"{}\"", attr(ts));
    }
    out.push_str(">\n");

    out.push_str("    <properties>\n");
    let mut props: Vec<(&str, String)> = vec![
        ("verdict", cert.verdict.as_str().to_string()),
        ("generator", cert.generator.clone()),
        ("model.file", cert.model.file_name.clone()),
        ("model.sha256", cert.model.sha256.clone()),
        ("model.format", cert.model.format.clone()),
        ("profile", cert.profile.name.clone()),
        ("profile.standard", cert.profile.standard.clone()),
    ];
    if let Some(level) = &cert.profile.level {
        props.push(("profile.level", level.clone()));
    }
    props.push(("profile.sha256", cert.profile.sha256.clone()));
    props.push(("profile.origin", cert.profile.origin.clone()));
    if let Some(ts) = &cert.timestamp {
        props.push(("timestamp", ts.clone()));
    }
    for (name, value) in props {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            attr(name),
            attr(&value)
        );
    }
    out.push_str("    </properties>\n");

    for r in &cert.requirements {
        testcase(out, classname, r);
    }
    out.push_str("  </testsuite>\n");
}

/// One JUnit file for a fleet (`timber certify --fleet`): a test suite per
/// model with a test case per requirement; a model that could not be
/// certified is a suite with one `certify` test case in error.
pub fn render_junit_fleet(runs: &[(String, Result<&Certification, String>)]) -> String {
    let tests: usize = runs
        .iter()
        .map(|(_, r)| r.as_ref().map_or(1, |c| c.requirements.len()))
        .sum();
    let failures: usize = runs
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .flat_map(|c| c.requirements.iter())
        .filter(|r| r.status == Status::Fail)
        .count();
    let errors = runs.iter().filter(|(_, r)| r.is_err()).count();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"timber certify --fleet\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"0\">"
    );
    for (name, r) in runs {
        let classname = format!("timber.fleet.{name}");
        match r {
            Ok(cert) => write_suite(&mut out, cert, &classname),
            Err(message) => {
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\">",
                    attr(name)
                );
                let _ = writeln!(
                    out,
                    "    <testcase name=\"certify\" classname=\"{}\" time=\"0\">\n      <error message=\"{}\" type=\"not-certified\">{}</error>\n    </testcase>\n  </testsuite>",
                    attr(&classname),
                    attr(message),
                    text(message)
                );
            }
        }
    }
    out.push_str("</testsuites>\n");
    out
}

/// (requirements, requirements not met) of `cert`.
fn counts(cert: &Certification) -> (usize, usize) {
    let failed = cert
        .requirements
        .iter()
        .filter(|r| r.status == Status::Fail)
        .count();
    (cert.requirements.len(), failed)
}

/// `iso26262 ASIL-D: model.json`.
fn suite_name(cert: &Certification) -> String {
    match &cert.profile.level {
        Some(level) => format!("{} {}: {}", cert.profile.name, level, cert.model.file_name),
        None => format!("{}: {}", cert.profile.name, cert.model.file_name),
    }
}

fn testcase(out: &mut String, classname: &str, r: &Requirement) {
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">",
        attr(&format!("{}: {}", r.id, r.title)),
        attr(classname)
    );
    let mut details = format!(
        "requirement: {}\ntitle: {}\ndemanded: {}\nmeasured: {}\n",
        r.id, r.title, r.demanded, r.measured
    );
    if r.evidence.is_empty() {
        details.push_str("evidence: none\n");
    } else {
        details.push_str("evidence:\n");
        for e in &r.evidence {
            let _ = writeln!(details, "  {e}");
        }
    }
    if r.status == Status::Fail {
        let _ = writeln!(
            out,
            "      <failure message=\"{}\" type=\"requirement-not-met\">{}</failure>",
            attr(&format!(
                "{}: demanded {}, measured {}",
                r.id, r.demanded, r.measured
            )),
            text(&details)
        );
    }
    let _ = writeln!(out, "      <system-out>{}</system-out>", text(&details));
    out.push_str("    </testcase>\n");
}

/// Characters XML 1.0 cannot carry at all become U+FFFD.
fn xml_char(c: char) -> Option<char> {
    match c {
        '\t' | '\n' | '\r' => Some(c),
        '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => None,
        _ => Some(c),
    }
}

/// Escapes element text.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match xml_char(c) {
            Some('&') => out.push_str("&amp;"),
            Some('<') => out.push_str("&lt;"),
            Some('>') => out.push_str("&gt;"),
            Some('\r') => out.push_str("&#13;"),
            Some(c) => out.push(c),
            None => out.push('\u{fffd}'),
        }
    }
    out
}

/// Escapes a double-quoted attribute value (whitespace kept as character
/// references, so attribute normalisation does not eat newlines).
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match xml_char(c) {
            Some('&') => out.push_str("&amp;"),
            Some('<') => out.push_str("&lt;"),
            Some('>') => out.push_str("&gt;"),
            Some('"') => out.push_str("&quot;"),
            Some('\'') => out.push_str("&apos;"),
            Some('\t') => out.push_str("&#9;"),
            Some('\n') => out.push_str("&#10;"),
            Some('\r') => out.push_str("&#13;"),
            Some(c) => out.push(c),
            None => out.push('\u{fffd}'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(attr("a<b>&\"'\n"), "a&lt;b&gt;&amp;&quot;&apos;&#10;");
        assert_eq!(text("a<b>&\u{1}\n"), "a&lt;b&gt;&amp;\u{fffd}\n");
    }
}
