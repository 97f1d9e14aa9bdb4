//! Python objects ↔ `serde_json::Value`: the only translation this binding does.
//!
//! Incoming records become the JSON value haven-core validates (docs/contract.md); decisions come
//! back as the version-1 JSON contract (docs/contract.md) built from plain dicts, lists, strings,
//! ints, bools and `None`. Nothing here knows what an incident means: a value the core
//! would reject (a string where an age belongs, an unknown key) passes through untouched so
//! that the core names the key and the expected type.

use haven_core::Limits;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Why a Python object has no JSON form. The binding turns it into a `haven.IncidentError`.
#[derive(Debug)]
pub(crate) struct ConvertError {
    /// Where, innermost segment last once [`ConvertError::key`] has put them in order.
    path: Vec<Segment>,
    pub(crate) kind: ConvertErrorKind,
}

#[derive(Debug)]
enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug)]
pub(crate) enum ConvertErrorKind {
    /// The record itself is not a dict.
    NotADict { found: String },
    /// A value of a type JSON has no room for (a set, a date, an object).
    Unsupported { found: String },
    /// `float('nan')` or an infinity.
    NotFinite { found: String },
    /// An int too large even for a float.
    TooLarge,
    /// A dict key that is not a string.
    NonStringKey { found: String },
    /// A string Python cannot encode as UTF-8 (a lone surrogate).
    BadString,
    /// Nested deeper than `Limits::max_incident_depth` (also stops self-referencing dicts).
    TooDeep { limit: usize },
    /// A list longer than `Limits::max_list_len`: stopped before converting its items.
    ListTooLong { len: usize, limit: usize },
}

impl ConvertError {
    fn new(kind: ConvertErrorKind) -> Self {
        ConvertError {
            path: Vec::new(),
            kind,
        }
    }

    fn within(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }

    /// The key path in haven-core's spelling: `actor.age`, `others[2].role`, `` for the
    /// record itself.
    pub(crate) fn key(&self) -> String {
        let mut key = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Key(k) => {
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(k);
                }
                Segment::Index(i) => {
                    key.push('[');
                    key.push_str(&i.to_string());
                    key.push(']');
                }
            }
        }
        key
    }
}

/// Convert one incident record. It must be a dict (or another mapping); its contents may be
/// any JSON-like data.
pub(crate) fn incident_to_json(
    record: &Bound<'_, PyAny>,
    limits: &Limits,
) -> Result<Value, ConvertError> {
    if !record.is_instance_of::<PyDict>() && record.cast::<PyMapping>().is_err() {
        return Err(ConvertError::new(ConvertErrorKind::NotADict {
            found: type_name(record),
        }));
    }
    to_json(record, 0, limits)
}

fn to_json(obj: &Bound<'_, PyAny>, depth: usize, limits: &Limits) -> Result<Value, ConvertError> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // `bool` before `int`: in Python, `True` is an `int`.
    if let Ok(b) = obj.cast_exact::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| ConvertError::new(ConvertErrorKind::BadString));
    }
    if obj.is_instance_of::<PyInt>() {
        return int_to_json(obj);
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let depth = enter(depth, limits.max_incident_depth)?;
        let mut map = Map::new();
        for (k, v) in dict.iter() {
            insert(&mut map, &k, &v, depth, limits)?;
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        let depth = enter(depth, limits.max_incident_depth)?;
        check_len(list.len(), limits)?;
        let mut items = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            items.push(to_json(&item, depth, limits).map_err(|e| e.within(Segment::Index(i)))?);
        }
        return Ok(Value::Array(items));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let x = f.value();
        return Number::from_f64(x).map(Value::Number).ok_or_else(|| {
            ConvertError::new(ConvertErrorKind::NotFinite {
                found: x.to_string(),
            })
        });
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        let depth = enter(depth, limits.max_incident_depth)?;
        check_len(tuple.len(), limits)?;
        let mut items = Vec::with_capacity(tuple.len());
        for (i, item) in tuple.iter().enumerate() {
            items.push(to_json(&item, depth, limits).map_err(|e| e.within(Segment::Index(i)))?);
        }
        return Ok(Value::Array(items));
    }
    // Any other `collections.abc.Mapping` (a `TypedDict` is a dict already): read its items.
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let depth = enter(depth, limits.max_incident_depth)?;
        let unsupported = || {
            ConvertError::new(ConvertErrorKind::Unsupported {
                found: type_name(obj),
            })
        };
        let items = mapping.items().map_err(|_| unsupported())?;
        let mut map = Map::new();
        for item in items.iter() {
            let (k, v) = item
                .extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()
                .map_err(|_| unsupported())?;
            insert(&mut map, &k, &v, depth, limits)?;
        }
        return Ok(Value::Object(map));
    }
    Err(ConvertError::new(ConvertErrorKind::Unsupported {
        found: type_name(obj),
    }))
}

/// One entry of a dict or mapping: the key must be a `str`.
fn insert(
    map: &mut Map<String, Value>,
    k: &Bound<'_, PyAny>,
    v: &Bound<'_, PyAny>,
    depth: usize,
    limits: &Limits,
) -> Result<(), ConvertError> {
    let Ok(k) = k.cast::<PyString>() else {
        return Err(ConvertError::new(ConvertErrorKind::NonStringKey {
            found: repr(k),
        }));
    };
    let Ok(k) = k.to_cow() else {
        return Err(ConvertError::new(ConvertErrorKind::BadString));
    };
    match to_json(v, depth, limits) {
        Ok(v) => {
            map.insert(k.into_owned(), v);
            Ok(())
        }
        Err(e) => Err(e.within(Segment::Key(k.into_owned()))),
    }
}

/// Ints keep their value when it fits in 64 bits; a larger one becomes a float so that
/// haven-core reports it (as out of range, or as the wrong type) against the key it sits at.
fn int_to_json(obj: &Bound<'_, PyAny>) -> Result<Value, ConvertError> {
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(Value::from(i));
    }
    if let Ok(u) = obj.extract::<u64>() {
        return Ok(Value::from(u));
    }
    obj.extract::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| ConvertError::new(ConvertErrorKind::TooLarge))
}

/// No list haven accepts is longer than `max_list_len`; stop before copying a longer one.
fn check_len(len: usize, limits: &Limits) -> Result<(), ConvertError> {
    if len > limits.max_list_len {
        return Err(ConvertError::new(ConvertErrorKind::ListTooLong {
            len,
            limit: limits.max_list_len,
        }));
    }
    Ok(())
}

fn enter(depth: usize, max_depth: usize) -> Result<usize, ConvertError> {
    let depth = depth + 1;
    if depth > max_depth {
        Err(ConvertError::new(ConvertErrorKind::TooDeep {
            limit: max_depth,
        }))
    } else {
        Ok(depth)
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .qualname()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "object".to_owned())
}

fn repr(obj: &Bound<'_, PyAny>) -> String {
    let text = obj
        .repr()
        .map(|r| r.to_string_lossy().into_owned())
        .unwrap_or_else(|_| type_name(obj));
    if text.chars().count() > 40 {
        let mut short: String = text.chars().take(40).collect();
        short.push('…');
        short
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::{ConvertError, ConvertErrorKind, Segment};

    fn at(segments: Vec<Segment>) -> String {
        // Segments are added innermost first, as the error travels out of the recursion.
        segments
            .into_iter()
            .fold(
                ConvertError::new(ConvertErrorKind::TooLarge),
                ConvertError::within,
            )
            .key()
    }

    #[test]
    fn key_paths_are_spelled_like_haven_core() {
        assert_eq!(at(vec![]), "");
        assert_eq!(
            at(vec![
                Segment::Key("age".into()),
                Segment::Key("actor".into())
            ]),
            "actor.age"
        );
        assert_eq!(
            at(vec![
                Segment::Key("role".into()),
                Segment::Index(2),
                Segment::Key("others".into())
            ]),
            "others[2].role"
        );
        assert_eq!(
            at(vec![
                Segment::Index(0),
                Segment::Index(1),
                Segment::Key("x".into())
            ]),
            "x[1][0]"
        );
    }
}
