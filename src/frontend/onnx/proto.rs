//! The ONNX protobuf messages, generated at build time by `build.rs` from
//! the vendored official `proto/onnx/onnx-ml.proto` (package `onnx`).
//! Nothing here is written by hand: decoding is prost's.

#![allow(clippy::all, missing_docs, rustdoc::all)]

include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
