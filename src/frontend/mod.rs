//! Frontends: one file per model format, each lowering its format to the IR.
//!
//! A frontend reproduces its framework's arithmetic exactly or refuses the
//! model with an error naming the file and the field; it never approximates.
//! [`detect`] picks the format by content, not by file extension.

pub mod catboost;
pub mod detect;
pub mod lightgbm;
pub mod onnx;
pub mod pickle;
pub mod read;
pub mod registry;
pub mod sklearn;
pub mod threshold;
pub mod ubjson;
pub mod xgboost;

use crate::ir::Ensemble;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub use detect::{detect, Format};
pub use read::{read_model_file, DEFAULT_MAX_INPUT_BYTES};

/// A model file could not be read or lowered faithfully.
#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid in its container format (JSON, UBJSON).
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    /// A field is missing, malformed or has a value timber cannot reproduce
    /// exactly. `field` is a JSON-pointer-like path into the model.
    #[error("{path}: field `{field}`: {message}")]
    Field {
        path: PathBuf,
        field: String,
        message: String,
    },
    /// Not a regular file: a directory, device, FIFO or socket.
    #[error("{path}: is {what}; not reading it")]
    NotAFile { path: PathBuf, what: &'static str },
    /// Larger than the input cap ([`read::max_input_bytes`]).
    #[error(
        "{path}: {bytes} bytes exceed the input cap of {max} bytes; raise it with \
         --max-input-bytes if the model is really this large"
    )]
    TooLarge { path: PathBuf, bytes: u64, max: u64 },
    /// The content matches no supported format.
    #[error("{path}: not a model timber can read; tried: {tried}")]
    UnknownFormat { path: PathBuf, tried: String },
    /// The lowered model failed IR validation.
    #[error("{path}: {source}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: crate::ir::ValidationError,
    },
}

/// Which format to read a model as: `auto` (by content) or one of
/// [`Format`]'s values, the choices `--format` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// Detect from the file's content.
    Auto,
    /// Read as this format, whatever the content looks like.
    Is(Format),
}

impl clap::ValueEnum for FormatChoice {
    fn value_variants<'a>() -> &'a [Self] {
        static CHOICES: std::sync::LazyLock<Vec<FormatChoice>> = std::sync::LazyLock::new(|| {
            std::iter::once(FormatChoice::Auto)
                .chain(registry::FORMATS.iter().map(|s| FormatChoice::Is(s.format)))
                .collect()
        });
        &CHOICES
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        match self {
            FormatChoice::Auto => Some(
                clap::builder::PossibleValue::new("auto").help("Detect from the file's content"),
            ),
            FormatChoice::Is(f) => f.to_possible_value(),
        }
    }
}

/// sha256 of bytes as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Read, lower and validate a model file.
pub fn load_model(path: &Path, choice: FormatChoice) -> Result<Ensemble, FrontendError> {
    let bytes = read_model_file(path)?;
    load_model_bytes(path, &bytes, choice)
}

/// Lower and validate a model already in memory; `path` is used in messages.
pub fn load_model_bytes(
    path: &Path,
    bytes: &[u8],
    choice: FormatChoice,
) -> Result<Ensemble, FrontendError> {
    let format = match choice {
        FormatChoice::Auto => detect(path, bytes)?,
        FormatChoice::Is(format) => format,
    };
    let ens = (format.spec().lower)(path, bytes)?;
    crate::ir::validate(&ens).map_err(|source| FrontendError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(ens)
}
