//! A small, strict Universal Binary JSON decoder (the format of XGBoost's
//! `.ubj` models) into `serde_json::Value`, so the XGBoost frontend reads
//! both encodings through one code path.
//!
//! Strict: unknown markers, truncated data, trailing bytes, non-UTF-8
//! strings, NaN/inf numbers and absurd counts are errors with the byte
//! offset. Nesting depth is bounded and the decoder is iterative in depth
//! only up to that bound, so hostile input cannot overflow the stack.
//! float32 values (`d`) widen to f64 exactly, so the f32 bits survive.

use serde_json::{Map, Number, Value};

/// Deepest container nesting accepted (XGBoost models nest about 8 deep).
const MAX_NESTING: usize = 64;

/// A decoding error with the byte offset where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("UBJSON byte {offset}: {message}")]
pub struct UbjError {
    pub offset: usize,
    pub message: String,
}

/// Decode a whole UBJSON document.
pub fn decode(bytes: &[u8]) -> Result<Value, UbjError> {
    let mut r = Reader { b: bytes, pos: 0 };
    let marker = r.marker()?;
    let v = r.value(marker, 0)?;
    if r.pos != bytes.len() {
        return Err(r.err(format!(
            "{} trailing bytes after the document",
            bytes.len() - r.pos
        )));
    }
    Ok(v)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn err(&self, message: impl Into<String>) -> UbjError {
        UbjError {
            offset: self.pos,
            message: message.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], UbjError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| self.err(format!("truncated: need {n} more bytes")))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, UbjError> {
        Ok(self.take(1)?[0])
    }

    /// Next marker, skipping no-op markers.
    fn marker(&mut self) -> Result<u8, UbjError> {
        loop {
            let m = self.byte()?;
            if m != b'N' {
                return Ok(m);
            }
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], UbjError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn int_of(&mut self, marker: u8) -> Result<i64, UbjError> {
        Ok(match marker {
            b'i' => i64::from(i8::from_be_bytes(self.array()?)),
            b'U' => i64::from(self.byte()?),
            b'I' => i64::from(i16::from_be_bytes(self.array()?)),
            b'l' => i64::from(i32::from_be_bytes(self.array()?)),
            b'L' => i64::from_be_bytes(self.array()?),
            other => {
                return Err(self.err(format!("expected an integer marker, found {}", show(other))))
            }
        })
    }

    fn length(&mut self) -> Result<usize, UbjError> {
        let m = self.marker()?;
        let n = self.int_of(m)?;
        let n = usize::try_from(n).map_err(|_| self.err(format!("negative length {n}")))?;
        // Every element takes at least one byte: a count larger than the
        // rest of the input is corrupt, and must not drive an allocation.
        if n > self.b.len() - self.pos {
            return Err(self.err(format!(
                "length {n} exceeds the {} bytes left",
                self.b.len() - self.pos
            )));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, UbjError> {
        let n = self.length()?;
        let start = self.pos;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| UbjError {
            offset: start,
            message: "string is not valid UTF-8".into(),
        })
    }

    fn float(&self, x: f64) -> Result<Value, UbjError> {
        Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| self.err(format!("number {x} is not finite")))
    }

    fn value(&mut self, marker: u8, depth: usize) -> Result<Value, UbjError> {
        Ok(match marker {
            b'Z' => Value::Null,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' | b'U' | b'I' | b'l' | b'L' => Value::Number(self.int_of(marker)?.into()),
            b'd' => {
                let x = f32::from_be_bytes(self.array()?);
                self.float(f64::from(x))?
            }
            b'D' => {
                let x = f64::from_be_bytes(self.array()?);
                self.float(x)?
            }
            b'C' => Value::String(char::from(self.byte()?).to_string()),
            b'S' | b'H' => Value::String(self.string()?),
            b'[' | b'{' => {
                if depth >= MAX_NESTING {
                    return Err(self.err(format!("nesting deeper than {MAX_NESTING}")));
                }
                self.container(marker == b'{', depth + 1)?
            }
            other => return Err(self.err(format!("unknown marker {}", show(other)))),
        })
    }

    fn container(&mut self, is_object: bool, depth: usize) -> Result<Value, UbjError> {
        // Optional optimised header: `$` type, then `#` count (count only is
        // also allowed); with a count there is no closing marker.
        let mut elem_type: Option<u8> = None;
        let mut count: Option<usize> = None;
        let save = self.pos;
        let m = self.byte()?;
        if m == b'$' {
            elem_type = Some(self.byte()?);
            if self.byte()? != b'#' {
                return Err(self.err("a `$` type must be followed by a `#` count"));
            }
            count = Some(self.length()?);
        } else if m == b'#' {
            count = Some(self.length()?);
        } else {
            self.pos = save;
        }
        let close = if is_object { b'}' } else { b']' };
        let mut items: Vec<Value> = Vec::new();
        let mut map = Map::new();
        let mut i = 0usize;
        loop {
            if let Some(n) = count {
                if i == n {
                    break;
                }
            } else {
                let save = self.pos;
                let m = self.marker()?;
                if m == close {
                    break;
                }
                self.pos = save;
            }
            let key = if is_object {
                Some(self.string()?)
            } else {
                None
            };
            let marker = match elem_type {
                Some(t) => t,
                None => self.marker()?,
            };
            let v = self.value(marker, depth)?;
            match key {
                Some(k) => {
                    if map.insert(k.clone(), v).is_some() {
                        return Err(self.err(format!("duplicate key `{k}`")));
                    }
                }
                None => items.push(v),
            }
            i += 1;
        }
        Ok(if is_object {
            Value::Object(map)
        } else {
            Value::Array(items)
        })
    }
}

fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", char::from(b))
    } else {
        format!("0x{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_nested_and_typed_containers() {
        // {"a": [1, 2.5f32], "b": typed int32 array [7, -1], "s": "hi"}
        let mut b = vec![b'{'];
        b.extend([b'i', 1, b'a', b'[', b'i', 1, b'd']);
        b.extend(2.5f32.to_be_bytes());
        b.push(b']');
        b.extend([b'i', 1, b'b', b'[', b'$', b'l', b'#', b'i', 2]);
        b.extend(7i32.to_be_bytes());
        b.extend((-1i32).to_be_bytes());
        b.extend([b'i', 1, b's', b'S', b'i', 2, b'h', b'i', b'}']);
        let v = decode(&b).unwrap();
        assert_eq!(v["a"][1].as_f64(), Some(2.5));
        assert_eq!(v["b"][1].as_i64(), Some(-1));
        assert_eq!(v["s"], "hi");
    }

    #[test]
    fn float32_bits_survive() {
        let x = f32::from_bits(0x3DCC_CCCD); // 0.1f
        let mut b = vec![b'd'];
        b.extend(x.to_be_bytes());
        let v = decode(&b).unwrap();
        assert_eq!((v.as_f64().unwrap() as f32).to_bits(), 0x3DCC_CCCD);
    }

    #[test]
    fn rejects_corruption_without_panicking() {
        for bad in [
            &b"{"[..],
            b"[$l#i\x05\x00\x00",
            b"[#L\x7f\xff\xff\xff\xff\xff\xff\xff",
            b"\x01",
            b"Z Z",
            b"d\x7f\xc0\x00\x00",
        ] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
        let deep: Vec<u8> = std::iter::repeat_n(b'[', 100_000).collect();
        assert!(decode(&deep).is_err());
    }
}
