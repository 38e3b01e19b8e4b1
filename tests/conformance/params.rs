//! Params: by position or by name; every way of not fitting a method's signature is -32602
//! (with a message naming the param at fault, and the request's id), and optional params may
//! be left out, given as null, or given.

use serde_json::{json, Value};

use crate::harness::{assert_error, target};

/// Calls `method` with `params` (raw JSON) and id 7, and returns the response.
async fn call(method: &str, params: &str) -> Value {
    target()
        .call(format!(
            r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":7}}"#
        ))
        .await
}

/// Asserts that the call is -32602 "Invalid params", and that its detail (`data`, a string)
/// mentions `mentions`.
async fn assert_invalid_params(method: &str, params: &str, mentions: &str) {
    let response = call(method, params).await;
    assert_error(&response, -32602, &json!(7));
    assert_eq!(response["error"]["message"], "Invalid params", "{response}");
    let detail = response["error"]["data"].as_str().unwrap();
    assert!(
        detail.contains(mentions),
        "{method}({params}): the detail {detail:?} should mention {mentions:?}"
    );
}

/// Asserts that the call succeeds with exactly `result`.
async fn assert_result(method: &str, params: &str, result: Value) {
    let response = call(method, params).await;
    assert_eq!(
        response,
        json!({"jsonrpc": "2.0", "result": result, "id": 7}),
        "{method}({params})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_params() {
    assert_invalid_params("subtract", "[42,23,1]", "too many").await;
    assert_invalid_params("update", "[1,2,3,4,5,6]", "too many").await;
    assert_invalid_params("ping", "[1]", "too many").await;
    assert_invalid_params("echo", "[1,2]", "too many").await;
    assert_invalid_params("greet", r#"["Ann","Hi","there"]"#, "too many").await;
    // By name, an extra member is a param the method does not have.
    assert_invalid_params(
        "subtract",
        r#"{"minuend":42,"subtrahend":23,"extra":1}"#,
        "extra",
    )
    .await;
    assert_invalid_params("ping", r#"{"x":1}"#, "`x`").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_few_params() {
    assert_invalid_params("subtract", "[42]", "subtrahend").await;
    assert_invalid_params("subtract", "[]", "minuend").await;
    assert_invalid_params("update", "[1,2,3,4]", "`e`").await;
    assert_invalid_params("notify_hello", "[]", "`x`").await;
    assert_invalid_params("echo", "[]", "value").await;
    assert_invalid_params("sleep", "{}", "ms").await;
    // No params at all is the same as an empty list.
    let response = target()
        .call(r#"{"jsonrpc":"2.0","method":"subtract","id":7}"#)
        .await;
    assert_error(&response, -32602, &json!(7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_named_params() {
    assert_invalid_params("subtract", r#"{"minuend":42}"#, "subtrahend").await;
    assert_invalid_params("subtract", r#"{"subtrahend":23}"#, "minuend").await;
    assert_invalid_params("subtract", "{}", "minuend").await;
    assert_invalid_params("greet", r#"{"greeting":"Hi"}"#, "name").await;
    // Names are case-sensitive, and positions are not names.
    assert_invalid_params("subtract", r#"{"Minuend":42,"subtrahend":23}"#, "minuend").await;
    assert_invalid_params("subtract", r#"{"0":42,"1":23}"#, "minuend").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_param_given_twice_by_name() {
    assert_invalid_params(
        "subtract",
        r#"{"minuend":42,"minuend":1,"subtrahend":23}"#,
        "minuend",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn params_of_the_wrong_type() {
    assert_invalid_params("subtract", r#"["42",23]"#, "minuend").await;
    assert_invalid_params("subtract", r#"[42,[23]]"#, "subtrahend").await;
    assert_invalid_params("subtract", r#"{"minuend":true,"subtrahend":23}"#, "minuend").await;
    assert_invalid_params("divide", r#"["1",2]"#, "`a`").await;
    assert_invalid_params("greet", "[5]", "name").await;
    assert_invalid_params("greet", r#"["Ann",5]"#, "greeting").await;
    assert_invalid_params("sleep", r#"["10"]"#, "ms").await;
    // Out of range for the integer type.
    assert_invalid_params("subtract", "[9223372036854775808,1]", "minuend").await;
    assert_invalid_params("sleep", "[-1]", "ms").await;
    // `Params<Vec<i64>>` takes a list of integers, nothing else.
    for params in [r#"["1"]"#, "[1.5]", "[null]", r#"{"a":1}"#, "[[1]]"] {
        for method in ["sum", "notify_sum"] {
            let response = call(method, params).await;
            assert_error(&response, -32602, &json!(7));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fraction_for_an_integer() {
    assert_invalid_params("subtract", "[42.5,23]", "minuend").await;
    assert_invalid_params("subtract", "[42,0.1]", "subtrahend").await;
    assert_invalid_params(
        "subtract",
        r#"{"minuend":42,"subtrahend":2.5e-1}"#,
        "subtrahend",
    )
    .await;
    assert_invalid_params("sleep", "[1.5]", "ms").await;
    assert_invalid_params("notify_hello", "[7.25]", "`x`").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_for_an_integer() {
    assert_invalid_params("subtract", "[null,23]", "minuend").await;
    assert_invalid_params(
        "subtract",
        r#"{"minuend":42,"subtrahend":null}"#,
        "subtrahend",
    )
    .await;
    assert_invalid_params("sleep", "[null]", "ms").await;
    assert_invalid_params("divide", "[1,null]", "`b`").await;
    // Null is not "absent" for a required param either.
    assert_invalid_params("greet", "[null]", "name").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn params_that_fit() {
    assert_result("subtract", "[42,23]", json!(19)).await;
    assert_result("subtract", r#"{"subtrahend":23,"minuend":42}"#, json!(19)).await;
    assert_result("subtract", "[-9223372036854775807,1]", json!(i64::MIN)).await;
    assert_result("update", "[1,2,3,4,5]", Value::Null).await;
    assert_result("notify_hello", "[7]", Value::Null).await;
    assert_result("sum", "[1,2,4]", json!(7)).await;
    assert_result("sum", "[]", json!(0)).await;
    assert_result("notify_sum", "[1,2,4]", json!(7)).await;
    assert_result("get_data", "[]", json!(["hello", 5])).await;
    assert_result("ping", "[]", json!("pong")).await;
    assert_result("ping", "{}", json!("pong")).await;
    assert_result("divide", "[10,4]", json!(2.5)).await;
    assert_result("divide", r#"{"b":4,"a":10}"#, json!(2.5)).await;
    assert_result("sleep", "[0]", json!(0)).await;
    // Absent params of a `Params<Vec<_>>` method are an empty list.
    let response = target()
        .call(r#"{"jsonrpc":"2.0","method":"sum","id":7}"#)
        .await;
    assert_eq!(response["result"], 0, "{response}");
}

/// Issue 3 gives these methods the params `a`..`e` and `x`: callable by those names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_params_use_the_specified_names() {
    assert_result("update", r#"{"e":5,"d":4,"c":3,"b":2,"a":1}"#, Value::Null).await;
    assert_result("notify_hello", r#"{"x":7}"#, Value::Null).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_params() {
    let hello = json!("Hello, Ann!");
    let hi = json!("Hi, Ann!");
    // Left off the end of a positional list, or out of an object.
    assert_result("greet", r#"["Ann"]"#, hello.clone()).await;
    assert_result("greet", r#"{"name":"Ann"}"#, hello.clone()).await;
    // Given as null.
    assert_result("greet", r#"["Ann",null]"#, hello.clone()).await;
    assert_result("greet", r#"{"name":"Ann","greeting":null}"#, hello.clone()).await;
    // Given.
    assert_result("greet", r#"["Ann","Hi"]"#, hi.clone()).await;
    assert_result("greet", r#"{"name":"Ann","greeting":"Hi"}"#, hi.clone()).await;
    assert_result("greet", r#"{"greeting":"Hi","name":"Ann"}"#, hi).await;
    // An empty string is a greeting, not an absent one.
    assert_result("greet", r#"["Ann",""]"#, json!(", Ann!")).await;
    // The required param stays required.
    assert_invalid_params("greet", "[]", "name").await;
    assert_invalid_params("greet", "{}", "name").await;
    let response = target()
        .call(r#"{"jsonrpc":"2.0","method":"greet","id":7}"#)
        .await;
    assert_error(&response, -32602, &json!(7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_param_takes_any_json() {
    for value in [
        "null",
        "true",
        "0",
        "-1.5",
        r#""""#,
        "[]",
        "{}",
        r#"{"a":[1,{"b":null}],"c":"d"}"#,
    ] {
        let expected: Value = serde_json::from_str(value).unwrap();
        assert_result("echo", &format!("[{value}]"), expected.clone()).await;
        assert_result("echo", &format!(r#"{{"value":{value}}}"#), expected).await;
    }
}

/// `echo` returns its value unchanged: integers too large for 64 bits included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "known limitation: params are decoded into serde_json::Value, which without \
            serde_json's `arbitrary_precision` feature holds integers only up to 64 bits; \
            larger ones come back rounded to a double"]
async fn echo_keeps_integers_beyond_64_bits() {
    for value in [
        "18446744073709551616",
        "-9223372036854775809",
        "123456789012345678901234567890",
    ] {
        let response = target()
            .call_text(format!(
                r#"{{"jsonrpc":"2.0","method":"echo","params":[{value}],"id":7}}"#
            ))
            .await;
        assert_eq!(
            response,
            format!(r#"{{"jsonrpc":"2.0","result":{value},"id":7}}"#)
        );
    }
}
