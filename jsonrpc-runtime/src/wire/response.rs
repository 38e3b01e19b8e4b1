//! Writing response bytes. Ids are copied as the raw JSON text the client sent, so every id
//! comes back byte for byte (9007199254740993 stays 9007199254740993).

use crate::wire::plain::{first_special, push_plain_string};
use crate::wire::request::RawJson;
use crate::wire::simple_result::write_simple;
use serde::Serialize;

use crate::Error;

impl SuccessHead {
    /// The result's JSON text.
    pub(crate) fn result_json(&self) -> &str {
        // The buffer is the prefix followed by serde_json's output: UTF-8 by construction.
        std::str::from_utf8(&self.0[SUCCESS_PREFIX.len()..]).unwrap_or("null")
    }
}

/// A success response written up to and including its result: `{"jsonrpc":"2.0","result":...`.
/// The dispatcher appends the id. Writing the result straight into the response buffer saves a
/// copy and an allocation per call.
pub struct SuccessHead(pub(crate) Vec<u8>);

pub(crate) const SUCCESS_PREFIX: &[u8] = br#"{"jsonrpc":"2.0","result":"#;

impl SuccessHead {
    /// A success response whose result is this JSON text.
    pub(crate) fn raw(json: &str) -> SuccessHead {
        let mut buffer = Vec::with_capacity(SUCCESS_PREFIX.len() + json.len() + 16);
        buffer.extend_from_slice(SUCCESS_PREFIX);
        buffer.extend_from_slice(json.as_bytes());
        SuccessHead(buffer)
    }

    /// Serializes `value` as the result of a success response.
    #[inline]
    pub fn new<T: Serialize + ?Sized>(value: &T) -> Result<SuccessHead, Error> {
        let mut buffer = Vec::with_capacity(128);
        buffer.extend_from_slice(SUCCESS_PREFIX);
        if write_simple(&mut buffer, value) {
            return Ok(SuccessHead(buffer));
        }
        with_serde_json(buffer, value)
    }
}

/// Writes `value` after the prefix already in `buffer`, with serde_json. Kept out of line, so
/// that the simple results' path stays small where it is inlined.
#[inline(never)]
fn with_serde_json<T: Serialize + ?Sized>(
    mut buffer: Vec<u8>,
    value: &T,
) -> Result<SuccessHead, Error> {
    match serde_json::to_writer(&mut buffer, value) {
        Ok(()) => Ok(SuccessHead(buffer)),
        Err(e) => Err(result_not_serializable(e)),
    }
}

#[cold]
fn result_not_serializable(error: serde_json::Error) -> Error {
    tracing::error!(%error, "a method's result could not be serialized");
    Error::internal_error().with_data(format!("the result could not be serialized: {error}"))
}

/// The response to one call, before it is placed in a single response or a batch.
pub(crate) enum Answer<'a> {
    /// A success response missing its id.
    Success(SuccessHead, RawJson<'a>),
    /// A complete error response.
    Error(Vec<u8>),
}

impl Answer<'_> {
    /// Its bytes in a response.
    #[inline]
    pub(crate) fn size(&self) -> usize {
        match self {
            Answer::Success(head, id) => head.0.len() + r#","id":}"#.len() + id.get().len(),
            Answer::Error(bytes) => bytes.len(),
        }
    }

    #[inline]
    pub(crate) fn into_single(self) -> Vec<u8> {
        match self {
            Answer::Success(head, id) => finish(head, id),
            Answer::Error(bytes) => bytes,
        }
    }
}

/// Completes a success response with its id.
pub(crate) fn finish(head: SuccessHead, id: RawJson<'_>) -> Vec<u8> {
    let mut bytes = head.0;
    push_id(&mut bytes, Some(id));
    bytes
}

/// A complete error response; `id` is `None` when it could not be read (sent as `null`).
///
/// The error object is written by hand, as serde_json would write it: the code, the message
/// and a string `data` (most are: a method's name, a reason) need none of serde's machinery,
/// whose inlining varies with the build; other `data` goes to serde_json.
pub(crate) fn error(error: &Error, id: Option<RawJson<'_>>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(96);
    bytes.extend_from_slice(br#"{"jsonrpc":"2.0","error":{"code":"#);
    bytes.extend_from_slice(itoa::Buffer::new().format(error.code()).as_bytes());
    bytes.extend_from_slice(br#","message":"#);
    push_string(&mut bytes, error.message());
    if let Some(data) = error.data() {
        bytes.extend_from_slice(br#","data":"#);
        match data {
            serde_json::Value::String(text) => push_string(&mut bytes, text),
            data => serde_json::to_writer(&mut bytes, data).expect("a JSON value serializes"),
        }
    }
    bytes.push(b'}');
    push_id(&mut bytes, id);
    bytes
}

/// Writes `text` as a JSON string: as it is between quotes when it has nothing to escape, else
/// escaped by serde_json.
fn push_string(bytes: &mut Vec<u8>, text: &str) {
    if !push_plain_string(bytes, text) {
        serde_json::to_writer(&mut *bytes, text).expect("a string always serializes");
    }
}

/// The -32700 response for a body that is not JSON.
///
/// Written straight into the buffer: the same bytes as [`error`] with the cause's text as
/// `data`, without building the text, an [`Error`] and a `Value` first (a client sending
/// garbage should cost little).
pub(crate) fn parse_error(cause: &serde_json::Error) -> Vec<u8> {
    use std::fmt::Write;
    let mut bytes = Vec::with_capacity(128);
    bytes.extend_from_slice(PARSE_ERROR_HEAD);
    // The message as it is, checked in one pass for what a JSON string must escape; written
    // again escaped in the rare case it has some (a message quoting the input). Writing to a
    // vector cannot fail.
    let _ = write!(Plain(&mut bytes), "{cause}");
    if first_special(&bytes[PARSE_ERROR_HEAD.len()..]).is_some() {
        bytes.truncate(PARSE_ERROR_HEAD.len());
        let _ = write!(JsonStringContents(&mut bytes), "{cause}");
    }
    bytes.extend_from_slice(br#""},"id":null}"#);
    bytes
}

/// Writes text into a buffer as it is.
struct Plain<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Plain<'_> {
    #[inline]
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// A parse error response up to the opening quote of its `data`.
const PARSE_ERROR_HEAD: &[u8] =
    br#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":""#;

/// Writes text into a buffer as the contents of a JSON string, escaped as serde_json escapes.
struct JsonStringContents<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for JsonStringContents<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        if first_special(text.as_bytes()).is_none() {
            self.0.extend_from_slice(text.as_bytes());
            return Ok(());
        }
        // Rare (a message quoting the input): serde_json's own escaping, less its quotes.
        let start = self.0.len();
        serde_json::to_writer(&mut *self.0, text).map_err(|_| std::fmt::Error)?;
        self.0.remove(start);
        self.0.pop();
        Ok(())
    }
}

/// The -32700 response for a body nested deeper than the limit.
#[cold]
pub(crate) fn too_deep(max_depth: usize) -> Vec<u8> {
    let reason = format!("arrays and objects nest deeper than the limit of {max_depth}");
    error(&Error::parse_error().with_data(reason), None)
}

/// The -32603 response that replaces a response over the size limit.
#[cold]
pub(crate) fn too_large(max_size: usize) -> Vec<u8> {
    too_large_call(max_size, None)
}

/// The -32603 answer to one call whose response is over the size limit.
#[cold]
pub(crate) fn too_large_call(max_size: usize, id: Option<RawJson<'_>>) -> Vec<u8> {
    let reason = format!("the response is larger than the limit of {max_size} bytes");
    error(&Error::internal_error().with_data(reason), id)
}

/// Appends one answer, complete with its id.
pub(super) fn push_answer(bytes: &mut Vec<u8>, answer: Answer<'_>) {
    match answer {
        Answer::Success(head, id) => {
            bytes.extend_from_slice(&head.0);
            push_id(bytes, Some(id));
        }
        Answer::Error(error) => bytes.extend_from_slice(&error),
    }
}

/// Appends `,"id":<id>}`, closing the response object.
pub(super) fn push_id(bytes: &mut Vec<u8>, id: Option<RawJson<'_>>) {
    bytes.extend_from_slice(br#","id":"#);
    bytes.extend_from_slice(id.map_or("null", RawJson::get).as_bytes());
    bytes.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The response as serde_json writes the error object.
    fn error_by_serde(error: &Error, id: Option<RawJson<'_>>) -> String {
        let mut bytes = br#"{"jsonrpc":"2.0","error":"#.to_vec();
        serde_json::to_writer(&mut bytes, error).unwrap();
        push_id(&mut bytes, id);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn an_error_object_is_written_as_serde_json_writes_it() {
        let texts = [
            "plain",
            "",
            "a \"quoted\" word",
            "back\\slash",
            "line\nbreak and\ttab",
            "\u{1}\u{1f}\u{7f}",
            "ünïcödé, 中文, 🦀",
        ];
        let data = [
            None,
            Some(serde_json::json!(null)),
            Some(serde_json::json!(12)),
            Some(serde_json::json!(-1.5)),
            Some(serde_json::json!(true)),
            Some(serde_json::json!([1, "two", {"three": 3}])),
            Some(serde_json::json!({"reason": "a \"quote\"", "at": [1, 2]})),
        ];
        let ids = [None, Some("1"), Some("\"a\"")].map(|id| id.map(RawJson::checked_by_test));
        for code in [-32700, -32601, 0, 1, i32::MIN, i32::MAX] {
            for message in texts {
                for id in ids {
                    let mut errors = vec![Error::new(code, message.to_owned())];
                    errors.extend(
                        data.iter().flatten().map(|data| {
                            Error::new(code, message.to_owned()).with_data(data.clone())
                        }),
                    );
                    errors.extend(
                        texts.map(|text| Error::new(code, message.to_owned()).with_data(text)),
                    );
                    for error in &errors {
                        let written = String::from_utf8(super::error(error, id)).unwrap();
                        assert_eq!(written, error_by_serde(error, id));
                    }
                }
            }
        }
    }

    #[test]
    fn a_parse_error_is_written_as_the_error_object_would_be() {
        for body in [
            &b"{"[..],
            br#"{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]"#,
            b"[1,2",
            b"nul",
            b"\"\\q\"",
            b"{\"a\":1}\n\n  x",
        ] {
            let cause = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
            assert_written_as_error_object(&cause);
        }
        // Messages with what a JSON string must escape take the other way.
        for message in ["a \"quoted\" word", "back\\slash", "line\nbreak", "plain"] {
            assert_written_as_error_object(&serde::de::Error::custom(message));
        }
    }

    fn assert_written_as_error_object(cause: &serde_json::Error) {
        let expected = error(&Error::parse_error().with_data(cause.to_string()), None);
        assert_eq!(
            String::from_utf8(parse_error(cause)).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }

    #[test]
    fn text_is_escaped_as_serde_json_escapes_it() {
        use std::fmt::Write;
        for text in [
            "plain",
            "a \"quoted\" word",
            "back\\slash",
            "tab\tnew\nline\u{1}",
            "é ✓",
        ] {
            let mut bytes = Vec::new();
            write!(JsonStringContents(&mut bytes), "<{text}>").unwrap();
            let quoted = serde_json::to_string(&format!("<{text}>")).unwrap();
            assert_eq!(
                String::from_utf8(bytes).unwrap(),
                quoted[1..quoted.len() - 1]
            );
        }
    }
}
