//! Essential type categories of the operands the checker can type with
//! certainty: identifiers of declared scalar types and casts.

use tree_sitter::Node;

use crate::check::source::{unparen, Unit};

/// Essential type category (the subset rules 10.3 and 10.4 compare).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cat {
    Signed,
    Unsigned,
    Float,
}

impl Cat {
    pub fn name(self) -> &'static str {
        match self {
            Cat::Signed => "signed",
            Cat::Unsigned => "unsigned",
            Cat::Float => "floating",
        }
    }
}

/// Category of a type name, when it is one of the standard or fixed-width names.
pub fn of_type_name(t: &str) -> Option<Cat> {
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    match t.as_str() {
        "uint8_t"
        | "uint16_t"
        | "uint32_t"
        | "uint64_t"
        | "size_t"
        | "unsigned"
        | "unsigned int"
        | "unsigned char"
        | "unsigned short"
        | "unsigned short int"
        | "unsigned long"
        | "unsigned long int"
        | "unsigned long long"
        | "unsigned long long int" => Some(Cat::Unsigned),
        "int8_t" | "int16_t" | "int32_t" | "int64_t" | "int" | "signed" | "signed int"
        | "signed char" | "short" | "short int" | "signed short" | "long" | "long int"
        | "signed long" | "long long" | "long long int" | "signed long long" => Some(Cat::Signed),
        "float" | "double" | "long double" | "float32_t" | "float64_t" => Some(Cat::Float),
        _ => None,
    }
}

/// Category of an operand that is an identifier of a declared scalar type or a cast.
pub fn of_operand(u: &Unit<'_>, e: Node<'_>) -> Option<Cat> {
    let e = unparen(e);
    match e.kind() {
        "identifier" => {
            let t = u.var_type(u.text(e), e)?;
            if t.is_pointer() {
                return None;
            }
            of_type_name(&t.base)
        }
        "cast_expression" => {
            let t = e.child_by_field_name("type")?;
            if u.text(t).contains('*') {
                return None;
            }
            of_type_name(u.text(t))
        }
        _ => None,
    }
}

/// Width in bits of a type name whose width is the same on every target
/// timber knows: the fixed-width names, the character types, `short`, `long
/// long`, and `int` (32 bits on every supported target). `long` varies
/// (32 or 64 bits) and gives None, as do unknown names.
pub fn width_of_type_name(t: &str) -> Option<u32> {
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = t.strip_prefix("const ").unwrap_or(&t);
    match t {
        "uint8_t" | "int8_t" | "char" | "signed char" | "unsigned char" => Some(8),
        "uint16_t" | "int16_t" | "short" | "short int" | "signed short" | "unsigned short"
        | "unsigned short int" | "signed short int" => Some(16),
        "uint32_t" | "int32_t" | "int" | "signed" | "signed int" | "unsigned" | "unsigned int" => {
            Some(32)
        }
        "uint64_t"
        | "int64_t"
        | "long long"
        | "long long int"
        | "signed long long"
        | "unsigned long long"
        | "unsigned long long int" => Some(64),
        _ => None,
    }
}

/// Width of the essential type of an integer literal of type int or unsigned
/// int: the smallest of 8, 16 and 32 bits that holds its value (as unsigned
/// with a `u` suffix, as signed otherwise); 64 for a `ll` suffix. None for a
/// `l` suffix (long varies by target), a value beyond int, or an unreadable literal.
pub fn literal_width(text: &str) -> Option<u32> {
    let v = crate::check::rules::constant::int_literal(text)?;
    let unsigned = text.contains(['u', 'U']);
    match text.matches(['l', 'L']).count() {
        // A `long` constant keeps its standard type, whose width varies by target.
        1 => return None,
        2 => return Some(64),
        _ => {}
    }
    if v >= (1i128 << 32) {
        // Too big for int: its type is long or long long.
        return None;
    }
    [8u32, 16, 32, 64].into_iter().find(|&w| {
        if unsigned {
            v < (1i128 << w)
        } else {
            v < (1i128 << (w - 1))
        }
    })
}

/// Width of the essential type of a shift's left operand, when known:
/// an identifier of a declared non-pointer type, a cast, or an integer literal.
pub fn width_of_operand(u: &Unit<'_>, e: Node<'_>) -> Option<u32> {
    let e = unparen(e);
    match e.kind() {
        "identifier" => {
            let t = u.var_type(u.text(e), e)?;
            if t.is_pointer() {
                return None;
            }
            width_of_type_name(&t.base)
        }
        "cast_expression" => {
            let t = e.child_by_field_name("type")?;
            if u.text(t).contains('*') {
                return None;
            }
            width_of_type_name(u.text(t))
        }
        "number_literal" => literal_width(u.text(e)),
        _ => None,
    }
}

/// Width of a floating type name (`float` 32, `double` 64); None otherwise.
fn float_width(t: &str) -> Option<u32> {
    match t.split_whitespace().collect::<Vec<_>>().join(" ").as_str() {
        "float" | "float32_t" | "const float" => Some(32),
        "double" | "float64_t" | "const double" => Some(64),
        _ => None,
    }
}

/// Category and width of a type name, as far as known.
pub fn of_type(t: &str) -> Option<(Cat, Option<u32>)> {
    let t = t.trim().strip_prefix("const ").unwrap_or(t.trim());
    let cat = of_type_name(t)?;
    let width = match cat {
        Cat::Float => float_width(t),
        _ => width_of_type_name(t),
    };
    Some((cat, width))
}

/// Essential type (category, width when known) of an operand the checker
/// can type: an identifier of a declared scalar type, a cast, a literal, or
/// an arithmetic or bitwise operator over operands of one category (whose
/// essential type is the wider operand's; a shift's is its left operand's).
pub fn of_expression(u: &Unit<'_>, e: Node<'_>, depth: usize) -> Option<(Cat, Option<u32>)> {
    let e = unparen(e);
    if depth > 64 {
        return None;
    }
    match e.kind() {
        "identifier" => {
            let t = u.var_type(u.text(e), e)?;
            if t.is_pointer() {
                return None;
            }
            of_type(&t.base)
        }
        "cast_expression" => {
            let t = e.child_by_field_name("type")?;
            if u.text(t).contains('*') {
                return None;
            }
            of_type(u.text(t))
        }
        "number_literal" => {
            let t = u.text(e);
            let hex = t.starts_with("0x") || t.starts_with("0X");
            if crate::check::rules::constant::int_literal(t).is_some() {
                let cat = if t.contains(['u', 'U']) {
                    Cat::Unsigned
                } else {
                    Cat::Signed
                };
                Some((cat, literal_width(t)))
            } else if !hex && t.ends_with(['f', 'F']) {
                Some((Cat::Float, Some(32)))
            } else if !hex && !t.ends_with(['l', 'L']) {
                Some((Cat::Float, Some(64)))
            } else {
                None
            }
        }
        "binary_expression" => {
            let op = crate::check::source::operator(u, e);
            let l = of_expression(u, e.child_by_field_name("left")?, depth + 1)?;
            if matches!(op, "<<" | ">>") {
                return Some(l);
            }
            if !matches!(op, "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^") {
                return None;
            }
            let r = of_expression(u, e.child_by_field_name("right")?, depth + 1)?;
            if l.0 != r.0 {
                return None;
            }
            let w = match (l.1, r.1) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
            Some((l.0, w))
        }
        _ => None,
    }
}
