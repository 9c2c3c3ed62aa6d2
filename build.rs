//! Build script: Rust types for the vendored ONNX schema.
//!
//! `proto/onnx/onnx-ml.proto` (the official file, unchanged) is compiled by
//! `protox`, a protobuf compiler written in Rust, into a descriptor set that
//! `prost-build` turns into Rust code in `OUT_DIR`. No `protoc` binary and
//! no network are needed, so a fresh clone builds from crates.io alone.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/onnx/onnx-ml.proto";
    println!("cargo:rerun-if-changed={proto}");
    println!("cargo:rerun-if-changed=build.rs");
    let descriptors = protox::compile([proto], ["proto/onnx"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
