//! Rule 8.4 (required): a definition with external linkage follows a visible compatible declaration.
//!
//! ## What it checks
//! A function or object defined with external linkage in a `.c` file when no declaration of it is visible at the definition: none earlier in the same file, and none in the checked headers the file includes (`#include "x.h"`, followed transitively, matched by file name). For an object the visible declaration must be an `extern` one. A visible function prototype with a different number of parameters is reported as incompatible. The rule only runs when at least one header is among the checked files, like rule 8.7: without headers the checker cannot see the interface of the code.
//!
//! ## Why
//! When the declaration that other files use is visible at the definition, the compiler checks that the two agree.
//!
//! ## Known limits
//! Compatibility of a visible function declaration is checked by parameter count only; differing parameter or return types are not compared (typedefs are not resolved). A declaration without a prototype (`f()`) counts as compatible (rule 8.2 reports it). A file that includes a quoted header which is not among the checked files is skipped, since that header may hold the declaration. `main` is not reported. Declarations produced by macro expansion are not seen.
//!
//! ## Example
//! ```c
//! #include "filter.h"                       /* declares filter_step() only */
//! uint32_t filter_gain(uint32_t x) { ... }  /* flagged: no declaration visible */
//! ```

use std::collections::{BTreeMap, BTreeSet};

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program, Unit};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.4"
    }
    fn category(&self) -> Category {
        Category::Required
    }
    fn summary(&self) -> &'static str {
        "A compatible declaration is visible where an external object or function is defined."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        let headers: BTreeMap<&str, usize> = program
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.path.ends_with(".h"))
            .map(|(i, u)| (base_name(u.path), i))
            .collect();
        if headers.is_empty() {
            return;
        }
        for u in &program.units {
            if u.path.ends_with(".h") {
                continue;
            }
            // Headers visible from this file (transitively); None: an unchecked one.
            let Some(visible) = included_headers(program, u, &headers) else {
                continue;
            };
            let mut header_decls: Vec<Decl> = Vec::new();
            for &h in &visible {
                let hu = &program.units[h];
                header_decls.extend(declarations(hu, usize::MAX));
            }
            for (name, def_start, arity, is_fn) in definitions(u) {
                let earlier = declarations(u, def_start);
                let seen: Vec<&Decl> = header_decls
                    .iter()
                    .chain(earlier.iter())
                    .filter(|d| d.name == u.text(name) && d.is_fn == is_fn && (is_fn || d.is_extern))
                    .collect();
                let t = u.text(name);
                if seen.is_empty() {
                    let what = if is_fn { "function" } else { "object" };
                    let msg = format!("no declaration of external {what} `{t}` is visible at its definition");
                    out.at(u, name, &msg, "declare it in the header this file includes (extern for an object), or make it static");
                } else if is_fn && seen.iter().all(|d| d.arity.is_some_and(|a| Some(a) != arity)) {
                    let msg = format!("the visible declaration of `{t}` has a different number of parameters");
                    out.at(u, name, &msg, "make the declaration and the definition agree");
                }
            }
        }
    }
}

/// One file-scope declaration of a function or object.
struct Decl {
    name: String,
    is_fn: bool,
    is_extern: bool,
    /// Number of parameters of a prototype (None: no prototype, or an object).
    arity: Option<usize>,
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn included_headers(program: &Program<'_>, u: &Unit<'_>, headers: &BTreeMap<&str, usize>) -> Option<BTreeSet<usize>> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&Unit<'_>> = vec![u];
    while let Some(cur) = todo.pop() {
        for &inc in cur.nodes("preproc_include") {
            let Some(p) = inc.child_by_field_name("path") else {
                continue;
            };
            if p.kind() != "string_literal" {
                continue; // <system header>
            }
            let name = base_name(cur.text(p).trim_matches('"'));
            let &h = headers.get(name)?;
            if seen.insert(h) {
                todo.push(&program.units[h]);
            }
        }
    }
    Some(seen)
}

/// Number of parameters of a function declarator; None for `()`.
fn arity_of(u: &Unit<'_>, fd: Node<'_>) -> Option<usize> {
    let params = fd.child_by_field_name("parameters")?;
    let mut c = params.walk();
    let list: Vec<Node<'_>> = params
        .named_children(&mut c)
        .filter(|n| n.kind() != "comment")
        .collect();
    if list.is_empty() {
        return None;
    }
    let only_void = list.len() == 1
        && list[0].kind() == "parameter_declaration"
        && list[0].child_by_field_name("declarator").is_none()
        && list[0]
            .child_by_field_name("type")
            .is_some_and(|t| u.text(t) == "void");
    Some(if only_void { 0 } else { list.len() })
}

fn storage(u: &Unit<'_>, d: Node<'_>) -> Vec<String> {
    let mut c = d.walk();
    let v = d
        .children(&mut c)
        .filter(|n| n.kind() == "storage_class_specifier")
        .map(|n| u.text(n).to_string())
        .collect();
    v
}

/// File-scope declarations (not definitions) starting before `before`.
fn declarations(u: &Unit<'_>, before: usize) -> Vec<Decl> {
    let mut out = Vec::new();
    for &d in u.nodes("declaration") {
        if d.start_byte() >= before || u.enclosing_function(d).is_some() {
            continue;
        }
        let specs = storage(u, d);
        let is_extern = specs.iter().any(|s| s == "extern");
        let mut c = d.walk();
        for decl in d.children_by_field_name("declarator", &mut c) {
            if let Some(fd) = source::function_declarator(decl) {
                if let Some(name) = source::function_name(u, fd) {
                    out.push(Decl {
                        name: name.to_string(),
                        is_fn: true,
                        is_extern,
                        arity: arity_of(u, fd),
                    });
                }
            } else if let Some(name) = source::declared_name(decl) {
                out.push(Decl {
                    name: u.text(name).to_string(),
                    is_fn: false,
                    is_extern,
                    arity: None,
                });
            }
        }
    }
    out
}

/// External definitions of a unit: (name node, start byte, arity, is a function).
fn definitions<'a>(u: &Unit<'a>) -> Vec<(Node<'a>, usize, Option<usize>, bool)> {
    let mut out = Vec::new();
    for &f in u.nodes("function_definition") {
        if storage(u, f).iter().any(|s| s == "static") {
            continue;
        }
        let Some(fd) = f
            .child_by_field_name("declarator")
            .and_then(source::function_declarator)
        else {
            continue;
        };
        if let Some(name) = fd.child_by_field_name("declarator").filter(|n| n.kind() == "identifier") {
            if u.text(name) != "main" {
                out.push((name, f.start_byte(), arity_of(u, fd), true));
            }
        }
    }
    for &d in u.nodes("declaration") {
        if u.enclosing_function(d).is_some() {
            continue;
        }
        let specs = storage(u, d);
        if specs.iter().any(|s| s == "extern" || s == "static" || s == "typedef") {
            continue;
        }
        let mut c = d.walk();
        for decl in d.children_by_field_name("declarator", &mut c) {
            if source::function_declarator(decl).is_some() {
                continue;
            }
            if let Some(name) = source::declared_name(decl) {
                out.push((name, d.start_byte(), None, false));
            }
        }
    }
    out
}
