//! Constant expressions: which expressions the checker can prove constant
//! (literals, enumeration constants, object-like macros whose body is
//! constant, `sizeof`, and operators over these), and their integer value
//! when it can compute it exactly.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::check::source::{self, unparen, Program, Unit};

/// Outcome of evaluating an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// Not a constant expression (or not one the checker recognises).
    Varies,
    /// Constant, value unknown (floating, sizeof, a cast that may truncate, ...).
    Unknown,
    /// Constant with this integer value.
    Int(i128),
}

impl Value {
    pub fn is_constant(self) -> bool {
        self != Value::Varies
    }
}

/// Object-like macros of the program whose body is a constant expression,
/// with the body's value when it is a plain integer literal.
pub struct Macros {
    values: HashMap<String, Value>,
    /// Values of the expressions evaluated so far, by node id: every
    /// sub-expression is evaluated once however often it is asked for.
    memo: std::cell::RefCell<HashMap<usize, Value>>,
}

impl Macros {
    pub fn new(program: &Program<'_>) -> Macros {
        let mut bodies: HashMap<String, String> = HashMap::new();
        let mut redefined: Vec<String> = Vec::new();
        for u in &program.units {
            for &n in u.nodes("preproc_def") {
                let Some(name) = n.child_by_field_name("name") else {
                    continue;
                };
                let body = n
                    .child_by_field_name("value")
                    .map(|v| u.text(v).trim().to_string())
                    .unwrap_or_default();
                let name = u.text(name).to_string();
                if let Some(old) = bodies.insert(name.clone(), body.clone()) {
                    if old != body {
                        redefined.push(name);
                    }
                }
            }
        }
        // A name defined with two different bodies is not known to be constant.
        for name in redefined {
            bodies.remove(&name);
        }
        let mut values = HashMap::new();
        for name in bodies.keys() {
            let v = macro_value(name, &bodies, program, 0);
            if v.is_constant() {
                values.insert(name.clone(), v);
            }
        }
        Macros {
            values,
            memo: Default::default(),
        }
    }

    pub fn get(&self, name: &str) -> Value {
        self.values.get(name).copied().unwrap_or(Value::Varies)
    }
}

const TYPE_WORDS: &[&str] = &[
    "unsigned", "signed", "int", "char", "short", "long", "float", "double", "_Bool", "bool",
    "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int8_t", "int16_t", "int32_t", "int64_t",
    "size_t", "sizeof",
];

fn macro_value(
    name: &str,
    bodies: &HashMap<String, String>,
    program: &Program<'_>,
    depth: usize,
) -> Value {
    let Some(body) = bodies.get(name) else {
        return Value::Varies;
    };
    let suspicious = body.contains(['"', '=', '{', ';', '[', '.', '#', ',']);
    if depth > 16 || body.is_empty() || (suspicious && !is_float_literal_body(body)) {
        return Value::Varies;
    }
    for w in source::words(body) {
        let ok = TYPE_WORDS.contains(&w)
            || w == "true"
            || w == "false"
            || program.enum_constants.contains(w)
            || macro_value(w, bodies, program, depth + 1).is_constant();
        if !ok {
            return Value::Varies;
        }
    }
    let inner = body.trim_start_matches('(').trim_end_matches(')').trim();
    match inner {
        "true" => Value::Int(1),
        "false" => Value::Int(0),
        _ => int_literal(inner).map_or(Value::Unknown, Value::Int),
    }
}

/// A body such as `(1.5e0f)` or `-2.0`: a parenthesised floating literal.
fn is_float_literal_body(body: &str) -> bool {
    let inner = body.trim_start_matches('(').trim_end_matches(')').trim();
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    !inner.is_empty()
        && inner.bytes().all(|b| {
            b.is_ascii_digit()
                || matches!(
                    b,
                    b'.' | b'e' | b'E' | b'+' | b'-' | b'f' | b'F' | b'l' | b'L'
                )
        })
        && inner.as_bytes()[0].is_ascii_digit()
}

/// Value of an integer literal (decimal, octal, hexadecimal; suffixes ignored).
pub fn int_literal(text: &str) -> Option<i128> {
    let t = text.trim_end_matches(['u', 'U', 'l', 'L']);
    if t.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    if digits.is_empty() {
        return None;
    }
    i128::from_str_radix(digits, radix).ok()
}

/// The operands `eval` looks at, in order (parentheses stripped).
fn operands(e: Node<'_>) -> Vec<Node<'_>> {
    let fields: &[&str] = match e.kind() {
        "cast_expression" => &["value"],
        "unary_expression" => &["argument"],
        "binary_expression" => &["left", "right"],
        "conditional_expression" => &["condition", "consequence", "alternative"],
        _ => &[],
    };
    fields
        .iter()
        .filter_map(|f| e.child_by_field_name(f))
        .map(unparen)
        .collect()
}

/// Evaluate `e` as a constant expression. Iterative (an explicit stack, so
/// nesting depth costs no call stack) and memoised in `macros`.
pub fn eval(program: &Program<'_>, macros: &Macros, u: &Unit<'_>, e: Node<'_>) -> Value {
    let root = unparen(e);
    let mut memo = macros.memo.borrow_mut();
    let mut stack = vec![root];
    while let Some(&n) = stack.last() {
        if memo.contains_key(&n.id()) {
            stack.pop();
            continue;
        }
        let ops = operands(n);
        let pending: Vec<Node<'_>> = ops
            .iter()
            .copied()
            .filter(|o| !memo.contains_key(&o.id()))
            .collect();
        if !pending.is_empty() {
            stack.extend(pending);
            continue;
        }
        let values: Vec<Value> = ops.iter().map(|o| memo[&o.id()]).collect();
        let v = combine(program, macros, u, n, &values);
        memo.insert(n.id(), v);
        stack.pop();
    }
    memo.get(&root.id()).copied().unwrap_or(Value::Varies)
}

/// The value of `e` given the values of its operands (see `operands`).
fn combine(
    program: &Program<'_>,
    macros: &Macros,
    u: &Unit<'_>,
    e: Node<'_>,
    ops: &[Value],
) -> Value {
    match e.kind() {
        "number_literal" => {
            let t = u.text(e);
            match int_literal(t) {
                Some(v) => Value::Int(v),
                None => Value::Unknown,
            }
        }
        "char_literal" => {
            let t = u.text(e);
            let inner = t.strip_prefix('\'').and_then(|s| s.strip_suffix('\''));
            match inner {
                Some(s) if s.len() == 1 => Value::Int(i128::from(s.as_bytes()[0])),
                _ => Value::Unknown,
            }
        }
        "true" => Value::Int(1),
        "false" => Value::Int(0),
        "sizeof_expression" => Value::Unknown,
        "identifier" => {
            let name = u.text(e);
            match name {
                "true" => Value::Int(1),
                "false" => Value::Int(0),
                _ if u.var_type(name, e).is_some() => Value::Varies,
                _ if program.enum_constants.contains(name) => Value::Unknown,
                _ => macros.get(name),
            }
        }
        "cast_expression" => match ops {
            // 0 and 1 survive every arithmetic conversion.
            [Value::Int(x)] if *x == 0 || *x == 1 => Value::Int(*x),
            [Value::Varies] | [] => Value::Varies,
            _ => Value::Unknown,
        },
        "unary_expression" => {
            let [v] = ops else {
                return Value::Varies;
            };
            match (source::operator(u, e), *v) {
                (_, Value::Varies) => Value::Varies,
                ("-", Value::Int(x)) => x.checked_neg().map_or(Value::Unknown, Value::Int),
                ("+", Value::Int(x)) => Value::Int(x),
                ("!", Value::Int(x)) => Value::Int(i128::from(x == 0)),
                ("-" | "+" | "!" | "~", _) => Value::Unknown,
                _ => Value::Varies,
            }
        }
        "binary_expression" => {
            let [a, b] = *ops else {
                return Value::Varies;
            };
            let (Value::Int(x), Value::Int(y)) = (a, b) else {
                return if a.is_constant() && b.is_constant() {
                    Value::Unknown
                } else {
                    Value::Varies
                };
            };
            let v = match source::operator(u, e) {
                "+" => x.checked_add(y),
                "-" => x.checked_sub(y),
                "*" => x.checked_mul(y),
                "/" => x.checked_div(y),
                "%" => x.checked_rem(y),
                "==" => Some(i128::from(x == y)),
                "!=" => Some(i128::from(x != y)),
                "<" => Some(i128::from(x < y)),
                ">" => Some(i128::from(x > y)),
                "<=" => Some(i128::from(x <= y)),
                ">=" => Some(i128::from(x >= y)),
                "&&" => Some(i128::from(x != 0 && y != 0)),
                "||" => Some(i128::from(x != 0 || y != 0)),
                "&" => Some(x & y),
                "|" => Some(x | y),
                "^" => Some(x ^ y),
                _ => None,
            };
            v.map_or(Value::Unknown, Value::Int)
        }
        "conditional_expression" => match *ops {
            [c, t, f] if c.is_constant() && t.is_constant() && f.is_constant() => match c {
                Value::Int(c) if c != 0 => t,
                Value::Int(_) => f,
                _ => Value::Unknown,
            },
            _ => Value::Varies,
        },
        _ => Value::Varies,
    }
}
