//! Writing response bytes. Ids are copied as the raw JSON text the client sent, so every id
//! comes back byte for byte (9007199254740993 stays 9007199254740993).

use crate::wire::budget::Holding;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::wire::request::Entry;
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
    pub fn new<T: Serialize + ?Sized>(value: &T) -> Result<SuccessHead, Error> {
        let mut buffer = Vec::with_capacity(128);
        buffer.extend_from_slice(SUCCESS_PREFIX);
        match serde_json::to_writer(&mut buffer, value) {
            Ok(()) => Ok(SuccessHead(buffer)),
            Err(e) => Err(result_not_serializable(e)),
        }
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
    Success(SuccessHead, &'a RawValue),
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

    pub(crate) fn into_single(self) -> Vec<u8> {
        match self {
            Answer::Success(head, id) => finish(head, id),
            Answer::Error(bytes) => bytes,
        }
    }
}

/// Completes a success response with its id.
pub(crate) fn finish(head: SuccessHead, id: &RawValue) -> Vec<u8> {
    let mut bytes = head.0;
    push_id(&mut bytes, Some(id));
    bytes
}

/// A complete error response; `id` is `None` when it could not be read (sent as `null`).
pub(crate) fn error(error: &Error, id: Option<&RawValue>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(96);
    bytes.extend_from_slice(br#"{"jsonrpc":"2.0","error":"#);
    serde_json::to_writer(&mut bytes, error).expect("an error object always serializes");
    push_id(&mut bytes, id);
    bytes
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
    // Writing to a vector cannot fail.
    let _ = write!(JsonStringContents(&mut bytes), "{cause}");
    bytes.extend_from_slice(br#""},"id":null}"#);
    bytes
}

/// A parse error response up to the opening quote of its `data`.
const PARSE_ERROR_HEAD: &[u8] =
    br#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":""#;

/// Writes text into a buffer as the contents of a JSON string, escaped as serde_json escapes.
struct JsonStringContents<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for JsonStringContents<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        if !text
            .bytes()
            .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\')
        {
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
pub(crate) fn too_large_call(max_size: usize, id: Option<&RawValue>) -> Vec<u8> {
    let reason = format!("the response is larger than the limit of {max_size} bytes");
    error(&Error::internal_error().with_data(reason), id)
}

/// A batch response as its answers come in: the answers in the order of the requests, and the
/// size of the array they make, kept within the size limit.
pub(crate) struct Batch<'a> {
    /// One per request started: `None` for a notification or a call still running.
    answers: Vec<Option<Answer<'a>>>,
    /// The bytes of the array of the answers in so far: each answer with the `[` or `,` before
    /// it, and the closing `]`. Exact, so that the response is written into one allocation.
    size: usize,
    max_size: usize,
    /// The memory budget the answers held so far count against, over HTTP.
    budget: Option<Holding<'a>>,
    /// Stopped by the budget rather than by the size limit.
    over_budget: bool,
}

/// An answer would have made a batch response larger than the size limit (or than the memory
/// budget has room for); it was dropped.
pub(crate) struct OverLimit;

impl<'a> Batch<'a> {
    /// An empty batch response with room for `len` answers, at most `max_size` bytes, held
    /// against `budget` as they come in.
    pub(crate) fn new(len: usize, max_size: usize, budget: Option<Holding<'a>>) -> Self {
        Batch {
            answers: Vec::with_capacity(len),
            size: 1,
            max_size,
            budget,
            over_budget: false,
        }
    }

    /// How many requests have been started.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.answers.len()
    }

    /// Places the answer of the next request (`None` for a notification).
    #[inline]
    pub(crate) fn push(&mut self, answer: Option<Answer<'a>>) -> Result<(), OverLimit> {
        if let Some(answer) = &answer {
            self.count(answer)?;
        }
        self.answers.push(answer);
        Ok(())
    }

    /// Keeps the place of the next request, whose call is still running.
    #[inline]
    pub(crate) fn push_running(&mut self) {
        self.answers.push(None);
    }

    /// Places the answer of the running call at `index`.
    #[inline]
    pub(crate) fn set(
        &mut self,
        index: usize,
        answer: Option<Answer<'a>>,
    ) -> Result<(), OverLimit> {
        if let Some(answer) = &answer {
            self.count(answer)?;
        }
        self.answers[index] = answer;
        Ok(())
    }

    /// Adds `answer` to the size, unless that takes the size past the limit.
    #[inline]
    fn count(&mut self, answer: &Answer<'_>) -> Result<(), OverLimit> {
        let size = self.size + 1 + answer.size();
        if size > self.max_size {
            return Err(OverLimit);
        }
        if let Some(Holding { budgets, held }) = &mut self.budget {
            if held.grow_to(budgets, size).is_err() {
                self.over_budget = true;
                return Err(OverLimit);
            }
        }
        self.size = size;
        Ok(())
    }

    /// The array of the answers, or nothing when every request was a notification.
    pub(crate) fn finish(self) -> Option<Vec<u8>> {
        let mut bytes = Vec::with_capacity(self.size);
        for answer in self.answers.into_iter().flatten() {
            bytes.push(if bytes.is_empty() { b'[' } else { b',' });
            match answer {
                Answer::Success(head, id) => {
                    bytes.extend_from_slice(&head.0);
                    push_id(&mut bytes, Some(id));
                }
                Answer::Error(error) => bytes.extend_from_slice(&error),
            }
        }
        if bytes.is_empty() {
            return None;
        }
        bytes.push(b']');
        Some(bytes)
    }

    /// The array for a batch stopped at the size limit: the answers in, and for every other
    /// request of `entries` that expects one, a short -32603 error with its id (an invalid
    /// request object gets its -32600, as ever).
    #[cold]
    pub(crate) fn over_limit(self, entries: &[Entry<'_>]) -> Vec<u8> {
        let reason = if self.over_budget {
            "the batch's answers grew past what the server's memory budget has room for".to_owned()
        } else {
            format!(
                "the batch's response grew past the limit of {} bytes",
                self.max_size
            )
        };
        let mut stopped = error(&Error::internal_error().with_data(reason), None);
        // Up to the id, which is each request's own.
        stopped.truncate(stopped.len() - br#","id":null}"#.len());
        let invalid = |id, reason: &str| error(&Error::invalid_request().with_data(reason), id);
        // The bytes the other requests add, so that this response too is one allocation (a
        // copy grown past the limit would be twice as large while it moves).
        let answered = |index: usize| matches!(self.answers.get(index), Some(Some(_)));
        let tail: usize = (entries.iter().enumerate())
            .filter(|&(index, _)| !answered(index))
            .map(|(_, entry)| match entry {
                Entry::Call(request) => request.id.map_or(0, |id| {
                    1 + stopped.len() + r#","id":}"#.len() + id.get().len()
                }),
                Entry::Invalid { id, reason } => 1 + invalid(*id, reason).len(),
            })
            .sum();
        let mut bytes = Vec::with_capacity(self.size + tail);
        let mut answers = self.answers.into_iter();
        for entry in entries {
            let separator = if bytes.is_empty() { b'[' } else { b',' };
            match (answers.next().flatten(), entry) {
                (Some(answer), _) => {
                    bytes.push(separator);
                    push_answer(&mut bytes, answer);
                }
                (None, Entry::Call(request)) => {
                    if let Some(id) = request.id {
                        bytes.push(separator);
                        bytes.extend_from_slice(&stopped);
                        push_id(&mut bytes, Some(id));
                    }
                }
                (None, Entry::Invalid { id, reason }) => {
                    bytes.push(separator);
                    bytes.extend_from_slice(&invalid(*id, reason));
                }
            }
        }
        bytes.push(b']');
        debug_assert_eq!(bytes.len(), bytes.capacity(), "the size is exact");
        bytes
    }
}

/// Appends one answer, complete with its id.
fn push_answer(bytes: &mut Vec<u8>, answer: Answer<'_>) {
    match answer {
        Answer::Success(head, id) => {
            bytes.extend_from_slice(&head.0);
            push_id(bytes, Some(id));
        }
        Answer::Error(error) => bytes.extend_from_slice(&error),
    }
}

/// Appends `,"id":<id>}`, closing the response object.
fn push_id(bytes: &mut Vec<u8>, id: Option<&RawValue>) {
    bytes.extend_from_slice(br#","id":"#);
    bytes.extend_from_slice(id.map_or("null", RawValue::get).as_bytes());
    bytes.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let expected = error(&Error::parse_error().with_data(cause.to_string()), None);
            assert_eq!(
                String::from_utf8(parse_error(&cause)).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
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
