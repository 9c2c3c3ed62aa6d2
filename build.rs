//! Build script: Rust types for the vendored ONNX schema.
//!
//! `proto/onnx/onnx-ml.proto` (the official file, unchanged) is compiled by
//! `protox`, a protobuf compiler written in Rust, into a descriptor set that
//! `prost-build` turns into Rust code in `OUT_DIR`. No `protoc` binary and
//! no network are needed, so a fresh clone builds from crates.io alone.
//!
//! It also records which source the binary was built from, for the audit
//! bundle (`toolchain.json`): `TIMBER_SOURCE_COMMIT` (the git commit, or
//! `unknown` outside a git checkout, e.g. built from a crate tarball) and
//! `TIMBER_SOURCE_STATE` (`clean`, `dirty` when a tracked or untracked file
//! the binary is built from differs from the commit, or `unknown`). Both are the same for the same
//! checkout: no time, no path.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/onnx/onnx-ml.proto";
    println!("cargo:rerun-if-changed={proto}");
    println!("cargo:rerun-if-changed=build.rs");
    source_identity();
    let descriptors = protox::compile([proto], ["proto/onnx"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}

/// `git` in the crate's directory: its trimmed stdout when it succeeds.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What the binary is built from: `dirty` means one of these differs from
/// the commit (tracked changes or untracked files).
const SOURCES: [&str; 8] = [
    "src",
    "templates",
    "rules",
    "qemu",
    "proto",
    "build.rs",
    "Cargo.toml",
    "Cargo.lock",
];

fn source_identity() {
    let commit = git(&["rev-parse", "--verify", "HEAD"]).filter(|c| c.len() == 40);
    let state = match &commit {
        None => "unknown",
        Some(_) => match git(&[&["status", "--porcelain", "--"][..], &SOURCES[..]].concat()) {
            Some(s) if s.is_empty() => "clean",
            Some(_) => "dirty",
            None => "unknown",
        },
    };
    println!(
        "cargo:rustc-env=TIMBER_SOURCE_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
    println!("cargo:rustc-env=TIMBER_SOURCE_STATE={state}");
    // Rerun when the commit or the sources change (so the dirty flag
    // follows edits), not on every build.
    for dir in [
        "src",
        "templates",
        "rules",
        "qemu",
        "proto",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={dir}");
    }
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
    }
    if let Some(common) = git(&["rev-parse", "--git-common-dir"]) {
        let common = std::path::Path::new(&common);
        let common = if common.is_absolute() {
            common.to_path_buf()
        } else {
            std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default())
                .join(common)
        };
        // (only paths that exist: a missing one would rerun every build)
        for p in ["refs/heads", "packed-refs"] {
            let p = common.join(p);
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
}
