//! Warnings are evidence: certify compiles the generated C on every target
//! with the strict warning set (and clang -Weverything on the host), keeps
//! the record in build/warnings.json, and a single warning fails the
//! `build:<target>` row of every target whose compiler reports it, naming
//! the file, the line and the warning. `audit verify` re-derives the same
//! rows from the record, and a record whose flag set was weakened fails.

mod common;

use std::path::Path;

use timber::audit::layout;
use timber::audit::record::Status;
use timber::certify::{certify_planted, CertifyOptions};
use timber::check::catalogue;
use timber::codegen::GeneratedFile;
use timber::frontend::{load_model_bytes, FormatChoice};
use timber::profile;
use timber::verify::VerifyOptions;

const TARGETS: [&str; 2] = ["host", "cortex-m4f"];

fn options(out: &Path) -> CertifyOptions {
    let guidelines = catalogue::guidelines().expect("rule catalogue");
    let prof = profile::load("iso26262", &guidelines, &timber::verify::targets::names())
        .expect("profile")
        .resolve(Some("ASIL-A"))
        .expect("ASIL-A");
    assert_eq!(prof.requirements.targets, TARGETS);
    CertifyOptions {
        model: common::fixtures().join("xgboost/binary_nan.json"),
        format: FormatChoice::Auto,
        profile: prof,
        deviations: Vec::new(),
        recategorizations: Vec::new(),
        extra_targets: Vec::new(),
        qualification: None,
        review: None,
        oracle: None,
        seed: 1,
        random_rows: 16,
        layout: timber::codegen::c99::Layout::Auto,
        numeric: timber::codegen::c99::Numeric::Float,
        out: out.to_path_buf(),
        force: false,
        input_files: Vec::new(),
        verify: VerifyOptions {
            jobs: Some(2),
            ..Default::default()
        },
        stage: None,
    }
}

/// A double narrowed to float without a cast, appended to model.c: what
/// -Wconversion (gcc) and -Wimplicit-float-conversion (clang) report.
fn plant(files: &mut [GeneratedFile]) {
    let f = files
        .iter_mut()
        .find(|f| f.name == "model.c")
        .expect("model.c");
    f.contents.push_str(
        "float timber_planted(double d);\nfloat timber_planted(double d) { return d; }\n",
    );
}

#[test]
fn a_planted_warning_fails_the_build_row_of_every_target_naming_file_line_and_warning() {
    if common::targets_with_tools(&TARGETS).is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let clean = certify_planted(
        &options(&dir.path().join("clean")),
        &load_model_bytes,
        &|_| {},
    )
    .expect("certify");
    for t in TARGETS {
        let row = clean
            .certification
            .requirements
            .iter()
            .find(|r| r.id == format!("build:{t}"))
            .unwrap_or_else(|| panic!("no build:{t} row"));
        assert_eq!(row.status, Status::Pass, "{row:?}");
    }

    let out = dir.path().join("planted");
    let got = certify_planted(&options(&out), &load_model_bytes, &plant).expect("certify");
    assert_eq!(got.certification.verdict, Status::Fail);
    let model_c = std::fs::read_to_string(out.join("src/model.c")).expect("model.c");
    let line = model_c
        .lines()
        .position(|l| l.starts_with("float timber_planted(double d) {"))
        .expect("the planted line")
        + 1;
    for t in TARGETS {
        let row = got
            .certification
            .requirements
            .iter()
            .find(|r| r.id == format!("build:{t}"))
            .unwrap_or_else(|| panic!("no build:{t} row"));
        assert_eq!(row.status, Status::Fail, "{row:?}");
        assert!(
            row.measured.contains(&format!("model.c:{line}: "))
                && row.measured.contains("conversion"),
            "{t}: the row names neither the file and line nor the warning: {}",
            row.measured
        );
        assert!(!row.measured.contains("model_data.c"), "{}", row.measured);
    }
    // clang's -Weverything pass on the host reports it too.
    let host = got
        .certification
        .requirements
        .iter()
        .find(|r| r.id == "build:host")
        .expect("build:host");
    assert!(
        host.measured.contains("clang") && host.measured.contains("-Wimplicit-float-conversion"),
        "{}",
        host.measured
    );

    // audit verify re-derives the same rows from build/warnings.json.
    let mut files = common::bundle::read_tree(&out);
    let prof = options(&out).profile;
    let derived =
        timber::audit::requirements::derive(&prof, &files, "binary_nan.json").expect("derive");
    assert_eq!(derived.requirements, got.certification.requirements);

    // A record claiming the clean result under a weakened flag set fails.
    let clean_files = common::bundle::read_tree(&dir.path().join("clean"));
    let mut record: serde_json::Value =
        serde_json::from_slice(&clean_files[layout::WARNINGS]).expect("warnings.json");
    let m4f = record["builds"]
        .as_array_mut()
        .expect("builds")
        .iter_mut()
        .find(|b| b["target"] == "cortex-m4f")
        .expect("the cortex-m4f build");
    m4f["warning_flags"]
        .as_array_mut()
        .expect("flags")
        .retain(|f| f != "-Wconversion");
    files = clean_files.clone();
    files.insert(
        layout::WARNINGS.into(),
        serde_json::to_vec_pretty(&record).expect("json"),
    );
    let derived =
        timber::audit::requirements::derive(&prof, &files, "binary_nan.json").expect("derive");
    let row = derived
        .requirements
        .iter()
        .find(|r| r.id == "build:cortex-m4f")
        .expect("row");
    assert_eq!(row.status, Status::Fail, "{row:?}");
    assert!(
        row.measured.contains("lacks -Wconversion"),
        "{}",
        row.measured
    );
}
