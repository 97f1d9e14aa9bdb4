//! Incident records from any serde data format (Python values through `pythonize`, JS values,
//! TOML, …) into the JSON value the incident reader validates, held to the same limits as
//! text: nesting depth, list length. A value with no JSON form (a float that is not finite, a
//! key that is not a string, a type the format cannot express) is an error made here, naming
//! the key path where it sits, so no binding invents codes or messages of its own.

use crate::incident::IncidentError;
use crate::limits::Limits;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt;

/// Read one record from `input`: a JSON value, or the error (code made here) with its path.
/// The record itself must be a map; depth and list length are checked while reading, so a
/// self-referencing or huge value stops early.
pub fn record<'de, D: Deserializer<'de>>(
    input: D,
    limits: &Limits,
) -> Result<Value, IncidentError> {
    let state = State {
        limits,
        path: RefCell::new(Vec::new()),
        failed_at: RefCell::new(None),
        error: RefCell::new(None),
    };
    let result = Seed {
        state: &state,
        depth: 0,
    }
    .deserialize(input);
    if let Some(e) = state.error.into_inner() {
        return Err(e);
    }
    let key = state.failed_at.into_inner().unwrap_or_default();
    match result {
        Ok(Value::Object(map)) => Ok(Value::Object(map)),
        Ok(other) => Err(IncidentError::not_a_record(kind_of(&other))),
        Err(e) => Err(IncidentError::not_data(&key, &e.to_string())),
    }
}

/// What kind of JSON value `v` is, in the words of a "found …" message (`a list`, `null`).
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[derive(Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

struct State<'l> {
    limits: &'l Limits,
    path: RefCell<Vec<Segment>>,
    /// The path of the innermost value the format failed on.
    failed_at: RefCell<Option<String>>,
    /// An error made here (limits, values with no JSON form): it wins over the format's.
    error: RefCell<Option<IncidentError>>,
}

impl State<'_> {
    fn key(&self) -> String {
        let mut key = String::new();
        for segment in self.path.borrow().iter() {
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

    /// Record an error made here and stop the format with a placeholder.
    fn fail<E: de::Error>(&self, e: IncidentError) -> E {
        self.error.borrow_mut().get_or_insert(e);
        E::custom("stopped")
    }

    /// Note where the format failed, innermost first.
    fn failed<E>(&self, e: E) -> E {
        if self.failed_at.borrow().is_none() {
            *self.failed_at.borrow_mut() = Some(self.key());
        }
        e
    }

    fn within<T, E>(&self, segment: Segment, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        self.path.borrow_mut().push(segment);
        let out = f().map_err(|e| self.failed(e));
        self.path.borrow_mut().pop();
        out
    }
}

#[derive(Clone, Copy)]
struct Seed<'s, 'l> {
    state: &'s State<'l>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self).map_err(|e| self.state.failed(e))
    }
}

impl Seed<'_, '_> {
    fn enter<E: de::Error>(self) -> Result<Self, E> {
        let max = self.state.limits.max_incident_depth;
        if self.depth >= max {
            return Err(self
                .state
                .fail(IncidentError::too_deep(&self.state.key(), max)));
        }
        Ok(Seed {
            state: self.state,
            depth: self.depth + 1,
        })
    }
}

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON-like data")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        // Beyond 64 bits: a float, so the reader reports it against its key.
        #[expect(
            clippy::cast_precision_loss,
            reason = "only to be reported as out of range"
        )]
        self.visit_f64(v as f64)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        #[expect(
            clippy::cast_precision_loss,
            reason = "only to be reported as out of range"
        )]
        self.visit_f64(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        match Number::from_f64(v) {
            Some(n) => Ok(Value::Number(n)),
            None => Err(self
                .state
                .fail(IncidentError::not_finite(&self.state.key(), &v.to_string()))),
        }
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Value, E> {
        Err(self
            .state
            .fail(IncidentError::not_data(&self.state.key(), "bytes")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let limit = self.state.limits.max_list_len;
        let key = || self.state.key();
        if let Some(len) = seq.size_hint().filter(|n| *n > limit) {
            return Err(self
                .state
                .fail(IncidentError::list_too_long(&key(), len, limit)));
        }
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let i = items.len();
            if i >= limit {
                return Err(self
                    .state
                    .fail(IncidentError::list_too_long(&key(), i + 1, limit)));
            }
            let next = self
                .state
                .within(Segment::Index(i), || seq.next_element_seed(inner))?;
            match next {
                Some(v) => items.push(v),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed(self.state))? {
            let value = self
                .state
                .within(Segment::Key(key.clone()), || map.next_value_seed(inner))?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// A map key: only strings are.
#[derive(Clone, Copy)]
struct KeySeed<'s, 'l>(&'s State<'l>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self).map_err(|e| self.0.failed(e))
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Err(self
            .0
            .fail(IncidentError::key_not_string(&self.0.key(), &v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Err(self
            .0
            .fail(IncidentError::key_not_string(&self.0.key(), &v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Err(self
            .0
            .fail(IncidentError::key_not_string(&self.0.key(), &v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Err(self
            .0
            .fail(IncidentError::key_not_string(&self.0.key(), &v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Err(self
            .0
            .fail(IncidentError::key_not_string(&self.0.key(), "None")))
    }
    fn visit_none<E: de::Error>(self) -> Result<String, E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self
            .0
            .fail(IncidentError::key_not_string(&self.0.key(), "a tuple")))
    }
}

fn made(
    code: &'static str,
    key: &str,
    expected: impl Into<String>,
    message: String,
) -> IncidentError {
    IncidentError {
        key: key.to_owned(),
        expected: expected.into(),
        message,
        code,
        line: None,
        column: None,
    }
}

/// Where in the record a key path points, in words: `the record` for the root.
fn place(key: &str) -> String {
    if key.is_empty() {
        "the record".to_owned()
    } else {
        format!("`{key}`")
    }
}

impl IncidentError {
    /// The record is not a map (`haven::incident::wrong_type`).
    pub fn not_a_record(found: &str) -> Self {
        made(
            "haven::incident::wrong_type",
            "",
            "an object (a dict)",
            format!("an incident must be an object (a dict), found {found}"),
        )
    }

    /// A value with no JSON form (`haven::incident::not_json`); `detail` says what it was.
    pub fn not_data(key: &str, detail: &str) -> Self {
        let at = place(key);
        made(
            "haven::incident::not_json",
            key,
            "JSON-like data (null, bool, number, string, list or object)",
            format!("{at} holds a value with no JSON form: {detail}"),
        )
    }

    /// `NaN` or an infinity (`haven::incident::not_json`).
    pub fn not_finite(key: &str, found: &str) -> Self {
        made(
            "haven::incident::not_json",
            key,
            "a finite number",
            format!("`{key}` must be a finite number, found {found}"),
        )
    }

    /// A map key that is not a string (`haven::incident::not_json`).
    pub fn key_not_string(key: &str, found: &str) -> Self {
        let at = place(key);
        made(
            "haven::incident::not_json",
            key,
            "string keys",
            format!("{at} has a key that is not a string: {found}"),
        )
    }

    /// Nested deeper than the limit, or a value that contains itself
    /// (`haven::incident::too_deep`).
    pub fn too_deep(key: &str, limit: usize) -> Self {
        made(
            "haven::incident::too_deep",
            key,
            format!("at most {limit} levels of nesting"),
            if key.is_empty() {
                format!("incident record is nested too deeply (limit {limit})")
            } else {
                format!("`{key}` is nested too deeply or contains itself (limit {limit})")
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::record;
    use crate::limits::Limits;

    fn read(text: &str) -> Result<serde_json::Value, crate::IncidentError> {
        let mut d = serde_json::Deserializer::from_str(text);
        record(&mut d, &Limits::default())
    }

    #[test]
    fn reads_records_and_names_what_is_not_one() {
        assert_eq!(
            read(r#"{"a":[1,{"b":null}]}"#).ok(),
            Some(serde_json::json!({"a":[1,{"b":null}]}))
        );
        let Err(e) = read("[1]") else {
            panic!("a list is no record")
        };
        assert_eq!(e.code, "haven::incident::wrong_type");
    }

    #[test]
    fn limits_apply_with_paths() {
        let deep = format!(
            "{}{}",
            "{\"a\":".repeat(40),
            "1".to_owned() + &"}".repeat(40)
        );
        let Err(e) = read(&deep) else {
            panic!("too deep")
        };
        assert_eq!(e.code, "haven::incident::too_deep");
        let long = format!("{{\"others\":[{}0]}}", "0,".repeat(1500));
        let Err(e) = read(&long) else {
            panic!("too long")
        };
        assert_eq!(e.code, "haven::incident::list_too_long");
        assert_eq!(e.key, "others");
    }
}
