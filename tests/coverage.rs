//! Structural coverage of the generated C (`timber::coverage`), as
//! `timber certify` records it: statement and branch coverage with gcc and
//! gcov, MC/DC with clang-19 and llvm-cov, on every XGBoost fixture model
//! under both NaN policies, driven through the public API with the
//! vectors `timber::verify::generate` makes.
//!
//! 100 % is not reachable through the public API for any fixture model:
//! the generated code has defensive bounds and value clamps no caller can
//! trigger (see `unreachable_reason`). The tests therefore pin the exact
//! figures per model and check that every single uncovered statement,
//! branch and condition is one of those documented, provably unreachable
//! constructs; anything else uncovered fails.
//!
//! When gcc, gcov or clang-19 are missing the tests fail if `CI=true`, and
//! otherwise skip with a printed reason.

mod common;

use timber::codegen::c99::{emit_c99, NanPolicy, Options};
use timber::codegen::GeneratedFile;
use timber::coverage::{
    gcov, llvm, measure, CoverageError, CoverageOptions, CoverageReport, Uncovered,
};
use timber::frontend::{load_model, FormatChoice};
use timber::ir::{Ensemble, Node, PostTransform};
use timber::verify::{generate, VectorOptions};

fn load(name: &str) -> Ensemble {
    let path = common::fixtures().join(format!("xgboost/{name}.json"));
    load_model(&path, FormatChoice::Auto).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn emit(ens: &Ensemble, nan_policy: NanPolicy) -> Vec<GeneratedFile> {
    emit_c99(ens, &Options { nan_policy }).unwrap_or_else(|e| panic!("emit: {e}"))
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

/// Largest |margin| any input can produce: |base score| plus, per tree,
/// its largest |leaf value| (the trees' leaves are summed).
fn margin_bound(ens: &Ensemble) -> f64 {
    let base = ens
        .base_score
        .iter()
        .map(|b| f64::from(b.abs()))
        .fold(0.0, f64::max);
    let leaves: f64 = ens
        .trees
        .iter()
        .map(|t| {
            t.nodes
                .iter()
                .filter_map(|n| match n {
                    Node::Leaf(l) => Some(l.values.iter().map(|v| f64::from(v.abs()))),
                    Node::Split(_) => None,
                })
                .flatten()
                .fold(0.0, f64::max)
        })
        .sum();
    base + leaves
}

/// Depth of every leaf of a tree (root at 0).
fn leaf_depths(nodes: &[Node]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut stack = vec![(0usize, 0u32)];
    while let Some((i, d)) = stack.pop() {
        match &nodes[i] {
            Node::Leaf(_) => out.push(d),
            Node::Split(s) => {
                stack.push((s.left as usize, d + 1));
                stack.push((s.right as usize, d + 1));
            }
        }
    }
    out
}

/// Is every leaf of every tree at one and the same depth? Then every tree
/// walk reaches its leaf exactly on its last step, and the walk's
/// "already at a leaf" outcome never happens.
fn all_leaves_at_one_depth(ens: &Ensemble) -> bool {
    let mut depths = ens.trees.iter().flat_map(|t| leaf_depths(&t.nodes));
    match depths.next() {
        Some(first) => depths.all(|d| d == first),
        None => true,
    }
}

/// Why an uncovered item cannot be reached through the public API of the
/// model, or None when it could be (then the driver or the vectors fall
/// short, and the test fails). `line` is the text of the item's line.
fn unreachable_reason(
    u: &Uncovered,
    line: &str,
    ens: &Ensemble,
    policy: NanPolicy,
) -> Option<&'static str> {
    let text = format!("{line} {}", u.detail);
    // Loop guards `(i < n) && (i < CONSTANT)`: every caller passes
    // n <= CONSTANT (lanes <= TIMBER_LANES, a tree's depth <=
    // TIMBER_MAX_DEPTH, a block <= TIMBER_BLOCK_ROWS), so the second
    // condition is never the one that ends the loop: its false arc (gcov's
    // 4th arc of the line) and its MC/DC independence pair are unreachable.
    let guards = [
        "(lane < TIMBER_LANES)",
        "(step < TIMBER_MAX_DEPTH)",
        "(r < TIMBER_BLOCK_ROWS)",
    ];
    if guards.iter().any(|g| text.contains(g))
        && ((u.kind == "branch" && u.detail.starts_with("branch 4 of 4"))
            || (u.kind == "condition" && u.detail.starts_with("condition 2 of 2")))
    {
        return Some("defensive loop bound");
    }
    // `n_rows > SIZE_MAX / N_FEATURES || n_rows > SIZE_MAX / N_OUTPUTS`:
    // the second test can only decide alone when a row has more outputs
    // than features.
    if text.contains("(SIZE_MAX / (size_t)TIMBER_N_OUTPUTS)")
        && ens.n_outputs() <= ens.n_features
        && (u.kind == "branch" || u.detail.starts_with("condition 2 of 2"))
    {
        return Some("output-count overflow bound with n_outputs <= n_features");
    }
    // With NanPolicy::Reject a NaN never reaches the tree walk.
    if policy == NanPolicy::Reject && u.kind == "branch" && line.contains("go_left = (x != x)") {
        return Some("NaN reaches no split when NaN inputs are refused");
    }
    // timber_exp: the margin is a finite sum of finite leaves, never NaN,
    // and bounded by margin_bound (< 83 for every fixture), so the clamps
    // (|x| > ~87) and the 2^k pre-scaling (|k| > 120, |x| > ~83) never run.
    let exp_guarded = [
        "if (x != x) {",
        "result = x;",
        "x > TIMBER_EXP_CLAMP_HI",
        "xc = TIMBER_EXP_CLAMP_HI;",
        "x < TIMBER_EXP_CLAMP_LO",
        "xc = TIMBER_EXP_CLAMP_LO;",
        "if (k > 120) {",
        "e = e * TIMBER_TWO_P32;",
        "k = k - 32;",
        "} else if (k < -120) {",
        "e = e * TIMBER_TWO_M32;",
        "k = k + 32;",
    ];
    if u.kind != "condition"
        && exp_guarded
            .iter()
            .any(|g| line.trim() == *g || line.contains(g))
        && margin_bound(ens) < 83.0
        && ens
            .trees
            .iter()
            .flat_map(|t| t.nodes.iter())
            .all(|n| match n {
                Node::Leaf(l) => l.values.iter().all(|v| v.is_finite()),
                Node::Split(_) => true,
            })
    {
        return Some("exp argument is finite and within +-83");
    }
    // softmax calls exp(v[g] - max) <= 0 only: k <= 0, no 2^+k factor.
    if ens.post_transform == PostTransform::Softmax
        && ((u.kind == "statement" && line.contains("timber_pow2_up[bit]"))
            || (u.kind == "branch" && line.trim() == "if (negative) {"))
    {
        return Some("softmax exponentiates non-positive values only");
    }
    // Every leaf at the same depth: no walk is ever at a leaf before its
    // last step.
    if u.kind == "branch"
        && line.contains("((flags & TIMBER_NODE_LEAF) != 0U) ? leaf[lane] : next")
        && all_leaves_at_one_depth(ens)
    {
        return Some("every leaf at the same depth");
    }
    None
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

/// (covered, total).
type Pair = (u64, u64);

/// Exact figures per (model, NaN policy): statement, branch and MC/DC
/// (covered, total) of the generated C with the default vectors. Every gap
/// is one of `unreachable_reason`'s constructs:
/// - every model: 6 gcov arcs and 6 MC/DC conditions of the loop guards
///   (two in the tree walk's lane loops, one in its step loop, three in the
///   blocked batch path), and the MC/DC pair of the output-count overflow
///   test (no fixture has more outputs than features);
/// - NanPolicy::Reject: the NaN arc of the tree walk (one more arc);
/// - sigmoid and exp transforms (binary_nan, dart, reg_logistic, gamma,
///   poisson, tweedie): 7 statements and 5 arcs of timber_exp's NaN test,
///   clamps and 2^k pre-scaling (gamma, poisson and tweedie have 2 fewer
///   statements in total: no sigmoid wrapper);
/// - multiclass (softprob, softmax): also the 2^+k statement and arc of
///   timber_pow2_int, and the gcov arc of the output-count overflow test;
/// - forest: every leaf at depth 4, so the walk's "at a leaf" arc.
#[rustfmt::skip]
const EXPECTED: &[(&str, NanPolicy, Pair, Pair, Pair)] = &[
    ("absoluteerror", NanPolicy::Missing, (106, 106), (74, 80), (11, 18)),
    ("absoluteerror", NanPolicy::Reject, (116, 116), (81, 88), (11, 18)),
    ("binary_hinge", NanPolicy::Missing, (111, 111), (76, 82), (11, 18)),
    ("binary_hinge", NanPolicy::Reject, (121, 121), (83, 90), (11, 18)),
    ("binary_logitraw", NanPolicy::Missing, (106, 106), (74, 80), (11, 18)),
    ("binary_logitraw", NanPolicy::Reject, (116, 116), (81, 88), (11, 18)),
    ("binary_nan", NanPolicy::Missing, (141, 148), (89, 100), (11, 18)),
    ("binary_nan", NanPolicy::Reject, (151, 158), (96, 108), (11, 18)),
    ("dart", NanPolicy::Missing, (141, 148), (89, 100), (11, 18)),
    ("dart", NanPolicy::Reject, (151, 158), (96, 108), (11, 18)),
    ("forest", NanPolicy::Missing, (106, 106), (73, 80), (11, 18)),
    ("forest", NanPolicy::Reject, (116, 116), (80, 88), (11, 18)),
    ("gamma", NanPolicy::Missing, (139, 146), (89, 100), (11, 18)),
    ("gamma", NanPolicy::Reject, (149, 156), (96, 108), (11, 18)),
    ("large_500", NanPolicy::Missing, (106, 106), (74, 80), (11, 18)),
    ("large_500", NanPolicy::Reject, (116, 116), (81, 88), (11, 18)),
    ("multiclass", NanPolicy::Missing, (153, 161), (97, 110), (11, 18)),
    ("multiclass", NanPolicy::Reject, (163, 171), (104, 118), (11, 18)),
    ("multiclass_softmax", NanPolicy::Missing, (111, 111), (76, 82), (11, 18)),
    ("multiclass_softmax", NanPolicy::Reject, (121, 121), (83, 90), (11, 18)),
    ("poisson", NanPolicy::Missing, (139, 146), (89, 100), (11, 18)),
    ("poisson", NanPolicy::Reject, (149, 156), (96, 108), (11, 18)),
    ("pseudohuber", NanPolicy::Missing, (106, 106), (74, 80), (11, 18)),
    ("pseudohuber", NanPolicy::Reject, (116, 116), (81, 88), (11, 18)),
    ("rank_pairwise", NanPolicy::Missing, (106, 106), (74, 80), (11, 18)),
    ("rank_pairwise", NanPolicy::Reject, (116, 116), (81, 88), (11, 18)),
    ("reg_logistic", NanPolicy::Missing, (141, 148), (89, 100), (11, 18)),
    ("reg_logistic", NanPolicy::Reject, (151, 158), (96, 108), (11, 18)),
    ("regression", NanPolicy::Missing, (106, 106), (74, 80), (11, 18)),
    ("regression", NanPolicy::Reject, (116, 116), (81, 88), (11, 18)),
    ("squaredlog", NanPolicy::Missing, (106, 106), (74, 80), (11, 18)),
    ("squaredlog", NanPolicy::Reject, (116, 116), (81, 88), (11, 18)),
    ("tweedie", NanPolicy::Missing, (139, 146), (89, 100), (11, 18)),
    ("tweedie", NanPolicy::Reject, (149, 156), (96, 108), (11, 18)),
];

#[test]
fn every_fixture_model_reaches_everything_reachable() {
    let mut table = String::new();
    let mut failures = Vec::new();
    for name in common::xgboost_models() {
        let ens = load(&name);
        let vectors = generate(&ens, &VectorOptions::default());
        for policy in [NanPolicy::Missing, NanPolicy::Reject] {
            let files = emit(&ens, policy);
            let Some(r) = measure_or_skip(&files, &vectors.rows, &mcdc()) else {
                return;
            };
            let Some(m) = r.mcdc else {
                panic!("{name}: MC/DC asked for but not measured");
            };
            table.push_str(&format!(
                "    (\"{name}\", NanPolicy::{policy:?}, ({}, {}), ({}, {}), ({}, {})),\n",
                r.statement.covered,
                r.statement.total,
                r.branch.covered,
                r.branch.total,
                m.covered,
                m.total
            ));
            for u in &r.uncovered {
                let line = line_text(&files, u);
                if unreachable_reason(u, line, &ens, policy).is_none() {
                    failures.push(format!(
                        "{name} {policy:?}: {}:{} {} not covered but reachable: {} [{}]",
                        u.file,
                        u.line,
                        u.kind,
                        u.detail,
                        line.trim()
                    ));
                }
            }
            // The totals add up: covered + explained gaps == total.
            for (kind, ratio) in [
                ("statement", r.statement),
                ("branch", r.branch),
                ("condition", m),
            ] {
                let gaps = r.uncovered.iter().filter(|u| u.kind == kind).count() as u64;
                assert_eq!(
                    ratio.covered + gaps,
                    ratio.total,
                    "{name} {policy:?}: {kind} figures and uncovered list disagree"
                );
            }
            if let Some(e) = EXPECTED
                .iter()
                .find(|e| e.0 == name.as_str() && e.1 == policy)
            {
                let got = (
                    (r.statement.covered, r.statement.total),
                    (r.branch.covered, r.branch.total),
                    (m.covered, m.total),
                );
                if got != (e.2, e.3, e.4) {
                    failures.push(format!(
                        "{name} {policy:?}: figures {got:?}, expected {:?}",
                        (e.2, e.3, e.4)
                    ));
                }
            } else {
                failures.push(format!("{name} {policy:?}: no expected figures"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nmeasured figures:\n{table}",
        failures.join("\n")
    );
}

#[test]
fn one_vector_leaves_reachable_branches_uncovered() {
    let ens = load("regression");
    let files = emit(&ens, NanPolicy::Missing);
    let vectors = generate(&ens, &VectorOptions::default());
    let opts = CoverageOptions::default();
    let Some(full) = measure_or_skip(&files, &vectors.rows, &opts) else {
        return;
    };
    let Some(one) = measure_or_skip(&files, &vectors.rows[..1], &opts) else {
        return;
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
        assert_eq!(u.kind, "branch");
        let line = line_text(&files, u).trim();
        assert!(!line.is_empty());
        assert!(
            u.detail.ends_with(&format!("`{line}`")),
            "{u:?} does not quote model.c line {}: {line}",
            u.line
        );
        assert!(
            unreachable_reason(u, line, &ens, NanPolicy::Missing).is_none(),
            "{u:?} is reachable, yet explained away"
        );
    }
    // The leaf-reached outcome of the walk needs a row that ends in a
    // shallow leaf; the first vector alone does not.
    assert!(
        extra.iter().any(|u| line_text(&files, u)
            .contains("((flags & TIMBER_NODE_LEAF) != 0U) ? leaf[lane] : next")),
        "{extra:?}"
    );
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
