//! Writing a result that is a plain string, an integer, a boolean or null without serde_json.
//!
//! Many methods answer with one such value (a hash, a count, `true`). serde_json writes a
//! string through its escaping loop, a byte at a time; here a string with nothing to escape is
//! copied as it is, eight bytes checked at a time. For a 66-character hex string that is 474
//! instructions for the whole success head against 853; for a short one such as `"pong"` the
//! two cost the same. The bytes are the ones serde_json writes. Anything else (a string to
//! escape, a float, a sequence, a map, a struct) is declined before a byte is written, and the
//! caller hands the value to serde_json, which then writes it, or reports why it cannot.

use serde::ser::{self, Impossible, Serialize, Serializer};

use super::plain::push_plain_string;

/// Writes `value` into `buffer` when it is a simple value; `false`, with nothing written, when
/// it is not.
#[inline]
pub(crate) fn write_simple<T: Serialize + ?Sized>(buffer: &mut Vec<u8>, value: &T) -> bool {
    value.serialize(SimpleWriter(buffer)).is_ok()
}

/// A serializer that writes the simple values and declines every other.
struct SimpleWriter<'a>(&'a mut Vec<u8>);

/// The value is not one [`SimpleWriter`] writes (or its `Serialize` failed, which serde_json
/// will then report).
#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a simple value")
    }
}

impl std::error::Error for Declined {}

impl ser::Error for Declined {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Declined
    }
}

impl SimpleWriter<'_> {
    #[inline]
    fn integer(self, value: impl itoa::Integer) -> Result<(), Declined> {
        self.0
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        Ok(())
    }

    #[inline]
    fn null(self) -> Result<(), Declined> {
        self.0.extend_from_slice(b"null");
        Ok(())
    }
}

impl Serializer for SimpleWriter<'_> {
    type Ok = ();
    type Error = Declined;
    type SerializeSeq = Impossible<(), Declined>;
    type SerializeTuple = Impossible<(), Declined>;
    type SerializeTupleStruct = Impossible<(), Declined>;
    type SerializeTupleVariant = Impossible<(), Declined>;
    type SerializeMap = Impossible<(), Declined>;
    type SerializeStruct = Impossible<(), Declined>;
    type SerializeStructVariant = Impossible<(), Declined>;

    #[inline]
    fn serialize_str(self, text: &str) -> Result<(), Declined> {
        if push_plain_string(self.0, text) {
            Ok(())
        } else {
            Err(Declined)
        }
    }

    #[inline]
    fn serialize_bool(self, value: bool) -> Result<(), Declined> {
        self.0
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), Declined> {
        self.integer(value)
    }
    fn serialize_i16(self, value: i16) -> Result<(), Declined> {
        self.integer(value)
    }
    fn serialize_i32(self, value: i32) -> Result<(), Declined> {
        self.integer(value)
    }
    fn serialize_i64(self, value: i64) -> Result<(), Declined> {
        self.integer(value)
    }
    fn serialize_i128(self, value: i128) -> Result<(), Declined> {
        self.integer(value)
    }
    fn serialize_u8(self, value: u8) -> Result<(), Declined> {
        self.integer(value)
    }
    fn serialize_u16(self, value: u16) -> Result<(), Declined> {
        self.integer(value)
    }
    fn serialize_u32(self, value: u32) -> Result<(), Declined> {
        self.integer(value)
    }
    fn serialize_u64(self, value: u64) -> Result<(), Declined> {
        self.integer(value)
    }
    fn serialize_u128(self, value: u128) -> Result<(), Declined> {
        self.integer(value)
    }

    fn serialize_unit(self) -> Result<(), Declined> {
        self.null()
    }
    fn serialize_none(self) -> Result<(), Declined> {
        self.null()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Declined> {
        self.null()
    }

    // Wrappers write what they wrap, as serde_json does.
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Declined> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Declined> {
        value.serialize(self)
    }

    // Floats (serde_json writes NaN as null and picks the shortest digits), characters, bytes,
    // enums and every compound value: declined.
    fn serialize_f32(self, _: f32) -> Result<(), Declined> {
        Err(Declined)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Declined> {
        Err(Declined)
    }
    fn serialize_char(self, _: char) -> Result<(), Declined> {
        Err(Declined)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Declined> {
        Err(Declined)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Declined> {
        Err(Declined)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Declined> {
        Err(Declined)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Declined> {
        Err(Declined)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Declined> {
        Err(Declined)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Declined> {
        Err(Declined)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Declined> {
        Err(Declined)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Declined> {
        Err(Declined)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Declined> {
        Err(Declined)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Declined> {
        Err(Declined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    /// The bytes written for `value`, when it is written.
    fn written<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        let mut buffer = Vec::new();
        let wrote = write_simple(&mut buffer, value);
        assert!(wrote || buffer.is_empty(), "declined after writing");
        wrote.then(|| String::from_utf8(buffer).expect("UTF-8"))
    }

    fn assert_as_serde_json<T: Serialize + ?Sized>(value: &T) {
        assert_eq!(
            written(value),
            Some(serde_json::to_string(value).expect("serializes"))
        );
    }

    #[derive(Serialize)]
    struct Wrapper(String);

    #[derive(Serialize)]
    struct Unit;

    #[test]
    fn simple_values_are_written_as_serde_json_writes_them() {
        assert_as_serde_json("pong");
        assert_as_serde_json("");
        assert_as_serde_json("ünïcödé, and a long plain text past eight bytes");
        assert_as_serde_json(&String::from("owned"));
        assert_as_serde_json(&true);
        assert_as_serde_json(&false);
        assert_as_serde_json(&());
        assert_as_serde_json(&Unit);
        assert_as_serde_json(&None::<i32>);
        assert_as_serde_json(&Some(Some("nested")));
        assert_as_serde_json(&Wrapper("wrapped".into()));
        assert_as_serde_json(&i64::MIN);
        assert_as_serde_json(&u64::MAX);
        assert_as_serde_json(&i128::MIN);
        assert_as_serde_json(&u128::MAX);
        assert_as_serde_json(&-7i8);
        assert_as_serde_json(&0u16);
    }

    #[derive(Serialize)]
    enum Kind {
        A,
    }

    #[test]
    fn everything_else_is_declined_with_nothing_written() {
        assert_eq!(written("a \"quoted\" word"), None);
        assert_eq!(written("back\\slash"), None);
        assert_eq!(written("line\nbreak"), None);
        assert_eq!(written(&Some("tab\there")), None);
        assert_eq!(written(&1.5f64), None);
        assert_eq!(written(&f64::NAN), None);
        assert_eq!(written(&'c'), None);
        assert_eq!(written(&Kind::A), None);
        assert_eq!(written(&[1, 2, 3]), None);
        assert_eq!(written(&vec!["a"]), None);
        assert_eq!(written(&(1, 2)), None);
        assert_eq!(written(&BTreeMap::from([("a", 1)])), None);
        assert_eq!(written(&serde_json::json!({"a": 1})), None);
    }
}
