//! Target definitions: one TOML file per target in `qemu/targets/`,
//! embedded in the binary. Adding a target is one TOML file plus one line
//! in [`EMBEDDED`].

use serde::{Deserialize, Serialize};

/// The embedded target files, in the order `all` lists them.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("host.toml", include_str!("../../qemu/targets/host.toml")),
    (
        "cortex-m0.toml",
        include_str!("../../qemu/targets/cortex-m0.toml"),
    ),
    (
        "cortex-m0-mps2.toml",
        include_str!("../../qemu/targets/cortex-m0-mps2.toml"),
    ),
    (
        "cortex-m3.toml",
        include_str!("../../qemu/targets/cortex-m3.toml"),
    ),
    (
        "cortex-m4f.toml",
        include_str!("../../qemu/targets/cortex-m4f.toml"),
    ),
    (
        "cortex-m7.toml",
        include_str!("../../qemu/targets/cortex-m7.toml"),
    ),
    (
        "cortex-m33.toml",
        include_str!("../../qemu/targets/cortex-m33.toml"),
    ),
    (
        "cortex-a53.toml",
        include_str!("../../qemu/targets/cortex-a53.toml"),
    ),
    (
        "cortex-a7.toml",
        include_str!("../../qemu/targets/cortex-a7.toml"),
    ),
    (
        "riscv32imac.toml",
        include_str!("../../qemu/targets/riscv32imac.toml"),
    ),
    (
        "riscv32imafc.toml",
        include_str!("../../qemu/targets/riscv32imafc.toml"),
    ),
    (
        "riscv64.toml",
        include_str!("../../qemu/targets/riscv64.toml"),
    ),
    (
        "powerpc.toml",
        include_str!("../../qemu/targets/powerpc.toml"),
    ),
];

/// The harness C file every target runs (`qemu/harness.c`).
pub const HARNESS_C: &str = include_str!("../../qemu/harness.c");

/// How a target's program is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// Built with the system compiler and run natively.
    Host,
    /// A static Linux executable run under QEMU user mode.
    LinuxUser,
    /// A bare-metal image run under qemu-system with semihosting.
    BareMetal,
}

/// A board's memory map (bare-metal targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryMap {
    pub flash_origin: u64,
    pub flash_length: u64,
    pub ram_origin: u64,
    pub ram_length: u64,
}

/// A file the compiler must find (`CC -print-file-name=NAME`), and the
/// Debian package that provides it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredFile {
    pub name: String,
    pub package: String,
}

/// One verification target, as read from its TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// Short name used on the command line (`cortex-m4f`).
    pub name: String,
    pub description: String,
    pub kind: TargetKind,
    /// The C compiler (looked up on PATH).
    pub compiler: String,
    /// The binutils `size` of the target.
    pub size_tool: String,
    /// Flags for every compilation (always `-std=c99 -ffp-contract=off -O2`
    /// plus the CPU selection).
    pub cflags: Vec<String>,
    /// Extra flags for the link; `{flash_origin}`, `{flash_length}`,
    /// `{ram_origin}` and `{ram_length}` are replaced from `memory`.
    #[serde(default)]
    pub ldflags: Vec<String>,
    /// The command that runs the program; `{exe}` is the built program.
    /// When an argument contains `{out}`, the harness output is read from
    /// that file (a QEMU semihosting chardev) instead of stdout: QEMU sends
    /// semihosted output to stderr when stdin is not a terminal.
    pub runner: Vec<String>,
    /// Wall-clock limit for one run, in seconds.
    pub timeout_secs: u64,
    /// Bytes of stack the harness paints below its frame to measure the
    /// model's peak stack (Cortex-M targets); absent: no measurement.
    #[serde(default)]
    pub stack_paint_bytes: Option<u32>,
    /// Files the compiler must find (C library, specs).
    #[serde(default)]
    pub required_files: Vec<RequiredFile>,
    #[serde(default)]
    pub memory: Option<MemoryMap>,
    /// Parameters of the generator's own stack estimate
    /// ([`crate::codegen::c99::stack`]) for this target family.
    #[serde(default)]
    pub stack_model: Option<crate::codegen::c99::stack::StackModel>,
    /// How instructions are counted and, on bare-metal targets, the cycle
    /// model of the static bound ([`super::trace::TimingSpec`]).
    #[serde(default)]
    pub timing: Option<super::trace::TimingSpec>,
    /// sha256 of the TOML text this spec was read from (filled in on load).
    #[serde(default, skip_deserializing)]
    pub toml_sha256: String,
}

/// A target file that does not parse, or an unknown target name.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("target file {file}: {message}")]
    Parse { file: String, message: String },
    #[error("unknown target `{name}`; known targets: {known}")]
    Unknown { name: String, known: String },
}

impl TargetSpec {
    /// Parse a target TOML text (`file` names it in errors).
    pub fn from_toml(file: &str, text: &str) -> Result<TargetSpec, TargetError> {
        let mut spec: TargetSpec = toml::from_str(text).map_err(|e| TargetError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        spec.toml_sha256 = crate::frontend::sha256_hex(text.as_bytes());
        Ok(spec)
    }

    /// The link flags with the memory-map placeholders filled in.
    pub fn resolved_ldflags(&self) -> Vec<String> {
        self.ldflags
            .iter()
            .map(|f| match &self.memory {
                Some(m) => f
                    .replace("{flash_origin}", &format!("{:#x}", m.flash_origin))
                    .replace("{flash_length}", &format!("{:#x}", m.flash_length))
                    .replace("{ram_origin}", &format!("{:#x}", m.ram_origin))
                    .replace("{ram_length}", &format!("{:#x}", m.ram_length)),
                None => f.clone(),
            })
            .collect()
    }

    /// The programs this target needs on PATH: compiler, size, runner.
    pub fn tools(&self) -> Vec<String> {
        let mut tools = vec![self.compiler.clone(), self.size_tool.clone()];
        if let Some(first) = self.runner.first() {
            if !first.contains("{exe}") {
                tools.push(first.clone());
            }
        }
        tools
    }
}

/// Every embedded target, in registry order.
pub fn all() -> Result<Vec<TargetSpec>, TargetError> {
    EMBEDDED
        .iter()
        .map(|(file, text)| TargetSpec::from_toml(file, text))
        .collect()
}

/// The names of the embedded targets.
pub fn names() -> Vec<String> {
    all()
        .map(|v| v.into_iter().map(|t| t.name).collect())
        .unwrap_or_default()
}

/// Resolve a comma-separated list (`all`, or names) into target specs.
pub fn select(list: &str) -> Result<Vec<TargetSpec>, TargetError> {
    let every = all()?;
    let mut out: Vec<TargetSpec> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == "all" {
            for t in &every {
                if !out.iter().any(|o| o.name == t.name) {
                    out.push(t.clone());
                }
            }
            continue;
        }
        match every.iter().find(|t| t.name == name) {
            Some(t) => {
                if !out.iter().any(|o| o.name == t.name) {
                    out.push(t.clone());
                }
            }
            None => {
                return Err(TargetError::Unknown {
                    name: name.to_string(),
                    known: every
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_target_parses_and_keeps_the_numeric_flags() {
        let all = all().expect("embedded targets parse");
        assert_eq!(all.len(), EMBEDDED.len());
        for t in &all {
            for f in ["-std=c99", "-ffp-contract=off", "-O2"] {
                assert!(t.cflags.iter().any(|c| c == f), "{} lacks {f}", t.name);
            }
            assert!(t.runner.iter().any(|a| a.contains("{exe}")), "{}", t.name);
            let sm = t.stack_model.expect("every target has a [stack_model]");
            assert!(sm.pointer_bytes == 4 || sm.pointer_bytes == 8, "{}", t.name);
            if t.name.starts_with("cortex-m") && !t.name.starts_with("cortex-m7") {
                assert!(sm.soft_double, "{}: no double-precision FPU", t.name);
            }
            if t.kind == TargetKind::BareMetal {
                assert!(t.memory.is_some(), "{} has no memory map", t.name);
                assert!(
                    t.resolved_ldflags().iter().all(|f| !f.contains('{')),
                    "{}",
                    t.name
                );
            }
        }
    }

    #[test]
    fn select_resolves_all_and_rejects_unknown() {
        assert_eq!(select("all").map(|v| v.len()).ok(), Some(EMBEDDED.len()));
        let two = select("host, cortex-m4f,host").expect("known");
        assert_eq!(two.len(), 2);
        assert!(select("cortex-z9").is_err());
    }
}
