//! The WebSocket client against the project's own server: the spec server
//! (`examples/spec_server.rs`), in-process, with its `subscribe_ticks` and `subscribe_events`
//! subscriptions.

mod common;
#[path = "../examples/spec_server.rs"]
#[allow(dead_code)]
mod spec_server;

use std::time::Duration;

use common::TestServer;
use futures_util::StreamExt;
use jsonrpc_runtime::client::{ClientError, Id, Subscription, WsClient};
use serde_json::{json, Value};

async fn start() -> (TestServer, WsClient) {
    let server = TestServer::start(spec_server::builder()).await;
    let client = WsClient::connect(&format!("ws://{}/", server.addr))
        .await
        .expect("connects");
    (server, client)
}

/// Publishes until `n` subscribers are registered (a subscription starts feeding a moment
/// after its id is answered), and returns how many probes went out.
async fn wait_for_subscribers(client: &WsClient, n: usize) -> usize {
    for probes in 1..=500 {
        let reached: usize = client.request("publish", ["probe"]).await.unwrap();
        if reached >= n {
            return probes;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never {n} subscribers");
}

/// The next item that is not a probe, within 5 s.
async fn next_event(events: &mut Subscription<Value>) -> Option<Result<Value, ClientError>> {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.next().await {
                Some(Ok(value)) if value == "probe" => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("an event in time")
}

#[tokio::test]
async fn calls_notifications_and_batches() {
    let (_server, client) = start().await;
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
    let difference: i64 = client
        .request("subtract", json!({"minuend": 42, "subtrahend": 23}))
        .await
        .unwrap();
    assert_eq!(difference, 19);
    client.notify("notify_hello", [7]).await.unwrap();
    let mut batch = client.batch();
    let sum = batch.request::<i64>("sum", [1, 2, 4]);
    let missing = batch.request::<Value>("nope", ());
    batch.notify("notify_hello", [7]);
    let answers = batch.send().await.unwrap();
    assert_eq!(answers.get(&sum).unwrap(), 7);
    assert!(matches!(answers.get(&missing), Err(ClientError::Rpc(e)) if e.code() == -32601));
}

#[tokio::test]
async fn ticks_end_when_the_server_is_done() {
    let (_server, client) = start().await;
    let ticks: Subscription<u64> = client
        .subscribe("subscribe_ticks", (3, 10), "unsubscribe_ticks")
        .await
        .unwrap();
    assert!(matches!(ticks.id(), Id::Str(id) if id.len() == 32));
    let items: Vec<u64> =
        tokio::time::timeout(Duration::from_secs(5), ticks.map(Result::unwrap).collect())
            .await
            .unwrap();
    assert_eq!(items, [0, 1, 2]);
}

#[tokio::test]
async fn events_unsubscribe_and_drop() {
    let (_server, client) = start().await;
    let mut first: Subscription<Value> = client
        .subscribe("subscribe_events", (), "unsubscribe_events")
        .await
        .unwrap();
    let mut second: Subscription<Value> = client
        .subscribe("subscribe_events", (), "unsubscribe_events")
        .await
        .unwrap();
    assert_ne!(first.id(), second.id());
    wait_for_subscribers(&client, 2).await;
    let reached: usize = client.request("publish", [json!({"n": 1})]).await.unwrap();
    assert_eq!(reached, 2);
    assert_eq!(
        next_event(&mut first).await.unwrap().unwrap(),
        json!({"n": 1})
    );
    assert_eq!(
        next_event(&mut second).await.unwrap().unwrap(),
        json!({"n": 1})
    );

    assert!(first.unsubscribe().await.unwrap());
    let reached: usize = client.request("publish", [2]).await.unwrap();
    assert_eq!(reached, 1);
    assert_eq!(next_event(&mut second).await.unwrap().unwrap(), 2);

    // Dropping unsubscribes: the server soon has no subscriber left.
    drop(second);
    for _ in 0..500 {
        let reached: usize = client.request("publish", [3]).await.unwrap();
        if reached == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the dropped subscription was not unsubscribed");
}

#[tokio::test]
async fn a_slow_reader_lags() {
    let server = TestServer::start(spec_server::builder()).await;
    let client = WsClient::builder()
        .subscription_buffer(2)
        .connect(&format!("ws://{}/", server.addr))
        .await
        .unwrap();
    let mut events: Subscription<Value> = client
        .subscribe("subscribe_events", (), "unsubscribe_events")
        .await
        .unwrap();
    wait_for_subscribers(&client, 1).await;
    for n in 0..20 {
        let _: usize = client.request("publish", [n]).await.unwrap();
    }
    let mut ended_with = None;
    while let Some(item) = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .unwrap()
    {
        if let Err(error) = item {
            ended_with = Some(error);
        }
    }
    assert!(
        matches!(ended_with, Some(ClientError::Lagged { buffer: 2 })),
        "{ended_with:?}"
    );
}

#[tokio::test]
async fn subscribing_errors() {
    let (_server, client) = start().await;
    let bad = client
        .subscribe::<u64>("subscribe_ticks", ("x", 1), "unsubscribe_ticks")
        .await;
    assert!(matches!(bad, Err(ClientError::Rpc(e)) if e.code() == -32602));
    let unknown: bool = client
        .request("unsubscribe_ticks", ["no-such-subscription"])
        .await
        .unwrap();
    assert!(!unknown);
}

#[tokio::test]
async fn the_server_shutting_down_ends_everything() {
    let (mut server, client) = start().await;
    let mut events: Subscription<Value> = client
        .subscribe("subscribe_events", (), "unsubscribe_events")
        .await
        .unwrap();
    let stopped = server.shutdown();
    let last = tokio::time::timeout(Duration::from_secs(10), async {
        let mut last = None;
        while let Some(item) = events.next().await {
            last = Some(item);
        }
        last
    })
    .await
    .expect("the subscription ends");
    assert!(
        matches!(&last, Some(Err(ClientError::ConnectionClosed(reason))) if reason.contains("1001")),
        "{last:?}"
    );
    let later = client.request::<String>("ping", ()).await.unwrap_err();
    assert!(matches!(later, ClientError::ConnectionClosed(_)), "{later}");
    let _ = tokio::time::timeout(Duration::from_secs(10), stopped).await;
}
