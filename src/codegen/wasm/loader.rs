//! The ES-module loader `model.mjs`, rendered from the embedded template
//! `templates/wasm/model.mjs.j2`: it fetches (browser) or reads (Node.js)
//! `model.wasm` beside itself, instantiates it, and exposes
//! `predict(Float32Array) -> Float32Array` plus the model's constants.

use super::{nan_policy_name, Options, WasmError};
use crate::ir::Ensemble;
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior};

/// The loader template (embedded: one binary, one generator).
pub const TEMPLATE: &str = include_str!("../../../templates/wasm/model.mjs.j2");

/// Render `model.mjs` for this model.
pub fn render(ens: &Ensemble, opts: &Options) -> Result<String, WasmError> {
    let err = |e: minijinja::Error| WasmError::Template {
        name: "model.mjs".into(),
        message: e.to_string(),
    };
    // Values printed into JavaScript source: the hash goes inside a string
    // literal, so it must be plain text; the objective goes in a `//`
    // comment (LightGBM's and scikit-learn's hold spaces, `=` and
    // parentheses), so it must not end the line: printable ASCII only.
    let plain = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'))
    };
    let one_line = |s: &str| s.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    for (what, value, ok) in [
        (
            "model sha256",
            ens.source.sha256.as_str(),
            plain(&ens.source.sha256),
        ),
        (
            "objective",
            ens.source.objective.as_str(),
            one_line(&ens.source.objective),
        ),
    ] {
        if !ok {
            return Err(WasmError::Unsupported {
                what: format!("{what} {value:?} holds characters the loader cannot print"),
            });
        }
    }
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.add_template("model.mjs", TEMPLATE).map_err(err)?;
    let tmpl = env.get_template("model.mjs").map_err(err)?;
    tmpl.render(context! {
        generator_version => crate::version::TIMBER_VERSION,
        n_features => ens.n_features,
        n_outputs => ens.n_outputs(),
        n_trees => ens.trees.len(),
        objective => ens.source.objective,
        model_sha256 => ens.source.sha256,
        nan_policy => nan_policy_name(opts.nan_policy),
    })
    .map_err(err)
}
