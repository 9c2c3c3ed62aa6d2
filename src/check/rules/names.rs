//! Every identifier the checked program declares, program-wide, with what
//! it declares: the shared view of the identifier rules (5.x).

use std::collections::{BTreeMap, BTreeSet};

use tree_sitter::Node;

use crate::check::source::{self, Program, Unit};

/// What a declaration of an identifier declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Typedef,
    /// A struct, union or enum tag with its body (or a lone `struct s;`).
    Tag,
    /// An object or function with external linkage.
    External,
    /// An object or function with internal linkage (`static` at file scope).
    Internal,
    /// An object declared in a block (no linkage).
    Local,
    Param,
    Member,
    EnumConst,
    Label,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Typedef => "a typedef name",
            Kind::Tag => "a tag",
            Kind::External => "an external identifier",
            Kind::Internal => "an identifier with internal linkage",
            Kind::Local => "a block-scope object",
            Kind::Param => "a parameter",
            Kind::Member => "a member",
            Kind::EnumConst => "an enumeration constant",
            Kind::Label => "a label",
        }
    }
}

/// One declaration of an identifier.
#[derive(Clone, Copy)]
pub struct Decl<'a> {
    /// Index of the unit in `program.units`.
    pub unit: usize,
    pub node: Node<'a>,
    pub kind: Kind,
    /// For a typedef: the tag its type specifier names, if any.
    pub own_tag: Option<&'a str>,
    /// For a tag: declared with its body (a definition).
    pub body: bool,
}

/// All declarations by name (names in sorted order, declarations in unit
/// then document order).
pub fn collect<'a>(program: &Program<'a>) -> BTreeMap<&'a str, Vec<Decl<'a>>> {
    let mut map: BTreeMap<&'a str, Vec<Decl<'a>>> = BTreeMap::new();
    for (i, u) in program.units.iter().enumerate() {
        let mut v: Vec<Decl<'a>> = Vec::new();
        unit_decls(u, i, &mut v);
        v.sort_by_key(|d| d.node.start_byte());
        // A later declaration without `static` of a name declared `static`
        // earlier in the file keeps the internal linkage.
        let mut statics: BTreeSet<&'a str> = BTreeSet::new();
        for d in &mut v {
            match d.kind {
                Kind::Internal => {
                    statics.insert(u.text(d.node));
                }
                Kind::External if statics.contains(u.text(d.node)) => d.kind = Kind::Internal,
                _ => {}
            }
        }
        for d in v {
            map.entry(u.text(d.node)).or_default().push(d);
        }
    }
    map
}

/// The identifier (or type or field identifier) a declarator declares.
fn declarator_name(decl: Node<'_>) -> Option<Node<'_>> {
    let mut cur = decl;
    loop {
        match cur.kind() {
            "identifier" | "type_identifier" | "field_identifier" => return Some(cur),
            "pointer_declarator"
            | "array_declarator"
            | "parenthesized_declarator"
            | "init_declarator"
            | "attributed_declarator"
            | "function_declarator"
            | "bitfield_clause" => {
                cur = cur
                    .child_by_field_name("declarator")
                    .or_else(|| cur.named_child(0))?;
            }
            _ => return None,
        }
    }
}

fn storage<'a>(u: &Unit<'a>, d: Node<'_>) -> Vec<&'a str> {
    let mut c = d.walk();
    let v: Vec<&'a str> = d
        .children(&mut c)
        .filter(|n| n.kind() == "storage_class_specifier")
        .map(|n| u.text(n))
        .collect();
    v
}

fn unit_decls<'a>(u: &Unit<'a>, i: usize, out: &mut Vec<Decl<'a>>) {
    let mut push = |node: Node<'a>, kind: Kind, own_tag: Option<&'a str>, body: bool| {
        out.push(Decl {
            unit: i,
            node,
            kind,
            own_tag,
            body,
        });
    };
    for kind in ["declaration", "function_definition"] {
        for &d in u.nodes(kind) {
            let specs = storage(u, d);
            let in_block = u.enclosing_function(d).is_some();
            let linkage = if specs.contains(&"static") {
                if in_block {
                    Kind::Local
                } else {
                    Kind::Internal
                }
            } else if specs.contains(&"extern") || !in_block {
                Kind::External
            } else {
                Kind::Local
            };
            let mut c = d.walk();
            for decl in d.children_by_field_name("declarator", &mut c) {
                if let Some(n) = declarator_name(decl).filter(|n| n.kind() == "identifier") {
                    // A block-scope function declaration has linkage too.
                    let k = if linkage == Kind::Local && source::function_declarator(decl).is_some()
                    {
                        Kind::External
                    } else {
                        linkage
                    };
                    push(n, k, None, false);
                }
            }
        }
    }
    for &d in u.nodes("type_definition") {
        let own_tag = d
            .child_by_field_name("type")
            .filter(|t| {
                matches!(
                    t.kind(),
                    "struct_specifier" | "union_specifier" | "enum_specifier"
                )
            })
            .and_then(|t| t.child_by_field_name("name"))
            .map(|n| u.text(n));
        let mut c = d.walk();
        for decl in d.children_by_field_name("declarator", &mut c) {
            if let Some(n) = declarator_name(decl) {
                push(n, Kind::Typedef, own_tag, false);
            }
        }
    }
    for &p in u.nodes("parameter_declaration") {
        if let Some(n) = p
            .child_by_field_name("declarator")
            .and_then(declarator_name)
            .filter(|n| n.kind() == "identifier")
        {
            push(n, Kind::Param, None, false);
        }
    }
    for &f in u.nodes("field_declaration") {
        let mut c = f.walk();
        for decl in f.children_by_field_name("declarator", &mut c) {
            if let Some(n) = declarator_name(decl) {
                push(n, Kind::Member, None, false);
            }
        }
    }
    for kind in ["struct_specifier", "union_specifier", "enum_specifier"] {
        for &s in u.nodes(kind) {
            let Some(name) = s.child_by_field_name("name") else {
                continue;
            };
            let has_body = s.child_by_field_name("body").is_some();
            // `struct s;` on its own declares the tag.
            let lone = u.parent(s).is_some_and(|p| {
                p.kind() == "declaration" && p.child_by_field_name("declarator").is_none()
            });
            if has_body || lone {
                push(name, Kind::Tag, None, has_body);
            }
        }
    }
    for &e in u.nodes("enumerator") {
        if let Some(n) = e.child_by_field_name("name") {
            push(n, Kind::EnumConst, None, false);
        }
    }
    for &l in u.nodes("labeled_statement") {
        if let Some(n) = l.child_by_field_name("label") {
            push(n, Kind::Label, None, false);
        }
    }
}

/// Among `items` (name, where it is declared; in declaration order), the
/// declarations whose name differs from an earlier one but agrees with it
/// in the first `significant` characters: (the later declaration, the
/// earlier name). Only the first declaration of each later name is given.
pub fn prefix_clashes<'a, T: Copy>(
    items: &[(&'a str, T)],
    significant: usize,
) -> Vec<(T, &'a str)> {
    let mut first_by_prefix: BTreeMap<&'a str, &'a str> = BTreeMap::new();
    let mut reported: BTreeSet<&'a str> = BTreeSet::new();
    let mut out = Vec::new();
    for &(name, at) in items {
        let prefix = name.get(..significant.min(name.len())).unwrap_or(name);
        match first_by_prefix.get(prefix) {
            None => {
                first_by_prefix.insert(prefix, name);
            }
            Some(&earlier) if earlier != name && reported.insert(name) => {
                out.push((at, earlier));
            }
            Some(_) => {}
        }
    }
    out
}
