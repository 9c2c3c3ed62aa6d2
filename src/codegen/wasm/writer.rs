//! The Writer: walks a laid-out ensemble and encodes the module's
//! functions with `wasm-encoder`, instruction for instruction the
//! arithmetic of [`crate::ir::eval`] and [`crate::ir::mathfn`].
//!
//! Functions (the name section carries these names into `model.wat`):
//! - `exp (f32) -> f32`: `mathfn::exp`, only when the post transform uses it
//!   (under double accumulation `exp64 (f64) -> f64`, `mathfn::exp64`);
//! - `infer_row (in, out)`: one row, inputs already checked: the sums start
//!   at the base scores (or 0 for averaging); the trees are walked
//!   [`LANES`] at a time, side by side, and their leaves added in tree
//!   order; then margins and the post transform;
//! - `predict (in, n_rows, out) -> status`: the exported entry, with the
//!   bounds check and, under [`NanPolicy::Reject`], the NaN scan first.
//!
//! Under double accumulation ([`Layout::wide`]) the base scores, leaf
//! values and sums are f64, the average divides in f64, the post transform
//! runs in f64 (`eval::apply_post_transform64`), and each output is
//! demoted to f32 once, as it is stored.
//!
//! WebAssembly's f32/f64 arithmetic is IEEE-754 binary32/binary64 with
//! round-to-nearest-even and never fuses a multiply and an add, so the same
//! operations in the same order give the reference's bits. The one thing it
//! leaves open is the bit pattern of a NaN an operation creates: see
//! [`CANONICAL_NAN`].

use super::layout::{
    needs_exp, Layout, SplitOps, FEATURE_MASK, FLAG_LE, FLAG_MISSING_LEFT, LANES, POW2_K_MIN,
    SLOT_GROUP_BYTES,
};
use super::{NanPolicy, Options};
use crate::ir::mathfn;
use crate::ir::{Aggregation, Ensemble, PostTransform};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, CustomSection, DataSection, ExportKind, ExportSection,
    FunctionSection, GlobalSection, GlobalType, Ieee32, Ieee64, IndirectNameMap, InstructionSink,
    MemArg, MemorySection, MemoryType, Module, NameMap, NameSection, TypeSection, ValType,
};

/// Status codes of `predict`, the same numbers as the C API's.
pub const STATUS_OK: i32 = 0;
pub const STATUS_NAN: i32 = 2;
pub const STATUS_BOUNDS: i32 = 3;

/// The NaN every NaN output is replaced by (the positive quiet NaN,
/// Rust's `f32::NAN`). Only softmax can make one (an infinite margin gives
/// `inf - inf`), and WebAssembly leaves that NaN's sign and payload to the
/// engine; one fixed pattern keeps the output deterministic.
pub const CANONICAL_NAN: u32 = 0x7FC0_0000;

const F32_ALIGN: u32 = 2;
const F64_ALIGN: u32 = 3;

fn mem(offset: u32) -> MemArg {
    MemArg {
        offset: u64::from(offset),
        align: F32_ALIGN,
        memory_index: 0,
    }
}

fn mem64(offset: u32) -> MemArg {
    MemArg {
        offset: u64::from(offset),
        align: F64_ALIGN,
        memory_index: 0,
    }
}

/// The type of the values summed: f32, or f64 under double accumulation.
/// Its instructions are the only difference between the two sums.
#[derive(Debug, Clone, Copy)]
struct Num {
    wide: bool,
}

impl Num {
    fn bytes(self) -> u32 {
        if self.wide {
            8
        } else {
            4
        }
    }
    fn load(self, s: &mut InstructionSink<'_>, offset: u32) {
        if self.wide {
            s.f64_load(mem64(offset));
        } else {
            s.f32_load(mem(offset));
        }
    }
    fn store(self, s: &mut InstructionSink<'_>, offset: u32) {
        if self.wide {
            s.f64_store(mem64(offset));
        } else {
            s.f32_store(mem(offset));
        }
    }
    fn add(self, s: &mut InstructionSink<'_>) {
        if self.wide {
            s.f64_add();
        } else {
            s.f32_add();
        }
    }
    fn zero(self, s: &mut InstructionSink<'_>) {
        if self.wide {
            s.f64_const(Ieee64::from(0.0));
        } else {
            s.f32_const(f32c(0.0));
        }
    }
    /// The top i32 (a count) as a value, then the division.
    fn div_by_count(self, s: &mut InstructionSink<'_>) {
        if self.wide {
            s.f64_convert_i32_u().f64_div();
        } else {
            s.f32_convert_i32_u().f32_div();
        }
    }
}

fn f64c(v: f64) -> Ieee64 {
    Ieee64::from(v)
}

fn f32c(v: f32) -> Ieee32 {
    Ieee32::from(v)
}

/// Function indices, in module order.
struct Funcs {
    exp: Option<u32>,
    infer_row: u32,
    predict: u32,
}

/// Encode the whole module: types, functions, memory, globals, exports,
/// code, data and the name and `timber` custom sections.
pub fn encode(ens: &Ensemble, layout: &Layout, opts: &Options, about: &str) -> Vec<u8> {
    let has_exp = needs_exp(ens.post_transform);
    let exp_val = if layout.wide {
        ValType::F64
    } else {
        ValType::F32
    };
    let mut types = TypeSection::new();
    let mut next_type = 0u32;
    let exp_type = has_exp.then(|| {
        types.ty().function([exp_val], [exp_val]);
        next_type += 1;
        next_type - 1
    });
    types.ty().function([ValType::I32, ValType::I32], []);
    let row_type = next_type;
    types
        .ty()
        .function([ValType::I32, ValType::I32, ValType::I32], [ValType::I32]);
    let predict_type = next_type + 1;

    let funcs = Funcs {
        exp: has_exp.then_some(0),
        infer_row: u32::from(has_exp),
        predict: u32::from(has_exp) + 1,
    };
    let mut functions = FunctionSection::new();
    if let Some(t) = exp_type {
        functions.function(t);
    }
    functions.function(row_type);
    functions.function(predict_type);

    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: layout.min_pages,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });

    let mut globals = GlobalSection::new();
    let constant = GlobalType {
        val_type: ValType::I32,
        mutable: false,
        shared: false,
    };
    // Every value below is < 2^31 (checked by the layout and the IR limits).
    globals.global(constant, &ConstExpr::i32_const(layout.io_base as i32));
    globals.global(constant, &ConstExpr::i32_const(ens.n_features as i32));
    globals.global(constant, &ConstExpr::i32_const(ens.n_outputs() as i32));

    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("predict", ExportKind::Func, funcs.predict);
    exports.export("io_base", ExportKind::Global, 0);
    exports.export("n_features", ExportKind::Global, 1);
    exports.export("n_outputs", ExportKind::Global, 2);

    let mut code = CodeSection::new();
    let mut local_names = IndirectNameMap::new();
    if let Some(i) = funcs.exp {
        let (f, names) = if layout.wide {
            exp_function(Width::F64, &mathfn::EXP_F64, layout)
        } else {
            exp_function(Width::F32, &mathfn::EXP_F32, layout)
        };
        code.function(&f);
        local_names.append(i, &names);
    }
    let (f, names) = row_function(ens, layout, opts, &funcs);
    code.function(&f);
    local_names.append(funcs.infer_row, &names);
    let (f, names) = predict_function(ens, layout, opts, &funcs);
    code.function(&f);
    local_names.append(funcs.predict, &names);

    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(0), layout.data.iter().copied());

    let mut names = NameSection::new();
    names.module("timber_model");
    let mut fnames = NameMap::new();
    if let Some(i) = funcs.exp {
        fnames.append(i, if layout.wide { "exp64" } else { "exp" });
    }
    fnames.append(funcs.infer_row, "infer_row");
    fnames.append(funcs.predict, "predict");
    names.functions(&fnames);
    names.locals(&local_names);
    let mut gnames = NameMap::new();
    gnames.append(0, "io_base");
    gnames.append(1, "n_features");
    gnames.append(2, "n_outputs");
    names.globals(&gnames);

    let mut module = Module::new();
    module
        .section(&types)
        .section(&functions)
        .section(&memories)
        .section(&globals)
        .section(&exports)
        .section(&code)
        .section(&data)
        .section(&names)
        .section(&CustomSection {
            name: "timber".into(),
            data: about.as_bytes().into(),
        });
    module.finish()
}

fn name_map(names: &[&str]) -> NameMap {
    let mut m = NameMap::new();
    for (i, n) in names.iter().enumerate() {
        m.append(i as u32, n);
    }
    m
}

/// One instruction of `Width`'s type: `$f32` or `$f64`.
macro_rules! width_op {
    ($name:ident, $f32:ident, $f64:ident) => {
        fn $name(self, s: &mut InstructionSink) {
            match self {
                Width::F32 => s.$f32(),
                Width::F64 => s.$f64(),
            };
        }
    };
}

/// The float width an exp function computes in, and its instructions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Width {
    F32,
    F64,
}

impl Width {
    fn val_type(self) -> ValType {
        match self {
            Width::F32 => ValType::F32,
            Width::F64 => ValType::F64,
        }
    }

    /// A constant; at F32 `v` is a float32 value widened, so exact.
    fn konst(self, s: &mut InstructionSink, v: f64) {
        match self {
            Width::F32 => s.f32_const(f32c(v as f32)),
            Width::F64 => s.f64_const(f64c(v)),
        };
    }

    width_op!(add, f32_add, f64_add);
    width_op!(sub, f32_sub, f64_sub);
    width_op!(mul, f32_mul, f64_mul);
    width_op!(ne, f32_ne, f64_ne);
    width_op!(lt, f32_lt, f64_lt);
    width_op!(gt, f32_gt, f64_gt);
    width_op!(ge, f32_ge, f64_ge);
    width_op!(trunc_i32, i32_trunc_f32_s, i32_trunc_f64_s);
    width_op!(convert_i32, f32_convert_i32_s, f64_convert_i32_s);
}

/// `mathfn::exp` (float32) or `mathfn::exp64` (double), operation for
/// operation, from the width's constants. 2^k at float32 comes from the
/// table of exact powers of two in memory (the value `mathfn`'s product of
/// powers gives); at double it is built from its exponent bits,
/// `(k + 1023) << 52`: after the clamps and the 2^+-64 pre-scale, k lies in
/// [-1012, 1000], where 2^k is a normal double, so the value is exactly
/// `mathfn::pow2_int64`'s (checked by
/// `exp64_powers_of_two_from_exponent_bits_are_the_reference_ones`).
fn exp_function<F: Copy + Into<f64>>(
    w: Width,
    c: &mathfn::ExpWidth<F>,
    layout: &Layout,
) -> (wasm_encoder::Function, NameMap) {
    const X: u32 = 0;
    const XC: u32 = 1;
    const KF: u32 = 2;
    const K: u32 = 3;
    const KK: u32 = 4;
    const R: u32 = 5;
    const E: u32 = 6;
    let names = name_map(&["x", "xc", "kf", "k", "kk", "r", "e"]);
    let t = w.val_type();
    let mut f = wasm_encoder::Function::new([(2, t), (1, ValType::I32), (3, t)]);
    let v = |x: F| -> f64 { x.into() };
    {
        let mut sink = f.instructions();
        let s = &mut sink;
        // NaN: returned as it is.
        s.local_get(X).local_get(X);
        w.ne(s);
        s.if_(BlockType::Empty).local_get(X).return_().end();
        // xc = clamp(x, LO, HI): x < LO ? LO : x, then > HI ? HI : that.
        w.konst(s, v(c.clamp_lo));
        s.local_get(X).local_get(X);
        w.konst(s, v(c.clamp_lo));
        w.lt(s);
        s.select().local_set(XC);
        w.konst(s, v(c.clamp_hi));
        s.local_get(XC).local_get(XC);
        w.konst(s, v(c.clamp_hi));
        w.gt(s);
        s.select().local_set(XC);
        // kf = xc * LOG2E; k = trunc(kf >= 0 ? kf + 0.5 : kf - 0.5).
        s.local_get(XC);
        w.konst(s, v(c.log2e));
        w.mul(s);
        s.local_set(KF);
        s.local_get(KF);
        w.konst(s, 0.5);
        w.add(s);
        s.local_get(KF);
        w.konst(s, 0.5);
        w.sub(s);
        s.local_get(KF);
        w.konst(s, 0.0);
        w.ge(s);
        s.select();
        w.trunc_i32(s);
        s.local_tee(K);
        w.convert_i32(s);
        s.local_set(KK);
        // r = (xc - kk * LN2_HI) - kk * LN2_LO.
        s.local_get(XC).local_get(KK);
        w.konst(s, v(c.ln2_hi));
        w.mul(s);
        w.sub(s);
        s.local_get(KK);
        w.konst(s, v(c.ln2_lo));
        w.mul(s);
        w.sub(s);
        s.local_set(R);
        // q = C0 + r*(C1 + r*(... + r*C_last)), innermost first.
        let last = c.c.len() - 1;
        s.local_get(R);
        w.konst(s, v(c.c[last]));
        w.mul(s);
        for i in (0..last).rev() {
            w.konst(s, v(c.c[i]));
            w.add(s);
            if i > 0 {
                s.local_get(R);
                w.mul(s);
            }
        }
        // e = 1 + (r + (r * r) * q), q on the stack.
        s.local_get(R).local_get(R);
        w.mul(s);
        w.mul(s);
        s.local_get(R);
        w.add(s);
        w.konst(s, 1.0);
        w.add(s);
        s.local_set(E);
        // Pre-scale so 2^k stays representable.
        s.local_get(K)
            .i32_const(c.scale_k)
            .i32_gt_s()
            .if_(BlockType::Empty)
            .local_get(E);
        w.konst(s, v(c.two_p));
        w.mul(s);
        s.local_set(E)
            .local_get(K)
            .i32_const(c.scale_bits)
            .i32_sub()
            .local_set(K)
            .else_()
            .local_get(K)
            .i32_const(-c.scale_k)
            .i32_lt_s()
            .if_(BlockType::Empty)
            .local_get(E);
        w.konst(s, v(c.two_m));
        w.mul(s);
        s.local_set(E)
            .local_get(K)
            .i32_const(c.scale_bits)
            .i32_add()
            .local_set(K)
            .end()
            .end();
        // e * 2^k.
        s.local_get(E).local_get(K);
        match w {
            // 2^k = pow2[k - POW2_K_MIN].
            Width::F32 => {
                s.i32_const(-POW2_K_MIN)
                    .i32_add()
                    .i32_const(2)
                    .i32_shl()
                    .f32_load(mem(layout.pow2.unwrap_or(0)));
            }
            // 2^k's bits = (k + 1023) << 52.
            Width::F64 => {
                s.i32_const(1023)
                    .i32_add()
                    .i64_extend_i32_s()
                    .i64_const(52)
                    .i64_shl()
                    .f64_reinterpret_i64();
            }
        }
        w.mul(s);
        s.end();
    }
    (f, names)
}

/// Locals of `infer_row`.
mod row {
    use super::LANES;
    pub const IN: u32 = 0;
    pub const OUT: u32 = 1;
    pub const T: u32 = 2;
    pub const STEPS: u32 = 3;
    pub const WORD: u32 = 4;
    pub const G: u32 = 5;
    pub const N: u32 = 6;
    pub const V: u32 = 7;
    pub const BEST: u32 = 8;
    /// The node (byte offset) each lane's walk is at: LANE0 .. LANE0+LANES-1.
    pub const LANE0: u32 = 9;
    pub const X: u32 = LANE0 + LANES;
    pub const M: u32 = X + 1;
    pub const WMAX: u32 = X + 2;
    pub const S: u32 = X + 3;
    /// The running sum when it is the only one (see `one_sum`).
    pub const ACC: u32 = X + 4;
    pub const WSUM: u32 = X + 5;
    /// Double accumulation only: the running sum, a margin, the largest.
    pub const ACC64: u32 = X + 6;
    pub const M64: u32 = X + 7;
    pub const WMAX64: u32 = X + 8;
    /// i32, f32 and f64 locals after the two parameters (f64: WSUM, and
    /// under double accumulation ACC64, M64 and WMAX64 too).
    pub const N_I32: u32 = X - 2;
    pub const N_F32: u32 = 5;
    pub const N_F64_WIDE: u32 = 4;
    pub const NAMES: [&str; 9] = ["in", "out", "t", "steps", "word", "g", "n", "v", "best"];
    pub const F_NAMES: [&str; 6] = ["x", "m", "wmax", "s", "acc", "wsum"];
    pub const F64_NAMES: [&str; 3] = ["acc64", "m64", "wmax64"];
}

fn row_names(wide: bool) -> NameMap {
    let mut m = NameMap::new();
    for (i, n) in row::NAMES.iter().enumerate() {
        m.append(i as u32, n);
    }
    for l in 0..LANES {
        m.append(row::LANE0 + l, &format!("lane{l}"));
    }
    for (i, n) in row::F_NAMES.iter().enumerate() {
        m.append(row::X + i as u32, n);
    }
    if wide {
        for (i, n) in row::F64_NAMES.iter().enumerate() {
            m.append(row::ACC64 + i as u32, n);
        }
    }
    m
}

/// `for g in (0..n_groups*step).step_by(step) { body }` with `g` in local
/// G (`step` is the width of a value, so `g` is the group's sum offset).
fn for_each_group(
    s: &mut InstructionSink<'_>,
    n_groups: u32,
    step: u32,
    body: impl Fn(&mut InstructionSink<'_>),
) {
    s.i32_const(0).local_set(row::G).loop_(BlockType::Empty);
    body(s);
    s.local_get(row::G)
        .i32_const(step as i32)
        .i32_add()
        .local_tee(row::G)
        .i32_const((n_groups * step) as i32)
        .i32_ne()
        .br_if(0)
        .end();
}

fn row_function(
    ens: &Ensemble,
    layout: &Layout,
    opts: &Options,
    funcs: &Funcs,
) -> (wasm_encoder::Function, NameMap) {
    use row::*;
    let num = Num { wide: layout.wide };
    let vb = num.bytes();
    let n_f64 = if layout.wide { N_F64_WIDE } else { 1 };
    let mut f = wasm_encoder::Function::new([
        (N_I32, ValType::I32),
        (N_F32, ValType::F32),
        (n_f64, ValType::F64),
    ]);
    let n_groups = ens.n_groups;
    let average = ens.aggregation == Aggregation::Average;
    let sums = layout.sums;
    let counts = layout.counts;
    let nodes = layout.nodes;
    let acc = if layout.wide { ACC64 } else { ACC };
    let mut s = f.instructions();

    // One group, summed, scalar leaves (binary and regression models): the
    // sum lives in a local. Padding slots then add the padding leaf's -0
    // into it, which leaves every float's bits as they are (x + -0 == x,
    // -0 + -0 == -0).
    let one_sum = n_groups == 1 && !average && layout.scalar_leaves;
    // The base score added after the trees (onnxruntime's order).
    let base_last = ens.aggregation == Aggregation::SumThenBase;
    // Sums start at the base scores (sum) or 0 with zero counts (average).
    if one_sum {
        if base_last {
            num.zero(&mut s);
        } else {
            s.i32_const(0);
            num.load(&mut s, layout.base_score);
        }
        s.local_set(acc);
    } else {
        for_each_group(&mut s, n_groups, vb, |s| {
            s.local_get(G);
            if base_last {
                num.zero(s);
                num.store(s, sums);
            } else if average {
                num.zero(s);
                num.store(s, sums);
                s.local_get(G).i32_const(0).i32_store(mem(counts));
            } else {
                s.local_get(G);
                num.load(s, layout.base_score);
                num.store(s, sums);
            }
        });
    }
    // A scalar leaf's value on the stack, from the node `lane` is at.
    let scalar_leaf = |s: &mut InstructionSink<'_>, lane: u32| {
        if layout.wide {
            s.local_get(lane)
                .i32_load(mem(nodes))
                .f64_load(mem64(layout.leaf_values));
        } else {
            s.local_get(lane).f32_load(mem(nodes));
        }
    };

    // The trees, LANES at a time: walk them side by side for the slot
    // group's step count, then add their leaves in tree order.
    s.i32_const(layout.slots as i32)
        .local_set(T)
        .loop_(BlockType::Empty);
    for l in 0..LANES {
        s.local_get(T).i32_load(mem(4 + 4 * l)).local_set(LANE0 + l);
    }
    s.local_get(T)
        .i32_load(mem(0))
        .local_set(STEPS)
        .block(BlockType::Empty)
        .loop_(BlockType::Empty)
        .local_get(STEPS)
        .i32_eqz()
        .br_if(1);
    for l in 0..LANES {
        walk_step(&mut s, layout, opts, LANE0 + l);
    }
    s.local_get(STEPS)
        .i32_const(1)
        .i32_sub()
        .local_set(STEPS)
        .br(0)
        .end()
        .end();
    for l in 0..LANES {
        let lane = LANE0 + l;
        if one_sum {
            s.local_get(acc);
            scalar_leaf(&mut s, lane);
            num.add(&mut s);
            s.local_set(acc);
            continue;
        }
        s.local_get(T)
            .i32_load(mem(4 + 4 * LANES + 4 * l))
            .local_set(G);
        if layout.scalar_leaves {
            s.local_get(G).local_get(G);
            num.load(&mut s, sums);
            scalar_leaf(&mut s, lane);
            num.add(&mut s);
            num.store(&mut s, sums);
            if average {
                count_one(&mut s, counts);
            }
        } else {
            // The leaf's entry: a count (padded to a value's width), then
            // the values.
            s.local_get(lane)
                .i32_load(mem(nodes))
                .local_tee(V)
                .i32_load(mem(layout.leaf_values))
                .local_set(N)
                .loop_(BlockType::Empty)
                .local_get(V)
                .i32_const(vb as i32)
                .i32_add()
                .local_set(V)
                .local_get(G)
                .local_get(G);
            num.load(&mut s, sums);
            s.local_get(V);
            num.load(&mut s, layout.leaf_values);
            num.add(&mut s);
            num.store(&mut s, sums);
            if average {
                count_one(&mut s, counts);
            }
            s.local_get(G)
                .i32_const(vb as i32)
                .i32_add()
                .local_set(G)
                .local_get(N)
                .i32_const(1)
                .i32_sub()
                .local_tee(N)
                .br_if(0)
                .end();
        }
    }
    s.local_get(T)
        .i32_const(SLOT_GROUP_BYTES as i32)
        .i32_add()
        .local_tee(T)
        .i32_const(layout.slots_end as i32)
        .i32_ne()
        .br_if(0)
        .end(); // slot loop

    if one_sum {
        s.i32_const(0).local_get(acc);
        num.store(&mut s, sums);
    }
    if base_last {
        for_each_group(&mut s, n_groups, vb, |s| {
            s.local_get(G).local_get(G);
            num.load(s, sums);
            s.local_get(G);
            num.load(s, layout.base_score);
            num.add(s);
            num.store(s, sums);
        });
    }
    // Margins, in place in the sums: base + sum / max(count, 1).
    if average {
        for_each_group(&mut s, n_groups, vb, |s| {
            s.local_get(G).local_get(G);
            num.load(s, layout.base_score);
            s.local_get(G);
            num.load(s, sums);
            s.local_get(G)
                .i32_load(mem(counts))
                .local_tee(N)
                .i32_const(1)
                .local_get(N)
                .select();
            num.div_by_count(s);
            num.add(s);
            num.store(s, sums);
        });
    }
    if layout.wide {
        post_transform64(&mut s, ens, layout, funcs);
    } else {
        post_transform(&mut s, ens, layout, funcs);
    }
    s.end();
    (f, row_names(layout.wide))
}

/// One level of one lane's walk: the lane's node becomes its left child
/// when the row goes left, else its right child (a leaf points at itself).
fn walk_step(s: &mut InstructionSink<'_>, layout: &Layout, opts: &Options, lane: u32) {
    use row::*;
    let nodes = layout.nodes;
    s.local_get(lane).i32_load(mem(nodes + 4)).local_set(WORD);
    // x = in[word & FEATURE_MASK]
    s.local_get(IN)
        .local_get(WORD)
        .i32_const(FEATURE_MASK as i32)
        .i32_and()
        .i32_const(2)
        .i32_shl()
        .i32_add()
        .f32_load(mem(0))
        .local_set(X);
    s.local_get(lane)
        .i32_load(mem(nodes + 8))
        .local_get(lane)
        .i32_load(mem(nodes + 12));
    // go_left (i32 0/1) on the stack.
    if opts.nan_policy == NanPolicy::Missing {
        s.local_get(WORD)
            .i32_const(FLAG_MISSING_LEFT.trailing_zeros() as i32)
            .i32_shr_u()
            .i32_const(1)
            .i32_and();
    }
    let cmp = |s: &mut InstructionSink<'_>, le: bool| {
        s.local_get(X).local_get(lane).f32_load(mem(nodes));
        if le {
            s.f32_le();
        } else {
            s.f32_lt();
        }
    };
    match layout.split_ops {
        SplitOps::Lt => cmp(s, false),
        SplitOps::Le => cmp(s, true),
        SplitOps::Mixed => {
            cmp(s, true);
            cmp(s, false);
            s.local_get(WORD)
                .i32_const(FLAG_LE as i32)
                .i32_and()
                .select();
        }
    }
    if opts.nan_policy == NanPolicy::Missing {
        // NaN (x != x) follows the missing direction.
        s.local_get(X).local_get(X).f32_ne().select();
    }
    s.select().local_set(lane);
}

fn count_one(s: &mut InstructionSink<'_>, counts: u32) {
    s.local_get(row::G)
        .local_get(row::G)
        .i32_load(mem(counts))
        .i32_const(1)
        .i32_add()
        .i32_store(mem(counts));
}

/// Margins (in the sums) to outputs at `out`, as `eval::apply_post_transform`.
fn post_transform(s: &mut InstructionSink<'_>, ens: &Ensemble, layout: &Layout, funcs: &Funcs) {
    use row::*;
    let sums = layout.sums;
    let n_groups = ens.n_groups;
    let exp = funcs.exp.unwrap_or(0);
    // out + g (the output address) then the margin m, on the stack.
    let out_and_margin = |s: &mut InstructionSink<'_>| {
        s.local_get(OUT)
            .local_get(G)
            .i32_add()
            .local_get(G)
            .f32_load(mem(sums));
    };
    match ens.post_transform {
        PostTransform::Identity => for_each_group(s, n_groups, 4, |s| {
            out_and_margin(s);
            s.f32_store(mem(0));
        }),
        PostTransform::Sigmoid => for_each_group(s, n_groups, 4, |s| {
            s.local_get(OUT).local_get(G).i32_add().f32_const(f32c(1.0));
            s.f32_const(f32c(1.0))
                .local_get(G)
                .f32_load(mem(sums))
                .f32_neg()
                .call(exp)
                .f32_add()
                .f32_div()
                .f32_store(mem(0));
        }),
        PostTransform::Exp => for_each_group(s, n_groups, 4, |s| {
            out_and_margin(s);
            s.call(exp).f32_store(mem(0));
        }),
        PostTransform::SymmetricSigmoid => for_each_group(s, n_groups, 4, |s| {
            // v = 1 / (1 + exp(-|m|)); out = m < 0 ? 1 - v : v.
            s.f32_const(f32c(1.0))
                .f32_const(f32c(1.0))
                .local_get(G)
                .f32_load(mem(sums))
                .f32_abs()
                .f32_neg()
                .call(exp)
                .f32_add()
                .f32_div()
                .local_set(M);
            s.local_get(OUT)
                .local_get(G)
                .i32_add()
                .f32_const(f32c(1.0))
                .local_get(M)
                .f32_sub()
                .local_get(M)
                .local_get(G)
                .f32_load(mem(sums))
                .f32_const(f32c(0.0))
                .f32_lt()
                .select()
                .f32_store(mem(0));
        }),
        PostTransform::SoftmaxF32 => {
            // wmax: the first largest margin.
            s.i32_const(0).f32_load(mem(sums)).local_set(WMAX);
            for_each_group(s, n_groups, 4, |s| {
                s.local_get(G)
                    .f32_load(mem(sums))
                    .local_tee(M)
                    .local_get(WMAX)
                    .local_get(M)
                    .local_get(WMAX)
                    .f32_gt()
                    .select()
                    .local_set(WMAX);
            });
            // exps in f32, their sum in f32, in group order.
            s.f32_const(f32c(0.0)).local_set(S);
            for_each_group(s, n_groups, 4, |s| {
                s.local_get(OUT)
                    .local_get(G)
                    .i32_add()
                    .local_get(G)
                    .f32_load(mem(sums))
                    .local_get(WMAX)
                    .f32_sub()
                    .call(exp)
                    .local_tee(M)
                    .f32_store(mem(0))
                    .local_get(S)
                    .local_get(M)
                    .f32_add()
                    .local_set(S);
            });
            for_each_group(s, n_groups, 4, |s| {
                s.local_get(OUT)
                    .local_get(G)
                    .i32_add()
                    .local_get(OUT)
                    .local_get(G)
                    .i32_add()
                    .f32_load(mem(0))
                    .local_get(S)
                    .f32_div()
                    .local_tee(M)
                    .f32_const(Ieee32::new(CANONICAL_NAN))
                    .local_get(M)
                    .local_get(M)
                    .f32_eq()
                    .select()
                    .f32_store(mem(0));
            });
        }
        PostTransform::Hinge => for_each_group(s, n_groups, 4, |s| {
            s.local_get(OUT).local_get(G).i32_add();
            s.f32_const(f32c(1.0))
                .f32_const(f32c(0.0))
                .local_get(G)
                .f32_load(mem(sums))
                .f32_const(f32c(0.0))
                .f32_gt()
                .select()
                .f32_store(mem(0));
        }),
        PostTransform::Softmax => {
            // wmax: the first largest margin.
            s.i32_const(0).f32_load(mem(sums)).local_set(WMAX);
            for_each_group(s, n_groups, 4, |s| {
                s.local_get(G)
                    .f32_load(mem(sums))
                    .local_tee(M)
                    .local_get(WMAX)
                    .local_get(M)
                    .local_get(WMAX)
                    .f32_gt()
                    .select()
                    .local_set(WMAX);
            });
            // exps in f32, their sum in f64, in group order.
            s.f64_const(Ieee64::from(0.0)).local_set(WSUM);
            for_each_group(s, n_groups, 4, |s| {
                s.local_get(OUT)
                    .local_get(G)
                    .i32_add()
                    .local_get(G)
                    .f32_load(mem(sums))
                    .local_get(WMAX)
                    .f32_sub()
                    .call(exp)
                    .local_tee(M)
                    .f32_store(mem(0))
                    .local_get(WSUM)
                    .local_get(M)
                    .f64_promote_f32()
                    .f64_add()
                    .local_set(WSUM);
            });
            s.local_get(WSUM).f32_demote_f64().local_set(S);
            for_each_group(s, n_groups, 4, |s| {
                s.local_get(OUT)
                    .local_get(G)
                    .i32_add()
                    .local_get(OUT)
                    .local_get(G)
                    .i32_add()
                    .f32_load(mem(0))
                    .local_get(S)
                    .f32_div()
                    .local_tee(M)
                    .f32_const(Ieee32::new(CANONICAL_NAN))
                    .local_get(M)
                    .local_get(M)
                    .f32_eq()
                    .select()
                    .f32_store(mem(0));
            });
        }
        PostTransform::ArgMax => {
            s.i32_const(0).local_set(BEST);
            for_each_group(s, n_groups, 4, |s| {
                s.local_get(G)
                    .local_get(BEST)
                    .local_get(G)
                    .f32_load(mem(sums))
                    .local_get(BEST)
                    .f32_load(mem(sums))
                    .f32_gt()
                    .select()
                    .local_set(BEST);
            });
            s.local_get(OUT)
                .local_get(BEST)
                .i32_const(2)
                .i32_shr_u()
                .f32_convert_i32_u()
                .f32_store(mem(0));
        }
    }
}

/// Double margins (in the sums) to float32 outputs at `out`, as
/// `eval::apply_post_transform64`: the link function in f64, then one
/// demotion per output.
fn post_transform64(s: &mut InstructionSink<'_>, ens: &Ensemble, layout: &Layout, funcs: &Funcs) {
    use row::*;
    let sums = layout.sums;
    let n_groups = ens.n_groups;
    let exp = funcs.exp.unwrap_or(0);
    let each = |s: &mut InstructionSink<'_>, body: &dyn Fn(&mut InstructionSink<'_>)| {
        for_each_group(s, n_groups, 8, body)
    };
    // The output address: out + g / 2 (a group's sum is 8 bytes, its
    // output 4).
    let out_at = |s: &mut InstructionSink<'_>| {
        s.local_get(OUT)
            .local_get(G)
            .i32_const(1)
            .i32_shr_u()
            .i32_add();
    };
    // The f64 on the stack, demoted once and stored; a NaN is stored as
    // the canonical NaN (WebAssembly leaves a created NaN's bits, and
    // those a demotion keeps, to the engine).
    let store_out = |s: &mut InstructionSink<'_>| {
        s.f32_demote_f64()
            .local_tee(M)
            .f32_const(Ieee32::new(CANONICAL_NAN))
            .local_get(M)
            .local_get(M)
            .f32_eq()
            .select()
            .f32_store(mem(0));
    };
    match ens.post_transform {
        PostTransform::Identity => each(s, &|s| {
            out_at(s);
            s.local_get(G).f64_load(mem64(sums));
            store_out(s);
        }),
        PostTransform::Sigmoid => each(s, &|s| {
            out_at(s);
            s.f64_const(f64c(1.0))
                .f64_const(f64c(1.0))
                .local_get(G)
                .f64_load(mem64(sums))
                .f64_neg()
                .call(exp)
                .f64_add()
                .f64_div();
            store_out(s);
        }),
        PostTransform::Exp => each(s, &|s| {
            out_at(s);
            s.local_get(G).f64_load(mem64(sums)).call(exp);
            store_out(s);
        }),
        PostTransform::Hinge => each(s, &|s| {
            out_at(s);
            s.f32_const(f32c(1.0))
                .f32_const(f32c(0.0))
                .local_get(G)
                .f64_load(mem64(sums))
                .f64_const(f64c(0.0))
                .f64_gt()
                .select()
                .f32_store(mem(0));
        }),
        PostTransform::Softmax => {
            // wmax: the first largest margin.
            s.i32_const(0).f64_load(mem64(sums)).local_set(WMAX64);
            each(s, &|s| {
                s.local_get(G)
                    .f64_load(mem64(sums))
                    .local_tee(M64)
                    .local_get(WMAX64)
                    .local_get(M64)
                    .local_get(WMAX64)
                    .f64_gt()
                    .select()
                    .local_set(WMAX64);
            });
            // exp(m - wmax) in place, their sum in group order.
            s.f64_const(f64c(0.0)).local_set(WSUM);
            each(s, &|s| {
                s.local_get(G)
                    .local_get(G)
                    .f64_load(mem64(sums))
                    .local_get(WMAX64)
                    .f64_sub()
                    .call(exp)
                    .local_tee(M64)
                    .f64_store(mem64(sums))
                    .local_get(WSUM)
                    .local_get(M64)
                    .f64_add()
                    .local_set(WSUM);
            });
            each(s, &|s| {
                out_at(s);
                s.local_get(G)
                    .f64_load(mem64(sums))
                    .local_get(WSUM)
                    .f64_div();
                store_out(s);
            });
        }
        PostTransform::ArgMax => {
            s.i32_const(0).local_set(BEST);
            each(s, &|s| {
                s.local_get(G)
                    .local_get(BEST)
                    .local_get(G)
                    .f64_load(mem64(sums))
                    .local_get(BEST)
                    .f64_load(mem64(sums))
                    .f64_gt()
                    .select()
                    .local_set(BEST);
            });
            s.local_get(OUT)
                .local_get(BEST)
                .i32_const(3)
                .i32_shr_u()
                .f32_convert_i32_u()
                .f32_store(mem(0));
        }
        // Defined on float32 margins: `Layout::new` refuses them under
        // double accumulation, so this code is never generated.
        PostTransform::SymmetricSigmoid | PostTransform::SoftmaxF32 => {
            s.unreachable();
        }
    }
}

/// Locals of `predict`.
mod predict {
    pub const IN: u32 = 0;
    pub const N_ROWS: u32 = 1;
    pub const OUT: u32 = 2;
    pub const P: u32 = 3;
    pub const END: u32 = 4;
    pub const X: u32 = 5;
    pub const NAMES: [&str; 6] = ["in", "n_rows", "out", "p", "end", "x"];
}

fn predict_function(
    ens: &Ensemble,
    layout: &Layout,
    opts: &Options,
    funcs: &Funcs,
) -> (wasm_encoder::Function, NameMap) {
    use predict::*;
    let mut f = wasm_encoder::Function::new([(2, ValType::I32), (1, ValType::F32)]);
    let in_row = ens.n_features * 4;
    let out_row = ens.n_outputs() * 4;
    let mut s = f.instructions();
    // Both buffers at or above io_base and wholly inside the memory
    // (computed in 64 bits: no wrap-around).
    for (ptr, row_bytes) in [(IN, in_row), (OUT, out_row)] {
        s.local_get(ptr)
            .i32_const(layout.io_base as i32)
            .i32_lt_u()
            .local_get(ptr)
            .i64_extend_i32_u()
            .local_get(N_ROWS)
            .i64_extend_i32_u()
            .i64_const(i64::from(row_bytes))
            .i64_mul()
            .i64_add()
            .memory_size(0)
            .i64_extend_i32_u()
            .i64_const(16)
            .i64_shl()
            .i64_gt_u()
            .i32_or()
            .if_(BlockType::Empty)
            .i32_const(STATUS_BOUNDS)
            .return_()
            .end();
    }
    if opts.nan_policy == NanPolicy::Reject {
        // Any NaN in the batch: refuse it whole, write nothing.
        s.local_get(IN)
            .local_tee(P)
            .local_get(N_ROWS)
            .i32_const(in_row as i32)
            .i32_mul()
            .i32_add()
            .local_set(END)
            .block(BlockType::Empty)
            .loop_(BlockType::Empty)
            .local_get(P)
            .local_get(END)
            .i32_eq()
            .br_if(1)
            .local_get(P)
            .f32_load(mem(0))
            .local_tee(X)
            .local_get(X)
            .f32_ne()
            .if_(BlockType::Empty)
            .i32_const(STATUS_NAN)
            .return_()
            .end()
            .local_get(P)
            .i32_const(4)
            .i32_add()
            .local_set(P)
            .br(0)
            .end()
            .end();
    }
    // Row by row.
    s.block(BlockType::Empty)
        .loop_(BlockType::Empty)
        .local_get(N_ROWS)
        .i32_eqz()
        .br_if(1)
        .local_get(IN)
        .local_get(OUT)
        .call(funcs.infer_row)
        .local_get(IN)
        .i32_const(in_row as i32)
        .i32_add()
        .local_set(IN)
        .local_get(OUT)
        .i32_const(out_row as i32)
        .i32_add()
        .local_set(OUT)
        .local_get(N_ROWS)
        .i32_const(1)
        .i32_sub()
        .local_set(N_ROWS)
        .br(0)
        .end()
        .end()
        .i32_const(STATUS_OK)
        .end();
    (f, name_map(&NAMES))
}

#[cfg(test)]
mod tests {
    use crate::ir::mathfn;

    /// The k `exp64` scales by, from its clamps and pre-scale, all give a
    /// normal double whose bits `(k + 1023) << 52` are the reference's
    /// product of powers of two.
    #[test]
    fn exp64_powers_of_two_from_exponent_bits_are_the_reference_ones() {
        let k_of = |x: f64| {
            let kf = x * mathfn::LOG2E64;
            let mut k = if kf >= 0.0 {
                (kf + 0.5) as i32
            } else {
                (kf - 0.5) as i32
            };
            if k > mathfn::EXP64_SCALE_K {
                k -= 64;
            } else if k < -mathfn::EXP64_SCALE_K {
                k += 64;
            }
            k
        };
        let mut lo = i32::MAX;
        let mut hi = i32::MIN;
        // Every k the clamped domain reaches (k is monotone in x).
        let mut x = mathfn::EXP64_CLAMP_LO;
        while x <= mathfn::EXP64_CLAMP_HI {
            let k = k_of(x);
            lo = lo.min(k);
            hi = hi.max(k);
            x += 0.125;
        }
        for x in [mathfn::EXP64_CLAMP_LO, mathfn::EXP64_CLAMP_HI] {
            lo = lo.min(k_of(x));
            hi = hi.max(k_of(x));
        }
        assert!(lo >= -1022 && hi <= 1023, "k in [{lo}, {hi}]");
        for k in lo..=hi {
            let bits = ((i64::from(k) + 1023) as u64) << 52;
            assert_eq!(bits, mathfn::pow2_int64(k).to_bits(), "2^{k}");
        }
    }
}
