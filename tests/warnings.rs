//! Warnings as evidence (`timber::verify::warnings`): the generated C of
//! models of every format, in every layout and the integer mode, compiles
//! on every target with the target's own compiler and flags plus the strict
//! warning set and `-Werror`, and under clang's `-Weverything` on the host.
//! A planted implicit conversion is caught on every target, naming the file.

mod common;

use std::path::{Path, PathBuf};
use timber::codegen::c99::{emit_c99, Layout, NanPolicy, Numeric, Options};
use timber::verify::warnings;

fn generate(fixture: &str, layout: Layout, numeric: Numeric, dir: &Path) {
    let ens = timber::frontend::load_model(
        &common::fixtures().join(fixture),
        timber::frontend::FormatChoice::Auto,
    )
    .unwrap_or_else(|e| panic!("{fixture}: {e}"));
    for policy in [NanPolicy::Missing] {
        let opts = Options {
            nan_policy: policy,
            layout,
            numeric,
        };
        std::fs::create_dir_all(dir).unwrap();
        for f in emit_c99(&ens, &opts).unwrap_or_else(|e| panic!("{fixture}: {e}")) {
            std::fs::write(dir.join(&f.name), f.contents).unwrap();
        }
    }
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("timber-warnings-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn all_targets() -> Option<Vec<timber::verify::targets::TargetSpec>> {
    let names = timber::verify::targets::names();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    common::targets_with_tools(&refs)
}

#[test]
fn generated_code_is_warning_free_on_every_target() {
    let Some(targets) = all_targets() else {
        return;
    };
    let cases: &[(&str, Layout, Numeric)] = &[
        ("xgboost/binary_nan.json", Layout::Table, Numeric::Float),
        ("xgboost/binary_nan.json", Layout::Branches, Numeric::Float),
        ("xgboost/binary_nan.json", Layout::Compact, Numeric::Int),
        (
            "xgboost/multiclass_softmax.json",
            Layout::Compact,
            Numeric::Float,
        ),
        ("lightgbm/binary_nan.txt", Layout::Branches, Numeric::Float),
        ("sklearn/rf_clf/model.joblib", Layout::Table, Numeric::Float),
    ];
    let root = scratch("clean");
    let mut dirty = Vec::new();
    for (i, (fixture, layout, numeric)) in cases.iter().enumerate() {
        let dir = root.join(format!("case{i}"));
        generate(fixture, *layout, *numeric, &dir);
        for t in &targets {
            let r = warnings::check_target(t, &dir).expect("run the compiler");
            assert_eq!(r.runs.len(), 2, "model.c and model_data.c");
            dirty.extend(
                r.first_diagnostics()
                    .into_iter()
                    .map(|d| format!("{fixture} {layout:?} {numeric:?}: {d}")),
            );
        }
        let clang = ["clang-19", "clang"]
            .into_iter()
            .find(|c| timber::verify::process::which(c).is_some());
        match clang {
            Some(c) => {
                let r = warnings::check_clang_everything(c, &dir).expect("run clang");
                dirty.extend(
                    r.first_diagnostics()
                        .into_iter()
                        .map(|d| format!("{fixture} {layout:?} {numeric:?}: {d}")),
                );
            }
            None => assert!(
                std::env::var_os("CI").is_none(),
                "CI is set and clang is missing"
            ),
        }
    }
    assert!(dirty.is_empty(), "warnings:\n{}", dirty.join("\n"));
}

#[test]
fn a_planted_implicit_conversion_is_caught_on_every_target() {
    let Some(targets) = all_targets() else {
        return;
    };
    let dir = scratch("planted");
    generate(
        "xgboost/binary_nan.json",
        Layout::Table,
        Numeric::Float,
        &dir,
    );
    let mut text = std::fs::read_to_string(dir.join("model.c")).unwrap();
    // A double silently narrowed to float: what -Wconversion exists for.
    text.push_str(
        "\nfloat timber_planted(double d);\nfloat timber_planted(double d) { return d; }\n",
    );
    std::fs::write(dir.join("model.c"), text).unwrap();
    for t in &targets {
        let r = warnings::check_target(t, &dir).expect("run the compiler");
        assert!(
            !r.clean(),
            "{}: the planted conversion was not reported",
            t.name
        );
        let d = r.first_diagnostics();
        assert_eq!(d.len(), 1, "{}: {d:?}", t.name);
        assert!(d[0].starts_with("model.c"), "{}: {d:?}", t.name);
        assert!(
            r.runs
                .iter()
                .any(|run| run.diagnostics.contains("conversion")),
            "{}: {:?}",
            t.name,
            r.runs
        );
    }
}
