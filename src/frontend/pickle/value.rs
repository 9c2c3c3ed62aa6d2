//! The data a restricted pickle builds: plain values plus a flat heap of
//! containers and recorded constructor calls.
//!
//! Containers live in one arena ([`Heap`]) and values refer to them by
//! index, so pickle's shared references (memo) and in-place mutation
//! (`APPENDS` into a memoised list, `BUILD` on a memoised object) behave as
//! in Python, while nothing is ever recursive: dropping or copying a value
//! cannot blow the stack however deep the file nests.

use super::whitelist::Global;

/// A value on the pickle stack or inside a container. Small and `Copy`:
/// everything with a payload lives in the [`Heap`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A whitelisted class or function (never called).
    Global(Global),
    /// An entry of the heap.
    Ref(u32),
}

/// A heap entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Obj {
    Str(String),
    Bytes(Vec<u8>),
    /// An integer wider than 64 bits, little-endian two's complement.
    BigInt(Vec<u8>),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    /// Key/value pairs in insertion order.
    Dict(Vec<(Value, Value)>),
    Set(Vec<Value>),
    /// `callable(*args)` as recorded by `REDUCE` / `NEWOBJ`, plus the
    /// state given to it by `BUILD` (if any). Nothing was called.
    Call {
        callable: Global,
        args: Vec<Value>,
        state: Option<Value>,
    },
    /// A numpy array whose raw bytes followed a joblib `NumpyArrayWrapper`.
    Array(super::ndarray::NdArray),
}

/// The arena every container of one pickle lives in.
#[derive(Debug, Default)]
pub struct Heap {
    objs: Vec<Obj>,
}

impl Heap {
    pub fn push(&mut self, obj: Obj) -> Value {
        let idx = self.objs.len() as u32;
        self.objs.push(obj);
        Value::Ref(idx)
    }

    pub fn get(&self, v: Value) -> Option<&Obj> {
        match v {
            Value::Ref(i) => self.objs.get(i as usize),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, v: Value) -> Option<&mut Obj> {
        match v {
            Value::Ref(i) => self.objs.get_mut(i as usize),
            _ => None,
        }
    }

    /// Number of heap entries (bounded by the input length).
    pub fn len(&self) -> usize {
        self.objs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objs.is_empty()
    }

    pub fn str(&self, v: Value) -> Option<&str> {
        match self.get(v)? {
            Obj::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn tuple(&self, v: Value) -> Option<&[Value]> {
        match self.get(v)? {
            Obj::Tuple(t) => Some(t),
            _ => None,
        }
    }

    /// Items of a tuple or a list.
    pub fn seq(&self, v: Value) -> Option<&[Value]> {
        match self.get(v)? {
            Obj::Tuple(t) | Obj::List(t) => Some(t),
            _ => None,
        }
    }

    pub fn dict(&self, v: Value) -> Option<&[(Value, Value)]> {
        match self.get(v)? {
            Obj::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The value of string key `key` in a dict (the last one set, as in
    /// Python when a key is repeated).
    pub fn dict_get(&self, dict: Value, key: &str) -> Option<Value> {
        self.dict(dict)?
            .iter()
            .rev()
            .find(|(k, _)| self.str(*k) == Some(key))
            .map(|(_, v)| *v)
    }

    /// Bytes, also as protocol 2 writes them: `_codecs.encode(str, "latin1")`
    /// or `bytes(...)` / `bytearray(...)` reconstructions (followed
    /// iteratively, a few levels at most).
    pub fn bytes(&self, v: Value) -> Option<std::borrow::Cow<'_, [u8]>> {
        use std::borrow::Cow;
        let mut v = v;
        for _ in 0..4 {
            match self.get(v)? {
                Obj::Bytes(b) => return Some(Cow::Borrowed(b)),
                Obj::Call {
                    callable: Global::CodecsEncode,
                    args,
                    state: None,
                } if args.len() == 2 && self.str(args[1]) == Some("latin1") => {
                    let s = self.str(args[0])?;
                    let mut out = Vec::with_capacity(s.len());
                    for c in s.chars() {
                        out.push(u8::try_from(u32::from(c)).ok()?);
                    }
                    return Some(Cow::Owned(out));
                }
                Obj::Call {
                    callable: Global::Bytes | Global::BytesPy3 | Global::ByteArray,
                    args,
                    state: None,
                } => match args.as_slice() {
                    [] => return Some(Cow::Owned(Vec::new())),
                    [inner] => v = *inner,
                    _ => return None,
                },
                _ => return None,
            }
        }
        None
    }

    /// The recorded call behind `v`, if it is one.
    pub fn call(&self, v: Value) -> Option<(Global, &[Value], Option<Value>)> {
        match self.get(v)? {
            Obj::Call {
                callable,
                args,
                state,
            } => Some((*callable, args, *state)),
            _ => None,
        }
    }
}
