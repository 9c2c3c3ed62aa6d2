//! The C front of the checker: parses each file with tree-sitter-c, indexes
//! its syntax nodes by kind, and gathers the few whole-program facts rules
//! share (function signatures, declared variable types, macro names).
//!
//! It reads C text only; it knows nothing of the generator it checks.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tree_sitter::{Node, Parser, Tree};

use super::finding::{Category, Finding};

/// A parsed file: its display path, text and syntax tree.
pub struct Parsed {
    pub path: String,
    pub src: String,
    pub tree: Tree,
}

/// Parse C text. Fails only if tree-sitter refuses the language or text.
pub fn parse(path: String, src: String) -> anyhow::Result<Parsed> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_c::LANGUAGE.into())
        .map_err(|e| anyhow::anyhow!("loading the C grammar: {e}"))?;
    let tree = parser
        .parse(&src, None)
        .ok_or_else(|| anyhow::anyhow!("{path}: the C parser gave up"))?;
    Ok(Parsed { path, src, tree })
}

/// What the checker knows of a declared object or parameter's type.
#[derive(Clone, Debug, Default)]
pub struct VarType {
    /// Text of the type specifier, e.g. "uint8_t", "bool", "struct s".
    pub base: String,
    /// Levels of pointer in the declarator.
    pub pointers: usize,
    /// `const` applies to the pointed-to type (e.g. `const T *p`).
    pub pointee_const: bool,
    /// Declared with an array declarator.
    pub array: bool,
    /// Declared as a function parameter.
    pub param: bool,
}

impl VarType {
    pub fn is_bool(&self) -> bool {
        self.pointers == 0 && !self.array && is_bool_type_name(&self.base)
    }
    pub fn is_pointer(&self) -> bool {
        self.pointers > 0 || self.array
    }
}

/// Is this type name essentially Boolean (bool, _Bool, or a typedef whose name says so)?
pub fn is_bool_type_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "_bool" || n == "bool" || n.contains("bool")
}

/// What the checker knows of a declared or defined function.
#[derive(Clone, Debug)]
pub struct FnSig {
    pub returns_void: bool,
    pub returns_bool: bool,
}

/// Preorder ranges `[first, end)` of nodes, shared between rule threads.
type Ranges = std::sync::Arc<Vec<(u32, u32)>>;

/// One file with its nodes indexed by kind.
pub struct Unit<'a> {
    pub path: &'a str,
    pub src: &'a str,
    pub root: Node<'a>,
    by_kind: HashMap<&'static str, Vec<Node<'a>>>,
    /// Every node in document (pre-)order; a subtree is a contiguous run.
    order: Vec<Node<'a>>,
    /// Per preorder index: the parent's index (u32::MAX for the root) and
    /// the index one past the last node of the subtree.
    up: Vec<(u32, u32)>,
    /// Preorder index by node id.
    index: HashMap<usize, u32>,
    /// Outermost nodes of a kind as preorder ranges, computed on first use.
    outermost: std::sync::Mutex<HashMap<String, Ranges>>,
    /// Navigation steps taken (parents, ancestors, subtree nodes): a measure
    /// of the work the rules did, for tests that bound it.
    work: std::sync::atomic::AtomicU64,
    /// Variables by enclosing function start byte (None: file scope), then name.
    vars: HashMap<Option<usize>, HashMap<String, VarType>>,
    /// Function definitions in document order (they never nest in C).
    functions: Vec<Node<'a>>,
}

const NO_NODES: &[Node<'static>] = &[];

impl<'a> Unit<'a> {
    pub(crate) fn new(p: &'a Parsed) -> Unit<'a> {
        let root = p.tree.root_node();
        let mut by_kind: HashMap<&'static str, Vec<Node<'a>>> = HashMap::new();
        let mut order: Vec<Node<'a>> = Vec::new();
        let mut up: Vec<(u32, u32)> = Vec::new();
        // One cursor walk (no recursion, whatever the nesting depth): the
        // stack holds the preorder indices of the open ancestors.
        let mut stack: Vec<u32> = Vec::new();
        let mut cursor = root.walk();
        'walk: loop {
            let node = cursor.node();
            let i = order.len() as u32;
            up.push((stack.last().copied().unwrap_or(u32::MAX), i + 1));
            order.push(node);
            by_kind.entry(node.kind()).or_default().push(node);
            if node.is_missing() {
                by_kind.entry("MISSING").or_default().push(node);
            }
            if cursor.goto_first_child() {
                stack.push(i);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
                stack.pop();
            }
        }
        // Subtree ends: a node's subtree closes where its last descendant's does.
        for i in (0..up.len()).rev() {
            let (parent, end) = up[i];
            if let Some(pe) = up.get_mut(parent as usize) {
                pe.1 = pe.1.max(end);
            }
        }
        let index = order
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id(), i as u32))
            .collect();
        let functions = by_kind
            .get("function_definition")
            .cloned()
            .unwrap_or_default();
        let mut unit = Unit {
            path: &p.path,
            src: &p.src,
            root,
            by_kind,
            order,
            up,
            index,
            outermost: Default::default(),
            work: Default::default(),
            vars: HashMap::new(),
            functions,
        };
        unit.collect_vars();
        unit
    }

    fn count(&self, steps: usize) {
        self.work
            .fetch_add(steps as u64, std::sync::atomic::Ordering::Relaxed);
    }

    /// Navigation steps taken so far (see the `work` field).
    pub fn work(&self) -> u64 {
        self.work.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn idx(&self, n: Node<'_>) -> Option<usize> {
        self.index.get(&n.id()).map(|&i| i as usize)
    }

    /// The parent of `n` (constant time; tree-sitter's own `parent()` walks
    /// down from the root, which is quadratic on deep nesting).
    pub fn parent(&self, n: Node<'_>) -> Option<Node<'a>> {
        self.count(1);
        let i = self.idx(n)?;
        let p = self.up.get(i)?.0;
        self.order.get(p as usize).copied()
    }

    /// Ancestors of `n`, nearest first.
    pub fn ancestors<'s>(&'s self, n: Node<'_>) -> impl Iterator<Item = Node<'a>> + 's {
        let mut cur = self.idx(n);
        std::iter::from_fn(move || {
            let p = self.up.get(cur?)?.0 as usize;
            self.count(1);
            cur = Some(p);
            self.order.get(p).copied()
        })
    }

    /// The nearest ancestor of `n` of this kind.
    pub fn ancestor(&self, n: Node<'_>, kind: &str) -> Option<Node<'a>> {
        self.ancestors(n).find(|p| p.kind() == kind)
    }

    /// Is `n` inside some node of this kind? (Logarithmic: looks `n` up among
    /// the outermost nodes of the kind, which do not overlap.)
    pub fn has_ancestor(&self, n: Node<'_>, kind: &str) -> bool {
        let Some(i) = self.idx(n) else {
            return false;
        };
        let ranges = {
            let mut cache = match self.outermost.lock() {
                Ok(c) => c,
                Err(poisoned) => poisoned.into_inner(),
            };
            cache
                .entry(kind.to_string())
                .or_insert_with(|| {
                    let mut v: Vec<(u32, u32)> = Vec::new();
                    for &k in self.nodes(kind) {
                        let Some(ki) = self.idx(k) else { continue };
                        let end = self.up[ki].1;
                        if v.last().is_some_and(|&(_, e)| (ki as u32) < e) {
                            continue;
                        }
                        v.push((ki as u32, end));
                    }
                    self.count(v.len());
                    std::sync::Arc::new(v)
                })
                .clone()
        };
        self.count(1);
        let i = i as u32;
        let at = ranges.partition_point(|&(s, _)| s < i);
        at.checked_sub(1)
            .and_then(|j| ranges.get(j))
            .is_some_and(|&(s, e)| s < i && i < e)
    }

    /// Is `node` a strict descendant of `ancestor`? (Constant time.)
    pub fn is_inside(&self, node: Node<'_>, ancestor: Node<'_>) -> bool {
        self.count(1);
        match (self.idx(node), self.idx(ancestor)) {
            (Some(n), Some(a)) => a < n && n < self.up[a].1 as usize,
            _ => false,
        }
    }

    /// Nodes of one kind in the subtree of `n` (itself included), in
    /// document order, found by binary search: no walk over the subtree.
    pub fn within<'s>(&'s self, kind: &str, n: Node<'_>) -> impl Iterator<Item = Node<'a>> + 's {
        let id = n.id();
        let inside = self.idx(n).map(|i| (i, self.up[i].1 as usize));
        self.count(1);
        self.nodes_within(kind, n).iter().copied().filter(move |c| {
            // Ancestors that start at the same byte come first: skip them.
            c.id() == id
                || matches!((inside, self.idx(*c)), (Some((lo, hi)), Some(j)) if lo < j && j < hi)
        })
    }

    /// The first node (in document order) of any of these kinds in the subtree of `n`.
    pub fn first_within(&self, n: Node<'_>, kinds: &[&str]) -> Option<Node<'a>> {
        kinds
            .iter()
            .filter_map(|k| self.within(k, n).next())
            .min_by_key(|c| self.idx(*c))
    }

    /// Every node of the subtree rooted at `n` (itself included), in document order.
    pub fn subtree(&self, n: Node<'_>) -> &[Node<'a>] {
        let Some(i) = self.idx(n) else {
            return &[];
        };
        let end = self.up[i].1 as usize;
        self.count(end - i);
        self.order.get(i..end).unwrap_or(&[])
    }

    /// Every node of the file, in document order.
    pub fn all_nodes(&self) -> &[Node<'a>] {
        &self.order
    }

    /// All nodes of one kind, in document order.
    pub fn nodes(&self, kind: &str) -> &[Node<'a>] {
        match self.by_kind.get(kind) {
            Some(v) => v,
            None => NO_NODES,
        }
    }

    /// Nodes of one kind inside `outer` (by position), in document order.
    pub fn nodes_within(&self, kind: &str, outer: Node<'_>) -> &[Node<'a>] {
        let all = self.nodes(kind);
        let lo = all.partition_point(|n| n.start_byte() < outer.start_byte());
        let hi = all.partition_point(|n| n.start_byte() < outer.end_byte());
        all.get(lo..hi).unwrap_or(&[])
    }

    /// Is `name` declared as an object or parameter at file scope?
    pub fn file_scope_var(&self, name: &str) -> Option<&VarType> {
        self.vars.get(&None).and_then(|m| m.get(name))
    }

    /// Source text of a node.
    pub fn text(&self, node: Node<'_>) -> &'a str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    fn collect_vars(&mut self) {
        let mut vars: HashMap<Option<usize>, HashMap<String, VarType>> = HashMap::new();
        for kind in ["declaration", "parameter_declaration"] {
            for &decl in self.nodes(kind) {
                let param = kind == "parameter_declaration";
                let scope = self.enclosing_function(decl).map(|f| f.start_byte());
                // A parameter of a prototype (not a definition) has no scope we check.
                if param && !is_definition_parameter(self, decl) {
                    continue;
                }
                let base = decl
                    .child_by_field_name("type")
                    .map(|t| self.text(t).to_string())
                    .unwrap_or_default();
                let top_const = has_const_child(self, decl);
                let mut c = decl.walk();
                for d in decl.children_by_field_name("declarator", &mut c) {
                    let mut t = VarType {
                        base: base.clone(),
                        param,
                        ..VarType::default()
                    };
                    let mut cur = Some(d);
                    let mut name = None;
                    while let Some(n) = cur {
                        match n.kind() {
                            "init_declarator" | "parenthesized_declarator" => {}
                            "pointer_declarator" => t.pointers += 1,
                            "array_declarator" => t.array = true,
                            "function_declarator" => {
                                name = None;
                                break;
                            }
                            "identifier" => {
                                name = Some(self.text(n).to_string());
                                break;
                            }
                            _ => break,
                        }
                        cur = n
                            .child_by_field_name("declarator")
                            .or_else(|| n.named_child(0).filter(|c| c.kind() == "identifier"));
                    }
                    t.pointee_const = top_const && t.is_pointer();
                    if let Some(name) = name {
                        vars.entry(scope).or_default().insert(name, t);
                    }
                }
            }
        }
        self.vars = vars;
    }

    /// The declared type of `name` as seen at `at` (function scope first, then file scope).
    pub fn var_type(&self, name: &str, at: Node<'_>) -> Option<&VarType> {
        let scope = self.enclosing_function(at).map(|f| f.start_byte());
        if scope.is_some() {
            if let Some(t) = self.vars.get(&scope).and_then(|m| m.get(name)) {
                return Some(t);
            }
        }
        self.vars.get(&None).and_then(|m| m.get(name))
    }

    /// The function definition containing `node` (by position; fast on large files).
    pub fn enclosing_function(&self, node: Node<'_>) -> Option<Node<'a>> {
        let start = node.start_byte();
        let i = self.functions.partition_point(|f| f.start_byte() <= start);
        let f = *self.functions.get(i.checked_sub(1)?)?;
        let inside =
            start >= f.start_byte() && node.end_byte() <= f.end_byte() && (node.id() != f.id());
        inside.then_some(f)
    }
}

fn has_const_child(unit: &Unit<'_>, decl: Node<'_>) -> bool {
    let mut c = decl.walk();
    let found = decl
        .children(&mut c)
        .any(|ch| ch.kind() == "type_qualifier" && unit.text(ch) == "const");
    found
}

fn is_definition_parameter(u: &Unit<'_>, param: Node<'_>) -> bool {
    // parameter_declaration -> parameter_list -> function_declarator -> ... -> function_definition
    let mut cur = u.parent(param);
    let mut saw_list = false;
    while let Some(n) = cur {
        match n.kind() {
            "parameter_list" if !saw_list => saw_list = true,
            "function_declarator" | "pointer_declarator" | "parenthesized_declarator" => {}
            "function_definition" => return true,
            _ if saw_list => return false,
            _ => {}
        }
        cur = u.parent(n);
    }
    false
}

/// The function_declarator inside a (possibly pointer-wrapped) declarator.
pub fn function_declarator(decl: Node<'_>) -> Option<Node<'_>> {
    let mut cur = Some(decl);
    while let Some(n) = cur {
        match n.kind() {
            "function_declarator" => return Some(n),
            "pointer_declarator"
            | "parenthesized_declarator"
            | "attributed_declarator"
            | "init_declarator" => {
                cur = n
                    .child_by_field_name("declarator")
                    .or_else(|| n.named_child(0));
            }
            _ => return None,
        }
    }
    None
}

/// Name of a function definition or of a function declarator.
pub fn function_name<'t>(unit: &Unit<'t>, node: Node<'t>) -> Option<&'t str> {
    let fd = if node.kind() == "function_declarator" {
        node
    } else {
        function_declarator(node.child_by_field_name("declarator")?)?
    };
    let id = fd.child_by_field_name("declarator")?;
    (id.kind() == "identifier").then(|| unit.text(id))
}

/// Strip parentheses around an expression.
pub fn unparen(mut node: Node<'_>) -> Node<'_> {
    while node.kind() == "parenthesized_expression" {
        match node.named_child(0) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The whole program being checked: all units plus facts shared across them.
pub struct Program<'a> {
    pub units: Vec<Unit<'a>>,
    /// Function signatures by name, from every declaration and definition.
    pub functions: BTreeMap<String, FnSig>,
    /// Macro names #define'd anywhere in the program.
    pub macros: BTreeSet<String>,
    /// Enumeration constants declared anywhere in the program.
    pub enum_constants: BTreeSet<String>,
    /// Declared types of the program and of the headers it includes.
    pub env: super::types::Env<'a>,
    /// Essential types of object-like macro bodies, worked out on first use.
    pub macro_types: std::sync::Mutex<HashMap<String, Option<super::rules::essential::Ess>>>,
}

impl<'a> Program<'a> {
    pub fn new(parsed: &'a [Parsed]) -> Program<'a> {
        Program::with_context(parsed, &[])
    }

    /// The checked files plus headers read for their declarations only.
    pub fn with_context(parsed: &'a [Parsed], context: &'a [Parsed]) -> Program<'a> {
        let units: Vec<Unit<'a>> = parsed.iter().map(Unit::new).collect();
        let env = super::types::Env::new(&units, context);
        let mut functions = BTreeMap::new();
        let mut macros = BTreeSet::new();
        let mut enum_constants = BTreeSet::new();
        for u in &units {
            for kind in ["function_definition", "declaration"] {
                for &n in u.nodes(kind) {
                    let Some(ty) = n.child_by_field_name("type") else {
                        continue;
                    };
                    let mut c = n.walk();
                    for d in n.children_by_field_name("declarator", &mut c) {
                        // Only a direct function declarator: `T f(...)` or `T *f(...)`.
                        let Some(fd) = function_declarator(d) else {
                            continue;
                        };
                        let Some(name) = function_name(u, fd) else {
                            continue;
                        };
                        let pointer = d.kind() == "pointer_declarator";
                        let base = u.text(ty);
                        functions.insert(
                            name.to_string(),
                            FnSig {
                                returns_void: base == "void" && !pointer,
                                returns_bool: !pointer && is_bool_type_name(base),
                            },
                        );
                    }
                }
            }
            for kind in ["preproc_def", "preproc_function_def"] {
                for &n in u.nodes(kind) {
                    if let Some(name) = n.child_by_field_name("name") {
                        macros.insert(u.text(name).to_string());
                    }
                }
            }
            for &n in u.nodes("enumerator") {
                if let Some(name) = n.child_by_field_name("name") {
                    enum_constants.insert(u.text(name).to_string());
                }
            }
        }
        Program {
            units,
            functions,
            macros,
            enum_constants,
            env,
            macro_types: Default::default(),
        }
    }
}

/// Collects the findings of one rule.
pub struct Emit {
    pub rule: &'static str,
    pub category: Category,
    pub findings: Vec<Finding>,
}

impl Emit {
    pub fn new(rule: &'static str, category: Category) -> Emit {
        Emit {
            rule,
            category,
            findings: Vec::new(),
        }
    }

    /// Report a violation at `node`.
    pub fn at(&mut self, unit: &Unit<'_>, node: Node<'_>, message: &str, hint: &str) {
        let p = node.start_position();
        self.at_pos(unit, p.row + 1, p.column + 1, Some(node), message, hint);
    }

    /// Report a violation at a byte offset of the unit's text.
    pub fn at_byte(&mut self, unit: &Unit<'_>, byte: usize, message: &str, hint: &str) {
        let before = unit.src.get(..byte).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = byte - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
        self.at_pos(unit, line, col, None, message, hint);
    }

    fn at_pos(
        &mut self,
        unit: &Unit<'_>,
        line: usize,
        col: usize,
        node: Option<Node<'_>>,
        message: &str,
        hint: &str,
    ) {
        let function = node
            .and_then(|n| {
                if n.kind() == "function_definition" {
                    Some(n)
                } else {
                    unit.enclosing_function(n)
                }
            })
            .and_then(|f| function_name(unit, f))
            .map(str::to_string);
        self.findings.push(Finding {
            file: unit.path.to_string(),
            line,
            col,
            rule: self.rule.to_string(),
            category: self.category,
            message: message.to_string(),
            hint: hint.to_string(),
            function,
            deviation: None,
        });
    }
}

/// The operator token of a binary, unary, update or assignment expression
/// (its first unnamed child; cheaper than a field lookup on large files).
pub fn operator<'a>(u: &Unit<'a>, e: Node<'_>) -> &'a str {
    let mut c = e.walk();
    let op = e
        .children(&mut c)
        .find(|ch| !ch.is_named())
        .map(|ch| u.text(ch))
        .unwrap_or("");
    op
}

/// Identifier and type-name nodes named one of `names`, in document order.
pub fn identifiers_named<'a>(unit: &Unit<'a>, names: &[&str]) -> Vec<Node<'a>> {
    if names.is_empty() {
        return Vec::new();
    }
    let mut v: Vec<Node<'a>> = unit
        .nodes("identifier")
        .iter()
        .chain(unit.nodes("type_identifier"))
        .copied()
        .filter(|&n| names.contains(&unit.text(n)))
        .collect();
    v.sort_by_key(|n| n.start_byte());
    v
}

/// `#include` directives naming one of `headers` (as <h> or "h").
pub fn includes_of<'a>(unit: &Unit<'a>, headers: &[&str]) -> Vec<Node<'a>> {
    unit.nodes("preproc_include")
        .iter()
        .copied()
        .filter(|&n| {
            n.child_by_field_name("path")
                .map(|p| {
                    let t = unit.text(p);
                    let name = t.trim_matches(|c| c == '<' || c == '>' || c == '"');
                    headers.contains(&name)
                })
                .unwrap_or(false)
        })
        .collect()
}

/// Shared body of the "do not use these library features" rules: flags
/// every include of `headers` and every use of an identifier in `names`.
pub fn ban(program: &Program<'_>, out: &mut Emit, headers: &[&str], names: &[&str], hint: &str) {
    for u in &program.units {
        for n in includes_of(u, headers) {
            let msg = format!(
                "use of header {}",
                u.text(n).trim_start_matches("#include").trim()
            );
            out.at(u, n, &msg, hint);
        }
        for n in identifiers_named(u, names) {
            let msg = format!("use of `{}`", u.text(n));
            out.at(u, n, &msg, hint);
        }
    }
}

/// C99 keywords (and the C11 ones a C99 compiler may reserve).
pub const KEYWORDS: &[&str] = &[
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "_Bool",
    "_Complex",
    "_Imaginary",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Generic",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
];

/// Is `name` reserved to the implementation (leading `__` or `_` plus an uppercase letter)?
pub fn is_reserved_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2 && b[0] == b'_' && (b[1] == b'_' || b[1].is_ascii_uppercase())
}

/// Is the expression essentially Boolean? `Some(true)` yes, `Some(false)`
/// certainly not, `None` when the checker cannot tell (unknown type).
pub fn is_boolean_expr(program: &Program<'_>, u: &Unit<'_>, e: Node<'_>) -> Option<bool> {
    let e = unparen(e);
    match e.kind() {
        "binary_expression" => {
            let op = operator(u, e);
            Some(matches!(
                op,
                "==" | "!=" | "<" | ">" | "<=" | ">=" | "&&" | "||"
            ))
        }
        "unary_expression" => {
            let op = operator(u, e);
            Some(op == "!")
        }
        "true" | "false" => Some(true),
        "number_literal" | "char_literal" | "string_literal" | "update_expression" => Some(false),
        "identifier" => match u.text(e) {
            "true" | "false" => Some(true),
            name => u.var_type(name, e).map(VarType::is_bool),
        },
        "call_expression" => {
            let f = e
                .child_by_field_name("function")
                .filter(|f| f.kind() == "identifier")?;
            program.functions.get(u.text(f)).map(|s| s.returns_bool)
        }
        "cast_expression" => {
            let t = e.child_by_field_name("type")?;
            Some(is_bool_type_name(u.text(t)))
        }
        _ => None,
    }
}

/// The identifier a declarator declares (through pointer, array and parenthesized declarators).
pub fn declared_name(decl: Node<'_>) -> Option<Node<'_>> {
    let mut cur = decl;
    loop {
        match cur.kind() {
            "identifier" => return Some(cur),
            "pointer_declarator"
            | "array_declarator"
            | "parenthesized_declarator"
            | "init_declarator"
            | "attributed_declarator" => {
                cur = cur
                    .child_by_field_name("declarator")
                    .or_else(|| cur.named_child(0))?;
            }
            _ => return None,
        }
    }
}

/// How often each identifier-like word occurs in the program: identifier,
/// type, field and label names of the syntax tree, plus the words of macro
/// bodies (which tree-sitter keeps as text). Comments and strings do not count.
pub fn word_counts<'a>(program: &Program<'a>, skip_tag_names: bool) -> HashMap<&'a str, usize> {
    let mut counts: HashMap<&'a str, usize> = HashMap::new();
    for u in &program.units {
        for kind in [
            "identifier",
            "type_identifier",
            "primitive_type",
            "field_identifier",
            "statement_identifier",
        ] {
            for &n in u.nodes(kind) {
                if skip_tag_names && kind == "type_identifier" && is_tag_name(u, n) {
                    continue;
                }
                *counts.entry(u.text(n)).or_default() += 1;
            }
        }
        for &n in u.nodes("preproc_arg") {
            if is_undef_argument(u, n) {
                continue;
            }
            for w in words(u.text(n)) {
                *counts.entry(w).or_default() += 1;
            }
        }
    }
    counts
}

/// Is this type_identifier the tag of a struct, union or enum specifier?
pub fn is_tag_name(u: &Unit<'_>, n: Node<'_>) -> bool {
    u.parent(n).is_some_and(|p| {
        matches!(
            p.kind(),
            "struct_specifier" | "union_specifier" | "enum_specifier"
        ) && p.child_by_field_name("name").map(|x| x.id()) == Some(n.id())
    })
}

/// Identifier-like words of a text, skipping string and character literals and comments.
pub fn words(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = text[i + 2..]
                .find("*/")
                .map(|j| i + 2 + j + 2)
                .unwrap_or(b.len());
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            break;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(&text[s..i]);
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Is this macro text the argument of an `#undef` (which does not use the macro)?
pub fn is_undef_argument(u: &Unit<'_>, arg: Node<'_>) -> bool {
    u.parent(arg).is_some_and(|p| {
        p.kind() == "preproc_call"
            && p.child_by_field_name("directive")
                .is_some_and(|d| u.text(d).trim() == "#undef")
    })
}

/// File-scope object definitions of a unit: (name node, is static).
pub fn file_scope_objects<'a>(u: &Unit<'a>) -> Vec<(Node<'a>, bool)> {
    let mut out = Vec::new();
    for &d in u.nodes("declaration") {
        if u.enclosing_function(d).is_some() {
            continue;
        }
        let mut c = d.walk();
        let specs: Vec<&str> = d
            .children(&mut c)
            .filter(|n| n.kind() == "storage_class_specifier")
            .map(|n| u.text(n))
            .collect();
        if specs.contains(&"extern") {
            continue;
        }
        let is_static = specs.contains(&"static");
        let mut c2 = d.walk();
        for decl in d.children_by_field_name("declarator", &mut c2) {
            if function_declarator(decl).is_some() {
                continue;
            }
            if let Some(name) = declared_name(decl) {
                out.push((name, is_static));
            }
        }
    }
    out
}
