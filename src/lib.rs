//! timber: compile trained tree ensembles into MISRA C:2012-constrained C99
//! that is bit-identical across targets, and produce the evidence for it.
//!
//! The pipeline runs one way (see docs/architecture.md):
//! `frontend` (per format) -> `ir` (types, validate, eval) -> `codegen`
//! (C99) -> `check` (MISRA rules, reads C text only) -> `verify` (host and
//! QEMU targets) -> `audit` (bundle). The CLI in `cli` only parses arguments
//! and maps results to exit codes.

pub mod audit;
pub mod certify;
pub mod check;
pub mod codegen;
pub mod coverage;
pub mod fleet;
pub mod frontend;
pub mod ir;
pub mod profile;
pub mod qualify;
pub mod regress;
pub mod serve;
pub mod store;
pub mod verify;
pub mod version;

pub use ir::Ensemble;
