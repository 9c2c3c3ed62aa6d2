//! The WebAssembly backend: `model.wasm`, `model.wat` and `model.mjs` for
//! browsers and edge gateways that run JavaScript.
//!
//! Rooms, as in the C99 backend: `layout` turns the IR into the tables of
//! the data segment and the memory map; `writer` encodes the functions with
//! `wasm-encoder`; `loader` renders the ES-module loader from
//! `templates/wasm/model.mjs.j2`. The text form is not written separately:
//! `model.wat` is `wasmprinter`'s printing of the very bytes of
//! `model.wasm`, so the two always agree, and the binary is validated with
//! `wasmparser` (WebAssembly 1.0 features only, so every engine runs it)
//! before anything is returned.
//!
//! The module reproduces [`crate::ir::evaluate`] bit for bit, like the C:
//! the same float32 comparisons (NaN follows the split's missing
//! direction), the same accumulation order (per group, base score first,
//! then each tree in order), and `exp`, sigmoid and softmax operation for
//! operation as [`crate::ir::mathfn`]. Under double accumulation
//! ([`crate::ir::Accumulator::F64`]: LightGBM, CatBoost, scikit-learn) the
//! base scores and leaf values are f64 tables, the sums, the average and
//! the post transform (`exp64`, `sigmoid64`, `softmax64`) run in f64, and
//! each output is demoted to float32 once; float32 models get exactly the
//! module they got before double accumulation existed. The trees are data, not code: the
//! walk reads the node table in the data segment (see `layout` for its
//! format), so the code is the same few hundred bytes for every model.
//!
//! Module interface: exported `memory`; `predict(in, n_rows, out) -> i32`
//! (0 ok, 2 a NaN input under [`NanPolicy::Reject`], 3 a buffer below
//! `io_base` or past the end of memory); constant globals `io_base`,
//! `n_features`, `n_outputs`. The memory starts with the tables, scratch
//! and room for one row; the loader grows it for larger batches.

mod layout;
mod loader;
mod writer;

use crate::ir::Ensemble;

pub use super::c99::NanPolicy;
pub use layout::{PAGE_BYTES, POW2_K_MAX, POW2_K_MIN};
pub use writer::{CANONICAL_NAN, STATUS_BOUNDS, STATUS_NAN, STATUS_OK};

/// Options of the WebAssembly backend.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub nan_policy: NanPolicy,
}

/// Errors of the WebAssembly backend.
#[derive(Debug, thiserror::Error)]
pub enum WasmError {
    #[error("the ensemble is not valid: {0}")]
    Invalid(#[from] crate::ir::ValidationError),
    #[error("cannot generate WebAssembly: {what}")]
    Unsupported { what: String },
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("the generated module does not validate (a timber bug): {message}")]
    InvalidModule { message: String },
}

/// The three generated files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmModule {
    /// `model.wasm`: the binary module.
    pub wasm: Vec<u8>,
    /// `model.wat`: the text form of exactly these bytes.
    pub wat: String,
    /// `model.mjs`: the ES-module loader.
    pub loader: String,
    /// Bytes of the data segment (the model's tables).
    pub data_bytes: usize,
    /// Pages (64 KiB) the module's memory starts with.
    pub min_pages: u64,
}

impl WasmModule {
    /// The files to write, sorted by name.
    pub fn files(&self) -> Vec<(&'static str, &[u8])> {
        vec![
            ("model.mjs", self.loader.as_bytes()),
            ("model.wasm", &self.wasm),
            ("model.wat", self.wat.as_bytes()),
        ]
    }
}

/// Compile a validated ensemble to WebAssembly (validated again here: the
/// tables' indices must be in range).
pub fn emit_wasm(ens: &Ensemble, opts: &Options) -> Result<WasmModule, WasmError> {
    crate::ir::validate(ens)?;
    let layout = layout::Layout::new(ens)?;
    let about = about(ens, opts);
    let wasm = writer::encode(ens, &layout, opts, &about);
    let features = wasmparser::WasmFeatures::WASM1;
    wasmparser::Validator::new_with_features(features)
        .validate_all(&wasm)
        .map_err(|e| WasmError::InvalidModule {
            message: e.to_string(),
        })?;
    let wat = wasmprinter::print_bytes(&wasm).map_err(|e| WasmError::InvalidModule {
        message: format!("printing: {e:#}"),
    })?;
    let loader = loader::render(ens, opts)?;
    Ok(WasmModule {
        wasm,
        wat,
        loader,
        data_bytes: layout.data.len(),
        min_pages: layout.min_pages,
    })
}

/// The name of a NaN policy as the CLI and the loader spell it.
pub fn nan_policy_name(p: NanPolicy) -> &'static str {
    match p {
        NanPolicy::Missing => "missing",
        NanPolicy::Reject => "reject",
    }
}

/// The `timber` custom section: where the module came from, one
/// `key=value` per line, no time and no path.
fn about(ens: &Ensemble, opts: &Options) -> String {
    format!(
        "generator=timber {}\nmodel_sha256={}\nobjective={}\nnan_policy={}\n",
        crate::version::TIMBER_VERSION,
        ens.source.sha256,
        ens.source.objective,
        nan_policy_name(opts.nan_policy)
    )
}
