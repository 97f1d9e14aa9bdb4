//! Reading a host language's values (Python's dicts and lists, …) with serde, for
//! [`super::data::record`]: the binding says what a value is and how to reach a map's keys
//! and values or a list's items by position; core walks them, and the host's own serde
//! reader takes every other value. A binding so needs no serde plumbing of its own for the
//! containers it can read faster than its generic reader does.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// What a host value is, for [`Host::shape`].
pub enum Shape<L> {
    /// A map: its keys and its values, in one order, taken before they are read (so a map
    /// changed while it is read is not seen half-changed).
    Map(L, L),
    /// A list's items.
    List(L),
    /// Anything else, read by [`Host::read_other`].
    Other,
}

/// A host language's value.
pub trait Host: Sized {
    /// A host sequence (e.g. a Python list) whose items are taken by position.
    type Items;
    /// The host reader's error.
    type Error: de::Error;
    /// What this value is.
    fn shape(&self) -> Shape<Self::Items>;
    /// How many items `items` holds.
    fn len(items: &Self::Items) -> usize;
    /// The item at `i` (below [`Host::len`]).
    fn get(items: &Self::Items, i: usize) -> Result<Self, Self::Error>;
    /// Read a value that is neither map nor list with the host's own serde reader.
    fn read_other<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error>;
}

/// A serde reader over a host value.
pub struct Reader<H>(pub H);

impl<'de, H: Host> Deserializer<'de> for Reader<H> {
    type Error = H::Error;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, H::Error> {
        let items = |keys, values| Items::<H> {
            keys,
            values,
            next: 0,
        };
        match self.0.shape() {
            Shape::Map(keys, values) => visitor.visit_map(items(Some(keys), values)),
            Shape::List(values) => visitor.visit_seq(items(None, values)),
            Shape::Other => self.0.read_other(visitor),
        }
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// A map's keys and values, or a list's items, and the position of the next.
struct Items<H: Host> {
    keys: Option<H::Items>,
    values: H::Items,
    next: usize,
}

impl<'de, H: Host> SeqAccess<'de> for Items<H> {
    type Error = H::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, H::Error> {
        // (lengths are checked: a host may make and drop an error past the end)
        if self.next >= H::len(&self.values) {
            return Ok(None);
        }
        let item = H::get(&self.values, self.next)?;
        self.next += 1;
        seed.deserialize(Reader(item)).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(H::len(&self.values).saturating_sub(self.next))
    }
}

impl<'de, H: Host> MapAccess<'de> for Items<H> {
    type Error = H::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, H::Error> {
        match &self.keys {
            Some(keys) if self.next < H::len(keys) => {
                seed.deserialize(Reader(H::get(keys, self.next)?)).map(Some)
            }
            _ => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, H::Error> {
        let value = H::get(&self.values, self.next)?;
        self.next += 1;
        seed.deserialize(Reader(value))
    }
}

#[cfg(test)]
mod tests {
    use super::{Host, Reader, Shape};
    use crate::limits::Limits;
    use serde::de::{Deserializer, Visitor};
    use serde_json::{json, Value};

    /// A host whose maps and lists are JSON values, and whose other values are read by
    /// `serde_json`'s own reader.
    struct Json(Value);

    impl Host for Json {
        type Items = Vec<Value>;
        type Error = serde_json::Error;
        fn shape(&self) -> Shape<Vec<Value>> {
            match &self.0 {
                Value::Object(m) => Shape::Map(
                    m.keys().map(|k| json!(k)).collect(),
                    m.values().cloned().collect(),
                ),
                Value::Array(items) => Shape::List(items.clone()),
                _ => Shape::Other,
            }
        }
        fn len(items: &Vec<Value>) -> usize {
            items.len()
        }
        fn get(items: &Vec<Value>, i: usize) -> Result<Json, serde_json::Error> {
            Ok(Json(items.get(i).cloned().unwrap_or(Value::Null)))
        }
        fn read_other<'de, V: Visitor<'de>>(self, v: V) -> Result<V::Value, serde_json::Error> {
            self.0.deserialize_any(v)
        }
    }

    #[test]
    fn host_values_read_as_records_with_limits() {
        let record = json!({"actor": {"role": "pupil", "age": 12}, "others": [{"age": 1.5}]});
        let read = super::super::data::record(Reader(Json(record.clone())), &Limits::default());
        assert_eq!(read.ok(), Some(record));
        let long = json!({ "others": vec![0; 1001] });
        let Err(e) = super::super::data::record(Reader(Json(long)), &Limits::default()) else {
            panic!("a long list was read");
        };
        assert_eq!(
            (e.code, e.key.as_str()),
            ("haven::incident::list_too_long", "others")
        );
    }
}
