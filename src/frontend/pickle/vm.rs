//! The pickle machine, restricted to building data.
//!
//! It reads the opcodes of pickle protocols 2 to 5 and builds [`Value`]s in
//! a [`Heap`]. `GLOBAL` / `STACK_GLOBAL` resolve only through the
//! [`whitelist`](super::whitelist) and fail at once, naming the global and
//! its byte offset, for anything else; `REDUCE`, `NEWOBJ` and `BUILD` only
//! record `(callable, args, state)`. Nothing is imported or called.
//!
//! Bounds: every opcode adds a constant number of values, every length
//! field is checked against the bytes left, so memory is linear in the
//! input; there is no recursion, so nesting depth cannot exhaust the stack.

use super::ndarray::{self, NdArray};
use super::value::{Heap, Obj, Value};
use super::whitelist::Global;
use super::PickleError;
use std::collections::BTreeMap;

/// The result of reading one pickle.
#[derive(Debug)]
pub struct Loaded {
    pub heap: Heap,
    pub root: Value,
}

/// Read one pickle from the start of `bytes`. Bytes after `STOP` are
/// ignored, as Python's unpickler does.
pub fn load(bytes: &[u8]) -> Result<Loaded, PickleError> {
    let mut m = Machine {
        input: bytes,
        pos: 0,
        op_pos: 0,
        heap: Heap::default(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: BTreeMap::new(),
        nested: false,
    };
    let root = m.run()?;
    Ok(Loaded { heap: m.heap, root })
}

struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    /// Offset of the opcode being executed (for messages).
    op_pos: usize,
    heap: Heap,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: BTreeMap<u64, Value>,
    /// Reading the inner pickle joblib writes for an array of objects
    /// (which may not nest another one).
    nested: bool,
}

impl<'a> Machine<'a> {
    fn err(&self, message: impl Into<String>) -> PickleError {
        PickleError::Malformed {
            offset: self.op_pos,
            message: message.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        let left = self.input.len() - self.pos;
        if n > left {
            return Err(self.err(format!(
                "truncated: needs {n} more bytes, {left} left in the file"
            )));
        }
        let s = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn le_u32(&mut self) -> Result<u32, PickleError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn le_u64(&mut self) -> Result<u64, PickleError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A length field, checked against the bytes left before anything is
    /// allocated.
    fn len_field(&mut self, width: usize) -> Result<usize, PickleError> {
        let n = match width {
            1 => u64::from(self.u8()?),
            4 => u64::from(self.le_u32()?),
            _ => self.le_u64()?,
        };
        let left = (self.input.len() - self.pos) as u64;
        if n > left {
            return Err(self.err(format!(
                "length field {n} exceeds the {left} bytes left in the file"
            )));
        }
        Ok(n as usize)
    }

    fn line(&mut self) -> Result<&'a str, PickleError> {
        let rest = &self.input[self.pos..];
        let end = rest
            .iter()
            .take(4096)
            .position(|&c| c == b'\n')
            .ok_or_else(|| self.err("truncated: no end of line within 4096 bytes"))?;
        self.pos += end + 1;
        std::str::from_utf8(&rest[..end]).map_err(|_| self.err("text argument is not UTF-8"))
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    fn push_obj(&mut self, o: Obj) {
        let v = self.heap.push(o);
        self.stack.push(v);
    }

    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<Value, PickleError> {
        if self.stack.len() <= self.floor() {
            return Err(self.err("stack underflow"));
        }
        self.stack.pop().ok_or_else(|| self.err("stack underflow"))
    }

    fn top(&self) -> Result<Value, PickleError> {
        if self.stack.len() <= self.floor() {
            return Err(self.err("stack underflow"));
        }
        self.stack
            .last()
            .copied()
            .ok_or_else(|| self.err("stack underflow"))
    }

    /// Pop everything above the last MARK, and the mark.
    fn pop_mark(&mut self) -> Result<Vec<Value>, PickleError> {
        let m = self
            .marks
            .pop()
            .ok_or_else(|| self.err("no MARK on the stack"))?;
        Ok(self.stack.split_off(m))
    }

    fn str_of(&self, v: Value) -> Result<String, PickleError> {
        self.heap
            .str(v)
            .map(str::to_string)
            .ok_or_else(|| self.err("STACK_GLOBAL operands are not strings"))
    }

    fn global(&self, module: &str, name: &str) -> Result<Value, PickleError> {
        Global::resolve(module, name)
            .map(Value::Global)
            .ok_or_else(|| PickleError::ForbiddenGlobal {
                offset: self.op_pos,
                module: printable(module),
                name: printable(name),
                hint: if module.starts_with("sklearn.") {
                    "; it is not part of a tree ensemble timber reads (pipelines, \
                     preprocessors such as HistGradientBoosting's categorical encoder, and \
                     custom init estimators are not supported)"
                        .to_string()
                } else {
                    String::new()
                },
            })
    }

    fn memo_put(&mut self, key: u64) -> Result<(), PickleError> {
        let v = self.top()?;
        self.memo.insert(key, v);
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Result<(), PickleError> {
        let v = *self
            .memo
            .get(&key)
            .ok_or_else(|| self.err(format!("memo key {key} was never stored")))?;
        self.push(v);
        Ok(())
    }

    fn int_from_le(&mut self, b: &[u8]) -> Value {
        if b.len() <= 8 {
            let neg = b.last().is_some_and(|&x| x & 0x80 != 0);
            let mut a = [if neg { 0xff } else { 0 }; 8];
            a[..b.len()].copy_from_slice(b);
            Value::Int(i64::from_le_bytes(a))
        } else {
            self.heap.push(Obj::BigInt(b.to_vec()))
        }
    }

    fn run(&mut self) -> Result<Value, PickleError> {
        loop {
            self.op_pos = self.pos;
            let op = self.u8()?;
            match op {
                0x80 => {
                    // PROTO
                    let p = self.u8()?;
                    if p > 5 {
                        return Err(self.err(format!("pickle protocol {p} is newer than 5")));
                    }
                }
                0x95 => {
                    // FRAME: a length prefix only; the opcodes inside are read as usual.
                    self.len_field(8)?;
                }
                b'.' => {
                    // STOP
                    return self.pop();
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let v = self.top()?;
                    self.push(v);
                }
                b'N' => self.push(Value::None),
                0x88 => self.push(Value::Bool(true)),
                0x89 => self.push(Value::Bool(false)),
                b'J' => {
                    let v = self.le_u32()? as i32;
                    self.push(Value::Int(i64::from(v)));
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push(Value::Int(i64::from(v)));
                }
                b'M' => {
                    let b = self.take(2)?;
                    self.push(Value::Int(i64::from(u16::from_le_bytes([b[0], b[1]]))));
                }
                0x8a | 0x8b => {
                    // LONG1 / LONG4
                    let n = self.len_field(if op == 0x8a { 1 } else { 4 })?;
                    let b = self.take(n)?;
                    let v = self.int_from_le(b);
                    self.push(v);
                }
                b'I' => {
                    // INT (text): also encodes booleans as 00 / 01.
                    let l = self.line()?;
                    let v = match l {
                        "00" => Value::Bool(false),
                        "01" => Value::Bool(true),
                        _ => Value::Int(
                            l.parse()
                                .map_err(|_| self.err(format!("INT `{}`", printable(l))))?,
                        ),
                    };
                    self.push(v);
                }
                b'G' => {
                    let b = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    self.push(Value::Float(f64::from_be_bytes(a)));
                }
                b'F' => {
                    let l = self.line()?;
                    let v: f64 = l
                        .parse()
                        .map_err(|_| self.err(format!("FLOAT `{}`", printable(l))))?;
                    self.push(Value::Float(v));
                }
                0x8c | b'X' | 0x8d => {
                    // SHORT_BINUNICODE / BINUNICODE / BINUNICODE8
                    let w = match op {
                        0x8c => 1,
                        b'X' => 4,
                        _ => 8,
                    };
                    let n = self.len_field(w)?;
                    let b = self.take(n)?;
                    let s = std::str::from_utf8(b)
                        .map_err(|_| self.err("string is not UTF-8"))?
                        .to_string();
                    self.push_obj(Obj::Str(s));
                }
                b'C' | b'B' | 0x8e | 0x96 | b'U' | b'T' => {
                    // SHORT_BINBYTES / BINBYTES / BINBYTES8 / BYTEARRAY8,
                    // and protocol 2's SHORT_BINSTRING / BINSTRING (bytes).
                    let w = match op {
                        b'C' | b'U' => 1,
                        b'B' | b'T' => 4,
                        _ => 8,
                    };
                    let n = self.len_field(w)?;
                    let b = self.take(n)?.to_vec();
                    self.push_obj(Obj::Bytes(b));
                }
                0x97 | 0x98 => {
                    return Err(self.err(
                        "out-of-band buffer (NEXT_BUFFER/READONLY_BUFFER): the data is not in \
                         the file; save the model with the buffers in-band",
                    ))
                }
                b']' => self.push_obj(Obj::List(Vec::new())),
                b')' => self.push_obj(Obj::Tuple(Vec::new())),
                b'}' => self.push_obj(Obj::Dict(Vec::new())),
                0x8f => self.push_obj(Obj::Set(Vec::new())),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push_obj(Obj::List(items));
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.push_obj(Obj::Tuple(items));
                }
                0x91 => {
                    let items = self.pop_mark()?;
                    self.push_obj(Obj::Set(items));
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < self.floor() + n {
                        return Err(self.err("stack underflow"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.push_obj(Obj::Tuple(items));
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    let pairs = self.pairs(items)?;
                    self.push_obj(Obj::Dict(pairs));
                }
                b'a' => {
                    let v = self.pop()?;
                    let list = self.top()?;
                    self.extend_list(list, vec![v])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let list = self.top()?;
                    self.extend_list(list, items)?;
                }
                0x90 => {
                    let items = self.pop_mark()?;
                    let set = self.top()?;
                    match self.heap.get_mut(set) {
                        Some(Obj::Set(s)) => s.extend(items),
                        _ => return Err(self.err("ADDITEMS on something not a set")),
                    }
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    let d = self.top()?;
                    self.extend_dict(d, vec![(k, v)])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let pairs = self.pairs(items)?;
                    let d = self.top()?;
                    self.extend_dict(d, pairs)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let g = self.global(module, name)?;
                    self.push(g);
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (module, name) = (self.str_of(module)?, self.str_of(name)?);
                    let g = self.global(&module, &name)?;
                    self.push(g);
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let v = self.record_call(callable, args)?;
                    self.push(v);
                }
                0x81 => {
                    // NEWOBJ: cls.__new__(cls, *args)
                    let args = self.pop()?;
                    let cls = self.pop()?;
                    let v = self.record_call(cls, args)?;
                    self.push(v);
                }
                0x92 => {
                    // NEWOBJ_EX: keyword arguments are not used by any
                    // whitelisted class.
                    let kwargs = self.pop()?;
                    let args = self.pop()?;
                    let cls = self.pop()?;
                    if self.heap.dict(kwargs).is_none_or(|d| !d.is_empty()) {
                        return Err(self.err("NEWOBJ_EX with keyword arguments"));
                    }
                    let v = self.record_call(cls, args)?;
                    self.push(v);
                }
                b'b' => {
                    let state = self.pop()?;
                    let obj = self.top()?;
                    self.build(obj, state)?;
                }
                b'p' => {
                    let l = self.line()?;
                    let k = l
                        .parse()
                        .map_err(|_| self.err(format!("PUT key `{}`", printable(l))))?;
                    self.memo_put(k)?;
                }
                b'q' => {
                    let k = self.u8()?;
                    self.memo_put(u64::from(k))?;
                }
                b'r' => {
                    let k = self.le_u32()?;
                    self.memo_put(u64::from(k))?;
                }
                0x94 => {
                    let k = self.memo.len() as u64;
                    self.memo_put(k)?;
                }
                b'g' => {
                    let l = self.line()?;
                    let k = l
                        .parse()
                        .map_err(|_| self.err(format!("GET key `{}`", printable(l))))?;
                    self.memo_get(k)?;
                }
                b'h' => {
                    let k = self.u8()?;
                    self.memo_get(u64::from(k))?;
                }
                b'j' => {
                    let k = self.le_u32()?;
                    self.memo_get(u64::from(k))?;
                }
                b'P' | b'Q' => {
                    return Err(self.err(
                        "persistent id (PERSID/BINPERSID): the pickle refers to objects outside it",
                    ))
                }
                0x82..=0x84 => {
                    return Err(self.err("extension registry code (EXT1/EXT2/EXT4) is not allowed"))
                }
                b'i' | b'o' => {
                    return Err(self.err(
                        "protocol 0/1 instance opcode (INST/OBJ) is not supported; save with protocol 2 or later",
                    ))
                }
                other => {
                    return Err(self.err(format!(
                        "opcode 0x{other:02x} is not a pickle opcode this reader supports"
                    )))
                }
            }
        }
    }

    fn pairs(&self, items: Vec<Value>) -> Result<Vec<(Value, Value)>, PickleError> {
        if items.len() % 2 != 0 {
            return Err(self.err("odd number of items for a dict"));
        }
        Ok(items.chunks(2).map(|c| (c[0], c[1])).collect())
    }

    fn extend_list(&mut self, list: Value, items: Vec<Value>) -> Result<(), PickleError> {
        match self.heap.get_mut(list) {
            Some(Obj::List(l)) => {
                l.extend(items);
                Ok(())
            }
            _ => Err(self.err("APPEND/APPENDS on something not a list")),
        }
    }

    fn extend_dict(&mut self, dict: Value, pairs: Vec<(Value, Value)>) -> Result<(), PickleError> {
        match self.heap.get_mut(dict) {
            Some(Obj::Dict(d)) => {
                // A repeated key replaces the earlier value, as in Python.
                for (k, v) in pairs {
                    d.push((k, v));
                }
                Ok(())
            }
            _ => Err(self.err("SETITEM/SETITEMS on something not a dict")),
        }
    }

    /// `REDUCE` / `NEWOBJ`: record the call. `copyreg._reconstructor` is
    /// accepted only for a whitelisted estimator class.
    fn record_call(&mut self, callable: Value, args: Value) -> Result<Value, PickleError> {
        let Value::Global(g) = callable else {
            return Err(self.err("REDUCE/NEWOBJ on something that is not a whitelisted global"));
        };
        let args = self
            .heap
            .tuple(args)
            .ok_or_else(|| self.err(format!("arguments of {g} are not a tuple")))?
            .to_vec();
        if g == Global::Reconstructor {
            let ok = matches!(args.first(), Some(Value::Global(c)) if c.is_reconstructible_class());
            if !ok {
                return Err(
                    self.err("copyreg._reconstructor is allowed only for scikit-learn classes")
                );
            }
        }
        Ok(self.heap.push(Obj::Call {
            callable: g,
            args,
            state: None,
        }))
    }

    /// `BUILD`: attach the state to the recorded call. For joblib's
    /// `NumpyArrayWrapper`, the array's bytes follow in the stream: read
    /// them and put the array in the wrapper's place.
    fn build(&mut self, obj: Value, state: Value) -> Result<(), PickleError> {
        let is_wrapper = match self.heap.get_mut(obj) {
            Some(Obj::Call {
                state: s @ None,
                callable,
                ..
            }) => {
                *s = Some(state);
                *callable == Global::NumpyArrayWrapper
            }
            Some(Obj::Call { .. }) => return Err(self.err("BUILD twice on one object")),
            _ => return Err(self.err("BUILD on something that is not an object")),
        };
        if is_wrapper {
            let array = self.read_joblib_array(state)?;
            if let Some(slot) = self.heap.get_mut(obj) {
                *slot = array;
            }
        }
        Ok(())
    }

    /// The array a `NumpyArrayWrapper` stands for: raw bytes for numbers,
    /// a separate protocol 2 pickle (read by the same restricted machine)
    /// for an array of objects.
    fn read_joblib_array(&mut self, state: Value) -> Result<Obj, PickleError> {
        let field = |k: &str| {
            self.heap
                .dict_get(state, k)
                .ok_or_else(|| self.err(format!("NumpyArrayWrapper state has no `{k}`")))
        };
        let dtype_v = field("dtype")?;
        let shape_v = field("shape")?;
        let order_v = field("order")?;
        let dtype = ndarray::dtype(&self.heap, dtype_v).map_err(|m| self.err(m))?;
        let shape = ndarray::shape(&self.heap, shape_v).map_err(|m| self.err(m))?;
        let fortran = match self.heap.str(order_v) {
            Some("C") => false,
            Some("F") => true,
            _ => return Err(self.err("NumpyArrayWrapper order is not `C` or `F`")),
        };
        if dtype.has_object() {
            if self.nested {
                return Err(self.err("joblib array wrapper inside an array of objects"));
            }
            let mut inner = Machine {
                input: self.input,
                pos: self.pos,
                op_pos: self.pos,
                heap: std::mem::take(&mut self.heap),
                stack: Vec::new(),
                marks: Vec::new(),
                memo: BTreeMap::new(),
                nested: true,
            };
            let result = inner.run();
            self.heap = inner.heap;
            self.pos = inner.pos;
            let root = result?;
            return self
                .heap
                .get(root)
                .cloned()
                .ok_or_else(|| self.err("array of objects is not an object"));
        }
        let aligned = self
            .heap
            .dict_get(state, "numpy_array_alignment_bytes")
            .is_some_and(|v| v != Value::None);
        if aligned {
            let pad = usize::from(self.u8()?);
            self.take(pad)?;
        }
        let n_bytes =
            ndarray::byte_len(&dtype, &shape).ok_or_else(|| self.err("array too large"))?;
        let data = self.take(n_bytes)?.to_vec();
        NdArray::new(dtype, shape, fortran, data)
            .map(Obj::Array)
            .map_err(|m| self.err(m))
    }
}

/// A name as it may be shown in a message: control characters escaped,
/// cut at 200 characters.
fn printable(s: &str) -> String {
    s.chars().take(200).flat_map(char::escape_debug).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &[u8]) -> String {
        load(bytes).expect_err("must be refused").to_string()
    }

    #[test]
    fn builds_shared_containers_like_python() {
        // [] memoised, GET it into a tuple, then APPENDS to the original:
        // the tuple sees the appended items (one object, two references).
        let p = b"\x80\x04]\x94(h\x00t\x94h\x00(K\x01K\x02e0.";
        let l = load(p).unwrap();
        let t = l.heap.tuple(l.root).unwrap();
        assert_eq!(l.heap.seq(t[0]).unwrap(), &[Value::Int(1), Value::Int(2)]);
    }

    #[test]
    fn scalars_and_strings() {
        let p = b"\x80\x05\x95\x00\x00\x00\x00\x00\x00\x00\x00(J\xff\xff\xff\xffG?\xf0\x00\x00\x00\x00\x00\x00\x8c\x02ab\x8a\x02\x00\x80\x88Nt.";
        let l = load(p).unwrap();
        let t = l.heap.tuple(l.root).unwrap().to_vec();
        assert_eq!(t[0], Value::Int(-1));
        assert_eq!(t[1], Value::Float(1.0));
        assert_eq!(l.heap.str(t[2]), Some("ab"));
        assert_eq!(t[3], Value::Int(-32768));
        assert_eq!(t[4], Value::Bool(true));
        assert_eq!(t[5], Value::None);
    }

    #[test]
    fn forbidden_globals_name_module_and_offset() {
        let e = err(b"\x80\x02cbuiltins\neval\n)R.");
        assert!(e.contains("byte 2") && e.contains("`builtins.eval`"), "{e}");
        let e = err(b"\x80\x04\x8c\nsubprocess\x94\x8c\x05Popen\x94\x93\x94.");
        assert!(
            e.contains("byte 23") && e.contains("`subprocess.Popen`"),
            "{e}"
        );
        // Control characters in a hostile name are escaped in the message.
        let e = err(b"\x80\x02cos\x1b[2J\nsystem\n.");
        assert!(e.contains("os\\u{1b}[2J.system"), "{e}");
    }

    #[test]
    fn reconstructor_only_for_estimator_classes() {
        let e = err(b"\x80\x02ccopyreg\n_reconstructor\ncnumpy\ndtype\ncbuiltins\nobject\nN\x87R.");
        assert!(e.contains("only for scikit-learn classes"), "{e}");
        let e = err(b"\x80\x02ccopyreg\n_reconstructor\nK\x01\x85R.");
        assert!(e.contains("only for scikit-learn classes"), "{e}");
    }

    #[test]
    fn malformed_inputs_are_errors() {
        for (bytes, want) in [
            (&b""[..], "truncated"),
            (b"\x80\x04", "truncated"),
            (b"\x80\x06.", "protocol 6"),
            (b"\x80\x04\xff", "opcode 0xff"),
            (b"\x80\x04.", "stack underflow"),
            (b"\x80\x04t.", "no MARK"),
            (b"\x80\x04h\x07.", "memo key 7"),
            (
                b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f",
                "length field",
            ),
            (b"\x80\x04X\xff\xff\xff\xffabc", "length field"),
            (b"\x80\x04\x8a\x09\x00", "length field"),
            (
                b"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\xff",
                "length field",
            ),
            (b"\x80\x05\x97.", "out-of-band"),
            (b"\x80\x04Q.", "persistent id"),
            (b"\x80\x04K\x01K\x02a.", "not a list"),
            (b"\x80\x04K\x01N}b.", "not an object"),
            (b"\x80\x04\x8c\x02\xff\xfe.", "UTF-8"),
            (b"\x80\x02cnumpy\ndtype\nK\x01R.", "not a tuple"),
        ] {
            let e = err(bytes);
            assert!(e.contains(want), "{bytes:?}: {e}");
        }
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        // 200 000 nested lists, each appended into its parent: no stack
        // overflow building, reading or dropping it.
        let n = 200_000;
        let mut p = b"\x80\x04".to_vec();
        p.extend(std::iter::repeat_n(b']', n));
        p.extend(std::iter::repeat_n(b'a', n - 1));
        p.push(b'.');
        let l = load(&p).unwrap();
        assert_eq!(l.heap.len(), n);
        // A tall stack of MARKs left open is an error, not a crash.
        let mut p = b"\x80\x04".to_vec();
        p.extend(std::iter::repeat_n(b'(', n));
        p.push(b'.');
        assert!(err(&p).contains("stack underflow"));
    }

    #[test]
    fn every_prefix_and_byte_flip_of_a_valid_pickle_is_handled() {
        let p = b"\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(K\x01G@\x00\x00\x00\x00\x00\x00\x00e\x8c\x01b\x94h\x02u.";
        // (a dict {'a': [1, 2.0], 'b': <the same list>})
        assert!(load(p).is_ok());
        for cut in 0..p.len() {
            let _ = load(&p[..cut]).expect_err("prefix");
        }
        for i in 0..p.len() {
            for bit in 0..8 {
                let mut q = p.to_vec();
                q[i] ^= 1 << bit;
                let _ = load(&q);
            }
        }
    }
}
