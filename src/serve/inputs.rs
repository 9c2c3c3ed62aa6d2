//! The predict request body, `{"inputs": [[...], ...]}`, parsed straight
//! into row-major float32s.
//!
//! Why not through `serde_json::Value`: a tree of values costs tens of
//! bytes per number, so a body at the size cap would take many times the
//! cap while it is converted. Here the only allocation that grows with the
//! body is the output (4 bytes a cell), and a shape error stops the parse
//! at the value at fault.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;

/// A request the parser refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InputError {
    /// Not JSON at all (400).
    Syntax(String),
    /// Valid JSON of the wrong shape or value types (422).
    Shape(String),
    /// More rows than the server accepts (413).
    TooManyRows(String),
}

/// Parse `body` into row-major float32s and a row count.
pub(crate) fn parse(
    body: &[u8],
    n_features: usize,
    max_rows: usize,
) -> Result<(Vec<f32>, usize), InputError> {
    // The visitors put their own error here and hand serde a placeholder,
    // so the message reaches the client without serde's decoration.
    let fault = RefCell::new(None);
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = Body {
        out: &mut out,
        n_features,
        max_rows,
        fault: &fault,
    }
    .deserialize(&mut de)
    .and_then(|rows| de.end().map(|()| rows));
    match parsed {
        Ok(rows) => Ok((out, rows)),
        Err(e) => Err(fault.into_inner().unwrap_or_else(|| match e.classify() {
            serde_json::error::Category::Data => InputError::Shape(e.to_string()),
            _ => InputError::Syntax(e.to_string()),
        })),
    }
}

type Fault<'a> = &'a RefCell<Option<InputError>>;

fn fail<E: de::Error>(fault: Fault<'_>, e: InputError) -> E {
    *fault.borrow_mut() = Some(e);
    E::custom("refused")
}

/// Implements every `visit_*` but the ones a visitor accepts, each
/// refusing with `$refuse(self, description)`.
macro_rules! refuse_others {
    ($refuse:ident; $($method:ident($($arg:ident: $ty:ty),*) => $what:expr;)*) => {
        $(fn $method<E: de::Error>(self, $($arg: $ty),*) -> Result<Self::Value, E> {
            Err(self.$refuse($what))
        })*
    };
}

/// Refuses every JSON scalar (a container's visitor).
macro_rules! refuse_scalars {
    () => {
        refuse_others! { refuse;
            visit_bool(_v: bool) => String::new();
            visit_i64(_v: i64) => String::new();
            visit_u64(_v: u64) => String::new();
            visit_f64(_v: f64) => String::new();
            visit_str(_v: &str) => String::new();
            visit_unit() => String::new();
        }
    };
}

struct Body<'a> {
    out: &'a mut Vec<f32>,
    n_features: usize,
    max_rows: usize,
    fault: Fault<'a>,
}

impl Body<'_> {
    fn refuse<E: de::Error>(&self, _what: String) -> E {
        fail(
            self.fault,
            InputError::Shape(
                "the request body must be an object {\"inputs\": [[...], ...]}".into(),
            ),
        )
    }
}

impl<'de> DeserializeSeed<'de> for Body<'_> {
    type Value = usize;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Body<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object {\"inputs\": [[...], ...]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut rows = None;
        let mut unknown = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "inputs" && rows.is_none() {
                rows = Some(map.next_value_seed(Rows {
                    out: &mut *self.out,
                    n_features: self.n_features,
                    max_rows: self.max_rows,
                    fault: self.fault,
                })?);
            } else {
                // Read on: a missing `inputs` is the better message.
                map.next_value::<IgnoredAny>()?;
                if unknown.is_none() {
                    unknown = Some(if key == "inputs" {
                        "`inputs` is given twice".to_string()
                    } else {
                        format!("unknown field `{key}`")
                    });
                }
            }
        }
        let Some(rows) = rows else {
            return Err(fail(
                self.fault,
                InputError::Shape("the request has no `inputs`".into()),
            ));
        };
        match unknown {
            Some(m) => Err(fail(self.fault, InputError::Shape(m))),
            None => Ok(rows),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<usize, A::Error> {
        Err(self.refuse(String::new()))
    }

    refuse_scalars!();
}

struct Rows<'a> {
    out: &'a mut Vec<f32>,
    n_features: usize,
    max_rows: usize,
    fault: Fault<'a>,
}

impl Rows<'_> {
    fn refuse<E: de::Error>(&self, _what: String) -> E {
        fail(
            self.fault,
            InputError::Shape("`inputs` must be an array of rows".into()),
        )
    }
}

impl<'de> DeserializeSeed<'de> for Rows<'_> {
    type Value = usize;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut i = 0;
        loop {
            if i == self.max_rows {
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(fail(
                        self.fault,
                        InputError::TooManyRows(format!(
                            "more than {0} rows in one request; the server accepts at most {0} (--max-rows)",
                            self.max_rows
                        )),
                    ));
                }
                return Ok(i);
            }
            let row = Row {
                out: &mut *self.out,
                row: i,
                n_features: self.n_features,
                fault: self.fault,
            };
            if seq.next_element_seed(row)?.is_none() {
                return Ok(i);
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<usize, A::Error> {
        Err(self.refuse(String::new()))
    }

    refuse_scalars!();
}

struct Row<'a> {
    out: &'a mut Vec<f32>,
    row: usize,
    n_features: usize,
    fault: Fault<'a>,
}

impl Row<'_> {
    fn refuse<E: de::Error>(&self, _what: String) -> E {
        fail(
            self.fault,
            InputError::Shape(format!("inputs[{}] is not an array", self.row)),
        )
    }
}

impl<'de> DeserializeSeed<'de> for Row<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Row<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row of numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut j = 0;
        loop {
            let more = if j < self.n_features {
                let cell = Cell {
                    row: self.row,
                    col: j,
                    fault: self.fault,
                };
                match seq.next_element_seed(cell)? {
                    Some(x) => {
                        self.out.push(x);
                        true
                    }
                    None => false,
                }
            } else {
                // Count the extra values for the message.
                seq.next_element::<IgnoredAny>()?.is_some()
            };
            if !more {
                break;
            }
            j += 1;
        }
        if j != self.n_features {
            return Err(fail(
                self.fault,
                InputError::Shape(format!(
                    "inputs[{}] has {j} values; the model takes {} features",
                    self.row, self.n_features
                )),
            ));
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.refuse(String::new()))
    }

    refuse_scalars!();
}

/// One input value as float32: numbers round to nearest like C's `(float)`
/// (integers go through f64 first; beyond float32's range they become
/// infinities); null is missing (NaN).
struct Cell<'a> {
    row: usize,
    col: usize,
    fault: Fault<'a>,
}

impl Cell<'_> {
    fn refuse<E: de::Error>(&self, what: String) -> E {
        fail(
            self.fault,
            InputError::Shape(format!(
                "inputs[{}][{}] is {what}; expected a number, null (missing), \"nan\", \"inf\" or \"-inf\"",
                self.row, self.col
            )),
        )
    }
}

impl<'de> DeserializeSeed<'de> for Cell<'_> {
    type Value = f32;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<f32, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Cell<'_> {
    type Value = f32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, null, \"nan\", \"inf\" or \"-inf\"")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f32, E> {
        Ok(v as f32)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f32, E> {
        Ok(v as f64 as f32)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f32, E> {
        Ok(v as f64 as f32)
    }

    fn visit_unit<E: de::Error>(self) -> Result<f32, E> {
        Ok(f32::NAN)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f32, E> {
        match v {
            "nan" => Ok(f32::NAN),
            "inf" => Ok(f32::INFINITY),
            "-inf" => Ok(f32::NEG_INFINITY),
            _ => {
                let short: String = v.chars().take(32).collect();
                Err(self.refuse(format!("the string {short:?}")))
            }
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<f32, A::Error> {
        Err(self.refuse("an array".into()))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<f32, A::Error> {
        Err(self.refuse("an object".into()))
    }

    refuse_others! { refuse;
        visit_bool(v: bool) => format!("the boolean {v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The conversion through `serde_json::Value`, as a reference.
    fn via_value(body: &str) -> Vec<u32> {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter())
            .map(|c| match c {
                serde_json::Value::Null => f32::NAN,
                serde_json::Value::Number(n) => n.as_f64().unwrap() as f32,
                serde_json::Value::String(s) if s == "inf" => f32::INFINITY,
                serde_json::Value::String(s) if s == "-inf" => f32::NEG_INFINITY,
                other => {
                    assert_eq!(other, "nan");
                    f32::NAN
                }
            })
            .map(f32::to_bits)
            .collect()
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<f64>().prop_map(|x| format!("{x:e}")),
            any::<f64>().prop_map(|x| format!("{x}")),
            any::<i64>().prop_map(|x| x.to_string()),
            any::<u64>().prop_map(|x| x.to_string()),
            any::<f32>().prop_map(|x| format!("{x}")),
            prop::sample::select(vec![
                "null",
                "\"nan\"",
                "\"inf\"",
                "\"-inf\"",
                "-0",
                "-0.0",
                "1e-400",
                "3.4028236e38",
                "16777217",
                "9007199254740993",
                "1.401298464324817e-45",
                "\"\\u006ean\"",
            ])
            .prop_map(String::from),
        ]
    }

    proptest! {
        #[test]
        fn streaming_parse_matches_value_conversion(
            rows in prop::collection::vec(prop::collection::vec(cell(), 3), 0..6)
        ) {
            let rows: Vec<String> = rows.iter().map(|r| format!("[{}]", r.join(","))).collect();
            let body = format!("{{ \"inputs\" : [{}] }}", rows.join(" , "));
            let (flat, n) = parse(body.as_bytes(), 3, 10).unwrap();
            prop_assert_eq!(n, rows.len());
            let got: Vec<u32> = flat.iter().map(|x| x.to_bits()).collect();
            prop_assert_eq!(got, via_value(&body));
        }
    }

    #[test]
    fn each_fault_is_named() {
        let err = |b: &str| parse(b.as_bytes(), 2, 3).unwrap_err();
        let shape = |b: &str| match err(b) {
            InputError::Shape(m) => m,
            other => panic!("{b}: {other:?}"),
        };
        assert!(shape("[]").contains("must be an object"));
        assert!(shape("3").contains("must be an object"));
        assert_eq!(shape("{}"), "the request has no `inputs`");
        assert_eq!(
            shape(r#"{"rows": [], "x": 1}"#),
            "the request has no `inputs`"
        );
        assert_eq!(shape(r#"{"inputs": [], "x": 1}"#), "unknown field `x`");
        assert_eq!(
            shape(r#"{"inputs": [], "inputs": []}"#),
            "`inputs` is given twice"
        );
        assert_eq!(
            shape(r#"{"inputs": {}}"#),
            "`inputs` must be an array of rows"
        );
        assert_eq!(
            shape(r#"{"inputs": [[1,2], 3]}"#),
            "inputs[1] is not an array"
        );
        assert_eq!(
            shape(r#"{"inputs": [[1,2,3,4]]}"#),
            "inputs[0] has 4 values; the model takes 2 features"
        );
        assert_eq!(
            shape(r#"{"inputs": [[1]]}"#),
            "inputs[0] has 1 values; the model takes 2 features"
        );
        let cell_msg = |what: &str| {
            format!("inputs[0][1] is {what}; expected a number, null (missing), \"nan\", \"inf\" or \"-inf\"")
        };
        assert_eq!(
            shape(r#"{"inputs": [[1, true]]}"#),
            cell_msg("the boolean true")
        );
        assert_eq!(
            shape(r#"{"inputs": [[1, "x"]]}"#),
            cell_msg("the string \"x\"")
        );
        assert_eq!(shape(r#"{"inputs": [[1, [2]]]}"#), cell_msg("an array"));
        assert_eq!(shape(r#"{"inputs": [[1, {}]]}"#), cell_msg("an object"));
        assert_eq!(
            err(r#"{"inputs": [[1,2],[1,2],[1,2],[1,2]]}"#),
            InputError::TooManyRows(
                "more than 3 rows in one request; the server accepts at most 3 (--max-rows)".into()
            )
        );
        for syntax in [
            "",
            "{",
            r#"{"inputs": [[1,2]]} x"#,
            r#"{"inputs": [[1e999, 2]]}"#,
            "\u{feff}{}",
        ] {
            assert!(matches!(err(syntax), InputError::Syntax(_)), "{syntax:?}");
        }
        // A deeply nested value is skipped without recursion (serde_json
        // keeps an explicit stack) and refused by its key.
        let deep = format!(
            "{{\"x\": {}{}, \"inputs\": []}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(shape(&deep), "unknown field `x`");
        let deep = format!(
            "{{\"inputs\": {}{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(matches!(
            err(&deep),
            InputError::Shape(_) | InputError::Syntax(_)
        ));
    }
}
