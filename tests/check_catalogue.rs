//! The Guideline Enforcement Plan (rules/guidelines.toml) and the rule
//! registry must agree: every registered rule is listed as enforced by the
//! checker with the same category and paraphrase, and every guideline listed
//! as "checker" is registered.

use std::collections::BTreeSet;

use timber::check::{catalogue, rules};

#[test]
fn registry_and_catalogue_agree() {
    let guidelines = catalogue::guidelines().expect("catalogue parses");
    let registered: BTreeSet<&str> = rules::all().iter().map(|r| r.id()).collect();
    assert_eq!(
        registered.len(),
        rules::all().len(),
        "a rule id is registered twice"
    );
    let mut problems = Vec::new();
    for rule in rules::all() {
        match guidelines.iter().find(|g| g.id == rule.id()) {
            None => problems.push(format!(
                "{} is registered but not in the catalogue",
                rule.id()
            )),
            Some(g) => {
                if g.enforcement != "checker" {
                    problems.push(format!(
                        "{} is registered but listed as {}",
                        g.id, g.enforcement
                    ));
                }
                if g.category() != Some(rule.category()) {
                    problems.push(format!(
                        "{}: category differs between code and catalogue",
                        g.id
                    ));
                }
                if g.summary != rule.summary() {
                    problems.push(format!(
                        "{}: paraphrase differs between code and catalogue",
                        g.id
                    ));
                }
                let file = if let Some(d) = g.id.strip_prefix('D') {
                    format!("dir_{}", d.replace('.', "_"))
                } else {
                    format!("rule_{}", g.id.replace('.', "_"))
                };
                if g.by != file {
                    problems.push(format!("{}: `by` should name the rule file {file}", g.id));
                }
            }
        }
    }
    for g in &guidelines {
        if g.enforcement == "checker" && !registered.contains(g.id.as_str()) {
            problems.push(format!(
                "{} is listed as checker but no rule is registered",
                g.id
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn catalogue_is_complete_and_well_formed() {
    let guidelines = catalogue::guidelines().expect("catalogue parses");
    let ids: BTreeSet<&str> = guidelines.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids.len(), guidelines.len(), "duplicate guideline ids");
    // Directives 1.1-4.15 and rules 1.1-23.8 of MISRA C:2012 with Amendments 1-4.
    for id in [
        "D1.1", "D4.1", "D4.15", "1.1", "1.5", "8.17", "9.7", "12.6", "17.13", "18.10", "21.26",
        "22.20", "23.8",
    ] {
        assert!(ids.contains(id), "{id} missing from the catalogue");
    }
    assert!(
        guidelines.len() >= 215,
        "only {} guidelines listed",
        guidelines.len()
    );
    for g in &guidelines {
        assert!(
            g.category().is_some(),
            "{}: bad category {}",
            g.id,
            g.category
        );
        assert!(
            ["decidable", "undecidable", "n/a"].contains(&g.decidability.as_str()),
            "{}: bad decidability",
            g.id
        );
        assert!(
            ["unit", "system"].contains(&g.scope.as_str()),
            "{}: bad scope",
            g.id
        );
        assert!(
            ["checker", "by-construction", "review"].contains(&g.enforcement.as_str()),
            "{}: bad enforcement",
            g.id
        );
        assert!(
            !g.summary.is_empty() && !g.by.is_empty(),
            "{}: empty summary or by",
            g.id
        );
    }
}
