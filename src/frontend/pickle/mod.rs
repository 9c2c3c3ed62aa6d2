//! A restricted pickle reader for scikit-learn models saved with `pickle`
//! or `joblib`.
//!
//! Python's unpickler imports and calls whatever the file names, so loading
//! an untrusted pickle runs its code. This reader never calls anything: it
//! builds plain data ([`value`]), accepts only the globals on an explicit
//! [`whitelist`], and refuses any other name at the byte where it appears,
//! before the rest of the file is looked at. The scikit-learn frontend then
//! interprets the recorded data.

pub mod ndarray;
pub mod value;
pub mod vm;
pub mod whitelist;

pub use value::{Heap, Obj, Value};
pub use vm::Loaded;
pub use whitelist::Global;

use std::io::Read;

/// Most bytes a compressed joblib file may expand to.
pub const MAX_DECOMPRESSED: u64 = 1 << 30;

/// Why a pickle was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PickleError {
    #[error(
        "byte {offset}: global `{module}.{name}` is not an allowed scikit-learn/numpy name; \
         refusing the file (unpickling it would import and may run `{module}.{name}`){hint}"
    )]
    ForbiddenGlobal {
        offset: usize,
        module: String,
        name: String,
        /// Empty, or why a scikit-learn name is not on the list.
        hint: String,
    },
    #[error("byte {offset}: {message}")]
    Malformed { offset: usize, message: String },
    #[error("{0}")]
    Container(String),
}

/// How a file wraps its pickle stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A plain pickle (also joblib's uncompressed files).
    Plain,
    /// joblib with zlib compression.
    Zlib,
    /// joblib with gzip compression.
    Gzip,
}

/// Does `bytes` start like a pickle of protocol 2 to 5, or a joblib file
/// compressed with zlib or gzip? (Used by format detection.)
pub fn sniff(bytes: &[u8]) -> Option<Container> {
    match bytes {
        [0x80, 2..=5, ..] => Some(Container::Plain),
        [0x78, b, ..] if (u16::from(0x78u8) << 8 | u16::from(*b)) % 31 == 0 => {
            Some(Container::Zlib)
        }
        [0x1f, 0x8b, ..] => Some(Container::Gzip),
        _ => None,
    }
}

/// Compression formats joblib can write that this reader refuses.
pub fn unsupported_compression(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"BZh") {
        Some("bz2")
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else if bytes.starts_with(&[0x5d, 0, 0]) {
        Some("lzma")
    } else if bytes.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        Some("lz4")
    } else {
        None
    }
}

/// Decompress (if needed) and read the pickle in `bytes`.
pub fn load(bytes: &[u8]) -> Result<Loaded, PickleError> {
    match sniff(bytes) {
        Some(Container::Plain) => vm::load(bytes),
        Some(c @ (Container::Zlib | Container::Gzip)) => {
            let raw = decompress(bytes, c)?;
            vm::load(&raw)
        }
        None => match unsupported_compression(bytes) {
            Some(kind) => Err(PickleError::Container(format!(
                "joblib file compressed with {kind}: only zlib and gzip compression are \
                 supported; re-save with joblib.dump(model, path, compress=('zlib', 3)) or uncompressed"
            ))),
            None => Err(PickleError::Container(
                "not a pickle of protocol 2 to 5 (save with protocol=4 or 5)".into(),
            )),
        },
    }
}

fn decompress(bytes: &[u8], c: Container) -> Result<Vec<u8>, PickleError> {
    let mut out = Vec::new();
    let reader: Box<dyn Read> = match c {
        Container::Zlib => Box::new(flate2::read::ZlibDecoder::new(bytes)),
        _ => Box::new(flate2::read::GzDecoder::new(bytes)),
    };
    reader
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|e| PickleError::Container(format!("decompressing the joblib file: {e}")))?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(PickleError::Container(format!(
            "the joblib file expands to more than {MAX_DECOMPRESSED} bytes"
        )));
    }
    Ok(out)
}
