//! The stored form of the documents every row of the largest read models carries: the struct's fields in
//! declaration order as a JSON array, written field by field. serde's derived `Deserialize` reads a struct from
//! such an array as well as from an object, so a row reads back into the same struct either way (rows written
//! before this form, as objects, still read). The key names, a third of a memory's bytes, are not stored; strings
//! are copied whole when nothing in them needs escaping; timestamps are formatted in place. The API still
//! answers with objects: it serializes the struct.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::time::format_into;

pub(crate) struct JsonFields {
    out: Vec<u8>,
    empty: bool,
    /// The names of the fields written so far, for the tests that hold them to the struct's declaration order.
    #[cfg(test)]
    pub(crate) names: Vec<&'static str>,
}

impl JsonFields {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut out = Vec::with_capacity(capacity);
        out.push(b'[');
        Self {
            out,
            empty: true,
            #[cfg(test)]
            names: Vec::new(),
        }
    }

    /// Starts the next field. `name` is not written: it keeps each call readable, and tests compare the names
    /// with the struct's fields (`field_names`, test builds only).
    fn key(&mut self, name: &'static str) -> &mut Vec<u8> {
        #[cfg(test)]
        self.names.push(name);
        #[cfg(not(test))]
        let _ = name;
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        &mut self.out
    }

    pub(crate) fn str(&mut self, name: &'static str, value: &str) -> &mut Self {
        let out = self.key(name);
        write_str(out, value);
        self
    }

    pub(crate) fn opt_str(&mut self, name: &'static str, value: Option<&str>) -> &mut Self {
        let out = self.key(name);
        match value {
            Some(value) => write_str(out, value),
            None => out.extend_from_slice(b"null"),
        }
        self
    }

    pub(crate) fn bool(&mut self, name: &'static str, value: bool) -> &mut Self {
        let literal: &[u8] = if value { b"true" } else { b"false" };
        self.key(name).extend_from_slice(literal);
        self
    }

    pub(crate) fn opt_bool(&mut self, name: &'static str, value: Option<bool>) -> &mut Self {
        match value {
            Some(value) => self.bool(name, value),
            None => {
                self.key(name).extend_from_slice(b"null");
                self
            }
        }
    }

    /// A timestamp as the API writes it (see [`crate::time::format`]).
    pub(crate) fn time(&mut self, name: &'static str, value: &DateTime<Utc>) -> &mut Self {
        let out = self.key(name);
        out.push(b'"');
        format_into(out, value);
        out.push(b'"');
        self
    }

    pub(crate) fn opt_time(
        &mut self,
        name: &'static str,
        value: Option<&DateTime<Utc>>,
    ) -> &mut Self {
        match value {
            Some(value) => self.time(name, value),
            None => {
                self.key(name).extend_from_slice(b"null");
                self
            }
        }
    }

    pub(crate) fn strs(&mut self, name: &'static str, values: &[String]) -> &mut Self {
        let out = self.key(name);
        out.push(b'[');
        for (n, value) in values.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_str(out, value);
        }
        out.push(b']');
        self
    }

    /// Any other value, through serde (enums and the like).
    pub(crate) fn value<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<&mut Self, serde_json::Error> {
        serde_json::to_writer(self.key(name), value)?;
        Ok(self)
    }

    pub(crate) fn finish(mut self) -> String {
        self.out.push(b']');
        // Only whole UTF-8 strings and ASCII were written.
        String::from_utf8(self.out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// A JSON string: copied whole when nothing in it needs escaping, else escaped by serde_json.
fn write_str(out: &mut Vec<u8>, value: &str) {
    if needs_escaping(value.as_bytes()) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, value);
    } else {
        out.reserve(value.len() + 2);
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    }
}

/// Whether any byte is a control character, `"` or `\`, eight bytes at a time.
fn needs_escaping(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        // A byte below 0x20, or equal to '"' or '\\', sets its high bit here (bytes >= 0x80 are masked out).
        let control = word.wrapping_sub(ONES * 0x20);
        let quote = (word ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES);
        let backslash = (word ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
        if (control | quote | backslash) & !word & HIGHS != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// The names of `T`'s fields in declaration order, as serde's derived `Deserialize` expects them in an array
/// (for the tests of each document's writer).
#[cfg(test)]
pub(crate) fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{value::Error, Error as _, Visitor};

    /// A deserializer that only notes which fields the struct asks for.
    struct Names(Option<&'static [&'static str]>);

    impl<'de> serde::Deserializer<'de> for &mut Names {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            self.0 = Some(fields);
            Err(Error::custom("names noted"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    let mut names = Names(None);
    let _ = T::deserialize(&mut names);
    names.0.expect("a struct with named fields")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_byte_that_needs_escaping_at_every_offset() {
        for special in (0u8..0x20).chain([b'"', b'\\']) {
            for len in 1..20 {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert!(needs_escaping(&bytes), "{special:#x} at {at} of {len}");
                }
            }
        }
        for clean in [
            "",
            "plain text",
            "é日本\u{1F600} ~!@#$%^&*()[]{}'/",
            "\u{7f}\u{80}\u{ff}",
        ] {
            assert!(!needs_escaping(clean.as_bytes()), "{clean:?}");
        }
        // Bytes just above the thresholds, and high bytes, next to each other (no borrow between lanes).
        let tricky: Vec<u8> = [0x20u8, 0x21, 0x23, 0x5b, 0x5d, 0xa2, 0xdc, 0xff].repeat(3);
        assert!(!needs_escaping(&tricky));
    }

    #[test]
    fn strings_come_out_as_serde_writes_them() {
        for value in [
            "",
            "plain",
            "quote \" backslash \\ tab \t newline \n nul \u{0} é 日本 \u{1F600}",
            "\u{1f}\u{7f}",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, value);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(value).unwrap()
            );
        }
    }
}
