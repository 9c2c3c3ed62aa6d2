//! Rule 8.13 (advisory): a pointer should point to a const-qualified type whenever it can.
//!
//! ## What it checks
//! A parameter of a function definition declared as a single-level pointer to a non-const type (`T *p`) when the body provably never writes through it: every use of `p` is a read of `*p`, `p[i]`, `p->m` or `(*p).m` (compared, used in arithmetic or a condition, or copied when it is an element reached by `*` or `[]`), a comparison of `p`, `p` being re-pointed or stepped (`p = q`, `p++`), or `p` passed to a checked function whose matching parameter is itself a pointer to const. Pointer arithmetic `p + k` is followed like `p`.
//!
//! ## Why
//! A const-qualified pointee documents that the function only reads the data, and lets the compiler stop accidental writes.
//!
//! ## Known limits
//! The rule is conservative: whenever a use might write through the pointer or let it escape, the parameter is not reported. So `p` passed to a function whose declaration is not among the checked files (for example a standard library function), stored in another pointer, returned, cast, used in `?:`, or having its address taken; an element or member of `*p` passed to a function, cast or copied when it was reached through a member (it may be an array that decays to a pointer); and a parameter hidden by a local of the same name. Multi-level pointers, array-declared parameters and pointers to arrays or functions are not checked. Local pointer objects are not checked. Uses inside macro bodies are not seen.
//!
//! ## Example
//! ```c
//! uint32_t sum(uint32_t *v, uint32_t n)   /* flagged: v is only read */
//! {
//!     uint32_t s = 0U;
//!     for (uint32_t i = 0U; i < n; i++) { s += v[i]; }
//!     return s;
//! }
//! ```

use tree_sitter::Node;

use crate::check::finding::Category;
use crate::check::rules::Rule;
use crate::check::source::{self, Emit, Program, Unit};

pub(super) struct Check;
pub(super) static RULE: Check = Check;

impl Rule for Check {
    fn id(&self) -> &'static str {
        "8.13"
    }
    fn category(&self) -> Category {
        Category::Advisory
    }
    fn summary(&self) -> &'static str {
        "Point to const-qualified types wherever possible."
    }
    fn check(&self, program: &Program<'_>, out: &mut Emit) {
        for u in &program.units {
            for &f in u.nodes("function_definition") {
                let (Some(body), Some(fd)) = (
                    f.child_by_field_name("body"),
                    f.child_by_field_name("declarator").and_then(source::function_declarator),
                ) else {
                    continue;
                };
                let Some(params) = fd.child_by_field_name("parameters") else {
                    continue;
                };
                let mut c = params.walk();
                for p in params.named_children(&mut c) {
                    let Some(name) = candidate(u, p) else {
                        continue;
                    };
                    let t = u.text(name);
                    // A local of the same name hides the parameter somewhere: skip.
                    let shadowed = u
                        .nodes_within("identifier", body)
                        .iter()
                        .any(|&id| u.text(id) == t && is_declared_name(u, id));
                    if shadowed {
                        continue;
                    }
                    let read_only = u
                        .nodes_within("identifier", body)
                        .iter()
                        .filter(|&&id| u.text(id) == t)
                        .all(|&id| pointer_use_ok(program, u, id));
                    if read_only {
                        let msg = format!("parameter `{t}` is never written through but points to a non-const type");
                        out.at(u, name, &msg, "add const to the pointed-to type");
                    }
                }
            }
        }
    }
}

/// The name of a `T *p` parameter whose pointee is not const.
fn candidate<'a>(u: &Unit<'a>, p: Node<'a>) -> Option<Node<'a>> {
    if p.kind() != "parameter_declaration" {
        return None;
    }
    let d = p.child_by_field_name("declarator")?;
    if d.kind() != "pointer_declarator" {
        return None;
    }
    let inner = d.child_by_field_name("declarator")?;
    if inner.kind() != "identifier" {
        return None;
    }
    let mut c = p.walk();
    let pointee_const = p
        .children(&mut c)
        .any(|ch| ch.kind() == "type_qualifier" && u.text(ch) == "const");
    (!pointee_const).then_some(inner)
}

/// Is this identifier the name being declared (not a use)?
fn is_declared_name(u: &Unit<'_>, id: Node<'_>) -> bool {
    let Some(parent) = u.parent(id) else {
        return false;
    };
    matches!(
        parent.kind(),
        "init_declarator" | "pointer_declarator" | "array_declarator" | "declaration" | "parameter_declaration"
    ) && parent.child_by_field_name("declarator").map(|d| d.id()) == Some(id.id())
}

/// The parent of `n`, skipping parentheses.
fn context<'a>(u: &Unit<'a>, n: Node<'a>) -> Option<(Node<'a>, Node<'a>)> {
    let mut cur = n;
    loop {
        let parent = u.parent(cur)?;
        if parent.kind() == "parenthesized_expression" {
            cur = parent;
            continue;
        }
        return Some((cur, parent));
    }
}

fn field_is(parent: Node<'_>, field: &str, child: Node<'_>) -> bool {
    parent.child_by_field_name(field).map(|n| n.id()) == Some(child.id())
}

/// `e` is an expression whose value is the pointer (or the pointer stepped by an offset).
/// Walks up the expression in a loop: nesting depth costs no stack.
fn pointer_use_ok<'a>(program: &Program<'_>, u: &Unit<'a>, e: Node<'a>) -> bool {
    let mut e = e;
    loop {
        let Some((inner, parent)) = context(u, e) else {
            return false;
        };
        return match parent.kind() {
            "pointer_expression" => source::operator(u, parent) == "*" && object_use_ok(u, parent, false),
            "subscript_expression" if field_is(parent, "argument", inner) => object_use_ok(u, parent, false),
            "subscript_expression" => true, // used as an index: impossible for a pointer, harmless
            "field_expression" if field_is(parent, "argument", inner) => {
                source::operator(u, parent) == "->" && object_use_ok(u, parent, true)
            }
            "binary_expression" => match source::operator(u, parent) {
                "==" | "!=" | "<" | ">" | "<=" | ">=" | "&&" | "||" => true,
                "+" | "-" => {
                    e = parent;
                    continue;
                }
                _ => false,
            },
            "unary_expression" => source::operator(u, parent) == "!",
            "update_expression" => true,
            "assignment_expression" => field_is(parent, "left", inner),
            "sizeof_expression" => true,
            "argument_list" => call_param_is_const_pointer(program, u, parent, inner),
            "if_statement" | "while_statement" | "do_statement" => true,
            "expression_statement" => true,
            _ => false,
        };
    }
}

/// `e` designates (part of) the pointed-to object; `via_member`: reached through a member.
fn object_use_ok<'a>(u: &Unit<'a>, e: Node<'a>, via_member: bool) -> bool {
    let (mut e, mut via_member) = (e, via_member);
    loop {
        let Some((inner, parent)) = context(u, e) else {
            return false;
        };
        // Still part of (or reached from) the pointed-to object: follow it.
        let follow = match parent.kind() {
            "subscript_expression" | "field_expression" => field_is(parent, "argument", inner),
            "pointer_expression" => source::operator(u, parent) == "*",
            _ => false,
        };
        if follow {
            via_member |= parent.kind() == "field_expression";
            e = parent;
            continue;
        }
        return match parent.kind() {
            "pointer_expression" => false, // &*p, &p[i], &p->m
            "subscript_expression" => true, // used as an index
            "binary_expression" => !via_member || !matches!(source::operator(u, parent), "+" | "-"),
            "unary_expression" => true,
            "update_expression" => false,
            "assignment_expression" => !field_is(parent, "left", inner) && !via_member,
            "init_declarator" | "return_statement" => !via_member,
            "sizeof_expression" => true,
            "if_statement" | "while_statement" | "do_statement" | "switch_statement" => true,
            "expression_statement" => true,
            _ => false,
        };
    }
}

/// Is the argument `arg` of a call passed to a parameter declared as a pointer to const?
fn call_param_is_const_pointer(program: &Program<'_>, caller: &Unit<'_>, args: Node<'_>, arg: Node<'_>) -> bool {
    let Some(call) = caller.parent(args).filter(|c| c.kind() == "call_expression") else {
        return false;
    };
    let mut c = args.walk();
    let Some(index) = args.named_children(&mut c).position(|a| a.id() == arg.id()) else {
        return false;
    };
    let Some(callee) = call.child_by_field_name("function").filter(|f| f.kind() == "identifier") else {
        return false;
    };
    let mut found = false;
    // Every declarator of the callee among the checked files must agree.
    let name = caller.text(callee);
    for u in &program.units {
        for &fd in u.nodes("function_declarator") {
            if source::function_name(u, fd) != Some(name) {
                continue;
            }
            let Some(params) = fd.child_by_field_name("parameters") else {
                return false;
            };
            let mut c2 = params.walk();
            let Some(p) = params.named_children(&mut c2).filter(|n| n.kind() != "comment").nth(index) else {
                return false;
            };
            let ok = p.kind() == "parameter_declaration" && {
                let mut c3 = p.walk();
                let pointee_const = p
                    .children(&mut c3)
                    .any(|ch| ch.kind() == "type_qualifier" && u.text(ch) == "const");
                let d = p.child_by_field_name("declarator");
                pointee_const
                    && d.is_some_and(|d| {
                        matches!(d.kind(), "pointer_declarator" | "abstract_pointer_declarator")
                            && d.child_by_field_name("declarator")
                                .is_none_or(|i| i.kind() == "identifier")
                    })
            };
            if !ok {
                return false;
            }
            found = true;
        }
    }
    found
}
