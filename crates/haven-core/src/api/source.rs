//! Policy text that comes as UTF-16 code units (a Python `str` encoded with
//! `surrogatepass`, a JavaScript string): well-formed text as a `String`, or a text holding
//! half of a surrogate pair as a located `haven::source::unpaired_surrogate` error at the
//! first one, rather than compiling altered text.

use crate::CompileError;

/// Decode UTF-16 `units`; `name` labels the text in the error.
pub fn from_utf16(
    name: &str,
    units: impl IntoIterator<Item = u16>,
) -> Result<String, CompileError> {
    let (mut text, mut first) = (String::new(), None);
    for c in char::decode_utf16(units) {
        if c.is_err() {
            first.get_or_insert(text.len());
        }
        text.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    match first {
        None => Ok(text),
        Some(offset) => Err(crate::unpaired_surrogate(name, text, offset)),
    }
}

/// Decode UTF-16 little-endian `bytes` (a Python `str` encoded with `surrogatepass`); an odd
/// last byte is dropped, as it can hold no code unit.
pub fn from_utf16_le(name: &str, bytes: &[u8]) -> Result<String, CompileError> {
    let (pairs, _) = bytes.as_chunks::<2>();
    from_utf16(name, pairs.iter().map(|&p| u16::from_le_bytes(p)))
}

#[cfg(test)]
mod tests {
    use super::{from_utf16, from_utf16_le};

    #[test]
    fn lone_surrogates_are_located_errors() {
        let ok: Vec<u16> = "policy ✓ 😀".encode_utf16().collect();
        assert_eq!(from_utf16("p", ok).ok().as_deref(), Some("policy ✓ 😀"));
        let units = [u16::from(b'a'), u16::from(b'\n'), 0xd83d, u16::from(b'b')];
        let Err(err) = from_utf16("p.haven", units) else {
            panic!("a lone surrogate decoded");
        };
        let d = err.detailed();
        let first = d.first().map(|d| (d.code.as_str(), d.line, d.column));
        assert_eq!(
            first,
            Some(("haven::source::unpaired_surrogate", Some(2), Some(1)))
        );
        let le: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        let same = from_utf16_le("p.haven", &le).err().map(|e| e.detailed());
        assert_eq!(same, Some(d));
        let ok = from_utf16_le("p", &[b'o', 0, b'k', 0, b'!']);
        assert_eq!(ok.ok().as_deref(), Some("ok"));
    }
}
