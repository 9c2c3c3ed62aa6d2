//! Measured instruction counts: the model's objects linked with a driver
//! that only calls `timber_infer_single` once per vector
//! (`qemu/trace_driver.c`), run under QEMU with an execution trace. Every
//! instruction from the entry of `timber_infer_single` up to the next
//! instruction of the driver's `main` belongs to one call (the model's
//! functions and every routine they call, soft-float helpers included); the
//! addresses come from the linked image's symbol table (`nm` of the
//! target's own binutils).
//!
//! Two ways of counting, [`TraceMode`]:
//! - [`TraceMode::Block`] (the default): QEMU's normal translation blocks
//!   with `-d in_asm,exec,nochain`. `in_asm` lists the guest instructions
//!   of every block when it is translated, `exec` logs one line per block
//!   executed (with `nochain` every execution is logged), keyed by
//!   `[cs_base/pc/flags/cflags]`. A block's size is the number of
//!   instructions of its listing, bound to the key of the first execution
//!   at that pc after the listing; a block retranslated (same key again, or
//!   the same pc under other flags, e.g. Thumb IT state) gets the size of
//!   its latest listing. An executed block without a listing is an error,
//!   never a guess. A call's count is the sum of the sizes of the blocks it
//!   executed.
//! - [`TraceMode::Instruction`]: one guest instruction per translation block
//!   (`-singlestep` / `one-insn-per-tb`) and `-d exec,nochain`, one line per
//!   executed instruction. Several times slower; kept as the reference the
//!   block count is tested against (`tests/trace_modes.rs`: every row equal
//!   on a hard-float Thumb-2 core, a soft-float core and RISC-V).
//!
//! Both are exact and deterministic (not a timing): QEMU executes the same
//! guest instruction sequence on every run. Model code takes no exception
//! and no interrupt between its instructions, so every block it enters runs
//! to its end.
//!
//! The same trace gives the successor of every block-ending instruction
//! executed inside a call ([`TraceRun::edges`]): after a conditional branch
//! it says taken or not taken (object-code branch coverage).

use super::process;
use super::targets::{TargetKind, TargetSpec};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The driver linked for the instruction-count run.
pub const TRACE_DRIVER_C: &str = include_str!("../../qemu/trace_driver.c");

/// The function whose calls are counted.
pub const ENTRY: &str = "timber_infer_single";

/// How a target's instructions are counted (`[timing]` in its TOML).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingSpec {
    /// What the counts are, in words (shown beside every figure).
    pub counter: String,
    /// The QEMU command that runs the traced image; `{exe}` is the image
    /// and `{out}` the file the program's own output goes to. The trace
    /// options are inserted after the program name.
    pub trace_runner: Vec<String>,
    /// Extra link flags of the traced image (e.g. `-no-pie` on the host,
    /// so that symbol addresses are the run-time addresses).
    #[serde(default)]
    pub trace_ldflags: Vec<String>,
    /// The target's `nm` (symbol table of the linked image).
    pub nm: String,
    /// The target's `objdump` (disassembly for the static bound).
    pub objdump: String,
    /// The per-core cycle model of the static bound (bare-metal only).
    #[serde(default)]
    pub cycles: Option<super::timing::CycleModel>,
}

impl TimingSpec {
    /// The programs the instruction count needs.
    pub fn tools(&self) -> Vec<String> {
        let mut t = vec![self.nm.clone(), self.objdump.clone()];
        if let Some(r) = self.trace_runner.first() {
            t.push(r.clone());
        }
        t
    }
}

/// Instructions executed per call of the model, one figure per vector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// What was counted and how (from the target's `[timing] counter`).
    pub counter: String,
    /// Instructions of each vector's call, in vector order.
    pub per_row: Vec<u64>,
    pub max: u64,
    /// The lower median (the middle element of the sorted counts).
    pub median: u64,
    pub min: u64,
    /// The first vector that reached the maximum.
    pub max_row: usize,
}

impl Counts {
    /// Summarise per-vector counts (None when there are none).
    pub fn from_rows(counter: &str, per_row: Vec<u64>) -> Option<Counts> {
        let max = *per_row.iter().max()?;
        let min = *per_row.iter().min()?;
        let max_row = per_row.iter().position(|&c| c == max)?;
        let mut sorted = per_row.clone();
        sorted.sort_unstable();
        let median = sorted[(sorted.len() - 1) / 2];
        Some(Counts {
            counter: counter.to_string(),
            per_row,
            max,
            median,
            min,
            max_row,
        })
    }
}

/// Symbols of a linked image: name -> (address, size), from `nm -S`.
pub fn parse_nm(text: &str) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 4 || !matches!(f[2], "T" | "t" | "W" | "w") {
            continue;
        }
        let (Ok(a), Ok(s)) = (u64::from_str_radix(f[0], 16), u64::from_str_radix(f[1], 16)) else {
            continue;
        };
        // Thumb function symbols may carry the interworking bit.
        out.entry(f[3].to_string()).or_insert((a & !1, s));
    }
    out
}

/// How executed instructions are counted (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceMode {
    /// Normal translation blocks, sized from their `in_asm` listing.
    #[default]
    Block,
    /// One instruction per translation block.
    Instruction,
}

impl TraceMode {
    /// The QEMU `-d` items of the mode.
    pub fn log_items(self) -> &'static str {
        match self {
            TraceMode::Block => "in_asm,exec,nochain",
            TraceMode::Instruction => "exec,nochain",
        }
    }
}

/// The key of one `-d exec` line: the text between `[` and `]`
/// (`cs_base/pc/flags/cflags`), which names one translation block.
fn trace_key(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("Trace ")?;
    let open = rest.find('[')?;
    let close = rest[open..].find(']')? + open;
    Some(&rest[open + 1..close])
}

/// Reads an `-d in_asm,exec,nochain` log line by line and turns each
/// executed block into (pc, instructions, pc of its last instruction).
#[derive(Debug, Default)]
pub struct BlockReader {
    /// The listing being read: (first pc, last pc, instructions).
    listing: Option<(Option<u64>, u64, u64)>,
    /// Listings not yet bound to an executed block, by first pc.
    pending: BTreeMap<u64, (u64, u64)>,
    /// Block key -> (instructions, last pc).
    known: BTreeMap<String, (u64, u64)>,
    /// Blocks retranslated (a listing for a key already known).
    pub retranslated: u64,
}

impl BlockReader {
    /// Feed one log line; an executed block gives `Some(Ok(..))`.
    pub fn line(&mut self, line: &str) -> Option<Result<(u64, u64, u64), String>> {
        if line.starts_with("IN:") {
            self.close_listing();
            self.listing = Some((None, 0, 0));
            return None;
        }
        if let Some(l) = self.listing.as_mut() {
            if let Some(pc) = line
                .strip_prefix("0x")
                .and_then(|r| r.split(':').next())
                .and_then(|h| u64::from_str_radix(h, 16).ok())
            {
                if is_continuation(line) {
                    // The rest of a long (x86) instruction's bytes.
                    return None;
                }
                if l.0.is_none() {
                    l.0 = Some(pc);
                }
                l.1 = pc;
                l.2 += 1;
                return None;
            }
            let end =
                line.trim().is_empty() || line.starts_with("Trace ") || line.starts_with("--");
            if !end {
                // Other lines of a listing (e.g. RISC-V's privilege line).
                return None;
            }
            self.close_listing();
        }
        let key = trace_key(line)?;
        let pc = trace_pc(line)?;
        if let Some(sized) = self.pending.remove(&pc) {
            if self.known.insert(key.to_string(), sized).is_some() {
                self.retranslated += 1;
            }
        }
        Some(match self.known.get(key) {
            Some(&(n, last)) => Ok((pc, n, last)),
            None => Err(format!(
                "the block at {pc:#x} [{key}] ran without an in_asm listing: its size is unknown"
            )),
        })
    }

    fn close_listing(&mut self) {
        if let Some((Some(first), last, n)) = self.listing.take() {
            self.pending.insert(first, (n, last));
        }
    }
}

/// A listing line that holds only the remaining raw bytes of the
/// instruction above it (`0x0040123f:  00`, after an x86 instruction
/// longer than the byte column): every word is one two-digit hex byte.
fn is_continuation(line: &str) -> bool {
    let rest = line.split_once(':').map_or("", |(_, r)| r);
    let mut words = rest.split_whitespace().peekable();
    words.peek().is_some()
        && words.all(|w| w.len() == 2 && w.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The PC of one `-d exec` line (`Trace 0: 0x... [cs_base/pc/flags/cflags] sym`).
fn trace_pc(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("Trace ")?;
    let open = rest.find('[')?;
    let mut it = rest[open + 1..].split('/');
    it.next()?;
    u64::from_str_radix(it.next()?, 16).ok()
}

/// Split a trace into calls: from the entry address up to the first
/// instruction inside `caller` (half-open address range) afterwards.
#[derive(Debug, Default)]
pub struct Segmenter {
    entry: u64,
    caller: (u64, u64),
    current: Option<u64>,
    pub counts: Vec<u64>,
    /// Trace lines seen (for the error message of an empty trace).
    pub lines: u64,
    /// The pc of the last instruction of the block executed before, when
    /// it was inside a call.
    last: Option<u64>,
    /// Inside calls: the pc of every block-ending instruction -> the pcs
    /// executed next.
    pub edges: BTreeMap<u64, BTreeSet<u64>>,
}

impl Segmenter {
    pub fn new(entry: u64, caller: (u64, u64)) -> Segmenter {
        Segmenter {
            entry,
            caller,
            ..Segmenter::default()
        }
    }

    /// One `-d exec` line of a one-instruction-per-block trace.
    pub fn line(&mut self, line: &str) {
        if let Some(pc) = trace_pc(line) {
            self.block(pc, 1, pc);
        }
    }

    /// One executed block: its first pc, its instructions and the pc of its
    /// last instruction.
    pub fn block(&mut self, pc: u64, n: u64, last_pc: u64) {
        self.lines += 1;
        if let Some(prev) = self.last.take() {
            self.edges.entry(prev).or_default().insert(pc);
        }
        match self.current.as_mut() {
            Some(c) => {
                if pc >= self.caller.0 && pc < self.caller.1 {
                    self.counts.push(*c);
                    self.current = None;
                } else {
                    *c += n;
                    self.last = Some(last_pc);
                }
            }
            None => {
                if pc == self.entry {
                    self.current = Some(n);
                    self.last = Some(last_pc);
                }
            }
        }
    }
}

/// The QEMU option that gives one instruction per translation block
/// (`-singlestep` up to QEMU 8.0, renamed afterwards).
fn one_insn_option(qemu: &str, kind: TargetKind) -> Vec<String> {
    let help = process::run(
        qemu,
        &["-help".to_string()],
        &std::env::temp_dir(),
        Duration::from_secs(20),
    )
    .map(|f| f.stdout)
    .unwrap_or_default();
    if help
        .lines()
        .any(|l| l.trim_start().starts_with("-singlestep"))
    {
        vec!["-singlestep".into()]
    } else if kind == TargetKind::BareMetal {
        vec!["-accel".into(), "tcg,one-insn-per-tb=on".into()]
    } else {
        vec!["-one-insn-per-tb".into()]
    }
}

/// What a traced run gives back.
#[derive(Debug)]
pub struct TraceRun {
    pub counts: Vec<u64>,
    /// The command, with relative file names, for the report.
    pub command: String,
    /// The driver's `H <hash> <rows>` line.
    pub hash_line: Option<String>,
    /// Inside calls: every block-ending instruction's pc -> the pcs that
    /// ran next (in `Instruction` mode every instruction ends a block).
    pub edges: BTreeMap<u64, BTreeSet<u64>>,
    /// Blocks translated again after their first listing (`Block` mode).
    pub retranslated: u64,
}

/// Run the traced image `exe` (in `dir`) and count each call's instructions.
pub fn run_traced(
    t: &TargetSpec,
    spec: &TimingSpec,
    dir: &Path,
    exe: &str,
    timeout: Duration,
    mode: TraceMode,
) -> Result<TraceRun, String> {
    let exe_path = dir.join(exe);
    let nm = process::run(
        &spec.nm,
        &["-S".to_string(), exe_path.to_string_lossy().to_string()],
        dir,
        Duration::from_secs(60),
    )
    .map_err(|e| format!("cannot run {}: {e}", spec.nm))?;
    if !nm.success() {
        return Err(format!("{} -S {exe} failed: {}", spec.nm, nm.stderr.trim()));
    }
    let syms = parse_nm(&nm.stdout);
    let entry = syms
        .get(ENTRY)
        .ok_or_else(|| format!("{exe} has no symbol {ENTRY}"))?
        .0;
    let main = *syms
        .get("main")
        .ok_or_else(|| format!("{exe} has no symbol main"))?;
    let Some((prog, rest)) = spec.trace_runner.split_first() else {
        return Err("the target's [timing] trace_runner is empty".into());
    };
    let out_path = dir.join("trace_output.txt");
    let _ = std::fs::remove_file(&out_path);
    let mut args = match mode {
        TraceMode::Block => Vec::new(),
        TraceMode::Instruction => one_insn_option(prog, t.kind),
    };
    // QEMU logs to stderr when no log file is named (`-D`).
    args.extend(["-d".to_string(), mode.log_items().to_string()]);
    let abs_exe = exe_path.to_string_lossy().to_string();
    let abs_out = out_path.to_string_lossy().to_string();
    let record: Vec<String> = args
        .iter()
        .cloned()
        .chain(
            rest.iter()
                .map(|a| a.replace("{exe}", exe).replace("{out}", "trace_output.txt")),
        )
        .collect();
    args.extend(
        rest.iter()
            .map(|a| a.replace("{exe}", &abs_exe).replace("{out}", &abs_out)),
    );
    let command = match mode {
        TraceMode::Block => format!(
            "{} 2>&1 (each call: the sum of the in_asm sizes of the blocks it executed)",
            process::command_line(prog, &record)
        ),
        TraceMode::Instruction => format!(
            "{} 2>&1 | grep -c ^Trace",
            process::command_line(prog, &record)
        ),
    };

    let mut child = Command::new(prog)
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {prog}: {e}"))?;
    let mut out_pipe = child.stdout.take();
    let err_pipe = child.stderr.take();
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    });
    // The watchdog kills the child (by its pid) when the trace takes too long.
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(timeout).is_err() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            return true;
        }
        false
    });
    let mut seg = Segmenter::new(entry, (main.0, main.0 + main.1.max(1)));
    let mut blocks = BlockReader::default();
    let mut unlisted: Option<String> = None;
    let mut other = String::new();
    if let Some(p) = err_pipe {
        let mut r = BufReader::with_capacity(1 << 20, p);
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => match mode {
                    TraceMode::Instruction if line.starts_with("Trace ") => seg.line(&line),
                    TraceMode::Block => match blocks.line(&line) {
                        Some(Ok((pc, n, last))) => seg.block(pc, n, last),
                        Some(Err(m)) => {
                            unlisted.get_or_insert(m);
                        }
                        None => {
                            let listing = ["IN:", "0x", "--", "Priv:"]
                                .iter()
                                .any(|p| line.starts_with(p))
                                || line.trim().is_empty();
                            if !listing && other.len() < 4000 {
                                other.push_str(&line);
                            }
                        }
                    },
                    _ => {
                        if other.len() < 4000 {
                            other.push_str(&line);
                        }
                    }
                },
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {prog}: {e}"))?;
    let _ = done_tx.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
    if timed_out {
        return Err(format!(
            "the traced run timed out after {} s",
            timeout.as_secs()
        ));
    }
    if !status.success() {
        return Err(format!(
            "the traced run exited with {:?}: {}",
            status.code(),
            other.trim()
        ));
    }
    let program_out = if t.runner.iter().any(|a| a.contains("{out}"))
        || spec.trace_runner.iter().any(|a| a.contains("{out}"))
    {
        std::fs::read_to_string(&out_path).unwrap_or_default()
    } else {
        stdout
    };
    let hash_line = program_out
        .lines()
        .find(|l| l.starts_with("H "))
        .map(|l| l.trim().to_string());
    if let Some(m) = unlisted {
        return Err(m);
    }
    if seg.lines == 0 {
        return Err(format!(
            "{prog} logged no executed instructions (is -d {} supported?)",
            mode.log_items()
        ));
    }
    Ok(TraceRun {
        counts: seg.counts,
        command,
        hash_line,
        edges: seg.edges,
        retranslated: blocks.retranslated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nm_lines_give_function_ranges_without_the_thumb_bit() {
        let s = parse_nm(
            "000055f5 00000016 T timber_infer_single\n00000040 000001f8 T main\n\
             00005c44 00009e10 R timber_vectors\n",
        );
        assert_eq!(s.get("timber_infer_single"), Some(&(0x55f4, 0x16)));
        assert_eq!(s.get("main"), Some(&(0x40, 0x1f8)));
        assert!(!s.contains_key("timber_vectors"));
    }

    #[test]
    fn calls_are_cut_at_the_entry_and_the_return_into_main() {
        let mut s = Segmenter::new(0x100, (0x40, 0x80));
        let t = |pc: u64| format!("Trace 0: 0x7f00 [00800400/{pc:08x}/00000010/ff000201] f\n");
        for pc in [
            0x40, 0x44, 0x100, 0x102, 0x300, 0x302, 0x104, 0x48, 0x4c, 0x100, 0x102, 0x48,
        ] {
            s.line(&t(pc));
        }
        assert_eq!(s.counts, vec![5, 2]);
        // Lines that are not trace lines are ignored.
        s.line("Linking TBs\n");
        assert_eq!(s.lines, 12);
    }

    /// A block log as QEMU 7.2 writes it: listings (with RISC-V's extra
    /// privilege line), executions keyed by flags, a block retranslated
    /// under other flags (Thumb IT state) and one executed again.
    #[test]
    fn blocks_are_sized_from_their_listing_and_keyed_by_flags() {
        let log = "----------------\nIN: f\nPriv: 3; Virt: 0\n\
            0x00000100:  2400       movs     r4, #0\n\
            0x00000102:  bf18       it       ne\n\
            0x00000104:  2001       movne    r0, #1\n\
            0x00000106:  d1f9       bne      #0x100\n\n\
            Trace 0: 0x7f00 [00000000/00000100/00000010/ff000200] f\n\
            Trace 0: 0x7f00 [00000000/00000100/00000010/ff000200] f\n\
            ----------------\nIN: f\n\
            0x00000104:  2001       movne    r0, #1\n\
            0x00000106:  d1f9       bne      #0x100\n\n\
            Trace 0: 0x7f40 [00000000/00000104/00001810/ff000200] f\n\
            Trace 0: 0x7f80 [00000000/00000200/00000010/ff000200] g\n";
        let mut r = BlockReader::default();
        let got: Vec<Result<(u64, u64, u64), String>> =
            log.lines().filter_map(|l| r.line(l)).collect();
        assert_eq!(got[0], Ok((0x100, 4, 0x106)));
        assert_eq!(got[1], Ok((0x100, 4, 0x106)));
        assert_eq!(got[2], Ok((0x104, 2, 0x106)));
        let e = got[3].clone().expect_err("no listing for 0x200");
        assert!(
            e.contains("0x200") && e.contains("without an in_asm listing"),
            "{e}"
        );
        assert_eq!(r.retranslated, 0);
        // A second listing of a known block replaces its size.
        for l in [
            "IN: f",
            "0x00000100:  2400       movs     r4, #0",
            "",
            "Trace 0: 0x7f00 [00000000/00000100/00000010/ff000200] f",
        ] {
            if let Some(x) = r.line(l) {
                assert_eq!(x, Ok((0x100, 1, 0x100)));
            }
        }
        assert_eq!(r.retranslated, 1);
        // An x86 instruction longer than the byte column continues on a
        // line of bytes only: one instruction, not two.
        let mut r = BlockReader::default();
        let x86 = "IN: f\n\
            0x00401237:  f3 44 0f 10 3d 68 6a 00  movss    0x6a68(%rip), %xmm15\n\
            0x0040123f:  00\n\
            0x00401240:  76 32                    jbe      0x401280\n\n\
            Trace 0: 0x7f [0000000000000000/0000000000401237/1040c0b3/00000200] f\n";
        let got: Vec<_> = x86.lines().filter_map(|l| r.line(l)).collect();
        assert_eq!(got, vec![Ok((0x401237, 2, 0x401240))]);
        assert!(!is_continuation("0x00000100:  2400       movs     r4, #0"));
        assert!(!is_continuation(
            "0x80000000:  00800117          auipc   sp,8388608"
        ));
    }

    #[test]
    fn block_counts_and_edges_follow_the_calls() {
        let mut s = Segmenter::new(0x100, (0x40, 0x80));
        // main block, the call (3 blocks), back in main, a second call.
        for (pc, n, last) in [
            (0x40, 3, 0x48),
            (0x100, 4, 0x106),
            (0x100, 4, 0x106),
            (0x108, 2, 0x10a),
            (0x4c, 2, 0x4e),
            (0x100, 4, 0x106),
            (0x108, 2, 0x10a),
            (0x4c, 2, 0x4e),
        ] {
            s.block(pc, n, last);
        }
        assert_eq!(s.counts, vec![10, 6]);
        let succ: Vec<u64> = s.edges[&0x106].iter().copied().collect();
        assert_eq!(succ, vec![0x100, 0x108]);
        assert_eq!(
            s.edges[&0x10a].iter().copied().collect::<Vec<_>>(),
            vec![0x4c]
        );
        assert!(
            !s.edges.contains_key(&0x48),
            "main's own blocks are not a call's"
        );
    }

    #[test]
    fn summary_takes_the_first_maximum_and_the_lower_median() {
        let c = Counts::from_rows("x", vec![5, 9, 7, 9]).expect("rows");
        assert_eq!((c.max, c.max_row, c.median, c.min), (9, 1, 7, 5));
        assert!(Counts::from_rows("x", vec![]).is_none());
    }
}
