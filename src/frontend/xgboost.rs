//! XGBoost frontend (JSON and UBJSON): in progress.

use super::FrontendError;
use crate::ir::Ensemble;
use std::path::Path;

pub fn from_json_bytes(path: &Path, _bytes: &[u8]) -> Result<Ensemble, FrontendError> {
    Err(FrontendError::Syntax {
        path: path.to_path_buf(),
        message: "todo".into(),
    })
}

pub fn from_ubj_bytes(path: &Path, _bytes: &[u8]) -> Result<Ensemble, FrontendError> {
    Err(FrontendError::Syntax {
        path: path.to_path_buf(),
        message: "todo".into(),
    })
}
