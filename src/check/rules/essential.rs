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
