//! Errors of the audit bundle layer. Every variant names the file or
//! directory it is about.

use std::path::PathBuf;

/// Something stopped a bundle from being built, written or verified at all.
///
/// Tampering is not an error: `verify_bundle` reports it as problems in an
/// [`super::verify::AuditReport`]. An `AuditError` means the question could
/// not be asked (not a bundle, unreadable directory, model unreadable).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The path is not an audit bundle (missing, not a directory, or holds
    /// neither manifest.json nor certification.json).
    #[error("{path}: not an audit bundle: {reason}")]
    NotABundle { path: PathBuf, reason: String },
    /// Bundles hold regular files only: a symlink could point anywhere.
    #[error("{path}: is a symbolic link; an audit bundle holds regular files only")]
    Symlink { path: PathBuf },
    /// Sockets, devices, FIFOs.
    #[error("{path}: not a regular file or directory")]
    NotRegular { path: PathBuf },
    /// Bundle paths are UTF-8 so the manifest can name them exactly.
    #[error("{path}: file name is not UTF-8")]
    NonUtf8Name { path: PathBuf },
    /// A JSON file could not be read as what it should be.
    #[error("{path}: {message}")]
    Json { path: PathBuf, message: String },
    /// A key or signature envelope could not be read.
    #[error(transparent)]
    Sign(#[from] super::sign::SignError),
    /// The model given to `verify --model` could not be loaded.
    #[error(transparent)]
    Model(#[from] crate::frontend::FrontendError),
    /// The C99 backend refused the model while regenerating.
    #[error("{path}: regenerating the C sources: {source}")]
    Codegen {
        path: PathBuf,
        #[source]
        source: crate::codegen::c99::CodegenError,
    },
}

impl AuditError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> AuditError {
        AuditError::Io {
            path: path.into(),
            source,
        }
    }
}
