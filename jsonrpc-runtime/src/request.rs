//! Reading a request body into borrowed request objects, in one pass over the bytes.
//!
//! Nothing here rejects a request early: the whole body is read first (so broken JSON anywhere is
//! always a parse error), and only then is each request object checked against the
//! specification. Everything borrows from the body; ids and params stay raw JSON text.
//!
//! Two readers give the same [`Message`]: [`read_common`], a byte scanner for the bodies clients
//! send (objects and batches of objects, strings without escapes, nesting within the limit), and
//! [`parse`], serde_json's reader for everything. The scanner gives up on anything else, and on
//! any syntax error, so that every body it does not read is answered exactly as before.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

mod scan;

use scan::borrowed_raw;
pub(crate) use scan::read_common;
#[cfg(test)]
use scan::SCAN_MAX_DEPTH;

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
        id: Option<&'a RawValue>,
        reason: &'static str,
    },
}

/// A valid request object.
pub(crate) struct Request<'a> {
    pub method: Cow<'a, str>,
    pub params: Option<&'a RawValue>,
    /// `None` for a notification; `Some("null")` for a request whose id is null.
    pub id: Option<&'a RawValue>,
}

/// Reads a whole body. `Err` means it is not JSON (-32700); anything that is JSON becomes a
/// [`Message`], invalid requests included.
pub(crate) fn parse(body: &[u8]) -> Result<Message<'_>, serde_json::Error> {
    let text = std::str::from_utf8(body)
        .map_err(|_| <serde_json::Error as de::Error>::custom("the body is not valid UTF-8"))?;
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
        // Every value is a `RawValue` already: `check` cannot give up.
        Ok(members.check().unwrap_or_else(not_an_object))
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
struct Members<V> {
    jsonrpc: Option<V>,
    method: Option<V>,
    params: Option<V>,
    id: Option<V>,
    duplicate: bool,
}

impl<V> Default for Members<V> {
    fn default() -> Self {
        Members {
            jsonrpc: None,
            method: None,
            params: None,
            id: None,
            duplicate: false,
        }
    }
}

/// Raw JSON text of a member, whichever reader found it.
trait RawText<'a>: Copy {
    fn text(self) -> &'a str;
    /// The string the text holds; `None` if it is not a string.
    fn string(self) -> Option<Cow<'a, str>>;
    /// The text as a [`RawValue`]; `None` only if that cannot be done, which gives up the scan.
    fn into_raw(self) -> Option<&'a RawValue>;
}

impl<'a> RawText<'a> for &'a RawValue {
    fn text(self) -> &'a str {
        self.get()
    }
    fn string(self) -> Option<Cow<'a, str>> {
        string_value(self.get())
    }
    fn into_raw(self) -> Option<&'a RawValue> {
        Some(self)
    }
}

/// Text the scanner has checked: JSON, and its strings have no escapes.
impl<'a> RawText<'a> for &'a str {
    fn text(self) -> &'a str {
        self
    }
    fn string(self) -> Option<Cow<'a, str>> {
        let contents = self.strip_prefix('"')?;
        Some(Cow::Borrowed(&contents[..contents.len() - 1]))
    }
    fn into_raw(self) -> Option<&'a RawValue> {
        borrowed_raw(self)
    }
}

impl<'a, V: RawText<'a>> Members<V> {
    /// Applies the rules of section 4 of the specification.
    fn check(self) -> Option<Entry<'a>> {
        // The id is checked first: when it is valid, even an invalid request's error carries it.
        let id = match self.id {
            Some(id) if !is_valid_id(id.text()) => {
                return Some(Entry::Invalid {
                    id: None,
                    reason: "`id` must be a string, a number or null",
                })
            }
            Some(id) => Some(id.into_raw()?),
            None => None,
        };
        let invalid = |reason| Some(Entry::Invalid { id, reason });
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
            Some(params) => Some(params.into_raw()?),
            None => None,
        };
        Some(Entry::Call(Request { method, params, id }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::nests_deeper_than;

    /// Everything a message holds, written out, for comparing the two readers.
    fn describe(message: &Message<'_>) -> String {
        let entry = |entry: &Entry<'_>| match entry {
            Entry::Call(request) => format!(
                "call method={:?} params={:?} id={:?}",
                request.method,
                request.params.map(RawValue::get),
                request.id.map(RawValue::get)
            ),
            Entry::Invalid { id, reason } => {
                format!("invalid id={:?} reason={reason}", id.map(RawValue::get))
            }
        };
        match message {
            Message::Single(single) => format!("single {}", entry(single)),
            Message::Batch(entries) => {
                let entries: Vec<String> = entries.iter().map(entry).collect();
                format!("batch [{}]", entries.join("; "))
            }
        }
    }

    /// When the scanner reads a body, serde_json's reader gives the same message, and the body
    /// is within the depth limit.
    fn assert_agree(body: &[u8], max_depth: usize) -> bool {
        let Some(text) = std::str::from_utf8(body).ok() else {
            return false;
        };
        let Some(scanned) = read_common(text, max_depth) else {
            return false;
        };
        assert!(
            !nests_deeper_than(body, max_depth),
            "scanned a body nested deeper than {max_depth}: {text}"
        );
        let parsed = parse(body)
            .unwrap_or_else(|e| panic!("scanned a body serde_json rejects ({e}): {text}"));
        assert_eq!(describe(&scanned), describe(&parsed), "{text}");
        true
    }

    const READ: &[&str] = &[
        r#"{"jsonrpc":"2.0","method":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping"}"#,
        " \t\r\n{ \"jsonrpc\" : \"2.0\" , \"method\" : \"ping\" , \"id\" : null } \n",
        r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"subtract","params":{"subtrahend":23,"minuend":42},"id":"3"}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[-0,0.5,-1.25e+10,1E-7,1e999,true,false,null,"",[],{},[[{"a":[1]}]]],"id":-9007199254740993}"#,
        r#"{"id":1.5e3,"method":"ping","jsonrpc":"2.0","extra":{"deep":[1,2,{"x":null}]}}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1,"id":2}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1,"extra":1,"extra":2}"#,
        r#"{"jsonrpc":"1.0","method":"ping","id":1}"#,
        r#"{"jsonrpc":2.0,"method":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","method":1,"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","params":"bar","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","params":null,"id":true}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":{}}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":[1]}"#,
        r#"{}"#,
        r#"{"method":"ping"}"#,
        r#"[]"#,
        r#"[{"jsonrpc":"2.0","method":"ping","id":1},{"jsonrpc":"2.0","method":"ping"},{"foo":"boo"}]"#,
        r#"[ {"jsonrpc":"2.0","method":"a","id":"x"} , {} ]"#,
        "{\"jsonrpc\":\"2.0\",\"method\":\"caf\u{e9} \u{1f600}\",\"id\":\"\u{e9}\"}",
    ];

    /// Bodies the scanner leaves to serde_json: escapes, scalars, non-object batch members,
    /// broken JSON.
    const LEFT: &[&str] = &[
        r#"{"jsonrpc":"2.0","method":"pi\u006eg","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":"a\"b"}"#,
        r#"{"json\u0072pc":"2.0","method":"ping","id":1}"#,
        "{\"jsonrpc\":\"2.0\",\"method\":\"pi\tng\",\"id\":1}",
        r#"[1,2,3]"#,
        r#"[{"jsonrpc":"2.0","method":"ping","id":1},1e999]"#,
        r#"[[]]"#,
        r#"1"#,
        r#""ping""#,
        r#"null"#,
        "",
        "   ",
        r#"{"jsonrpc":"2.0","method":"ping","id":1"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":01}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1.}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":-}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1e}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":+1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":nul}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1,}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1}x"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1}{}"#,
        r#"[{"jsonrpc":"2.0","method":"ping","id":1},]"#,
        r#"{"jsonrpc":"2.0" "method":"ping"}"#,
        r#"{'jsonrpc':'2.0'}"#,
        "\u{feff}{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}",
        r#"{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]"#,
    ];

    #[test]
    fn the_scanner_reads_common_bodies_as_serde_json_does() {
        for body in READ {
            assert!(assert_agree(body.as_bytes(), 128), "not scanned: {body}");
        }
    }

    #[test]
    fn the_scanner_leaves_the_rest_to_serde_json() {
        for body in LEFT {
            assert!(!assert_agree(body.as_bytes(), 128), "scanned: {body}");
        }
    }

    #[test]
    fn the_scanner_leaves_bodies_over_the_depth_limit() {
        let body = r#"{"jsonrpc":"2.0","method":"x","params":[[[1]]],"id":1}"#;
        assert!(assert_agree(body.as_bytes(), 4));
        assert!(!assert_agree(body.as_bytes(), 3));
        assert!(!assert_agree(body.as_bytes(), 0));
        let batch = r#"[{"jsonrpc":"2.0","method":"x","params":[1],"id":1}]"#;
        assert!(assert_agree(batch.as_bytes(), 3));
        assert!(!assert_agree(batch.as_bytes(), 2));
        // Deeper than the scanner goes by itself, though within the limit: left to serde_json.
        let deep = format!(
            r#"{{"jsonrpc":"2.0","method":"x","params":{}1{},"id":1}}"#,
            "[".repeat(SCAN_MAX_DEPTH),
            "]".repeat(SCAN_MAX_DEPTH)
        );
        assert!(!assert_agree(deep.as_bytes(), 1000));
    }

    /// Random edits of valid bodies: whatever the scanner reads, serde_json reads the same way.
    #[test]
    fn the_scanner_agrees_with_serde_json_on_edited_bodies() {
        const PIECES: &[&[u8]] = &[
            b"{",
            b"}",
            b"[",
            b"]",
            b"\"",
            b":",
            b",",
            b" ",
            b"\\",
            b"0",
            b"1",
            b"-",
            b".",
            b"e",
            b"+",
            b"n",
            b"t",
            b"null",
            b"true",
            b"\"id\"",
            b"\"method\"",
            b"\"params\"",
            b"\"jsonrpc\"",
            b"\"2.0\"",
            b"\x01",
            b"\n",
            "\u{e9}".as_bytes(),
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut random = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        let mut scanned = 0;
        for round in 0..40_000 {
            let seed = READ[round % READ.len()].as_bytes();
            let mut body = seed.to_vec();
            for _ in 0..1 + random(3) {
                let at = random(body.len() + 1);
                match random(3) {
                    0 if at < body.len() => {
                        body.remove(at);
                    }
                    1 if at < body.len() => {
                        let piece = PIECES[random(PIECES.len())];
                        body.splice(at..at + 1, piece.iter().copied());
                    }
                    _ => {
                        let piece = PIECES[random(PIECES.len())];
                        body.splice(at..at, piece.iter().copied());
                    }
                }
            }
            if assert_agree(&body, 1 + random(6)) {
                scanned += 1;
            }
        }
        // Enough edits still read for the comparison to mean something.
        assert!(scanned > 2_000, "only {scanned} edited bodies were scanned");
    }

    #[test]
    fn checked_text_becomes_a_raw_value_without_serde_json_reading_it() {
        for text in ["1", r#""abc""#, "null", "[1,{\"a\":2}]", "-1.5e3"] {
            assert_eq!(borrowed_raw(text).map(RawValue::get), Some(text));
        }
    }
}
