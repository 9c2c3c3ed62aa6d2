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

/// Estimated bytes of the const tables in `model_data.c` (node table, leaf
/// values, tree roots and base scores), for `timber inspect`.
pub fn estimate_table_bytes(ens: &Ensemble) -> usize {
    let nodes = ens.n_nodes();
    let leaf_values: usize = ens
        .trees
        .iter()
        .flat_map(|t| t.nodes.iter())
        .map(|n| match n {
            crate::ir::Node::Leaf(l) => l.values.len(),
            crate::ir::Node::Split(_) => 0,
        })
        .sum();
    nodes * 12 + leaf_values * 4 + ens.trees.len() * 8 + ens.base_score.len() * 4
}
