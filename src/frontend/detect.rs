//! Format detection by content. The extension is never trusted: a `.json`
//! file holding UBJSON, or a model renamed to `.bin`, is still recognised.
//! The signatures live in [`super::registry::FORMATS`].

use super::registry::{tried, FORMATS};
use super::FrontendError;
use std::path::Path;

pub use super::registry::Format;

/// Decide the format of `bytes`; `path` is only used in the error message.
pub fn detect(path: &Path, bytes: &[u8]) -> Result<Format, FrontendError> {
    FORMATS
        .iter()
        .find(|spec| (spec.sniff)(bytes))
        .map(|spec| spec.format)
        .ok_or_else(|| FrontendError::UnknownFormat {
            path: path.to_path_buf(),
            tried: tried(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_ubj_and_unknown() {
        let p = Path::new("m");
        assert_eq!(
            detect(p, b" {\"learner\": {}}").unwrap(),
            Format::XgboostJson
        );
        assert_eq!(
            detect(p, b"{L\x00\x00\x00\x00\x00\x00\x00\x07learner{}}").unwrap(),
            Format::XgboostUbj
        );
        assert_eq!(
            detect(p, b"tree\nversion=v4\nnum_class=1\n").unwrap(),
            Format::LightgbmText
        );
        assert_eq!(
            detect(p, b"{\n \"features_info\": {}, \"oblivious_trees\": []}").unwrap(),
            Format::CatboostJson
        );
        assert_eq!(
            detect(p, b"tree\r\nversion=v3\r\n").unwrap(),
            Format::LightgbmText
        );
        // A JSON object that names `learner` only inside a longer key is
        // no UBJSON (whose brace is never followed by a quote).
        assert!(detect(p, b"{\"learners\": 1}").is_err());
        for pickle in [
            &b"\x80\x04\x95"[..],
            b"\x80\x02c",
            b"\x78\x9c",
            b"\x1f\x8b\x08",
        ] {
            assert_eq!(detect(p, pickle).unwrap(), Format::SklearnPickle);
        }
        for bad in [
            &b"tree\nTree=0\nversion=v4"[..],
            b"trees\nversion=v4",
            b"version=v4",
            b"\x80\x01(",
            b"\x78\x00",
        ] {
            let err = detect(p, bad).unwrap_err().to_string();
            assert!(
                err.contains("tried: xgboost-json")
                    && err.contains("xgboost-ubj")
                    && err.contains("lightgbm-text")
                    && err.contains("catboost-json")
                    && err.contains("sklearn-pickle")
                    && err.contains("onnx"),
                "{err}"
            );
        }
    }
}
