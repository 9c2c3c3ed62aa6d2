//! Rule 20.7 (required): parenthesize expressions from macro parameter expansion.
//!
//! ## What it checks
//! A use of a macro parameter in the replacement list that is not directly enclosed in parentheses (and not an operand of `#` or `##`).
//!
//! ## Why
//! Without parentheses the operator precedence of the argument can mix with the macro body: `M(a + b)` may not mean what it says.
//!
//! ## Known limits
//! The replacement list is scanned token by token; a parameter used as a whole argument of a call, e.g. `f(x)`, counts as parenthesized.
//!
//! ## Example
//! ```c
//! #define TWICE(x) (x * 2U)   /* flagged */
//! ```

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{Emit, Program};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "20.7"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "Parenthesize expressions from macro parameter expansion."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &d in u.nodes("preproc_function_def") {
                let (Some(params), Some(value)) = (d.child_by_field_name("parameters"), d.child_by_field_name("value")) else {
                    continue;
                };
                let mut c = params.walk();
                let names: Vec<&str> = params.named_children(&mut c).filter(|p| p.kind() == "identifier").map(|p| u.text(p)).collect();
                let text = u.text(value);
                let toks = tokens(text);
                for (i, &(pos, tok)) in toks.iter().enumerate() {
                    if !names.contains(&tok) {
                        continue;
                    }
                    let prev = if i > 0 { toks[i - 1].1 } else { "" };
                    let next = toks.get(i + 1).map(|t| t.1).unwrap_or("");
                    let paren = matches!(prev, "(" | ",") && matches!(next, ")" | ",");
                    let paste = matches!(prev, "#" | "##") || next == "##";
                    if !paren && !paste {
                        let msg = format!("macro parameter `{tok}` is not in parentheses");
                        out.at_byte(u, value.start_byte() + pos, &msg, "write (param) in the replacement list");
                    }
                }
            }
        }
    }
}

/// Split a replacement list into (byte offset, token): identifiers, numbers,
/// string/char literals and punctuators (`##` as one token).
pub(super) fn tokens(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() || c == b'\\' {
            i += 1;
            continue;
        }
        if c.is_ascii_alphanumeric() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
        } else if c == b'#' && b.get(i + 1) == Some(&b'#') {
            i += 2;
        } else {
            i += 1;
        }
        if let Some(t) = text.get(start..i) {
            out.push((start, t));
        }
    }
    out
}
