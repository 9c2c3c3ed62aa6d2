//! Backends: turn a validated [`Ensemble`](crate::ir::Ensemble) into files.
//!
//! Every backend returns its files as [`GeneratedFile`]s, sorted by name,
//! with deterministic contents: the same IR and options give the same bytes.

pub mod c99;

/// One emitted file: a relative file name and its full text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub name: String,
    pub contents: String,
}
