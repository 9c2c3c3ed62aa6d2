//! The checker's work grows linearly (or n log n) with the input, however
//! deeply expressions and statements nest, and deep nesting cannot exhaust
//! the stack. Each shape is checked at about 10 KB and at eight times that;
//! the report's work counter (parent and ancestor lookups, subtree nodes
//! visited) must grow by no more than a linear factor with a little
//! headroom. A quadratic rule grows 64-fold here and fails.
//!
//! Times are measured by `scripts/bench-check.sh`, not here.

use timber::check::{self, Config, Report};

fn run(src: String) -> Report {
    check::check_sources(vec![("shape.c".into(), src)], &Config::default()).expect("check runs")
}

fn rep(s: &str, n: usize) -> String {
    s.repeat(n)
}

/// Shapes that used to cost quadratic or cubic time (issue 15, finding 5),
/// as (name, source built for a nesting count n, n for about 10 KB).
#[allow(clippy::type_complexity)]
fn shapes() -> Vec<(&'static str, Box<dyn Fn(usize) -> String>, usize)> {
    vec![
        (
            "casts",
            Box::new(|n| format!("int f(int x){{ return {}x; }}\n", rep("(int)", n))),
            2000,
        ),
        (
            "subscripts",
            Box::new(|n| format!("int f(int *a){{ return a{}; }}\n", rep("[2]", n))),
            3300,
        ),
        (
            "unary minus",
            Box::new(|n| format!("int f(int x){{ return {}x; }}\n", rep("- ", n))),
            5000,
        ),
        (
            "negated parentheses",
            Box::new(|n| {
                format!(
                    "int f(int x){{ return {}x{}; }}\n",
                    rep("-(", n),
                    rep(")", n)
                )
            }),
            3300,
        ),
        (
            "dereferences",
            Box::new(|n| format!("int f(int *x){{ return {}x; }}\n", rep("*", n))),
            10000,
        ),
        (
            "products",
            Box::new(|n| format!("int f(int x){{ return x{}; }}\n", rep(" * x", n))),
            2500,
        ),
        (
            "right-nested &&",
            Box::new(|n| {
                format!(
                    "int f(int x){{ return {}x{}; }}\n",
                    rep("x && (", n),
                    rep(")", n)
                )
            }),
            1500,
        ),
        (
            "conditionals",
            Box::new(|n| {
                format!(
                    "int f(int x){{ return {}x{}; }}\n",
                    rep("(x ? ", n),
                    rep(" : x)", n)
                )
            }),
            1500,
        ),
        (
            "sizeof",
            Box::new(|n| format!("int f(int x){{ return (int){}x; }}\n", rep("sizeof ", n))),
            1400,
        ),
        (
            "increments in subscripts",
            Box::new(|n| format!("int f(int *a, int i){{ return a{}; }}\n", rep("[i++]", n))),
            2000,
        ),
        (
            "chained assignments",
            Box::new(|n| format!("void f(int x){{ int y; y = {}1; }}\n", rep("x = ", n))),
            2500,
        ),
        (
            "nested ifs",
            Box::new(|n| {
                format!(
                    "void f(int x){{ {}x++;{} }}\n",
                    rep("if (x) {", n),
                    rep("}", n)
                )
            }),
            1000,
        ),
        (
            "nested loops with one counter",
            Box::new(|n| {
                format!(
                    "void f(int x){{ int i; {}x++;{} }}\n",
                    rep("for (i = 0; i < 9; i++) { x++; ", n),
                    rep("}", n)
                )
            }),
            300,
        ),
        (
            "nested blocks",
            Box::new(|n| format!("void f(int x){{ {}x++;{} }}\n", rep("{ ", n), rep(" }", n))),
            5000,
        ),
        (
            "nested calls",
            Box::new(|n| {
                format!(
                    "int g(int x);\nint f(int x){{ return {}x{}; }}\n",
                    rep("g(", n),
                    rep(")", n)
                )
            }),
            3000,
        ),
        (
            "nested #if",
            Box::new(|n| format!("{}int x;\n{}", rep("#if 1\n", n), rep("#endif\n", n))),
            1500,
        ),
        (
            "array dimensions with an initializer",
            Box::new(|n| {
                format!(
                    "int a{} = {}0{};\n",
                    rep("[1]", n),
                    rep("{", n),
                    rep("}", n)
                )
            }),
            2000,
        ),
    ]
}

#[test]
fn work_grows_linearly_with_nesting() {
    let mut failures = Vec::new();
    for (name, make, n) in shapes() {
        let small = make(n);
        let large = make(8 * n);
        let w1 = run(small.clone()).work.max(1);
        let w8 = run(large.clone()).work;
        // Linear is 8x; allow 10x (binary searches, fixed per-file work).
        let ratio = w8 as f64 / w1 as f64;
        println!(
            "{name}: {} B -> work {w1}; {} B -> work {w8} ({ratio:.1}x)",
            small.len(),
            large.len()
        );
        if ratio > 10.0 {
            failures.push(format!("{name}: work grew {ratio:.1}x for 8x input"));
        }
        // And bounded by the input: a few steps per byte.
        if w8 > 64 * large.len() as u64 {
            failures.push(format!(
                "{name}: {w8} steps for {} bytes of input",
                large.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn deep_nesting_does_not_exhaust_the_stack() {
    // 200,000 levels: far beyond any stack frame budget if any rule recursed.
    let n = 200_000;
    let shapes = [
        format!("int f(int *x){{ return {}x; }}\n", "*".repeat(n)),
        format!("int f(int x){{ return {}x; }}\n", "(int)".repeat(n / 5)),
        format!(
            "int f(int x){{ return {}x{}; }}\n",
            "-(".repeat(n / 2),
            ")".repeat(n / 2)
        ),
        format!("int f(int x){{ return {}x; }}\n", "!".repeat(n)),
    ];
    for src in shapes {
        let report = run(src);
        assert_eq!(report.files, vec!["shape.c".to_string()]);
    }
}

#[test]
fn a_violation_deep_inside_is_still_found() {
    // The fast paths must not lose findings: 13.5 (a side effect in the
    // right operand of &&) at the bottom of 5,000 nested operands.
    let n = 5000;
    let src = format!(
        "int f(int x){{ int y = 0; return {}(y++ > 0){}; }}\n",
        "x && (".repeat(n),
        ")".repeat(n)
    );
    let report = run(src);
    let hits: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "13.5")
        .collect();
    assert_eq!(hits.len(), 1, "{hits:?}");
    // And a loop counter modified inside nested loops (14.2): each of the 99
    // inner loops' `i = 0` and `i++` and the innermost statement, each once.
    let src = format!(
        "void f(int x){{ int i; {}i++;{} }}\n",
        "for (i = 0; i < 9; i++) { x++; ".repeat(100),
        "}".repeat(100)
    );
    let report = run(src);
    let hits = report
        .findings
        .iter()
        .filter(|f| f.rule == "14.2" && f.message.contains("modified in the loop body"))
        .count();
    assert_eq!(hits, 199);
}
