//! Answers as flat data for a binding that builds its host language's objects from them
//! (Python dicts and lists, JavaScript objects): any serde value written as a list of
//! [`Node`]s, every distinct string kept once per [`Nodes`] however many answers it holds.
//! A batch of decisions repeats its keys, action names, rule ids and citations from one
//! decision to the next; the binding makes each host string once, not once per use, and
//! the nodes are written without the host's lock (Python's GIL) held.

use crate::{Incident, Policy};
use serde::ser::{self, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::vec::Drain;

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

/// How a binding makes its host's values from nodes, for [`Nodes::build`].
pub trait Build {
    /// A host value.
    type Value;
    /// A failure to make one (the host's exception).
    type Error;
    /// A string (each distinct one once per [`Nodes`]).
    fn string(&mut self, text: &str) -> Result<Self::Value, Self::Error>;
    /// A [`Node::Null`], [`Node::Bool`], [`Node::Int`], [`Node::UInt`] or [`Node::Float`].
    fn scalar(&mut self, node: Node) -> Result<Self::Value, Self::Error>;
    /// A list of `items`.
    fn list(&mut self, items: Drain<'_, Self::Value>) -> Result<Self::Value, Self::Error>;
    /// A map of `entries`, key and value alternating.
    fn map(&mut self, entries: Drain<'_, Self::Value>) -> Result<Self::Value, Self::Error>;
}

/// Values written as nodes, with their strings.
#[derive(Clone, Debug, Default)]
pub struct Nodes {
    /// The nodes of every value written, one value after another.
    pub nodes: Vec<Node>,
    /// Each distinct string once (field names borrowed, not copied).
    pub strings: Vec<Cow<'static, str>>,
    /// The strings by [`hash`] of their text.
    index: HashMap<u64, u32, BuildHasherDefault<Hashed>>,
}

/// A string's hash: a multiply-rotate over 8-byte words, quick for the short keys and names
/// of answers (the standard SipHash would cost more than the Python string it saves).
fn hash(s: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut words = s.as_bytes().chunks_exact(8);
    let mut h = (&mut words).fold(s.len() as u64, |h, w| {
        mix(h, w.try_into().map_or(0, u64::from_le_bytes))
    });
    for &b in words.remainder() {
        h = mix(h, u64::from(b));
    }
    h ^ (h >> 29)
}

/// The hasher of [`Nodes::index`], whose keys are already hashes.
#[derive(Default)]
struct Hashed(u64);

impl Hasher for Hashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
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

    /// The decisions on `incidents`, in order, as nodes.
    pub fn decisions(policy: &Policy, incidents: &[Incident]) -> Result<Nodes, Unwritable> {
        let mut nodes = Nodes::new();
        let each = |i| nodes.write(&policy.evaluate(i));
        incidents.iter().try_for_each(each).map(|()| nodes)
    }

    /// Append `value`'s nodes. On an error the nodes written so far stay: start again.
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        value.serialize(&mut *self)
    }

    /// The values written, as `host` makes them, in writing order. Each distinct string is
    /// made once and shared (`Clone`) wherever it is used. Depth costs no stack: the walk
    /// keeps its own. A list or map the nodes leave open is closed at the end.
    pub fn build<B: Build>(&self, host: &mut B) -> Result<Vec<B::Value>, B::Error>
    where
        B::Value: Clone,
    {
        let strings =
            (self.strings.iter().map(|s| host.string(s))).collect::<Result<Vec<_>, _>>()?;
        let (mut values, mut open) = (Vec::new(), Vec::new());
        let close = |host: &mut B, values: &mut Vec<B::Value>, (start, map): (usize, bool)| {
            let items = values.drain(start..);
            let value = if map {
                host.map(items)
            } else {
                host.list(items)
            };
            value.map(|v| values.push(v))
        };
        for &node in &self.nodes {
            match node {
                Node::List | Node::Map => open.push((values.len(), node == Node::Map)),
                Node::End => match open.pop() {
                    Some(at) => close(host, &mut values, at)?,
                    None => continue,
                },
                Node::Str(i) => match usize::try_from(i).ok().and_then(|i| strings.get(i)) {
                    Some(s) => values.push(s.clone()),
                    None => values.push(host.scalar(Node::Null)?),
                },
                _ => values.push(host.scalar(node)?),
            }
        }
        while let Some(at) = open.pop() {
            close(host, &mut values, at)?;
        }
        Ok(values)
    }

    /// The node of string `s` (`owned` makes the copy kept when it is new).
    fn string(&mut self, s: &str, owned: impl FnOnce() -> Cow<'static, str>) -> Node {
        let h = hash(s);
        let known = self.index.get(&h).copied();
        let same = known.filter(|&i| {
            let at = usize::try_from(i).ok().and_then(|i| self.strings.get(i));
            at.is_some_and(|t| t == s)
        });
        if let Some(i) = same {
            return Node::Str(i);
        }
        let i = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.strings.push(owned());
        // (two strings with one hash: the first keeps the slot, the second is not shared)
        if known.is_none() {
            self.index.insert(h, i);
        }
        Node::Str(i)
    }

    /// The node of a field or variant name.
    fn name(&mut self, s: &'static str) -> Node {
        self.string(s, || Cow::Borrowed(s))
    }

    fn push(&mut self, node: Node) -> Result<(), Unwritable> {
        self.nodes.push(node);
        Ok(())
    }

    /// Open a list or map (inside a one-key map naming `variant`, if given).
    fn open(&mut self, node: Node, variant: Option<&'static str>) -> Result<Open<'_>, Unwritable> {
        if let Some(v) = variant {
            self.nodes.push(Node::Map);
            let key = self.name(v);
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

    fn field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        let key = self.nodes.name(key);
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
        let node = self.string(v, || Cow::Owned(v.to_owned()));
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
        let node = self.name(variant);
        self.push(node)
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
    use super::{Build, Node, Nodes};
    use serde_json::{json, Value};
    use std::vec::Drain;

    /// JSON values from nodes, as a binding builds its objects.
    struct Json;

    impl Build for Json {
        type Value = Value;
        type Error = ();
        fn string(&mut self, text: &str) -> Result<Value, ()> {
            Ok(json!(text))
        }
        fn scalar(&mut self, node: Node) -> Result<Value, ()> {
            Ok(match node {
                Node::Bool(b) => json!(b),
                Node::Int(i) => json!(i),
                Node::UInt(u) => json!(u),
                Node::Float(f) => json!(f),
                _ => Value::Null,
            })
        }
        fn list(&mut self, items: Drain<'_, Value>) -> Result<Value, ()> {
            Ok(Value::Array(items.collect()))
        }
        fn map(&mut self, mut entries: Drain<'_, Value>) -> Result<Value, ()> {
            let mut map = serde_json::Map::new();
            while let (Some(Value::String(k)), Some(v)) = (entries.next(), entries.next()) {
                map.insert(k, v);
            }
            Ok(Value::Object(map))
        }
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
        let expected = json!(["Unit", {"New": 1}, {"Tuple": [2, false]}, {"Struct": {"a": null}}]);
        let built = nodes.build(&mut Json);
        assert_eq!(built, Ok(vec![one.clone(), one.clone(), one, expected]));
        let distinct = ["a", "b", "c", "Unit", "New", "Tuple", "Struct"];
        assert_eq!(nodes.strings, distinct);
    }

    #[test]
    fn many_strings_keep_their_text() {
        let words: Vec<String> = (0..5000).map(|i| format!("w{i}")).collect();
        let mut nodes = Nodes::new();
        assert!(nodes.write(&words).is_ok() && nodes.write(&words).is_ok());
        let again = json!(words);
        assert_eq!(nodes.build(&mut Json), Ok(vec![again.clone(), again]));
        assert_eq!(nodes.strings.len(), 5000);
    }

    #[test]
    fn unbalanced_nodes_still_build() {
        let mut nodes = Nodes::new();
        assert!(nodes.write(&"s").is_ok());
        nodes
            .nodes
            .extend([Node::End, Node::List, Node::Int(1), Node::Map, Node::Str(9)]);
        nodes.nodes.push(Node::Bool(true));
        let built = nodes.build(&mut Json);
        assert_eq!(built, Ok(vec![json!("s"), json!([1, {}])]));
    }

    #[test]
    fn deep_nodes_build_without_recursion() {
        let mut nodes = Nodes::new();
        nodes.nodes.extend(std::iter::repeat_n(Node::List, 200_000));
        assert_eq!(nodes.build(&mut Depth), Ok(vec![200_000]));
    }

    /// Each value's depth of nesting.
    struct Depth;

    impl Build for Depth {
        type Value = usize;
        type Error = ();
        fn string(&mut self, _: &str) -> Result<usize, ()> {
            Ok(0)
        }
        fn scalar(&mut self, _: Node) -> Result<usize, ()> {
            Ok(0)
        }
        fn list(&mut self, items: Drain<'_, usize>) -> Result<usize, ()> {
            Ok(1 + items.max().unwrap_or(0))
        }
        fn map(&mut self, entries: Drain<'_, usize>) -> Result<usize, ()> {
            self.list(entries)
        }
    }
}
