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

/// The [`RawValue`] view of text already checked as JSON, without reading it again.
///
/// serde_json makes a borrowed `RawValue` only as it deserializes one: it asks for a newtype
/// struct and expects a map holding the struct's name as key and the text as a borrowed string.
/// This answers that request with `text`. If a later serde_json asked differently, this would
/// fail (and the scanner give up, leaving the body to serde_json's reader); the tests check that
/// it works.
fn borrowed_raw(text: &str) -> Option<&RawValue> {
    <&RawValue as de::Deserialize>::deserialize(CheckedText { text }).ok()
}

/// A deserializer of one already-checked JSON text into a `&RawValue`.
struct CheckedText<'a> {
    text: &'a str,
}

impl<'de> Deserializer<'de> for CheckedText<'de> {
    type Error = serde_json::Error;

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_map(RawEntry {
            name,
            text: Some(self.text),
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("expected a raw value"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// The one entry of that map: the struct's name, then the text.
struct RawEntry<'a> {
    name: &'static str,
    text: Option<&'a str>,
}

impl<'de> MapAccess<'de> for RawEntry<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        if self.text.is_none() {
            return Ok(None);
        }
        seed.deserialize(de::value::BorrowedStrDeserializer::new(self.name))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        let text = self
            .text
            .take()
            .ok_or_else(|| de::Error::custom("no raw value left"))?;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(text))
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

/// How deep the scanner follows nesting itself; deeper bodies go to serde_json's reader (and the
/// depth limit) as before.
const SCAN_MAX_DEPTH: usize = 64;

/// Reads the bodies clients send, without serde: one request object or a batch of request
/// objects, whose strings have no escapes and whose nesting is within `max_depth`. `None` for any
/// other body, valid or not: [`parse`] (after the depth check) then reads it, and gives the exact
/// answer for it.
///
/// When it reads a body, the result is the one [`parse`] gives, and the body is within the depth
/// limit: a successful read stands for both steps. The grammar it accepts is JSON's (RFC 8259),
/// as serde_json reads it: the same whitespace, numbers, literals and strings, with control
/// characters rejected.
pub(crate) fn read_common(text: &str, max_depth: usize) -> Option<Message<'_>> {
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        max_depth: max_depth.min(SCAN_MAX_DEPTH),
    };
    scanner.skip_whitespace();
    let message = match scanner.peek()? {
        b'{' => Message::Single(scanner.request(1)?),
        b'[' => {
            if scanner.max_depth < 1 {
                return None;
            }
            scanner.pos += 1;
            scanner.skip_whitespace();
            let mut entries = Vec::with_capacity((text.len() / 48).clamp(4, 1024));
            if !scanner.eat(b']') {
                loop {
                    // Anything but an object is left to serde_json, which reads batch elements
                    // as values (and rejects, say, an out-of-range number).
                    if scanner.peek()? != b'{' {
                        return None;
                    }
                    entries.push(scanner.request(2)?);
                    scanner.skip_whitespace();
                    match scanner.next()? {
                        b',' => scanner.skip_whitespace(),
                        b']' => break,
                        _ => return None,
                    }
                }
            }
            Message::Batch(entries)
        }
        _ => return None,
    };
    scanner.skip_whitespace();
    if scanner.pos != scanner.bytes.len() {
        return None;
    }
    Some(message)
}

/// The bytes that end the plain run of a string: its closing quote, an escape, or a control
/// character (which JSON does not allow in strings).
static STRING_STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        stops[byte] = true;
        byte += 1;
    }
    stops[b'"' as usize] = true;
    stops[b'\\' as usize] = true;
    stops
};

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// JSON's whitespace, as serde_json reads it: space, tab, line feed, carriage return.
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// A request object (at `{`), `depth` deep, with its members checked.
    fn request(&mut self, depth: usize) -> Option<Entry<'a>> {
        if depth > self.max_depth {
            return None;
        }
        self.pos += 1;
        self.skip_whitespace();
        let mut members = Members::<&'a str>::default();
        if !self.eat(b'}') {
            loop {
                let key = self.string()?;
                self.skip_whitespace();
                if self.next()? != b':' {
                    return None;
                }
                self.skip_whitespace();
                let start = self.pos;
                self.value(depth + 1)?;
                let slot = match key {
                    b"jsonrpc" => Some(&mut members.jsonrpc),
                    b"method" => Some(&mut members.method),
                    b"params" => Some(&mut members.params),
                    b"id" => Some(&mut members.id),
                    // Members the specification does not define are ignored.
                    _ => None,
                };
                if let Some(slot) = slot {
                    if slot.replace(&self.text[start..self.pos]).is_some() {
                        members.duplicate = true;
                    }
                }
                self.skip_whitespace();
                match self.next()? {
                    b',' => self.skip_whitespace(),
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        members.check()
    }

    /// Steps over one JSON value; a container counts as `depth` deep.
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            open @ (b'[' | b'{') => {
                if depth > self.max_depth {
                    return None;
                }
                let close = if open == b'[' { b']' } else { b'}' };
                self.pos += 1;
                self.skip_whitespace();
                if self.eat(close) {
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        self.string()?;
                        self.skip_whitespace();
                        if self.next()? != b':' {
                            return None;
                        }
                        self.skip_whitespace();
                    }
                    self.value(depth + 1)?;
                    self.skip_whitespace();
                    match self.next()? {
                        b',' => self.skip_whitespace(),
                        byte if byte == close => return Some(()),
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }

    /// A string without escapes or control characters (at `"`): its contents, as bytes (only
    /// compared, so no UTF-8 boundary checks are needed).
    fn string(&mut self) -> Option<&'a [u8]> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let mut end = start;
        while !STRING_STOPS[usize::from(*self.bytes.get(end)?)] {
            end += 1;
        }
        if self.bytes[end] != b'"' {
            return None;
        }
        self.pos = end + 1;
        Some(&self.bytes[start..end])
    }

    /// A number, by JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.') {
            self.one_or_more_digits()?;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            self.one_or_more_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn one_or_more_digits(&mut self) -> Option<()> {
        if !self.peek()?.is_ascii_digit() {
            return None;
        }
        self.digits();
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if !self.bytes.get(self.pos..)?.starts_with(word) {
            return None;
        }
        self.pos += word.len();
        Some(())
    }
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
