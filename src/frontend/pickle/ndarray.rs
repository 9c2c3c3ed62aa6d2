//! numpy arrays as pickles describe them, decoded without numpy.
//!
//! An array arrives as `_reconstruct(ndarray, (0,), b"b")` plus the state
//! `(version, shape, dtype, is_fortran, raw bytes)`, as
//! `_frombuffer(buffer, dtype, shape, order)` (protocol 5), or as raw bytes
//! after a joblib `NumpyArrayWrapper`. The dtype is itself pickled:
//! `dtype("f8", False, True)` with a state carrying the byte order and, for
//! a structured dtype, the field names and byte offsets. Those offsets are
//! read from the file, never assumed.

use super::value::{Heap, Obj, Value};
use super::whitelist::Global;

/// Largest array, in bytes (also bounded by the file size).
const MAX_ARRAY_BYTES: usize = 1 << 31;

/// A numeric element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    F64,
    F32,
    I64,
    I32,
    I16,
    I8,
    U64,
    U32,
    U16,
    U8,
    Bool,
}

impl Scalar {
    fn size(self) -> usize {
        match self {
            Scalar::F64 | Scalar::I64 | Scalar::U64 => 8,
            Scalar::F32 | Scalar::I32 | Scalar::U32 => 4,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I8 | Scalar::U8 | Scalar::Bool => 1,
        }
    }

    fn parse(kind: char, size: usize) -> Option<Scalar> {
        Some(match (kind, size) {
            ('f', 8) => Scalar::F64,
            ('f', 4) => Scalar::F32,
            ('i', 8) => Scalar::I64,
            ('i', 4) => Scalar::I32,
            ('i', 2) => Scalar::I16,
            ('i', 1) => Scalar::I8,
            ('u', 8) => Scalar::U64,
            ('u', 4) => Scalar::U32,
            ('u', 2) => Scalar::U16,
            ('u', 1) => Scalar::U8,
            ('b', 1) => Scalar::Bool,
            _ => return None,
        })
    }
}

/// A field of a structured dtype.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Scalar,
    pub big_endian: bool,
    pub offset: usize,
}

/// An array element type.
#[derive(Debug, Clone, PartialEq)]
pub enum Dtype {
    Scalar {
        ty: Scalar,
        big_endian: bool,
    },
    Record {
        itemsize: usize,
        fields: Vec<Field>,
    },
    /// Python objects (`dtype=object`): not raw data.
    Object,
}

impl Dtype {
    pub fn itemsize(&self) -> usize {
        match self {
            Dtype::Scalar { ty, .. } => ty.size(),
            Dtype::Record { itemsize, .. } => *itemsize,
            Dtype::Object => 8,
        }
    }

    pub fn has_object(&self) -> bool {
        matches!(self, Dtype::Object)
    }
}

/// A decoded array: shape, element type and raw bytes in C or Fortran
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub fortran: bool,
    data: Vec<u8>,
}

/// Byte length of an array of `shape` (None on overflow or above the limit).
pub fn byte_len(dtype: &Dtype, shape: &[usize]) -> Option<usize> {
    let mut n = dtype.itemsize();
    for &d in shape {
        n = n.checked_mul(d)?;
    }
    (n <= MAX_ARRAY_BYTES).then_some(n)
}

impl NdArray {
    pub fn new(
        dtype: Dtype,
        shape: Vec<usize>,
        fortran: bool,
        data: Vec<u8>,
    ) -> Result<NdArray, String> {
        if dtype.has_object() {
            return Err(
                "array of Python objects (dtype=object) where numbers were expected".into(),
            );
        }
        let want = byte_len(&dtype, &shape).ok_or("array too large")?;
        if data.len() != want {
            return Err(format!(
                "array of shape {shape:?} and item size {} needs {want} bytes, the file has {}",
                dtype.itemsize(),
                data.len()
            ));
        }
        Ok(NdArray {
            dtype,
            shape,
            fortran,
            data,
        })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Byte offset of the element at `index` (one index per dimension).
    fn offset(&self, index: &[usize]) -> Option<usize> {
        if index.len() != self.shape.len() || index.iter().zip(&self.shape).any(|(i, d)| i >= d) {
            return None;
        }
        let mut flat = 0usize;
        if self.fortran {
            for (i, d) in index.iter().zip(&self.shape).rev() {
                flat = flat * d + i;
            }
        } else {
            for (i, d) in index.iter().zip(&self.shape) {
                flat = flat * d + i;
            }
        }
        Some(flat * self.dtype.itemsize())
    }

    /// The element at `index` as f64 (integers converted exactly when they fit).
    pub fn f64_at(&self, index: &[usize]) -> Option<f64> {
        let Dtype::Scalar { ty, big_endian } = self.dtype else {
            return None;
        };
        let off = self.offset(index)?;
        read_scalar(&self.data[off..off + ty.size()], ty, big_endian)
    }

    /// The element at `index` as an integer (floats refused).
    pub fn i64_at(&self, index: &[usize]) -> Option<i64> {
        let Dtype::Scalar { ty, big_endian } = self.dtype else {
            return None;
        };
        let off = self.offset(index)?;
        read_int(&self.data[off..off + ty.size()], ty, big_endian)
    }

    /// Every element of a one-dimensional array as f64.
    pub fn to_f64_vec(&self) -> Option<Vec<f64>> {
        if self.shape.len() != 1 {
            return None;
        }
        (0..self.shape[0]).map(|i| self.f64_at(&[i])).collect()
    }

    /// The field called `name` of a structured array.
    pub fn field(&self, name: &str) -> Option<&Field> {
        match &self.dtype {
            Dtype::Record { fields, .. } => fields.iter().find(|f| f.name == name),
            _ => None,
        }
    }

    /// Field `f` of record `i` of a one-dimensional structured array, as f64.
    pub fn record_f64(&self, i: usize, f: &Field) -> Option<f64> {
        let off = self.offset(&[i])? + f.offset;
        read_scalar(self.data.get(off..off + f.ty.size())?, f.ty, f.big_endian)
    }

    /// Field `f` of record `i`, as an integer.
    pub fn record_i64(&self, i: usize, f: &Field) -> Option<i64> {
        let off = self.offset(&[i])? + f.offset;
        read_int(self.data.get(off..off + f.ty.size())?, f.ty, f.big_endian)
    }
}

fn bytes8(b: &[u8], big_endian: bool) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    if big_endian {
        a.reverse();
    }
    a
}

fn fixed<const N: usize>(b: &[u8], big_endian: bool) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    if big_endian {
        a.reverse();
    }
    a
}

fn read_int(b: &[u8], ty: Scalar, be: bool) -> Option<i64> {
    Some(match ty {
        Scalar::I64 => i64::from_le_bytes(bytes8(b, be)),
        Scalar::U64 => i64::try_from(u64::from_le_bytes(bytes8(b, be))).ok()?,
        Scalar::I32 => i64::from(i32::from_le_bytes(fixed(b, be))),
        Scalar::U32 => i64::from(u32::from_le_bytes(fixed(b, be))),
        Scalar::I16 => i64::from(i16::from_le_bytes(fixed(b, be))),
        Scalar::U16 => i64::from(u16::from_le_bytes(fixed(b, be))),
        Scalar::I8 => i64::from(b[0] as i8),
        Scalar::U8 | Scalar::Bool => i64::from(b[0]),
        Scalar::F64 | Scalar::F32 => return None,
    })
}

fn read_scalar(b: &[u8], ty: Scalar, be: bool) -> Option<f64> {
    Some(match ty {
        Scalar::F64 => f64::from_le_bytes(bytes8(b, be)),
        Scalar::F32 => f64::from(f32::from_le_bytes(fixed(b, be))),
        _ => {
            let i = read_int(b, ty, be)?;
            // Integers beyond 2^53 would not convert exactly.
            if i.unsigned_abs() > 1u64 << 53 {
                return None;
            }
            i as f64
        }
    })
}

/// A pickled shape tuple.
pub fn shape(heap: &Heap, v: Value) -> Result<Vec<usize>, String> {
    let items = heap.tuple(v).ok_or("array shape is not a tuple")?;
    if items.len() > 8 {
        return Err(format!("array of {} dimensions", items.len()));
    }
    items
        .iter()
        .map(|d| match d {
            Value::Int(n) => usize::try_from(*n).map_err(|_| format!("negative dimension {n}")),
            _ => Err("array dimension is not an integer".to_string()),
        })
        .collect()
}

/// A pickled `numpy.dtype`.
pub fn dtype(heap: &Heap, v: Value) -> Result<Dtype, String> {
    dtype_at(heap, v, true)
}

fn dtype_at(heap: &Heap, v: Value, allow_record: bool) -> Result<Dtype, String> {
    let Some((Global::Dtype, args, state)) = heap.call(v) else {
        return Err("expected a numpy dtype".into());
    };
    let spec = args
        .first()
        .and_then(|a| heap.str(*a))
        .ok_or("numpy dtype without a type string")?;
    let mut chars = spec.chars();
    let kind = chars.next().ok_or("empty numpy dtype string")?;
    let size: usize = chars
        .as_str()
        .parse()
        .map_err(|_| format!("numpy dtype `{spec}`"))?;
    let st = state
        .and_then(|s| heap.tuple(s))
        .ok_or_else(|| format!("numpy dtype `{spec}` without its state"))?;
    let order = st.get(1).and_then(|o| heap.str(*o)).unwrap_or("|");
    let big_endian = match order {
        "<" | "|" => false,
        ">" => true,
        other => return Err(format!("numpy dtype `{spec}` has byte order `{other}`")),
    };
    if st.get(2).is_some_and(|s| *s != Value::None) {
        return Err(format!("numpy sub-array dtype `{spec}` is not supported"));
    }
    match kind {
        'O' => Ok(Dtype::Object),
        'V' => {
            if !allow_record {
                return Err("nested structured dtype is not supported".into());
            }
            let names = st
                .get(3)
                .and_then(|n| heap.tuple(*n))
                .ok_or("structured dtype without field names")?;
            let fields_v = *st.get(4).ok_or("structured dtype without fields")?;
            let itemsize = match st.get(5) {
                Some(Value::Int(n)) if *n > 0 => *n as usize,
                _ => size,
            };
            let mut fields = Vec::with_capacity(names.len());
            for n in names {
                let name = heap
                    .str(*n)
                    .ok_or("structured dtype field name is not a string")?;
                let desc = heap
                    .dict_get(fields_v, name)
                    .and_then(|d| heap.tuple(d))
                    .ok_or_else(|| {
                        format!("structured dtype has no description of field `{name}`")
                    })?;
                let (fd, off) = match desc {
                    [fd, Value::Int(off), ..] if *off >= 0 => (*fd, *off as usize),
                    _ => return Err(format!("structured dtype field `{name}` is malformed")),
                };
                let Dtype::Scalar { ty, big_endian } = dtype_at(heap, fd, false)? else {
                    return Err(format!("structured dtype field `{name}` is not numeric"));
                };
                if off + ty.size() > itemsize {
                    return Err(format!(
                        "structured dtype field `{name}` at byte {off} overruns the {itemsize}-byte record"
                    ));
                }
                fields.push(Field {
                    name: name.to_string(),
                    ty,
                    big_endian,
                    offset: off,
                });
            }
            Ok(Dtype::Record { itemsize, fields })
        }
        _ => Scalar::parse(kind, size)
            .map(|ty| Dtype::Scalar { ty, big_endian })
            .ok_or_else(|| format!("numpy dtype `{spec}` is not a supported numeric type")),
    }
}

/// A pickled numpy array, in any of the three encodings.
pub fn array(heap: &Heap, v: Value) -> Result<NdArray, String> {
    match heap.get(v) {
        Some(Obj::Array(a)) => return Ok(a.clone()),
        Some(Obj::Call { .. }) => {}
        _ => return Err("expected a numpy array".into()),
    }
    let Some((callable, args, state)) = heap.call(v) else {
        return Err("expected a numpy array".into());
    };
    match callable {
        Global::Reconstruct | Global::Reconstruct2 => {
            if !matches!(args.first(), Some(Value::Global(Global::Ndarray))) {
                return Err("numpy _reconstruct of something other than ndarray".into());
            }
            let st = state
                .and_then(|s| heap.tuple(s))
                .ok_or("numpy array without its state")?;
            let [_, shape_v, dtype_v, fortran_v, data_v] = st else {
                return Err(format!(
                    "numpy array state has {} items, expected 5",
                    st.len()
                ));
            };
            let dt = dtype(heap, *dtype_v)?;
            let shp = shape(heap, *shape_v)?;
            let fortran = matches!(fortran_v, Value::Bool(true) | Value::Int(1));
            if dt.has_object() {
                return Err(
                    "array of Python objects (dtype=object) where numbers were expected".into(),
                );
            }
            let data = heap
                .bytes(*data_v)
                .ok_or("numpy array data is not bytes")?
                .into_owned();
            NdArray::new(dt, shp, fortran, data)
        }
        Global::FromBuffer | Global::FromBuffer2 => {
            let [buf, dtype_v, shape_v, order_v] = args else {
                return Err("numpy _frombuffer with unexpected arguments".into());
            };
            let dt = dtype(heap, *dtype_v)?;
            let shp = shape(heap, *shape_v)?;
            let fortran = match heap.str(*order_v) {
                Some("C") => false,
                Some("F") => true,
                _ => return Err("numpy _frombuffer order is not `C` or `F`".into()),
            };
            let data = heap
                .bytes(*buf)
                .ok_or("numpy _frombuffer data is not bytes")?
                .into_owned();
            NdArray::new(dt, shp, fortran, data)
        }
        other => Err(format!("expected a numpy array, found {other}")),
    }
}

/// A pickled array of Python strings (`dtype=object`), e.g.
/// `feature_names_in_`.
pub fn str_array(heap: &Heap, v: Value) -> Option<Vec<String>> {
    let (callable, _, state) = heap.call(v)?;
    if !matches!(callable, Global::Reconstruct | Global::Reconstruct2) {
        return None;
    }
    let st = heap.tuple(state?)?;
    if !matches!(dtype(heap, *st.get(2)?), Ok(Dtype::Object)) {
        return None;
    }
    heap.seq(*st.get(4)?)?
        .iter()
        .map(|s| heap.str(*s).map(str::to_string))
        .collect()
}

/// A number: a Python int/float/bool or a numpy scalar
/// (`scalar(dtype, bytes)`).
pub fn number(heap: &Heap, v: Value) -> Option<f64> {
    match v {
        Value::Int(i) if i.unsigned_abs() <= 1u64 << 53 => Some(i as f64),
        Value::Float(f) => Some(f),
        Value::Bool(b) => Some(f64::from(u8::from(b))),
        _ => {
            let (callable, args, _) = heap.call(v)?;
            if !matches!(callable, Global::Scalar | Global::Scalar2) {
                return None;
            }
            let Dtype::Scalar { ty, big_endian } = dtype(heap, *args.first()?).ok()? else {
                return None;
            };
            let b = heap.bytes(*args.get(1)?)?;
            if b.len() != ty.size() {
                return None;
            }
            read_scalar(&b, ty, big_endian)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::pickle::load;

    /// `pickle.dumps(np.array([[1.5, -2.0, 3.25], [4.0, 5.5, -6.0]],
    /// dtype=">f8", order="F"), protocol=P)` from numpy 2.3.4, P = 2 and 5.
    const BIG_ENDIAN_FORTRAN_P2: &str = "8002636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a6e6461727261790a71014b00857102635f636f646563730a656e636f64650a7103580100000062710458060000006c6174696e317105867106527107877108527109284b014b024b0386710a636e756d70790a64747970650a710b58020000006638710c898887710d52710e284b0358010000003e710f4e4e4e4affffffff4affffffff4b007471106288680358330000003fc3b80000000000004010000000000000c380000000000000004016000000000000400a000000000000c3801800000000000071116805867112527113747114622e";
    const BIG_ENDIAN_FORTRAN_P5: &str = "800595a6000000000000008c136e756d70792e5f636f72652e6e756d65726963948c0b5f66726f6d627566666572949394289630000000000000003ff80000000000004010000000000000c0000000000000004016000000000000400a000000000000c018000000000000948c056e756d7079948c0564747970659493948c02663894898887945294284b038c013e944e4e4e4affffffff4affffffff4b007494624b024b0386948c014694749452942e";
    /// A structured array `[(1, 2.5), (-3, 4.0)]` whose dtype puts field
    /// `a` (<i8) at byte 8 and `b` (>f4) at byte 0 of a 16-byte record.
    const STRUCTURED_P4: &str = "80049508010000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e7374727563749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b02859468038c0564747970659493948c0356313694898887945294284b038c017c944e8c0161948c01629486947d94286811680c8c02693894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624b0886946812680c8c02663494898887945294284b038c013e944e4e4e4affffffff4affffffff4b007494624b008694754b104b014b1074946289432040200000b85500000100000000000000408000002e000000fdffffffffffffff947494622e";

    fn decode(hex_text: &str) -> NdArray {
        let bytes = hex::decode(hex_text).unwrap();
        let l = load(&bytes).unwrap();
        array(&l.heap, l.root).unwrap()
    }

    #[test]
    fn byte_order_and_fortran_layout() {
        for text in [BIG_ENDIAN_FORTRAN_P2, BIG_ENDIAN_FORTRAN_P5] {
            let a = decode(text);
            assert_eq!(a.shape, vec![2, 3]);
            assert!(a.fortran);
            let want = [[1.5, -2.0, 3.25], [4.0, 5.5, -6.0]];
            for (i, row) in want.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    assert_eq!(a.f64_at(&[i, j]), Some(*v), "[{i}, {j}]");
                }
            }
            assert_eq!(a.f64_at(&[2, 0]), None);
        }
    }

    #[test]
    fn structured_fields_use_the_pickled_offsets() {
        let a = decode(STRUCTURED_P4);
        let (fa, fb) = (a.field("a").unwrap().clone(), a.field("b").unwrap().clone());
        assert_eq!((fa.offset, fb.offset), (8, 0));
        assert!(fb.big_endian && !fa.big_endian);
        assert_eq!(a.record_i64(0, &fa), Some(1));
        assert_eq!(a.record_i64(1, &fa), Some(-3));
        assert_eq!(a.record_f64(0, &fb), Some(2.5));
        assert_eq!(a.record_f64(1, &fb), Some(4.0));
    }
}
