//! Rule 21.2 (required): do not declare reserved identifiers or macro names.
//!
//! ## What it checks
//! Declarations (objects, functions, parameters, typedefs, tags, enumerators, members) whose name starts with `__` or with `_` and an uppercase letter.
//!
//! Also declarations of the common standard library function names (malloc,
//! exit, memcpy, sqrt, ...), which are reserved with external linkage.
//!
//! ## Why
//! Such names are reserved for the implementation; declaring one has undefined behaviour.
//!
//! ## Known limits
//! File-scope names starting with `_` and a lowercase letter are not checked;
//! the list of library names covers the common functions, not all of them.
//!
//! ## Example
//! ```c
//! static uint32_t _Count;   /* flagged */
//! ```

use tree_sitter::Node;

use crate::check::source;
use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program, Unit};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "21.2"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Do not declare reserved identifiers or macro names."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            let mut names = Vec::new();
            for kind in ["identifier", "type_identifier", "field_identifier"] {
                for &n in u.nodes(kind) {
                    let t = u.text(n);
            let reserved = source::is_reserved_name(t) || (kind == "identifier" && LIBRARY.contains(&t));
            if reserved && is_declared_here(u, n) {
                        names.push(n);
                    }
                }
            }
            names.sort_by_key(|n| n.start_byte());
            for n in names {
                let msg = format!("declaration of reserved name `{}`", u.text(n));
                out.at(u, n, &msg, "rename without the leading underscore");
            }
        }
    }
}

/// Common standard library function names (reserved with external linkage).
const LIBRARY: &[&str] = &[
    "malloc", "calloc", "realloc", "free", "aligned_alloc", "abort", "exit", "_Exit",
    "quick_exit", "atexit", "getenv", "system", "atof", "atoi", "atol", "atoll", "strtol",
    "strtoul", "strtod", "strtof", "bsearch", "qsort", "rand", "srand", "abs", "labs",
    "memcpy", "memmove", "memset", "memcmp", "strlen", "strcpy", "strncpy", "strcat",
    "strcmp", "strncmp", "strchr", "strstr", "printf", "fprintf", "sprintf", "snprintf",
    "puts", "putchar", "getchar", "fopen", "fclose", "sqrt", "sqrtf", "exp", "expf", "log",
    "logf", "pow", "powf", "fabs", "fabsf", "floor", "ceil", "sin", "cos", "tan", "time",
    "clock", "signal", "raise", "setjmp", "longjmp",
];

/// Is this name node the name being declared (not a use)?
fn is_declared_here(u: &Unit<'_>, n: Node<'_>) -> bool {
    let Some(p) = u.parent(n) else {
        return false;
    };
    let field_is = |field: &str| p.child_by_field_name(field).map(|c| c.id()) == Some(n.id());
    match p.kind() {
        "init_declarator" | "pointer_declarator" | "array_declarator" | "function_declarator"
        | "parenthesized_declarator" | "parameter_declaration" | "declaration"
        | "field_declaration" | "type_definition" => field_is("declarator"),
        "struct_specifier" | "union_specifier" | "enum_specifier" => {
            field_is("name") && p.child_by_field_name("body").is_some()
        }
        "enumerator" => field_is("name"),
        _ => false,
    }
}
