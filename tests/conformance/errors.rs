//! Errors: unknown methods (-32601, names compared exactly, `rpc.` names reserved), an
//! application error with data, and panics (-32603 for that call only, alone, in a batch or as
//! a notification, with the server serving on).

use serde_json::{json, Value};

use crate::harness::{assert_error, assert_members, by_id, members, target};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_method_is_minus_32601() {
    for method in ["foobar", "", "no_such_method", "ping2", "foo.get", "sum/"] {
        let response = target()
            .call(format!(
                r#"{{"jsonrpc":"2.0","method":"{method}","id":"a"}}"#
            ))
            .await;
        assert_error(&response, -32601, &json!("a"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_names_are_case_sensitive_and_exact() {
    for method in [
        "PING",
        "Ping",
        "pinG",
        " ping",
        "ping ",
        "ping\\u0000",
        "Subtract",
    ] {
        let response = target()
            .call(format!(r#"{{"jsonrpc":"2.0","method":"{method}","id":1}}"#))
            .await;
        assert_error(&response, -32601, &json!(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_prefixed_names_are_not_user_methods() {
    for method in ["rpc.ping", "rpc.subtract", "rpc.", "rpc.foo"] {
        let response = target()
            .call(format!(r#"{{"jsonrpc":"2.0","method":"{method}","id":1}}"#))
            .await;
        assert_error(&response, -32601, &json!(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn division_by_zero_is_an_application_error_with_data() {
    let response = target()
        .call_text(r#"{"jsonrpc":"2.0","method":"divide","params":[10,0],"id":1}"#)
        .await;
    assert_eq!(
        response,
        r#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"division by zero","data":{"dividend":10.0}},"id":1}"#
    );
    for (params, dividend) in [
        (r#"[7.5,0]"#, json!(7.5)),
        (r#"{"a":-3,"b":0.0}"#, json!(-3.0)),
        (r#"{"b":-0.0,"a":0}"#, json!(0.0)),
    ] {
        let response = target()
            .call(format!(
                r#"{{"jsonrpc":"2.0","method":"divide","params":{params},"id":"d"}}"#
            ))
            .await;
        assert_members(&response, &["error", "id", "jsonrpc"]);
        assert_eq!(
            response["error"],
            json!({"code": -32001, "message": "division by zero", "data": {"dividend": dividend}}),
            "{params}"
        );
        assert_eq!(response["id"], "d");
    }
    // A successful division is a plain result.
    let response = target()
        .call_text(r#"{"jsonrpc":"2.0","method":"divide","params":[1,4],"id":1}"#)
        .await;
    assert_eq!(response, r#"{"jsonrpc":"2.0","result":0.25,"id":1}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_alone_is_minus_32603_and_the_server_serves_on() {
    for _ in 0..3 {
        let response = target()
            .call(r#"{"jsonrpc":"2.0","method":"fail","id":"f"}"#)
            .await;
        assert_error(&response, -32603, &json!("f"));
        target().assert_serves_ping().await;
    }
    let response = target()
        .call(r#"{"jsonrpc":"2.0","method":"fail","id":null}"#)
        .await;
    assert_error(&response, -32603, &Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_inside_a_batch_fails_only_its_own_call() {
    let response = target()
        .call(
            r#"[
            {"jsonrpc":"2.0","method":"ping","id":1},
            {"jsonrpc":"2.0","method":"fail","id":2},
            {"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":3},
            {"jsonrpc":"2.0","method":"fail"},
            {"jsonrpc":"2.0","method":"sleep","params":[20],"id":4},
            {"jsonrpc":"2.0","method":"fail","id":5}
        ]"#,
        )
        .await;
    assert_eq!(members(&response).len(), 5, "{response}");
    assert_eq!(by_id(&response, &json!(1))["result"], "pong");
    assert_error(by_id(&response, &json!(2)), -32603, &json!(2));
    assert_eq!(by_id(&response, &json!(3))["result"], 2);
    assert_eq!(by_id(&response, &json!(4))["result"], 20);
    assert_error(by_id(&response, &json!(5)), -32603, &json!(5));
    target().assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_notification_is_not_answered() {
    target()
        .notify(r#"{"jsonrpc":"2.0","method":"fail"}"#)
        .await;
    target()
        .notify(
            r#"[{"jsonrpc":"2.0","method":"fail"},{"jsonrpc":"2.0","method":"fail","params":[]}]"#,
        )
        .await;
    target().assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_success_has_a_result_and_no_error() {
    for request in [
        r#"{"jsonrpc":"2.0","method":"ping","id":1}"#,
        r#"{"jsonrpc":"2.0","method":"update","params":[1,2,3,4,5],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"echo","params":[null],"id":1}"#,
    ] {
        let response = target().call(request).await;
        assert_members(&response, &["id", "jsonrpc", "result"]);
    }
}

/// A result JSON cannot hold (an infinite `f64`) is a failure of the call, not `null`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_json_cannot_represent_is_an_internal_error() {
    let response = target()
        .call(r#"{"jsonrpc":"2.0","method":"divide","params":[1e308,1e-308],"id":1}"#)
        .await;
    assert_error(&response, -32603, &json!(1));
}
