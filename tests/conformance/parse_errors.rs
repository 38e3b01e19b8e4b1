//! Parse errors (-32700): bodies that are not one JSON text (RFC 8259, no extensions) are
//! answered with a single error object whose id is null, with status 200, and the server goes on
//! serving.

use serde_json::Value;

use crate::harness::{assert_error, target};

/// Checks that every body is answered with -32700 and a null id, then that `ping` still works.
async fn assert_parse_errors(bodies: &[&[u8]]) {
    for body in bodies {
        let response = target().call(body).await;
        assert!(
            response.is_object(),
            "{:?} got {response}",
            String::from_utf8_lossy(body)
        );
        assert_error(&response, -32700, &Value::Null);
    }
    target().assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_bodies() {
    assert_parse_errors(&[
        b"{",
        b"[",
        br#"{"jsonrpc""#,
        br#"{"jsonrpc":"2.0","method":"pi"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":1"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":1,"#,
        br#"[{"jsonrpc":"2.0","method":"ping","id":1}"#,
        br#"[{"jsonrpc":"2.0","method":"ping","id":1},"#,
        br#""unterminated"#,
        b"tru",
        b"nul",
        b"-",
        b"1.",
        b"1e",
        br#"{"jsonrpc":"2.0","method":"echo","params":["\u00"],"id":1}"#,
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_and_whitespace_only_bodies() {
    assert_parse_errors(&[b"", b" ", b"\n", b"\r\n\t  \r\n"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8() {
    assert_parse_errors(&[
        // A byte that never occurs in UTF-8, inside a string.
        b"{\"jsonrpc\":\"2.0\",\"method\":\"p\xffing\",\"id\":1}",
        // Latin-1 e-acute.
        b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"caf\xe9\"],\"id\":1}",
        // An overlong encoding of '/'.
        b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"\xc0\xaf\"],\"id\":1}",
        // A UTF-16 surrogate encoded as UTF-8 (CESU-8).
        b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"\xed\xa0\x80\"],\"id\":1}",
        // A multi-byte sequence cut short.
        b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"\xe6\x97\"],\"id\":1}",
        // A continuation byte outside any string.
        b"\x80{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_garbage() {
    assert_parse_errors(&[
        br#"{"jsonrpc":"2.0","method":"ping","id":1} x"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":1}}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":1}]"#,
        br#"[{"jsonrpc":"2.0","method":"ping","id":1}]]"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":1} null"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":1},"#,
        b"{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}\0",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concatenated_objects() {
    assert_parse_errors(&[
        br#"{"jsonrpc":"2.0","method":"ping","id":1}{"jsonrpc":"2.0","method":"ping","id":2}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":1} {"jsonrpc":"2.0","method":"ping","id":2}"#,
        b"{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}\n{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":2}\n",
        br#"[{"jsonrpc":"2.0","method":"ping","id":1}][{"jsonrpc":"2.0","method":"ping","id":2}]"#,
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nan_and_infinity() {
    assert_parse_errors(&[
        br#"{"jsonrpc":"2.0","method":"ping","id":NaN}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":Infinity}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":-Infinity}"#,
        br#"{"jsonrpc":"2.0","method":"divide","params":[NaN,1],"id":1}"#,
        br#"{"jsonrpc":"2.0","method":"echo","params":[Infinity],"id":1}"#,
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments() {
    assert_parse_errors(&[
        br#"/* comment */ {"jsonrpc":"2.0","method":"ping","id":1}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":1 /* comment */}"#,
        b"{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1 // comment\n}",
        b"# comment\n{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_commas() {
    assert_parse_errors(&[
        br#"{"jsonrpc":"2.0","method":"ping","id":1,}"#,
        br#"{"jsonrpc":"2.0","method":"subtract","params":[42,23,],"id":1}"#,
        br#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23,},"id":1}"#,
        br#"[{"jsonrpc":"2.0","method":"ping","id":1},]"#,
        b"[,]",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_control_characters_in_strings() {
    assert_parse_errors(&[
        b"{\"jsonrpc\":\"2.0\",\"method\":\"pi\x01ng\",\"id\":1}",
        b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"a\nb\"],\"id\":1}",
        b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"a\tb\"],\"id\":1}",
        b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"a\0b\"],\"id\":1}",
        b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"a\x1fb\"],\"id\":1}",
        b"{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":\"\x1b\"}",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_javascript_isms_and_bad_literals() {
    assert_parse_errors(&[
        br#"{'jsonrpc':'2.0','method':'ping','id':1}"#,
        br#"{jsonrpc:"2.0",method:"ping",id:1}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":01}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":0x10}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":+1}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":.5}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":undefined}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":True}"#,
        br#"{"jsonrpc":"2.0","method":"echo","params":["\x41"],"id":1}"#,
        br#"{"jsonrpc":"2.0","method":"echo","params":["\u12G4"],"id":1}"#,
        br#"{"jsonrpc":"2.0","method":"ping","id":1]"#,
        br#"{"jsonrpc" "2.0","method":"ping","id":1}"#,
        br#"{"jsonrpc":"2.0" "method":"ping","id":1}"#,
    ])
    .await;
}
