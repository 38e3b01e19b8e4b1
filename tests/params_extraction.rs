//! How `#[method]` arguments are decoded from `params`: by position, by name, optional params,
//! whole-params extraction, and every -32602 case.

mod common;

use common::{call, error_code, error_detail, error_message};
use jsonrpc_runtime::{method, Dispatcher, Params};
use serde_json::json;

#[method]
async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend - subtrahend
}

#[method]
fn greet(name: String, greeting: Option<String>) -> String {
    format!("{}, {name}!", greeting.as_deref().unwrap_or("Hello"))
}

#[method]
fn sum(numbers: Params<Vec<i64>>) -> i64 {
    numbers.iter().sum()
}

#[derive(serde::Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

#[method]
fn norm(point: Params<Point>) -> f64 {
    (point.x * point.x + point.y * point.y).sqrt()
}

#[method]
fn divide(a: f64, b: f64) -> f64 {
    a / b
}

#[method]
fn classify(r#type: String, _unused: Option<u8>) -> String {
    r#type
}

#[method]
fn nothing() {}

fn dispatcher() -> Dispatcher {
    Dispatcher::builder().build().unwrap()
}

async fn result(body: &str) -> serde_json::Value {
    let response = call(&dispatcher(), body).await.expect("a response");
    assert!(
        response.get("error").is_none(),
        "unexpected error: {response}"
    );
    response["result"].clone()
}

async fn invalid_params(body: &str) -> String {
    let response = call(&dispatcher(), body).await.expect("a response");
    assert_eq!(error_code(&response), -32602, "{response}");
    // The standard message; the detail, which these tests check, is in `data`.
    assert_eq!(error_message(&response), "Invalid params", "{response}");
    error_detail(&response).to_owned()
}

#[tokio::test]
async fn params_by_position_follow_declaration_order() {
    let r = result(r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#).await;
    assert_eq!(r, json!(19));
    let r = result(r#"{"jsonrpc":"2.0","method":"subtract","params":[23,42],"id":2}"#).await;
    assert_eq!(r, json!(-19));
}

#[tokio::test]
async fn params_by_name_in_any_order() {
    let r = result(
        r#"{"jsonrpc":"2.0","method":"subtract","params":{"subtrahend":23,"minuend":42},"id":3}"#,
    )
    .await;
    assert_eq!(r, json!(19));
}

#[tokio::test]
async fn escaped_names_are_matched_by_their_value() {
    let r = result(
        r#"{"jsonrpc":"2.0","method":"subtract","params":{"subtrahend":23,"minu\u0065nd":42},"id":3}"#,
    )
    .await;
    assert_eq!(r, json!(19));
}

#[tokio::test]
async fn optional_params_may_be_left_out() {
    let body =
        |params: &str| format!(r#"{{"jsonrpc":"2.0","method":"greet","params":{params},"id":1}}"#);
    assert_eq!(result(&body(r#"["Ada"]"#)).await, json!("Hello, Ada!"));
    assert_eq!(result(&body(r#"["Ada","Hi"]"#)).await, json!("Hi, Ada!"));
    assert_eq!(result(&body(r#"["Ada",null]"#)).await, json!("Hello, Ada!"));
    assert_eq!(
        result(&body(r#"{"name":"Ada"}"#)).await,
        json!("Hello, Ada!")
    );
    assert_eq!(
        result(&body(r#"{"greeting":"Hey","name":"Ada"}"#)).await,
        json!("Hey, Ada!")
    );
}

#[tokio::test]
async fn absent_params_are_an_empty_list() {
    assert_eq!(
        result(r#"{"jsonrpc":"2.0","method":"nothing","id":1}"#).await,
        json!(null)
    );
    assert_eq!(
        result(r#"{"jsonrpc":"2.0","method":"nothing","params":[],"id":1}"#).await,
        json!(null)
    );
    assert_eq!(
        result(r#"{"jsonrpc":"2.0","method":"nothing","params":{},"id":1}"#).await,
        json!(null)
    );
    assert_eq!(
        result(r#"{"jsonrpc":"2.0","method":"sum","id":1}"#).await,
        json!(0)
    );
    let message = invalid_params(r#"{"jsonrpc":"2.0","method":"greet","id":1}"#).await;
    assert_eq!(message, "missing required param `name`");
}

#[tokio::test]
async fn raw_identifiers_are_named_without_prefix() {
    let r = result(r#"{"jsonrpc":"2.0","method":"classify","params":{"type":"a"},"id":1}"#).await;
    assert_eq!(r, json!("a"));
}

#[tokio::test]
async fn whole_params_take_any_shape_the_type_reads() {
    assert_eq!(
        result(r#"{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":1}"#).await,
        json!(7)
    );
    let r = result(r#"{"jsonrpc":"2.0","method":"norm","params":{"x":3,"y":4},"id":1}"#).await;
    assert_eq!(r, json!(5.0));
    let message =
        invalid_params(r#"{"jsonrpc":"2.0","method":"sum","params":{"a":1},"id":1}"#).await;
    assert!(
        message.starts_with("invalid params: invalid type: map"),
        "{message}"
    );
}

#[tokio::test]
async fn missing_required_param_is_named() {
    let message =
        invalid_params(r#"{"jsonrpc":"2.0","method":"subtract","params":[42],"id":1}"#).await;
    assert_eq!(message, "missing required param `subtrahend`");
    let message =
        invalid_params(r#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42},"id":1}"#)
            .await;
    assert_eq!(message, "missing required param `subtrahend`");
}

#[tokio::test]
async fn too_many_positional_params() {
    let message =
        invalid_params(r#"{"jsonrpc":"2.0","method":"subtract","params":[1,2,3],"id":1}"#).await;
    assert_eq!(message, "too many params: expected at most 2, got 3");
    let message =
        invalid_params(r#"{"jsonrpc":"2.0","method":"nothing","params":[1],"id":1}"#).await;
    assert_eq!(message, "too many params: expected at most 0, got 1");
}

#[tokio::test]
async fn unknown_and_repeated_names() {
    let message = invalid_params(
        r#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":1,"subtrahend":2,"extra":3},"id":1}"#,
    )
    .await;
    assert_eq!(message, "unknown param `extra`");
    let message = invalid_params(
        r#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":1,"minuend":2,"subtrahend":3},"id":1}"#,
    )
    .await;
    assert_eq!(message, "param `minuend` is given twice");
}

#[tokio::test]
async fn wrong_types_name_the_param_and_the_problem() {
    let message =
        invalid_params(r#"{"jsonrpc":"2.0","method":"divide","params":{"a":"x","b":1},"id":1}"#)
            .await;
    assert_eq!(
        message,
        r#"param `a`: invalid type: string "x", expected f64"#
    );
    let message =
        invalid_params(r#"{"jsonrpc":"2.0","method":"subtract","params":[1.5,2],"id":1}"#).await;
    assert_eq!(
        message,
        "param `minuend`: invalid type: floating point `1.5`, expected i64"
    );
    let message =
        invalid_params(r#"{"jsonrpc":"2.0","method":"subtract","params":[1,null],"id":1}"#).await;
    assert_eq!(
        message,
        "param `subtrahend`: invalid type: null, expected i64"
    );
}
