//! The generator's own stack estimate: computed from the IR and the
//! structure of `templates/c99/model.c.j2`, without any compiler.
//!
//! The templates emit a fixed call graph (no recursion, no function
//! pointers):
//!
//! ```text
//! timber_infer_single -> timber_has_nan            (NaN policy `reject`)
//!                     -> timber_infer_row -> timber_acc_init
//!                                         -> timber_walk
//!                                         -> timber_acc_add_leaf
//!                                         -> timber_acc_finish -> post transform
//! timber_infer        -> timber_has_nan
//!                     -> timber_infer_block (block_rows > 0) | timber_infer_row
//!                            -> timber_acc_init / timber_walk / timber_acc_add_leaf
//!                            -> timber_acc_finish -> post transform
//! branches and compact layouts (no lanes, no blocks, no add_leaf):
//! timber_infer_single / timber_infer -> timber_infer_row
//!     -> timber_acc_init / timber_tree_<i> (timber_tree_value) / timber_acc_finish
//!     -> timber_encode (numeric int: the row's codes, before the trees)
//! post transform: timber_sigmoid -> timber_exp
//!                 timber_softmax -> timber_exp
//!                 timber_exp, timber_hinge, timber_argmax
//! double accumulation: the same graph with the `64` variants
//! (timber_sigmoid64 -> timber_exp64, ...), sums and leaf values of
//! `double_bytes`, and the libgcc helper allowance wherever double
//! arithmetic happens on a `soft_double` target.
//! ```
//!
//! Each function's frame is estimated as
//! `frame_overhead_bytes` (return address and every callee-saved core
//! register the ABI lets it push) `+ fp_save_bytes` (callee-saved FP
//! registers, for functions that compute in floating point on a core with
//! an FPU) `+` every parameter and every scalar local in its own slot `+`
//! every local array at its full size (the arrays are sized by the same
//! constants the templates print: `TIMBER_LANES`, `TIMBER_N_GROUPS`,
//! `TIMBER_BLOCK_ROWS`), rounded up to `stack_align_bytes`. On targets
//! whose floating point (or only double) is done in software, the deepest
//! frame that does such arithmetic gets a documented allowance for the
//! libgcc helper it calls (`__aeabi_fadd`, `__aeabi_dadd`, ...), which
//! are leaf routines of bounded frame.
//!
//! The estimate is the deepest chain of such frames from either entry
//! point. Counting every scalar as if spilled, every register as saved and
//! inlined callees as separate frames makes it an upper bound in practice
//! (a compiler keeps most scalars in registers and merges inlined frames);
//! `tests/verify_qemu.rs` checks it against the stack painted and measured
//! on every Cortex-M target.

use super::context::Context;
use super::{CodegenError, Options};
use crate::ir::Ensemble;
use serde::{Deserialize, Serialize};

/// Per-target parameters of the estimate (the `[stack_model]` table of a
/// `qemu/targets/*.toml` file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackModel {
    /// `sizeof(void *)`.
    pub pointer_bytes: u32,
    /// Stack slot of one spilled scalar (a register's width).
    pub slot_bytes: u32,
    /// Pushed by every call: return address, frame pointer and all the
    /// callee-saved core registers the ABI allows a function to use.
    pub frame_overhead_bytes: u32,
    /// Callee-saved floating-point registers a function that computes in
    /// float may push (0 when floats live in core registers).
    #[serde(default)]
    pub fp_save_bytes: u32,
    /// Every frame is a multiple of this.
    pub stack_align_bytes: u32,
    /// `sizeof(float)` and `sizeof(double)`.
    pub float_bytes: u32,
    pub double_bytes: u32,
    /// Float arithmetic is done by libgcc helpers (no FPU).
    #[serde(default)]
    pub soft_float: bool,
    /// Double arithmetic is done by libgcc helpers (no FPU, or a
    /// single-precision one).
    #[serde(default)]
    pub soft_double: bool,
    /// Allowance for the deepest libgcc soft-float helper frame (used only
    /// when `soft_float` or `soft_double`).
    #[serde(default)]
    pub libgcc_helper_bytes: u32,
}

impl StackModel {
    /// A 64-bit host (x86-64 System V): 8-byte slots, 16-byte alignment.
    pub fn host_default() -> StackModel {
        StackModel {
            pointer_bytes: 8,
            slot_bytes: 8,
            frame_overhead_bytes: 64,
            fp_save_bytes: 0,
            stack_align_bytes: 16,
            float_bytes: 4,
            double_bytes: 8,
            soft_float: false,
            soft_double: false,
            libgcc_helper_bytes: 0,
        }
    }
}

/// One estimated frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EstimatedFrame {
    pub function: String,
    pub bytes: u64,
}

/// The generator's stack estimate for one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackEstimate {
    /// The larger of the two entry points' chains.
    pub bytes: u64,
    /// Deepest chain from `timber_infer_single`, and its bytes.
    pub single_bytes: u64,
    pub single_chain: Vec<String>,
    /// Deepest chain from `timber_infer`, and its bytes.
    pub batch_bytes: u64,
    pub batch_chain: Vec<String>,
    /// Every emitted function's estimated frame, by name.
    pub frames: Vec<EstimatedFrame>,
}

/// What a frame holds.
#[derive(Default)]
struct Locals {
    /// Parameters and scalar locals, one slot each (sizes in bytes, each
    /// rounded up to a slot).
    scalars: Vec<u32>,
    /// Local arrays and structs, bytes.
    arrays: u64,
    /// Computes in floating point (may save FP registers).
    float: bool,
    /// Calls a soft-float helper (float or double arithmetic done in
    /// software on this target).
    soft_helper: bool,
}

struct Func {
    name: &'static str,
    locals: Locals,
    calls: Vec<&'static str>,
}

fn type_bytes(c_type: &str) -> u32 {
    match c_type {
        "uint8_t" => 1,
        "uint16_t" => 2,
        "uint64_t" => 8,
        _ => 4,
    }
}

/// Estimate the stack of the code [`super::emit_c99`] generates for `ens`
/// (default options) on a target described by `target`.
pub fn estimate(ens: &Ensemble, target: &StackModel) -> StackEstimate {
    estimate_with(ens, &Options::default(), target).unwrap_or_else(|_| StackEstimate {
        bytes: 0,
        single_bytes: 0,
        single_chain: Vec::new(),
        batch_bytes: 0,
        batch_chain: Vec::new(),
        frames: Vec::new(),
    })
}

/// [`estimate`] for given backend options; Err when the C cannot be
/// generated for this ensemble at all.
pub fn estimate_with(
    ens: &Ensemble,
    opts: &Options,
    m: &StackModel,
) -> Result<StackEstimate, CodegenError> {
    let ctx = Context::new(ens, opts)?;
    let funcs = functions(&ctx, m);
    let frame = |f: &Func| -> u64 {
        let slot = u64::from(m.slot_bytes.max(1));
        let scalars: u64 = f
            .locals
            .scalars
            .iter()
            .map(|&b| u64::from(b).div_ceil(slot) * slot)
            .sum();
        let fp = if f.locals.float && !m.soft_float {
            u64::from(m.fp_save_bytes)
        } else {
            0
        };
        let raw = u64::from(m.frame_overhead_bytes) + fp + scalars + f.locals.arrays;
        let align = u64::from(m.stack_align_bytes.max(1));
        raw.div_ceil(align) * align
    };
    let helper = |f: &Func| -> u64 {
        if f.locals.soft_helper {
            u64::from(m.libgcc_helper_bytes)
        } else {
            0
        }
    };
    let frames: Vec<EstimatedFrame> = {
        let mut v: Vec<EstimatedFrame> = funcs
            .iter()
            .map(|f| EstimatedFrame {
                function: f.name.to_string(),
                bytes: frame(f),
            })
            .collect();
        v.sort_by(|a, b| a.function.cmp(&b.function));
        v
    };
    // Deepest chain; the call graph is a DAG of at most a dozen nodes.
    fn deepest(
        name: &str,
        funcs: &[Func],
        frame: &dyn Fn(&Func) -> u64,
        helper: &dyn Fn(&Func) -> u64,
        depth: usize,
    ) -> (u64, Vec<String>) {
        let Some(f) = funcs.iter().find(|f| f.name == name) else {
            return (0, Vec::new());
        };
        let mut best = (helper(f), Vec::new());
        if helper(f) > 0 {
            best.1.push("libgcc helper".to_string());
        }
        if depth < 32 {
            for c in &f.calls {
                let r = deepest(c, funcs, frame, helper, depth + 1);
                if r.0 > best.0 {
                    best = r;
                }
            }
        }
        let mut chain = vec![f.name.to_string()];
        chain.extend(best.1);
        (frame(f) + best.0, chain)
    }
    let (single_bytes, single_chain) = deepest("timber_infer_single", &funcs, &frame, &helper, 0);
    let (batch_bytes, batch_chain) = deepest("timber_infer", &funcs, &frame, &helper, 0);
    Ok(StackEstimate {
        bytes: single_bytes.max(batch_bytes),
        single_bytes,
        single_chain,
        batch_bytes,
        batch_chain,
        frames,
    })
}

/// The functions `model.c.j2` emits for this context, with their locals
/// as written in the template.
fn functions(ctx: &Context, m: &StackModel) -> Vec<Func> {
    let p = m.pointer_bytes;
    let f = m.float_bytes;
    let d = m.double_bytes;
    // One sum per group (an average's divisors are a constant table, not
    // per-row state).
    let slots = u64::from(ctx.n_groups.max(1));
    let f64_acc = ctx.accumulator == "f64";
    // Bytes of one sum (and leaf value).
    let a = if f64_acc { d } else { f };
    let acc_bytes = slots * u64::from(a);
    let soft_f = m.soft_float;
    let mut v = Vec::new();

    if f64_acc {
        let transform = double_transform_functions(ctx, m, &mut v);
        if ctx.layout == "branches" || ctx.layout == "compact" {
            branches_functions(ctx, m, acc_bytes, transform, &mut v);
        } else {
            table_functions(ctx, m, acc_bytes, transform, &mut v);
        }
        return v;
    }

    // The post transform acc_finish calls, if any.
    let transform: Option<&'static str> = match ctx.post_transform {
        "sigmoid" => Some("timber_sigmoid"),
        "softmax" => Some("timber_softmax"),
        "symmetric_sigmoid" => Some("timber_symmetric_sigmoid"),
        "softmax_f32" => Some("timber_softmax_f32"),
        "exp" => Some("timber_exp"),
        "hinge" => Some("timber_hinge"),
        "argmax" => Some("timber_argmax"),
        _ => None,
    };
    if ctx.needs_exp {
        v.push(Func {
            name: "timber_exp",
            // x; result, xc, kf, k, kk, hi, r, q, p, e, idx
            locals: Locals {
                scalars: vec![f, f, f, f, 4, f, f, f, f, f, f, 4],
                arrays: 0,
                float: true,
                soft_helper: soft_f,
            },
            calls: vec![],
        });
    }
    match ctx.post_transform {
        "sigmoid" => v.push(Func {
            name: "timber_sigmoid",
            locals: Locals {
                scalars: vec![f],
                arrays: 0,
                float: true,
                soft_helper: soft_f,
            },
            calls: vec!["timber_exp"],
        }),
        "softmax" => v.push(Func {
            name: "timber_softmax",
            // v; wmax, wsum (double), s, g
            locals: Locals {
                scalars: vec![p, f, d, f, 4],
                arrays: 0,
                float: true,
                soft_helper: soft_f || m.soft_double,
            },
            calls: vec!["timber_exp"],
        }),
        "symmetric_sigmoid" => v.push(Func {
            name: "timber_symmetric_sigmoid",
            // x; ax, v
            locals: Locals {
                scalars: vec![f, f, f],
                arrays: 0,
                float: true,
                soft_helper: soft_f,
            },
            calls: vec!["timber_exp"],
        }),
        "softmax_f32" => v.push(Func {
            name: "timber_softmax_f32",
            // v; wmax, s, g
            locals: Locals {
                scalars: vec![p, f, f, 4],
                arrays: 0,
                float: true,
                soft_helper: soft_f,
            },
            calls: vec!["timber_exp"],
        }),
        "hinge" => v.push(Func {
            name: "timber_hinge",
            locals: Locals {
                scalars: vec![f, f],
                arrays: 0,
                float: true,
                soft_helper: soft_f,
            },
            calls: vec![],
        }),
        "argmax" => v.push(Func {
            name: "timber_argmax",
            locals: Locals {
                scalars: vec![p, 4, 4],
                arrays: 0,
                float: true,
                soft_helper: soft_f,
            },
            calls: vec![],
        }),
        _ => {}
    }
    if ctx.layout == "branches" || ctx.layout == "compact" {
        branches_functions(ctx, m, acc_bytes, transform, &mut v);
        return v;
    }
    table_functions(ctx, m, acc_bytes, transform, &mut v);
    v
}

/// The double link functions (double accumulation), as `model.c.j2`
/// writes them; returns the one `timber_acc_finish` calls.
fn double_transform_functions(
    ctx: &Context,
    m: &StackModel,
    v: &mut Vec<Func>,
) -> Option<&'static str> {
    let p = m.pointer_bytes;
    let f = m.float_bytes;
    let d = m.double_bytes;
    let soft_d = m.soft_float || m.soft_double;
    if ctx.needs_exp {
        v.push(Func {
            name: "timber_exp64",
            // x; result, xc, kf, k, kk, hi, r, q, p, e, idx
            locals: Locals {
                scalars: vec![d, d, d, d, 4, d, d, d, d, d, d, 4],
                arrays: 0,
                float: true,
                soft_helper: soft_d,
            },
            calls: vec![],
        });
    }
    let (name, scalars, calls): (&'static str, Vec<u32>, Vec<&'static str>) =
        match ctx.post_transform {
            "sigmoid" => ("timber_sigmoid64", vec![d], vec!["timber_exp64"]),
            // v; wmax, wsum, g
            "softmax" => ("timber_softmax64", vec![p, d, d, 4], vec!["timber_exp64"]),
            "exp" => return Some("timber_exp64"),
            "hinge" => ("timber_hinge64", vec![d, f], vec![]),
            "argmax" => ("timber_argmax64", vec![p, 4, 4], vec![]),
            _ => return None,
        };
    v.push(Func {
        name,
        locals: Locals {
            scalars,
            arrays: 0,
            float: true,
            soft_helper: soft_d,
        },
        calls,
    });
    Some(name)
}

/// The table layout's walk, accumulator and row functions.
fn table_functions(
    ctx: &Context,
    m: &StackModel,
    acc_bytes: u64,
    transform: Option<&'static str>,
    v: &mut Vec<Func>,
) {
    let p = m.pointer_bytes;
    let f = m.float_bytes;
    let f64_acc = ctx.accumulator == "f64";
    let a = if f64_acc { m.double_bytes } else { f };
    let soft_f = m.soft_float;
    // Sums with the base added last keep a margins array.
    let base_last = ctx.aggregation == "sum_then_base";
    let soft_acc = m.soft_float || (f64_acc && m.soft_double);
    let idx = type_bytes(ctx.index_type);
    let lanes = u64::from(ctx.lanes);
    let groups = u64::from(ctx.n_groups.max(1));
    let average = ctx.aggregation == "average";
    v.push(Func {
        name: "timber_walk",
        // root, row, n_lanes, steps, leaf; lane, step, node, x, flags,
        // missing_left, cmp, go_left, next
        locals: Locals {
            scalars: vec![p, p, 4, 4, p, 4, 4, p, f, 4, 4, 4, 4, idx],
            arrays: 0,
            float: true,
            soft_helper: soft_f,
        },
        calls: vec![],
    });
    v.push(Func {
        name: "timber_acc_init",
        locals: Locals {
            scalars: vec![p, 4],
            arrays: 0,
            float: false,
            soft_helper: false,
        },
        calls: vec![],
    });
    v.push(Func {
        name: "timber_acc_add_leaf",
        // acc, t, leaf_idx; leaf, grp / v
        locals: Locals {
            scalars: vec![p, 4, idx, p, 4, 4],
            arrays: 0,
            float: true,
            soft_helper: soft_acc,
        },
        calls: vec![],
    });
    v.push(Func {
        name: "timber_acc_finish",
        // acc, out; g, n; margins[N_GROUPS] (average, or a double softmax)
        locals: Locals {
            scalars: vec![p, p, 4, 4],
            arrays: if average || base_last || (f64_acc && ctx.post_transform == "softmax") {
                groups * u64::from(a)
            } else {
                0
            },
            float: true,
            soft_helper: soft_acc,
        },
        calls: transform.into_iter().collect(),
    });
    let row_calls = vec![
        "timber_acc_init",
        "timber_walk",
        "timber_acc_add_leaf",
        "timber_acc_finish",
    ];
    v.push(Func {
        name: "timber_infer_row",
        // in, out; acc; t, n_lanes, steps, lane, tree;
        // roots[LANES], rows[LANES], leaves[LANES]
        locals: Locals {
            scalars: vec![p, p, 4, 4, 4, 4, 4],
            arrays: acc_bytes
                + lanes * u64::from(idx)
                + lanes * u64::from(p)
                + lanes * u64::from(idx),
            float: false,
            soft_helper: false,
        },
        calls: row_calls.clone(),
    });
    if ctx.block_rows > 0 {
        v.push(Func {
            name: "timber_infer_block",
            // in, n_block, out; acc[BLOCK_ROWS]; r, t, n_lanes, lane, row;
            // roots[LANES], rows[LANES], leaves[LANES]
            locals: Locals {
                scalars: vec![p, p, p, p, 4, p, 4, p],
                arrays: u64::from(ctx.block_rows) * acc_bytes
                    + lanes * u64::from(idx)
                    + lanes * u64::from(p)
                    + lanes * u64::from(idx),
                float: false,
                soft_helper: false,
            },
            calls: row_calls,
        });
    }
    if ctx.reject_nan {
        v.push(Func {
            name: "timber_has_nan",
            locals: Locals {
                scalars: vec![p, p, 4, p],
                arrays: 0,
                float: true,
                soft_helper: soft_f,
            },
            calls: vec![],
        });
    }
    let mut single_calls = vec!["timber_infer_row"];
    let mut batch_calls = vec![if ctx.block_rows > 0 {
        "timber_infer_block"
    } else {
        "timber_infer_row"
    }];
    if ctx.reject_nan {
        single_calls.push("timber_has_nan");
        batch_calls.push("timber_has_nan");
    }
    v.push(Func {
        name: "timber_infer_single",
        // in, out; status
        locals: Locals {
            scalars: vec![p, p, 4],
            arrays: 0,
            float: false,
            soft_helper: false,
        },
        calls: single_calls,
    });
    v.push(Func {
        name: "timber_infer",
        // in, n_rows, out; status, n_blocks, b, first, n_block / r
        locals: Locals {
            scalars: vec![p, p, p, 4, p, p, p, p],
            arrays: 0,
            float: false,
            soft_helper: false,
        },
        calls: batch_calls,
    });
}

/// The functions of the branches and compact layouts after the post
/// transforms: the tree function(s) (for branches all alike, so one stands
/// for every one; for compact the one walk), the row and the entry
/// points.
fn branches_functions(
    ctx: &Context,
    m: &StackModel,
    acc_bytes: u64,
    transform: Option<&'static str>,
    v: &mut Vec<Func>,
) {
    let p = m.pointer_bytes;
    let f = m.float_bytes;
    let f64_acc = ctx.accumulator == "f64";
    let a = if f64_acc { m.double_bytes } else { f };
    let soft_acc = m.soft_float || (f64_acc && m.soft_double);
    let groups = u64::from(ctx.n_groups.max(1));
    let average = ctx.aggregation == "average";
    // Averages and sums with the base added last keep a margins array.
    let base_last = ctx.aggregation == "sum_then_base";
    let int = ctx.int.as_ref();
    let tree_fn = if int.is_some() {
        v.push(Func {
            name: "timber_encode",
            // in, codes; s, x, slot, first, lo, len, code, half
            locals: Locals {
                scalars: vec![p, p, 4, f, 4, 4, 4, 4, 4, 4],
                arrays: 0,
                float: true,
                soft_helper: m.soft_float,
            },
            calls: vec![],
        });
        // The codes array lives in timber_infer_row's frame.
        Func {
            name: "timber_tree_value",
            // codes, t; r, node, go_left
            locals: Locals {
                scalars: vec![p, 4, 4, p, 4],
                arrays: 0,
                float: false,
                soft_helper: false,
            },
            calls: vec![],
        }
    } else if ctx.layout == "compact" {
        Func {
            name: "timber_tree_value",
            // in, t; node, x, flags, missing_left, cmp, go_left, next
            locals: Locals {
                scalars: vec![p, 4, p, f, 4, 4, 4, 4, 4],
                arrays: 0,
                float: true,
                soft_helper: m.soft_float,
            },
            calls: vec![],
        }
    } else {
        Func {
            name: "timber_tree",
            // in, v (scalar leaves) or in, acc (vector leaves); the nest's
            // comparisons hold at most one input and one literal at a time.
            locals: Locals {
                scalars: vec![p, a.max(p), f, f],
                arrays: 0,
                float: true,
                soft_helper: soft_acc,
            },
            calls: vec![],
        }
    };
    let tree_name = tree_fn.name;
    v.push(tree_fn);
    v.push(Func {
        name: "timber_acc_init",
        locals: Locals {
            scalars: vec![p, 4],
            arrays: 0,
            float: false,
            soft_helper: false,
        },
        calls: vec![],
    });
    v.push(Func {
        name: "timber_acc_finish",
        locals: Locals {
            scalars: vec![p, p, 4, 4],
            arrays: if average || base_last || (f64_acc && ctx.post_transform == "softmax") {
                groups * u64::from(a)
            } else {
                0
            },
            float: true,
            soft_helper: soft_acc,
        },
        calls: transform.into_iter().collect(),
    });
    // Int mode: the row's codes, one per code slot.
    let codes_bytes = int.map_or(0, |it| {
        u64::from(it.n_slots) * u64::from(type_bytes(it.code_type))
    });
    let mut row_calls = vec!["timber_acc_init", tree_name, "timber_acc_finish"];
    if int.is_some() {
        row_calls.push("timber_encode");
    }
    v.push(Func {
        name: "timber_infer_row",
        // in, out; acc, the tree's value being added, t, grp (compact);
        // codes[N_USED] (int)
        locals: Locals {
            scalars: vec![p, p, a, 4, 4],
            arrays: acc_bytes + codes_bytes,
            float: true,
            soft_helper: soft_acc,
        },
        calls: row_calls,
    });
    if ctx.reject_nan {
        v.push(Func {
            name: "timber_has_nan",
            locals: Locals {
                scalars: vec![p, p, 4, p],
                arrays: 0,
                float: true,
                soft_helper: m.soft_float,
            },
            calls: vec![],
        });
    }
    let mut calls = vec!["timber_infer_row"];
    if ctx.reject_nan {
        calls.push("timber_has_nan");
    }
    v.push(Func {
        name: "timber_infer_single",
        locals: Locals {
            scalars: vec![p, p, 4],
            arrays: 0,
            float: false,
            soft_helper: false,
        },
        calls: calls.clone(),
    });
    v.push(Func {
        name: "timber_infer",
        // in, n_rows, out; status, r
        locals: Locals {
            scalars: vec![p, p, p, 4, p],
            arrays: 0,
            float: false,
            soft_helper: false,
        },
        calls,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m4f() -> StackModel {
        StackModel {
            pointer_bytes: 4,
            slot_bytes: 4,
            frame_overhead_bytes: 40,
            fp_save_bytes: 64,
            stack_align_bytes: 8,
            float_bytes: 4,
            double_bytes: 8,
            soft_float: false,
            soft_double: true,
            libgcc_helper_bytes: 64,
        }
    }

    fn ens(groups: u32, transform: crate::ir::PostTransform) -> Ensemble {
        use crate::ir::*;
        let tree = |g: u32| Tree {
            source_id: g,
            group: g,
            nodes: vec![
                Node::Split(Split {
                    source_id: 0,
                    feature: 0,
                    threshold: 0.5,
                    op: SplitOp::Lt,
                    missing: MissingGoes::Left,
                    left: 1,
                    right: 2,
                }),
                Node::Leaf(Leaf {
                    source_id: 1,
                    values: vec![0.25],
                }),
                Node::Leaf(Leaf {
                    source_id: 2,
                    values: vec![-0.25],
                }),
            ],
        };
        Ensemble {
            schema_version: IR_SCHEMA_VERSION,
            source: Source {
                format: "hand-built".into(),
                framework_version: None,
                objective: "x".into(),
                sha256: String::new(),
            },
            n_features: 2,
            feature_names: Vec::new(),
            n_groups: groups,
            accumulator: crate::ir::Accumulator::F32,
            base_score: vec![0.0; groups as usize],
            aggregation: Aggregation::Sum,
            post_transform: transform,
            trees: (0..groups).map(tree).collect(),
        }
    }

    #[test]
    fn chains_follow_the_template_call_graph() {
        let e = estimate(&ens(1, crate::ir::PostTransform::Sigmoid), &m4f());
        assert_eq!(
            e.single_chain,
            [
                "timber_infer_single",
                "timber_infer_row",
                "timber_acc_finish",
                "timber_sigmoid",
                "timber_exp"
            ]
        );
        assert_eq!(e.batch_chain[1], "timber_infer_block");
        assert_eq!(e.bytes, e.single_bytes.max(e.batch_bytes));
    }

    #[test]
    fn branches_chain_goes_through_the_row_to_the_transform() {
        let e = estimate_with(
            &ens(1, crate::ir::PostTransform::Sigmoid),
            &Options {
                layout: super::super::Layout::Branches,
                ..Options::default()
            },
            &m4f(),
        )
        .expect("estimate");
        assert_eq!(e.single_chain[1], "timber_infer_row");
        assert!(e.frames.iter().any(|f| f.function == "timber_tree"));
        assert!(!e.frames.iter().any(|f| f.function == "timber_walk"));
    }

    #[test]
    fn more_groups_more_stack_and_soft_double_adds_the_helper() {
        let small = estimate(&ens(3, crate::ir::PostTransform::Softmax), &m4f());
        let big = estimate(&ens(40, crate::ir::PostTransform::Softmax), &m4f());
        assert!(big.single_bytes > small.single_bytes);
        assert!(small.single_chain.iter().any(|c| c == "timber_softmax"));
        let hard = StackModel {
            soft_double: false,
            ..m4f()
        };
        let h = estimate(&ens(3, crate::ir::PostTransform::Softmax), &hard);
        assert!(h.single_bytes <= small.single_bytes);
    }
}
