//! The control-flow graph of Thumb code from a linked image's disassembly
//! (`objdump -d --no-show-raw-insn` of the target's own binutils): the
//! functions, their instructions, and per instruction how control leaves
//! it. Anything whose successors cannot be read from the code itself
//! (an indirect branch or call, a branch table, a write to the PC that is
//! not a return) is kept as [`Flow::Unknown`], and the bound refuses it.

use std::collections::BTreeMap;

/// How control leaves one instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Falls through to the next instruction.
    Next,
    /// Direct branch; `cond`: it may also fall through.
    Jump { target: u64, cond: bool },
    /// Direct call (BL); returns to the next instruction.
    Call { target: u64, cond: bool },
    /// Return to the caller (BX LR, POP {..., PC}, LDR PC, [SP], #4);
    /// `cond`: it may also fall through.
    Return { cond: bool },
    /// Stops (UDF, BKPT, SVC): no successor inside the program's flow.
    Stop,
    /// Control goes somewhere the disassembly does not say.
    Unknown,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insn {
    pub addr: u64,
    /// Lower-case mnemonic as printed (condition and width included).
    pub mnemonic: String,
    pub operands: String,
    pub flow: Flow,
}

/// A function of the image: its instructions in address order.
#[derive(Debug, Clone, Default)]
pub struct Function {
    pub name: String,
    pub start: u64,
    pub insns: Vec<Insn>,
}

const CONDS: [&str; 16] = [
    "eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le",
];

/// The mnemonic without the `.w`/`.n` width qualifier.
fn strip_width(m: &str) -> &str {
    m.strip_suffix(".w")
        .or_else(|| m.strip_suffix(".n"))
        .unwrap_or(m)
}

/// `base` followed by an optional condition: Some(has condition).
fn cond_form(m: &str, base: &str) -> Option<bool> {
    let rest = m.strip_prefix(base)?;
    if rest.is_empty() {
        Some(false)
    } else {
        CONDS.contains(&rest).then_some(true)
    }
}

/// The first hexadecimal address in branch operands (`54a6 <f+0x12>` or
/// `r0, 54a6 <f+0x12>`).
fn branch_target(ops: &str) -> Option<u64> {
    let before = ops.split('<').next()?;
    let tok = before.split([',', ' ']).rfind(|t| !t.trim().is_empty())?;
    u64::from_str_radix(tok.trim(), 16).ok()
}

/// Registers named in a register list `{r4, r5, lr}` / `{s16-s31}`.
pub fn register_count(ops: &str) -> u64 {
    let Some(open) = ops.find('{') else { return 1 };
    let Some(close) = ops[open..].find('}') else {
        return 1;
    };
    ops[open + 1..open + close]
        .split(',')
        .map(|r| {
            let r = r.trim();
            match r.split_once('-') {
                Some((a, b)) => {
                    let n = |s: &str| {
                        s.trim()
                            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                            .parse::<u64>()
                            .ok()
                    };
                    match (n(a), n(b)) {
                        (Some(a), Some(b)) if b >= a => b - a + 1,
                        _ => 1,
                    }
                }
                None => 1,
            }
        })
        .sum()
}

/// How control leaves an instruction; `in_it`: inside an IT block.
fn classify(mnemonic: &str, ops: &str, in_it: bool) -> Flow {
    let m = strip_width(mnemonic);
    let writes_pc_list = ops.contains("pc}") || ops.contains(", pc}") || ops.contains("{pc");
    if let Some(c) = cond_form(m, "bl") {
        return match branch_target(ops) {
            Some(target) => Flow::Call {
                target,
                cond: c || in_it,
            },
            None => Flow::Unknown,
        };
    }
    if let Some(c) = cond_form(m, "bx") {
        return if ops.trim() == "lr" {
            Flow::Return { cond: c || in_it }
        } else {
            Flow::Unknown
        };
    }
    if cond_form(m, "blx").is_some() || m == "tbb" || m == "tbh" {
        return Flow::Unknown;
    }
    if let Some(c) = cond_form(m, "b") {
        return match branch_target(ops) {
            Some(target) => Flow::Jump {
                target,
                cond: c || in_it,
            },
            None => Flow::Unknown,
        };
    }
    if m == "cbz" || m == "cbnz" {
        return match branch_target(ops) {
            Some(target) => Flow::Jump { target, cond: true },
            None => Flow::Unknown,
        };
    }
    if let Some(c) = cond_form(m, "pop").or_else(|| cond_form(m, "ldmia")) {
        if writes_pc_list {
            let from_sp = m.starts_with("pop") || ops.trim_start().starts_with("sp!");
            return if from_sp {
                Flow::Return { cond: c || in_it }
            } else {
                Flow::Unknown
            };
        }
        return Flow::Next;
    }
    if m.starts_with("ldr") && ops.trim_start().starts_with("pc,") {
        return if ops.contains("[sp]") {
            Flow::Return {
                cond: in_it || m.len() > 3 && CONDS.contains(&&m[3..]),
            }
        } else {
            Flow::Unknown
        };
    }
    if m.starts_with("udf") || m.starts_with("bkpt") || m.starts_with("svc") {
        return Flow::Stop;
    }
    // Any other instruction whose destination is the PC.
    let dest = ops.split(',').next().unwrap_or("").trim();
    if dest == "pc" || (writes_pc_list && (m.starts_with("ldm") || m.starts_with("pop"))) {
        return Flow::Unknown;
    }
    Flow::Next
}

/// Instructions an IT instruction makes conditional (`it` 1 ... `itttt` 4).
fn it_length(mnemonic: &str) -> usize {
    match mnemonic.strip_prefix('i') {
        Some(rest)
            if !rest.is_empty()
                && rest.len() <= 4
                && rest.starts_with('t')
                && rest.chars().all(|c| c == 't' || c == 'e') =>
        {
            rest.len()
        }
        _ => 0,
    }
}

/// The functions of an Arm image's disassembly ([`parse_objdump`]), or why
/// there are none to read: this reader decodes Thumb only, so another
/// instruction set (a RISC-V image, say) is refused by objdump's file
/// format rather than mis-decoded. Used by the timing and stack bounds.
pub fn parse_thumb_objdump(text: &str) -> Result<BTreeMap<u64, Function>, String> {
    let format = text
        .lines()
        .find_map(|l| l.split("file format ").nth(1))
        .unwrap_or("of an unknown format")
        .trim();
    if format != "elf32-littlearm" {
        return Err(format!(
            "the disassembly reader decodes Arm Thumb code only and this image is {format}"
        ));
    }
    Ok(parse_objdump(text))
}

/// Parse `objdump -d --no-show-raw-insn` text into functions by start
/// address (data words in code, `.word` and friends, are skipped).
pub fn parse_objdump(text: &str) -> BTreeMap<u64, Function> {
    let mut out: BTreeMap<u64, Function> = BTreeMap::new();
    let mut cur: Option<Function> = None;
    let mut it_left = 0usize;
    for line in text.lines() {
        let t = line.trim_end();
        if let Some(head) = t.strip_suffix(">:") {
            if let Some((addr, name)) = head.split_once(" <") {
                if let Ok(a) = u64::from_str_radix(addr.trim(), 16) {
                    if let Some(f) = cur.take() {
                        out.insert(f.start, f);
                    }
                    cur = Some(Function {
                        name: name.to_string(),
                        start: a,
                        insns: Vec::new(),
                    });
                    it_left = 0;
                    continue;
                }
            }
        }
        let Some(f) = cur.as_mut() else { continue };
        let mut parts = t.split('\t');
        let Some(addr) = parts.next().and_then(|a| a.trim().strip_suffix(':')) else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(addr.trim(), 16) else {
            continue;
        };
        let mnemonic = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        if mnemonic.is_empty() || mnemonic.starts_with('.') {
            continue;
        }
        let operands = parts.next().unwrap_or("").trim().to_string();
        let in_it = it_left > 0;
        it_left = it_left.saturating_sub(1);
        let flow = classify(&mnemonic, &operands, in_it);
        let n = it_length(&mnemonic);
        if n > 0 {
            it_left = n;
        }
        f.insns.push(Insn {
            addr,
            mnemonic,
            operands,
            flow,
        });
    }
    if let Some(f) = cur.take() {
        out.insert(f.start, f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\n00005494 <timber_infer_single>:\n\
        \x20   5494:\tcbz\tr0, 54a6 <timber_infer_single+0x12>\n\
        \x20   5496:\tpush\t{r3, lr}\n\
        \x20   549a:\tbl\t13c <timber_infer_row>\n\
        \x20   549e:\tit\teq\n\
        \x20   54a0:\tpopeq\t{r3, pc}\n\
        \x20   54a2:\tmovs\tr0, #1\n\
        \x20   54a4:\tpop\t{r3, pc}\n\
        \x20   54a6:\tbx\tlr\n\
        \x20   54a8:\t.word\t0x00000000\n\
        \x20   54ac:\tblx\tr3\n";

    #[test]
    fn objdump_lines_become_instructions_with_their_flow() {
        let fs = parse_objdump(SAMPLE);
        let f = &fs[&0x5494];
        assert_eq!(f.name, "timber_infer_single");
        let flows: Vec<&Flow> = f.insns.iter().map(|i| &i.flow).collect();
        assert_eq!(
            flows,
            vec![
                &Flow::Jump {
                    target: 0x54a6,
                    cond: true
                },
                &Flow::Next,
                &Flow::Call {
                    target: 0x13c,
                    cond: false
                },
                &Flow::Next,
                &Flow::Return { cond: true },
                &Flow::Next,
                &Flow::Return { cond: false },
                &Flow::Return { cond: false },
                &Flow::Unknown,
            ]
        );
    }

    #[test]
    fn register_lists_count_ranges() {
        assert_eq!(register_count("{r4, r5, r6, lr}"), 4);
        assert_eq!(register_count("{s16-s31}"), 16);
        assert_eq!(register_count("sp!, {r4-r7, pc}"), 5);
    }
}
