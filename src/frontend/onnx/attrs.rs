//! Typed access to an ONNX node's attributes, `_as_tensor` forms included.
//!
//! The tree-ensemble operators carry their trees as parallel attribute
//! arrays; each one may come as a list (`ints`, `floats`, `strings`) or,
//! from ai.onnx.ml opset 3, as a tensor (`nodes_values_as_tensor` and so
//! on, float or double). This module reads both into one shape and names
//! the attribute in every error.

use super::proto::{attribute_proto::AttributeType, tensor_proto::DataType, AttributeProto};
use super::proto::{NodeProto, TensorProto};
use std::collections::BTreeMap;

/// Numbers read from an attribute, and whether they were doubles (which
/// matters for exactness: a float attribute widened to f64 is exact).
#[derive(Debug, Clone, PartialEq)]
pub struct Numbers {
    pub values: Vec<f64>,
    pub double: bool,
}

/// A node's attributes by name.
pub struct Attrs<'a> {
    by_name: BTreeMap<&'a str, &'a AttributeProto>,
}

impl<'a> Attrs<'a> {
    /// Index the attributes; a repeated name is an error.
    pub fn new(node: &'a NodeProto) -> Result<Attrs<'a>, String> {
        let mut by_name = BTreeMap::new();
        for a in &node.attribute {
            if by_name.insert(a.name(), a).is_some() {
                return Err(format!("attribute `{}` appears twice", a.name()));
            }
        }
        Ok(Attrs { by_name })
    }

    fn get(&self, name: &str, want: AttributeType) -> Result<Option<&'a AttributeProto>, String> {
        match self.by_name.get(name) {
            None => Ok(None),
            Some(a) => {
                // Old writers leave `type` unset; then the filled field decides.
                match a.r#type {
                    Some(t) if t != want as i32 && t != AttributeType::Undefined as i32 => {
                        return Err(format!(
                            "attribute `{name}` has type {} where {} is expected",
                            type_name(t),
                            want.as_str_name()
                        ));
                    }
                    _ => {}
                }
                Ok(Some(a))
            }
        }
    }

    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, String> {
        Ok(self.get(name, AttributeType::Ints)?.map(|a| a.ints.clone()))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, String> {
        Ok(self.get(name, AttributeType::Int)?.and_then(|a| a.i))
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, String> {
        match self.get(name, AttributeType::String)? {
            None => Ok(None),
            Some(a) => {
                let s = a.s.as_deref().unwrap_or_default();
                String::from_utf8(s.to_vec())
                    .map(Some)
                    .map_err(|_| format!("attribute `{name}` is not UTF-8"))
            }
        }
    }

    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, String> {
        match self.get(name, AttributeType::Strings)? {
            None => Ok(None),
            Some(a) => a
                .strings
                .iter()
                .map(|s| {
                    String::from_utf8(s.clone())
                        .map_err(|_| format!("attribute `{name}` holds a string that is not UTF-8"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }

    /// A float list `name` or its tensor form `name_as_tensor` (float or
    /// double); both present is an error.
    pub fn numbers(&self, name: &str) -> Result<Option<Numbers>, String> {
        let tensor_name = format!("{name}_as_tensor");
        let list = self.get(name, AttributeType::Floats)?;
        let tensor = self.tensor(&tensor_name)?;
        match (list, tensor) {
            (Some(_), Some(_)) => Err(format!(
                "both `{name}` and `{tensor_name}` are given; a model has one or the other"
            )),
            (Some(a), None) => Ok(Some(Numbers {
                values: a.floats.iter().map(|&f| f64::from(f)).collect(),
                double: false,
            })),
            (None, Some(t)) => tensor_numbers(&tensor_name, t).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// The tensor attribute `name`.
    pub fn tensor(&self, name: &str) -> Result<Option<&'a TensorProto>, String> {
        Ok(self
            .get(name, AttributeType::Tensor)?
            .and_then(|a| a.t.as_ref()))
    }
}

fn type_name(t: i32) -> &'static str {
    AttributeType::try_from(t)
        .map(|t| t.as_str_name())
        .unwrap_or("unknown")
}

/// The element count a tensor's dims declare.
fn element_count(name: &str, t: &TensorProto) -> Result<usize, String> {
    t.dims.iter().try_fold(1usize, |acc, &d| {
        usize::try_from(d)
            .ok()
            .and_then(|d| acc.checked_mul(d))
            .ok_or_else(|| format!("tensor `{name}` has an invalid shape {:?}", t.dims))
    })
}

/// The numbers of a float or double tensor (typed fields or raw
/// little-endian bytes), checked against its shape.
pub fn tensor_numbers(name: &str, t: &TensorProto) -> Result<Numbers, String> {
    if t.data_location == Some(1) {
        return Err(format!(
            "tensor `{name}` is stored in an external file; only embedded data is read"
        ));
    }
    let n = element_count(name, t)?;
    let (values, double) = if t.data_type == Some(DataType::Float as i32) {
        let v: Vec<f64> = match &t.raw_data {
            Some(raw) if !raw.is_empty() || t.float_data.is_empty() => raw_chunks::<4>(name, raw)?
                .map(|b| f64::from(f32::from_le_bytes(b)))
                .collect(),
            _ => t.float_data.iter().map(|&f| f64::from(f)).collect(),
        };
        (v, false)
    } else if t.data_type == Some(DataType::Double as i32) {
        let v: Vec<f64> = match &t.raw_data {
            Some(raw) if !raw.is_empty() || t.double_data.is_empty() => raw_chunks::<8>(name, raw)?
                .map(f64::from_le_bytes)
                .collect(),
            _ => t.double_data.clone(),
        };
        (v, true)
    } else {
        return Err(format!(
            "tensor `{name}` has element type {}; float or double is expected",
            data_type_name(t.data_type.unwrap_or(0))
        ));
    };
    if values.len() != n {
        return Err(format!(
            "tensor `{name}` holds {} values but its shape {:?} says {n}",
            values.len(),
            t.dims
        ));
    }
    Ok(Numbers { values, double })
}

/// The bytes of a uint8 tensor (opset-5 `nodes_modes`).
pub fn tensor_u8(name: &str, t: &TensorProto) -> Result<Vec<u8>, String> {
    let n = element_count(name, t)?;
    if t.data_type != Some(DataType::Uint8 as i32) {
        return Err(format!(
            "tensor `{name}` has element type {}; uint8 is expected",
            data_type_name(t.data_type.unwrap_or(0))
        ));
    }
    let v: Vec<u8> = match &t.raw_data {
        Some(raw) if !raw.is_empty() || t.int32_data.is_empty() => raw.clone(),
        _ => t
            .int32_data
            .iter()
            .map(|&i| u8::try_from(i).map_err(|_| format!("tensor `{name}`: {i} is not a uint8")))
            .collect::<Result<_, _>>()?,
    };
    if v.len() != n {
        return Err(format!(
            "tensor `{name}` holds {} values but its shape {:?} says {n}",
            v.len(),
            t.dims
        ));
    }
    Ok(v)
}

fn raw_chunks<'b, const N: usize>(
    name: &str,
    raw: &'b [u8],
) -> Result<impl Iterator<Item = [u8; N]> + 'b, String> {
    if raw.len() % N != 0 {
        return Err(format!(
            "tensor `{name}`: {} raw bytes is not a whole number of {N}-byte values",
            raw.len()
        ));
    }
    Ok(raw.chunks_exact(N).map(|c| {
        let mut b = [0u8; N];
        b.copy_from_slice(c);
        b
    }))
}

/// The name of an ONNX element type, for messages.
pub fn data_type_name(t: i32) -> &'static str {
    DataType::try_from(t)
        .map(|t| t.as_str_name())
        .unwrap_or("unknown")
}
