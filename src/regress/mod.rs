//! Regression runs for hardware-in-the-loop pipelines: did anything that
//! reaches the output bits change since the last accepted run?
//!
//! `verify` answers "does the generated C compute what the reference
//! evaluator computes today?". A release pipeline also needs "does it still
//! compute what we shipped last time?", because a retrained model, a new
//! generator or a new compiler can all move output bits while staying
//! self-consistent. Two tools answer it:
//!
//! - [`golden`]: a recorded set of input rows and the output bits accepted
//!   for them (the shape of an audit bundle's `verify/vectors.json`), read
//!   back and compared against the reference evaluator and every target;
//! - [`diff`]: what changed between two models (or bundles): header
//!   fields, trees, nodes, leaves, and the predictions they give.

pub mod diff;
pub mod golden;
pub mod timing;
