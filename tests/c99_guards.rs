//! The build guards of the generated model.c stop a build that breaks the
//! numeric assumptions of use, with a message naming the broken condition:
//! `-ffast-math` (gcc, `__FAST_MATH__`) and float arithmetic evaluated in a
//! wider format (clang's `-ffp-eval-method=extended`, FLT_EVAL_METHOD 2).
//! The same file compiles cleanly with the qualified flags on both
//! compilers. A missing compiler is a notice, or a failure under CI.

use std::path::Path;
use std::process::Command;
use timber::frontend::{load_model, FormatChoice};

const MODEL: &str = "tests/fixtures/xgboost/binary_nan.json";

/// model.c and its headers, generated into `dir`.
fn generate(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ens = load_model(&root.join(MODEL), FormatChoice::Auto).expect("fixture loads");
    let files = timber::codegen::c99::emit_c99(&ens, &Default::default()).expect("emits");
    for f in files {
        std::fs::write(dir.join(&f.name), f.contents).expect("write");
    }
}

/// Compile model.c with `cc` and `flags`: Ok(()) or Err(stderr); None
/// when the compiler is missing (outside CI).
fn compile(dir: &Path, cc: &str, flags: &[&str]) -> Option<Result<(), String>> {
    let out = Command::new(cc)
        .current_dir(dir)
        .args(flags)
        .args([
            "-std=c99",
            "-ffp-contract=off",
            "-O2",
            "-c",
            "model.c",
            "-o",
            "model.o",
        ])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(Ok(())),
        Ok(o) => Some(Err(String::from_utf8_lossy(&o.stderr).into_owned())),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set and {cc} is missing: {e}"
            );
            eprintln!("NOTICE: {cc} not found ({e}); run scripts/install-toolchains.sh");
            None
        }
    }
}

#[test]
fn fast_math_stops_the_build_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(dir.path());
    for cc in ["cc", "clang-19"] {
        let Some(plain) = compile(dir.path(), cc, &[]) else {
            continue;
        };
        assert_eq!(plain, Ok(()), "{cc}: the qualified flags must build");
        let err = compile(dir.path(), cc, &["-ffast-math"])
            .expect("compiler present")
            .expect_err("-ffast-math must stop the build");
        assert!(
            err.contains("timber: built with -ffast-math (or -Ofast)"),
            "{cc}: {err}"
        );
    }
}

#[test]
fn excess_precision_stops_the_build_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(dir.path());
    let Some(err) = compile(dir.path(), "clang-19", &["-ffp-eval-method=extended"]) else {
        return;
    };
    let err = err.expect_err("FLT_EVAL_METHOD 2 must stop the build");
    assert!(
        err.contains(
            "timber: FLT_EVAL_METHOD is not 0, float arithmetic would run in a wider format"
        ),
        "{err}"
    );
    // Only that guard fires: float and double are still IEEE.
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}
