//! The audit bundle: the evidence `timber certify` leaves behind and
//! `timber audit verify` re-checks.
//!
//! A bundle is a directory with a fixed layout ([`layout`]), a record of the
//! certification ([`record::Certification`]) and a sha256 manifest over every
//! other file. Everything in it is derived deterministically from the model,
//! the profile and the toolchain: no wall-clock time (unless
//! SOURCE_DATE_EPOCH is set), no absolute paths, sorted keys.

pub mod assumptions;
pub mod consistency;
pub mod error;
pub mod junit;
pub mod layout;
pub mod manifest;
pub mod merge;
pub mod misra;
pub mod object_coverage;
pub mod ordered_json;
pub mod outdir;
pub mod outputs;
pub mod provenance;
pub mod record;
pub mod report;
pub mod requirements;
pub mod review;
pub mod seal;
pub mod sign;
pub mod timing;
pub mod toolchain;
pub mod traceability;
pub mod verify;
pub mod warnings;
pub use error::AuditError;
