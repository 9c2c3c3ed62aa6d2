//! The per-core cycle model (`[timing.cycles]` in a bare-metal target's
//! TOML): cycles per instruction class, taken from the cores' technical
//! reference manuals (docs/timing.md names the tables), plus the memory
//! system's parameters. It turns an instruction path into a cycle count.

use serde::{Deserialize, Serialize};

/// Cycles per instruction class of one core, and the memory parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CycleModel {
    /// Where the figures come from (manual and table), in words.
    pub source: String,
    /// The clock the µs figures are given at, MHz.
    pub clock_mhz: f64,
    /// Data processing, moves, compares, shifts, address generation.
    pub alu: u64,
    /// Single load (LDR*, VLDR, literal loads).
    pub load: u64,
    /// Single store (STR*, VSTR).
    pub store: u64,
    /// Load or store multiple (LDM/STM/PUSH/POP/VPUSH/VPOP): this per
    /// register, plus `load`.
    pub per_register: u64,
    /// A conditional branch that falls through.
    pub branch_not_taken: u64,
    /// Any taken branch, call or return, pipeline refill included.
    pub branch_taken: u64,
    /// Multiply (MUL, MLA, UMULL, ...), worst case.
    pub multiply: u64,
    /// Integer divide (SDIV/UDIV), worst case.
    pub divide: u64,
    /// Single-precision FPU add, subtract, multiply, compare, convert, move.
    pub fpu: u64,
    /// FPU divide and square root (VDIV, VSQRT), worst case.
    pub fpu_divide: u64,
    /// Wait states of one instruction or data fetch from flash, charged on
    /// every load and every taken branch (the refetch after a branch).
    #[serde(default)]
    pub flash_wait_states: u64,
    /// Extra cycles of a cache miss (cores with caches): charged on every
    /// load and every taken branch, as if each missed.
    #[serde(default)]
    pub cache_miss_penalty: u64,
}
