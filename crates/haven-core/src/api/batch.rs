//! Answers as flat data for a binding that builds its host language's objects from them
//! (Python dicts and lists, JavaScript objects): any serde value written as a list of
//! [`Node`]s, every distinct string kept once per [`Nodes`] however many answers it holds.
//! A batch of decisions repeats its keys, action names, rule ids and citations from one
//! decision to the next; the binding makes each host string once, not once per use, and
//! the nodes are written without the host's lock (Python's GIL) held.

use serde::ser::{self, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;

/// One piece of a value, in writing order. A list's or map's items follow it up to its
/// [`Node::End`]; a map's items alternate key and value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Node {
    /// `null` (`None`, a unit).
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer beyond `i64`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// The string at this index of [`Nodes::strings`].
    Str(u32),
    /// A list starts.
    List,
    /// A map starts.
    Map,
    /// The innermost open list or map ends.
    End,
}

/// Values written as nodes, with their strings.
#[derive(Clone, Debug, Default)]
pub struct Nodes {
    /// The nodes of every value written, one value after another.
    pub nodes: Vec<Node>,
    /// Each distinct string once.
    pub strings: Vec<String>,
    index: HashMap<String, u32>,
}

/// A value that has no node form (never for haven's answers).
#[derive(Debug)]
pub struct Unwritable(String);

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unwritable {}

impl ser::Error for Unwritable {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Unwritable(msg.to_string())
    }
}

impl Nodes {
    /// No values yet.
    pub fn new() -> Self {
        Nodes::default()
    }

    /// Append `value`'s nodes. On an error the nodes written so far stay: start again.
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        value.serialize(&mut *self)
    }

    fn string(&mut self, s: &str) -> Node {
        if let Some(&i) = self.index.get(s) {
            return Node::Str(i);
        }
        let i = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.strings.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        Node::Str(i)
    }

    fn push(&mut self, node: Node) -> Result<(), Unwritable> {
        self.nodes.push(node);
        Ok(())
    }

    /// Open a list or map (inside a one-key map naming `variant`, if given).
    fn open(&mut self, node: Node, variant: Option<&str>) -> Result<Open<'_>, Unwritable> {
        if let Some(v) = variant {
            self.nodes.push(Node::Map);
            let key = self.string(v);
            self.nodes.push(key);
        }
        self.nodes.push(node);
        Ok(Open {
            nodes: self,
            ends: 1 + usize::from(variant.is_some()),
        })
    }
}

/// An open list or map: `ends` nodes close it.
pub struct Open<'n> {
    nodes: &'n mut Nodes,
    ends: usize,
}

impl Open<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        value.serialize(&mut *self.nodes)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Unwritable> {
        let key = self.nodes.string(key);
        self.nodes.nodes.push(key);
        self.item(value)
    }

    fn close(self) -> Result<(), Unwritable> {
        let ends = std::iter::repeat_n(Node::End, self.ends);
        self.nodes.nodes.extend(ends);
        Ok(())
    }
}

impl<'n> Serializer for &'n mut Nodes {
    type Ok = ();
    type Error = Unwritable;
    type SerializeSeq = Open<'n>;
    type SerializeTuple = Open<'n>;
    type SerializeTupleStruct = Open<'n>;
    type SerializeTupleVariant = Open<'n>;
    type SerializeMap = Open<'n>;
    type SerializeStruct = Open<'n>;
    type SerializeStructVariant = Open<'n>;

    fn serialize_bool(self, v: bool) -> Result<(), Unwritable> {
        self.push(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unwritable> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unwritable> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unwritable> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unwritable> {
        self.push(Node::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unwritable> {
        self.serialize_i64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unwritable> {
        self.serialize_i64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unwritable> {
        self.serialize_i64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unwritable> {
        self.push(i64::try_from(v).map_or(Node::UInt(v), Node::Int))
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unwritable> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unwritable> {
        self.push(Node::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<(), Unwritable> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Unwritable> {
        let node = self.string(v);
        self.push(node)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unwritable> {
        v.serialize(self)
    }
    fn serialize_none(self) -> Result<(), Unwritable> {
        self.push(Node::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unwritable> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unwritable> {
        self.push(Node::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unwritable> {
        self.push(Node::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Unwritable> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        let mut map = self.open(Node::Map, None)?;
        map.field(variant, value)?;
        map.close()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Open<'n>, Unwritable> {
        self.open(Node::List, None)
    }
    fn serialize_tuple(self, _: usize) -> Result<Open<'n>, Unwritable> {
        self.open(Node::List, None)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Open<'n>, Unwritable> {
        self.open(Node::List, None)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Open<'n>, Unwritable> {
        self.open(Node::List, Some(variant))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Open<'n>, Unwritable> {
        self.open(Node::Map, None)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Open<'n>, Unwritable> {
        self.open(Node::Map, None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Open<'n>, Unwritable> {
        self.open(Node::Map, Some(variant))
    }
}

impl ser::SerializeSeq for Open<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        self.item(value)
    }
    fn end(self) -> Result<(), Unwritable> {
        self.close()
    }
}

impl ser::SerializeTuple for Open<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        self.item(value)
    }
    fn end(self) -> Result<(), Unwritable> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Open<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        self.item(value)
    }
    fn end(self) -> Result<(), Unwritable> {
        self.close()
    }
}

impl ser::SerializeTupleVariant for Open<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        self.item(value)
    }
    fn end(self) -> Result<(), Unwritable> {
        self.close()
    }
}

impl ser::SerializeMap for Open<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unwritable> {
        self.item(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        self.item(value)
    }
    fn end(self) -> Result<(), Unwritable> {
        self.close()
    }
}

impl ser::SerializeStruct for Open<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Unwritable> {
        self.close()
    }
}

impl ser::SerializeStructVariant for Open<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Unwritable> {
        self.close()
    }
}

#[cfg(test)]
mod tests {
    use super::{Node, Nodes};
    use serde_json::{json, Value};

    /// The nodes back into a JSON value, as a binding builds its objects.
    fn value(nodes: &Nodes, at: &mut std::slice::Iter<'_, Node>) -> Option<Value> {
        Some(match *at.next()? {
            Node::Null => Value::Null,
            Node::Bool(b) => json!(b),
            Node::Int(i) => json!(i),
            Node::UInt(u) => json!(u),
            Node::Float(f) => json!(f),
            Node::Str(i) => json!(nodes.strings.get(usize::try_from(i).ok()?)?),
            Node::List => {
                let mut items = Vec::new();
                while at.as_slice().first() != Some(&Node::End) {
                    items.push(value(nodes, at)?);
                }
                at.next();
                Value::Array(items)
            }
            Node::Map => {
                let mut map = serde_json::Map::new();
                while at.as_slice().first() != Some(&Node::End) {
                    let key = value(nodes, at)?.as_str()?.to_owned();
                    map.insert(key, value(nodes, at)?);
                }
                at.next();
                Value::Object(map)
            }
            Node::End => return None,
        })
    }

    #[test]
    fn values_round_trip_and_strings_are_kept_once() {
        #[derive(serde::Serialize)]
        enum E {
            Unit,
            New(u8),
            Tuple(u8, bool),
            Struct { a: Option<f64> },
        }
        let one = json!({"a": [1, -2, 3.5, null, true], "b": {"a": "a"}, "c": u64::MAX});
        let mut nodes = Nodes::new();
        for _ in 0..3 {
            assert!(nodes.write(&one).is_ok());
        }
        let variants = [
            E::Unit,
            E::New(1),
            E::Tuple(2, false),
            E::Struct { a: None },
        ];
        assert!(nodes.write(&variants).is_ok());
        let mut at = nodes.nodes.iter();
        for _ in 0..3 {
            assert_eq!(value(&nodes, &mut at), Some(one.clone()));
        }
        let expected = json!(["Unit", {"New": 1}, {"Tuple": [2, false]}, {"Struct": {"a": null}}]);
        assert_eq!(value(&nodes, &mut at), Some(expected));
        assert!(at.next().is_none());
        let distinct = ["a", "b", "c", "Unit", "New", "Tuple", "Struct"];
        assert_eq!(nodes.strings, distinct);
    }
}
