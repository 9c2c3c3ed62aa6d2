//! The essential type model: the essential type of every expression and
//! sub-expression, worked out from declarations (typedef chains, members,
//! elements, function results: see `check::types`) and from the operators,
//! following the guidelines' published description of the model in our own
//! implementation:
//!
//! - categories: Boolean, character, signed, unsigned, floating, and one
//!   per named enumerated type (constants of an anonymous enumeration are
//!   essentially signed);
//! - an integer constant of type `int` or `unsigned int` has the smallest
//!   signed (unsigned) type that holds its value; so does an integer
//!   constant expression whose operands are all signed (unsigned);
//! - comparisons and logical operators give Boolean; `+`/`-` with a
//!   character operand and an integer one give character; arithmetic and
//!   bitwise operators over one category give that category at the wider
//!   operand's width; a shift gives its left operand's type when that is
//!   unsigned; anything else gives the standard C type after the usual
//!   arithmetic conversions;
//! - a cast gives its type; an assignment its left operand's; a
//!   conditional the type of its branches combined as for arithmetic.
//!
//! Widths are in bits; `int` is 32 bits wide on every target timber
//! supports; `long`, `size_t` and `long double` vary and have no width.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use tree_sitter::Node;

use crate::check::source::{self, unparen, Program, Unit};
pub use crate::check::types::Cat;
use crate::check::types::{Scalar, Ty};

/// The essential type of an expression, with what the rules need to know
/// about the expression itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ess {
    pub cat: Cat,
    pub width: Option<u32>,
    /// A constant expression.
    pub constant: bool,
    /// The value of an integer constant expression, when computed.
    pub value: Option<i128>,
    /// The non-constant result of a composite operator (`* / % + - & | ^
    /// << >>`, or `?:` with a composite branch).
    pub composite: bool,
}

impl Ess {
    fn of(s: &Scalar) -> Ess {
        Ess {
            cat: s.cat.clone(),
            width: s.width,
            constant: false,
            value: None,
            composite: false,
        }
    }
    fn new(cat: Cat, width: Option<u32>) -> Ess {
        Ess {
            cat,
            width,
            constant: false,
            value: None,
            composite: false,
        }
    }
    /// E.g. "unsigned 16-bit" or "floating".
    pub fn describe(&self) -> String {
        match (&self.cat, self.width) {
            (Cat::Enum(_) | Cat::Boolean | Cat::Char, _) | (_, None) => self.cat.name(),
            (c, Some(w)) => format!("{} {w}-bit", c.name()),
        }
    }
    pub fn scalar(&self) -> Scalar {
        Scalar {
            cat: self.cat.clone(),
            width: self.width,
        }
    }
}

/// The description with its indefinite article ("a signed 8-bit", "an enum `e`").
pub fn an(description: &str) -> String {
    let vowel = description.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']);
    format!("{} {description}", if vowel { "an" } else { "a" })
}

/// Describe a scalar type like [`Ess::describe`].
pub fn describe(s: &Scalar) -> String {
    Ess::of(s).describe()
}

/// Smallest signed width (8, 16, 32, 64) that holds `v`.
pub fn stlr(v: i128) -> Option<u32> {
    [8u32, 16, 32, 64]
        .into_iter()
        .find(|&w| -(1i128 << (w - 1)) <= v && v < (1i128 << (w - 1)))
}

/// Smallest unsigned width that holds `v`.
pub fn utlr(v: i128) -> Option<u32> {
    if v < 0 {
        return None;
    }
    [8u32, 16, 32, 64].into_iter().find(|&w| v < (1i128 << w))
}

fn max_width(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    Some(a?.max(b?))
}

/// The standard type after integer promotion (category, width).
fn promote(e: &Ess) -> (Cat, Option<u32>) {
    match &e.cat {
        Cat::Boolean | Cat::Char | Cat::Enum(_) => (Cat::Signed, Some(32)),
        Cat::Signed => (Cat::Signed, e.width.map(|w| w.max(32))),
        Cat::Unsigned => match e.width {
            Some(w) if w < 32 => (Cat::Signed, Some(32)),
            w => (Cat::Unsigned, w),
        },
        Cat::Float => (Cat::Float, e.width),
    }
}

/// The standard type after the usual arithmetic conversions.
fn usual(a: &Ess, b: &Ess) -> (Cat, Option<u32>) {
    match (a.cat == Cat::Float, b.cat == Cat::Float) {
        (true, true) => return (Cat::Float, max_width(a.width, b.width)),
        (true, false) => return (Cat::Float, a.width),
        (false, true) => return (Cat::Float, b.width),
        _ => {}
    }
    let (pa, pb) = (promote(a), promote(b));
    if pa.0 == pb.0 {
        return (pa.0, max_width(pa.1, pb.1));
    }
    let (u, s) = if pa.0 == Cat::Unsigned {
        (pa, pb)
    } else {
        (pb, pa)
    };
    match (u.1, s.1) {
        (Some(uw), Some(sw)) if sw > uw => (Cat::Signed, Some(sw)),
        (Some(uw), Some(_)) => (Cat::Unsigned, Some(uw)),
        _ => (Cat::Unsigned, None),
    }
}

/// The essential type of an integer literal, or of a floating one.
pub fn literal(t: &str) -> Option<Ess> {
    let lower = t.to_ascii_lowercase();
    let hex = lower.starts_with("0x");
    let floating = if hex {
        lower.contains('p')
    } else {
        lower.contains(['.', 'e'])
    };
    if floating {
        let width = if lower.ends_with('f') {
            Some(32)
        } else if lower.ends_with('l') {
            None
        } else {
            Some(64)
        };
        let mut e = Ess::new(Cat::Float, width);
        e.constant = true;
        return Some(e);
    }
    let v = super::constant::int_literal(t)?;
    let unsigned = lower.contains('u');
    let longs = lower.matches('l').count();
    let decimal = !hex && (lower.len() <= 1 || !lower.starts_with('0'));
    let (cat, width) = if longs >= 2 {
        (if unsigned { Cat::Unsigned } else { Cat::Signed }, Some(64))
    } else if longs == 1 {
        (if unsigned { Cat::Unsigned } else { Cat::Signed }, None)
    } else if unsigned {
        (Cat::Unsigned, if v < (1 << 32) { utlr(v) } else { None })
    } else if v < (1 << 31) {
        (Cat::Signed, stlr(v))
    } else if !decimal && v < (1 << 32) {
        (Cat::Unsigned, utlr(v))
    } else {
        (Cat::Signed, None)
    };
    Some(Ess {
        cat,
        width,
        constant: true,
        value: Some(v),
        composite: false,
    })
}

/// Works out essential types in one file (memoised per node).
pub struct Typer<'p, 'a, 'u> {
    pub program: &'p Program<'a>,
    pub unit: &'p Unit<'u>,
    memo: RefCell<HashMap<usize, Option<Ess>>>,
    depth: Cell<usize>,
    macro_depth: usize,
}

/// Nesting beyond which an expression is left untyped (no deep recursion).
const MAX_DEPTH: usize = 200;

impl<'p, 'a, 'u> Typer<'p, 'a, 'u> {
    pub fn new(program: &'p Program<'a>, unit: &'p Unit<'u>) -> Self {
        Typer {
            program,
            unit,
            memo: Default::default(),
            depth: Cell::new(0),
            macro_depth: 0,
        }
    }

    fn text(&self, n: Node<'_>) -> &'u str {
        self.unit.src.get(n.byte_range()).unwrap_or("")
    }

    /// The essential type of `e`, when the checker can work it out.
    pub fn ess(&self, e: Node<'u>) -> Option<Ess> {
        if let Some(v) = self.memo.borrow().get(&e.id()) {
            return v.clone();
        }
        let d = self.depth.get();
        if d > MAX_DEPTH {
            return None;
        }
        self.depth.set(d + 1);
        let v = self.compute(e);
        self.depth.set(d);
        self.memo.borrow_mut().insert(e.id(), v.clone());
        v
    }

    /// The type of `e` as the checker knows it (pointers, records and
    /// functions included).
    pub fn ty(&self, e: Node<'u>) -> Ty {
        let d = self.depth.get();
        if d > MAX_DEPTH {
            return Ty::Unknown;
        }
        self.depth.set(d + 1);
        let t = self.compute_ty(e);
        self.depth.set(d);
        t
    }

    fn object(&self, e: Node<'u>) -> Option<Ty> {
        let f = self.unit.enclosing_function(e).map(|f| f.start_byte());
        self.program
            .env
            .object(self.unit.path, f, self.text(e))
            .cloned()
    }

    /// A call `(T)(x)` where `T` is a typedef name: tree-sitter reads the
    /// cast as a call when it does not know the name. Returns (T, x).
    pub fn cast_call(&self, call: Node<'u>) -> Option<(Node<'u>, Node<'u>)> {
        if call.kind() != "call_expression" {
            return None;
        }
        let f = call.child_by_field_name("function")?;
        let args = call.child_by_field_name("arguments")?;
        if f.kind() != "parenthesized_expression" || args.named_child_count() != 1 {
            return None;
        }
        let name = f.named_child(0).filter(|n| n.kind() == "identifier")?;
        if self.object(name).is_some() || !self.program.env.is_typedef_name(self.text(name)) {
            return None;
        }
        Some((name, args.named_child(0)?))
    }

    fn compute_ty(&self, e: Node<'u>) -> Ty {
        let e = unparen(e);
        let env = &self.program.env;
        match e.kind() {
            "identifier" => {
                if let Some(t) = self.object(e) {
                    return t;
                }
                if let Some(f) = env.functions.get(self.text(e)) {
                    return Ty::Function(Box::new(f.ret.clone()));
                }
            }
            "field_expression" => {
                let (Some(arg), Some(field)) = (
                    e.child_by_field_name("argument"),
                    e.child_by_field_name("field"),
                ) else {
                    return Ty::Unknown;
                };
                let mut t = self.ty(arg);
                if source::operator(self.unit, e) == "->" {
                    t = t.element();
                }
                return match t {
                    Ty::Record(k) => env.member(&k, self.text(field)),
                    _ => Ty::Unknown,
                };
            }
            "subscript_expression" => {
                return match e.child_by_field_name("argument") {
                    Some(a) => self.ty(a).element(),
                    None => Ty::Unknown,
                };
            }
            "pointer_expression" => {
                let Some(a) = e.child_by_field_name("argument") else {
                    return Ty::Unknown;
                };
                return if source::operator(self.unit, e) == "&" {
                    Ty::Pointer(Box::new(self.ty(a)))
                } else {
                    match self.ty(a) {
                        f @ Ty::Function(_) => f,
                        t => t.element(),
                    }
                };
            }
            "call_expression" => {
                if let Some((name, _)) = self.cast_call(e) {
                    return env.typedef(self.text(name)).unwrap_or(Ty::Unknown);
                }
                let Some(f) = e.child_by_field_name("function") else {
                    return Ty::Unknown;
                };
                return match self.ty(f) {
                    Ty::Function(r) => *r,
                    Ty::Pointer(p) => match *p {
                        Ty::Function(r) => *r,
                        _ => Ty::Unknown,
                    },
                    _ => Ty::Unknown,
                };
            }
            "cast_expression" => {
                return match e.child_by_field_name("type") {
                    Some(t) => env.type_of_descriptor(self.unit.path, self.unit.src, t),
                    None => Ty::Unknown,
                };
            }
            "string_literal" | "concatenated_string" => {
                return Ty::Pointer(Box::new(Ty::Scalar(Scalar {
                    cat: Cat::Char,
                    width: Some(8),
                })))
            }
            "assignment_expression" => {
                return match e.child_by_field_name("left") {
                    Some(l) => self.ty(l),
                    None => Ty::Unknown,
                };
            }
            "conditional_expression" => {
                if let Some(c) = e.child_by_field_name("consequence") {
                    let t = self.ty(c);
                    if t.is_pointer() {
                        return t;
                    }
                }
            }
            _ => {}
        }
        match self.ess(e) {
            Some(s) => Ty::Scalar(s.scalar()),
            None => Ty::Unknown,
        }
    }

    fn compute(&self, e: Node<'u>) -> Option<Ess> {
        match e.kind() {
            "parenthesized_expression" => self.ess(e.named_child(0)?),
            "number_literal" => literal(self.text(e)),
            "char_literal" => {
                let t = self.text(e);
                let b = t.as_bytes();
                let mut r = Ess::new(Cat::Char, Some(8));
                if t.starts_with(['L', 'u', 'U']) {
                    return None;
                }
                r.constant = true;
                r.value = (b.len() == 3).then(|| i128::from(b[1]));
                Some(r)
            }
            "true" | "false" => Some(Ess {
                cat: Cat::Boolean,
                width: Some(8),
                constant: true,
                value: Some(i128::from(e.kind() == "true")),
                composite: false,
            }),
            "identifier" => self.identifier(e),
            "field_expression" | "subscript_expression" | "pointer_expression" => {
                self.ty(e).scalar().map(Ess::of)
            }
            "call_expression" => {
                if let Some((name, arg)) = self.cast_call(e) {
                    let t = self.program.env.typedef(self.text(name))?;
                    return self.cast(t.scalar()?, arg);
                }
                self.ty(e).scalar().map(Ess::of)
            }
            "cast_expression" => {
                let t = self.ty(e);
                let v = e.child_by_field_name("value")?;
                self.cast(t.scalar()?, v)
            }
            "sizeof_expression" | "alignof_expression" | "offsetof_expression" => {
                let mut r = Ess::new(Cat::Unsigned, None);
                r.constant = true;
                Some(r)
            }
            "update_expression" => {
                let a = e.child_by_field_name("argument")?;
                let mut r = self.ess(a)?;
                r.constant = false;
                r.value = None;
                r.composite = false;
                Some(r)
            }
            "assignment_expression" => {
                let l = e.child_by_field_name("left")?;
                let mut r = self.ty(l).scalar().map(Ess::of)?;
                r.composite = false;
                Some(r)
            }
            "comma_expression" => self.ess(e.child_by_field_name("right")?),
            "unary_expression" => self.unary(e),
            "binary_expression" => self.binary(e),
            "conditional_expression" => self.conditional(e),
            _ => None,
        }
    }

    fn identifier(&self, e: Node<'u>) -> Option<Ess> {
        if let Some(t) = self.object(e) {
            return t.scalar().map(Ess::of);
        }
        let name = self.text(e);
        if let Some((cat, value)) = self.program.env.enum_constants.get(name) {
            let width = match cat {
                Cat::Signed => value.and_then(stlr),
                _ => None,
            };
            return Some(Ess {
                cat: cat.clone(),
                width,
                constant: true,
                value: *value,
                composite: false,
            });
        }
        if matches!(name, "true" | "false") {
            return Some(Ess {
                cat: Cat::Boolean,
                width: Some(8),
                constant: true,
                value: Some(i128::from(name == "true")),
                composite: false,
            });
        }
        self.macro_ess(name)
    }

    /// The essential type of an object-like macro's body, typed as an
    /// expression of its own.
    fn macro_ess(&self, name: &str) -> Option<Ess> {
        if self.macro_depth > 8 {
            return None;
        }
        let body = self.program.env.macro_bodies.get(name)?;
        let cached = match self.program.macro_types.lock() {
            Ok(m) => m.get(name).cloned(),
            Err(p) => p.into_inner().get(name).cloned(),
        };
        if let Some(c) = cached {
            return c;
        }
        let src = format!("void timber_macro_body(void)\n{{\n({body});\n}}\n");
        let parsed = source::parse(format!("<macro {name}>"), src).ok()?;
        let unit = Unit::new(&parsed);
        let result = (|| {
            if !unit.nodes("ERROR").is_empty() || !unit.nodes("MISSING").is_empty() {
                return None;
            }
            let stmt = unit.nodes("expression_statement").first().copied()?;
            let expr = stmt.named_child(0)?;
            let t = Typer {
                program: self.program,
                unit: &unit,
                memo: Default::default(),
                depth: Cell::new(0),
                macro_depth: self.macro_depth + 1,
            };
            t.ess(expr)
        })();
        match self.program.macro_types.lock() {
            Ok(mut m) => m.insert(name.to_string(), result.clone()),
            Err(p) => p.into_inner().insert(name.to_string(), result.clone()),
        };
        result
    }

    fn cast(&self, to: &Scalar, v: Node<'u>) -> Option<Ess> {
        let inner = self.ess(v);
        let mut r = Ess::of(to);
        if let Some(i) = inner {
            r.constant = i.constant;
            r.value = match (i.value, &to.cat, to.width) {
                (Some(x), Cat::Signed, Some(w)) if stlr(x).is_some_and(|s| s <= w) => Some(x),
                (Some(x), Cat::Unsigned, Some(w)) if utlr(x).is_some_and(|s| s <= w) => Some(x),
                (Some(x), Cat::Unsigned, Some(w)) if x < 0 && w <= 64 => {
                    Some(x.rem_euclid(1i128 << w))
                }
                (Some(x), Cat::Boolean, _) => Some(i128::from(x != 0)),
                _ => None,
            };
        }
        Some(r)
    }

    fn unary(&self, e: Node<'u>) -> Option<Ess> {
        let op = source::operator(self.unit, e);
        if op == "!" {
            let a = e.child_by_field_name("argument")?;
            let c = self.ess(a).is_some_and(|x| x.constant);
            return Some(Ess {
                cat: Cat::Boolean,
                width: Some(8),
                constant: c,
                value: None,
                composite: false,
            });
        }
        let a = self.ess(e.child_by_field_name("argument")?)?;
        let mut r = match (op, &a.cat) {
            ("-", Cat::Signed) => {
                let v = a.value.and_then(|x| x.checked_neg());
                match (a.constant, v) {
                    (true, Some(v)) => Ess {
                        width: stlr(v),
                        value: Some(v),
                        ..a.clone()
                    },
                    _ => Ess {
                        value: None,
                        ..a.clone()
                    },
                }
            }
            ("-" | "+", Cat::Float) | ("+", Cat::Signed | Cat::Unsigned) | ("~", Cat::Unsigned) => {
                Ess {
                    value: if op == "+" { a.value } else { None },
                    ..a.clone()
                }
            }
            _ => {
                let (cat, width) = promote(&a);
                Ess::new(cat, width)
            }
        };
        r.constant = a.constant;
        r.composite = false;
        Some(r)
    }

    fn binary(&self, e: Node<'u>) -> Option<Ess> {
        let op = source::operator(self.unit, e);
        let (l, r) = (
            e.child_by_field_name("left")?,
            e.child_by_field_name("right")?,
        );
        if matches!(op, "==" | "!=" | "<" | ">" | "<=" | ">=" | "&&" | "||") {
            let c =
                self.ess(l).is_some_and(|x| x.constant) && self.ess(r).is_some_and(|x| x.constant);
            return Some(Ess {
                cat: Cat::Boolean,
                width: Some(8),
                constant: c,
                value: None,
                composite: false,
            });
        }
        let (a, b) = (self.ess(l)?, self.ess(r)?);
        let constant = a.constant && b.constant;
        let value = match (a.value, b.value) {
            (Some(x), Some(y)) if constant => arith(op, x, y),
            _ => None,
        };
        let (cat, width) = match (op, &a.cat, &b.cat) {
            ("<<" | ">>", Cat::Unsigned, _) => match value {
                Some(v) => (Cat::Unsigned, utlr(v)),
                None => (Cat::Unsigned, a.width),
            },
            ("<<" | ">>", _, _) => promote(&a),
            ("+", Cat::Char, Cat::Signed | Cat::Unsigned)
            | ("+", Cat::Signed | Cat::Unsigned, Cat::Char)
            | ("-", Cat::Char, Cat::Signed | Cat::Unsigned) => (Cat::Char, Some(8)),
            ("+" | "-" | "*" | "/" | "%" | "&" | "|" | "^", x, y) if x == y => match x {
                Cat::Signed => (
                    Cat::Signed,
                    value.and_then(stlr).or(max_width(a.width, b.width)),
                ),
                Cat::Unsigned => (
                    Cat::Unsigned,
                    value
                        .filter(|v| *v >= 0)
                        .and_then(utlr)
                        .or(max_width(a.width, b.width)),
                ),
                Cat::Float => (Cat::Float, max_width(a.width, b.width)),
                _ => usual(&a, &b),
            },
            ("+" | "-" | "*" | "/" | "%" | "&" | "|" | "^", _, _) => usual(&a, &b),
            _ => return None,
        };
        let keep_value = cat.is_integer()
            && value.is_some_and(|v| match cat {
                Cat::Unsigned => v >= 0,
                _ => true,
            });
        Some(Ess {
            cat,
            width,
            constant,
            value: if keep_value { value } else { None },
            composite: !constant,
        })
    }

    fn conditional(&self, e: Node<'u>) -> Option<Ess> {
        let c = e.child_by_field_name("condition")?;
        let (t, f) = (
            self.ess(e.child_by_field_name("consequence")?)?,
            self.ess(e.child_by_field_name("alternative")?)?,
        );
        let constant = self.ess(c).is_some_and(|x| x.constant) && t.constant && f.constant;
        let (cat, width) = if t.cat == f.cat {
            (t.cat.clone(), max_width(t.width, f.width))
        } else {
            usual(&t, &f)
        };
        Some(Ess {
            cat,
            width,
            constant,
            value: None,
            composite: !constant && (t.composite || f.composite),
        })
    }
}

fn arith(op: &str, x: i128, y: i128) -> Option<i128> {
    let v = match op {
        "+" => x.checked_add(y)?,
        "-" => x.checked_sub(y)?,
        "*" => x.checked_mul(y)?,
        "/" => x.checked_div(y)?,
        "%" => x.checked_rem(y)?,
        "&" => x & y,
        "|" => x | y,
        "^" => x ^ y,
        "<<" if (0..64).contains(&y) => x.checked_mul(1i128 << y)?,
        ">>" if (0..64).contains(&y) => x >> y,
        _ => return None,
    };
    (-(1i128 << 64) < v && v < (1i128 << 64)).then_some(v)
}

/// Where a value is assigned to an object: simple assignments,
/// initialisations, returns and arguments of prototyped functions. Each
/// entry is (the node to report, the object's type, the value).
pub fn assignments<'u>(t: &Typer<'_, '_, 'u>) -> Vec<(Node<'u>, Scalar, Node<'u>)> {
    let u = t.unit;
    let env = &t.program.env;
    let mut out = Vec::new();
    for &e in u.nodes("assignment_expression") {
        if source::operator(u, e) != "=" {
            continue;
        }
        let (Some(l), Some(r)) = (
            e.child_by_field_name("left"),
            e.child_by_field_name("right"),
        ) else {
            continue;
        };
        if let Ty::Scalar(s) = t.ty(l) {
            out.push((e, s, r));
        }
    }
    for &d in u.nodes("init_declarator") {
        let (Some(decl), Some(v)) = (
            d.child_by_field_name("declarator"),
            d.child_by_field_name("value"),
        ) else {
            continue;
        };
        if v.kind() == "initializer_list" {
            continue;
        }
        let Some(spec) = u.parent(d).and_then(|p| p.child_by_field_name("type")) else {
            continue;
        };
        let ty = crate::check::types::derive(env.type_of_spec(u.path, u.src, spec), decl);
        if let Ty::Scalar(s) = ty {
            out.push((d, s, v));
        }
    }
    for &r in u.nodes("return_statement") {
        let Some(v) = r.named_child(0) else { continue };
        let Some(f) = u.enclosing_function(r) else {
            continue;
        };
        let Some(name) = source::function_name(u, f) else {
            continue;
        };
        if let Some(Ty::Scalar(s)) = env.functions.get(name).map(|f| f.ret.clone()) {
            out.push((r, s, v));
        }
    }
    for &c in u.nodes("call_expression") {
        if t.cast_call(c).is_some() {
            continue;
        }
        let (Some(f), Some(args)) = (
            c.child_by_field_name("function"),
            c.child_by_field_name("arguments"),
        ) else {
            continue;
        };
        if f.kind() != "identifier" {
            continue;
        }
        let Some(params) = env.functions.get(u.text(f)).and_then(|f| f.params.clone()) else {
            continue;
        };
        let mut cur = args.walk();
        for (arg, p) in args.named_children(&mut cur).zip(params.iter()) {
            if arg.kind() == "comment" {
                continue;
            }
            if let Ty::Scalar(s) = p {
                out.push((arg, s.clone(), arg));
            }
        }
    }
    out.sort_by_key(|(n, _, _)| n.start_byte());
    out
}

/// Binary and compound-assignment operations whose operator `keep`
/// accepts: (expression, operator, left, right), in document order.
pub type Operation<'u> = (Node<'u>, &'u str, Node<'u>, Node<'u>);
pub fn operations<'u>(u: &Unit<'u>, keep: impl Fn(&str) -> bool) -> Vec<Operation<'u>> {
    let mut v = Vec::new();
    for kind in ["binary_expression", "assignment_expression"] {
        for &e in u.nodes(kind) {
            let op = source::operator(u, e);
            if !keep(op) {
                continue;
            }
            if let (Some(l), Some(r)) = (
                e.child_by_field_name("left"),
                e.child_by_field_name("right"),
            ) {
                v.push((e, op, l, r));
            }
        }
    }
    v.sort_by_key(|(e, _, _, _)| e.start_byte());
    v
}

/// Operators whose operands undergo the usual arithmetic conversions.
pub fn converts(op: &str) -> bool {
    matches!(
        op,
        "+" | "-"
            | "*"
            | "/"
            | "%"
            | "&"
            | "|"
            | "^"
            | "<"
            | ">"
            | "<="
            | ">="
            | "=="
            | "!="
            | "+="
            | "-="
            | "*="
            | "/="
            | "%="
            | "&="
            | "|="
            | "^="
    )
}

/// Category of an operand the checker can type with certainty: an
/// identifier of a declared scalar type or a cast (kept for rules that
/// only need the plain categories).
pub fn of_operand(u: &Unit<'_>, e: Node<'_>) -> Option<Cat> {
    let e = unparen(e);
    let base = match e.kind() {
        "identifier" => {
            let t = u.var_type(u.text(e), e)?;
            if t.is_pointer() {
                return None;
            }
            t.base.clone()
        }
        "cast_expression" => {
            let t = e.child_by_field_name("type")?;
            if u.text(t).contains('*') {
                return None;
            }
            u.text(t).to_string()
        }
        _ => return None,
    };
    match crate::check::types::builtin(&base)? {
        Ty::Scalar(s) if matches!(s.cat, Cat::Signed | Cat::Unsigned | Cat::Float) => Some(s.cat),
        _ => None,
    }
}
