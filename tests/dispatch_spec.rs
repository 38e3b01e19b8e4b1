//! The dispatcher against the JSON-RPC 2.0 specification: section 7's examples, ids, invalid
//! requests, parse errors, batches, results, errors, panics and notifications.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{call, call_text, error_code};
use jsonrpc_runtime::{method, Dispatcher, Error, Params, RpcResult};
use serde_json::{json, Value};

#[method]
fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend - subtrahend
}

#[method]
async fn sum(numbers: Params<Vec<i64>>) -> i64 {
    numbers.iter().sum()
}

#[method]
fn update(_a: i64, _b: i64, _c: i64, _d: i64, _e: i64) {}

#[method]
fn notify_hello(_x: i64) {}

#[method]
fn get_data() -> (&'static str, i64) {
    ("hello", 5)
}

#[method]
fn ping() -> &'static str {
    "pong"
}

static NOTIFIED: AtomicUsize = AtomicUsize::new(0);

#[method]
fn record() {
    NOTIFIED.fetch_add(1, Ordering::SeqCst);
}

#[method]
fn divide(a: f64, b: f64) -> Result<f64, Error> {
    if b == 0.0 {
        return Err(Error::new(-32001, "division by zero").with_data(json!({ "dividend": a })));
    }
    Ok(a / b)
}

#[derive(Debug)]
enum AppError {
    NotFound(String),
}

impl From<AppError> for Error {
    fn from(error: AppError) -> Error {
        match error {
            AppError::NotFound(what) => Error::new(404, format!("{what} not found")),
        }
    }
}

#[method]
fn find(what: String) -> Result<(), AppError> {
    Err(AppError::NotFound(what))
}

#[method]
fn checked(n: u8) -> RpcResult<u8> {
    n.checked_mul(2)
        .ok_or_else(|| Error::invalid_params("too large"))
}

#[method]
fn fail() -> i64 {
    panic!("this method always panics")
}

#[method]
async fn fail_later() -> i64 {
    tokio::task::yield_now().await;
    panic!("this method panics after an await")
}

/// Never awaits, so it runs to completion where it is called, unboxed: its panic is still
/// caught for its call.
#[method]
async fn fail_at_once() -> i64 {
    panic!("this async method panics before any await")
}

fn dispatcher() -> Dispatcher {
    Dispatcher::builder().build().unwrap()
}

async fn single(body: &str) -> Value {
    call(&dispatcher(), body).await.expect("a response")
}

// Section 7, in the specification's order.

#[tokio::test]
async fn spec_positional_parameters() {
    let d = dispatcher();
    let r = call_text(
        &d,
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#,
    )
    .await;
    assert_eq!(r, r#"{"jsonrpc":"2.0","result":19,"id":1}"#);
    let r = call_text(
        &d,
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#,
    )
    .await;
    assert_eq!(r, r#"{"jsonrpc":"2.0","result":-19,"id":2}"#);
}

#[tokio::test]
async fn spec_named_parameters() {
    let d = dispatcher();
    let r = call_text(
        &d,
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#,
    )
    .await;
    assert_eq!(r, r#"{"jsonrpc":"2.0","result":19,"id":3}"#);
    let r = call_text(
        &d,
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#,
    )
    .await;
    assert_eq!(r, r#"{"jsonrpc":"2.0","result":19,"id":4}"#);
}

#[tokio::test]
async fn spec_notifications_get_nothing() {
    let d = dispatcher();
    assert_eq!(
        call(
            &d,
            r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#
        )
        .await,
        None
    );
    assert_eq!(
        call(&d, r#"{"jsonrpc": "2.0", "method": "foobar"}"#).await,
        None
    );
}

#[tokio::test]
async fn spec_non_existent_method() {
    let r = single(r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#).await;
    assert_eq!(error_code(&r), -32601);
    assert_eq!(r["error"]["message"], "Method not found");
    assert_eq!(r["id"], "1");
}

#[tokio::test]
async fn spec_invalid_json() {
    let r = call_text(
        &dispatcher(),
        r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#,
    )
    .await;
    let r: Value = serde_json::from_str(&r).unwrap();
    assert_eq!(error_code(&r), -32700);
    assert_eq!(r["error"]["message"], "Parse error");
    assert_eq!(r["id"], Value::Null);
}

#[tokio::test]
async fn spec_invalid_request_object() {
    let r = single(r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#).await;
    assert_eq!(error_code(&r), -32600);
    assert_eq!(r["error"]["message"], "Invalid Request");
    assert_eq!(r["id"], Value::Null);
}

#[tokio::test]
async fn spec_batch_invalid_json() {
    let r = single(
        r#"[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method"
    ]"#,
    )
    .await;
    assert_eq!(error_code(&r), -32700);
    assert_eq!(r["id"], Value::Null);
}

#[tokio::test]
async fn spec_empty_array() {
    let r = single("[]").await;
    assert!(
        r.is_object(),
        "an empty batch gets one error object, not an array: {r}"
    );
    assert_eq!(error_code(&r), -32600);
    assert_eq!(r["id"], Value::Null);
}

#[tokio::test]
async fn spec_invalid_batch_but_not_empty() {
    let r = single("[1]").await;
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert_eq!(error_code(&r[0]), -32600);
    assert_eq!(r[0]["id"], Value::Null);
}

#[tokio::test]
async fn spec_invalid_batch() {
    let r = single("[1,2,3]").await;
    let r = r.as_array().unwrap();
    assert_eq!(r.len(), 3);
    for member in r {
        assert_eq!(error_code(member), -32600);
        assert_eq!(member["id"], Value::Null);
    }
}

#[tokio::test]
async fn spec_batch() {
    let r = single(
        r#"[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]"#,
    )
    .await;
    let r = r.as_array().unwrap();
    assert_eq!(r.len(), 5, "the notification gets no member: {r:?}");
    let by_id = |id: &str| {
        r.iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no id {id}"))
    };
    assert_eq!(by_id("1")["result"], 7);
    assert_eq!(by_id("2")["result"], 19);
    assert_eq!(error_code(by_id("5")), -32601);
    assert_eq!(by_id("9")["result"], json!(["hello", 5]));
    let invalid: Vec<_> = r.iter().filter(|m| m["id"].is_null()).collect();
    assert_eq!(invalid.len(), 1);
    assert_eq!(error_code(invalid[0]), -32600);
}

#[tokio::test]
async fn spec_batch_all_notifications() {
    let r = call(
        &dispatcher(),
        r#"[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]"#,
    )
    .await;
    assert_eq!(r, None);
}

// Ids.

#[tokio::test]
async fn ids_of_every_allowed_kind_are_echoed_byte_for_byte() {
    let d = dispatcher();
    for id in [
        r#""abc""#,
        r#""\u00e9\n""#,
        "0",
        "-7",
        "1.5",
        "1e3",
        "9007199254740993",
        "-18446744073709551617",
        "null",
    ] {
        let body = format!(r#"{{"jsonrpc":"2.0","method":"ping","id":{id}}}"#);
        let response = call_text(&d, &body).await;
        assert_eq!(
            response,
            format!(r#"{{"jsonrpc":"2.0","result":"pong","id":{id}}}"#)
        );
    }
}

#[tokio::test]
async fn ids_that_are_not_string_number_or_null_are_invalid() {
    for id in ["{}", "[1]", "true", "false"] {
        let r = single(&format!(r#"{{"jsonrpc":"2.0","method":"ping","id":{id}}}"#)).await;
        assert_eq!(error_code(&r), -32600, "id {id}");
        assert_eq!(r["id"], Value::Null);
    }
}

#[tokio::test]
async fn an_invalid_request_keeps_its_valid_id() {
    let r = single(r#"{"jsonrpc":"1.0","method":"ping","id":7}"#).await;
    assert_eq!(error_code(&r), -32600);
    assert_eq!(r["id"], 7);
}

// Invalid requests.

#[tokio::test]
async fn invalid_request_shapes() {
    let cases = [
        r#"{"method":"ping","id":1}"#,
        r#"{"jsonrpc":"1.0","method":"ping","id":1}"#,
        r#"{"jsonrpc":2.0,"method":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","method":null,"id":1}"#,
        r#"{"jsonrpc":"2.0","method":["ping"],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"subtract","params":"42","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"subtract","params":42,"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"subtract","params":null,"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"ping","method":"ping","id":1}"#,
        r#""ping""#,
        "42",
        "null",
        "true",
    ];
    for body in cases {
        let r = single(body).await;
        assert_eq!(error_code(&r), -32600, "{body} gave {r}");
    }
}

#[tokio::test]
async fn an_escaped_version_string_is_still_2_0() {
    let r = single(r#"{"jsonrpc":"\u0032.0","method":"ping","id":1}"#).await;
    assert_eq!(r["result"], "pong");
}

#[tokio::test]
async fn unknown_members_are_ignored() {
    let r = single(r#"{"jsonrpc":"2.0","method":"ping","id":1,"extra":{"deep":[1,2]}}"#).await;
    assert_eq!(r["result"], "pong");
}

// Parse errors.

#[tokio::test]
async fn bodies_that_are_not_json() {
    let mut cases: Vec<Vec<u8>> = [
        "",
        "   \n\t ",
        r#"{"jsonrpc":"2.0","method":"ping","id":1"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1} x"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1}{"jsonrpc":"2.0","method":"ping","id":2}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":NaN}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":Infinity}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1 /* comment */}"#,
        r#"{"jsonrpc":"2.0","method":"ping","id":1,}"#,
        r#"[{"jsonrpc":"2.0","method":"ping","id":1},]"#,
        "{\"jsonrpc\":\"2.0\",\"method\":\"pi\u{1}ng\",\"id\":1}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    cases.push(b"{\"jsonrpc\":\"2.0\",\"method\":\"p\xffing\",\"id\":1}".to_vec());
    let d = dispatcher();
    for body in cases {
        let response = d.dispatch(&body).await.expect("a parse error is answered");
        let r: Value = serde_json::from_slice(&response).unwrap();
        assert_eq!(
            error_code(&r),
            -32700,
            "{:?} gave {r}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(r["id"], Value::Null);
    }
}

#[tokio::test]
async fn deep_nesting_is_an_error_not_a_crash() {
    let open = "[".repeat(200_000);
    let r = single(&open).await;
    assert_eq!(error_code(&r), -32700);
    let closed = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = single(&closed).await;
    assert_eq!(error_code(&r), -32700);
    assert!(
        r["error"]["data"]
            .as_str()
            .unwrap()
            .contains("limit of 128"),
        "{r}"
    );
    let within = format!(
        r#"{{"jsonrpc":"2.0","method":"sum","params":[{}{}],"id":1}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert_eq!(error_code(&single(&within).await), -32602);

    // With the limit lifted, serde_json's own recursion limit still keeps decoding safe.
    let unlimited = Dispatcher::builder().max_depth(usize::MAX).build().unwrap();
    let r = call(&unlimited, &closed).await.unwrap();
    assert_eq!(error_code(&r[0]), -32600, "a nested array is not a request");
    let deep_params = format!(
        r#"{{"jsonrpc":"2.0","method":"sum","params":[{}{}],"id":1}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(
        error_code(&call(&unlimited, &deep_params).await.unwrap()),
        -32602
    );
}

#[tokio::test]
async fn batch_length_limit() {
    let d = Dispatcher::builder().max_batch_len(3).build().unwrap();
    let ping = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
    let r = call(&d, &format!("[{ping},{ping},{ping}]")).await.unwrap();
    assert_eq!(r.as_array().unwrap().len(), 3);
    let r = call(&d, &format!("[{ping},{ping},{ping},{ping}]"))
        .await
        .unwrap();
    assert!(r.is_object(), "{r}");
    assert_eq!(error_code(&r), -32600);
    assert_eq!(call(&d, ping).await.unwrap()["result"], "pong");
}

#[tokio::test]
async fn response_size_limit() {
    let d = Dispatcher::builder().max_response_size(60).build().unwrap();
    let small = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
    assert_eq!(call(&d, small).await.unwrap()["result"], "pong");
    // One call over the limit fails alone.
    let r = call(
        &d,
        r#"{"jsonrpc":"2.0","method":"get_data","id":"a-long-id-that-pushes-it-over"}"#,
    )
    .await
    .unwrap();
    assert_eq!(error_code(&r), -32603);
    // A batch whose members fit but whose whole does not: the answers that fit are kept, the
    // rest get -32603 with their own ids (tests/batch_limits.rs has the details).
    let second = r#"{"jsonrpc":"2.0","method":"ping","id":2}"#;
    let r = call(&d, &format!("[{small},{second}]")).await.unwrap();
    let r = r.as_array().unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["result"], "pong");
    assert_eq!(error_code(&r[1]), -32603);
    assert_eq!(r[1]["id"], 2);
}

// Batches.

#[tokio::test]
async fn batch_members_keep_their_own_errors() {
    let r = single(
        r#"[{"jsonrpc":"2.0","method":"ping","id":1},[],{"jsonrpc":"2.0","method":"subtract","params":[1],"id":2},{"jsonrpc":"2.0","method":"ping","id":{}}]"#,
    )
    .await;
    let r = r.as_array().unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(r[0]["result"], "pong");
    assert_eq!(error_code(&r[1]), -32600);
    assert_eq!(error_code(&r[2]), -32602);
    assert_eq!(r[2]["id"], 2);
    assert_eq!(error_code(&r[3]), -32600);
}

#[tokio::test]
async fn a_batch_of_a_hundred_calls() {
    let calls: Vec<String> = (0..100)
        .map(|i| format!(r#"{{"jsonrpc":"2.0","method":"subtract","params":[{i},1],"id":{i}}}"#))
        .collect();
    let r = single(&format!("[{}]", calls.join(","))).await;
    let r = r.as_array().unwrap();
    assert_eq!(r.len(), 100);
    for member in r {
        assert_eq!(
            member["result"].as_i64().unwrap(),
            member["id"].as_i64().unwrap() - 1
        );
    }
}

// Results and errors.

#[tokio::test]
async fn application_errors_carry_code_message_and_data() {
    let r = single(r#"{"jsonrpc":"2.0","method":"divide","params":[3,0],"id":1}"#).await;
    assert_eq!(
        r["error"],
        json!({"code": -32001, "message": "division by zero", "data": {"dividend": 3.0}})
    );
    assert_eq!(r["id"], 1);
    let r = single(r#"{"jsonrpc":"2.0","method":"divide","params":[3,2],"id":1}"#).await;
    assert_eq!(r["result"], 1.5);
}

#[tokio::test]
async fn user_error_types_convert_into_error_objects() {
    let r = single(r#"{"jsonrpc":"2.0","method":"find","params":["cat"],"id":1}"#).await;
    assert_eq!(r["error"], json!({"code": 404, "message": "cat not found"}));
    let r = single(r#"{"jsonrpc":"2.0","method":"checked","params":[200],"id":1}"#).await;
    assert_eq!(error_code(&r), -32602);
    let r = single(r#"{"jsonrpc":"2.0","method":"checked","params":[20],"id":1}"#).await;
    assert_eq!(r["result"], 40);
}

#[tokio::test]
async fn method_names_are_case_sensitive() {
    let r = single(r#"{"jsonrpc":"2.0","method":"PING","id":1}"#).await;
    assert_eq!(error_code(&r), -32601);
    let r = single(r#"{"jsonrpc":"2.0","method":"rpc.ping","id":1}"#).await;
    assert_eq!(error_code(&r), -32601);
}

// Panics and notifications.

#[tokio::test]
async fn a_panic_answers_internal_error_for_that_call_only() {
    let d = dispatcher();
    for method in ["fail", "fail_later", "fail_at_once"] {
        let r = call(
            &d,
            &format!(r#"{{"jsonrpc":"2.0","method":"{method}","id":1}}"#),
        )
        .await
        .unwrap();
        assert_eq!(error_code(&r), -32603, "{method}");
        assert_eq!(r["id"], 1);
    }
    let r = call(
        &d,
        r#"[{"jsonrpc":"2.0","method":"fail","id":1},{"jsonrpc":"2.0","method":"fail_later","id":2},{"jsonrpc":"2.0","method":"ping","id":3}]"#,
    )
    .await
    .unwrap();
    assert_eq!(error_code(&r[0]), -32603);
    assert_eq!(error_code(&r[1]), -32603);
    assert_eq!(r[2]["result"], "pong");
    assert_eq!(call(&d, r#"{"jsonrpc":"2.0","method":"fail"}"#).await, None);
    let r = call(&d, r#"{"jsonrpc":"2.0","method":"ping","id":4}"#)
        .await
        .unwrap();
    assert_eq!(r["result"], "pong");
}

#[tokio::test]
async fn notifications_run_even_though_nothing_is_sent() {
    let d = dispatcher();
    let before = NOTIFIED.load(Ordering::SeqCst);
    assert_eq!(
        call(&d, r#"{"jsonrpc":"2.0","method":"record"}"#).await,
        None
    );
    assert_eq!(call(&d, r#"[{"jsonrpc":"2.0","method":"record"},{"jsonrpc":"2.0","method":"record","params":[]}]"#).await, None);
    assert_eq!(NOTIFIED.load(Ordering::SeqCst) - before, 3);
    // A notification with bad params or an unknown method still gets no answer.
    assert_eq!(
        call(&d, r#"{"jsonrpc":"2.0","method":"record","params":[1]}"#).await,
        None
    );
    assert_eq!(call(&d, r#"{"jsonrpc":"2.0","method":"nope"}"#).await, None);
}
