//! Performance guard for `timber check` on a large generated-style file.
//! Run with `cargo test --release --test check_perf -- --ignored`; in a
//! release build tree-sitter parses this 4 MB file in about 0.4-0.6 s and
//! all rules together take about 2-3 s.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use timber::check::{self, source};

fn big_source(bytes: usize) -> String {
    let mut s = String::from("typedef float float32_t;\n");
    let mut i = 0u32;
    while s.len() < bytes {
        let _ = writeln!(
            s,
            "static float32_t tree_{i}(const float32_t *x)\n{{\n    float32_t r = 0.0F;"
        );
        for d in 0..64u32 {
            let _ = writeln!(
                s,
                "    if (x[{}U] < {}.5F) {{\n        r = r + {}.25F;\n    }} else {{\n        r = r - 1.0F;\n    }}",
                d % 13,
                d,
                i % 7
            );
        }
        let _ = writeln!(s, "    return r;\n}}\n");
        i += 1;
    }
    s
}

#[test]
#[ignore = "timing: run in release"]
fn four_megabytes_are_checked_quickly() {
    let src = big_source(4 * 1024 * 1024);
    let start = Instant::now();
    let parsed = source::parse("big.c".into(), src.clone()).expect("parse");
    let parse_time = start.elapsed();
    drop(parsed);
    println!("parsed 4 MB in {parse_time:?}");
    assert!(
        parse_time < Duration::from_secs(1),
        "parsing took {parse_time:?}"
    );
    let start = Instant::now();
    let report = check::check_sources(vec![("big.c".into(), src)], &check::Config::default())
        .expect("check runs");
    let took = start.elapsed();
    println!("checked 4 MB in {took:?}");
    assert!(report.findings.is_empty(), "{:?}", report.findings.first());
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
