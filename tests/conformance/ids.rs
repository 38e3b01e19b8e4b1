//! Ids: every kind the specification allows comes back exactly as sent, in success and error
//! responses and inside batches; a missing id makes a notification; an id of any other kind
//! makes the request invalid.

use serde_json::{json, Value};

use crate::harness::{assert_error, by_id, members, target};

/// Ids of every allowed kind, as raw JSON text. Each must come back byte for byte.
const IDS: &[&str] = &[
    r#""1""#,
    r#""abc""#,
    r#""""#,
    r#""with \"quotes\", a \\ and \u00e9\n""#,
    r#""日本 😀""#,
    "0",
    "1",
    "-7",
    "-0",
    "1.5",
    "-0.25",
    "1e3",
    "2.50",
    // Beyond 2^53, where a double loses precision: 2^53 + 1, 2^63, 2^64, -(2^63) - 1, and more.
    "9007199254740993",
    "9223372036854775808",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "1e400",
    "null",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_allowed_id_is_echoed_byte_for_byte() {
    for id in IDS {
        let response = target()
            .call_text(format!(r#"{{"jsonrpc":"2.0","method":"ping","id":{id}}}"#))
            .await;
        assert_eq!(
            response,
            format!(r#"{{"jsonrpc":"2.0","result":"pong","id":{id}}}"#)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_echoed_byte_for_byte_in_errors_too() {
    for id in IDS {
        for request in [
            format!(r#"{{"jsonrpc":"2.0","method":"no_such_method","id":{id}}}"#),
            format!(r#"{{"jsonrpc":"2.0","method":"subtract","params":[1],"id":{id}}}"#),
            format!(r#"{{"jsonrpc":"2.0","method":"fail","id":{id}}}"#),
        ] {
            let response = target().call_text(&request).await;
            assert!(
                response.ends_with(&format!(r#","id":{id}}}"#)),
                "{request} got {response}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_echoed_byte_for_byte_in_a_batch() {
    let calls: Vec<String> = IDS
        .iter()
        .map(|id| format!(r#"{{"jsonrpc":"2.0","method":"ping","id":{id}}}"#))
        .collect();
    let response = target().call_text(format!("[{}]", calls.join(","))).await;
    // Answers may come in any order; each must appear exactly once, exactly as sent.
    for id in IDS {
        let answer = format!(r#"{{"jsonrpc":"2.0","result":"pong","id":{id}}}"#);
        assert_eq!(
            response.matches(&answer).count(),
            1,
            "{answer} once in {response}"
        );
    }
    // And nothing else: `1e400` is out of serde_json's range, so count rather than parse.
    assert!(
        response.starts_with('[') && response.ends_with(']'),
        "{response}"
    );
    assert_eq!(
        response.matches(r#"{"jsonrpc""#).count(),
        IDS.len(),
        "{response}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_id_is_a_request_answered_with_a_null_id() {
    let response = target()
        .post(r#"{"jsonrpc":"2.0","method":"ping","id":null}"#)
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.text(),
        r#"{"jsonrpc":"2.0","result":"pong","id":null}"#
    );
    // In a batch too.
    let response = target()
        .call(r#"[{"jsonrpc":"2.0","method":"ping","id":null}]"#)
        .await;
    assert_eq!(
        response,
        json!([{"jsonrpc":"2.0","result":"pong","id":null}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absent_id_makes_a_notification() {
    target()
        .notify(r#"{"jsonrpc":"2.0","method":"ping"}"#)
        .await;
    target()
        .notify(r#"{"jsonrpc":"2.0","method":"subtract","params":[2,1]}"#)
        .await;
    // Even a notification that fails gets no answer.
    target()
        .notify(r#"{"jsonrpc":"2.0","method":"subtract","params":["x"]}"#)
        .await;
    target()
        .notify(r#"{"jsonrpc":"2.0","method":"divide","params":[1,0]}"#)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_that_is_an_object_array_or_boolean_is_invalid() {
    for id in ["{}", r#"{"a":1}"#, "[]", "[1]", "true", "false"] {
        let response = target()
            .call(format!(r#"{{"jsonrpc":"2.0","method":"ping","id":{id}}}"#))
            .await;
        assert_error(&response, -32600, &Value::Null);
        // Such a request is answered even though it has no usable id.
        let response = target()
            .call(format!(
                r#"[{{"jsonrpc":"2.0","method":"ping","id":{id}}},{{"jsonrpc":"2.0","method":"ping","id":2}}]"#
            ))
            .await;
        assert_eq!(members(&response).len(), 2, "{response}");
        assert_error(by_id(&response, &Value::Null), -32600, &Value::Null);
        assert_eq!(by_id(&response, &json!(2))["result"], "pong");
    }
}
