//! The scanner: reads the request bodies clients usually send by itself, and hands what it read
//! over as the same [`Message`] serde_json's reader would give. It gives up (returns `None`) on
//! anything else, which the serde path of [`request`](super::request) then answers exactly.
//! It builds on [`request`](super::request)'s types; `request` does not know of it.
//!
//! Ids and params stay text the scanner checked, a [`RawJson`](super::request::RawJson), which
//! costs nothing to make; serde_json reads an id only when a method asks for it as a
//! [`RawValue`](serde_json::value::RawValue) (through [`CallContext`](crate::CallContext)).

use std::borrow::Cow;

#[cfg(test)]
use super::member_spans::MAX_SPANNED_MEMBERS;
use super::member_spans::{MemberSpans, SpanRecorder};
use super::plain::first_special;
#[cfg(test)]
use super::request::parse;
use super::request::{Entry, Members, Message, RawText};

/// How deep the scanner follows nesting itself; deeper bodies go to serde_json's reader (and the
/// depth limit) as before.
pub(super) const SCAN_MAX_DEPTH: usize = 64;

/// Reads the bodies clients send, without serde: one request object or a batch of request
/// objects, whose strings have no escapes and whose nesting is within `max_depth`. `None` for
/// any other body, valid or not: [`parse_text`](super::request::parse_text) then reads it (and
/// the depth is checked after), and gives the exact answer for it.
///
/// When it reads a body, the result is the one `parse_text` gives, and the body is within the depth
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

/// How this crate's clients, and many others, begin a request object: up to the opening quote
/// of the method's name.
const COMMON_OPENING: &[u8] = br#"{"jsonrpc":"2.0","method":""#;

/// The members of a request object the scanner keeps.
enum Member {
    Jsonrpc,
    Method,
    Params,
    Id,
    /// Members the specification does not define, which are ignored.
    Other,
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
}

impl<'a> Scanner<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    #[inline]
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// The bytes from the current position on.
    #[inline]
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// JSON's whitespace, as serde_json reads it: space, tab, line feed, carriage return.
    #[inline]
    fn skip_whitespace(&mut self) {
        // Compact bodies have none: one comparison decides (every whitespace byte is <= b' ').
        if self.peek().is_some_and(|byte| byte > b' ') {
            return;
        }
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// A request object (at `{`), `depth` deep, with its members checked.
    fn request(&mut self, depth: usize) -> Option<Entry<'a>> {
        if depth > self.max_depth {
            return None;
        }
        let mut members = Members::<&'a str>::default();
        if self.rest().starts_with(COMMON_OPENING) {
            // The version and the method's opening quote, as those clients write them, compared
            // at once: the same as reading those two members one by one below.
            self.pos += COMMON_OPENING.len() - 1;
            members.jsonrpc = Some("\"2.0\"");
            let method = self.string()?;
            // The string's text with its quotes (it has no escapes).
            let start = self.pos - method.len() - 2;
            members.method = Some(self.text.get(start..self.pos)?);
            self.skip_whitespace();
            match self.next()? {
                b',' => self.skip_whitespace(),
                b'}' => return Some(members.check()),
                _ => return None,
            }
        } else {
            self.pos += 1;
            self.skip_whitespace();
            if self.eat(b'}') {
                return Some(members.check());
            }
        }
        loop {
            let slot = match self.key()? {
                Member::Id => Some(&mut members.id),
                // The version as clients write it, without reading it as a string.
                Member::Jsonrpc if self.rest().starts_with(b"\"2.0\"") => {
                    self.pos += 5;
                    members.duplicate |= members.jsonrpc.replace("\"2.0\"").is_some();
                    None
                }
                Member::Jsonrpc => Some(&mut members.jsonrpc),
                Member::Method => Some(&mut members.method),
                Member::Params => {
                    let (text, spans) = self.params(depth + 1)?;
                    members.duplicate |= members.params.replace(text).is_some();
                    members.params_spans = spans;
                    None
                }
                Member::Other => {
                    self.value(depth + 1)?;
                    None
                }
            };
            if let Some(slot) = slot {
                let text = self.value_text(depth + 1)?;
                members.duplicate |= slot.replace(text).is_some();
            }
            self.skip_whitespace();
            match self.next()? {
                b',' => self.skip_whitespace(),
                b'}' => break,
                _ => return None,
            }
        }
        Some(members.check())
    }

    /// A member's key (at its opening quote), the colon after it and the whitespace around that:
    /// which member it is.
    fn key(&mut self) -> Option<Member> {
        // The compact layout: a key clients send, then at once its colon, compared as bytes.
        let rest = self.rest();
        let (member, len) = match rest.get(1) {
            Some(b'j') if rest.starts_with(b"\"jsonrpc\":") => (Member::Jsonrpc, 10),
            Some(b'm') if rest.starts_with(b"\"method\":") => (Member::Method, 9),
            Some(b'p') if rest.starts_with(b"\"params\":") => (Member::Params, 9),
            Some(b'i') if rest.starts_with(b"\"id\":") => (Member::Id, 5),
            _ => {
                let member = match self.string()? {
                    b"jsonrpc" => Member::Jsonrpc,
                    b"method" => Member::Method,
                    b"params" => Member::Params,
                    b"id" => Member::Id,
                    _ => Member::Other,
                };
                self.skip_whitespace();
                if self.next()? != b':' {
                    return None;
                }
                (member, 0)
            }
        };
        self.pos += len;
        self.skip_whitespace();
        Some(member)
    }

    /// Steps over one JSON value (at its first byte), `depth` deep: its text.
    #[inline]
    fn value_text(&mut self, depth: usize) -> Option<&'a str> {
        let start = self.pos;
        // A method's name, read here rather than through `value`.
        if self.peek()? == b'"' {
            self.string()?;
        } else {
            self.value(depth)?;
        }
        self.text.get(start..self.pos)
    }

    /// Steps over one JSON value; a container counts as `depth` deep.
    ///
    /// Strings and numbers, most ids and params values, are stepped over in line; literals and
    /// containers out of line. Always in line, so that a container's scalar members cost no
    /// call either (the compiler would not inline it into `literal_or_container`, which it
    /// calls back).
    #[inline(always)]
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.literal_or_container(depth),
        }
    }

    /// Steps over a literal, an array or an object.
    #[inline(never)]
    fn literal_or_container(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'[' => self.array(depth),
            b'{' => self.object(depth, |_, _, _, _| {}),
            _ => None,
        }
    }

    /// Steps over an array (at `[`), `depth` deep.
    #[inline(always)]
    fn array(&mut self, depth: usize) -> Option<()> {
        if self.open(depth, b']')? {
            return Some(());
        }
        loop {
            self.value(depth + 1)?;
            if self.after_element(b']')? {
                return Some(());
            }
        }
    }

    /// Steps over an object (at `{`), `depth` deep. For each member, `member` is told where
    /// its name is (from its first byte to its closing quote) and where its value is, as
    /// offsets in the body.
    #[inline(always)]
    fn object(
        &mut self,
        depth: usize,
        mut member: impl FnMut(usize, usize, usize, usize),
    ) -> Option<()> {
        if self.open(depth, b'}')? {
            return Some(());
        }
        loop {
            let name_start = self.pos + 1;
            self.string()?;
            let name_end = self.pos - 1;
            self.skip_whitespace();
            if self.next()? != b':' {
                return None;
            }
            self.skip_whitespace();
            let value_start = self.pos;
            self.value(depth + 1)?;
            member(name_start, name_end, value_start, self.pos);
            if self.after_element(b'}')? {
                return Some(());
            }
        }
    }

    /// Steps into a container (at its opening bracket), `depth` deep, and over the whitespace
    /// after: whether `close` follows at once (and is stepped over), an empty container.
    /// `None` when the container is deeper than the scanner goes.
    #[inline(always)]
    fn open(&mut self, depth: usize, close: u8) -> Option<bool> {
        if depth > self.max_depth {
            return None;
        }
        self.pos += 1;
        self.skip_whitespace();
        Some(self.eat(close))
    }

    /// Steps over what follows a container's element: `true` for the container's `close`,
    /// `false` for a comma (and the whitespace after it); `None` for anything else.
    #[inline(always)]
    fn after_element(&mut self, close: u8) -> Option<bool> {
        self.skip_whitespace();
        match self.next()? {
            b',' => {
                self.skip_whitespace();
                Some(false)
            }
            byte if byte == close => Some(true),
            _ => None,
        }
    }

    /// The value of `params` (at its first byte), `depth` deep: its text, and where its
    /// members are when it is an object of a few (see [`MemberSpans`]).
    #[inline]
    fn params(&mut self, depth: usize) -> Option<(&'a str, MemberSpans)> {
        let start = self.pos;
        let spans = if self.peek()? == b'{' {
            let mut recorder = SpanRecorder::new(start);
            self.object(depth, |name_start, name_end, value_start, value_end| {
                recorder.member(name_start, name_end, value_start, value_end)
            })?;
            recorder.finish(self.pos)
        } else {
            self.value(depth)?;
            MemberSpans::NOT_NOTED
        };
        Some((self.text.get(start..self.pos)?, spans))
    }

    /// A string without escapes or control characters (at `"`): its contents, as bytes (only
    /// compared, so no UTF-8 boundary checks are needed).
    #[inline]
    fn string(&mut self) -> Option<&'a [u8]> {
        let (b'"', rest) = self.rest().split_first()? else {
            return None;
        };
        // The plain run ends at the closing quote, an escape, or a control character (which
        // JSON does not allow in strings).
        let len = first_special(rest)?;
        let (contents, [b'"', ..]) = rest.split_at(len) else {
            return None;
        };
        self.pos += len + 2;
        Some(contents)
    }

    /// A number, by JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    ///
    /// Inlined for the integers ids and params mostly are; a fraction or an exponent is read
    /// out of line.
    #[inline]
    fn number(&mut self) -> Option<()> {
        let bytes = self.bytes;
        let mut at = self.pos + usize::from(bytes.get(self.pos) == Some(&b'-'));
        match bytes.get(at)? {
            b'0' => at += 1,
            b'1'..=b'9' => {
                at += 1;
                // A loop of its own rather than `digits`, whose iterator cost 4-12 more
                // instructions per call (callgrind).
                while let Some(b'0'..=b'9') = bytes.get(at) {
                    at += 1;
                }
            }
            _ => return None,
        }
        if let Some(b'.' | b'e' | b'E') = bytes.get(at) {
            return self.fraction_and_exponent(at - self.pos);
        }
        self.pos = at;
        Some(())
    }

    /// The rest of a number whose integer part is `len` bytes long, at its `.`, `e` or `E`.
    #[inline(never)]
    fn fraction_and_exponent(&mut self, mut len: usize) -> Option<()> {
        let rest = self.rest();
        if rest.get(len) == Some(&b'.') {
            len += 1 + one_or_more_digits(&rest[len + 1..])?;
        }
        if let Some(b'e' | b'E') = rest.get(len) {
            len += 1;
            if let Some(b'+' | b'-') = rest.get(len) {
                len += 1;
            }
            len += one_or_more_digits(rest.get(len..)?)?;
        }
        self.pos += len;
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if !self.rest().starts_with(word) {
            return None;
        }
        self.pos += word.len();
        Some(())
    }
}

/// How many ASCII digits `bytes` starts with.
#[inline]
fn digits(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|byte| !byte.is_ascii_digit())
        .unwrap_or(bytes.len())
}

/// How many ASCII digits `bytes` starts with; `None` for none.
#[inline]
fn one_or_more_digits(bytes: &[u8]) -> Option<usize> {
    Some(digits(bytes)).filter(|&count| count > 0)
}

/// Text the scanner has checked: JSON, and its strings have no escapes.
impl<'a> RawText<'a> for &'a str {
    fn text(self) -> &'a str {
        self
    }
    fn string(self) -> Option<Cow<'a, str>> {
        // A scanned string ends with its quote: the slices need no UTF-8 boundary checks.
        let contents = self.strip_prefix('"')?.strip_suffix('"')?;
        Some(Cow::Borrowed(contents))
    }
}

/// Whether arrays and objects in `body` nest deeper than `max_depth`.
///
/// A plain scan of the bytes, outside strings: it needs no stack, so it is safe on any input,
/// and it runs before parsing so that no deeper structure reaches a decoder. Malformed JSON
/// may give any answer; the parser reports it afterwards.
pub(crate) fn nests_deeper_than(body: &[u8], max_depth: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::member_spans::MAX_SPANNED_LEN;
    use crate::wire::request::{RawJson, RawParams, Request};
    use serde_json::value::RawValue;

    /// Everything a message holds, written out, for comparing the two readers.
    fn describe(message: &Message<'_>) -> String {
        let entry = |entry: &Entry<'_>| match entry {
            Entry::Call(request) => format!(
                "call method={:?} params={:?} id={:?}",
                request.method,
                request.params.map(RawParams::get),
                request.id.map(RawJson::get)
            ),
            Entry::Invalid { id, reason } => {
                format!("invalid id={:?} reason={reason}", id.map(RawJson::get))
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
        assert_params_are_raw_values(&scanned, text);
        assert_member_spans_agree(&scanned, text);
        true
    }

    /// The members of an object, as serde_json reads them: each name and its value's text.
    fn members_by_serde(params: &str) -> Vec<(String, String)> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Vec<(String, String)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, &RawValue>()? {
                    members.push((name, value.get().to_owned()));
                }
                Ok(members)
            }
        }
        let mut deserializer = serde_json::Deserializer::from_str(params);
        serde::Deserializer::deserialize_map(&mut deserializer, Members).expect("an object")
    }

    /// The entries of a message, a single one as a batch of one.
    fn entries<'m, 'a>(message: &'m Message<'a>) -> &'m [Entry<'a>] {
        match message {
            Message::Single(single) => std::slice::from_ref(single),
            Message::Batch(entries) => entries,
        }
    }

    /// Where the scanner notes the members of a params object, they are the members serde_json
    /// reads, in order; and it notes them for every object of a few members in a short text.
    fn assert_member_spans_agree(message: &Message<'_>, text: &str) {
        for entry in entries(message) {
            let Entry::Call(Request {
                params: Some(params),
                ..
            }) = entry
            else {
                continue;
            };
            let params_text = params.get();
            if !params_text.starts_with('{') {
                assert!(params.member_spans().is_none(), "{text}");
                continue;
            }
            let by_serde = members_by_serde(params_text);
            let Some(spans) = params.member_spans() else {
                assert!(
                    by_serde.len() > MAX_SPANNED_MEMBERS || params_text.len() > MAX_SPANNED_LEN,
                    "members not noted: {text}"
                );
                continue;
            };
            let noted: Vec<(String, String)> = spans
                .iter()
                .map(|&[name_start, name_end, value_start, value_end]| {
                    let at = |offset: u8| usize::from(offset);
                    (
                        params_text[at(name_start)..at(name_end)].to_owned(),
                        params_text[at(value_start)..at(value_end)].to_owned(),
                    )
                })
                .collect();
            assert_eq!(noted, by_serde, "{text}");
        }
    }

    /// The params and ids the scanner reads are text serde_json reads as a `RawValue` on its
    /// own, as middleware and `CallContext` hand them out.
    fn assert_params_are_raw_values(message: &Message<'_>, text: &str) {
        for entry in entries(message) {
            let (params, id) = match entry {
                Entry::Call(Request { params, id, .. }) => (*params, *id),
                Entry::Invalid { id, .. } => (None, *id),
            };
            for raw in params.map(RawParams::json).into_iter().chain(id) {
                let read = raw.to_raw_value();
                assert_eq!(read.ok().map(RawValue::get), Some(raw.get()), "{text}");
            }
        }
    }

    const READ: &[&str] = &[
        r#"{"jsonrpc":"2.0","method":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping"}"#,
        " \t\r\n{ \"jsonrpc\" : \"2.0\" , \"method\" : \"ping\" , \"id\" : null } \n",
        r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"subtract","params":{"subtrahend":23,"minuend":42},"id":"3"}"#,
        // Params objects whose members are noted, and ones too large for that.
        "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":{ \"a\" : 1 ,\n\"b\":[1,{\"c\":2}] ,\"\":\"s\",\"a\":{}\t},\"id\":1}",
        r#"{"jsonrpc":"2.0","method":"x","params":{},"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":{"a":1,"b":2,"c":3,"d":4,"e":5},"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":{"a":"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"},"id":1}"#,
        r#"[{"jsonrpc":"2.0","method":"x","params":{"p":true},"id":1},{"jsonrpc":"2.0","method":"y","params":{"q":null,"r":-1.5e3}}]"#,
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
        // Whitespace at every place the compact layout has none, and keys in other orders.
        "{\"jsonrpc\" :\"2.0\",\"method\"\t:\"ping\",\"params\"\n:[],\"id\"\r:1}",
        "{\"jsonrpc\": \"2.0\",\"method\":\n\"ping\",\"params\":\t[ 1 , 2 ],\"id\": 7 }",
        "{ \"id\":1 ,\"params\":{ \"a\" : [ ] } ,\"method\":\"ping\" ,\"jsonrpc\":\"2.0\" }",
        r#"{"params":[1],"id":"x","method":"ping","jsonrpc":"2.0"}"#,
        r#"{"method":"ping","jsonrpc":"2.0"}"#,
        // Keys that start like, or are part of, the ones the compact layout compares as bytes.
        r#"{"jsonrpc":"2.0","method":"ping","idx":1,"i":2,"":3,"methods":4,"param":5,"id":6}"#,
        r#"{"jsonrpcx":"2.0","method":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","methodx":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1,"params":[],"params":{}}"#,
        r#"{"jsonrpc":"2.0","jsonrpc":"2.0","method":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","jsonrpc":"1.0","method":"ping","id":1}"#,
        r#"{"jsonrpc" :"2.0","jsonrpc":"2.0","method":"ping","id":1}"#,
        // Versions and names near "2.0".
        r#"{"jsonrpc":"2.00","method":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0 ","method":"ping","id":1}"#,
        r#"{"jsonrpc":"2","method":"ping","id":1}"#,
        r#"{"jsonrpc":"","method":"ping","id":1}"#,
        r#"{"jsonrpc":["2.0"],"method":"ping","id":1}"#,
        r#"{"jsonrpc":null,"method":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"","id":1}"#,
        r#"{"jsonrpc":"2.0","method":["ping"],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":null,"params":true,"id":1}"#,
        // Numbers of every shape, as params and as ids.
        r#"{"jsonrpc":"2.0","method":"x","params":[0,-0,7,-7,10,1234567890123456789012345678901234567890,0.0,-0.5,1.25,1e5,1E5,1e+5,1e-5,1E-05,-1.5e-3,0e0,-0E+0,9.99e308,5e-324,1e400]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":{"a":0,"b":-1.5,"c":2e3},"id":0}"#,
        r#"{"jsonrpc":"2.0","method":"x","id":-0}"#,
        r#"{"jsonrpc":"2.0","method":"x","id":0.5e-2}"#,
        r#"{"jsonrpc":"2.0","method":"x","id":1E+2}"#,
        r#"{"jsonrpc":"2.0","method":"x","id":123456789012345678901234567890}"#,
        r#"{"jsonrpc":"2.0","method":"x","id":1e400}"#,
        r#"{"jsonrpc":"2.0","method":"x","id":false}"#,
        r#"{"jsonrpc":"2.0","method":"x","id":""}"#,
        // Strings with non-ASCII text and every literal in params.
        "{\"jsonrpc\":\"2.0\",\"method\":\"\u{1f600}\",\"params\":[\"\u{e9}\",\"\u{7f}\",true,false,null],\"id\":\"\u{1f600}\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"\u{e9}\":1,\"id\":1}",
        // The common opening, then members that repeat it or follow it oddly.
        r#"{"jsonrpc":"2.0","method":"ping","method":"pong","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","jsonrpc":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","jsonrpc":"1.0","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"" , "id":1 }"#,
        r#"{"jsonrpc":"2.0","method":"ping" }"#,
    ];

    /// Bodies the scanner leaves to serde_json: escapes, scalars, non-object batch members,
    /// broken JSON.
    const LEFT: &[&str] = &[
        // An id with escapes, as any other string.
        r#"{"jsonrpc":"2.0","method":"ping","id":"a\"b\u00e9"}"#,
        r#"{"jsonrpc":"2.0","method":"pi\u006eg","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping" "id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping":"id"}"#,
        r#"{"jsonrpc":"2.0","method":"ping",}"#,
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
        // Escapes in keys and values the compact layout compares as bytes.
        r#"{"\u0069d":1,"jsonrpc":"2.0","method":"ping"}"#,
        r#"{"jsonrpc":"2.0","method":"ping","i\u0064":1}"#,
        r#"{"jsonrpc":"\u0032.0","method":"ping","id":1}"#,
        r#"{"jsonrpc":"2\u002e0","method":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","me\thod":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","params":["a\nb"],"id":1}"#,
        "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\x01\":1}",
        // Broken members after a key the compact layout read.
        r#"{"jsonrpc":"2.0","method":"ping","id":}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id"}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id" 1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","params":}"#,
        r#"{"jsonrpc":"2.0","method":"ping""#,
        r#"{"jsonrpc":"2.0","method":"ping"#,
        r#"{"jsonrpc":"2.0""#,
        r#"{"jsonrpc":"2.0"#,
        r#"{"jsonrpc":"#,
        r#"{"jsonrpc""#,
        r#"{"#,
        r#"{"id"#,
        r#"{"jsonrpc":"2.0"}}"#,
        r#"{"jsonrpc":"2.0",}"#,
        r#"{"jsonrpc":"2.0","#,
        r#"{"jsonrpc":"2.0":"ping"}"#,
        // Numbers outside JSON's grammar, in params and as ids.
        r#"{"jsonrpc":"2.0","method":"x","params":[-01]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[00]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[1.e5]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[.5]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[1e+]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[1e-]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[1E]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[--1]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[-]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[1.5.]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[0x1]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[1e5e5]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[Infinity]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[tru]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[nulll]}"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[1"#,
        r#"{"jsonrpc":"2.0","method":"x","params":[1.5e"#,
        r#"{"jsonrpc":"2.0","method":"x","id":-01}"#,
        r#"{"jsonrpc":"2.0","method":"x","id":1.5e+}"#,
        r#"{"jsonrpc":"2.0","method":"x","id":.5}"#,
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
            b"\t",
            b"\r",
            b"E",
            b"\"id\":",
            b"\"jsonrpc\":\"2.0\"",
            b"\"\\u0069d\"",
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
    fn counts_brackets_outside_strings_only() {
        assert!(!nests_deeper_than(br#"{"a":[[1]]}"#, 3));
        assert!(nests_deeper_than(br#"{"a":[[1]]}"#, 2));
        assert!(!nests_deeper_than(br#"{"a":"[[[[[\"[[["}"#, 1));
        assert!(nests_deeper_than(&b"[".repeat(200_000), 128));
        assert!(!nests_deeper_than(&b"[]".repeat(200_000), 1));
    }
}
