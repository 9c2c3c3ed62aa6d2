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
//! the same comparisons, the same accumulation order (per group, base
//! score first, then each tree in order) in the ensemble's accumulator
//! precision, and `timber_exp`, sigmoid and softmax written operation for
//! operation like `mathfn` (`timber_exp64`, `timber_sigmoid64` and
//! `timber_softmax64` in double for [`crate::ir::Accumulator::F64`], with
//! one cast to float per output). Leaf summation lives in one place per
//! layout: the `timber_acc_t` functions of `model.c.j2` (table), the row
//! function's additions (branches, compact), all typed by the context's
//! `acc_type`; leaf literals come from [`conv::leaf_literal`].
//!
//! Speed without changing a bit: the tree walk is branch-free and runs
//! several walks interleaved (several trees of one row, or one tree over
//! several rows in `timber_infer`), so their memory loads overlap; only
//! the order of walking changes, never the order of summation.
//!
//! Files: `model.h` (the API), `model_data.h` (table types and `extern`
//! declarations, included by both .c files, MISRA 8.4/8.5),
//! `model_data.c` (the tables, its own translation unit) and `model.c`.

pub mod branches;
pub mod compact;
mod context;
pub mod conv;
pub mod numint;
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

impl NanPolicy {
    /// The name the CLI, profiles and the audit bundle use.
    pub fn name(self) -> &'static str {
        match self {
            NanPolicy::Missing => "missing",
            NanPolicy::Reject => "reject",
        }
    }
}

/// How the trees are laid out in the generated C. Every layout computes
/// the same bits (the reference evaluator's); they differ in speed, code
/// and data size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Layout {
    /// `branches` for small models, `table` for big ones.
    Auto,
    /// A node table walked by an interleaved, branch-free loop.
    // The library default: its output is what every earlier version
    // generated (the CLI defaults to `auto`).
    #[default]
    Table,
    /// One if/else nest per tree, thresholds as literals.
    Branches,
    /// An 8-byte node table, children adjacent, each tree walked to its
    /// own leaf (small flash for bigger models on MCUs).
    Compact,
}

/// `auto` emits `branches` for ensembles of at most this many nodes (all
/// trees together) and `table` above. Measured with `cargo bench --bench
/// generated_c` (x86-64, cc -O2; README "Code layouts"): on the 50-tree
/// binary_nan fixture (1380 nodes) the nest is 3.5-5x faster than the
/// table; on 50 complete depth-6 trees (6350 nodes) fed uniformly random
/// rows it is about 2x slower (every branch is a coin flip, which the
/// branch-free table walk does not mind), and its code grows with every
/// node while the table walk's does not. 4096 sits between the two.
pub const AUTO_BRANCHES_MAX_NODES: usize = 4096;

impl Layout {
    /// Every layout name the CLI accepts, `auto` first.
    pub const NAMES: [&'static str; 4] = ["auto", "table", "branches", "compact"];

    /// The name the CLI and the audit bundle use.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Auto => "auto",
            Layout::Table => "table",
            Layout::Branches => "branches",
            Layout::Compact => "compact",
        }
    }

    /// The layout of a name in [`Layout::NAMES`].
    pub fn from_name(name: &str) -> Option<Layout> {
        match name {
            "auto" => Some(Layout::Auto),
            "table" => Some(Layout::Table),
            "branches" => Some(Layout::Branches),
            "compact" => Some(Layout::Compact),
            _ => None,
        }
    }

    /// The concrete layout emitted for `ens`: `auto` becomes `branches`
    /// when the ensemble has at most [`AUTO_BRANCHES_MAX_NODES`] nodes and
    /// every tree fits the nest depth limit, else `table`.
    pub fn resolve(self, ens: &Ensemble) -> Layout {
        match self {
            Layout::Auto => {
                if ens.n_nodes() <= AUTO_BRANCHES_MAX_NODES && branches::supports(ens) {
                    Layout::Branches
                } else {
                    Layout::Table
                }
            }
            other => other,
        }
    }
}

/// How the generated code compares inputs with thresholds. Both give the
/// same output bits (the reference evaluator's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Numeric {
    /// Float comparisons in the tree walk.
    #[default]
    Float,
    /// Each used feature is encoded once per row into a small integer
    /// code; the tree walk compares integers only (see [`numint`]). For
    /// cores without an FPU. Uses the compact node table.
    Int,
}

impl Numeric {
    /// Every numeric mode name the CLI accepts.
    pub const NAMES: [&'static str; 2] = ["float", "int"];

    /// The name the CLI, `model.h` and the audit bundle use.
    pub fn name(self) -> &'static str {
        match self {
            Numeric::Float => "float",
            Numeric::Int => "int",
        }
    }

    /// The mode of a name in [`Numeric::NAMES`].
    pub fn from_name(name: &str) -> Option<Numeric> {
        match name {
            "float" => Some(Numeric::Float),
            "int" => Some(Numeric::Int),
            _ => None,
        }
    }
}

/// Options of the C99 backend.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub nan_policy: NanPolicy,
    pub layout: Layout,
    pub numeric: Numeric,
}

impl Options {
    /// These options with `auto` replaced by the layout it picks for
    /// `ens`: what the audit bundle records, so regenerating never
    /// depends on the threshold of the timber version that re-runs it.
    /// In int mode `auto` is `compact`, the one layout int mode has.
    pub fn resolved(&self, ens: &Ensemble) -> Options {
        Options {
            nan_policy: self.nan_policy,
            layout: self.layout(ens),
            numeric: self.numeric,
        }
    }

    /// The concrete layout these options emit for `ens`.
    pub fn layout(&self, ens: &Ensemble) -> Layout {
        match (self.numeric, self.layout) {
            (Numeric::Int, Layout::Auto) => Layout::Compact,
            (_, layout) => layout.resolve(ens),
        }
    }

    /// Why these options cannot generate C for `ens`, if they cannot
    /// (checked before any file is written).
    pub fn unsupported(&self, ens: &Ensemble) -> Option<String> {
        match (self.numeric, self.layout(ens)) {
            (Numeric::Int, Layout::Compact) => numint::unsupported(ens),
            (Numeric::Int, other) => Some(format!(
                "--numeric int uses the compact node table; --layout {} is float only \
                 (use --layout auto or compact)",
                other.name()
            )),
            (Numeric::Float, Layout::Compact) => compact::unsupported(ens),
            (Numeric::Float, _) => None,
        }
    }
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
    // Leaf values and base scores are doubles under double accumulation.
    let value_bytes = match ens.accumulator {
        crate::ir::Accumulator::F32 => 4,
        crate::ir::Accumulator::F64 => 8,
    };
    nodes * 12
        + leaf_values * value_bytes
        + ens.trees.len() * 8
        + ens.base_score.len() * value_bytes
}
