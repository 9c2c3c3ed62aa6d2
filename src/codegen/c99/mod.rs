//! The C99 backend: `model.h`, `model_data.h`, `model_data.c` and `model.c`
//! from the minijinja templates in `templates/c99/`.
//!
//! Rooms: `context` turns the IR into the numbers and literals the
//! templates print (tables, type choices, the exp constants taken from
//! [`crate::ir::mathfn`]); `conv` holds the small value-to-C-text
//! conversions. The templates are embedded with `include_str!`, so one
//! binary is one qualified generator.
//!
//! The generated inference reproduces [`crate::ir::evaluate`] bit for bit:
//! the same comparisons, the same float32 accumulation order (per group,
//! base score first, then each tree in order), and `timber_exp`, sigmoid
//! and softmax written operation for operation like `mathfn`.
//!
//! Speed without changing a bit: the tree walk is branch-free and runs
//! several walks interleaved (several trees of one row, or one tree over
//! several rows in `timber_infer`), so their memory loads overlap; only
//! the order of walking changes, never the order of summation.
//!
//! Files: `model.h` (the API), `model_data.h` (table types and `extern`
//! declarations, included by both .c files, MISRA 8.4/8.5),
//! `model_data.c` (the tables, its own translation unit) and `model.c`.

mod context;
pub mod conv;
mod range;
pub mod stack;

use super::GeneratedFile;
use crate::ir::Ensemble;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

pub use context::ABI_VERSION;

/// The templates, by the name of the file each one produces.
pub const TEMPLATES: [(&str, &str); 4] = [
    ("model.h", include_str!("../../../templates/c99/model.h.j2")),
    (
        "model_data.h",
        include_str!("../../../templates/c99/model_data.h.j2"),
    ),
    (
        "model_data.c",
        include_str!("../../../templates/c99/model_data.c.j2"),
    ),
    ("model.c", include_str!("../../../templates/c99/model.c.j2")),
];

/// What the generated code does with a NaN input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NanPolicy {
    /// NaN is a missing value and follows each split's missing direction
    /// (the frameworks' behaviour).
    #[default]
    Missing,
    /// Any NaN in the input makes the call return `TIMBER_ERR_NAN` without
    /// writing any output.
    Reject,
}

/// Options of the C99 backend.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub nan_policy: NanPolicy,
}

/// Errors of the C99 backend.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("the ensemble is not valid: {0}")]
    Invalid(#[from] crate::ir::ValidationError),
    #[error("cannot generate C: {what}")]
    Unsupported { what: String },
}

/// Emit the C99 sources for a validated ensemble, sorted by file name.
///
/// The ensemble is validated again here (cheap, and the generated code
/// relies on every index being in range).
pub fn emit_c99(ens: &Ensemble, opts: &Options) -> Result<Vec<GeneratedFile>, CodegenError> {
    crate::ir::validate(ens)?;
    let ctx = context::Context::new(ens, opts)?;
    let env = environment()?;
    let mut files = Vec::with_capacity(TEMPLATES.len());
    for (name, _) in TEMPLATES {
        let template = env
            .get_template(name)
            .map_err(|e| template_error(name, &e))?;
        let contents = template
            .render(&ctx)
            .map_err(|e| template_error(name, &e))?;
        files.push(GeneratedFile {
            name: name.to_string(),
            contents,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

fn environment() -> Result<Environment<'static>, CodegenError> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|e| template_error(name, &e))?;
    }
    Ok(env)
}

fn template_error(name: &str, e: &minijinja::Error) -> CodegenError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    CodegenError::Template {
        name: name.to_string(),
        message,
    }
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
