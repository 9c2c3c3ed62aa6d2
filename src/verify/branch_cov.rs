//! Object-code branch coverage of bare-metal images: which conditional
//! branch instructions of the linked image were taken, not taken, both or
//! neither while the model's calls ran under QEMU.
//!
//! Two independent readings meet here: the disassembly of the very image
//! that ran (`objdump -d --no-show-raw-insn` of the target's binutils: each
//! conditional branch, its target and its fall-through address) and the
//! execution trace ([`super::trace::TraceRun::edges`]: after every executed
//! block-ending instruction, the pc that ran next). QEMU ends a translation
//! block at every branch, so a conditional branch is always the last
//! instruction of its block and the next pc says taken (the target) or not
//! taken (the fall-through).
//!
//! Conditional branches: Thumb `b<cond>` (inside or outside an IT block),
//! `cbz`, `cbnz` ([`super::timing::cfg`]); RISC-V `beq`, `bne`, `blt`,
//! `bge`, `bltu`, `bgeu` and the forms objdump prints for them and for the
//! compressed `c.beqz` / `c.bnez` ([`riscv_conditional_target`]).
//! Instructions predicated by an IT block that are not branches (`movlt`)
//! are not branches and are not counted here.
//!
//! Functions are split into the model's own (defined in model.c) and the
//! library routines the calls reached (soft-float helpers, `memcpy`): the
//! library's branches are reported apart, with those the model's inputs
//! never drove both ways listed, never hidden.

use super::timing::cfg::{self, Flow};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One conditional branch of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondBranch {
    pub addr: u64,
    pub target: u64,
    /// The next instruction's address (None for a function's last one).
    pub fallthrough: Option<u64>,
    /// `mnemonic operands` as objdump printed them.
    pub text: String,
}

/// Which instruction set the disassembly is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    Thumb,
    RiscV,
}

impl Isa {
    /// From objdump's `file format` line.
    pub fn of_objdump(text: &str) -> Result<Isa, String> {
        let format = text
            .lines()
            .find_map(|l| l.split("file format ").nth(1))
            .unwrap_or("of an unknown format")
            .trim();
        match format {
            "elf32-littlearm" => Ok(Isa::Thumb),
            f if f.contains("riscv") => Ok(Isa::RiscV),
            f => Err(format!(
                "object-code branch coverage reads Arm Thumb and RISC-V images only; this image is {f}"
            )),
        }
    }
}

/// The target of a RISC-V conditional branch as objdump prints it
/// (`beq a0,a1,80000120 <f+0x20>`, `beqz a5,8000011c <f+0x1c>`; the
/// compressed `c.beqz`/`c.bnez` print as `beqz`/`bnez`), or None for any
/// other instruction.
pub fn riscv_conditional_target(mnemonic: &str, operands: &str) -> Option<u64> {
    let m = mnemonic.strip_prefix("c.").unwrap_or(mnemonic);
    const COND: [&str; 16] = [
        "beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "blez", "bgez", "bltz", "bgtz",
        "bgt", "ble", "bgtu", "bleu",
    ];
    if !COND.contains(&m) {
        return None;
    }
    let before = operands.split('<').next()?;
    let tok = before.split([',', ' ']).rfind(|t| !t.trim().is_empty())?;
    u64::from_str_radix(tok.trim(), 16).ok()
}

/// Every function of the image with its conditional branches, by name.
pub fn conditional_branches(objdump: &str) -> Result<BTreeMap<String, Vec<CondBranch>>, String> {
    let isa = Isa::of_objdump(objdump)?;
    let funcs = cfg::parse_objdump(objdump);
    let mut out = BTreeMap::new();
    for f in funcs.values() {
        let mut branches = Vec::new();
        for (i, insn) in f.insns.iter().enumerate() {
            let target = match isa {
                Isa::Thumb => match insn.flow {
                    Flow::Jump { target, cond: true } => Some(target),
                    _ => None,
                },
                Isa::RiscV => riscv_conditional_target(&insn.mnemonic, &insn.operands),
            };
            if let Some(target) = target {
                branches.push(CondBranch {
                    addr: insn.addr,
                    target,
                    fallthrough: f.insns.get(i + 1).map(|n| n.addr),
                    text: format!("{} {}", insn.mnemonic, insn.operands)
                        .trim()
                        .to_string(),
                });
            }
        }
        out.insert(f.name.clone(), branches);
    }
    Ok(out)
}

/// A branch not driven both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialBranch {
    /// Hex address in the image.
    pub addr: String,
    pub disassembly: String,
    pub taken: bool,
    pub not_taken: bool,
}

/// The branches of one function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionBranches {
    pub function: String,
    pub branches: usize,
    pub both_ways: usize,
    pub one_way: usize,
    pub never: usize,
    /// Every branch not taken both ways, in address order.
    pub partial: Vec<PartialBranch>,
}

/// Object-code branch coverage of one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchCoverage {
    /// model.c's functions present in the image (inlined ones are part of
    /// their caller), by name.
    pub model: Vec<FunctionBranches>,
    /// Every other function the calls executed, by name.
    pub library: Vec<FunctionBranches>,
}

impl BranchCoverage {
    /// (branches, taken both ways) over the model's functions.
    pub fn model_totals(&self) -> (usize, usize) {
        self.model
            .iter()
            .fold((0, 0), |(b, w), f| (b + f.branches, w + f.both_ways))
    }
}

/// The functions model.c defines (names at the start of a definition).
pub fn model_functions(model_c: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in model_c.lines() {
        if line.starts_with([' ', '\t', '#', '*', '/']) || line.trim_end().ends_with(';') {
            continue;
        }
        let Some(open) = line.find('(') else { continue };
        let head = &line[..open];
        if let Some(name) = head.rsplit([' ', '*']).next() {
            if name.starts_with("timber_")
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                out.insert(name.to_string());
            }
        }
    }
    out
}

/// Coverage of `objdump`'s image from the trace's `edges`; functions in
/// `model` are the model's, others are listed when the trace executed
/// any of their instructions' successors (i.e. they ran).
pub fn measure(
    objdump: &str,
    edges: &BTreeMap<u64, BTreeSet<u64>>,
    executed_functions: &BTreeSet<String>,
    model: &BTreeSet<String>,
) -> Result<BranchCoverage, String> {
    let all = conditional_branches(objdump)?;
    let mut cov = BranchCoverage {
        model: Vec::new(),
        library: Vec::new(),
    };
    for (name, branches) in &all {
        let is_model = model.contains(name);
        if !is_model && !executed_functions.contains(name) {
            continue;
        }
        let mut f = FunctionBranches {
            function: name.clone(),
            branches: branches.len(),
            both_ways: 0,
            one_way: 0,
            never: 0,
            partial: Vec::new(),
        };
        for b in branches {
            let next = edges.get(&b.addr);
            let taken = next.is_some_and(|s| s.contains(&b.target));
            let not_taken = match (next, b.fallthrough) {
                (Some(s), Some(ft)) => s.contains(&ft),
                _ => false,
            };
            match (taken, not_taken) {
                (true, true) => f.both_ways += 1,
                (false, false) => f.never += 1,
                _ => f.one_way += 1,
            }
            if !(taken && not_taken) {
                f.partial.push(PartialBranch {
                    addr: format!("{:#x}", b.addr),
                    disassembly: b.text.clone(),
                    taken,
                    not_taken,
                });
            }
        }
        if is_model {
            cov.model.push(f);
        } else {
            cov.library.push(f);
        }
    }
    Ok(cov)
}

/// The report's lines (indented like the other target lines): totals for
/// the model's functions and the library routines, then every branch of
/// the model not taken both ways.
pub fn render_text(c: &BranchCoverage) -> String {
    let sum = |fs: &[FunctionBranches]| {
        fs.iter().fold((0, 0, 0, 0), |(b, w, o, n), f| {
            (b + f.branches, w + f.both_ways, o + f.one_way, n + f.never)
        })
    };
    let mut s = String::new();
    for (what, fs) in [
        ("model.c functions", &c.model),
        ("library routines", &c.library),
    ] {
        let (b, w, o, n) = sum(fs);
        s.push_str(&format!(
            "    object-code branches, {what}: {w}/{b} taken both ways, {o} one way, {n} never\n"
        ));
    }
    for f in &c.model {
        for p in &f.partial {
            let how = match (p.taken, p.not_taken) {
                (true, false) => "taken only",
                (false, true) => "not taken only",
                _ => "never executed",
            };
            s.push_str(&format!(
                "      {} {} {}: {how}\n",
                f.function, p.addr, p.disassembly
            ));
        }
    }
    s
}

/// The functions of `objdump`'s image that contain any of `pcs`.
pub fn functions_containing(objdump: &str, pcs: &BTreeSet<u64>) -> BTreeSet<String> {
    let funcs = cfg::parse_objdump(objdump);
    let mut out = BTreeSet::new();
    for f in funcs.values() {
        let (Some(first), Some(last)) = (f.insns.first(), f.insns.last()) else {
            continue;
        };
        if pcs.range(first.addr..=last.addr).next().is_some() {
            out.insert(f.name.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const THUMB: &str = "\nprog.elf:     file format elf32-littlearm\n\n\
Disassembly of section .text:\n\n\
00000100 <timber_infer_single>:\n\
 100:\tcmp\tr0, #0\n\
 102:\tbeq.n\t10a <timber_infer_single+0xa>\n\
 104:\tcbz\tr1, 10a <timber_infer_single+0xa>\n\
 106:\tmovs\tr0, #0\n\
 108:\tbx\tlr\n\
 10a:\tmovs\tr0, #1\n\
 10c:\tbx\tlr\n\n\
00000110 <__aeabi_fcmplt>:\n\
 110:\tcmp\tr0, r1\n\
 112:\tbgt.n\t118 <__aeabi_fcmplt+0x8>\n\
 114:\tbx\tlr\n\
 116:\tnop\n\
 118:\tbx\tlr\n";

    const RISCV: &str = "\ntrace.elf:     file format elf32-littleriscv\n\n\
80000100 <timber_tree_0>:\n\
80000100:\tbeqz\ta0,8000010a <timber_tree_0+0xa>\n\
80000102:\tbltu\ta1,a2,8000010a <timber_tree_0+0xa>\n\
80000106:\tli\ta0,1\n\
80000108:\tret\n\
8000010a:\tbnez\ta1,80000100 <timber_tree_0>\n\
8000010c:\tret\n";

    #[test]
    fn thumb_branches_are_read_with_target_and_fallthrough() {
        let b = conditional_branches(THUMB).expect("thumb");
        let f = &b["timber_infer_single"];
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].addr, f[0].target, f[0].fallthrough),
            (0x102, 0x10a, Some(0x104))
        );
        assert_eq!(f[1].text, "cbz r1, 10a <timber_infer_single+0xa>");
        assert_eq!(b["__aeabi_fcmplt"].len(), 1);
    }

    #[test]
    fn riscv_branches_include_the_compressed_and_unsigned_forms() {
        let b = conditional_branches(RISCV).expect("riscv");
        let f = &b["timber_tree_0"];
        let addrs: Vec<u64> = f.iter().map(|x| x.addr).collect();
        assert_eq!(addrs, vec![0x80000100, 0x80000102, 0x8000010a]);
        assert_eq!(f[2].target, 0x80000100);
        assert_eq!(
            riscv_conditional_target("c.bnez", "a5,80000010 <f>"),
            Some(0x80000010)
        );
        assert_eq!(riscv_conditional_target("jal", "80000010 <f>"), None);
        assert!(Isa::of_objdump("x:     file format elf64-x86-64\n").is_err());
    }

    #[test]
    fn taken_not_taken_both_and_never_from_the_edges() {
        let mut edges: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
        edges.entry(0x102).or_default().extend([0x10a, 0x104]); // both
        edges.entry(0x104).or_default().insert(0x106); // not taken only
        edges.entry(0x112).or_default().insert(0x118); // library: taken only
        let model: BTreeSet<String> = ["timber_infer_single".to_string()].into();
        let ran: BTreeSet<String> = ["__aeabi_fcmplt".to_string()].into();
        let c = measure(THUMB, &edges, &ran, &model).expect("measure");
        assert_eq!(c.model_totals(), (2, 1));
        let f = &c.model[0];
        assert_eq!((f.both_ways, f.one_way, f.never), (1, 1, 0));
        assert_eq!(f.partial[0].addr, "0x104");
        assert!(!f.partial[0].taken && f.partial[0].not_taken);
        assert_eq!(c.library[0].function, "__aeabi_fcmplt");
        assert_eq!(c.library[0].one_way, 1);
    }

    #[test]
    fn model_functions_are_the_definitions_of_model_c() {
        let src = "static timber_float32_t timber_exp(timber_float32_t x)\n{\n\
            int32_t timber_infer_single(const float in[1], float out[1])\n\
            int32_t timber_infer_single(const float in[1], float out[1]);\n\
            \x20   y = timber_exp(x);\n";
        let names: Vec<String> = model_functions(src).into_iter().collect();
        assert_eq!(names, vec!["timber_exp", "timber_infer_single"]);
    }
}
