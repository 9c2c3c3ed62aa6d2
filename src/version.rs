//! The generator's identity, written into generated files and the audit.

/// timber's version, from Cargo.toml.
pub const TIMBER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit timber was built from (build.rs), or `unknown` when it
/// was built outside a git checkout (e.g. from a crate tarball).
pub const SOURCE_COMMIT: &str = env!("TIMBER_SOURCE_COMMIT");

/// `clean` when the checkout matched that commit at build time, `dirty`
/// when files differed, `unknown` outside a git checkout.
pub const SOURCE_STATE: &str = env!("TIMBER_SOURCE_STATE");

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded identity has its documented form, and inside a git
    /// checkout it is the checkout's commit.
    #[test]
    fn source_identity_is_the_checkout_or_unknown() {
        assert!(
            SOURCE_COMMIT == "unknown"
                || (SOURCE_COMMIT.len() == 40
                    && SOURCE_COMMIT.bytes().all(|b| b.is_ascii_hexdigit())),
            "{SOURCE_COMMIT}"
        );
        assert!(
            ["clean", "dirty", "unknown"].contains(&SOURCE_STATE),
            "{SOURCE_STATE}"
        );
        assert_eq!(SOURCE_COMMIT == "unknown", SOURCE_STATE == "unknown");
        let head = std::process::Command::new("git")
            .args(["rev-parse", "--verify", "HEAD"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success());
        if let Some(out) = head {
            assert_eq!(SOURCE_COMMIT, String::from_utf8_lossy(&out.stdout).trim());
        }
    }
}
