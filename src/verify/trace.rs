//! Measured instruction counts: the model's objects linked with a driver
//! that only calls `timber_infer_single` once per vector
//! (`qemu/trace_driver.c`), run under QEMU with one guest instruction per
//! translation block and an execution trace (`-d exec,nochain`), which logs
//! one line per executed instruction. Every instruction from the entry of
//! `timber_infer_single` up to the next instruction of the driver's `main`
//! belongs to one call (the model's functions and every routine they call,
//! soft-float helpers included); the addresses come from the linked
//! image's symbol table (`nm` of the target's own binutils).
//!
//! The count is exact and deterministic (it is not a timing): QEMU executes
//! the guest's instructions one by one, the same sequence on every run.

use super::process;
use super::targets::{TargetKind, TargetSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
}

impl Segmenter {
    pub fn new(entry: u64, caller: (u64, u64)) -> Segmenter {
        Segmenter {
            entry,
            caller,
            ..Segmenter::default()
        }
    }

    pub fn line(&mut self, line: &str) {
        let Some(pc) = trace_pc(line) else { return };
        self.lines += 1;
        match self.current.as_mut() {
            Some(n) => {
                if pc >= self.caller.0 && pc < self.caller.1 {
                    self.counts.push(*n);
                    self.current = None;
                } else {
                    *n += 1;
                }
            }
            None => {
                if pc == self.entry {
                    self.current = Some(1);
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
}

/// Run the traced image `exe` (in `dir`) and count each call's instructions.
pub fn run_traced(
    t: &TargetSpec,
    spec: &TimingSpec,
    dir: &Path,
    exe: &str,
    timeout: Duration,
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
    let mut args = one_insn_option(prog, t.kind);
    // QEMU logs to stderr when no log file is named (`-D`).
    args.extend(["-d", "exec,nochain"].iter().map(|s| s.to_string()));
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
    let command = format!(
        "{} 2>&1 | grep -c ^Trace",
        process::command_line(prog, &record)
    );

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
    let mut other = String::new();
    if let Some(p) = err_pipe {
        let mut r = BufReader::with_capacity(1 << 20, p);
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if line.starts_with("Trace ") {
                        seg.line(&line);
                    } else if other.len() < 4000 {
                        other.push_str(&line);
                    }
                }
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
    if seg.lines == 0 {
        return Err(format!(
            "{prog} logged no executed instructions (is -d exec supported?)"
        ));
    }
    Ok(TraceRun {
        counts: seg.counts,
        command,
        hash_line,
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

    #[test]
    fn summary_takes_the_first_maximum_and_the_lower_median() {
        let c = Counts::from_rows("x", vec![5, 9, 7, 9]).expect("rows");
        assert_eq!((c.max, c.max_row, c.median, c.min), (9, 1, 7, 5));
        assert!(Counts::from_rows("x", vec![]).is_none());
    }
}
