//! Rule 20.9 (required): identifiers in #if and #elif conditions are defined before use.
//!
//! ## What it checks
//! An identifier in an `#if` or `#elif` condition (outside `defined(...)`) that is neither defined as a macro anywhere in the checked files nor defined by a standard header the file includes. Standard headers are looked up in a per-header list (`<limits.h>`, `<stdint.h>`, `<inttypes.h>`, `<float.h>`, `<stdbool.h>`, `<stddef.h>`, `<errno.h>`, `<math.h>`, `<stdlib.h>`, `<stdio.h>`, `<string.h>`, `<wchar.h>`, `<signal.h>`, `<time.h>`, `<locale.h>`, `<iso646.h>`), following `#include "x.h"` into checked headers transitively; a name counts only when a header that defines it is reachable from the file.
//!
//! ## Why
//! An undefined identifier silently evaluates to 0, so a misspelt configuration macro goes unnoticed.
//!
//! ## Known limits
//! Macros defined by the compiler command line, by the compiler itself (`__STDC_VERSION__`, `__GNUC__`, ...) or by unchecked non-standard headers are reported; list them in a checked configuration header or deviate. The standard-header lists are those of C99; a macro that only a later standard or an implementation adds to a standard header is reported. Definition order is not tracked: a macro defined anywhere in the checked files counts as defined.
//!
//! ## Example
//! ```c
//! #include <stdint.h>
//! #if UINT32_MAX > 0xFFFFU   /* fine: <stdint.h> defines it */
//! #endif
//! #if TIMBER_FAST            /* flagged unless TIMBER_FAST is #defined */
//! #endif
//! ```

use std::collections::BTreeSet;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program, Unit};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

/// Macros the C99 standard headers define, by header (those usable in `#if`
/// and the ones a condition may plausibly name).
const STANDARD_MACROS: &[(&str, &[&str])] = &[
    (
        "limits.h",
        &[
            "CHAR_BIT", "SCHAR_MIN", "SCHAR_MAX", "UCHAR_MAX", "CHAR_MIN", "CHAR_MAX",
            "MB_LEN_MAX", "SHRT_MIN", "SHRT_MAX", "USHRT_MAX", "INT_MIN", "INT_MAX", "UINT_MAX",
            "LONG_MIN", "LONG_MAX", "ULONG_MAX", "LLONG_MIN", "LLONG_MAX", "ULLONG_MAX",
        ],
    ),
    ("stdint.h", STDINT),
    ("inttypes.h", STDINT),
    (
        "float.h",
        &[
            "FLT_ROUNDS", "FLT_EVAL_METHOD", "FLT_RADIX", "FLT_MANT_DIG", "DBL_MANT_DIG",
            "LDBL_MANT_DIG", "DECIMAL_DIG", "FLT_DIG", "DBL_DIG", "LDBL_DIG", "FLT_MIN_EXP",
            "DBL_MIN_EXP", "LDBL_MIN_EXP", "FLT_MIN_10_EXP", "DBL_MIN_10_EXP", "LDBL_MIN_10_EXP",
            "FLT_MAX_EXP", "DBL_MAX_EXP", "LDBL_MAX_EXP", "FLT_MAX_10_EXP", "DBL_MAX_10_EXP",
            "LDBL_MAX_10_EXP", "FLT_MAX", "DBL_MAX", "LDBL_MAX", "FLT_EPSILON", "DBL_EPSILON",
            "LDBL_EPSILON", "FLT_MIN", "DBL_MIN", "LDBL_MIN",
        ],
    ),
    (
        "stdbool.h",
        &["bool", "true", "false", "__bool_true_false_are_defined"],
    ),
    ("stddef.h", &["NULL", "offsetof"]),
    ("errno.h", &["EDOM", "EILSEQ", "ERANGE", "errno"]),
    (
        "math.h",
        &[
            "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "INFINITY", "NAN", "FP_INFINITE", "FP_NAN",
            "FP_NORMAL", "FP_SUBNORMAL", "FP_ZERO", "FP_FAST_FMA", "FP_FAST_FMAF", "FP_FAST_FMAL",
            "FP_ILOGB0", "FP_ILOGBNAN", "MATH_ERRNO", "MATH_ERREXCEPT", "math_errhandling",
        ],
    ),
    (
        "stdlib.h",
        &["NULL", "EXIT_FAILURE", "EXIT_SUCCESS", "RAND_MAX", "MB_CUR_MAX"],
    ),
    (
        "stdio.h",
        &[
            "NULL", "_IOFBF", "_IOLBF", "_IONBF", "BUFSIZ", "EOF", "FOPEN_MAX", "FILENAME_MAX",
            "L_tmpnam", "SEEK_CUR", "SEEK_END", "SEEK_SET", "TMP_MAX",
        ],
    ),
    ("string.h", &["NULL"]),
    ("wchar.h", &["NULL", "WCHAR_MIN", "WCHAR_MAX", "WEOF"]),
    ("signal.h", &["SIG_DFL", "SIG_ERR", "SIG_IGN", "SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM"]),
    ("time.h", &["NULL", "CLOCKS_PER_SEC"]),
    ("locale.h", &["NULL", "LC_ALL", "LC_COLLATE", "LC_CTYPE", "LC_MONETARY", "LC_NUMERIC", "LC_TIME"]),
    ("iso646.h", &["and", "and_eq", "bitand", "bitor", "compl", "not", "not_eq", "or", "or_eq", "xor", "xor_eq"]),
];

const STDINT: &[&str] = &[
    "INT8_MIN", "INT16_MIN", "INT32_MIN", "INT64_MIN", "INT8_MAX", "INT16_MAX", "INT32_MAX",
    "INT64_MAX", "UINT8_MAX", "UINT16_MAX", "UINT32_MAX", "UINT64_MAX", "INT_LEAST8_MIN",
    "INT_LEAST16_MIN", "INT_LEAST32_MIN", "INT_LEAST64_MIN", "INT_LEAST8_MAX", "INT_LEAST16_MAX",
    "INT_LEAST32_MAX", "INT_LEAST64_MAX", "UINT_LEAST8_MAX", "UINT_LEAST16_MAX",
    "UINT_LEAST32_MAX", "UINT_LEAST64_MAX", "INT_FAST8_MIN", "INT_FAST16_MIN", "INT_FAST32_MIN",
    "INT_FAST64_MIN", "INT_FAST8_MAX", "INT_FAST16_MAX", "INT_FAST32_MAX", "INT_FAST64_MAX",
    "UINT_FAST8_MAX", "UINT_FAST16_MAX", "UINT_FAST32_MAX", "UINT_FAST64_MAX", "INTPTR_MIN",
    "INTPTR_MAX", "UINTPTR_MAX", "INTMAX_MIN", "INTMAX_MAX", "UINTMAX_MAX", "PTRDIFF_MIN",
    "PTRDIFF_MAX", "SIG_ATOMIC_MIN", "SIG_ATOMIC_MAX", "SIZE_MAX", "WCHAR_MIN", "WCHAR_MAX",
    "WINT_MIN", "WINT_MAX", "INT8_C", "INT16_C", "INT32_C", "INT64_C", "UINT8_C", "UINT16_C",
    "UINT32_C", "UINT64_C", "INTMAX_C", "UINTMAX_C",
];

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.9"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Identifiers in #if and #elif conditions are defined before use."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let mut conds = Vec::new();
            for kind in ["preproc_if", "preproc_elif"] {
                for &n in u.nodes(kind) {
                    conds.extend(n.child_by_field_name("condition"));
                }
            }
            if conds.is_empty() {
                continue;
            }
            conds.sort_by_key(|n| n.start_byte());
            let std_headers = standard_headers_reached(program, u);
            for cond in conds {
                for &id in u.subtree(cond) {
                    if id.kind() != "identifier" {
                        continue;
                    }
                    let in_defined = u.parent(id)
                        .map(|p| p.kind() == "preproc_defined")
                        .unwrap_or(false);
                    let name = u.text(id);
                    if in_defined
                        || program.macros.contains(name)
                        || defined_by_standard_header(&std_headers, name)
                    {
                        continue;
                    }
                    let msg = format!("`{name}` is not defined where the condition is evaluated");
                    out.at(
                        u,
                        id,
                        &msg,
                        "#define it, include the standard header that defines it, or test it with defined()",
                    );
                }
            }
        }
    }
}

fn defined_by_standard_header(headers: &BTreeSet<String>, name: &str) -> bool {
    STANDARD_MACROS
        .iter()
        .any(|(h, names)| headers.contains(*h) && names.contains(&name))
}

/// Names of the headers `#include`d by the unit, directly or through the
/// checked headers it includes (matched by file name), transitively.
fn standard_headers_reached(program: &Program<'_>, u: &Unit<'_>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut visited = BTreeSet::new();
    let mut todo: Vec<&Unit<'_>> = vec![u];
    visited.insert(u.path.to_string());
    while let Some(cur) = todo.pop() {
        for &inc in cur.nodes("preproc_include") {
            let Some(p) = inc.child_by_field_name("path") else {
                continue;
            };
            let raw = cur.text(p);
            let name = raw.trim_matches(|c| c == '<' || c == '>' || c == '"');
            names.insert(name.to_string());
            let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
            for other in &program.units {
                let ob = other.path.rsplit(['/', '\\']).next().unwrap_or(other.path);
                if ob == base && visited.insert(other.path.to_string()) {
                    todo.push(other);
                }
            }
        }
    }
    names
}
