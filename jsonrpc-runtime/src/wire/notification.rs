//! Writing the notifications of a subscription: its items and the message that ends it.
//! Ids and items arrive as JSON text and are copied as they are.

use crate::Error;

/// `{"jsonrpc":"2.0","method":<method>,"params":{"subscription":<id>,"result":<item>}}`.
pub(crate) fn item(method: &str, id_json: &str, item_json: &str) -> Vec<u8> {
    let mut bytes = head(method, id_json, item_json.len() + 12);
    bytes.extend_from_slice(br#","result":"#);
    bytes.extend_from_slice(item_json.as_bytes());
    bytes.extend_from_slice(b"}}");
    bytes
}

/// The end of a subscription the server ended normally: `..."params":{"subscription":<id>,"complete":true}}`.
pub(crate) fn complete(method: &str, id_json: &str) -> Vec<u8> {
    let mut bytes = head(method, id_json, 20);
    bytes.extend_from_slice(br#","complete":true}}"#);
    bytes
}

/// The end of a subscription the server ended with an error:
/// `..."params":{"subscription":<id>,"error":{"code":..,"message":..}}}`.
pub(crate) fn error(method: &str, id_json: &str, error: &Error) -> Vec<u8> {
    let mut bytes = head(method, id_json, 64);
    bytes.extend_from_slice(br#","error":"#);
    serde_json::to_writer(&mut bytes, error).expect("an error object always serializes");
    bytes.extend_from_slice(b"}}");
    bytes
}

/// `{"jsonrpc":"2.0","method":<method>,"params":{"subscription":<id>`, with room for `extra`
/// more bytes.
fn head(method: &str, id_json: &str, extra: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(64 + method.len() + id_json.len() + extra);
    bytes.extend_from_slice(br#"{"jsonrpc":"2.0","method":"#);
    // Method names are the server's own: JSON-escape them all the same.
    serde_json::to_writer(&mut bytes, method).expect("a string always serializes");
    bytes.extend_from_slice(br#","params":{"subscription":"#);
    bytes.extend_from_slice(id_json.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_the_documented_json() {
        let item = item("ticks", r#""ab""#, "[1,2]");
        assert_eq!(
            std::str::from_utf8(&item).unwrap(),
            r#"{"jsonrpc":"2.0","method":"ticks","params":{"subscription":"ab","result":[1,2]}}"#
        );
        let complete = complete("ticks", "7");
        assert_eq!(
            std::str::from_utf8(&complete).unwrap(),
            r#"{"jsonrpc":"2.0","method":"ticks","params":{"subscription":7,"complete":true}}"#
        );
        let error = error("ticks", "7", &Error::new(-1, "no"));
        assert_eq!(
            std::str::from_utf8(&error).unwrap(),
            r#"{"jsonrpc":"2.0","method":"ticks","params":{"subscription":7,"error":{"code":-1,"message":"no"}}}"#
        );
    }
}
