//! Declared types across the checked program, for the essential type model:
//! typedefs (the standard library's built in, chains resolved), struct and
//! union members, enumerations and their constants, functions with their
//! parameter types, objects at file and function scope, and the bodies of
//! object-like macros. Headers found through `#include` (see
//! `check::includes`) contribute their declarations without being checked.
//!
//! It reads C text only; it knows nothing of the generator it checks.

use std::collections::{BTreeMap, HashMap, HashSet};

use tree_sitter::Node;

use super::source::{Parsed, Unit};

/// Essential type category.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Cat {
    Boolean,
    Char,
    Signed,
    Unsigned,
    Float,
    /// A named enumerated type (by its tag or typedef name).
    Enum(String),
}

impl Cat {
    pub fn name(&self) -> String {
        match self {
            Cat::Boolean => "Boolean".into(),
            Cat::Char => "character".into(),
            Cat::Signed => "signed".into(),
            Cat::Unsigned => "unsigned".into(),
            Cat::Float => "floating".into(),
            Cat::Enum(n) => format!("enum `{n}`"),
        }
    }
    pub fn is_integer(&self) -> bool {
        matches!(self, Cat::Signed | Cat::Unsigned)
    }
}

/// A scalar type: category and width in bits when the width is the same on
/// every target timber supports (`long`, `size_t` and `long double` vary).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scalar {
    pub cat: Cat,
    pub width: Option<u32>,
}

/// What the checker knows of a C type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Scalar(Scalar),
    Void,
    /// A struct or union, by key (`struct tag`, or the place of an untagged one).
    Record(String),
    Pointer(Box<Ty>),
    Array(Box<Ty>),
    Function(Box<Ty>),
    Unknown,
}

impl Ty {
    pub fn scalar(&self) -> Option<&Scalar> {
        match self {
            Ty::Scalar(s) => Some(s),
            _ => None,
        }
    }
    /// The type an element access (`*p`, `p[i]`) yields.
    pub fn element(&self) -> Ty {
        match self {
            Ty::Pointer(t) | Ty::Array(t) => (**t).clone(),
            _ => Ty::Unknown,
        }
    }
    pub fn is_pointer(&self) -> bool {
        matches!(self, Ty::Pointer(_) | Ty::Array(_))
    }
}

fn sc(cat: Cat, width: Option<u32>) -> Ty {
    Ty::Scalar(Scalar { cat, width })
}

/// The type a standard type name denotes, or a standard library typedef
/// (stdint.h, stdbool.h, stddef.h, and the `float32_t`/`float64_t` names
/// MISRA projects conventionally declare).
pub fn builtin(name: &str) -> Option<Ty> {
    let words: Vec<&str> = name
        .split_whitespace()
        .filter(|w| !matches!(*w, "const" | "volatile" | "register" | "static" | "extern"))
        .collect();
    let n = words.join(" ");
    let fixed = |s: &str| -> Option<Ty> {
        let (cat, rest) = if let Some(r) = s.strip_prefix("uint") {
            (Cat::Unsigned, r)
        } else if let Some(r) = s.strip_prefix("int") {
            (Cat::Signed, r)
        } else {
            return None;
        };
        let rest = rest.strip_suffix("_t")?;
        let rest = rest
            .strip_prefix("_least")
            .or_else(|| rest.strip_prefix("_fast"))
            .unwrap_or(rest);
        let w: u32 = rest.parse().ok()?;
        if matches!(rest, "8" | "16" | "32" | "64") {
            // The fast types' width is the implementation's choice.
            let exact = !s.contains("_fast") || w == 64;
            Some(sc(cat, exact.then_some(w)))
        } else {
            None
        }
    };
    if let Some(t) = fixed(&n) {
        return Some(t);
    }
    let t = match n.as_str() {
        "void" => Ty::Void,
        "_Bool" | "bool" => sc(Cat::Boolean, Some(8)),
        "char" => sc(Cat::Char, Some(8)),
        "signed char" => sc(Cat::Signed, Some(8)),
        "unsigned char" => sc(Cat::Unsigned, Some(8)),
        "float" | "float32_t" => sc(Cat::Float, Some(32)),
        "double" | "float64_t" => sc(Cat::Float, Some(64)),
        "long double" => sc(Cat::Float, None),
        "size_t" | "uintptr_t" | "uintmax_t" => sc(Cat::Unsigned, None),
        "ptrdiff_t" | "intptr_t" | "intmax_t" | "ssize_t" => sc(Cat::Signed, None),
        _ => {
            // Combinations of signed/unsigned/short/int/long.
            let unsigned = words.contains(&"unsigned");
            if words.is_empty()
                || !words
                    .iter()
                    .all(|w| matches!(*w, "signed" | "unsigned" | "short" | "int" | "long"))
            {
                return None;
            }
            let longs = words.iter().filter(|w| **w == "long").count();
            let width = if words.contains(&"short") {
                Some(16)
            } else if longs >= 2 {
                Some(64)
            } else if longs == 1 {
                None
            } else {
                Some(32)
            };
            let cat = if unsigned { Cat::Unsigned } else { Cat::Signed };
            sc(cat, width)
        }
    };
    Some(t)
}

/// A function's declared type: return type and parameter types (None when
/// declared without a prototype).
#[derive(Clone, Debug)]
pub struct FnType {
    pub ret: Ty,
    pub params: Option<Vec<Ty>>,
    pub variadic: bool,
}

/// A declaration awaiting resolution: the text it is in, its type
/// specifier node and its declarator (None for an abstract one).
#[derive(Clone, Copy)]
struct Raw<'s> {
    src: &'s str,
    path: &'s str,
    spec: Node<'s>,
    decl: Option<Node<'s>>,
}

/// Declared types of the program.
pub struct Env<'a> {
    typedef_raw: HashMap<&'a str, Raw<'a>>,
    typedefs: HashMap<String, Ty>,
    /// Members by record key.
    records: HashMap<String, HashMap<String, Ty>>,
    /// Enumeration constants: the type's category and the value when known.
    pub enum_constants: HashMap<String, (Cat, Option<i128>)>,
    pub functions: BTreeMap<String, FnType>,
    /// Objects by (file, enclosing function start byte or None), then name.
    scoped: HashMap<&'a str, HashMap<Option<usize>, HashMap<&'a str, Ty>>>,
    /// Objects declared at file scope anywhere (external linkage), by name.
    globals: HashMap<&'a str, Ty>,
    /// Bodies of object-like macros defined once (or always alike).
    pub macro_bodies: HashMap<String, String>,
}

impl<'a> Env<'a> {
    /// Gather the declarations of the checked units and of the context
    /// headers (parsed for their declarations only).
    pub fn new(units: &[Unit<'a>], context: &'a [Parsed]) -> Env<'a> {
        let mut env = Env {
            typedef_raw: HashMap::new(),
            typedefs: HashMap::new(),
            records: HashMap::new(),
            enum_constants: HashMap::new(),
            functions: BTreeMap::new(),
            scoped: HashMap::new(),
            globals: HashMap::new(),
            macro_bodies: HashMap::new(),
        };
        let ctx: Vec<Unit<'a>> = context.iter().map(Unit::new).collect();
        type Source<'x, 'a> = (&'a str, &'a str, &'x [Node<'a>], Option<&'x Unit<'a>>);
        let mut all: Vec<Source<'_, 'a>> = ctx
            .iter()
            .map(|c| (c.path, c.src, c.all_nodes(), None))
            .collect();
        for u in units {
            all.push((u.path, u.src, u.all_nodes(), Some(u)));
        }
        // Typedefs first (lazily resolved, so their order does not matter).
        for (path, src, nodes, _) in &all {
            for n in nodes.iter().filter(|n| n.kind() == "type_definition") {
                let Some(spec) = n.child_by_field_name("type") else {
                    continue;
                };
                let mut c = n.walk();
                for d in n.children_by_field_name("declarator", &mut c) {
                    if let Some(name) = declarator_name(d) {
                        env.typedef_raw.insert(
                            text(src, name),
                            Raw {
                                src,
                                path,
                                spec,
                                decl: Some(d),
                            },
                        );
                    }
                }
            }
        }
        let names: Vec<&'a str> = env.typedef_raw.keys().copied().collect();
        for name in names {
            let mut busy = HashSet::new();
            let t = env.resolve_typedef(name, &mut busy);
            env.typedefs.insert(name.to_string(), t);
        }
        let mut redefined = HashSet::new();
        for (path, src, nodes, unit) in &all {
            for &n in nodes.iter() {
                match n.kind() {
                    "struct_specifier" | "union_specifier" => env.record(path, src, n),
                    "enum_specifier" => env.enumeration(src, n),
                    "preproc_def" => {
                        if let (Some(name), Some(v)) = (
                            n.child_by_field_name("name"),
                            n.child_by_field_name("value"),
                        ) {
                            let body = text(src, v).trim().to_string();
                            let name = text(src, name).to_string();
                            if let Some(old) = env.macro_bodies.insert(name.clone(), body.clone()) {
                                if old != body {
                                    redefined.insert(name);
                                }
                            }
                        }
                    }
                    "function_definition" | "declaration" => {
                        env.declaration(path, src, n, *unit);
                    }
                    _ => {}
                }
            }
        }
        for name in redefined {
            env.macro_bodies.remove(&name);
        }
        env
    }

    fn resolve_typedef(&self, name: &str, busy: &mut HashSet<String>) -> Ty {
        if let Some(t) = self.typedefs.get(name) {
            return t.clone();
        }
        let Some(raw) = self.typedef_raw.get(name).copied() else {
            return builtin(name).unwrap_or(Ty::Unknown);
        };
        if !busy.insert(name.to_string()) || busy.len() > 64 {
            return Ty::Unknown;
        }
        let base = self.spec_type(raw, busy);
        let t = match raw.decl {
            Some(d) => derive(base, d),
            None => base,
        };
        // A typedef of an integer type named as a Boolean (`bool_t`,
        // `boolean`) is the project's Boolean type.
        let lower = name.to_ascii_lowercase();
        if lower.contains("bool") {
            if let Ty::Scalar(s) = &t {
                if s.cat.is_integer() {
                    return sc(Cat::Boolean, s.width);
                }
            }
        }
        t
    }

    /// The type a type specifier node denotes.
    fn spec_type<'s>(&self, raw: Raw<'s>, busy: &mut HashSet<String>) -> Ty {
        let spec = raw.spec;
        let t = text(raw.src, spec);
        match spec.kind() {
            "primitive_type" | "sized_type_specifier" => {
                if self.typedef_raw.contains_key(t) {
                    // tree-sitter reads `int32_t` as a primitive type; a
                    // program's own typedef of the name wins.
                    return self.resolve_typedef(t, busy);
                }
                builtin(t).unwrap_or(Ty::Unknown)
            }
            "type_identifier" => self.resolve_typedef(t, busy),
            "struct_specifier" | "union_specifier" => {
                Ty::Record(record_key(raw.path, raw.src, spec))
            }
            "enum_specifier" => match enum_type_name(raw.src, spec) {
                Some(n) => sc(Cat::Enum(n), None),
                None => sc(Cat::Signed, Some(32)),
            },
            _ => Ty::Unknown,
        }
    }

    /// The type of a declaration's specifier as seen from the checked code.
    pub fn type_of_spec<'s>(&self, path: &'s str, src: &'s str, spec: Node<'s>) -> Ty {
        let mut busy = HashSet::new();
        self.spec_type(
            Raw {
                src,
                path,
                spec,
                decl: None,
            },
            &mut busy,
        )
    }

    /// The type a type descriptor (of a cast or sizeof) names.
    pub fn type_of_descriptor<'s>(&self, path: &'s str, src: &'s str, desc: Node<'s>) -> Ty {
        let Some(spec) = desc.child_by_field_name("type") else {
            return Ty::Unknown;
        };
        let base = self.type_of_spec(path, src, spec);
        match desc.child_by_field_name("declarator") {
            Some(d) => derive(base, d),
            None => base,
        }
    }

    /// A typedef name the program declares or the standard library provides.
    pub fn typedef(&self, name: &str) -> Option<Ty> {
        self.typedefs.get(name).cloned().or_else(|| builtin(name))
    }

    pub fn is_typedef_name(&self, name: &str) -> bool {
        self.typedef_raw.contains_key(name) || builtin(name).is_some()
    }

    pub fn member(&self, record: &str, field: &str) -> Ty {
        self.records
            .get(record)
            .and_then(|m| m.get(field))
            .cloned()
            .unwrap_or(Ty::Unknown)
    }

    /// The type of object `name` as seen in `path` inside the function that
    /// starts at `function` (None: at file scope).
    pub fn object(&self, path: &str, function: Option<usize>, name: &str) -> Option<&Ty> {
        let file = self.scoped.get(path);
        if function.is_some() {
            if let Some(t) = file
                .and_then(|f| f.get(&function))
                .and_then(|m| m.get(name))
            {
                return Some(t);
            }
        }
        if let Some(t) = file.and_then(|f| f.get(&None)).and_then(|m| m.get(name)) {
            return Some(t);
        }
        self.globals.get(name)
    }

    fn record(&mut self, path: &'a str, src: &'a str, n: Node<'a>) {
        let Some(body) = n.child_by_field_name("body") else {
            return;
        };
        let key = record_key(path, src, n);
        let mut members = HashMap::new();
        let mut c = body.walk();
        for f in body.named_children(&mut c) {
            if f.kind() != "field_declaration" {
                continue;
            }
            let Some(spec) = f.child_by_field_name("type") else {
                continue;
            };
            let base = self.type_of_spec(path, src, spec);
            let mut c2 = f.walk();
            for d in f.children_by_field_name("declarator", &mut c2) {
                if let Some(name) = declarator_name(d) {
                    members.insert(text(src, name).to_string(), derive(base.clone(), d));
                }
            }
        }
        self.records.insert(key, members);
    }

    fn enumeration(&mut self, src: &'a str, n: Node<'a>) {
        let Some(body) = n.child_by_field_name("body") else {
            return;
        };
        let cat = match enum_type_name(src, n) {
            Some(name) => Cat::Enum(name),
            None => Cat::Signed,
        };
        let mut next: Option<i128> = Some(0);
        let mut c = body.walk();
        for e in body.named_children(&mut c) {
            if e.kind() != "enumerator" {
                continue;
            }
            let Some(name) = e.child_by_field_name("name") else {
                continue;
            };
            let value = match e.child_by_field_name("value") {
                Some(v) => self.simple_value(src, v),
                None => next,
            };
            self.enum_constants
                .insert(text(src, name).to_string(), (cat.clone(), value));
            next = value.and_then(|v| v.checked_add(1));
        }
    }

    /// Value of an enumerator's initializer: a literal, a negated literal,
    /// or an earlier enumeration constant.
    fn simple_value(&self, src: &str, v: Node<'_>) -> Option<i128> {
        let v = super::source::unparen(v);
        match v.kind() {
            "number_literal" => super::rules::constant::int_literal(text(src, v)),
            "char_literal" => {
                let t = text(src, v);
                let b = t.as_bytes();
                (b.len() == 3).then(|| i128::from(b[1]))
            }
            "identifier" => self.enum_constants.get(text(src, v)).and_then(|c| c.1),
            "unary_expression" => {
                let a = v.child_by_field_name("argument")?;
                let x = self.simple_value(src, a)?;
                match text(src, v).trim_start().as_bytes().first() {
                    Some(b'-') => Some(-x),
                    Some(b'+') => Some(x),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn declaration(&mut self, path: &'a str, src: &'a str, n: Node<'a>, unit: Option<&Unit<'a>>) {
        let Some(spec) = n.child_by_field_name("type") else {
            return;
        };
        let base = self.type_of_spec(path, src, spec);
        let function = unit
            .and_then(|u| u.enclosing_function(n))
            .map(|f| f.start_byte());
        let is_extern = {
            let mut c = n.walk();
            let found = n
                .children(&mut c)
                .any(|ch| ch.kind() == "storage_class_specifier" && text(src, ch) == "extern");
            found
        };
        let is_static = {
            let mut c = n.walk();
            let found = n
                .children(&mut c)
                .any(|ch| ch.kind() == "storage_class_specifier" && text(src, ch) == "static");
            found
        };
        let mut c = n.walk();
        let decls: Vec<Node<'a>> = n.children_by_field_name("declarator", &mut c).collect();
        for d in decls {
            let Some(name) = declarator_name(d) else {
                continue;
            };
            let name = text(src, name);
            if let Some(fd) = super::source::function_declarator(d) {
                // A function: its return type and parameters.
                let ret = match derive(base.clone(), d) {
                    Ty::Function(r) => *r,
                    _ => Ty::Unknown,
                };
                let (params, variadic) = self.parameters(path, src, fd);
                let entry = FnType {
                    ret,
                    params,
                    variadic,
                };
                let keep = self
                    .functions
                    .get(name)
                    .is_some_and(|old| old.params.is_some() && entry.params.is_none());
                if !keep {
                    self.functions.insert(name.to_string(), entry);
                }
                if n.kind() == "function_definition" {
                    // Parameters are objects of the function's scope.
                    if let Some(list) = fd.child_by_field_name("parameters") {
                        let mut c = list.walk();
                        for p in list.named_children(&mut c) {
                            if p.kind() != "parameter_declaration" {
                                continue;
                            }
                            let (Some(ps), Some(pd)) = (
                                p.child_by_field_name("type"),
                                p.child_by_field_name("declarator"),
                            ) else {
                                continue;
                            };
                            let Some(pname) = declarator_name(pd) else {
                                continue;
                            };
                            let t = derive(self.type_of_spec(path, src, ps), pd);
                            self.scoped
                                .entry(path)
                                .or_default()
                                .entry(Some(n.start_byte()))
                                .or_default()
                                .insert(text(src, pname), t);
                        }
                    }
                }
                continue;
            }
            if n.kind() != "declaration" {
                continue;
            }
            let t = derive(base.clone(), d);
            match (unit, function) {
                (Some(_), Some(f)) => {
                    self.scoped
                        .entry(path)
                        .or_default()
                        .entry(Some(f))
                        .or_default()
                        .insert(name, t);
                }
                _ => {
                    if !is_static
                        && (is_extern || unit.is_none() || !self.globals.contains_key(name))
                    {
                        self.globals.insert(name, t.clone());
                    }
                    self.scoped
                        .entry(path)
                        .or_default()
                        .entry(None)
                        .or_default()
                        .insert(name, t);
                }
            }
        }
    }

    fn parameters(&self, path: &'a str, src: &'a str, fd: Node<'a>) -> (Option<Vec<Ty>>, bool) {
        let Some(list) = fd.child_by_field_name("parameters") else {
            return (None, false);
        };
        let mut out = Vec::new();
        let mut variadic = false;
        let mut c = list.walk();
        for p in list.children(&mut c) {
            match p.kind() {
                "variadic_parameter" | "..." => variadic = true,
                "parameter_declaration" => {
                    let Some(ps) = p.child_by_field_name("type") else {
                        return (None, variadic);
                    };
                    let base = self.type_of_spec(path, src, ps);
                    let t = match p.child_by_field_name("declarator") {
                        Some(d) => derive(base, d),
                        None => base,
                    };
                    // Parameters of array type are pointers.
                    let t = match t {
                        Ty::Array(e) => Ty::Pointer(e),
                        t => t,
                    };
                    out.push(t);
                }
                _ => {}
            }
        }
        if out.len() == 1 && out[0] == Ty::Void {
            out.clear();
        }
        if out.is_empty() && !variadic && text(src, list).trim() == "()" {
            return (None, false);
        }
        (Some(out), variadic)
    }
}

fn text<'s>(src: &'s str, n: Node<'_>) -> &'s str {
    src.get(n.byte_range()).unwrap_or("")
}

/// The key of a struct or union type: `struct tag`, or for an untagged
/// one the typedef name it is declared under, else its place in the file.
fn record_key(path: &str, src: &str, n: Node<'_>) -> String {
    let kw = if n.kind() == "union_specifier" {
        "union"
    } else {
        "struct"
    };
    if let Some(name) = n.child_by_field_name("name") {
        return format!("{kw} {}", text(src, name));
    }
    if let Some(td) = typedef_name_of(src, n) {
        return td;
    }
    format!("{kw} @{path}:{}", n.start_byte())
}

/// For a specifier that is the type of a `typedef`, the first name declared.
fn typedef_name_of(src: &str, spec: Node<'_>) -> Option<String> {
    let p = spec.parent()?;
    if p.kind() != "type_definition" {
        return None;
    }
    let mut c = p.walk();
    let d = p.children_by_field_name("declarator", &mut c).next()?;
    declarator_name(d).map(|n| text(src, n).to_string())
}

/// The name of an enumerated type: its tag, or the typedef it is declared
/// in; None for an anonymous enumeration (whose constants are essentially signed).
fn enum_type_name(src: &str, n: Node<'_>) -> Option<String> {
    if let Some(name) = n.child_by_field_name("name") {
        return Some(format!("enum {}", text(src, name)));
    }
    typedef_name_of(src, n)
}

/// The identifier (or type or field name) a declarator declares.
pub fn declarator_name(d: Node<'_>) -> Option<Node<'_>> {
    let mut cur = d;
    for _ in 0..256 {
        match cur.kind() {
            "identifier" | "type_identifier" | "field_identifier" | "primitive_type" => {
                return Some(cur)
            }
            "bitfield_clause" => return None,
            _ => {
                cur = cur
                    .child_by_field_name("declarator")
                    .or_else(|| cur.named_child(0))?;
            }
        }
    }
    None
}

/// Apply a declarator's derivations (pointer, array, function) to `base`,
/// from the outside in, as C reads them.
pub fn derive(base: Ty, d: Node<'_>) -> Ty {
    let mut t = base;
    let mut cur = Some(d);
    let mut steps = 0;
    while let Some(n) = cur {
        steps += 1;
        if steps > 256 {
            return Ty::Unknown;
        }
        match n.kind() {
            "pointer_declarator" | "abstract_pointer_declarator" => t = Ty::Pointer(Box::new(t)),
            "array_declarator" | "abstract_array_declarator" => t = Ty::Array(Box::new(t)),
            "function_declarator" | "abstract_function_declarator" => t = Ty::Function(Box::new(t)),
            "init_declarator"
            | "parenthesized_declarator"
            | "abstract_parenthesized_declarator"
            | "attributed_declarator" => {}
            _ => break,
        }
        cur = n.child_by_field_name("declarator").or_else(|| {
            if matches!(
                n.kind(),
                "parenthesized_declarator" | "abstract_parenthesized_declarator"
            ) {
                n.named_child(0)
            } else {
                None
            }
        });
    }
    t
}
