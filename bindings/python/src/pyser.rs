//! A serde `Serializer` that builds Python objects: haven-core's `Decision` serialises itself
//! (the version-1 contract, docs/contract.md) straight into dicts, lists, strings, ints, bools and
//! `None`, in the contract's key order, with no `serde_json::Value` in between.
//!
//! Most strings in a decision come from the policy (keys, action and role names, citations),
//! so they repeat from one decision to the next. A [`StrCache`] hands out one shared Python
//! `str` per distinct text: no allocation, and the hash is already computed when it becomes
//! a dict key. Python strings are immutable, so sharing them is invisible to callers.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt as _;
use serde::ser::{self, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// Distinct strings a cache keeps at most; after that it stops adding (incident ids are the
/// only strings in a decision that need not come from the policy).
const MAX_CACHED: usize = 16_384;
/// Longest string worth caching, in bytes.
const MAX_CACHED_LEN: usize = 4_096;

/// Shared Python strings by text.
#[derive(Default)]
pub(crate) struct StrCache {
    strings: HashMap<Box<str>, Py<PyString>, foldhash::fast::RandomState>,
}

impl StrCache {
    fn get<'py>(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        if let Some(s) = self.strings.get(text) {
            return s.bind(py).clone();
        }
        let s = PyString::new(py, text);
        if self.strings.len() < MAX_CACHED && text.len() <= MAX_CACHED_LEN {
            self.strings.insert(text.into(), s.clone().unbind());
        }
        s
    }
}

/// A Python error raised while building the result.
#[derive(Debug)]
pub(crate) struct PySerError(pub(crate) PyErr);

impl fmt::Display for PySerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for PySerError {}

impl ser::Error for PySerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        PySerError(pyo3::exceptions::PyValueError::new_err(msg.to_string()))
    }
}

impl From<PyErr> for PySerError {
    fn from(e: PyErr) -> Self {
        PySerError(e)
    }
}

/// Serialise `value` into a Python object, sharing strings through `cache`.
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    cache: &RefCell<StrCache>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    value.serialize(PySerializer { py, cache }).map_err(|e| e.0)
}

#[derive(Clone, Copy)]
pub(crate) struct PySerializer<'c, 'py> {
    py: Python<'py>,
    cache: &'c RefCell<StrCache>,
}

type Out<'py> = Result<Bound<'py, PyAny>, PySerError>;

impl<'py> PySerializer<'_, 'py> {
    fn string(self, text: &str) -> Bound<'py, PyString> {
        match self.cache.try_borrow_mut() {
            Ok(mut cache) => cache.get(self.py, text),
            Err(_) => PyString::new(self.py, text),
        }
    }

    fn int<T: IntoPyObject<'py>>(self, v: T) -> Out<'py> {
        Ok(v.into_bound_py_any(self.py)?)
    }

    fn wrap(self, variant: &'static str, value: Bound<'py, PyAny>) -> Out<'py> {
        let dict = PyDict::new(self.py);
        dict.set_item(self.string(variant), value)?;
        Ok(dict.into_any())
    }
}

impl<'c, 'py> ser::Serializer for PySerializer<'c, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = PySerError;
    type SerializeSeq = SeqBuilder<'c, 'py>;
    type SerializeTuple = SeqBuilder<'c, 'py>;
    type SerializeTupleStruct = SeqBuilder<'c, 'py>;
    type SerializeTupleVariant = SeqBuilder<'c, 'py>;
    type SerializeMap = MapBuilder<'c, 'py>;
    type SerializeStruct = MapBuilder<'c, 'py>;
    type SerializeStructVariant = MapBuilder<'c, 'py>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Out<'py> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.int(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        self.int(v)
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        let mut buf = [0u8; 4];
        Ok(PyString::new(self.py, v.encode_utf8(&mut buf)).into_any())
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(self.string(v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        Ok(PyBytes::new(self.py, v).into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Out<'py> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let inner = value.serialize(self)?;
        self.wrap(variant, inner)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder<'c, 'py>, PySerError> {
        Ok(SeqBuilder {
            ser: self,
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder<'c, 'py>, PySerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'c, 'py>, PySerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'c, 'py>, PySerError> {
        let mut seq = self.serialize_seq(Some(len))?;
        seq.variant = Some(variant);
        Ok(seq)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder<'c, 'py>, PySerError> {
        Ok(MapBuilder {
            ser: self,
            dict: PyDict::new(self.py),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<MapBuilder<'c, 'py>, PySerError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder<'c, 'py>, PySerError> {
        let mut map = self.serialize_map(Some(len))?;
        map.variant = Some(variant);
        Ok(map)
    }
}

pub(crate) struct SeqBuilder<'c, 'py> {
    ser: PySerializer<'c, 'py>,
    items: Vec<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'py> SeqBuilder<'_, 'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), PySerError> {
        self.items.push(value.serialize(self.ser)?);
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        let list = PyList::new(self.ser.py, self.items)?.into_any();
        match self.variant {
            Some(variant) => self.ser.wrap(variant, list),
            None => Ok(list),
        }
    }
}

impl<'py> ser::SerializeSeq for SeqBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = PySerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), PySerError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for SeqBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = PySerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), PySerError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for SeqBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = PySerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), PySerError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleVariant for SeqBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = PySerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), PySerError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

pub(crate) struct MapBuilder<'c, 'py> {
    ser: PySerializer<'c, 'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'py> MapBuilder<'_, 'py> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), PySerError> {
        let value = value.serialize(self.ser)?;
        self.dict.set_item(self.ser.string(key), value)?;
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        let dict = self.dict.into_any();
        match self.variant {
            Some(variant) => self.ser.wrap(variant, dict),
            None => Ok(dict),
        }
    }
}

impl<'py> ser::SerializeMap for MapBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = PySerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), PySerError> {
        self.key = Some(key.serialize(self.ser)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), PySerError> {
        let value = value.serialize(self.ser)?;
        match self.key.take() {
            Some(key) => {
                self.dict.set_item(key, value)?;
                Ok(())
            }
            None => Err(ser::Error::custom("a map value came before its key")),
        }
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeStruct for MapBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = PySerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), PySerError> {
        self.field(key, value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeStructVariant for MapBuilder<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = PySerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), PySerError> {
        self.field(key, value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}
