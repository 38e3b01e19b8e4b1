//! Batches: one answer per member that is not a notification, in any order; members that are
//! not request objects (nested arrays included) each get -32600; a batch of notifications only
//! is answered with nothing (204).

use serde_json::{json, Value};

use crate::harness::{assert_error, by_id, members, target};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_valid_invalid_and_notification_members() {
    let response = target()
        .call(
            r#"[
            {"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1},
            {"jsonrpc":"2.0","method":"notify_hello","params":[7]},
            {"jsonrpc":"2.0","method":"subtract","params":{"minuend":1},"id":2},
            {"jsonrpc":"1.0","method":"ping","id":3},
            {"jsonrpc":"2.0","method":"nope","id":"4"},
            {"jsonrpc":"2.0","method":"ping"},
            {"jsonrpc":"2.0","method":"subtract","params":["bad"]},
            {"jsonrpc":"2.0","method":"divide","params":[1,0],"id":5},
            17,
            {"jsonrpc":"2.0","method":"get_data","id":null},
            {"jsonrpc":"2.0","method":"ping","id":6}
        ]"#,
        )
        .await;
    // Three notifications (one failing) get nothing; the other eight get one answer each.
    assert_eq!(members(&response).len(), 8, "{response}");
    assert_eq!(
        by_id(&response, &json!(1)),
        &json!({"jsonrpc":"2.0","result":19,"id":1})
    );
    assert_error(by_id(&response, &json!(2)), -32602, &json!(2));
    assert_error(by_id(&response, &json!(3)), -32600, &json!(3));
    assert_error(by_id(&response, &json!("4")), -32601, &json!("4"));
    assert_error(by_id(&response, &json!(5)), -32001, &json!(5));
    assert_eq!(
        by_id(&response, &json!(6)),
        &json!({"jsonrpc":"2.0","result":"pong","id":6})
    );
    // Two answers have a null id: the invalid `17`, and the call whose id is null.
    let nulls: Vec<&Value> = members(&response)
        .iter()
        .filter(|member| member["id"].is_null())
        .collect();
    assert_eq!(nulls.len(), 2, "{response}");
    assert!(
        nulls
            .iter()
            .any(|member| member["result"] == json!(["hello", 5])),
        "{response}"
    );
    let invalid = nulls
        .iter()
        .find(|member| member.get("error").is_some())
        .unwrap_or_else(|| panic!("the invalid member's answer in {response}"));
    assert_error(invalid, -32600, &Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_arrays_are_invalid_members_not_batches() {
    let response = target()
        .call(r#"[[{"jsonrpc":"2.0","method":"ping","id":1}]]"#)
        .await;
    assert_eq!(members(&response).len(), 1, "{response}");
    assert_error(&members(&response)[0], -32600, &Value::Null);

    let response = target()
        .call(r#"[[], [[]], [{"jsonrpc":"2.0","method":"ping","id":1}], {"jsonrpc":"2.0","method":"ping","id":2}]"#)
        .await;
    assert_eq!(members(&response).len(), 4, "{response}");
    assert_eq!(by_id(&response, &json!(2))["result"], "pong");
    let invalid = members(&response)
        .iter()
        .filter(|member| member["id"].is_null());
    assert_eq!(invalid.clone().count(), 3, "{response}");
    for member in invalid {
        assert_error(member, -32600, &Value::Null);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_100_calls() {
    let calls: Vec<String> = (0..100)
        .map(|i| {
            format!(
                r#"{{"jsonrpc":"2.0","method":"subtract","params":[{i},{}],"id":"call-{i}"}}"#,
                2 * i
            )
        })
        .collect();
    let response = target().call(format!("[{}]", calls.join(","))).await;
    assert_eq!(members(&response).len(), 100);
    for i in 0..100 {
        let id = json!(format!("call-{i}"));
        assert_eq!(
            by_id(&response, &id),
            &json!({"jsonrpc":"2.0","result":-i,"id":id})
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_notifications_only_gets_204() {
    target()
        .notify(r#"[{"jsonrpc":"2.0","method":"ping"}]"#)
        .await;
    // Failing notifications are still notifications.
    target()
        .notify(
            r#"[
            {"jsonrpc":"2.0","method":"update","params":[1,2,3,4,5]},
            {"jsonrpc":"2.0","method":"nope"},
            {"jsonrpc":"2.0","method":"subtract","params":[1]},
            {"jsonrpc":"2.0","method":"fail"},
            {"jsonrpc":"2.0","method":"divide","params":[1,0]}
        ]"#,
        )
        .await;
    let many: Vec<&str> = vec![r#"{"jsonrpc":"2.0","method":"notify_sum","params":[1,2]}"#; 50];
    target().notify(format!("[{}]", many.join(","))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_one_is_still_an_array() {
    let response = target()
        .call_text(r#"[{"jsonrpc":"2.0","method":"ping","id":1}]"#)
        .await;
    assert_eq!(response, r#"[{"jsonrpc":"2.0","result":"pong","id":1}]"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_batch_with_whitespace_is_one_invalid_request() {
    let response = target().call(" [ \n ] ").await;
    assert!(response.is_object(), "{response}");
    assert_error(&response, -32600, &Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_ids_each_get_an_answer() {
    let response = target()
        .call(r#"[{"jsonrpc":"2.0","method":"subtract","params":[5,1],"id":1},{"jsonrpc":"2.0","method":"subtract","params":[5,2],"id":1}]"#)
        .await;
    let mut results: Vec<i64> = members(&response)
        .iter()
        .map(|member| {
            assert_eq!(member["id"], 1, "{response}");
            member["result"].as_i64().unwrap()
        })
        .collect();
    results.sort_unstable();
    assert_eq!(results, [3, 4]);
}
