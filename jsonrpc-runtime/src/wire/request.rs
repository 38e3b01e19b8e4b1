//! Reading a request body into borrowed request objects, in one pass over the bytes.
//!
//! Nothing here rejects a request early: the whole body is read first (so broken JSON anywhere is
//! always a parse error), and only then is each request object checked against the
//! specification. Everything borrows from the body; ids and params stay raw JSON text, as a
//! [`RawJson`], which costs nothing to make from text a reader has checked.
//!
//! Two readers give the same [`Message`]: [`read_common`](super::scan::read_common), a byte scanner for the bodies clients
//! send (objects and batches of objects, strings without escapes, nesting within the limit), and
//! [`parse_text`], serde_json's reader for everything. The scanner gives up on anything else, and on
//! any syntax error, so that every body it does not read is answered exactly as before.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::member_spans::MemberSpans;

/// A body: one request object, or a batch of them.
pub(crate) enum Message<'a> {
    Single(Entry<'a>),
    Batch(Vec<Entry<'a>>),
}

/// One element of a body, already checked against the specification.
pub(crate) enum Entry<'a> {
    Call(Request<'a>),
    /// Not a valid request object; answered with -32600. `id` is the request's id when that
    /// much of it was valid, so the client can still match the error to its request.
    Invalid {
        id: Option<RawJson<'a>>,
        reason: &'static str,
    },
}

/// A valid request object.
pub(crate) struct Request<'a> {
    pub method: Cow<'a, str>,
    pub params: Option<RawParams<'a>>,
    /// `None` for a notification; `Some("null")` for a request whose id is null.
    pub id: Option<RawJson<'a>>,
}

/// Not public API: the raw JSON text of a request's params or id, borrowed from the body.
///
/// Only the readers of this module make one, from text they have checked as JSON (and as a
/// value serde_json reads as a [`RawValue`]), so the text can be stepped through without
/// checking it again. Unlike a `&RawValue`, it is made without serde_json reading the text.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct RawJson<'a>(&'a str);

impl<'a> RawJson<'a> {
    /// JSON text the test vouches for.
    #[cfg(test)]
    pub(crate) fn checked_by_test(text: &'a str) -> Self {
        RawJson(text)
    }

    /// The JSON text.
    #[inline]
    pub fn get(self) -> &'a str {
        self.0
    }

    /// The text as a [`RawValue`], for public API that hands it out as one. serde_json reads
    /// the text again to make it (a `&RawValue` can be made no other way); it cannot fail on
    /// text the readers checked.
    pub(crate) fn to_raw_value(self) -> Result<&'a RawValue, serde_json::Error> {
        serde_json::from_str(self.0)
    }
}

/// Not public API: a request's params, as raw JSON text, with where their members are when the
/// scanner noted them.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct RawParams<'a> {
    json: RawJson<'a>,
    members: MemberSpans,
}

impl<'a> RawParams<'a> {
    /// The params as raw JSON.
    #[inline]
    pub fn json(self) -> RawJson<'a> {
        self.json
    }

    /// The JSON text.
    #[inline]
    pub fn get(self) -> &'a str {
        self.json.0
    }

    /// Where the members of an object of a few members are, when the scanner noted them (see
    /// [`MemberSpans`]).
    #[inline]
    pub(crate) fn member_spans(&self) -> Option<&[[u8; 4]]> {
        self.members.spans()
    }
}

/// [`parse_text`] for a body not yet checked as UTF-8 (for the tests).
#[cfg(test)]
pub(crate) fn parse(body: &[u8]) -> Result<Message<'_>, serde_json::Error> {
    let text = std::str::from_utf8(body).map_err(|_| not_utf8())?;
    parse_text(text)
}

/// The error for a body that is not UTF-8 (and so not JSON).
#[cold]
pub(crate) fn not_utf8() -> serde_json::Error {
    <serde_json::Error as de::Error>::custom("the body is not valid UTF-8")
}

/// Reads a whole body, known to be UTF-8. `Err` means it is not JSON (-32700); anything that
/// is JSON becomes a [`Message`], invalid requests included.
pub(crate) fn parse_text(text: &str) -> Result<Message<'_>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let message = deserializer.deserialize_any(MessageVisitor)?;
    deserializer.end()?;
    Ok(message)
}

struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = Message<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON-RPC request object or batch")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(8).min(1024));
        while let Some(entry) = seq.next_element_seed(EntrySeed)? {
            entries.push(entry);
        }
        Ok(Message::Batch(entries))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        EntryVisitor.visit_map(map).map(Message::Single)
    }

    // A body that is a bare scalar is JSON, but not a request.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Message::Single(not_an_object()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Message::Single(not_an_object()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Message::Single(not_an_object()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Message::Single(not_an_object()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Message::Single(not_an_object()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Message::Single(not_an_object()))
    }
}

fn not_an_object<'a>() -> Entry<'a> {
    Entry::Invalid {
        id: None,
        reason: "a request must be a JSON object",
    }
}

/// Reads one batch element, whatever JSON it is.
struct EntrySeed;

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = Entry<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON-RPC request object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Members::<&'de RawValue>::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let slot = match key.0.as_ref() {
                "jsonrpc" => &mut members.jsonrpc,
                "method" => &mut members.method,
                "params" => &mut members.params,
                "id" => &mut members.id,
                // Members the specification does not define are ignored.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let value = map.next_value::<&'de RawValue>()?;
            if slot.replace(value).is_some() {
                members.duplicate = true;
            }
        }
        Ok(members.check())
    }

    // Any other JSON value in a batch is an invalid request of its own; it must still be read
    // through so the rest of the batch can be.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(not_an_object())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(not_an_object())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(not_an_object())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(not_an_object())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(not_an_object())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(not_an_object())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(not_an_object())
    }
}

/// The members of a request object as written, before they are checked: raw JSON text, as a
/// [`RawValue`] (serde_json's reader) or a `&str` (the scanner).
pub(super) struct Members<V> {
    pub(super) jsonrpc: Option<V>,
    pub(super) method: Option<V>,
    pub(super) params: Option<V>,
    pub(super) id: Option<V>,
    /// Where the members of `params` are, when the scanner noted them.
    pub(super) params_spans: MemberSpans,
    pub(super) duplicate: bool,
}

impl<V> Default for Members<V> {
    fn default() -> Self {
        Members {
            jsonrpc: None,
            method: None,
            params: None,
            id: None,
            params_spans: MemberSpans::NOT_NOTED,
            duplicate: false,
        }
    }
}

/// Raw JSON text of a member, whichever reader found it.
pub(super) trait RawText<'a>: Copy {
    fn text(self) -> &'a str;
    /// The string the text holds; `None` if it is not a string.
    fn string(self) -> Option<Cow<'a, str>>;
}

impl<'a> RawText<'a> for &'a RawValue {
    fn text(self) -> &'a str {
        self.get()
    }
    fn string(self) -> Option<Cow<'a, str>> {
        string_value(self.get())
    }
}

impl<V> Members<V> {
    /// Applies the rules of section 4 of the specification.
    pub(super) fn check<'a>(self) -> Entry<'a>
    where
        V: RawText<'a>,
    {
        // The id is checked first: when it is valid, even an invalid request's error carries it.
        let id = match self.id.map(|id| RawJson(id.text())) {
            Some(id) if !is_valid_id(id.get()) => {
                return Entry::Invalid {
                    id: None,
                    reason: "`id` must be a string, a number or null",
                }
            }
            id => id,
        };
        let invalid = |reason| Entry::Invalid { id, reason };
        if self.duplicate {
            return invalid("a request object must not repeat a member");
        }
        match self.jsonrpc {
            Some(version) if version.string().as_deref() == Some("2.0") => {}
            _ => return invalid("`jsonrpc` must be exactly \"2.0\""),
        }
        let Some(method) = self.method.and_then(RawText::string) else {
            return invalid("`method` must be a string");
        };
        let params = match self.params {
            Some(params) if !matches!(params.text().as_bytes().first(), Some(b'[' | b'{')) => {
                return invalid("`params` must be an array or an object");
            }
            Some(params) => Some(RawParams {
                json: RawJson(params.text()),
                members: self.params_spans,
            }),
            None => None,
        };
        Entry::Call(Request { method, params, id })
    }
}

/// An id may be a string, a number or null (section 4 of the specification).
fn is_valid_id(id: &str) -> bool {
    matches!(
        id.as_bytes().first(),
        Some(b'"' | b'-' | b'0'..=b'9' | b'n')
    )
}

/// The string a raw JSON value holds, borrowed unless it has escapes; `None` if not a string.
fn string_value(text: &str) -> Option<Cow<'_, str>> {
    if !text.starts_with('"') {
        return None;
    }
    if !text.contains('\\') {
        return Some(Cow::Borrowed(&text[1..text.len() - 1]));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// An object key, borrowed from the body unless it has escapes.
pub(crate) struct Key<'a>(pub Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}
