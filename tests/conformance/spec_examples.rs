//! Every example of section 7 of the JSON-RPC 2.0 specification, sent as written there.
//!
//! Responses are compared as JSON values with the specification's. Two freedoms the
//! specification grants are allowed for: an error's `data` member is the server's to choose
//! (it is dropped before comparing), and a batch's answers may come in any order.

use serde_json::Value;

use crate::harness::target;

/// `response` without any error's `data` member, which the specification leaves to the server.
fn without_data(mut response: Value) -> Value {
    match &mut response {
        Value::Array(members) => members.iter_mut().for_each(strip_data),
        other => strip_data(other),
    }
    response
}

fn strip_data(member: &mut Value) {
    if let Some(error) = member.get_mut("error").and_then(Value::as_object_mut) {
        error.remove("data");
    }
}

/// Sends `request` and checks the answer against the specification's `expected`.
async fn exchange(request: &str, expected: &str) {
    let actual = without_data(target().call(request).await);
    let mut expected: Value = serde_json::from_str(expected).expect("the expected text is JSON");
    // A batch's answers may come in any order: compare them sorted.
    if let (Value::Array(actual), Value::Array(expected)) = (&actual, &mut expected) {
        let mut actual: Vec<String> = actual.iter().map(Value::to_string).collect();
        let mut expected: Vec<String> = expected.iter().map(Value::to_string).collect();
        actual.sort();
        expected.sort();
        assert_eq!(actual, expected, "{request}");
        return;
    }
    assert_eq!(actual, expected, "{request}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_with_positional_parameters() {
    exchange(
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#,
        r#"{"jsonrpc": "2.0", "result": 19, "id": 1}"#,
    )
    .await;
    exchange(
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#,
        r#"{"jsonrpc": "2.0", "result": -19, "id": 2}"#,
    )
    .await;
    // The exact bytes, too: no spaces, members in the specification's order.
    assert_eq!(
        target()
            .call_text(r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#)
            .await,
        r#"{"jsonrpc":"2.0","result":19,"id":1}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_with_named_parameters() {
    exchange(
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#,
        r#"{"jsonrpc": "2.0", "result": 19, "id": 3}"#,
    )
    .await;
    exchange(
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#,
        r#"{"jsonrpc": "2.0", "result": 19, "id": 4}"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification() {
    target()
        .notify(r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#)
        .await;
    target()
        .notify(r#"{"jsonrpc": "2.0", "method": "foobar"}"#)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_of_a_non_existent_method() {
    exchange(
        r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#,
        r#"{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_with_invalid_json() {
    exchange(
        r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#,
        r#"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_with_an_invalid_request_object() {
    exchange(
        r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
        r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_batch_with_invalid_json() {
    exchange(
        r#"[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
]"#,
        r#"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_with_an_empty_array() {
    exchange(
        "[]",
        r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_with_an_invalid_batch_but_not_empty() {
    exchange(
        "[1]",
        r#"[
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
]"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_with_an_invalid_batch() {
    exchange(
        "[1,2,3]",
        r#"[
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
]"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_batch() {
    exchange(
        r#"[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]"#,
        r#"[
        {"jsonrpc": "2.0", "result": 7, "id": "1"},
        {"jsonrpc": "2.0", "result": 19, "id": "2"},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
        {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
    ]"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_call_batch_of_notifications_only() {
    target()
        .notify(
            r#"[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]"#,
        )
        .await;
}
