//! The one table of model formats. Detection, the "tried" message, the
//! `--format` choices, loading and the store's file name are all read from
//! [`FORMATS`]; adding a format is its frontend file, one [`Format`] variant
//! and one row here.

use super::{catboost, lightgbm, onnx, pickle, sklearn, xgboost, FrontendError};
use crate::ir::Ensemble;
use std::path::Path;

/// A model format timber can read. The clap value name (`xgboost-json`, ...)
/// is the format's stable identifier, recorded in the IR and the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Format {
    /// XGBoost JSON (`Booster.save_model("m.json")`).
    XgboostJson,
    /// XGBoost Universal Binary JSON (`Booster.save_model("m.ubj")`).
    XgboostUbj,
    /// LightGBM text model (`Booster.save_model("m.txt")`).
    LightgbmText,
    /// CatBoost JSON (`model.save_model("m.json", format="json")`).
    CatboostJson,
    /// scikit-learn estimator saved with `pickle.dump` (protocol 2-5) or
    /// `joblib.dump` (uncompressed, zlib or gzip); read without running it.
    SklearnPickle,
    /// ONNX-ML tree ensemble (skl2onnx, onnxmltools).
    Onnx,
}

/// How one format is recognised, read and stored.
pub struct FormatSpec {
    pub format: Format,
    /// Stable identifier (equal to the clap value name of `format`).
    pub id: &'static str,
    /// What detection looks for, in words, for the "tried" message.
    pub recognised_by: &'static str,
    /// Does `bytes` look like this format? The first row whose sniff
    /// matches wins (a CatBoost JSON with a feature named `learner` is still
    /// tried as XGBoost JSON first, as it always was).
    pub sniff: fn(&[u8]) -> bool,
    /// Lower to the IR (validation is the caller's).
    pub lower: fn(&Path, &[u8]) -> Result<Ensemble, FrontendError>,
    /// File extension (without the dot) to store these bytes under.
    pub extension: fn(&[u8]) -> &'static str,
}

/// Every format, in detection order. ONNX is last: a protobuf has no magic
/// number, so only a successful decode with a tree-ensemble node tells.
pub const FORMATS: &[FormatSpec] = &[
    FormatSpec {
        format: Format::XgboostJson,
        id: "xgboost-json",
        recognised_by: "a JSON object with a `learner` member",
        sniff: |b| json_object(b).is_some_and(|o| contains(o, b"\"learner\"")),
        lower: xgboost::from_json_bytes,
        extension: |_| "json",
    },
    FormatSpec {
        format: Format::XgboostUbj,
        id: "xgboost-ubj",
        recognised_by: "a UBJSON object with a `learner` member",
        // UBJSON's opening brace is followed by a type or length marker,
        // never by the quote or space of a JSON object.
        sniff: |b| b.first() == Some(&b'{') && json_object(b).is_none() && contains(b, b"learner"),
        lower: xgboost::from_ubj_bytes,
        extension: |_| "ubj",
    },
    FormatSpec {
        format: Format::LightgbmText,
        id: "lightgbm-text",
        recognised_by: "a text model starting with a `tree` line, then `version=`",
        sniff: looks_like_lightgbm_text,
        lower: lightgbm::from_text_bytes,
        extension: |_| "txt",
    },
    FormatSpec {
        format: Format::CatboostJson,
        id: "catboost-json",
        recognised_by: "a JSON object with `oblivious_trees` and `features_info` members",
        sniff: |b| {
            json_object(b).is_some_and(|o| {
                contains(o, b"\"oblivious_trees\"") && contains(o, b"\"features_info\"")
            })
        },
        lower: catboost::from_json_bytes,
        extension: |_| "json",
    },
    FormatSpec {
        format: Format::SklearnPickle,
        id: "sklearn-pickle",
        recognised_by: "a pickle of protocol 2 to 5 starting with 0x80, or a joblib file \
                        compressed with zlib, gzip, bz2, lzma, xz or lz4",
        // Compressed joblib files are claimed too, so that the reader can
        // say which compressions it supports.
        sniff: |b| pickle::sniff(b).is_some() || pickle::unsupported_compression(b).is_some(),
        lower: sklearn::from_pickle_bytes,
        // `pickle.load` reads a plain pickle; only `joblib.load` reads the
        // compressed containers and the arrays joblib writes beside the
        // pickle stream (its `NumpyArrayWrapper` records).
        extension: |b| match pickle::sniff(b) {
            Some(pickle::Container::Plain) if !contains(b, b"NumpyArrayWrapper") => "pkl",
            _ => "joblib",
        },
    },
    FormatSpec {
        format: Format::Onnx,
        id: "onnx",
        recognised_by: "an ONNX protobuf ModelProto whose graph has an ai.onnx.ml node",
        sniff: onnx::looks_like_onnx,
        lower: onnx::from_bytes,
        extension: |_| "onnx",
    },
];

impl Format {
    /// This format's row of [`FORMATS`].
    pub fn spec(self) -> &'static FormatSpec {
        FORMATS
            .iter()
            .find(|s| s.format == self)
            .expect("every Format has a row in FORMATS (tested)")
    }

    /// Stable identifier, recorded in the IR and the audit.
    pub fn id(self) -> &'static str {
        self.spec().id
    }
}

/// The formats detection tried, for the "not a model" message.
pub fn tried() -> String {
    FORMATS
        .iter()
        .map(|s| format!("{} ({})", s.id, s.recognised_by))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The JSON object `bytes` holds after leading whitespace: `Some(rest)` when
/// it opens with a brace followed by a quote or the closing brace.
fn json_object(bytes: &[u8]) -> Option<&[u8]> {
    let trimmed = trim_ascii_start(bytes);
    let rest = trimmed.strip_prefix(b"{")?;
    matches!(trim_ascii_start(rest).first(), Some(b'"') | Some(b'}')).then_some(trimmed)
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

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_format_has_one_row_named_as_its_cli_value() {
        for f in Format::value_variants() {
            let rows = FORMATS.iter().filter(|s| s.format == *f).count();
            assert_eq!(rows, 1, "{f:?}");
            let name = f.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(f.id(), name);
        }
        assert_eq!(FORMATS.len(), Format::value_variants().len());
    }

    #[test]
    fn sniffs_are_exclusive_on_each_formats_signature() {
        let samples: [&[u8]; 6] = [
            b" {\"learner\": {}}",
            b"{L\x00\x00\x00\x00\x00\x00\x00\x07learner{}}",
            b"tree\nversion=v4\n",
            b"{\"features_info\": {}, \"oblivious_trees\": []}",
            b"\x80\x04\x95",
            b"\x1f\x8b\x08",
        ];
        for s in samples {
            let n = FORMATS.iter().filter(|f| (f.sniff)(s)).count();
            assert_eq!(n, 1, "{:?}", String::from_utf8_lossy(s));
        }
    }
}
