//! Writing response bytes. Ids are copied as the raw JSON text the client sent, so every id
//! comes back byte for byte (9007199254740993 stays 9007199254740993).

use serde_json::value::RawValue;

use crate::dispatch::Answer;
use crate::handler::SuccessHead;
use crate::Error;

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
pub(crate) fn parse_error(cause: &serde_json::Error) -> Vec<u8> {
    error(&Error::parse_error().with_data(cause.to_string()), None)
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

/// A batch response: the array of the answers, or nothing when every call was a notification.
pub(crate) fn batch<'a>(answers: Vec<Option<Answer<'a>>>) -> Option<Vec<u8>> {
    // The exact size, so that the response is written into one allocation.
    let size = answers
        .iter()
        .flatten()
        .map(|answer| match answer {
            Answer::Success(head, id) => head.0.len() + r#","id":}"#.len() + id.get().len(),
            Answer::Error(error) => error.len(),
        })
        .sum::<usize>();
    let mut bytes = Vec::with_capacity(size + answers.len() + 1);
    for answer in answers.into_iter().flatten() {
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

/// Appends `,"id":<id>}`, closing the response object.
fn push_id(bytes: &mut Vec<u8>, id: Option<&RawValue>) {
    bytes.extend_from_slice(br#","id":"#);
    bytes.extend_from_slice(id.map_or("null", RawValue::get).as_bytes());
    bytes.push(b'}');
}
