//! The MISRA review record timber ships (rules/review/generated-code.toml)
//! and the properties of the generated C it rests on:
//! - the record has an entry for every guideline the checker does not
//!   decide, every by-construction entry names a test, and every test it
//!   names exists (a `#[test] fn` of that name in that file);
//! - the generated C for every fixture model of every format, in every
//!   layout, both NaN policies and both comparison modes, uses none of the
//!   language features and library facilities the record declares absent
//!   (the not-applicable entries), and keeps the structural properties the
//!   compliant entries state;
//! - the record parser names file, line and field for each defect.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use timber::audit::review::{self, Verdict, SHIPPED};
use timber::check::catalogue::guidelines;
use timber::codegen::c99::{emit_c99, Layout, NanPolicy, Numeric, Options};
use timber::frontend::{load_model, FormatChoice};

#[test]
fn shipped_record_covers_every_guideline_the_checker_does_not_decide() {
    let catalogue = guidelines().expect("catalogue");
    let record = review::parse(SHIPPED, review::SHIPPED_PATH, &catalogue).expect("shipped record");
    let mut missing = Vec::new();
    for g in &catalogue {
        if g.enforcement == "checker" {
            continue;
        }
        match record.entries.get(&g.id) {
            None => missing.push(g.id.clone()),
            Some(e) => {
                if g.enforcement == "by-construction" {
                    assert_eq!(e.verdict, Verdict::Compliant, "{}", g.id);
                    assert!(!e.tests().is_empty(), "{}: names no test", g.id);
                }
                // The shipped record argues; it deviates nothing.
                assert_ne!(e.verdict, Verdict::Deviated, "{}", g.id);
            }
        }
    }
    assert!(missing.is_empty(), "no entry for {missing:?}");
    assert_eq!(
        record.entries.len(),
        catalogue
            .iter()
            .filter(|g| g.enforcement != "checker")
            .count()
    );
}

/// `#[test] fn NAME` of each tests/FILE.rs.
fn test_functions(file: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut out = BTreeSet::new();
    let mut after_attr = false;
    for line in text.lines().map(str::trim) {
        if line == "#[test]" {
            after_attr = true;
            continue;
        }
        if after_attr && !line.starts_with("#[") && !line.starts_with("//") {
            if let Some(rest) = line.strip_prefix("fn ") {
                out.insert(rest.split('(').next().unwrap_or("").to_string());
            }
            after_attr = false;
        }
    }
    out
}

#[test]
fn every_test_the_record_names_exists() {
    let catalogue = guidelines().expect("catalogue");
    let record = review::parse(SHIPPED, review::SHIPPED_PATH, &catalogue).expect("shipped record");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut named = 0;
    for e in record.entries.values() {
        for reference in &e.evidence {
            if reference.starts_with("tests/") {
                assert!(
                    review::is_test_reference(reference),
                    "{}: {reference:?} is not tests/FILE.rs::function",
                    e.guideline
                );
            }
        }
        for t in e.tests() {
            let (file, func) = t.split_once("::").expect("test reference");
            let fns = test_functions(&root.join(file));
            assert!(
                fns.contains(func),
                "{} (line {}): {file} has no #[test] fn {func}",
                e.guideline,
                e.line
            );
            named += 1;
        }
        for reference in e.evidence.iter().filter(|r| r.starts_with("templates/")) {
            let path = reference.split_whitespace().next().unwrap_or("");
            assert!(
                root.join(path).is_file(),
                "{}: {path} does not exist",
                e.guideline
            );
        }
    }
    assert!(named >= 50, "only {named} test references");
}

/// `text` with comments and string and character literals blanked (their
/// newlines kept), so tokens are only looked for in code.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            let end = text[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
            out.extend(
                text[i..end]
                    .chars()
                    .map(|c| if c == '\n' { '\n' } else { ' ' }),
            );
            i = end;
        } else if b[i..].starts_with(b"//") {
            let end = text[i..].find('\n').map_or(b.len(), |p| i + p);
            i = end;
        } else if b[i] == b'"' || b[i] == b'\'' {
            let q = b[i];
            let mut j = i + 1;
            while j < b.len() && b[j] != q {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = (j + 1).min(b.len());
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The comments of `text`.
fn comments(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(p) = rest.find("/*") {
        let body = &rest[p + 2..];
        let end = body.find("*/").unwrap_or(body.len());
        out.push(&body[..end]);
        rest = &body[end..];
    }
    out
}

fn identifiers(code: &str) -> BTreeSet<&str> {
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        .collect()
}

/// Identifiers the generated C never uses: each stands for a language
/// feature or library facility whose guidelines the record marks not
/// applicable.
const ABSENT_IDENTIFIERS: &[&str] = &[
    // keywords: unions (6.3, 19.3), atomics (9.7, 11.10, 12.6, 21.25),
    // _Generic (23.x), _Noreturn (17.9-17.11), alignment (8.15-8.17),
    // assembly (D4.2, D4.3), switch (16.x), goto, register, thread storage.
    "union",
    "_Atomic",
    "_Generic",
    "_Noreturn",
    "noreturn",
    "_Alignas",
    "alignas",
    "_Alignof",
    "_Thread_local",
    "asm",
    "__asm",
    "__asm__",
    "switch",
    "goto",
    "register",
    "volatile",
    // integer-constant macros (7.5, 7.6)
    "INT8_C",
    "INT16_C",
    "INT32_C",
    "INT64_C",
    "UINT8_C",
    "UINT16_C",
    "UINT32_C",
    "UINT64_C",
    "INTMAX_C",
    "UINTMAX_C",
    // dynamic memory, files, errno, locale, time, threads (21.x, 22.x)
    "malloc",
    "calloc",
    "realloc",
    "free",
    "FILE",
    "fopen",
    "fclose",
    "errno",
    "EOF",
    "setlocale",
    "localeconv",
    "getenv",
    "strerror",
    "asctime",
    "ctime",
    "gmtime",
    "localtime",
    "memcpy",
    "memmove",
    "memcmp",
    "memset",
    "strlen",
    "strcpy",
    "strncpy",
    "strcmp",
    "thrd_create",
    "thrd_join",
    "thrd_detach",
    "mtx_lock",
    "mtx_unlock",
    "mtx_timedlock",
    "cnd_wait",
    "tss_create",
    "tss_get",
    "setjmp",
    "longjmp",
    "signal",
    "raise",
    "exit",
    "abort",
];

/// The only headers generated files include.
const ALLOWED_INCLUDES: &[&str] = &[
    "<stddef.h>",
    "<stdint.h>",
    "<float.h>",
    "<stdbool.h>",
    "\"model.h\"",
    "\"model_data.h\"",
];

/// Return types of the functions the generated C defines: scalars and
/// pointers to const char, never a structure (18.9).
const RETURN_TYPES: &[&str] = &[
    "void",
    "int32_t",
    "uint32_t",
    "timber_float32_t",
    "timber_float64_t",
    "const char *",
    "bool",
];

fn check_files(label: &str, files: &[(String, String)]) {
    let mut externs: BTreeMap<String, String> = BTreeMap::new();
    for (name, text) in files {
        let code = code_only(text);
        let ids = identifiers(&code);
        for bad in ABSENT_IDENTIFIERS {
            assert!(!ids.contains(bad), "{label} {name}: uses `{bad}`");
        }
        for line in code.lines().map(str::trim) {
            // Function-like macros (20.6, 20.12): none.
            if let Some(def) = line.strip_prefix("#define ") {
                let name_end = def
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(def.len());
                assert!(
                    !def[name_end..].starts_with('('),
                    "{label} {name}: function-like macro `{line}`"
                );
            }
            // Typedefs of function types (17.13) and function pointers
            // (11.1, 17.12): none.
            if line.starts_with("typedef") {
                assert!(!line.contains('('), "{label} {name}: `{line}`");
            }
        }
        for line in text.lines().map(str::trim) {
            if let Some(inc) = line.strip_prefix("#include") {
                assert!(
                    ALLOWED_INCLUDES.contains(&inc.trim()),
                    "{label} {name}: includes {inc}"
                );
            }
        }
        let squeezed: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
        for bad in [
            "(*",     // function pointers (11.1, 17.12)
            "void *", // pointers to void (11.2, 11.5, 11.6, 11.7)
            "void*",
            "struct timber", // named (forward-declarable) structures (11.2)
            "{ .",           // designated initializers (9.6)
            ", .",
        ] {
            assert!(!squeezed.contains(bad), "{label} {name}: contains `{bad}`");
        }
        // Casts to a pointer type (11.3, 11.7): none.
        if let Some(i) = squeezed.find(" *)") {
            let open = squeezed[..i].rfind('(').unwrap_or(0);
            panic!(
                "{label} {name}: pointer cast `{}`",
                &squeezed[open..(i + 3).min(squeezed.len())]
            );
        }
        // Pointers are never subtracted or compared relationally (18.2,
        // 18.3): the only pointer objects are the parameters in, out, acc.
        for p in ["in", "out", "acc"] {
            for op in [" - ", " < ", " > ", " <= ", " >= "] {
                assert!(
                    !squeezed.contains(&format!(" {p}{op}"))
                        && !squeezed.contains(&format!("{op}{p} ")),
                    "{label} {name}: pointer `{p}` with `{}`",
                    op.trim()
                );
            }
        }
        // Preprocessor conditionals close in their own file (20.14).
        let opens = code
            .lines()
            .filter(|l| l.trim_start().starts_with("#if"))
            .count();
        let closes = code
            .lines()
            .filter(|l| l.trim_start().starts_with("#endif"))
            .count();
        assert_eq!(opens, closes, "{label} {name}: #if without #endif");
        // No commented-out code (D4.4): no comment line ends a statement
        // or a block, or starts a control statement.
        for c in comments(text) {
            for l in c.lines() {
                let l = l.trim().trim_start_matches('*').trim();
                assert!(
                    !l.ends_with([';', '{', '}'])
                        && !["if (", "for (", "while (", "return ", "else"]
                            .iter()
                            .any(|k| l.starts_with(k)),
                    "{label} {name}: comment line looks like code: {l}"
                );
            }
        }
        // Function definitions: scalar or const char * return types (18.9);
        // the public API is never called from inside (D4.7).
        for line in code.lines() {
            if line.starts_with([' ', '#', '/', '{', '}', '*'])
                || !line.ends_with(')')
                || !line.contains('(')
                || line.starts_with("typedef")
            {
                continue;
            }
            let head = line.split('(').next().unwrap_or("");
            let head = head.trim_start_matches("static ");
            let ret = head[..head.rfind([' ', '*']).map_or(0, |p| p + 1)].trim();
            assert!(
                RETURN_TYPES.contains(&ret),
                "{label} {name}: function returns `{ret}`: {line}"
            );
        }
        for api in ["timber_infer_single", "timber_infer", "timber_strerror"] {
            let uses = code
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| *w == api)
                .count();
            assert!(
                uses <= 1,
                "{label} {name}: {api} is called inside the generated code"
            );
        }
        // External declarations: each in one header only (8.5).
        if name.ends_with(".h") {
            for line in code.lines() {
                let decl = line.trim();
                if (decl.starts_with("extern ") || (decl.ends_with(");") && !decl.starts_with(' ')))
                    && !decl.starts_with('#')
                {
                    let ident = decl
                        .split(['(', '['])
                        .next()
                        .unwrap_or("")
                        .split_whitespace()
                        .last()
                        .unwrap_or("")
                        .trim_start_matches('*')
                        .to_string();
                    if let Some(first) = externs.insert(ident.clone(), name.clone()) {
                        panic!("{label}: {ident} declared in {first} and {name}");
                    }
                }
            }
        }
    }
    // The API prototypes of model.h are the definitions of model.c, names
    // and qualifiers alike (8.3).
    let text_of = |n: &str| {
        files
            .iter()
            .find(|(f, _)| f == n)
            .map(|(_, t)| t.as_str())
            .unwrap_or("")
    };
    let model_c = text_of("model.c");
    for proto in text_of("model.h")
        .lines()
        .filter(|l| l.ends_with(");") && !l.starts_with(' ') && !l.starts_with('#'))
    {
        let def = proto.trim_end_matches(';');
        assert!(
            model_c.lines().any(|l| l == def),
            "{label}: model.c has no definition line `{def}`"
        );
    }
}

fn options_for(ens: &timber::ir::Ensemble) -> Vec<Options> {
    let mut out = Vec::new();
    for nan_policy in [NanPolicy::Missing, NanPolicy::Reject] {
        for (layout, numeric) in [
            (Layout::Table, Numeric::Float),
            (Layout::Branches, Numeric::Float),
            (Layout::Compact, Numeric::Float),
            (Layout::Compact, Numeric::Int),
        ] {
            let o = Options {
                nan_policy,
                layout,
                numeric,
            };
            if o.unsupported(ens).is_none() {
                out.push(o);
            }
        }
    }
    out
}

#[test]
fn generated_code_uses_none_of_the_features_the_record_declares_absent() {
    let fixtures = common::fixtures();
    let mut models: Vec<std::path::PathBuf> = Vec::new();
    for dir in common::xgboost_fixture_dirs() {
        for name in common::xgboost_models_in(&dir) {
            models.push(dir.join(format!("{name}.json")));
        }
    }
    for (sub, ext) in [("lightgbm", "txt"), ("catboost", "json")] {
        let dir = fixtures.join(sub);
        for name in common::models_with_extension(&dir, ext, 1) {
            models.push(dir.join(format!("{name}.{ext}")));
        }
    }
    // ONNX and scikit-learn fixtures: one directory per model.
    for (sub, file) in [("onnx", "model.onnx"), ("sklearn", "model.pkl")] {
        for d in common::listing(&fixtures.join(sub)) {
            let path = fixtures.join(sub).join(d).join(file);
            if path.is_file() {
                models.push(path);
            }
        }
    }
    let mut runs = 0;
    let mut formats = BTreeSet::new();
    for path in &models {
        let ens = load_model(path, FormatChoice::Auto)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        formats.insert(ens.source.format.clone());
        for opts in options_for(&ens) {
            let files: Vec<(String, String)> = emit_c99(&ens, &opts)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .into_iter()
                .map(|f| (f.name, f.contents))
                .collect();
            check_files(
                &format!(
                    "{} ({:?}, {:?}, {:?})",
                    path.display(),
                    opts.nan_policy,
                    opts.layout,
                    opts.numeric
                ),
                &files,
            );
            runs += 1;
        }
    }
    assert!(formats.len() >= 5, "formats seen: {formats:?}");
    assert!(runs >= 200, "only {runs} generations checked");
    println!("{runs} generations of {} models checked", models.len());
}

/// A record from entries `body` (after a header).
fn parse_err(body: &str) -> review::ReviewError {
    let catalogue = guidelines().expect("catalogue");
    review::parse(body, "mine.toml", &catalogue).expect_err("must be refused")
}

const GOOD: &str = r#"[[entry]]
guideline = "D4.2"
verdict = "not-applicable"
rationale = "no assembly"
evidence = ["tests/review_record.rs::generated_code_uses_none_of_the_features_the_record_declares_absent"]
reviewer = "A. Reviewer"
date = "2026-12-07"
"#;

#[test]
fn record_errors_name_file_line_and_field() {
    let catalogue = guidelines().expect("catalogue");
    let ok = review::parse(GOOD, "mine.toml", &catalogue).expect("good");
    assert_eq!(ok.entries["D4.2"].line, 2);

    let e = parse_err(&GOOD.replace("\"D4.2\"", "\"99.9\""));
    assert_eq!(
        (e.file.as_str(), e.line, e.field.as_str()),
        ("mine.toml", 2, "guideline")
    );
    assert!(e.message.contains("99.9"), "{e}");

    let e = parse_err(&GOOD.replace("not-applicable", "fine"));
    assert_eq!((e.line, e.field.as_str()), (3, "verdict"));
    assert!(e.to_string().starts_with("mine.toml:3: verdict: "), "{e}");

    let e = parse_err(&GOOD.replace("2026-12-07", "07.12.2026"));
    assert_eq!((e.line, e.field.as_str()), (7, "date"));

    let e = parse_err(&GOOD.replace("A. Reviewer", " "));
    assert_eq!((e.line, e.field.as_str()), (6, "reviewer"));

    let e = parse_err(&format!("{GOOD}\n{GOOD}"));
    assert_eq!((e.line, e.field.as_str()), (10, "guideline"));
    assert!(e.message.contains("line 2"), "{e}");

    // A guideline the checker decides cannot be reviewed away.
    let e = parse_err(&GOOD.replace("\"D4.2\"", "\"15.5\""));
    assert_eq!(e.field, "guideline");
    assert!(e.message.contains("--deviations"), "{e}");

    let e = parse_err(&GOOD.replace("reviewer =", "reviewr ="));
    assert_eq!((e.line, e.field.as_str()), (6, "reviewr"), "{e}");
}

/// Each property the scan above asserts is caught when planted into
/// real generated code (so the scan can fail).
#[test]
fn planted_constructs_fail_the_scan() {
    let ens = load_model(
        &common::fixtures().join("xgboost/binary_nan.json"),
        FormatChoice::Auto,
    )
    .expect("fixture");
    let files: Vec<(String, String)> = emit_c99(&ens, &Options::default())
        .expect("emit")
        .into_iter()
        .map(|f| (f.name, f.contents))
        .collect();
    check_files("clean", &files);
    let plants = [
        "typedef union { float f; uint32_t u; } timber_pun_t;",
        "#include <string.h>",
        "static void (*timber_hook)(void);",
        "static const void *timber_p;",
        "#define TIMBER_TWICE(x) ((x) + (x))",
        "/* acc.sums[0U] = 0.0f; */",
        "static timber_acc_t timber_make(void)\n{\n    timber_acc_t a;\n    return a;\n}",
        "#if 1",
        "static _Atomic int32_t timber_flag;",
        "static const uint32_t timber_c = UINT32_C(1);",
    ];
    for plant in plants {
        let mut planted = files.clone();
        let c = planted
            .iter_mut()
            .find(|(n, _)| n == "model.c")
            .expect("model.c");
        c.1 = c.1.replacen(
            "#include \"model_data.h\"\n",
            &format!("#include \"model_data.h\"\n{plant}\n"),
            1,
        );
        let caught = std::panic::catch_unwind(|| check_files("planted", &planted)).is_err();
        assert!(caught, "not caught: {plant}");
    }
}
