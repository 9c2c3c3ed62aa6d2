//! Rule 8.4 (required): a definition with external linkage follows a visible compatible declaration.
//!
//! ## What it checks
//! A function or object defined with external linkage in a `.c` file when no declaration of it is visible at the definition: none earlier in the same file, and none in the checked headers the file includes (`#include "x.h"`, followed transitively, matched by file name). For an object the visible declaration must be an `extern` one. A visible function prototype with a different number of parameters, or with other return or parameter types (compared after normalisation, see below), is reported as incompatible. The rule only runs when at least one header is among the checked files, like rule 8.7: without headers the checker cannot see the interface of the code.
//!
//! ## Why
//! When the declaration that other files use is visible at the definition, the compiler checks that the two agree.
//!
//! ## Known limits
//! Types are compared as normalised text: spellings of one standard integer type (`unsigned` and `unsigned int`, `long int` and `long`) agree, plain typedefs of the checked files are resolved, qualifiers on a parameter itself are ignored and an array parameter is a pointer; struct tags, function-pointer parameters and typedefs of unchecked headers are compared by name only or not at all (a prototype with a function-pointer parameter is not compared). A declaration without a prototype (`f()`) counts as compatible (rule 8.2 reports it). A file that includes a quoted header which is not among the checked files is skipped, since that header may hold the declaration. `main` is not reported. Declarations produced by macro expansion are not seen.
//!
//! ## Example
//! ```c
//! #include "filter.h"                       /* declares filter_step() only */
//! uint32_t filter_gain(uint32_t x) { ... }  /* flagged: no declaration visible */
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
        let typedefs = typedef_map(program);
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
            for (name, def_start, arity, is_fn, sig) in definitions(u) {
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
                } else if let Some(def_sig) = sig.as_deref().filter(|_| is_fn) {
                    let def_sig = resolve(def_sig, &typedefs);
                    let differs = seen
                        .iter()
                        .all(|d| d.sig.as_deref().is_some_and(|s| resolve(s, &typedefs) != def_sig));
                    if differs {
                        let def_sig = sig.as_deref().unwrap_or_default();
                        let decl_sig = seen.iter().find_map(|d| d.sig.clone()).unwrap_or_default();
                        let msg = format!(
                            "the visible declaration of `{t}` has other types: `{}` here, `{}` declared",
                            show(def_sig),
                            show(&decl_sig)
                        );
                        out.at(u, name, &msg, "make the return and parameter types of the declaration and the definition agree");
                    }
                }
            }
        }
    }
}

/// An external definition: name, start byte, arity, is a function, signature.
type Def<'a> = (Node<'a>, usize, Option<usize>, bool, Option<String>);

/// One file-scope declaration of a function or object.
struct Decl {
    name: String,
    is_fn: bool,
    is_extern: bool,
    /// Number of parameters of a prototype (None: no prototype, or an object).
    arity: Option<usize>,
    /// Normalised return and parameter types of a prototype (None: not known).
    sig: Option<String>,
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
                        sig: signature(u, d, decl, fd),
                    });
                }
            } else if let Some(name) = source::declared_name(decl) {
                out.push(Decl {
                    name: u.text(name).to_string(),
                    is_fn: false,
                    is_extern,
                    arity: None,
                    sig: None,
                });
            }
        }
    }
    out
}

/// External definitions of a unit: (name node, start byte, arity, is a function, signature).
fn definitions<'a>(u: &Unit<'a>) -> Vec<Def<'a>> {
    let mut out = Vec::new();
    for &f in u.nodes("function_definition") {
        if storage(u, f).iter().any(|s| s == "static") {
            continue;
        }
        let Some(top) = f.child_by_field_name("declarator") else {
            continue;
        };
        let Some(fd) = source::function_declarator(top) else {
            continue;
        };
        if let Some(name) = fd.child_by_field_name("declarator").filter(|n| n.kind() == "identifier") {
            if u.text(name) != "main" {
                out.push((name, f.start_byte(), arity_of(u, fd), true, signature(u, f, top, fd)));
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
                out.push((name, d.start_byte(), None, false, None));
            }
        }
    }
    out
}

/// A signature for messages: `ret(p1, p2)`.
fn show(sig: &str) -> String {
    let (ret, params) = sig.split_once('|').unwrap_or((sig, ""));
    format!("{ret}({params})")
}

/// Spelling-independent name of a type specifier: whitespace collapsed and
/// the synonyms of the standard integer types mapped to one spelling.
fn normalise(t: &str) -> String {
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let same = match t.as_str() {
        "unsigned" => "unsigned int",
        "signed" | "signed int" => "int",
        "short int" | "signed short" | "signed short int" => "short",
        "unsigned short int" => "unsigned short",
        "long int" | "signed long" | "signed long int" => "long",
        "unsigned long int" => "unsigned long",
        "long long int" | "signed long long" | "signed long long int" => "long long",
        "unsigned long long int" => "unsigned long long",
        other => other,
    };
    same.to_string()
}

fn qualifiers(u: &Unit<'_>, n: Node<'_>) -> Vec<String> {
    let mut c = n.walk();
    let mut q: Vec<String> = n
        .children(&mut c)
        .filter(|ch| ch.kind() == "type_qualifier")
        .map(|ch| u.text(ch).to_string())
        .filter(|t| t != "restrict")
        .collect();
    q.sort();
    q
}

/// The type a declaration gives through `decl` down to `stop` (the
/// function declarator for a return type, or the name for a parameter), with
/// qualifiers that do not affect compatibility (those on the declared
/// entity itself) dropped. None for forms not modelled (function pointers).
fn declared_type(u: &Unit<'_>, spec_owner: Node<'_>, decl: Option<Node<'_>>, stop: Option<Node<'_>>) -> Option<String> {
    let base = normalise(u.text(spec_owner.child_by_field_name("type")?));
    let quals = qualifiers(u, spec_owner);
    // Pointer levels as written, left to right: the first is the one next to
    // the base type, the last applies to the declared entity.
    let mut levels: Vec<Vec<String>> = Vec::new();
    let mut cur = decl;
    while let Some(n) = cur {
        if stop.is_some_and(|s| s.id() == n.id()) {
            break;
        }
        match n.kind() {
            "pointer_declarator" => levels.push(qualifiers(u, n)),
            "array_declarator" => levels.push(Vec::new()),
            "parenthesized_declarator" | "attributed_declarator" | "init_declarator" => {}
            "identifier" => break,
            _ => return None,
        }
        cur = n.child_by_field_name("declarator").or_else(|| n.named_child(0));
    }
    if levels.is_empty() {
        return Some(base);
    }
    let mut out = quals.join(" ");
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(&base);
    // The last level is the entity itself: its qualifiers do not count.
    for (i, q) in levels.iter().enumerate() {
        out.push('*');
        if i + 1 < levels.len() && !q.is_empty() {
            out.push(' ');
            out.push_str(&q.join(" "));
        }
    }
    Some(out)
}

/// Normalised `return|param,param` of a function declared by `top` (a
/// declarator of the declaration or definition `owner`) with function
/// declarator `fd`.
fn signature(u: &Unit<'_>, owner: Node<'_>, top: Node<'_>, fd: Node<'_>) -> Option<String> {
    let ret = declared_type(u, owner, Some(top), Some(fd))?;
    let params = fd.child_by_field_name("parameters")?;
    let mut c = params.walk();
    let mut ps = Vec::new();
    for p in params.named_children(&mut c) {
        match p.kind() {
            "comment" => {}
            "parameter_declaration" => {
                ps.push(declared_type(u, p, p.child_by_field_name("declarator"), None)?);
            }
            _ => return None,
        }
    }
    if ps.len() == 1 && ps[0] == "void" {
        ps.clear();
    }
    Some(format!("{ret}|{}", ps.join(", ")))
}

/// Plain typedefs of the checked files (`typedef T name;`): name -> normalised T.
fn typedef_map(program: &Program<'_>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for u in &program.units {
        for &d in u.nodes("type_definition") {
            let Some(t) = d.child_by_field_name("type") else {
                continue;
            };
            let mut c = d.walk();
            for decl in d.children_by_field_name("declarator", &mut c) {
                if matches!(decl.kind(), "type_identifier" | "primitive_type") {
                    map.insert(u.text(decl).to_string(), normalise(u.text(t)));
                }
            }
        }
    }
    map
}

/// A signature with every typedef name replaced by the type it names.
fn resolve(sig: &str, typedefs: &HashMap<String, String>) -> String {
    let mut cur = sig.to_string();
    for _ in 0..8 {
        let mut out = String::with_capacity(cur.len());
        let mut word = String::new();
        let mut changed = false;
        for ch in cur.chars().chain(std::iter::once('\0')) {
            if ch.is_ascii_alphanumeric() || ch == '_' {
                word.push(ch);
                continue;
            }
            if !word.is_empty() {
                match typedefs.get(&word) {
                    Some(t) if *t != word => {
                        out.push_str(t);
                        changed = true;
                    }
                    _ => out.push_str(&word),
                }
                word.clear();
            }
            if ch != '\0' {
                out.push(ch);
            }
        }
        cur = out;
        if !changed {
            break;
        }
    }
    cur
}
