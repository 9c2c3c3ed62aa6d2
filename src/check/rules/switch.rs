//! Helpers shared by the switch rules (16.x).

use tree_sitter::Node;

use crate::check::source::Unit;

/// The case_statement nodes of a switch, in order.
pub(super) fn labels<'a>(sw: Node<'a>) -> Vec<Node<'a>> {
    let Some(body) = sw.child_by_field_name("body") else {
        return Vec::new();
    };
    let mut c = body.walk();
    let v: Vec<Node<'a>> = body
        .named_children(&mut c)
        .filter(|n| n.kind() == "case_statement")
        .collect();
    v
}

/// The statements of one switch label (comments excluded).
pub(super) fn statements<'a>(case: Node<'a>) -> Vec<Node<'a>> {
    let value = case.child_by_field_name("value").map(|v| v.id());
    let mut c = case.walk();
    let v: Vec<Node<'a>> = case
        .named_children(&mut c)
        .filter(|n| Some(n.id()) != value && n.kind() != "comment")
        .collect();
    v
}

/// Is this label `default:`?
pub(super) fn is_default(u: &Unit<'_>, case: Node<'_>) -> bool {
    case.child_by_field_name("value").is_none() && u.text(case).trim_start().starts_with("default")
}
