//! Toolchain identity (`toolchain.json`): everything besides the model and
//! the options that could change a bundle's evidence — timber's version and
//! binary hash, the hashes of the embedded templates, rule catalogue,
//! profile and target definitions, and the version line of every compiler,
//! emulator and coverage tool that ran. An assessor compares this file
//! against the qualified configuration.

use serde::Serialize;
use std::collections::BTreeMap;

use crate::frontend::sha256_hex;

/// One external tool and what it reported of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolIdentity {
    /// What the tool did, e.g. `compiler for cortex-m4f`.
    pub role: String,
    /// The command name, e.g. `arm-none-eabi-gcc`.
    pub command: String,
    /// First line of its `--version`.
    pub version: String,
}

/// The whole toolchain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toolchain {
    pub schema_version: u32,
    pub timber_version: String,
    /// sha256 of the running timber executable.
    pub timber_binary_sha256: Option<String>,
    /// The git commit the binary was built from, or `unknown`
    /// ([`crate::version::SOURCE_COMMIT`]).
    pub timber_source_commit: String,
    /// `clean`, `dirty` or `unknown` ([`crate::version::SOURCE_STATE`]).
    pub timber_source_state: String,
    /// Embedded inputs of the generator and checker: bundle-relative names
    /// (`templates/c99/model.c.j2`, `rules/guidelines.toml`, ...) -> sha256.
    pub embedded: BTreeMap<String, String>,
    /// External tools, sorted by role.
    pub tools: Vec<ToolIdentity>,
}

/// Hashes of every file embedded in the binary that shapes the evidence.
pub fn embedded_hashes(profile_origin: &str, profile_sha256: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, text) in crate::codegen::c99::TEMPLATES {
        out.insert(
            format!("templates/c99/{name}.j2"),
            sha256_hex(text.as_bytes()),
        );
    }
    out.insert(
        "rules/guidelines.toml".into(),
        sha256_hex(crate::check::catalogue::GUIDELINES_TOML.as_bytes()),
    );
    out.insert(
        super::review::SHIPPED_PATH.into(),
        sha256_hex(super::review::SHIPPED.as_bytes()),
    );
    for (name, text) in crate::verify::targets::EMBEDDED {
        out.insert(format!("qemu/targets/{name}"), sha256_hex(text.as_bytes()));
    }
    out.insert(
        "qemu/harness.c".into(),
        sha256_hex(crate::verify::targets::HARNESS_C.as_bytes()),
    );
    let key = if profile_origin == "builtin" {
        "profile (built-in)".to_string()
    } else {
        format!("profile {profile_origin}")
    };
    out.insert(key, profile_sha256.to_string());
    out
}

/// sha256 of the running executable, when it can be read.
pub fn current_binary_sha256() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let bytes = std::fs::read(exe).ok()?;
    Some(sha256_hex(&bytes))
}
