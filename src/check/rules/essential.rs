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
