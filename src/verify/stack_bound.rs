//! A sound upper bound on the stack one inference call uses, from the
//! linked image itself (Thumb code of the Cortex-M targets).
//!
//! The disassembly of the image the verification ran (`objdump -d` of the
//! target's binutils, parsed by [`super::timing::cfg`]) gives every
//! routine the call can reach, the generated code and the C library's and
//! libgcc's routines alike (soft-float helpers included). Per routine its
//! frame is the sum of every instruction that lowers the stack pointer
//! (`push`, `stmdb sp!`, `vpush`, `sub sp, #n`, a pre-indexed store to
//! `[sp, #-n]!`). That sum bounds the routine's own depth at any point
//! provided each such instruction runs at most once per activation, so an
//! instruction that lowers the stack inside a loop of its routine is
//! refused, as is any other write to the stack pointer (`mov sp, rN`), an
//! indirect branch or call, and recursion. The bound of a routine is its
//! frame plus the largest bound of the routines it calls or branches into
//! (a tail call or a branch into shared library code counts as a call:
//! over-approximate, never under; a `bl` to an instruction of the same
//! routine is the far jump of Thumb-1 code and counts as a jump). The call instruction itself pushes
//! nothing on ARM (the return address goes to LR), and exception entry is
//! outside the call (the harness runs with interrupts disabled), so the
//! bound of `timber_infer_single` bounds the bytes below the caller's
//! stack pointer, which is what the painted measurement reports.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::timing::cfg::{register_count, Flow, Function};

/// One routine on the deepest chain and its frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainFrame {
    pub function: String,
    pub bytes: u64,
}

/// The bound of one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackBound {
    /// Bytes below the caller's stack pointer, at most.
    pub bytes: u64,
    /// The chain that attains it, from the root, each with its frame.
    pub chain: Vec<ChainFrame>,
    /// Routines analysed (every routine the call can reach).
    pub routines: usize,
}

/// How many bytes `mnemonic operands` lowers the stack pointer by: Some(n)
/// for a decrement, Some(0) for an instruction that leaves it or only
/// raises it, None for a write to SP the analysis cannot size.
pub fn sp_decrement(mnemonic: &str, ops: &str) -> Option<u64> {
    let m = mnemonic
        .strip_suffix(".w")
        .or_else(|| mnemonic.strip_suffix(".n"))
        .unwrap_or(mnemonic);
    let ops = ops.trim();
    let regs_bytes = |ops: &str| -> u64 {
        // d registers are 8 bytes, every other register 4.
        let per = if ops.contains("{d") { 8 } else { 4 };
        per * register_count(ops)
    };
    if m == "push" || m == "vpush" {
        return Some(regs_bytes(ops));
    }
    if (m == "stmdb" || m == "stmfd" || m == "vstmdb") && ops.starts_with("sp!") {
        return Some(regs_bytes(ops));
    }
    let dest = ops.split(',').next().unwrap_or("").trim();
    let imm = |s: &str| -> Option<u64> {
        let s = s.trim().trim_start_matches('#');
        match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => s.parse().ok(),
        }
    };
    if dest == "sp" {
        let rest: Vec<&str> = ops.split(',').skip(1).map(str::trim).collect();
        // `sub sp, #n` or `sub sp, sp, #n` (also subw); `add` raises.
        let operand = match rest.as_slice() {
            [n] if n.starts_with('#') => Some(*n),
            ["sp", n] if n.starts_with('#') => Some(*n),
            _ => None,
        };
        return match (m, operand) {
            ("sub" | "subw" | "subs", Some(n)) => imm(n),
            ("add" | "addw" | "adds", Some(n)) => imm(n).map(|_| 0),
            _ => None,
        };
    }
    // A pre-indexed store with write-back to SP: `str r0, [sp, #-8]!`.
    if ops.contains("[sp, #-") && ops.ends_with("]!") {
        let n = ops.rsplit("#-").next()?.trim_end_matches("]!");
        return imm(n);
    }
    // Other write-backs to SP (ldm/pop/post-indexed loads raise it).
    if ops.starts_with("sp!") || ops.contains("[sp]!") {
        return if m.starts_with("ldm") || m.starts_with("pop") || m.starts_with("vldm") {
            Some(0)
        } else {
            None
        };
    }
    if ops.contains("[sp], #") {
        return if m.starts_with("ldr") || m.starts_with("vldr") {
            Some(0)
        } else {
            None
        };
    }
    Some(0)
}

/// Frame of one routine and where control leaves it for another routine.
struct Summary {
    frame: u64,
    /// Start addresses of routines called or branched into.
    callees: BTreeSet<u64>,
}

/// The routine holding `addr` (the last one starting at or before it).
fn owner(funcs: &BTreeMap<u64, Function>, addr: u64) -> Option<u64> {
    funcs.range(..=addr).next_back().map(|(a, _)| *a)
}

/// Reads a 32-bit little-endian word of the image at an address.
pub type WordReader<'a> = &'a dyn Fn(u64) -> Option<u32>;

fn summarise(
    funcs: &BTreeMap<u64, Function>,
    f: &Function,
    word: WordReader<'_>,
) -> Result<Summary, String> {
    let index: BTreeMap<u64, usize> = f
        .insns
        .iter()
        .enumerate()
        .map(|(i, x)| (x.addr, i))
        .collect();
    let n = f.insns.len();
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut callees = BTreeSet::new();
    let mut outside = |target: u64| -> Result<(), String> {
        let o = owner(funcs, target).ok_or_else(|| {
            format!(
                "{} branches to 0x{target:x}, outside every routine of the image",
                f.name
            )
        })?;
        callees.insert(o);
        Ok(())
    };
    for (i, x) in f.insns.iter().enumerate() {
        let next = (i + 1 < n).then_some(i + 1);
        match &x.flow {
            Flow::Next => succ[i].extend(next),
            Flow::Jump { target, cond } => {
                match index.get(target) {
                    Some(&j) => succ[i].push(j),
                    None => outside(*target)?,
                }
                if *cond {
                    succ[i].extend(next);
                }
            }
            // Thumb-1 code uses `bl` as a far jump inside a large routine
            // (the prologue saves LR for it): a jump, not a call.
            Flow::Call { target, cond } if index.contains_key(target) => {
                succ[i].push(index[target]);
                if *cond {
                    succ[i].extend(next);
                }
            }
            Flow::Call { target, .. } => {
                outside(*target)?;
                succ[i].extend(next);
            }
            Flow::Return { cond } => {
                if *cond {
                    succ[i].extend(next);
                }
            }
            Flow::Stop => {}
            Flow::Unknown => {
                if let Some(targets) = jump_table(f, i, &index, word) {
                    succ[i].extend(targets);
                    continue;
                }
                return Err(format!(
                    "{} at 0x{:x}: `{} {}` goes where the disassembly does not say",
                    f.name, x.addr, x.mnemonic, x.operands
                ));
            }
        }
    }
    let mut frame = 0u64;
    for (i, x) in f.insns.iter().enumerate() {
        let d = sp_decrement(&x.mnemonic, &x.operands).ok_or_else(|| {
            format!(
                "{} at 0x{:x}: `{} {}` writes the stack pointer by an amount the code does not state",
                f.name, x.addr, x.mnemonic, x.operands
            )
        })?;
        if d == 0 {
            continue;
        }
        // On a cycle: reachable from its own successors.
        let mut seen = vec![false; n];
        let mut todo: Vec<usize> = succ[i].clone();
        while let Some(j) = todo.pop() {
            if j == i {
                return Err(format!(
                    "{} at 0x{:x}: `{} {}` lowers the stack inside a loop",
                    f.name, x.addr, x.mnemonic, x.operands
                ));
            }
            if !std::mem::replace(&mut seen[j], true) {
                todo.extend(succ[j].iter().copied());
            }
        }
        frame += d;
    }
    Ok(Summary { frame, callees })
}

/// The instruction indices a Thumb-1 jump table at `i` (`mov pc, rA`) can
/// reach, when the code has exactly the shape GCC gives a bounded switch:
///
/// ```text
/// cmp rA, #K ; bhi out              (or: cmp rA, #K ; bls L ; b out ; L:)
/// ldr rB, [pc, #n] (LIT)  ; lsls rA, rA, #2 ; ldr rA, [rB, rA] ; mov pc, rA
/// ```
///
/// with no other branch into the sequence. The K+1 entries are read from
/// the image (the table address from the literal LIT); each must be an
/// instruction of the same routine. None for anything else.
fn jump_table(
    f: &Function,
    i: usize,
    index: &BTreeMap<u64, usize>,
    word: WordReader<'_>,
) -> Option<Vec<usize>> {
    let at = |k: usize| f.insns.get(i.checked_sub(k)?);
    let is = |k: usize, m: &str, ops: &str| {
        at(k).is_some_and(|x| x.mnemonic == m && x.operands.replace(' ', "") == ops)
    };
    let jump = f.insns.get(i)?;
    if jump.mnemonic != "mov" {
        return None;
    }
    let a = jump.operands.strip_prefix("pc, ")?.trim().to_string();
    let load = at(1)?;
    let b = load
        .operands
        .strip_prefix(&format!("{a}, ["))?
        .strip_suffix(&format!(", {a}]"))?
        .to_string();
    if load.mnemonic != "ldr" || !is(2, "lsls", &format!("{a},{a},#2")) {
        return None;
    }
    let lit = at(3)?;
    if lit.mnemonic != "ldr" || !lit.operands.starts_with(&format!("{b}, [pc, #")) {
        return None;
    }
    // Thumb PC-relative load: (address + 4) rounded down to a word, plus
    // the offset.
    let offset: u64 = lit
        .operands
        .strip_prefix(&format!("{b}, [pc, #"))?
        .strip_suffix(']')?
        .parse()
        .ok()?;
    let lit_addr = ((lit.addr + 4) & !3) + offset;
    // The guard: shape 1 (bhi out) or shape 2 (bls L; b out; L:).
    let cmp_k = if at(4)?.mnemonic.starts_with("bhi") {
        5
    } else if at(4)?.mnemonic.starts_with("b.")
        && at(5)?.mnemonic.starts_with("bls")
        && at(5)?.flow
            == (Flow::Jump {
                target: lit.addr,
                cond: true,
            })
    {
        6
    } else {
        return None;
    };
    let cmp = at(cmp_k)?;
    let k: u64 = cmp
        .operands
        .strip_prefix(&format!("{a}, #"))?
        .trim()
        .parse()
        .ok()?;
    if cmp.mnemonic != "cmp" || k > 4096 {
        return None;
    }
    // No other way into the sequence after the compare.
    let inside: Vec<u64> = (0..cmp_k)
        .map(|d| at(d).map(|x| x.addr))
        .collect::<Option<_>>()?;
    for (n, x) in f.insns.iter().enumerate() {
        if let Flow::Jump { target, .. } | Flow::Call { target, .. } = &x.flow {
            let allowed = cmp_k == 6 && n + 5 == i && *target == lit.addr;
            if inside.contains(target) && !allowed {
                return None;
            }
        }
    }
    let table = u64::from(word(lit_addr)?);
    (0..=k)
        .map(|e| {
            let t = u64::from(word(table + 4 * e)?) & !1;
            index.get(&t).copied()
        })
        .collect()
}

/// A reader of the words of an ELF32 little-endian image (the bytes of
/// its PT_LOAD segments by virtual address).
pub fn elf32_words(image: &[u8]) -> impl Fn(u64) -> Option<u32> + '_ {
    let u16_at = |o: usize| Some(u16::from_le_bytes(image.get(o..o + 2)?.try_into().ok()?));
    let u32_at = move |o: usize| Some(u32::from_le_bytes(image.get(o..o + 4)?.try_into().ok()?));
    let mut segments: Vec<(u64, u64, usize)> = Vec::new();
    let elf32_le = image.get(..6) == Some(b"\x7fELF\x01\x01".as_slice());
    if elf32_le {
        let phoff = u32_at(0x1c).unwrap_or(0) as usize;
        let phentsize = u16_at(0x2a).unwrap_or(0) as usize;
        let phnum = u16_at(0x2c).unwrap_or(0) as usize;
        for n in 0..phnum {
            let h = phoff + n * phentsize;
            let (Some(kind), Some(off), Some(vaddr), Some(filesz)) =
                (u32_at(h), u32_at(h + 4), u32_at(h + 8), u32_at(h + 16))
            else {
                continue;
            };
            if kind == 1 {
                segments.push((u64::from(vaddr), u64::from(filesz), off as usize));
            }
        }
    }
    move |addr: u64| {
        let (v, _, off) = segments
            .iter()
            .find(|(v, len, _)| addr >= *v && addr + 4 <= v + len)?;
        u32_at(off + (addr - v) as usize)
    }
}

/// The bound of a call of `root` in the image whose routines are `funcs`.
/// Errors name the routine and instruction the analysis refuses.
pub fn bound(
    funcs: &BTreeMap<u64, Function>,
    root: &str,
    word: WordReader<'_>,
) -> Result<StackBound, String> {
    let start = funcs
        .iter()
        .find(|(_, f)| f.name == root)
        .map(|(a, _)| *a)
        .ok_or_else(|| format!("{root} is not in the image"))?;
    let mut memo: BTreeMap<u64, (u64, Option<u64>)> = BTreeMap::new();
    let mut summaries: BTreeMap<u64, Summary> = BTreeMap::new();
    let mut path: Vec<u64> = Vec::new();
    depth(funcs, start, &mut memo, &mut summaries, &mut path, word)?;
    let mut chain = Vec::new();
    let mut at = Some(start);
    while let Some(a) = at {
        chain.push(ChainFrame {
            function: funcs[&a].name.clone(),
            bytes: summaries[&a].frame,
        });
        at = memo[&a].1;
    }
    Ok(StackBound {
        bytes: memo[&start].0,
        chain,
        routines: summaries.len(),
    })
}

/// Bound of routine `a` and its deepest callee (memoised); `path` holds
/// the routines being analysed, for naming a recursion.
fn depth(
    funcs: &BTreeMap<u64, Function>,
    a: u64,
    memo: &mut BTreeMap<u64, (u64, Option<u64>)>,
    summaries: &mut BTreeMap<u64, Summary>,
    path: &mut Vec<u64>,
    word: WordReader<'_>,
) -> Result<u64, String> {
    if let Some((b, _)) = memo.get(&a) {
        return Ok(*b);
    }
    if let Some(i) = path.iter().position(|p| *p == a) {
        let mut names: Vec<&str> = path[i..].iter().map(|p| funcs[p].name.as_str()).collect();
        names.push(funcs[&a].name.as_str());
        return Err(format!("recursion: {}", names.join(" > ")));
    }
    let s = summarise(funcs, &funcs[&a], word)?;
    let callees: Vec<u64> = s.callees.iter().copied().collect();
    summaries.insert(a, s);
    path.push(a);
    let mut best: Option<(u64, u64)> = None;
    for c in callees {
        let b = depth(funcs, c, memo, summaries, path, word)?;
        if best.is_none_or(|(bb, _)| b > bb) {
            best = Some((b, c));
        }
    }
    path.pop();
    let frame = summaries[&a].frame;
    let total = frame + best.map_or(0, |(b, _)| b);
    memo.insert(a, (total, best.map(|(_, c)| c)));
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::super::timing::cfg::parse_objdump;
    use super::*;

    fn dis(body: &str) -> String {
        body.lines()
            .map(|l| l.trim_start().replace("\\t", "\t"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn decrements_are_sized_and_unsized_writes_refused() {
        assert_eq!(sp_decrement("push", "{r4, r5, r6, lr}"), Some(16));
        assert_eq!(sp_decrement("vpush", "{d8}"), Some(8));
        assert_eq!(sp_decrement("vpush", "{s16-s19}"), Some(16));
        assert_eq!(
            sp_decrement("stmdb", "sp!, {r4, r5, r6, r7, r8, r9, sl, fp, lr}"),
            Some(36)
        );
        assert_eq!(sp_decrement("sub", "sp, #124"), Some(124));
        assert_eq!(sp_decrement("sub.w", "sp, sp, #0x208"), Some(520));
        assert_eq!(sp_decrement("str.w", "r4, [sp, #-8]!"), Some(8));
        assert_eq!(sp_decrement("add", "sp, #124"), Some(0));
        assert_eq!(
            sp_decrement("ldmia.w", "sp!, {r4, r5, r6, r7, r8, r9, pc}"),
            Some(0)
        );
        assert_eq!(sp_decrement("ldr.w", "pc, [sp], #4"), Some(0));
        assert_eq!(sp_decrement("str", "r3, [sp, #4]"), Some(0));
        assert_eq!(sp_decrement("mov", "sp, r7"), None);
        assert_eq!(sp_decrement("sub", "sp, r3"), None);
    }

    const IMAGE: &str = "
        00000100 <root>:
        \x20 100:\\tpush\\t{r4, lr}
        \x20 102:\\tsub\\tsp, #8
        \x20 104:\\tbl\\t200 <mid>
        \x20 108:\\tbl\\t300 <leaf>
        \x20 10c:\\tadd\\tsp, #8
        \x20 10e:\\tpop\\t{r4, pc}
        00000200 <mid>:
        \x20 200:\\tpush\\t{r4, r5, r6, lr}
        \x20 202:\\tbl\\t300 <leaf>
        \x20 206:\\tpop\\t{r4, r5, r6, lr}
        \x20 208:\\tb.w\\t300 <leaf>
        00000300 <leaf>:
        \x20 300:\\tvpush\\t{d8}
        \x20 304:\\tvpop\\t{d8}
        \x20 308:\\tbx\\tlr
        ";

    #[test]
    fn the_deepest_chain_sums_every_frame_and_tail_calls_count() {
        let b = bound(&parse_objdump(&dis(IMAGE)), "root", &|_| None).expect("bound");
        assert_eq!(b.bytes, 16 + 16 + 8);
        let names: Vec<(&str, u64)> = b
            .chain
            .iter()
            .map(|f| (f.function.as_str(), f.bytes))
            .collect();
        assert_eq!(names, vec![("root", 16), ("mid", 16), ("leaf", 8)]);
        assert_eq!(b.routines, 3);
    }

    #[test]
    fn loops_that_push_recursion_and_indirect_calls_are_refused_by_name() {
        let looped = IMAGE.replace("\\tpop\\t{r4, r5, r6, lr}", "\\tbne.n\\t200 <mid>");
        let e = bound(&parse_objdump(&dis(&looped)), "root", &|_| None).expect_err("loop");
        assert!(
            e.contains("mid at 0x200") && e.contains("inside a loop"),
            "{e}"
        );
        let rec = IMAGE.replace(
            "bl\\t300 <leaf>\n        \x20 206",
            "bl\\t100 <root>\n        \x20 206",
        );
        let e = bound(&parse_objdump(&dis(&rec)), "root", &|_| None).expect_err("recursion");
        assert_eq!(e, "recursion: root > mid > root");
        let ind = IMAGE.replace(
            "bl\\t300 <leaf>\n        \x20 10c",
            "blx\\tr3\n        \x20 10c",
        );
        let e = bound(&parse_objdump(&dis(&ind)), "root", &|_| None).expect_err("indirect");
        assert!(e.contains("root at 0x108") && e.contains("blx r3"), "{e}");
        let fp = IMAGE.replace("add\\tsp, #8", "mov\\tsp, r7");
        let e = bound(&parse_objdump(&dis(&fp)), "root", &|_| None).expect_err("mov sp");
        assert!(e.contains("mov sp, r7"), "{e}");
    }
}
