//! A stored model's compiled library, loaded with libloading and ready to
//! run: what `timber serve` calls for every prediction.
//!
//! Why a private copy is loaded: [`crate::store::Store::open`] has read the
//! library's bytes and checked their sha256. Loading the store's file by
//! path afterwards would leave a window in which it could be swapped; so
//! the verified bytes themselves are written to a fresh private temporary
//! file and that file is loaded (then unlinked: the mapping stays).
//!
//! Why a probe at load: the library must compute what the reference
//! evaluator computes. Before it is handed out, two probe rows (all zeros,
//! all missing) are run through both and compared bit for bit, and the ABI
//! version and the model hash compiled into the library are checked
//! against the manifest.

use super::{Manifest, StoreError};
use crate::ir::Ensemble;
use std::collections::BTreeMap;
use std::ffi::{c_char, CStr};

type InferFn = unsafe extern "C" fn(*const f32, usize, *mut f32) -> i32;
type AbiFn = unsafe extern "C" fn() -> u32;
type StrFn = unsafe extern "C" fn() -> *const c_char;
type StrerrorFn = unsafe extern "C" fn(i32) -> *const c_char;

/// A verified, loaded model library.
pub struct CompiledModel {
    manifest: Manifest,
    ensemble: Ensemble,
    infer: InferFn,
    strerror: StrerrorFn,
    // Keeps the code behind the function pointers mapped; declared last so
    // it is dropped after everything that could use them.
    _library: libloading::Library,
}

impl std::fmt::Debug for CompiledModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModel")
            .field("name", &self.manifest.name)
            .finish_non_exhaustive()
    }
}

impl CompiledModel {
    /// Load a library whose entry files (`contents`, by relative path) have
    /// already been checked against `manifest`.
    pub(crate) fn from_verified(
        manifest: Manifest,
        contents: BTreeMap<String, Vec<u8>>,
    ) -> Result<CompiledModel, StoreError> {
        let name = manifest.name.clone();
        let fail = |message: String| StoreError::Library {
            name: name.clone(),
            message,
        };
        let ir_bytes = contents
            .get("ir.json")
            .ok_or_else(|| fail("the entry has no ir.json".into()))?;
        let ir_text = std::str::from_utf8(ir_bytes)
            .map_err(|e| fail(format!("ir.json is not UTF-8: {e}")))?;
        let ensemble = Ensemble::from_json(ir_text).map_err(|e| fail(e.to_string()))?;
        crate::ir::validate(&ensemble).map_err(|e| fail(format!("ir.json: {e}")))?;
        if ensemble.n_features != manifest.model.n_features
            || ensemble.n_outputs() != manifest.model.n_outputs
        {
            return Err(fail(
                "ir.json and entry.json disagree on the feature or output count".into(),
            ));
        }
        if manifest.abi_version != crate::codegen::c99::ABI_VERSION {
            return Err(fail(format!(
                "built for C API version {}; this timber uses {}; reload the model",
                manifest.abi_version,
                crate::codegen::c99::ABI_VERSION
            )));
        }
        let lib_bytes = contents
            .get(&manifest.build.library)
            .ok_or_else(|| fail("the library was not verified".into()))?;

        let dir = tempfile::Builder::new()
            .prefix("timber-lib-")
            .tempdir()
            .map_err(|e| fail(format!("creating a private directory: {e}")))?;
        let file_name = std::path::Path::new(&manifest.build.library)
            .file_name()
            .map(|s| s.to_os_string())
            .unwrap_or_else(|| "libmodel".into());
        let copy = dir.path().join(file_name);
        std::fs::write(&copy, lib_bytes)
            .map_err(|e| fail(format!("writing {}: {e}", copy.display())))?;
        // SAFETY: loading runs the library's initialisers. The bytes are
        // the ones `timber load` built from generated C (sha256 checked
        // against the manifest just before), which has no initialisers.
        let library = unsafe { libloading::Library::new(&copy) }
            .map_err(|e| fail(format!("loading: {e}")))?;
        drop(dir);

        // SAFETY (all four lookups): the signatures are those declared in
        // the generated model.h of ABI version `ABI_VERSION`, checked below
        // before anything else is called.
        let abi: AbiFn = unsafe { symbol(&library, b"timber_abi_version\0") }.map_err(&fail)?;
        let sha: StrFn = unsafe { symbol(&library, b"timber_model_sha256\0") }.map_err(&fail)?;
        let infer: InferFn = unsafe { symbol(&library, b"timber_infer\0") }.map_err(&fail)?;
        let strerror: StrerrorFn =
            unsafe { symbol(&library, b"timber_strerror\0") }.map_err(&fail)?;

        // SAFETY: no arguments; returns a constant.
        let found_abi = unsafe { abi() };
        if found_abi != crate::codegen::c99::ABI_VERSION {
            return Err(fail(format!(
                "timber_abi_version() is {found_abi}, expected {}",
                crate::codegen::c99::ABI_VERSION
            )));
        }
        // SAFETY: returns a pointer to a NUL-terminated string literal.
        let found_sha = unsafe { c_string(sha()) };
        if found_sha != manifest.model.sha256 {
            return Err(fail(format!(
                "the library was built from model {found_sha}, the manifest records {}",
                manifest.model.sha256
            )));
        }

        let model = CompiledModel {
            manifest,
            ensemble,
            infer,
            strerror,
            _library: library,
        };
        model.probe().map_err(fail)?;
        Ok(model)
    }

    /// The entry's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The entry's IR (from its verified `ir.json`).
    pub fn ensemble(&self) -> &Ensemble {
        &self.ensemble
    }

    /// Input floats per row.
    pub fn n_features(&self) -> usize {
        self.ensemble.n_features as usize
    }

    /// Output floats per row.
    pub fn n_outputs(&self) -> usize {
        self.ensemble.n_outputs() as usize
    }

    /// Run `inputs` (row-major, a whole number of rows; NaN = missing)
    /// through the compiled library; returns the outputs row-major.
    pub fn predict(&self, inputs: &[f32]) -> Result<Vec<f32>, PredictError> {
        let nf = self.n_features();
        if nf == 0 || inputs.len() % nf != 0 {
            return Err(PredictError::Shape {
                len: inputs.len(),
                n_features: nf,
            });
        }
        let rows = inputs.len() / nf;
        let n_out = rows
            .checked_mul(self.n_outputs())
            .ok_or(PredictError::Shape {
                len: inputs.len(),
                n_features: nf,
            })?;
        let mut out = vec![0.0f32; n_out];
        // SAFETY: `inputs` holds rows * n_features floats and `out`
        // rows * n_outputs, as timber_infer requires; the generated code
        // only reads its static const tables, so concurrent calls are safe.
        let status = unsafe { (self.infer)(inputs.as_ptr(), rows, out.as_mut_ptr()) };
        if status != 0 {
            // SAFETY: returns a pointer to a constant NUL-terminated string.
            let message = unsafe { c_string((self.strerror)(status)) };
            return Err(PredictError::Status { status, message });
        }
        Ok(out)
    }

    /// Compare the library with the reference evaluator on two rows.
    fn probe(&self) -> Result<(), String> {
        let nf = self.n_features();
        for (what, value) in [("all-zero", 0.0f32), ("all-missing", f32::NAN)] {
            let row = vec![value; nf];
            let got = self.predict(&row).map_err(|e| e.to_string())?;
            let want = crate::ir::evaluate(&self.ensemble, &row);
            let same = got.len() == want.len()
                && got
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
            if !same {
                return Err(format!(
                    "on the {what} row the library computes {got:?}, the reference evaluator \
                     {want:?}; the library was not built the way timber builds it"
                ));
            }
        }
        Ok(())
    }
}

/// A prediction the library refused.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    #[error("{len} input values are not a whole number of rows of {n_features} features")]
    Shape { len: usize, n_features: usize },
    #[error("the model returned status {status}: {message}")]
    Status { status: i32, message: String },
}

/// Look up `name` (NUL-terminated) as a function pointer of type `T`.
///
/// # Safety
/// `T` must be the symbol's true type.
unsafe fn symbol<T: Copy>(library: &libloading::Library, name: &[u8]) -> Result<T, String> {
    // SAFETY: forwarded to the caller.
    unsafe { library.get::<T>(name) }.map(|s| *s).map_err(|e| {
        format!(
            "symbol {}: {e}",
            String::from_utf8_lossy(name.strip_suffix(b"\0").unwrap_or(name))
        )
    })
}

/// Copy a C string; a NULL pointer gives "".
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string.
unsafe fn c_string(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: forwarded to the caller.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}
