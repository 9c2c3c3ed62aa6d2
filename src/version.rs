//! The generator's identity, written into generated files and the audit.

/// timber's version, from Cargo.toml.
pub const TIMBER_VERSION: &str = env!("CARGO_PKG_VERSION");
