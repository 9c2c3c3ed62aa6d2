//! `timber check -I DIR`: headers the checked files include are read for
//! their declarations, so the essential type rules see typedefs declared
//! there; a header that cannot be found is listed, never silently ignored.

use std::path::PathBuf;

use timber::check::{check_files, Config};

fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
    std::fs::write(&p, text).expect("write");
    p
}

const SOURCE: &str = "#include <stdint.h>\n#include \"types/real.h\"\n\nint32_t round_half(real_t kf);\n\nint32_t round_half(real_t kf)\n{\n    return (int32_t)(kf + 0.5f);\n}\n";

const HEADER: &str = "#ifndef REAL_H\n#define REAL_H\ntypedef float base_float_t;\ntypedef base_float_t real_t;\n#endif\n";

fn lines_of(report: &timber::check::Report, rule: &str) -> Vec<usize> {
    report
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.line)
        .collect()
}

#[test]
fn a_typedef_from_a_header_under_an_include_directory_is_resolved() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = write(tmp.path(), "src/model.c", SOURCE);
    write(tmp.path(), "inc/types/real.h", HEADER);

    // Without -I the header is not found: listed, and kf stays untyped.
    let report = check_files(std::slice::from_ref(&src), &Config::default()).expect("check");
    assert_eq!(lines_of(&report, "10.8"), Vec::<usize>::new());
    assert_eq!(
        report.unresolved_includes.len(),
        1,
        "{:?}",
        report.unresolved_includes
    );
    assert_eq!(report.unresolved_includes[0].header, "types/real.h");
    assert_eq!(report.unresolved_includes[0].line, 2);

    // With -I the chain real_t -> base_float_t -> float is followed.
    let config = Config {
        include_dirs: vec![tmp.path().join("inc")],
        ..Config::default()
    };
    let report = check_files(std::slice::from_ref(&src), &config).expect("check");
    assert_eq!(lines_of(&report, "10.8"), vec![8]);
    assert!(
        report.unresolved_includes.is_empty(),
        "{:?}",
        report.unresolved_includes
    );
    assert_eq!(report.headers_read.len(), 1, "{:?}", report.headers_read);
    // The header is read, not checked: no finding names it.
    assert!(report.findings.iter().all(|f| f.file.ends_with("model.c")));
}

#[test]
fn a_quoted_include_is_found_next_to_the_including_file_first() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = write(
        tmp.path(),
        "m.c",
        "#include <stdint.h>\n#include \"narrow.h\"\n\nint16_t cut(int32_t a);\n\nint16_t cut(int32_t a)\n{\n    count16_t s = a;\n    return s;\n}\n",
    );
    write(
        tmp.path(),
        "narrow.h",
        "#include <stdint.h>\ntypedef int16_t count16_t;\n",
    );
    let report = check_files(std::slice::from_ref(&src), &Config::default()).expect("check");
    assert_eq!(lines_of(&report, "10.3"), vec![8]);
    assert!(report.unresolved_includes.is_empty());
}

#[test]
fn include_cycles_end() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = write(tmp.path(), "a.c", "#include \"b.h\"\n");
    write(tmp.path(), "b.h", "#include \"c.h\"\n#include \"b.h\"\n");
    write(tmp.path(), "c.h", "#include \"b.h\"\n");
    let report = check_files(std::slice::from_ref(&src), &Config::default()).expect("check");
    assert_eq!(report.headers_read.len(), 2, "{:?}", report.headers_read);
}

#[test]
fn include_directives_are_read_in_both_forms() {
    let d = timber::check::includes::directives(
        "#include \"a.h\"\n  #  include <stdint.h>\n#define X 1\n#include MACRO\n",
    );
    assert_eq!(
        d,
        vec![
            (1, "a.h".to_string(), true),
            (2, "stdint.h".to_string(), false)
        ]
    );
}
