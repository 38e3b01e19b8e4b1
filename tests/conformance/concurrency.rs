//! Concurrency: the calls of a batch and the requests of separate connections run at the same
//! time, and shared state loses no update under concurrent calls.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{by_id, members, target};

/// Eight sleeps of 300 ms one after the other would take 2,400 ms; concurrently about 300.
const WELL_UNDER_SERIAL: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calls_of_a_batch_run_concurrently() {
    let calls: Vec<String> = (0..8)
        .map(|i| format!(r#"{{"jsonrpc":"2.0","method":"sleep","params":[300],"id":{i}}}"#))
        .collect();
    let started = Instant::now();
    let response = target().call(format!("[{}]", calls.join(","))).await;
    let elapsed = started.elapsed();
    assert_eq!(members(&response).len(), 8, "{response}");
    for i in 0..8 {
        assert_eq!(by_id(&response, &json!(i))["result"], 300, "{response}");
    }
    assert!(
        elapsed >= Duration::from_millis(300),
        "the sleeps did sleep: {elapsed:?}"
    );
    assert!(
        elapsed < WELL_UNDER_SERIAL,
        "8 x sleep(300) took {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_connections_are_served_concurrently() {
    let started = Instant::now();
    let clients: Vec<_> = (0..8)
        .map(|i| {
            tokio::spawn(async move {
                let response = target()
                    .call(format!(
                        r#"{{"jsonrpc":"2.0","method":"sleep","params":[300],"id":{i}}}"#
                    ))
                    .await;
                (response, started.elapsed())
            })
        })
        .collect();
    for (i, client) in clients.into_iter().enumerate() {
        let (response, finished) = client.await.expect("the client task");
        assert_eq!(response, json!({"jsonrpc":"2.0","result":300,"id":i}));
        assert!(
            finished < WELL_UNDER_SERIAL,
            "client {i} finished after {finished:?}"
        );
    }
}

/// The counter's value now (one increment).
async fn count() -> u64 {
    let response = target()
        .call(r#"{"jsonrpc":"2.0","method":"count","id":1}"#)
        .await;
    response["result"]
        .as_u64()
        .unwrap_or_else(|| panic!("count returns a number: {response}"))
}

/// `count` from 4 connections at once: every increment gets its own value and none is lost.
/// The counter is read before and after, as an external server may have counted already.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_from_four_connections_loses_no_update() {
    const CLIENTS: u64 = 4;
    const CALLS: u64 = 100;
    let before = count().await;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(async move {
                let mut connection = target().connect().await;
                let mut seen = Vec::new();
                for _ in 0..CALLS {
                    let response = connection
                        .post(r#"{"jsonrpc":"2.0","method":"count","id":1}"#)
                        .await;
                    let response: serde_json::Value =
                        serde_json::from_slice(&response.body).expect("a JSON response");
                    seen.push(response["result"].as_u64().expect("a count"));
                }
                seen
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    for client in clients {
        for value in client.await.expect("the client task") {
            assert!(seen.insert(value), "{value} was handed out twice");
        }
    }
    let after = count().await;
    assert_eq!(after - before, CLIENTS * CALLS + 1, "updates were lost");
    let expected: BTreeSet<u64> = (before + 1..after).collect();
    assert_eq!(seen, expected);

    // The calls of one batch run concurrently too.
    let calls = vec![r#"{"jsonrpc":"2.0","method":"count","id":1}"#; 50].join(",");
    let response = target().call(format!("[{calls}]")).await;
    let values: BTreeSet<u64> = members(&response)
        .iter()
        .map(|member| member["result"].as_u64().expect("a count"))
        .collect();
    assert_eq!(values.len(), 50, "{response}");
    let last = count().await;
    assert_eq!(values, (after + 1..last).collect::<BTreeSet<u64>>());
}
