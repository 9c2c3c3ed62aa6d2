//! Reading a model file with a bound (issue 15, finding 3).
//!
//! Every frontend parses a model held whole in memory, so the read itself is
//! the first place an unbounded input would cost memory: `/dev/zero` never
//! ends, a FIFO may never deliver an end of file, and a mistaken path may
//! name a multi-gigabyte file. [`read_model_file`] accepts regular files
//! only (devices, FIFOs and sockets are refused by their metadata, before
//! they are opened) and at most [`max_input_bytes`] bytes: the documented
//! default [`DEFAULT_MAX_INPUT_BYTES`], raised for a run with the CLI's
//! `--max-input-bytes` (which calls [`set_max_input_bytes`]). The read is
//! bounded too (a file that grows while read is cut at the cap + 1 byte and
//! refused), so memory never exceeds the cap.

use super::FrontendError;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The default cap of one model file: 256 MiB, far above any tree ensemble
/// a microcontroller or gateway runs (the largest fixture is under 2 MiB).
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

static MAX_INPUT_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_INPUT_BYTES);

/// The cap [`read_model_file`] applies in this process.
pub fn max_input_bytes() -> u64 {
    MAX_INPUT_BYTES.load(Ordering::Relaxed)
}

/// Change the cap for the rest of this process (`--max-input-bytes`).
pub fn set_max_input_bytes(bytes: u64) {
    MAX_INPUT_BYTES.store(bytes, Ordering::Relaxed);
}

/// The default cap on the IR nodes one model may lower to: 2,097,152. A
/// model's node tables need at least about 12 bytes a node, so this is
/// beyond any microcontroller's flash (24 MiB); the cap bounds the work a
/// small file can cause by referring to one large tree many times (a
/// pickle's memo lets a 725 KB file list a 9,999-node tree 1,672 times).
pub const DEFAULT_MAX_MODEL_NODES: u64 = 1 << 21;

static MAX_MODEL_NODES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_MODEL_NODES);

/// The node cap frontends with shared references apply in this process.
pub fn max_model_nodes() -> u64 {
    MAX_MODEL_NODES.load(Ordering::Relaxed)
}

/// Change the node cap for the rest of this process (`--max-nodes`).
pub fn set_max_model_nodes(nodes: u64) {
    MAX_MODEL_NODES.store(nodes, Ordering::Relaxed);
}

/// Read the model file at `path`: a regular file of at most
/// [`max_input_bytes`] bytes, else an error naming the path (and the cap).
pub fn read_model_file(path: &Path) -> Result<Vec<u8>, FrontendError> {
    read_capped(path, max_input_bytes())
}

/// [`read_model_file`] with an explicit cap.
pub fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, FrontendError> {
    let io = |source| FrontendError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Metadata first: opening a FIFO for reading blocks until a writer
    // comes, so a special file is refused before it is opened.
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(FrontendError::NotAFile {
            path: path.to_path_buf(),
            what: "a directory",
        });
    }
    if !meta.is_file() {
        return Err(FrontendError::NotAFile {
            path: path.to_path_buf(),
            what: "a device, FIFO or socket (a model is read from a regular file)",
        });
    }
    if meta.len() > max {
        return Err(FrontendError::TooLarge {
            path: path.to_path_buf(),
            bytes: meta.len(),
            max,
        });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(FrontendError::TooLarge {
            path: path.to_path_buf(),
            bytes: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_cap_is_refused_naming_the_cap() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.json");
        std::fs::write(&p, vec![b' '; 101]).unwrap();
        assert_eq!(read_capped(&p, 101).unwrap().len(), 101);
        let err = read_capped(&p, 100).unwrap_err().to_string();
        assert!(err.contains("101 bytes") && err.contains("100"), "{err}");
        assert!(err.contains("--max-input-bytes"), "{err}");
    }

    #[test]
    fn a_directory_and_a_device_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let err = read_capped(d.path(), 100).unwrap_err().to_string();
        assert!(err.contains("is a directory"), "{err}");
        if Path::new("/dev/zero").exists() {
            let err = read_capped(Path::new("/dev/zero"), 100)
                .unwrap_err()
                .to_string();
            assert!(err.contains("/dev/zero") && err.contains("FIFO"), "{err}");
        }
    }
}
