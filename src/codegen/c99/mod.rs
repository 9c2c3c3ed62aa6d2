//! The C99 backend: `model.h`, `model.c`, `model_data.c` from the
//! minijinja templates in `templates/c99/`.

use super::GeneratedFile;
use crate::ir::Ensemble;

/// Options of the C99 backend.
#[derive(Debug, Clone, Default)]
pub struct Options {}

/// Errors of the C99 backend.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
}

/// Emit the C99 sources for a validated ensemble.
pub fn emit_c99(_ens: &Ensemble, _opts: &Options) -> Result<Vec<GeneratedFile>, CodegenError> {
    Ok(Vec::new())
}
