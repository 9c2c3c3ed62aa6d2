//! The static bound: the longest path, in instructions and in cycles,
//! through `timber_infer_single` and every routine it calls (found by
//! following the direct calls and tail calls of the disassembly, soft-float
//! helpers included), on the control-flow graph of [`super::cfg`].
//!
//! Loops: the generated code of the layouts analysed here has none left
//! after the compiler unrolls its constant per-group loops; a loop that
//! remains in the object code (a back edge of the graph) is not matched to
//! a bound from the IR by this analysis, so the bound is refused and the
//! loop is named (function and addresses). Recursion, indirect branches and
//! calls, branch tables, and code that runs off the end of a function are
//! refused the same way. Nothing is approximated: either every path is
//! accounted for, or there is no bound.

use super::cfg::{register_count, Flow, Function, Insn};
use super::CycleModel;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A bound on one call of the entry point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bound {
    /// Upper bound on instructions executed by one call.
    pub instructions: u64,
    /// Upper bound on cycles under the target's cycle model.
    pub cycles: Option<u64>,
    /// `cycles` at the model's clock, microseconds.
    pub micros: Option<f64>,
    pub clock_mhz: Option<f64>,
    /// Every function the bound covers, with its own bound in
    /// instructions (callees included), by name.
    pub functions: BTreeMap<String, u64>,
}

/// Cycle costs of one instruction.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    /// Executing it (for a branch: when it falls through).
    base: u64,
    /// Executing it when it transfers control (branch taken, call, return).
    taken: u64,
}

fn strip_cond_width(m: &str) -> &str {
    m.split('.').next().unwrap_or(m)
}

fn cost(i: &Insn, m: &CycleModel) -> Cost {
    let mem = m.flash_wait_states + m.cache_miss_penalty;
    let taken = m.branch_taken + mem;
    let name = strip_cond_width(&i.mnemonic);
    let regs = register_count(&i.operands);
    let multi_load = m.load + m.per_register * regs + mem;
    let base = match &i.flow {
        Flow::Jump { .. } | Flow::Return { .. } | Flow::Call { .. } => m.branch_not_taken,
        _ => {
            // FPU transfers (vldr, vpush, ...) cost as their core forms.
            let fpu = name.strip_prefix('v');
            let op = fpu.unwrap_or(name);
            if op.starts_with("ldm") || op.starts_with("pop") {
                multi_load
            } else if op.starts_with("stm") || op.starts_with("push") {
                m.store + m.per_register * regs
            } else if op.starts_with("ldr") {
                m.load + mem
            } else if op.starts_with("str") {
                m.store
            } else if fpu.is_some() {
                if op.starts_with("div") || op.starts_with("sqrt") {
                    m.fpu_divide
                } else {
                    m.fpu
                }
            } else if name.starts_with("sdiv") || name.starts_with("udiv") {
                m.divide
            } else if [
                "mul", "mla", "mls", "umull", "smull", "umlal", "smlal", "smul", "smla",
            ]
            .iter()
            .any(|p| name.starts_with(p))
            {
                m.multiply
            } else {
                m.alu
            }
        }
    };
    let taken = match &i.flow {
        Flow::Return { .. } if name.starts_with("pop") || name.starts_with("ldm") => {
            multi_load + taken
        }
        Flow::Return { .. } if name.starts_with("ldr") => m.load + taken,
        _ => taken,
    };
    Cost { base, taken }
}

/// Longest paths of one function: (instructions, cycles) from its entry
/// to any return, callees included.
type Weights = (u64, u64);

struct Analysis<'a> {
    funcs: &'a BTreeMap<u64, Function>,
    model: Option<&'a CycleModel>,
    done: BTreeMap<u64, Weights>,
    active: BTreeSet<u64>,
}

fn add(a: Weights, b: Weights) -> Weights {
    (a.0.saturating_add(b.0), a.1.saturating_add(b.1))
}

fn max(a: Weights, b: Weights) -> Weights {
    (a.0.max(b.0), a.1.max(b.1))
}

impl Analysis<'_> {
    fn callee(&mut self, target: u64, from: &Function, at: u64) -> Result<Weights, String> {
        if !self.funcs.contains_key(&target) {
            return Err(format!(
                "{} calls 0x{target:x} at 0x{at:x}, which is not the start of a function",
                from.name
            ));
        }
        self.function(target)
    }

    fn function(&mut self, start: u64) -> Result<Weights, String> {
        if let Some(w) = self.done.get(&start) {
            return Ok(*w);
        }
        let funcs = self.funcs;
        let f = funcs
            .get(&start)
            .ok_or_else(|| format!("no function at 0x{start:x}"))?;
        if !self.active.insert(start) {
            return Err(format!("{} is recursive: no bound", f.name));
        }
        let w = self.longest(f)?;
        self.active.remove(&start);
        self.done.insert(start, w);
        Ok(w)
    }

    /// Longest path through one function's instruction graph.
    fn longest(&mut self, f: &Function) -> Result<Weights, String> {
        let n = f.insns.len();
        if n == 0 {
            return Err(format!("{} has no instructions", f.name));
        }
        let pos: BTreeMap<u64, usize> = f
            .insns
            .iter()
            .enumerate()
            .map(|(k, i)| (i.addr, k))
            .collect();
        // Successors inside the function, per instruction.
        let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, i) in f.insns.iter().enumerate() {
            // k + 1 == n (running off the end) is refused when reached.
            let next = || -> Result<usize, String> { Ok(k + 1) };
            match &i.flow {
                Flow::Next | Flow::Call { .. } => succ[k].push(next()?),
                Flow::Jump { target, cond } => {
                    if let Some(&t) = pos.get(target) {
                        succ[k].push(t);
                    }
                    if *cond {
                        succ[k].push(next()?);
                    }
                }
                Flow::Return { cond } => {
                    if *cond {
                        succ[k].push(next()?);
                    }
                }
                Flow::Stop => {}
                Flow::Unknown => {
                    return Err(format!(
                        "{}: `{} {}` at 0x{:x} goes where the code does not say \
                         (indirect branch or table): no bound",
                        f.name, i.mnemonic, i.operands, i.addr
                    ))
                }
            }
        }
        // Reverse post-order by an iterative depth-first search; a back
        // edge is a loop, which this analysis does not bound.
        let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        let mut order: Vec<usize> = Vec::with_capacity(n);
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        state[0] = 1;
        while let Some((v, e)) = stack.pop() {
            if let Some(&w) = succ[v].get(e) {
                if w == n {
                    return Err(format!(
                        "{} runs off its end after 0x{:x}: no bound",
                        f.name, f.insns[v].addr
                    ));
                }
                stack.push((v, e + 1));
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => {
                        return Err(format!(
                            "{}: loop from 0x{:x} back to 0x{:x} is not matched to a bound \
                             from the IR: no bound",
                            f.name, f.insns[v].addr, f.insns[w].addr
                        ))
                    }
                    _ => {}
                }
            } else {
                state[v] = 2;
                order.push(v);
            }
        }
        // `order` is a post-order: successors come before predecessors.
        let mut best: Vec<Weights> = vec![(0, 0); n];
        for &v in &order {
            let i = &f.insns[v];
            let c = self.model.map(|m| cost(i, m)).unwrap_or_default();
            let mut here: Option<Weights> = None;
            let mut offer = |w: Weights| here = Some(here.map_or(w, |h| max(h, w)));
            match &i.flow {
                Flow::Next => offer(add((1, c.base), best[v + 1])),
                Flow::Call { target, .. } => {
                    let callee = self.callee(*target, f, i.addr)?;
                    offer(add(add((1, c.taken), callee), best[v + 1]));
                    offer(add((1, c.base), best[v + 1]));
                }
                Flow::Jump { target, cond } => {
                    match pos.get(target) {
                        Some(&t) => offer(add((1, c.taken), best[t])),
                        None => {
                            // A tail call: the callee returns for us.
                            let callee = self.callee(*target, f, i.addr)?;
                            offer(add((1, c.taken), callee));
                        }
                    }
                    if *cond {
                        offer(add((1, c.base), best[v + 1]));
                    }
                }
                Flow::Return { cond } => {
                    offer((1, c.taken));
                    if *cond {
                        offer(add((1, c.base), best[v + 1]));
                    }
                }
                Flow::Stop => offer((1, c.base)),
                Flow::Unknown => {}
            }
            best[v] = here.unwrap_or((1, c.base));
        }
        Ok(best[0])
    }
}

/// The bound of one call of the function named `entry`.
pub fn bound(
    funcs: &BTreeMap<u64, Function>,
    entry: &str,
    model: Option<&CycleModel>,
) -> Result<Bound, String> {
    let start = funcs
        .values()
        .find(|f| f.name == entry)
        .map(|f| f.start)
        .ok_or_else(|| format!("the image has no function {entry}"))?;
    let mut a = Analysis {
        funcs,
        model,
        done: BTreeMap::new(),
        active: BTreeSet::new(),
    };
    let (insns, cycles) = a.function(start)?;
    let functions = a
        .done
        .iter()
        .filter_map(|(s, w)| funcs.get(s).map(|f| (f.name.clone(), w.0)))
        .collect();
    Ok(Bound {
        instructions: insns,
        cycles: model.map(|_| cycles),
        micros: model.map(|m| cycles as f64 / m.clock_mhz),
        clock_mhz: model.map(|m| m.clock_mhz),
        functions,
    })
}

#[cfg(test)]
mod tests {
    use super::super::cfg::parse_objdump;
    use super::*;

    fn model() -> CycleModel {
        CycleModel {
            source: "test".into(),
            clock_mhz: 100.0,
            alu: 1,
            load: 2,
            store: 1,
            per_register: 1,
            branch_not_taken: 1,
            branch_taken: 3,
            multiply: 1,
            divide: 12,
            fpu: 1,
            fpu_divide: 14,
            flash_wait_states: 0,
            cache_miss_penalty: 0,
        }
    }

    #[test]
    fn the_longer_arm_and_the_callee_count() {
        let text = "\n00000100 <f>:\n\
            \x20    100:\tcmp\tr0, #0\n\
            \x20    102:\tbeq\t10a <f+0xa>\n\
            \x20    104:\tbl\t200 <g>\n\
            \x20    108:\tadds\tr0, #1\n\
            \x20    10a:\tbx\tlr\n\
            \n00000200 <g>:\n\
            \x20    200:\tvdiv.f32\ts0, s0, s1\n\
            \x20    204:\tbx\tlr\n";
        let fs = parse_objdump(text);
        let b = bound(&fs, "f", Some(&model())).expect("bound");
        // cmp, beq (not taken), bl, [vdiv, bx], adds, bx
        assert_eq!(b.instructions, 7);
        // 1 + 1 + 3 + (14 + 3) + 1 + 3
        assert_eq!(b.cycles, Some(26));
        assert_eq!(b.functions.get("g"), Some(&2));
    }

    #[test]
    fn loops_recursion_and_indirect_calls_are_refused() {
        let looped = "\n00000100 <f>:\n\
            \x20    100:\tsubs\tr0, #1\n\
            \x20    102:\tbne\t100 <f>\n\
            \x20    104:\tbx\tlr\n";
        let e = bound(&parse_objdump(looped), "f", None).expect_err("loop");
        assert!(e.contains("loop from 0x102 back to 0x100"), "{e}");
        let rec = "\n00000100 <f>:\n\
            \x20    100:\tbl\t100 <f>\n\
            \x20    104:\tbx\tlr\n";
        let e = bound(&parse_objdump(rec), "f", None).expect_err("recursion");
        assert!(e.contains("recursive"), "{e}");
        let ind = "\n00000100 <f>:\n\
            \x20    100:\tblx\tr3\n\
            \x20    102:\tbx\tlr\n";
        let e = bound(&parse_objdump(ind), "f", None).expect_err("indirect");
        assert!(e.contains("0x100"), "{e}");
    }
}
