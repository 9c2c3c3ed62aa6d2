//! Cross-check of `timber check` against cppcheck's MISRA addon.
//!
//! cppcheck (with `--addon=misra`) runs on every non-compliant fixture. For
//! each rule both tools implement, the sets of (fixture, line, rule) must
//! agree, apart from the documented known differences below. Without
//! cppcheck the test prints a notice and passes, unless the `CI` environment
//! variable is set: then a missing cppcheck is a failure.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use timber::check::{self, rules};

/// Rules the cppcheck 2.10 MISRA addon implements (its `misra_R_N` checks).
const CPPCHECK_RULES: &[&str] = &[
    "1.4", "2.2", "2.3", "2.4", "2.5", "2.7", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2", "5.4",
    "5.5", "5.6", "5.7", "5.8", "5.9", "6.1", "6.2", "7.1", "7.2", "7.3", "7.4", "8.1", "8.2",
    "8.4", "8.5", "8.6", "8.7", "8.8", "8.9", "8.10", "8.11", "8.12", "8.14", "9.2", "9.3", "9.4",
    "9.5", "10.1", "10.2", "10.3", "10.4", "10.5", "10.6", "10.7", "10.8", "11.1", "11.2", "11.3",
    "11.4", "11.5", "11.6", "11.7", "11.8", "11.9", "12.1", "12.2", "12.3", "12.4", "13.1", "13.3",
    "13.4", "13.5", "13.6", "14.1", "14.2", "14.4", "15.1", "15.2", "15.3", "15.4", "15.5", "15.6",
    "15.7", "16.1", "16.2", "16.3", "16.4", "16.5", "16.6", "16.7", "17.1", "17.2", "17.3", "17.6",
    "17.7", "17.8", "18.4", "18.5", "18.7", "18.8", "19.2", "20.1", "20.2", "20.3", "20.4", "20.5",
    "20.7", "20.8", "20.9", "20.10", "20.11", "20.12", "20.13", "20.14", "21.1", "21.2", "21.3",
    "21.4", "21.5", "21.6", "21.7", "21.8", "21.9", "21.10", "21.11", "21.12", "21.14", "21.15",
    "21.16", "21.19", "21.20", "21.21", "22.5", "22.7", "22.8", "22.9", "22.10",
];

/// Rules both tools implement that the cross-check cannot compare, and why.
const NOT_COMPARED: &[(&str, &str)] = &[(
    "8.4",
    "timber runs 8.4 only when headers are among the checked files; the cross-check passes each .c alone, where cppcheck flags every external definition",
)];

/// Known differences: (fixture directory, line, rule, which tool reports it, why).
const KNOWN: &[(&str, usize, &str, &str, &str)] = &[
    (
        "13.4",
        8,
        "13.4",
        "timber",
        "cppcheck does not flag the inner assignment of a chain `b = c = v`",
    ),
    (
        "15.4",
        11,
        "15.4",
        "timber",
        "timber reports the second exit; cppcheck reports the loop",
    ),
    (
        "15.4",
        6,
        "15.4",
        "cppcheck",
        "cppcheck reports the loop statement instead of the extra break",
    ),
    (
        "15.6",
        14,
        "15.6",
        "timber",
        "cppcheck 2.10 does not check `for` bodies",
    ),
    (
        "15.6",
        16,
        "15.6",
        "timber",
        "timber reports `do`; cppcheck reports its `while` line",
    ),
    (
        "15.6",
        18,
        "15.6",
        "cppcheck",
        "cppcheck reports a do-while at its `while` line",
    ),
    (
        "15.7",
        8,
        "15.7",
        "timber",
        "timber reports the last `else if`; cppcheck its closing brace",
    ),
    (
        "15.7",
        10,
        "15.7",
        "cppcheck",
        "cppcheck reports the closing brace of the last `else if`",
    ),
    (
        "16.3",
        8,
        "16.3",
        "timber",
        "timber reports the clause's first label; cppcheck the next label",
    ),
    (
        "16.3",
        13,
        "16.3",
        "timber",
        "timber reports the clause's first label; cppcheck the switch end",
    ),
    (
        "16.3",
        10,
        "16.3",
        "cppcheck",
        "cppcheck reports the label after a fall-through",
    ),
    (
        "16.3",
        15,
        "16.3",
        "cppcheck",
        "cppcheck reports the closing brace after the last clause",
    ),
    (
        "16.3",
        7,
        "16.6",
        "cppcheck",
        "cppcheck merges a fall-through clause with the next one when counting clauses",
    ),
    (
        "17.1",
        1,
        "17.1",
        "timber",
        "timber also flags #include <stdarg.h>; cppcheck only the va_ uses",
    ),
    (
        "21.2",
        4,
        "21.2",
        "timber",
        "cppcheck 2.10 checks library names only, not `_Upper` names",
    ),
    (
        "21.10",
        8,
        "21.10",
        "timber",
        "timber flags uses of time.h functions too; cppcheck only the include",
    ),
    (
        "21.4",
        8,
        "21.4",
        "timber",
        "timber flags uses of setjmp/longjmp too; cppcheck only the include",
    ),
    (
        "21.5",
        8,
        "21.5",
        "timber",
        "timber flags uses of signal/raise too; cppcheck only the include",
    ),
    (
        "21.6",
        8,
        "21.6",
        "timber",
        "timber flags uses of stdio functions too; cppcheck only the include",
    ),
    (
        "21.3",
        4,
        "21.3",
        "timber",
        "timber flags declarations of the banned functions; cppcheck only calls",
    ),
    (
        "21.3",
        5,
        "21.3",
        "timber",
        "timber flags declarations of the banned functions; cppcheck only calls",
    ),
    (
        "D4.12",
        5,
        "21.3",
        "timber",
        "timber flags declarations of the banned functions; cppcheck only calls",
    ),
    (
        "21.7",
        4,
        "21.7",
        "timber",
        "timber flags declarations of the banned functions; cppcheck only calls",
    ),
    (
        "21.8",
        4,
        "21.8",
        "timber",
        "timber flags declarations of the banned functions; cppcheck only calls",
    ),
    (
        "21.8",
        5,
        "21.8",
        "timber",
        "timber flags declarations of the banned functions; cppcheck only calls",
    ),
    (
        "21.9",
        4,
        "21.9",
        "timber",
        "timber flags declarations of the banned functions; cppcheck only calls",
    ),
    (
        "21.21",
        4,
        "21.21",
        "timber",
        "timber flags declarations of the banned functions; cppcheck only calls",
    ),
    (
        "3.2",
        5,
        "3.2",
        "timber",
        "timber reports the spliced (swallowed) line",
    ),
    (
        "3.2",
        4,
        "3.2",
        "cppcheck",
        "cppcheck reports the comment line ending in a backslash",
    ),
    (
        "3.2",
        5,
        "3.1",
        "timber",
        "the spliced line is comment text holding `/*`; cppcheck does not model the splice",
    ),
    (
        "7.2",
        5,
        "7.2",
        "timber",
        "0xFFFFFFFFL is unsigned long where long is 32 bits; cppcheck assumes a 64-bit long",
    ),
    (
        "7.1",
        4,
        "7.1",
        "timber",
        "cppcheck 2.10 does not report the suffixed octal constant 010U",
    ),
    (
        "8.10",
        4,
        "8.10",
        "timber",
        "cppcheck 2.10 does not report this extern inline definition",
    ),
    (
        "8.14",
        4,
        "8.14",
        "timber",
        "cppcheck 2.10 does not report restrict on a parameter here",
    ),
    (
        "15.2",
        9,
        "15.2",
        "timber",
        "cppcheck 2.10 does not report this backward goto",
    ),
    (
        "15.3",
        7,
        "15.3",
        "timber",
        "cppcheck 2.10 does not report this goto into a loop body",
    ),
    (
        "17.6",
        5,
        "17.6",
        "timber",
        "cppcheck 2.10 does not report `[static 4]` in a parameter",
    ),
    (
        "18.5",
        4,
        "18.5",
        "timber",
        "cppcheck 2.10 does not report a three-level pointer parameter",
    ),
    ("16.2", 8, "16.3", "timber", "a clause whose block ends in a nested label: timber sees no final break, cppcheck skips it"),
    ("8.8", 6, "8.8", "timber", "cppcheck 2.10 accepts a definition without static after a static declaration"),
    ("1.4", 1, "1.4", "timber", "cppcheck 2.10 with --std=c99 does not flag C11 headers such as stdalign.h"),
    ("1.4", 5, "1.4", "timber", "cppcheck 2.10 with --std=c99 does not flag _Static_assert"),
    ("9.3", 4, "9.3", "timber", "cppcheck 2.10 does not report a short initializer of a const file-scope array"),
    ("10.1", 8, "10.1", "timber", "cppcheck 2.10 does not flag an unsigned operand of &&"),
    ("10.1", 9, "10.1", "timber", "cppcheck 2.10 does not flag a Boolean operand of +"),
    ("10.1", 12, "10.1", "timber", "cppcheck 2.10 does not flag unary minus on an unsigned variable"),
    ("20.13", 4, "20.13", "timber", "cppcheck 2.10 accepts #warning (a common extension)"),
    ("5.5", 6, "5.5", "timber", "cppcheck 2.10 does not compare a function prototype with object-like macro names"),
    ("5.3", 4, "8.9", "timber", "timber matches uses by name, so the hiding local counts as a use of the file-scope object"),
    ("14.2", 11, "14.2", "timber", "cppcheck 2.10 does not report the counter modified in the loop body"),
    ("14.2", 13, "14.2", "timber", "cppcheck 2.10 does not report an assignment in the second clause as 14.2"),
    ("15.6", 14, "14.2", "cppcheck", "a for loop without any counter: timber checks only the syntactic subset with a counter"),
    ("20.11", 1, "20.10", "timber", "cppcheck 2.10 reports nothing for this #a ## x macro"),
    ("20.11", 1, "20.11", "timber", "cppcheck 2.10 reports nothing for this #a ## x macro"),
    ("20.3", 1, "20.3", "timber", "cppcheck 2.10 does not report #include of an undefined macro"),
    ("20.8", 2, "20.8", "timber", "cppcheck 2.10 does not evaluate a macro condition to 2"),
    ("12.1", 2, "2.3", "cppcheck", "cppcheck 2.10 does not see uses of a typedef named `bool`"),
    ("3.2", 1, "2.3", "timber", "cppcheck 2.10 does not report this unused typedef"),
    ("2.4", 3, "2.4", "timber", "cppcheck 2.10 does not report the unused tag of a typedef'd struct"),
    ("19.2", 4, "2.4", "timber", "cppcheck 2.10 does not report this unused union tag"),
    ("8.12", 4, "2.4", "timber", "cppcheck 2.10 does not report this unused enum tag"),
    ("20.10", 4, "2.5", "timber", "cppcheck 2.10 does not report this unused function-like macro"),
    ("20.11", 1, "2.5", "timber", "cppcheck 2.10 does not report this unused function-like macro"),
    ("20.4", 4, "2.5", "timber", "cppcheck 2.10 does not report an unused macro named after a keyword"),
    ("20.7", 4, "2.5", "timber", "cppcheck 2.10 does not report this unused function-like macro"),
    ("20.8", 3, "2.5", "timber", "cppcheck 2.10 does not report an unused macro defined under #if"),
    ("21.1", 4, "2.5", "timber", "cppcheck 2.10 does not report unused macros with reserved names"),
    ("21.1", 5, "2.5", "timber", "cppcheck 2.10 does not report unused macros with reserved names"),
    ("21.1", 6, "2.5", "timber", "cppcheck 2.10 does not report unused macros with reserved names"),
    ("10.1", 22, "10.1", "timber", "cppcheck 2.10 does not resolve the typedef chain offset_t -> level_t -> int32_t to a signed operand of &"),
    ("10.1", 23, "10.1", "timber", "cppcheck 2.10 does not flag an unsigned operand of ||"),
    ("10.2", 8, "10.2", "timber", "cppcheck 2.10 does not flag the sum of two character operands"),
    ("10.2", 8, "10.3", "timber", "cppcheck 2.10 does not flag the sum of two characters (promoted to int) stored in a character object"),
    ("10.2", 9, "10.2", "timber", "cppcheck 2.10 does not flag an integer minus a character (it reports 10.4 there)"),
    ("10.2", 10, "10.2", "timber", "cppcheck 2.10 does not flag a character plus a floating operand under 10.2 (it reports 10.4 there)"),
    ("10.2", 10, "10.3", "timber", "cppcheck 2.10 does not flag a floating sum stored in a character object"),
    ("10.2", 12, "10.2", "timber", "cppcheck 2.10 does not check compound assignments with character operands"),
    ("10.3", 25, "10.3", "timber", "cppcheck 2.10 does not flag a double constant stored in a float object declared through a typedef chain"),
    ("10.3", 30, "10.3", "timber", "cppcheck 2.10 does not check a returned value against the function's narrower result type"),
    ("10.4", 7, "10.8", "timber", "cppcheck 2.10 does not type a composite of mixed categories (unsigned after the usual conversions) for 10.8"),
    ("10.5", 13, "10.5", "timber", "cppcheck 2.10 does not flag a signed value cast to an enumeration declared by typedef"),
    ("10.5", 14, "10.5", "timber", "cppcheck 2.10 does not flag a character cast to a floating typedef"),
    ("10.5", 15, "10.5", "timber", "cppcheck 2.10 does not flag a floating value cast to a character typedef"),
    ("10.6", 16, "10.6", "timber", "cppcheck 2.10 does not check a returned composite expression against the function's wider result type"),
    ("10.7", 11, "10.7", "timber", "cppcheck 2.10 does not apply 10.7 to floating operands"),
    ("10.7", 12, "10.7", "timber", "cppcheck 2.10 does not apply 10.7 to relational operators"),
    ("10.8", 20, "10.8", "timber", "cppcheck 2.10 does not type `kf + 0.5f` with kf of the typedef'd floating type timber_float32_t (the generator's own pattern)"),
    ("12.1", 11, "10.4", "timber", "cppcheck 2.10 does not compare an unsigned operand with a Boolean one (a comparison's result) under 10.4"),
    ("10.3", 8, "10.3", "timber", "cppcheck 2.10 does not report a signed value assigned to an unsigned object"),
    ("10.3", 10, "10.3", "timber", "cppcheck 2.10 does not report an unsigned value assigned to a signed object"),
    ("10.4", 12, "10.4", "timber", "compound assignment mixing categories: timber reports the operands (10.4), cppcheck the assignment (10.3)"),
    ("10.4", 12, "10.3", "cppcheck", "compound assignment mixing categories: timber reports the operands (10.4), cppcheck the assignment (10.3)"),
    ("2.2", 7, "2.2", "timber", "cppcheck 2.10 does not report an expression statement without effect"),
    ("2.2", 8, "2.2", "timber", "cppcheck 2.10 does not report an expression statement without effect"),
    ("2.2", 9, "2.2", "timber", "cppcheck 2.10 does not report an expression statement without effect"),
    ("5.1", 3, "5.1", "timber", "cppcheck 2.10 compares external identifiers only across files (whole-program mode); the cross-check runs one file at a time"),
    ("5.3", 8, "5.9", "timber", "cppcheck 2.10 checks 5.6, 5.7 and 5.9 only across files (whole-program mode); the cross-check runs one file at a time"),
    ("5.6", 2, "5.6", "timber", "cppcheck 2.10 checks 5.6, 5.7 and 5.9 only across files (whole-program mode); the cross-check runs one file at a time"),
    ("5.6", 3, "5.6", "timber", "cppcheck 2.10 checks 5.6, 5.7 and 5.9 only across files (whole-program mode); the cross-check runs one file at a time"),
    ("5.6", 5, "5.7", "timber", "cppcheck 2.10 checks 5.6, 5.7 and 5.9 only across files (whole-program mode); the cross-check runs one file at a time"),
    ("5.7", 2, "5.7", "timber", "cppcheck 2.10 checks 5.6, 5.7 and 5.9 only across files (whole-program mode); the cross-check runs one file at a time"),
    ("5.7", 5, "5.7", "timber", "cppcheck 2.10 checks 5.6, 5.7 and 5.9 only across files (whole-program mode); the cross-check runs one file at a time"),
    ("5.7", 8, "5.6", "timber", "cppcheck 2.10 checks 5.6, 5.7 and 5.9 only across files (whole-program mode); the cross-check runs one file at a time"),
    ("5.9", 19, "5.9", "timber", "cppcheck 2.10 checks 5.6, 5.7 and 5.9 only across files (whole-program mode); the cross-check runs one file at a time"),
    ("5.6", 2, "2.3", "cppcheck", "a parameter named like the typedef: timber counts the name as used, cppcheck does not"),
    ("5.6", 3, "2.3", "timber", "a tag named like the typedef: cppcheck counts `struct speed_t` as a use of the typedef"),
    ("5.6", 5, "2.4", "cppcheck", "a tag named like a typedef: cppcheck does not count `struct speed_t` as a use of the tag"),
    ("5.8", 3, "5.8", "cppcheck", "cppcheck also reports the definition of the external object; timber reports only the reuse"),
    ("5.8", 6, "5.8", "cppcheck", "cppcheck also reports the definition of the external function; timber reports only the reuse"),
    ("9.4", 12, "9.4", "timber", "cppcheck 2.10 does not match positional values with index designators"),
    ("9.4", 12, "9.3", "cppcheck", "cppcheck counts a list with designators as a partial initializer; timber's 9.3 skips lists with designators"),
    ("12.2", 7, "12.2", "timber", "cppcheck 2.10 measures a uint8_t left operand after integer promotion (it reports 10.6 there)"),
    ("12.2", 11, "12.2", "timber", "cppcheck 2.10 does not check compound shift assignments"),
    ("2.1", 20, "16.3", "cppcheck", "cppcheck reports the label after a fall-through"),
    ("2.1", 7, "15.5", "timber", "cppcheck 2.10 does not report a return followed by dead code as an early exit"),
];

type Key = (String, usize, String);

fn fixtures() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("noncompliant.c").is_file())
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().to_string();
            (name, p.join("noncompliant.c"))
        })
        .collect();
    v.sort();
    v
}

fn cppcheck_available() -> bool {
    Command::new("cppcheck")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn agrees_with_cppcheck_misra_addon() {
    if !cppcheck_available() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "cppcheck is required in CI for the MISRA cross-check (apt-get install cppcheck)"
            );
        }
        eprintln!("notice: cppcheck not found; skipping the MISRA cross-check");
        return;
    }
    let ours: BTreeSet<&str> = rules::all().iter().map(|r| r.id()).collect();
    let common: BTreeSet<&str> = CPPCHECK_RULES
        .iter()
        .copied()
        .filter(|r| ours.contains(r))
        .filter(|r| !NOT_COMPARED.iter().any(|(n, _)| n == r))
        .collect();
    let build = tempfile::tempdir().expect("tempdir");
    let fx = fixtures();
    // One run per file (a multi-file run also reports whole-program rules
    // across fixtures), a few at a time.
    let run_one = |name: &String, path: &PathBuf| -> (Vec<Key>, String) {
        // A build directory of its own per run: all fixtures share one file name.
        let build_dir = build.path().join(name);
        std::fs::create_dir_all(&build_dir).expect("build dir");
        let out = Command::new("cppcheck")
            .args(["--addon=misra", "--std=c99", "--quiet"])
            .arg(format!("--cppcheck-build-dir={}", build_dir.display()))
            .arg(path)
            .output()
            .expect("run cppcheck");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let prefix = format!("{}:", path.display());
        let mut keys = Vec::new();
        for line in stderr.lines() {
            let Some(start) = line.find("[misra-c2012-") else {
                continue;
            };
            let rule = line[start + "[misra-c2012-".len()..]
                .trim_end_matches(']')
                .to_string();
            if !common.contains(rule.as_str()) {
                continue;
            }
            let Some(rest) = line.strip_prefix(&prefix) else {
                continue;
            };
            let Some(lineno) = rest.split(':').next().and_then(|n| n.parse::<usize>().ok()) else {
                continue;
            };
            keys.push((name.clone(), lineno, rule));
        }
        (keys, stderr)
    };
    let mut theirs: BTreeSet<Key> = BTreeSet::new();
    let mut all_stderr = String::new();
    let chunk = fx.len().div_ceil(4).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = fx
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|(n, p)| run_one(n, p)).collect::<Vec<_>>())
            })
            .collect();
        for h in handles {
            for (keys, stderr) in h.join().expect("cppcheck thread") {
                theirs.extend(keys);
                all_stderr.push_str(&stderr);
            }
        }
    });

    let mut mine: BTreeSet<Key> = BTreeSet::new();
    for (name, path) in &fx {
        let report = check::check_files(std::slice::from_ref(path), &check::Config::default())
            .expect("check");
        for f in report.findings {
            if common.contains(f.rule.as_str()) {
                mine.insert((name.clone(), f.line, f.rule));
            }
        }
    }

    let known = |k: &Key, who: &str| {
        KNOWN
            .iter()
            .any(|(fx, line, rule, w, _)| *fx == k.0 && *line == k.1 && *rule == k.2 && *w == who)
    };
    let only_mine: Vec<&Key> = mine
        .difference(&theirs)
        .filter(|k| !known(k, "timber"))
        .collect();
    let only_theirs: Vec<&Key> = theirs
        .difference(&mine)
        .filter(|k| !known(k, "cppcheck"))
        .collect();
    let agreed = mine.intersection(&theirs).count();
    println!(
        "cppcheck cross-check: {} rules in common, {agreed} findings agreed, {} known differences",
        common.len(),
        KNOWN.len()
    );
    for (fx, line, rule, who, why) in KNOWN {
        let key = (fx.to_string(), *line, rule.to_string());
        let seen = if *who == "timber" {
            mine.contains(&key) && !theirs.contains(&key)
        } else {
            theirs.contains(&key) && !mine.contains(&key)
        };
        if !seen {
            println!(
                "note: known difference no longer observed: {fx}:{line} {rule} ({who}: {why})"
            );
        }
    }
    assert!(
        agreed > 50,
        "too few agreed findings ({agreed}); is the addon working?\n{all_stderr}"
    );
    assert!(
        only_mine.is_empty() && only_theirs.is_empty(),
        "undocumented differences\nonly timber: {only_mine:?}\nonly cppcheck: {only_theirs:?}"
    );
}
