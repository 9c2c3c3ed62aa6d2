//! Format detection by content. The extension is never trusted: a `.json`
//! file holding UBJSON, or a model renamed to `.bin`, is still recognised.

use super::FrontendError;
use std::path::Path;

/// A model format timber can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    XgboostJson,
    XgboostUbj,
    LightgbmText,
    CatboostJson,
    SklearnPickle,
    Onnx,
}

impl Format {
    /// Stable identifier, recorded in the IR and the audit.
    pub fn id(self) -> &'static str {
        match self {
            Format::XgboostJson => "xgboost-json",
            Format::XgboostUbj => "xgboost-ubj",
            Format::LightgbmText => "lightgbm-text",
            Format::CatboostJson => "catboost-json",
            Format::SklearnPickle => "sklearn-pickle",
            Format::Onnx => "onnx",
        }
    }
}

const TRIED: &str = "xgboost-json (a JSON object with a `learner` member), \
xgboost-ubj (a UBJSON object with a `learner` member), \
lightgbm-text (a text model starting with a `tree` line, then `version=`), \
catboost-json (a JSON object with `oblivious_trees` and `features_info` members), \
sklearn-pickle (a pickle of protocol 2 to 5 starting with 0x80, or a joblib file \
compressed with zlib, gzip, bz2, lzma, xz or lz4), \
onnx (an ONNX protobuf ModelProto whose graph has an ai.onnx.ml node)";

/// Decide the format of `bytes`; `path` is only used in the error message.
pub fn detect(path: &Path, bytes: &[u8]) -> Result<Format, FrontendError> {
    let trimmed = trim_ascii_start(bytes);
    // Both XGBoost encodings start with an object; JSON's opening brace is
    // followed by whitespace or a quote, UBJSON's by a length marker.
    if trimmed.first() == Some(&b'{') {
        if looks_like_json_object(trimmed) && contains(trimmed, b"\"learner\"") {
            return Ok(Format::XgboostJson);
        }
        if looks_like_json_object(trimmed)
            && contains(trimmed, b"\"oblivious_trees\"")
            && contains(trimmed, b"\"features_info\"")
        {
            return Ok(Format::CatboostJson);
        }
        if bytes.first() == Some(&b'{') && contains(bytes, b"learner") {
            return Ok(Format::XgboostUbj);
        }
    }
    if looks_like_lightgbm_text(bytes) {
        return Ok(Format::LightgbmText);
    }
    // Compressed joblib files are claimed too, so that the reader can say
    // which compressions it supports.
    if super::pickle::sniff(bytes).is_some()
        || super::pickle::unsupported_compression(bytes).is_some()
    {
        return Ok(Format::SklearnPickle);
    }
    // Last: a protobuf has no magic number, so only a successful decode
    // with a tree-ensemble node tells.
    if super::onnx::looks_like_onnx(bytes) {
        return Ok(Format::Onnx);
    }
    Err(FrontendError::UnknownFormat {
        path: path.to_path_buf(),
        tried: TRIED.to_string(),
    })
}

/// LightGBM's text model: a first line `tree`, then header lines of which
/// one starts with `version=`, before the first `Tree=` block.
fn looks_like_lightgbm_text(bytes: &[u8]) -> bool {
    let Some(rest) = bytes
        .strip_prefix(b"tree\n")
        .or_else(|| bytes.strip_prefix(b"tree\r\n"))
    else {
        return false;
    };
    rest.split(|&c| c == b'\n')
        .take(64)
        .take_while(|l| !l.starts_with(b"Tree="))
        .any(|l| l.starts_with(b"version="))
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn looks_like_json_object(b: &[u8]) -> bool {
    let rest = trim_ascii_start(&b[1..]);
    matches!(rest.first(), Some(b'"') | Some(b'}'))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
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
