//! Decoding one param's JSON text, with the common scalars read in place.
//!
//! Most params are small integers, plain strings, booleans or null. serde_json reads each of
//! them through a whole deserializer (set up, read, check the end), about 250 instructions for
//! `42`; here such text is handed to the visitor directly, the way serde_json would hand it:
//! the same `visit_*` call with the same value, so every type decodes exactly as it does with
//! `serde_json::from_str`. Anything else (floats, escapes, arrays, objects, `RawValue`, big
//! numbers) goes to serde_json unchanged, errors included.

use serde::de::{Deserializer, Visitor};

/// The JSON text of one param, already checked as JSON by the request readers, as a
/// deserializer.
pub(crate) struct ParamText<'a>(pub(crate) &'a str);

/// A scalar read in place, as serde_json would report it to a visitor.
enum Scalar<'a> {
    Unsigned(u64),
    Negative(i64),
    Str(&'a str),
    Bool(bool),
    Null,
}

impl<'a> ParamText<'a> {
    /// The scalar the text is, when it is one read in place; `None` for anything serde_json
    /// must read.
    #[inline]
    fn scalar(&self) -> Option<Scalar<'a>> {
        let text = self.0;
        let bytes = text.as_bytes();
        match *bytes.first()? {
            b'0'..=b'9' | b'-' => self.integer(),
            b'"' => {
                let inner = text.get(1..text.len() - 1)?;
                // The text is one JSON string: without a backslash, its contents are the
                // string itself (serde_json hands them over borrowed, too).
                (!inner.as_bytes().contains(&b'\\')).then_some(Scalar::Str(inner))
            }
            _ => match text {
                "true" => Some(Scalar::Bool(true)),
                "false" => Some(Scalar::Bool(false)),
                "null" => Some(Scalar::Null),
                _ => None,
            },
        }
    }

    /// The integer the text is, when it is one read in place; `None` for any other text. Apart
    /// from [`scalar`](Self::scalar), so that the number methods, which ask only for this, keep
    /// it in line.
    #[inline]
    fn integer(&self) -> Option<Scalar<'a>> {
        let bytes = self.0.as_bytes();
        match *bytes.first()? {
            b'0'..=b'9' => unsigned(bytes).map(Scalar::Unsigned),
            // serde_json reads `-0` as the float -0.0; left to it.
            b'-' => match unsigned(&bytes[1..])? {
                0 => None,
                magnitude => Some(Scalar::Negative(-i64::try_from(magnitude).ok()?)),
            },
            _ => None,
        }
    }

    /// serde_json's deserializer over the text.
    fn serde_json(&self) -> serde_json::Deserializer<serde_json::de::StrRead<'a>> {
        serde_json::Deserializer::from_str(self.0)
    }
}

/// An integer of at most 18 digits (so that it fits an `i64` and a `u64` as it is), with no
/// fraction or exponent; `None` for any other number.
#[inline]
fn unsigned(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 18 {
        return None;
    }
    let mut value = 0u64;
    for &byte in bytes {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u64::from(digit);
    }
    Some(value)
}

/// Reads the text with serde_json's deserializer, calling `$method`, and checks that nothing
/// follows the value, as `serde_json::from_str` does.
macro_rules! with_serde_json {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {{
        let mut deserializer = $self.serde_json();
        let value = (&mut deserializer).$method($($arg),*)?;
        deserializer.end()?;
        Ok(value)
    }};
}

/// Deserializer methods whose every call goes to serde_json, with the arguments written after
/// each name.
macro_rules! to_serde_json {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
            with_serde_json!(self.$method($($arg,)* visitor))
        }
    )*};
}

/// Deserializer methods for numbers: an integer read in place, the rest by serde_json. For an
/// integer serde_json calls `visit_u64` (not negative) or `visit_i64` whatever number type is
/// asked for, and the visitor converts; so does this.
macro_rules! numbers {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.integer() {
                Some(Scalar::Unsigned(value)) => visitor.visit_u64(value),
                Some(Scalar::Negative(value)) => visitor.visit_i64(value),
                _ => with_serde_json!(self.$method(visitor)),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for ParamText<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.scalar() {
            Some(Scalar::Unsigned(value)) => visitor.visit_u64(value),
            Some(Scalar::Negative(value)) => visitor.visit_i64(value),
            Some(Scalar::Str(text)) => visitor.visit_borrowed_str(text),
            Some(Scalar::Bool(value)) => visitor.visit_bool(value),
            Some(Scalar::Null) => visitor.visit_unit(),
            None => with_serde_json!(self.deserialize_any(visitor)),
        }
    }

    numbers!(
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_f32,
        deserialize_f64,
    );

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.scalar() {
            Some(Scalar::Bool(value)) => visitor.visit_bool(value),
            _ => with_serde_json!(self.deserialize_bool(visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.scalar() {
            Some(Scalar::Str(text)) => visitor.visit_borrowed_str(text),
            _ => with_serde_json!(self.deserialize_str(visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        // serde_json reads a `String` as it reads a `&str`.
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        // As serde_json: `null` is `None`, anything else the value inside `Some`.
        if self.0 == "null" {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    // `RawValue` is read through `deserialize_newtype_struct` with a name of serde_json's own:
    // always its reader.
    to_serde_json!(
        deserialize_i128(),
        deserialize_u128(),
        deserialize_char(),
        deserialize_bytes(),
        deserialize_byte_buf(),
        deserialize_unit(),
        deserialize_seq(),
        deserialize_map(),
        deserialize_identifier(),
        deserialize_ignored_any(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
    );

    fn is_human_readable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde::Deserialize;
    use serde_json::Value;
    use std::fmt::Debug;

    /// Decoding `text` as `T` gives what serde_json gives: the same value, or an error with
    /// the same message (less serde_json's position, which the reader of params drops).
    fn agrees<T: DeserializeOwned + PartialEq + Debug>(text: &str) {
        let ours = T::deserialize(ParamText(text));
        let theirs = serde_json::from_str::<T>(text);
        match (&ours, &theirs) {
            (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{text}"),
            (Err(ours), Err(theirs)) => {
                let bare = |error: &serde_json::Error| {
                    let message = error.to_string();
                    let suffix = format!(" at line {} column {}", error.line(), error.column());
                    message.strip_suffix(&suffix).unwrap_or(&message).to_owned()
                };
                assert_eq!(bare(ours), bare(theirs), "{text}")
            }
            _ => panic!("{text}: ours {ours:?}, serde_json {theirs:?}"),
        }
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Point {
        x: i32,
        y: Option<u8>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    enum Color {
        Red,
        Rgb(u8, u8, u8),
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Wrapper(i64);

    const TEXTS: &[&str] = &[
        "0",
        "7",
        "42",
        "-1",
        "-0",
        "-42",
        "255",
        "256",
        "-128",
        "-129",
        "65535",
        "4294967296",
        "999999999999999999",
        "9999999999999999999",
        "18446744073709551615",
        "18446744073709551616",
        "-999999999999999999",
        "-9223372036854775808",
        "-9223372036854775809",
        "1.5",
        "-0.0",
        "1e3",
        "1E-3",
        "\"\"",
        "\"abc\"",
        "\"42\"",
        "\"a\\\"b\"",
        "\"\\u00e9\"",
        "\"é ✓\"",
        "\"c\"",
        "\"Red\"",
        "true",
        "false",
        "null",
        "[]",
        "[1,2]",
        "{}",
        "{\"x\":1}",
        "{\"x\":-3,\"y\":200}",
        "{\"Rgb\":[1,2,3]}",
        "[1, 2, 3]",
    ];

    #[test]
    fn every_type_decodes_as_serde_json_decodes_it() {
        for text in TEXTS {
            agrees::<i8>(text);
            agrees::<i16>(text);
            agrees::<i32>(text);
            agrees::<i64>(text);
            agrees::<i128>(text);
            agrees::<u8>(text);
            agrees::<u16>(text);
            agrees::<u32>(text);
            agrees::<u64>(text);
            agrees::<u128>(text);
            agrees::<f32>(text);
            agrees::<f64>(text);
            agrees::<bool>(text);
            agrees::<char>(text);
            agrees::<String>(text);
            agrees::<Option<i64>>(text);
            agrees::<Option<String>>(text);
            agrees::<Option<Option<bool>>>(text);
            agrees::<Value>(text);
            agrees::<Vec<i64>>(text);
            agrees::<(u8, u8)>(text);
            agrees::<Point>(text);
            agrees::<Color>(text);
            agrees::<Wrapper>(text);
            agrees::<()>(text);
            agrees::<std::collections::HashMap<String, i64>>(text);
        }
    }

    #[test]
    fn raw_values_and_borrowed_strings_come_from_serde_json_as_ever() {
        let raw: Box<serde_json::value::RawValue> =
            Deserialize::deserialize(ParamText("[1, 2]")).unwrap();
        assert_eq!(raw.get(), "[1, 2]");
        let text: &str = Deserialize::deserialize(ParamText("\"plain\"")).unwrap();
        assert_eq!(text, "plain");
    }
}
