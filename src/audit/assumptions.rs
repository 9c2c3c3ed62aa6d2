//! Assumptions of use: what an integrator must hold true for the bundle's
//! evidence to describe the code in their product (`assumptions.json` and
//! its human form `assumptions.md`).
//!
//! Everything here is derived from the bundle's own records, never from
//! the run's memory: the model from `ir.json`, the compile-time guards
//! from `src/model.c`, the flag set each target compiled the model with
//! from `verify/<target>.json`, stack and size from `resources.json`, and
//! the NaN policy from the certification options. So `timber audit verify`
//! regenerates both files from the same records and compares them byte for
//! byte ([`check`]): a figure edited in either file (or a record edited
//! without them) is reported.
//!
//! The fixed text (FPU and compiler conditions, integration steps) is
//! timber's own statement of what the numeric contract needs; what it
//! cannot guard at compile time is said, not implied.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::layout;
use super::requirements::EvidenceError;

/// Schema version of `assumptions.json`.
pub const ASSUMPTIONS_SCHEMA_VERSION: u32 = 1;

/// `assumptions.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    pub schema_version: u32,
    pub model: ModelRef,
    /// Floating-point unit conditions the output bits depend on.
    pub fpu: Vec<Condition>,
    pub compiler: CompilerConditions,
    /// The flag set each verified target compiled model.c with.
    pub qualified_flags: Vec<TargetFlags>,
    pub features: Features,
    pub nan_policy: NanPolicyNote,
    pub state: StateNote,
    /// Stack and size per verified target, from resources.json.
    pub targets: Vec<TargetResources>,
    /// What the integrator does, in order.
    pub integration: Vec<String>,
}

/// The model the assumptions are about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRef {
    /// sha256 of the model file (ir.json `source.sha256`).
    pub sha256: String,
    pub format: String,
    pub objective: String,
    pub n_outputs: u64,
}

/// One condition of use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub id: String,
    /// What must hold.
    pub requirement: String,
    /// What breaks when it does not.
    pub otherwise: String,
    /// How the generated code enforces it, or why it cannot.
    pub enforcement: String,
}

/// Compiler conditions and the guards of model.c that enforce them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompilerConditions {
    pub conditions: Vec<Condition>,
    /// The `#if ... #error` guards of src/model.c, in file order.
    pub guards: Vec<Guard>,
}

/// One compile-time guard of src/model.c.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    /// 1-based line of the `#if` in src/model.c.
    pub line: usize,
    /// The macros the condition tests, sorted.
    pub macros: Vec<String>,
    /// The `#if` condition as written.
    pub condition: String,
    /// The `#error` text a build that breaks it stops with.
    pub message: String,
}

/// A target's compiler and the flags it compiled model.c with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFlags {
    pub target: String,
    pub compiler: String,
    /// Options that affect the code, in command order (`-c`, `-o`, the
    /// include path and timber's stack-analysis options left out).
    pub flags: Vec<String>,
}

/// Feature order: `in[i]` of every entry point is feature `i`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    pub count: u64,
    /// Names in input order, when the model has them (else empty).
    pub names: Vec<String>,
    pub rule: String,
}

/// What a NaN input means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NanPolicyNote {
    /// `missing` or `reject`.
    pub policy: String,
    pub behaviour: String,
}

/// Whether the entry points keep state, from the model's section sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateNote {
    /// True when every target's model objects have no writable data
    /// (`.data` and `.bss` of model.o and model_data.o are 0 bytes).
    pub pure_and_reentrant: bool,
    pub evidence: String,
}

/// Stack and size of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetResources {
    pub target: String,
    /// Stack bound of one call, bytes, when one was derived.
    pub stack_bound_bytes: Option<u64>,
    /// Why there is no bound.
    pub stack_bound_refused: Option<String>,
    /// Peak measured under QEMU (painted stack), when measured.
    pub stack_measured_peak: Option<u64>,
    pub stack_budget: Option<u64>,
    /// Sections of the model's own objects (model.o + model_data.o).
    pub model_size: Option<Sections>,
}

/// Section sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sections {
    pub text: u64,
    pub rodata: u64,
    pub data: u64,
    pub bss: u64,
}

fn err(file: &str, message: impl Into<String>) -> EvidenceError {
    EvidenceError {
        file: file.to_string(),
        message: message.into(),
    }
}

fn json_file(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Result<Value, EvidenceError> {
    let bytes = files
        .get(path)
        .ok_or_else(|| err(path, "missing: the assumptions of use are derived from it"))?;
    serde_json::from_slice(bytes).map_err(|e| err(path, format!("not JSON: {e}")))
}

fn field<'a>(v: &'a Value, path: &str, name: &str) -> Result<&'a Value, EvidenceError> {
    v.get(name)
        .ok_or_else(|| err(path, format!("field `{name}` is missing")))
}

fn str_field(v: &Value, path: &str, name: &str) -> Result<String, EvidenceError> {
    field(v, path, name)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| err(path, format!("field `{name}` is not a string")))
}

fn u64_field(v: &Value, path: &str, name: &str) -> Result<u64, EvidenceError> {
    field(v, path, name)?
        .as_u64()
        .ok_or_else(|| err(path, format!("field `{name}` is not a whole number")))
}

/// An optional whole number: absent or null is None.
fn opt_u64(v: &Value, path: &str, name: &str) -> Result<Option<u64>, EvidenceError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x.as_u64().map(Some).ok_or_else(|| {
            err(
                path,
                format!("field `{name}` is not a whole number or null"),
            )
        }),
    }
}

/// The `#if` / `#error` pairs of model.c.
pub fn guards(model_c: &str) -> Vec<Guard> {
    let lines: Vec<&str> = model_c.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(cond) = line.trim_start().strip_prefix("#if ") else {
            continue;
        };
        let Some(next) = lines.get(i + 1) else {
            continue;
        };
        let Some(msg) = next.trim_start().strip_prefix("#error") else {
            continue;
        };
        let message = msg.trim().trim_matches('"').to_string();
        let mut macros: Vec<String> = cond
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| {
                !w.is_empty()
                    && *w != "defined"
                    && w.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
            })
            .map(str::to_string)
            .collect();
        macros.sort();
        macros.dedup();
        out.push(Guard {
            line: i + 1,
            macros,
            condition: cond.trim().to_string(),
            message,
        });
    }
    out
}

/// The compiler and code-affecting flags of the command that compiled
/// model.c, from a target's command list.
fn model_flags(commands: &[Value], path: &str) -> Result<(String, Vec<String>), EvidenceError> {
    let cmd = commands
        .iter()
        .filter_map(Value::as_str)
        .find(|c| c.split_whitespace().any(|w| w == "model.c") && c.contains(" -c "))
        .ok_or_else(|| err(path, "field `commands` has no command compiling model.c"))?;
    let mut words = cmd.split_whitespace();
    let compiler = words.next().unwrap_or_default().to_string();
    let mut flags = Vec::new();
    let mut skip_next = false;
    for w in words {
        if skip_next {
            skip_next = false;
            continue;
        }
        match w {
            "-o" => skip_next = true,
            "-c" | "-fstack-usage" => {}
            _ if w.starts_with("-I") || w.starts_with("-fcallgraph-info") => {}
            _ if w.starts_with('-') => flags.push(w.to_string()),
            _ => {}
        }
    }
    Ok((compiler, flags))
}

/// The floating-point unit a target's flags select, and the register an
/// integrator must keep in its default mode.
fn fpu_of(compiler: &str, flags: &[String]) -> String {
    let has = |p: &str| flags.iter().any(|f| f.starts_with(p));
    let soft_abi = flags.iter().any(|f| f == "-mfloat-abi=soft");
    if compiler.starts_with("arm-") {
        if has("-mfpu=") && !soft_abi {
            "Arm FPSCR".into()
        } else {
            "soft float (compiler runtime routines; no mode register)".into()
        }
    } else if compiler.starts_with("aarch64") {
        "AArch64 FPCR".into()
    } else if compiler.starts_with("riscv") {
        let march = flags
            .iter()
            .find_map(|f| f.strip_prefix("-march="))
            .unwrap_or("");
        let ext = march.trim_start_matches("rv32").trim_start_matches("rv64");
        let ext = ext.split('_').next().unwrap_or("");
        if ext.contains('f') || ext.contains('d') || ext.contains('g') {
            "RISC-V fcsr".into()
        } else {
            "soft float (compiler runtime routines; no mode register)".into()
        }
    } else if compiler.starts_with("powerpc") {
        "Power FPSCR".into()
    } else {
        "the host's (x86-64: MXCSR; AArch64: FPCR)".into()
    }
}

fn fpu_conditions() -> Vec<Condition> {
    let c = |id: &str, requirement: &str, otherwise: &str| {
        Condition {
        id: id.into(),
        requirement: requirement.into(),
        otherwise: otherwise.into(),
        enforcement: "none at compile time: the mode is set at run time by the integrator's start-up code or RTOS; the verification ran with the reset default of every target, which meets it".into(),
    }
    };
    vec![
        c(
            "round-to-nearest",
            "rounding mode round to nearest, ties to even (the IEEE 754 default) whenever model code runs",
            "every sum, product and quotient may round the other way; output bits differ from the evidence",
        ),
        c(
            "no-flush-to-zero",
            "subnormal operands and results kept (flush-to-zero and denormals-are-zero off)",
            "a subnormal threshold, input or partial sum becomes zero: a decision or an output can change",
        ),
        c(
            "no-default-nan",
            "default-NaN mode off (NaN payloads propagate as IEEE 754 specifies)",
            "only NaN payloads change; decisions do not, but output bits of a NaN result would differ from the stored ones",
        ),
        c(
            "exceptions-masked",
            "floating-point exceptions masked (no trap on invalid, overflow, underflow, inexact or divide-by-zero)",
            "a NaN or infinite input or an overflowing sum traps instead of returning the verified result",
        ),
    ]
}

fn compiler_conditions(guards: &[Guard]) -> Vec<Condition> {
    let by = |macros: &[&str]| {
        let lines: Vec<String> = guards
            .iter()
            .filter(|g| g.macros.iter().any(|m| macros.contains(&m.as_str())))
            .map(|g| format!("src/model.c:{} ({})", g.line, g.macros.join(", ")))
            .collect();
        if lines.is_empty() {
            "no guard in this model.c".to_string()
        } else {
            format!("#error guard at {}", lines.join("; "))
        }
    };
    vec![
        Condition {
            id: "no-contraction".into(),
            requirement: "floating-point contraction off (-ffp-contract=off, or -std=c99 without GNU extensions; no fused multiply-add)".into(),
            otherwise: "a*b+c is rounded once instead of twice: output bits differ from the evidence".into(),
            enforcement: "none at compile time: no standard macro tells contraction apart; the qualified flag set below carries -ffp-contract=off, and the integrator's build must too".into(),
        },
        Condition {
            id: "no-fast-math".into(),
            requirement: "no -ffast-math, -Ofast or any option that lets the compiler reassociate, drop NaN/infinity handling or flush subnormals".into(),
            otherwise: "sums are reordered and NaN checks removed: decisions and outputs differ".into(),
            enforcement: by(&["__FAST_MATH__"]),
        },
        Condition {
            id: "no-excess-precision".into(),
            requirement: "float arithmetic evaluated in float (FLT_EVAL_METHOD == 0: SSE, VFP or soft float, never x87)".into(),
            otherwise: "intermediate results keep extra precision: decisions near a threshold and output bits differ".into(),
            enforcement: by(&["FLT_EVAL_METHOD"]),
        },
        Condition {
            id: "ieee-binary32-binary64".into(),
            requirement: "float is IEEE 754 binary32 and double binary64".into(),
            otherwise: "thresholds and leaf values are other numbers".into(),
            enforcement: by(&["FLT_MANT_DIG", "DBL_MANT_DIG"]),
        },
    ]
}

/// Derive the assumptions of use from the bundle's records (`files`, by
/// bundle path) and the NaN policy of the certification options.
pub fn derive(
    files: &BTreeMap<String, Vec<u8>>,
    nan_policy: &str,
) -> Result<Assumptions, EvidenceError> {
    let ir = json_file(files, layout::IR)?;
    let source = field(&ir, layout::IR, "source")?;
    let n_features = u64_field(&ir, layout::IR, "n_features")?;
    let names: Vec<String> = match ir.get("feature_names") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|n| {
                n.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err(layout::IR, "field `feature_names` holds a non-string"))
            })
            .collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    let n_groups = u64_field(&ir, layout::IR, "n_groups")?;
    let model = ModelRef {
        sha256: str_field(source, layout::IR, "sha256")?,
        format: str_field(source, layout::IR, "format")?,
        objective: str_field(source, layout::IR, "objective")?,
        n_outputs: n_groups,
    };

    let model_c_path = layout::source_file("model.c");
    let model_c = files
        .get(&model_c_path)
        .ok_or_else(|| err(&model_c_path, "missing: its build guards are listed"))?;
    let guards = guards(&String::from_utf8_lossy(model_c));

    let resources = json_file(files, layout::RESOURCES)?;
    let res_targets = field(&resources, layout::RESOURCES, "targets")?
        .as_array()
        .ok_or_else(|| err(layout::RESOURCES, "field `targets` is not an array"))?;
    let mut targets = Vec::new();
    let mut qualified_flags = Vec::new();
    let mut stateless = true;
    let mut sized = 0usize;
    for t in res_targets {
        let name = str_field(t, layout::RESOURCES, "target")?;
        let stack = field(t, layout::RESOURCES, "stack")?;
        let bound = stack.get("bound").filter(|b| !b.is_null());
        let model_size = match t.get("model_size").filter(|s| !s.is_null()) {
            Some(s) => {
                let p = layout::RESOURCES;
                Some(Sections {
                    text: u64_field(s, p, "text")?,
                    rodata: u64_field(s, p, "rodata")?,
                    data: u64_field(s, p, "data")?,
                    bss: u64_field(s, p, "bss")?,
                })
            }
            None => None,
        };
        if let Some(s) = &model_size {
            sized += 1;
            stateless &= s.data == 0 && s.bss == 0;
        }
        targets.push(TargetResources {
            target: name.clone(),
            stack_bound_bytes: match bound {
                Some(b) => opt_u64(b, layout::RESOURCES, "bytes")?,
                None => None,
            },
            stack_bound_refused: bound
                .and_then(|b| b.get("refused"))
                .and_then(Value::as_str)
                .map(str::to_string),
            stack_measured_peak: opt_u64(stack, layout::RESOURCES, "measured_peak")?,
            stack_budget: opt_u64(stack, layout::RESOURCES, "budget")?,
            model_size,
        });
        let vpath = layout::verify_file(&name);
        let v = json_file(files, &vpath)?;
        let commands = field(&v, &vpath, "commands")?
            .as_array()
            .ok_or_else(|| err(&vpath, "field `commands` is not an array"))?;
        let (compiler, flags) = model_flags(commands, &vpath)?;
        qualified_flags.push(TargetFlags {
            target: name,
            compiler,
            flags,
        });
    }
    let state = StateNote {
        pure_and_reentrant: stateless && sized > 0,
        evidence: if sized == 0 {
            "No target recorded the model's section sizes: nothing shows the absence of state."
                .into()
        } else if stateless {
            format!("The model's objects have 0 bytes of .data and .bss on all {sized} sized target(s) (resources.json): no writable static storage, so every entry point depends only on its arguments and may be called from any number of tasks or interrupts at once.")
        } else {
            "The model's objects have writable static data on some target (resources.json): not shown stateless.".into()
        },
    };

    let nan = match nan_policy {
        "reject" => NanPolicyNote {
            policy: "reject".into(),
            behaviour: "A NaN input makes the call return TIMBER_ERR_NAN; the outputs of that row are not written as a prediction and the caller must handle the status.".into(),
        },
        "missing" => NanPolicyNote {
            policy: "missing".into(),
            behaviour: "A NaN input is a missing value and follows each split's default (missing) direction, as the framework does; pass NaN (never a sentinel such as 0 or -999) for a missing feature.".into(),
        },
        other => {
            return Err(err(
                layout::CERTIFICATION,
                format!("field `options.nan_policy` is {other:?}, not \"missing\" or \"reject\""),
            ))
        }
    };

    let flag_targets: Vec<String> = qualified_flags
        .iter()
        .map(|f| format!("{}: {} {}", f.target, f.compiler, f.flags.join(" ")))
        .collect();
    let fpus: Vec<String> = qualified_flags
        .iter()
        .map(|f| format!("{}: {}", f.target, fpu_of(&f.compiler, &f.flags)))
        .collect();
    let integration = vec![
        format!("Check that src/model.c, src/model_data.c, src/model.h and src/model_data.h are the files of this bundle (sha256 in manifest.json) and that TIMBER_MODEL_SHA256 equals {}.", model.sha256),
        "Compile model.c and model_data.c as C99 with the flag set of the verified target of the same core (qualified_flags); add no -ffast-math, -Ofast or -ffp-contract=fast, and keep -ffp-contract=off. The #error guards of model.c stop a build that breaks the conditions they can test.".into(),
        format!("Keep the floating-point unit in its default mode (round to nearest, no flush-to-zero, no default-NaN, exceptions masked) whenever model code runs, including in tasks and interrupt handlers that share it: {}.", fpus.join("; ")),
        format!("Fill in[] in feature order: in[i] is feature i of the model ({} features{}).", n_features, if names.is_empty() { String::new() } else { format!(": {}", names.join(", ")) }),
        "Check the status every entry point returns; use out[] only when it is TIMBER_OK.".into(),
        "Reserve at least the stack bound of the target (targets) for each call, plus the caller's own frame and any interrupt nesting; the bound is of one call without interrupts.".into(),
        "Link nothing that defines the timber_ symbols; the model needs no heap, no libm and no C library function.".into(),
        format!("The verified flag sets were: {}.", flag_targets.join("; ")),
    ];

    Ok(Assumptions {
        schema_version: ASSUMPTIONS_SCHEMA_VERSION,
        model,
        fpu: fpu_conditions(),
        compiler: CompilerConditions {
            conditions: compiler_conditions(&guards),
            guards,
        },
        qualified_flags,
        features: Features {
            count: n_features,
            names,
            rule: "every entry point takes in[] in model feature order: in[i] is feature i (0-based), one float per feature, TIMBER_N_FEATURES per row".into(),
        },
        nan_policy: nan,
        state,
        targets,
        integration,
    })
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".into(), |b| b.to_string())
}

/// The human form of `a` (Markdown).
pub fn markdown(a: &Assumptions) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Assumptions of use\n");
    let _ = writeln!(
        s,
        "Model sha256 `{}` ({}, {}, {} output(s)). The evidence of this bundle describes the generated C only when every condition below holds. Derived from the bundle's own records; `timber audit verify` regenerates this file and assumptions.json and compares them.\n",
        a.model.sha256, a.model.format, a.model.objective, a.model.n_outputs
    );
    let cond_table = |s: &mut String, rows: &[Condition]| {
        let _ = writeln!(s, "| Condition | Requirement | Otherwise | Enforcement |");
        let _ = writeln!(s, "|---|---|---|---|");
        for c in rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                c.id, c.requirement, c.otherwise, c.enforcement
            );
        }
        s.push('\n');
    };
    let _ = writeln!(s, "## Floating-point unit\n");
    cond_table(&mut s, &a.fpu);
    let _ = writeln!(s, "## Compiler\n");
    cond_table(&mut s, &a.compiler.conditions);
    let _ = writeln!(s, "Build guards in src/model.c:\n");
    for g in &a.compiler.guards {
        let _ = writeln!(
            s,
            "- line {} ({}): `#if {}` stops the build with \"{}\"",
            g.line,
            g.macros.join(", "),
            g.condition,
            g.message
        );
    }
    let _ = writeln!(s, "\n## Qualified flag set (per verified target)\n");
    let _ = writeln!(s, "| Target | Compiler | Flags |");
    let _ = writeln!(s, "|---|---|---|");
    for f in &a.qualified_flags {
        let _ = writeln!(
            s,
            "| {} | {} | `{}` |",
            f.target,
            f.compiler,
            f.flags.join(" ")
        );
    }
    let _ = writeln!(s, "\n## Features\n");
    let _ = writeln!(s, "{} features; {}.", a.features.count, a.features.rule);
    if a.features.names.is_empty() {
        let _ = writeln!(s, "The model names no features.");
    } else {
        for (i, n) in a.features.names.iter().enumerate() {
            let _ = writeln!(s, "- in[{i}]: {n}");
        }
    }
    let _ = writeln!(
        s,
        "\n## NaN policy: {}\n\n{}",
        a.nan_policy.policy, a.nan_policy.behaviour
    );
    let _ = writeln!(
        s,
        "\n## State\n\nPure and reentrant: {}. {}",
        if a.state.pure_and_reentrant {
            "yes"
        } else {
            "not shown"
        },
        a.state.evidence
    );
    let _ = writeln!(s, "\n## Stack and size per target\n");
    let _ = writeln!(
        s,
        "| Target | Stack bound (bytes) | Measured peak | Budget | Model .text | .rodata | .data | .bss |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for t in &a.targets {
        let bound = match (&t.stack_bound_bytes, &t.stack_bound_refused) {
            (Some(b), _) => b.to_string(),
            (None, Some(r)) => format!("none: {r}"),
            (None, None) => "-".into(),
        };
        let sz = |f: fn(&Sections) -> u64| opt(t.model_size.as_ref().map(f));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            t.target,
            bound,
            opt(t.stack_measured_peak),
            opt(t.stack_budget),
            sz(|x| x.text),
            sz(|x| x.rodata),
            sz(|x| x.data),
            sz(|x| x.bss)
        );
    }
    let _ = writeln!(s, "\n## Integration steps\n");
    for (i, step) in a.integration.iter().enumerate() {
        let _ = writeln!(s, "{}. {}", i + 1, step);
    }
    s
}

/// Both files, by bundle path.
pub fn bundle_files(
    files: &BTreeMap<String, Vec<u8>>,
    nan_policy: &str,
) -> Result<Vec<(String, Vec<u8>)>, EvidenceError> {
    let a = derive(files, nan_policy)?;
    let mut json = serde_json::to_string_pretty(&a)
        .map_err(|e| err(layout::ASSUMPTIONS_JSON, format!("serialising: {e}")))?;
    json.push('\n');
    Ok(vec![
        (layout::ASSUMPTIONS_JSON.to_string(), json.into_bytes()),
        (
            layout::ASSUMPTIONS_MD.to_string(),
            markdown(&a).into_bytes(),
        ),
    ])
}

/// `audit verify`: regenerate both files from the bundle's records and
/// compare. Returns (bundle path, message) per disagreement. A bundle
/// without assumptions.json (written before they existed) is reported.
pub fn check(files: &BTreeMap<String, Vec<u8>>, nan_policy: &str) -> Vec<(String, String)> {
    let expected = match bundle_files(files, nan_policy) {
        Ok(f) => f,
        Err(e) => {
            return vec![(
                e.file,
                format!("cannot derive the assumptions of use: {}", e.message),
            )]
        }
    };
    let mut problems = Vec::new();
    for (path, bytes) in expected {
        match files.get(&path) {
            None => problems.push((
                path,
                "missing: every bundle carries its assumptions of use".into(),
            )),
            Some(b) if *b != bytes => {
                let what = if path == layout::ASSUMPTIONS_JSON {
                    first_json_difference(b, &bytes)
                } else {
                    first_line_difference(b, &bytes)
                };
                problems.push((
                    path,
                    format!("differs from what the bundle's records give: {what}"),
                ));
            }
            Some(_) => {}
        }
    }
    problems
}

fn first_line_difference(found: &[u8], expected: &[u8]) -> String {
    let f = String::from_utf8_lossy(found);
    let e = String::from_utf8_lossy(expected);
    let mut fl = f.lines();
    let mut el = e.lines();
    let mut n = 1;
    loop {
        match (fl.next(), el.next()) {
            (Some(a), Some(b)) if a == b => n += 1,
            (a, b) => {
                return format!(
                    "line {n} is {:?}, the records give {:?}",
                    a.unwrap_or("<end>"),
                    b.unwrap_or("<end>")
                )
            }
        }
    }
}

/// The first differing JSON leaf, as a JSON pointer.
fn first_json_difference(found: &[u8], expected: &[u8]) -> String {
    let Ok(f) = serde_json::from_slice::<Value>(found) else {
        return "not JSON".into();
    };
    let Ok(e) = serde_json::from_slice::<Value>(expected) else {
        return "the records give no JSON".into();
    };
    fn walk(f: &Value, e: &Value, at: &str) -> Option<String> {
        match (f, e) {
            (Value::Object(a), Value::Object(b)) => {
                let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                keys.into_iter().find_map(|k| {
                    walk(
                        a.get(k).unwrap_or(&Value::Null),
                        b.get(k).unwrap_or(&Value::Null),
                        &format!("{at}/{k}"),
                    )
                })
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
                .iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| walk(x, y, &format!("{at}/{i}"))),
            _ if f == e => None,
            _ => Some(format!("field {at} is {f}, the records give {e}")),
        }
    }
    walk(&f, &e, "").unwrap_or_else(|| "same values, different formatting".into())
}
