//! Invalid requests (-32600): JSON that is not a request object of section 4. When the id
//! itself is valid it is echoed; when it is absent or unusable the answer's id is null. Invalid
//! requests are always answered, even without an id: they are not notifications.

use serde_json::{json, Value};

use crate::harness::{assert_error, members, target};

/// Request objects with id 1 that break one rule of section 4 each.
const BROKEN_MEMBERS: &[&str] = &[
    // `jsonrpc` missing or not exactly the string "2.0".
    r#"{"method":"ping","id":1}"#,
    r#"{"jsonrpc":"1.0","method":"ping","id":1}"#,
    r#"{"jsonrpc":"2","method":"ping","id":1}"#,
    r#"{"jsonrpc":"2.00","method":"ping","id":1}"#,
    r#"{"jsonrpc":" 2.0","method":"ping","id":1}"#,
    r#"{"jsonrpc":2.0,"method":"ping","id":1}"#,
    r#"{"jsonrpc":2,"method":"ping","id":1}"#,
    r#"{"jsonrpc":null,"method":"ping","id":1}"#,
    r#"{"jsonrpc":["2.0"],"method":"ping","id":1}"#,
    r#"{"jsonrpc":{"version":"2.0"},"method":"ping","id":1}"#,
    // `method` missing or not a string.
    r#"{"jsonrpc":"2.0","id":1}"#,
    r#"{"jsonrpc":"2.0","method":null,"id":1}"#,
    r#"{"jsonrpc":"2.0","method":1,"id":1}"#,
    r#"{"jsonrpc":"2.0","method":true,"id":1}"#,
    r#"{"jsonrpc":"2.0","method":["ping"],"id":1}"#,
    r#"{"jsonrpc":"2.0","method":{"name":"ping"},"id":1}"#,
    // `params` present but neither an array nor an object.
    r#"{"jsonrpc":"2.0","method":"subtract","params":"42,23","id":1}"#,
    r#"{"jsonrpc":"2.0","method":"subtract","params":42,"id":1}"#,
    r#"{"jsonrpc":"2.0","method":"subtract","params":true,"id":1}"#,
    r#"{"jsonrpc":"2.0","method":"ping","params":null,"id":1}"#,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_object_that_breaks_a_rule_is_invalid_and_keeps_its_id() {
    for request in BROKEN_MEMBERS {
        let response = target().call(request).await;
        assert_error(&response, -32600, &json!(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_request_without_an_id_is_still_answered_with_a_null_id() {
    for request in [
        "{}",
        r#"{"method":"ping"}"#,
        r#"{"jsonrpc":"2.0"}"#,
        r#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#,
        r#"{"jsonrpc":"2.0","method":"ping","params":5}"#,
        r#"{"jsonrpc":"1.0","method":"ping"}"#,
    ] {
        let response = target().call(request).await;
        assert_error(&response, -32600, &Value::Null);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_a_bare_scalar_is_invalid() {
    for request in [
        r#""ping""#,
        r#""{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}""#,
        r#""""#,
        "42",
        "-1.5",
        "0",
        "null",
        "true",
        "false",
        " 7 ",
    ] {
        let response = target().call(request).await;
        assert!(response.is_object(), "{request} got {response}");
        assert_error(&response, -32600, &Value::Null);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invalid_member_of_a_batch_gets_its_own_error() {
    let batch = format!("[{}]", BROKEN_MEMBERS.join(","));
    let response = target().call(batch).await;
    let answers = members(&response);
    assert_eq!(answers.len(), BROKEN_MEMBERS.len(), "{response}");
    for answer in answers {
        assert_error(answer, -32600, &json!(1));
    }
    let response = target()
        .call(r#"["ping", 42, null, true, {}, {"jsonrpc":"2.0","method":1}]"#)
        .await;
    let answers = members(&response);
    assert_eq!(answers.len(), 6, "{response}");
    for answer in answers {
        assert_error(answer, -32600, &Value::Null);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_the_specification_does_not_define_are_ignored() {
    let response = target()
        .call_text(r#"{"jsonrpc":"2.0","method":"ping","id":1,"extra":{"deep":[1,2]},"x":null}"#)
        .await;
    assert_eq!(response, r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
    // Member order does not matter, and escapes in member names and values are read.
    for request in [
        r#"{"id":1,"method":"pi\u006eg","jsonrpc":"\u0032.0"}"#,
        r#"{"\u006aso\u006erpc":"2.0","\u006dethod":"ping","\u0069d":1}"#,
    ] {
        let response = target().call_text(request).await;
        assert_eq!(response, r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
    }
}
