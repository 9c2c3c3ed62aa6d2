//! Structural coverage of the generated C (`timber::coverage`), as
//! `timber certify` records it: statement and branch coverage with gcc and
//! gcov, MC/DC with clang-19 and llvm-cov, on every XGBoost fixture model
//! (the XGBoost 3.2 set and the 1.7 / 2.1 version fixtures) under both NaN
//! policies, in the table and compact layouts, the integer mode and (for
//! the models `auto` gives it to) the branches layout, driven through the public API with the vectors
//! `timber::verify::generate` makes.
//! The averaging (random forest) fixtures of LightGBM, scikit-learn and
//! ONNX are measured the same way, in every layout that can express them.
//!
//! The generator emits only code the model can execute (it bounds every
//! exp argument from the leaves, pads the trees to whole lane groups,
//! leaves the NaN side of splits out when NaN inputs are refused, ...), so
//! every fixture model reaches 100 % statement, 100 % branch and 100 %
//! MC/DC, and the test asserts exactly that: any uncovered item fails.
//!
//! When gcc, gcov or clang-19 are missing the tests fail if `CI=true`, and
//! otherwise skip with a printed reason.

mod common;

use std::path::{Path, PathBuf};
use timber::codegen::c99::{emit_c99, Layout, NanPolicy, Numeric, Options};
use timber::codegen::GeneratedFile;
use timber::coverage::{
    gcov, llvm, measure, CoverageError, CoverageOptions, CoverageReport, Uncovered,
};
use timber::frontend::{load_model, FormatChoice};
use timber::ir::{Aggregation, Ensemble, Node};
use timber::verify::{generate, VectorOptions};

fn load(name: &str) -> Ensemble {
    let path = common::fixtures().join(format!("xgboost/{name}.json"));
    load_model(&path, FormatChoice::Auto).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn emit(ens: &Ensemble, nan_policy: NanPolicy) -> Vec<GeneratedFile> {
    emit_layout(ens, nan_policy, (Layout::Table, Numeric::Float))
}

fn emit_layout(
    ens: &Ensemble,
    nan_policy: NanPolicy,
    (layout, numeric): (Layout, Numeric),
) -> Vec<GeneratedFile> {
    emit_c99(
        ens,
        &Options {
            nan_policy,
            layout,
            numeric,
        },
    )
    .unwrap_or_else(|e| panic!("emit: {e}"))
}

/// The layouts measured for a model: the table and compact always, the branches
/// layout for every model `auto` gives it to (the big models' nests take
/// minutes to build with coverage instrumentation, and `auto` never
/// emits them); the integer mode wherever it can express the model.
fn layouts_for(ens: &Ensemble) -> Vec<(Layout, Numeric)> {
    let mut v = vec![(Layout::Table, Numeric::Float)];
    if Layout::Auto.resolve(ens) == Layout::Branches {
        v.push((Layout::Branches, Numeric::Float));
    }
    if timber::codegen::c99::compact::supports(ens) {
        v.push((Layout::Compact, Numeric::Float));
    }
    if timber::codegen::c99::numint::supports(ens) {
        v.push((Layout::Compact, Numeric::Int));
    }
    v
}

/// `measure`, or None (after printing why) when a tool is missing outside
/// CI. With `CI=true` a missing tool fails the test.
fn measure_or_skip(
    files: &[GeneratedFile],
    rows: &[Vec<f32>],
    opts: &CoverageOptions,
) -> Option<CoverageReport> {
    match measure(files, rows, opts) {
        Ok(r) => Some(r),
        Err(e @ CoverageError::ToolMissing { .. }) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true and a coverage tool is missing: {e}");
            }
            eprintln!("skipping coverage test: {e}");
            None
        }
        Err(e) => panic!("coverage measurement failed: {e}"),
    }
}

fn mcdc() -> CoverageOptions {
    CoverageOptions {
        mcdc: true,
        build_dir: None,
    }
}

/// The source line an uncovered item points at.
fn line_text<'a>(files: &'a [GeneratedFile], u: &Uncovered) -> &'a str {
    let f = files
        .iter()
        .find(|f| f.name == u.file)
        .unwrap_or_else(|| panic!("uncovered item in unknown file {}", u.file));
    f.contents
        .lines()
        .nth(u.line as usize - 1)
        .unwrap_or_else(|| panic!("{}:{} is past the end of the file", u.file, u.line))
}

/// Every fixture model: (label, path), the XGBoost 3.2 set first, then
/// the version fixtures (tests/fixtures/xgboost_versions/<version>/).
fn every_fixture_model() -> Vec<(String, PathBuf)> {
    let root = common::fixtures();
    let mut out: Vec<(String, PathBuf)> = common::xgboost_models()
        .into_iter()
        .map(|n| (n.clone(), root.join(format!("xgboost/{n}.json"))))
        .collect();
    let versions = root.join("xgboost_versions");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&versions)
        .unwrap_or_else(|e| panic!("{}: {e}", versions.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let version = dir.file_name().expect("name").to_string_lossy().to_string();
        for n in common::xgboost_models_in(&dir) {
            out.push((format!("{version}/{n}"), dir.join(format!("{n}.json"))));
        }
    }
    out
}

fn load_path(path: &Path) -> Ensemble {
    load_model(path, FormatChoice::Auto).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Measure `ens` in each of `layouts` under both NaN policies with the
/// vectors `generate` makes, appending a line per run to `table` and every
/// shortfall from 100 % statement, branch and MC/DC to `failures`. False
/// when a tool is missing outside CI (the caller skips).
fn measure_full(
    name: &str,
    ens: &Ensemble,
    layouts: &[(Layout, Numeric)],
    table: &mut String,
    failures: &mut Vec<String>,
) -> bool {
    let vectors = generate(ens, &VectorOptions::default());
    let runs = layouts.iter().flat_map(|&l| {
        [NanPolicy::Missing, NanPolicy::Reject]
            .into_iter()
            .map(move |p| (l, p))
    });
    for (layout, policy) in runs {
        let files = emit_layout(ens, policy, layout);
        let Some(r) = measure_or_skip(&files, &vectors.rows, &mcdc()) else {
            return false;
        };
        let Some(m) = r.mcdc else {
            panic!("{name}: MC/DC asked for but not measured");
        };
        table.push_str(&format!(
            "    {name} {layout:?} {policy:?}: statement {}/{}, branch {}/{}, MC/DC {}/{}\n",
            r.statement.covered,
            r.statement.total,
            r.branch.covered,
            r.branch.total,
            m.covered,
            m.total
        ));
        for u in &r.uncovered {
            failures.push(format!(
                "{name} {layout:?} {policy:?}: {}:{} {} not covered: {} [{}]",
                u.file,
                u.line,
                u.kind,
                u.detail,
                line_text(&files, u).trim()
            ));
        }
        for (kind, ratio) in [
            ("statement", r.statement),
            ("branch", r.branch),
            ("condition", m),
        ] {
            if ratio.covered != ratio.total || ratio.total == 0 {
                failures.push(format!(
                    "{name} {layout:?} {policy:?}: {kind} coverage {}/{}",
                    ratio.covered, ratio.total
                ));
            }
        }
    }
    true
}

#[test]
fn every_fixture_model_reaches_full_coverage() {
    let mut table = String::new();
    let mut failures = Vec::new();
    let models = every_fixture_model();
    assert!(models.len() > 17, "{models:?}");
    for (name, path) in &models {
        let ens = load_path(path);
        if !measure_full(name, &ens, &layouts_for(&ens), &mut table, &mut failures) {
            return;
        }
    }
    println!("coverage per model:\n{table}");
    assert!(
        failures.is_empty(),
        "{}\n\nmeasured figures:\n{table}",
        failures.join("\n")
    );
}

/// The averaging (random forest) fixtures of every format that has them:
/// LightGBM `average_output`, scikit-learn RandomForest / ExtraTrees
/// classifiers (vector leaves) and regressors, an ONNX AVERAGE ensemble
/// (skl2onnx writes forests as SUM with divided weights, so its fixtures
/// are not averages).
fn averaging_fixture_models() -> Vec<(&'static str, PathBuf)> {
    let root = common::fixtures();
    [
        ("lightgbm/rf", "lightgbm/rf.txt"),
        ("sklearn/rf_clf", "sklearn/rf_clf/model.joblib"),
        ("sklearn/rf_reg", "sklearn/rf_reg/model.pkl"),
        ("sklearn/et_clf", "sklearn/et_clf/model.joblib"),
        ("sklearn/et_reg", "sklearn/et_reg/model.joblib"),
        ("onnx/v5_members", "onnx/v5_members/model.onnx"),
    ]
    .into_iter()
    .map(|(name, rel)| (name, root.join(rel)))
    .collect()
}

#[test]
fn every_averaging_model_reaches_full_coverage() {
    // An average divides each group's sum by its tree count, a constant
    // of the model: nothing in the generated code depends on how many
    // trees a row reached, so no branch is left that no input can take.
    // Every layout that can express the model is measured (the branches
    // layout too, whatever `auto` would pick), and the integer mode.
    let mut table = String::new();
    let mut failures = Vec::new();
    let (mut vector_leaves, mut accumulators) = (false, std::collections::BTreeSet::new());
    for (name, path) in averaging_fixture_models() {
        let ens = load_path(&path);
        assert_eq!(ens.aggregation, Aggregation::Average, "{name}");
        accumulators.insert(ens.accumulator.name());
        vector_leaves |= ens.trees.iter().any(|t| {
            t.nodes
                .iter()
                .any(|n| matches!(n, Node::Leaf(l) if l.values.len() > 1))
        });
        let mut layouts = vec![(Layout::Table, Numeric::Float)];
        if timber::codegen::c99::branches::unsupported(&ens).is_none() {
            layouts.push((Layout::Branches, Numeric::Float));
        }
        if timber::codegen::c99::compact::supports(&ens) {
            layouts.push((Layout::Compact, Numeric::Float));
        }
        if timber::codegen::c99::numint::supports(&ens) {
            layouts.push((Layout::Compact, Numeric::Int));
        }
        // Vector leaves have no compact or integer form; the table and
        // branches layouts express every fixture here.
        assert!(layouts.len() >= 2, "{name}: only {layouts:?}");
        if !measure_full(name, &ens, &layouts, &mut table, &mut failures) {
            return;
        }
    }
    // Both accumulators and vector leaves are among the models measured.
    assert_eq!(accumulators.into_iter().collect::<Vec<_>>(), ["f32", "f64"]);
    assert!(vector_leaves);
    println!("coverage per averaging model:\n{table}");
    assert!(
        failures.is_empty(),
        "{}\n\nmeasured figures:\n{table}",
        failures.join("\n")
    );
}

#[test]
fn one_vector_leaves_reachable_branches_uncovered() {
    // The generated code is branch-free except where the data decides, and
    // the driver's own calls (NaN, errors, batches) reach much of that, so
    // for many models one row already covers everything. Some fixture
    // model's code must still need more than one row (softmax's max,
    // hinge's sign, the exp rounding's sign, ...): find it.
    let opts = CoverageOptions::default();
    let mut found = None;
    for name in common::xgboost_models() {
        let ens = load(&name);
        let files = emit(&ens, NanPolicy::Missing);
        let vectors = generate(&ens, &VectorOptions::default());
        let Some(full) = measure_or_skip(&files, &vectors.rows, &opts) else {
            return;
        };
        let Some(one) = measure_or_skip(&files, &vectors.rows[..1], &opts) else {
            return;
        };
        if one.branch.covered < full.branch.covered {
            found = Some((files, full, one));
            break;
        }
    }
    let Some((files, full, one)) = found else {
        panic!("one row covers every fixture model's code");
    };
    assert_eq!(one.rows, 1);
    assert!(one.mcdc.is_none() && one.mcdc_tool.is_none());
    assert!(one.branch.covered < one.branch.total, "{:?}", one.branch);
    assert!(
        one.branch.covered < full.branch.covered,
        "one vector {:?}, all vectors {:?}",
        one.branch,
        full.branch
    );
    // What the single vector misses beyond the full set: real lines of
    // model.c, whose text the report quotes.
    let extra: Vec<&Uncovered> = one
        .uncovered
        .iter()
        .filter(|u| !full.uncovered.contains(u))
        .collect();
    assert!(!extra.is_empty());
    for u in &extra {
        assert_eq!(u.file, "model.c");
        assert!(u.kind == "branch" || u.kind == "statement", "{u:?}");
        let line = line_text(&files, u).trim();
        assert!(!line.is_empty());
        assert!(
            u.detail.ends_with(&format!("`{line}`")),
            "{u:?} does not quote model.c line {}: {line}",
            u.line
        );
    }
    // The full vector set covers everything.
    assert!(full.uncovered.is_empty(), "{:?}", full.uncovered);
}

#[test]
fn reports_are_deterministic_and_path_free() {
    let ens = load("binary_nan");
    let files = emit(&ens, NanPolicy::Reject);
    let vectors = generate(
        &ens,
        &VectorOptions {
            random_rows: 16,
            ..VectorOptions::default()
        },
    );
    let keep = tempfile::tempdir().expect("temp dir");
    let kept = CoverageOptions {
        mcdc: true,
        build_dir: Some(keep.path().join("cov")),
    };
    let Some(a) = measure_or_skip(&files, &vectors.rows, &mcdc()) else {
        return;
    };
    let Some(b) = measure_or_skip(&files, &vectors.rows, &kept) else {
        return;
    };
    // Run again into the same build directory: stale counters must not add up.
    let Some(c) = measure_or_skip(&files, &vectors.rows, &kept) else {
        return;
    };
    assert_eq!(a, b);
    assert_eq!(b, c);
    let summary = a.summary();
    assert_eq!(
        (summary.statement, summary.branch, summary.mcdc),
        (a.statement, a.branch, a.mcdc)
    );
    let json = serde_json::to_string_pretty(&a).expect("serialize");
    assert_eq!(json, serde_json::to_string_pretty(&c).expect("serialize"));
    let keep_text = keep.path().display().to_string();
    let tmp_text = std::env::temp_dir().display().to_string();
    assert!(!json.contains(&keep_text) && !json.contains(&tmp_text));
    assert!(!json.contains("\"/"), "an absolute path in the report");
    let names: Vec<&str> = a.files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(names, ["model.c", "model_data.c"]);
    assert!(a.gcov_version.starts_with("gcov"), "{}", a.gcov_version);
    assert!(a.compiler_version.contains("gcc"), "{}", a.compiler_version);
    assert!(a
        .mcdc_tool
        .as_deref()
        .is_some_and(|v| v.contains("clang version")));
    assert!(a
        .llvm_cov_version
        .as_deref()
        .is_some_and(|v| v.contains("LLVM version")));
    // The kept build directory holds both builds and their counters.
    let gcc_dir = keep.path().join("cov/timber-coverage-gcc");
    assert!(gcc_dir.join("model.gcda").is_file());
    assert!(keep
        .path()
        .join("cov/timber-coverage-clang/timber.profdata")
        .is_file());
    // The commands are recorded relative to the build directory.
    assert!(a
        .commands
        .iter()
        .any(|c| c.starts_with("gcc -std=c99 -O0 --coverage")));
    assert!(a
        .commands
        .iter()
        .any(|c| c.contains("-fcoverage-mcdc") && c.contains("model.c")));
}

#[test]
fn statement_and_branch_need_no_clang() {
    let ens = load("multiclass_softmax");
    let files = emit(&ens, NanPolicy::Missing);
    let vectors = generate(&ens, &VectorOptions::default());
    let Some(r) = measure_or_skip(&files, &vectors.rows, &CoverageOptions::default()) else {
        return;
    };
    assert!(r.mcdc.is_none() && r.files.iter().all(|f| f.mcdc.is_none()));
    assert!(!r.uncovered.iter().any(|u| u.kind == "condition"));
    assert!(!r.commands.iter().any(|c| c.contains("clang")));
}

#[test]
fn rejects_inputs_it_cannot_drive() {
    let ens = load("regression");
    let files = emit(&ens, NanPolicy::Missing);
    let no_model: Vec<GeneratedFile> = files
        .iter()
        .filter(|f| f.name != "model.c")
        .cloned()
        .collect();
    assert!(matches!(
        measure(&no_model, &[], &CoverageOptions::default()),
        Err(CoverageError::Build(_))
    ));
    let ragged = vec![vec![0.0f32; 3], vec![0.0f32; 2]];
    assert!(matches!(
        measure(&files, &ragged, &CoverageOptions::default()),
        Err(CoverageError::Run(_))
    ));
    // Rows of the wrong length: the driver refuses them (exit 2), so no
    // figure is measured on a run that fed the model garbage.
    let short = vec![vec![0.0f32; ens.n_features as usize + 1]];
    match measure(&files, &short, &CoverageOptions::default()) {
        Err(CoverageError::Run(m)) => assert!(m.contains("features"), "{m}"),
        Err(CoverageError::ToolMissing { .. }) if std::env::var("CI").as_deref() != Ok("true") => {}
        other => panic!("expected a run error, got {other:?}"),
    }
}

// ------------------------------------------------- captured tool output

fn fixture_text(name: &str) -> String {
    let p = common::fixtures().join("coverage").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// gcov 12.2.0's JSON for the `regression` model driven by one vector
/// (see tests/fixtures/coverage/README.md). gcov's own text summary of the
/// same run: "Lines executed:100.00% of 106", "Branches executed:100.00%
/// of 80", "Taken at least once:91.25% of 80" (73 arcs).
#[test]
fn gcov_parser_on_captured_output() {
    let g = gcov::parse(&fixture_text("regression_one_row.gcov.json")).expect("parses");
    assert_eq!(g.gcc_version, "12.2.0");
    let names: Vec<&str> = g.files.iter().map(|f| f.file.as_str()).collect();
    assert!(names.contains(&"model.c"), "{names:?}");
    let model = g
        .files
        .iter()
        .find(|f| f.file == "model.c")
        .expect("model.c");
    let lines = model.lines.len();
    let executed = model.lines.iter().filter(|l| l.count > 0).count();
    let arcs: Vec<&gcov::GcovBranch> = model.lines.iter().flat_map(|l| &l.branches).collect();
    let taken = arcs.iter().filter(|b| b.count > 0).count();
    assert_eq!((executed, lines), (106, 106));
    assert_eq!((taken, arcs.len()), (73, 80));
    assert!(arcs.iter().all(|b| !b.throw));
    // Lines are sorted and unique.
    assert!(model.lines.windows(2).all(|w| w[0].line < w[1].line));
    // model_data.c holds only tables: no executable line.
    assert!(g
        .files
        .iter()
        .filter(|f| f.file == "model_data.c")
        .all(|f| f.lines.is_empty()));
}

/// llvm-cov 19.1.7's export for the same run (MC/DC instrumentation).
/// `llvm-cov report --show-mcdc-summary` of that run: model.c 18 MC/DC
/// conditions, 7 missed.
#[test]
fn llvm_cov_parser_on_captured_output() {
    let e = llvm::parse(&fixture_text("regression_one_row.llvm-cov.json")).expect("parses");
    let model: Vec<&llvm::McdcDecision> =
        e.decisions.iter().filter(|d| d.file == "model.c").collect();
    let total: usize = model.iter().map(|d| d.conditions.len()).sum();
    let covered: usize = model
        .iter()
        .map(|d| d.conditions.iter().filter(|c| **c).count())
        .sum();
    assert_eq!((covered, total), (11, 18));
    assert!(e
        .summaries
        .contains(&("model.c".to_string(), covered as u64, total as u64)));
    assert!(model.iter().all(|d| d.conditions.len() >= 2));
    assert!(model
        .iter()
        .all(|d| d.line_start <= d.line_end && d.line_start > 0));
}

/// Decisions counted by number of conditions (clang's regions), checked
/// against gcc's independent count: gcov lists two branch arcs per
/// condition, so its arcs equal twice the conditions of all decisions. The
/// MC/DC figure counts the conditions of the decisions with two or more;
/// the one-condition decisions are reported apart, all with both outcomes
/// taken (where MC/DC equals decision coverage).
#[test]
fn decisions_are_counted_by_conditions_and_agree_with_gcov() {
    for name in ["binary_nan", "multiclass"] {
        let ens = load(name);
        let rows = generate(
            &ens,
            &VectorOptions {
                seed: 7,
                random_rows: 64,
            },
        )
        .rows;
        for layout in [
            (Layout::Table, Numeric::Float),
            (Layout::Branches, Numeric::Float),
        ] {
            if layout.0 == Layout::Branches && !timber::codegen::c99::branches::supports(&ens) {
                continue;
            }
            let files = emit_layout(&ens, NanPolicy::Missing, layout);
            let Some(r) = measure_or_skip(&files, &rows, &mcdc()) else {
                return;
            };
            let d = r.decisions.clone().expect("decisions with MC/DC");
            let label = format!("{name} {layout:?}");
            assert!(
                d.iter().any(|x| x.conditions == 1 && x.decisions > 0),
                "{label}: {d:?}"
            );
            let conditions: u64 = d.iter().map(|x| x.decisions * x.conditions as u64).sum();
            assert_eq!(r.branch.total, 2 * conditions, "{label}: {d:?}");
            let multi: u64 = d
                .iter()
                .filter(|x| x.conditions > 1)
                .map(|x| x.decisions * x.conditions as u64)
                .sum();
            let mcdc = r.mcdc.expect("mcdc");
            assert_eq!(mcdc.total, multi, "{label}");
            assert!(d.iter().all(|x| x.covered == x.decisions), "{label}: {d:?}");
            let text = timber::coverage::mcdc_text(&mcdc, &d);
            assert!(
                text.contains("decisions have one condition, where MC/DC equals decision coverage"),
                "{text}"
            );
        }
    }
}
