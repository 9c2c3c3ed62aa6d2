//! Backends: turn a validated [`Ensemble`](crate::ir::Ensemble) into files:
//! [`c99`] (MISRA C sources) and [`wasm`] (a WebAssembly module and its
//! JavaScript loader).
//!
//! Every backend returns its files as [`GeneratedFile`]s, sorted by name,
//! with deterministic contents: the same IR and options give the same bytes.

pub mod c99;
pub mod wasm;

/// One emitted file: a relative file name and its full text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub name: String,
    pub contents: String,
}
