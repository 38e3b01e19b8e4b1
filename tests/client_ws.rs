//! The WebSocket client against a small server of the test's own (`client_ws_support`), which
//! speaks the wire format of the design and misbehaves on demand: calls answered out of
//! order, notifications, batches, subscriptions and how they end, a slow reader, a dropped
//! connection, timeouts, pings, and bad input that must not break the client.

mod client_ws_support;

use std::time::{Duration, Instant};

use client_ws_support::MiniServer;
use futures_util::StreamExt;
use jsonrpc_runtime::client::{ClientError, Id, InvalidResponse, Subscription, WsClient};
use jsonrpc_runtime::method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn connect(server: &MiniServer) -> WsClient {
    WsClient::connect(&server.url()).await.expect("connects")
}

/// Reads a subscription to its end (within 5 s), as `Ok` values or error texts.
async fn drain<T: serde::de::DeserializeOwned>(
    subscription: &mut Subscription<T>,
) -> Vec<Result<T, ClientError>> {
    let mut seen = Vec::new();
    let deadline = tokio::time::sleep(Duration::from_secs(5));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = subscription.next() => match next {
                Some(item) => seen.push(item),
                None => return seen,
            },
            () = &mut deadline => panic!("the subscription did not end"),
        }
    }
}

fn is_closed(error: &ClientError, says: &str) -> bool {
    matches!(error, ClientError::ConnectionClosed(reason) if reason.contains(says))
}

#[tokio::test]
async fn requests_are_matched_by_id_whatever_the_order() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
    let difference: i64 = client.request("subtract", (42, 23)).await.unwrap();
    assert_eq!(difference, 19);

    // Three calls in flight at once: the server answers the shortest first.
    let started = Instant::now();
    let (order, mut finished) = tokio::sync::mpsc::unbounded_channel();
    let call = |ms: u64| {
        let client = client.clone();
        let order = order.clone();
        async move {
            let answer: u64 = client.request("sleep", [ms]).await.unwrap();
            order.send(answer).unwrap();
            answer
        }
    };
    let (a, b, c) = tokio::join!(call(300), call(100), call(200));
    assert_eq!((a, b, c), (300, 100, 200));
    assert!(
        started.elapsed() < Duration::from_millis(550),
        "they ran at once"
    );
    let order: Vec<u64> = std::iter::from_fn(|| finished.try_recv().ok()).collect();
    assert_eq!(order, [100, 200, 300]);
}

#[tokio::test]
async fn errors_and_decoding() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    match client.request::<Value>("fail", ()).await {
        Err(ClientError::Rpc(error)) => {
            assert_eq!(error.code(), -32001);
            assert_eq!(error.message(), "it failed");
            assert_eq!(error.data(), Some(&json!({"why": "asked"})));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.request::<i64>("ping", ()).await,
        Err(ClientError::Decode(_))
    ));
    assert!(matches!(
        client.request::<Value>("nope", ()).await,
        Err(ClientError::Rpc(error)) if error.code() == -32601
    ));
    assert!(matches!(
        client.request::<Value>("ping", json!(3)).await,
        Err(ClientError::BadParams(_))
    ));
    // An error with a null id answers the only call in flight.
    assert!(matches!(
        client.request::<Value>("null_id_error", ()).await,
        Err(ClientError::Rpc(error)) if error.code() == -32600
    ));
}

#[tokio::test]
async fn notifications_are_sent_in_order() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    client.notify("update", [1, 2]).await.unwrap();
    client.notify("reset", ()).await.unwrap();
    let seen: Value = client.request("notifications", ()).await.unwrap();
    assert_eq!(seen, json!([["update", [1, 2]], ["reset", null]]));
}

#[tokio::test]
async fn batches() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let mut batch = client.batch();
    let difference = batch.request::<i64>("subtract", (42, 23));
    let pong = batch.request::<String>("ping", ());
    let failed = batch.request::<Value>("fail", ());
    batch.notify("update", [7]);
    assert_eq!(batch.len(), 4);
    let answers = batch.send().await.unwrap();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers.get(&difference).unwrap(), 19);
    assert_eq!(answers.get(&pong).unwrap(), "pong");
    assert!(matches!(answers.get(&failed), Err(ClientError::Rpc(e)) if e.code() == -32001));

    // Notifications only: nothing to wait for.
    let mut batch = client.batch();
    batch.notify("update", [8]);
    assert!(batch.send().await.unwrap().is_empty());
    assert!(client.batch().send().await.unwrap().is_empty());
    let seen: Value = client.request("notifications", ()).await.unwrap();
    assert_eq!(seen, json!([["update", [7]], ["update", [8]]]));
}

#[tokio::test]
async fn a_subscription_streams_until_unsubscribed() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let mut forever: Subscription<u64> = client
        .subscribe("subscribe_forever", [5], "unsubscribe_forever")
        .await
        .unwrap();
    assert!(matches!(forever.id(), Id::Str(id) if id.starts_with("t-")));
    assert_eq!(forever.unsubscribe_method(), "unsubscribe_forever");
    let first: Vec<u64> = forever
        .by_ref()
        .take(3)
        .map(|item| item.unwrap())
        .collect()
        .await;
    assert_eq!(first, [0, 1, 2]);
    let id = forever.id().clone();
    assert!(forever.unsubscribe().await.unwrap());
    let unsubscribe = server
        .wait_for(|m| m["method"] == "unsubscribe_forever")
        .await
        .unwrap();
    assert_eq!(unsubscribe["params"], json!([id]));
    // The connection carries on.
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
}

#[tokio::test]
async fn the_server_ends_a_subscription() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let mut ticks: Subscription<u64> = client
        .subscribe("subscribe_ticks", (3, 5), "unsubscribe_ticks")
        .await
        .unwrap();
    let items: Vec<u64> = drain(&mut ticks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items, [0, 1, 2]);
    assert!(ticks.next().await.is_none(), "it stays ended");
    // Already over: the server says it was not active.
    assert!(!ticks.unsubscribe().await.unwrap());

    let mut broken: Subscription<u64> = client
        .subscribe("subscribe_fail", [2], "unsubscribe_fail")
        .await
        .unwrap();
    let mut items = drain(&mut broken).await.into_iter();
    assert_eq!(items.next().unwrap().unwrap(), 0);
    assert_eq!(items.next().unwrap().unwrap(), 1);
    match items.next() {
        Some(Err(ClientError::Rpc(error))) => {
            assert_eq!(error.code(), -32050);
            assert_eq!(error.message(), "the ticker broke");
        }
        other => panic!("{other:?}"),
    }
    assert!(items.next().is_none());
}

#[tokio::test]
async fn items_that_do_not_decode_are_errors_and_the_stream_goes_on() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let mut ticks: Subscription<String> = client
        .subscribe("subscribe_ticks", (2, 1), "unsubscribe_ticks")
        .await
        .unwrap();
    let items = drain(&mut ticks).await;
    assert_eq!(items.len(), 2);
    assert!(items
        .iter()
        .all(|item| matches!(item, Err(ClientError::Decode(_)))));
}

#[tokio::test]
async fn items_sent_before_the_subscribe_response_are_kept() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let mut eager: Subscription<u64> = client
        .subscribe("subscribe_eager", [3], "unsubscribe_eager")
        .await
        .unwrap();
    assert!(matches!(eager.id(), Id::Num(n) if *n > 7000));
    let items: Vec<u64> = drain(&mut eager)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items, [0, 1, 2]);
}

#[tokio::test]
async fn subscribe_failures() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let refused = client
        .subscribe::<u64>("subscribe_nothing", (), "unsubscribe_nothing")
        .await;
    assert!(matches!(refused, Err(ClientError::Rpc(e)) if e.code() == -32601));
    let bad = client
        .subscribe::<u64>("subscribe_bad_id", (), "unsubscribe_bad_id")
        .await;
    assert!(matches!(
        bad,
        Err(ClientError::InvalidResponse(
            InvalidResponse::InvalidSubscriptionId(_)
        ))
    ));
}

#[tokio::test]
async fn a_slow_reader_lags_and_the_subscription_ends() {
    let server = MiniServer::start().await;
    let client = WsClient::builder()
        .subscription_buffer(4)
        .connect(&server.url())
        .await
        .unwrap();
    let mut ticks: Subscription<u64> = client
        .subscribe("subscribe_ticks", (50, 0), "unsubscribe_ticks")
        .await
        .unwrap();
    let id = ticks.id().clone();
    // Not read while the server sends all 50, until the client, its buffer full, tells the
    // server to stop.
    let unsubscribe = server
        .wait_for(|m| m["method"] == "unsubscribe_ticks")
        .await
        .expect("an unsubscribe call");
    assert_eq!(unsubscribe["params"], json!([id]));
    let mut items = drain(&mut ticks).await.into_iter();
    for expected in 0..4 {
        assert_eq!(items.next().unwrap().unwrap(), expected);
    }
    match items.next() {
        Some(Err(error @ ClientError::Lagged { buffer: 4 })) => {
            assert!(error.to_string().contains("read too slowly"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert!(items.next().is_none());
}

#[tokio::test]
async fn dropping_a_subscription_unsubscribes() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let mut forever: Subscription<u64> = client
        .subscribe("subscribe_forever", [5], "unsubscribe_forever")
        .await
        .unwrap();
    assert_eq!(forever.next().await.unwrap().unwrap(), 0);
    let id = forever.id().clone();
    drop(forever);
    let unsubscribe = server
        .wait_for(|m| m["method"] == "unsubscribe_forever")
        .await
        .expect("an unsubscribe call");
    assert_eq!(unsubscribe["params"], json!([id]));
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
}

#[tokio::test]
async fn a_dropped_connection_fails_calls_and_ends_subscriptions() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let mut forever: Subscription<u64> = client
        .subscribe("subscribe_forever", [5], "unsubscribe_forever")
        .await
        .unwrap();
    assert_eq!(forever.next().await.unwrap().unwrap(), 0);
    let pending = tokio::spawn({
        let client = client.clone();
        async move { client.request::<u64>("sleep", [10_000]).await }
    });
    server
        .wait_for(|m| m["method"] == "sleep")
        .await
        .expect("the call reached the server");
    let died = client.request::<Value>("die", ()).await.unwrap_err();
    assert!(is_closed(&died, "without a closing handshake"), "{died}");
    let pending = pending.await.unwrap().unwrap_err();
    assert!(
        matches!(pending, ClientError::ConnectionClosed(_)),
        "{pending}"
    );

    let rest = drain(&mut forever).await;
    let last = rest.last().expect("an error at the end");
    assert!(
        matches!(last, Err(ClientError::ConnectionClosed(_))),
        "{last:?}"
    );
    assert!(rest[..rest.len() - 1].iter().all(Result::is_ok));

    assert!(!client.is_connected());
    let later = client.request::<String>("ping", ()).await.unwrap_err();
    assert!(is_closed(&later, "without a closing handshake"), "{later}");
    assert!(later
        .to_string()
        .starts_with("the WebSocket connection is closed"));
}

#[tokio::test]
async fn a_close_from_the_server_says_why() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let error = client.request::<Value>("close", ()).await.unwrap_err();
    assert!(is_closed(&error, "code 1001: going away"), "{error}");
}

#[tokio::test]
async fn closing_the_client() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let mut forever: Subscription<u64> = client
        .subscribe("subscribe_forever", [5], "unsubscribe_forever")
        .await
        .unwrap();
    client.close().await;
    let rest = drain(&mut forever).await;
    assert!(matches!(
        rest.last(),
        Some(Err(ClientError::ConnectionClosed(_)))
    ));
    let error = client.request::<String>("ping", ()).await.unwrap_err();
    assert!(
        is_closed(&error, "the client closed the connection"),
        "{error}"
    );
    client.close().await;
}

#[tokio::test]
async fn request_timeout() {
    let server = MiniServer::start().await;
    let client = WsClient::builder()
        .request_timeout(Duration::from_millis(200))
        .connect(&server.url())
        .await
        .unwrap();
    let started = Instant::now();
    let error = client.request::<u64>("sleep", [2_000]).await.unwrap_err();
    assert!(matches!(error, ClientError::TimedOut(t) if t == Duration::from_millis(200)));
    assert!(started.elapsed() < Duration::from_secs(1));
    // The late answer is dropped; other calls go on.
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
    let slow = client.with_timeout(Duration::from_secs(5));
    assert_eq!(slow.timeout(), Duration::from_secs(5));
    assert_eq!(slow.request::<u64>("sleep", [300]).await.unwrap(), 300);
}

#[tokio::test]
async fn bad_messages_from_the_server_are_ignored() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    let pong: String = client.request("garbage_then_pong", ()).await.unwrap();
    assert_eq!(pong, "pong");
    assert!(client.is_connected());
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_the_connection() {
    let server = MiniServer::start().await;
    let client = WsClient::builder()
        .max_message_size(1024)
        .connect(&server.url())
        .await
        .unwrap();
    let small: String = client.request("big", [100]).await.unwrap();
    assert_eq!(small.len(), 100);
    let error = client.request::<String>("big", [5000]).await.unwrap_err();
    assert!(is_closed(&error, "size limit"), "{error}");
}

#[tokio::test]
async fn handshake_headers_and_bearer_auth() {
    let server = MiniServer::start().await;
    let client = WsClient::builder()
        .bearer_auth("secret")
        .header("X-Test", "yes")
        .connect(&server.url())
        .await
        .unwrap();
    let headers: Value = client.request("headers", ()).await.unwrap();
    assert_eq!(
        headers,
        json!({"authorization": "Bearer secret", "x-test": "yes"})
    );
    let bad = WsClient::builder()
        .header("bad header", "x")
        .connect(&server.url())
        .await;
    assert!(matches!(bad, Err(ClientError::InvalidConfig(m)) if m.contains("bad header")));
}

#[tokio::test]
async fn connection_failures() {
    for url in ["http://127.0.0.1:1/", "not a url", "ws:///path"] {
        let error = WsClient::connect(url).await.unwrap_err();
        assert!(
            matches!(error, ClientError::InvalidConfig(_)),
            "{url}: {error}"
        );
    }
    // Nothing listens there.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    drop(listener);
    let error = WsClient::connect(&url).await.unwrap_err();
    assert!(
        matches!(&error, ClientError::Transport { message, .. } if message.starts_with("could not connect to 127.0.0.1")),
        "{error}"
    );

    // A server that refuses the upgrade with a status.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buffer = [0; 4096];
        let _ = tcp.read(&mut buffer).await;
        let _ = tcp
            .write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nnope!")
            .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let error = WsClient::connect(&url).await.unwrap_err();
    assert!(
        matches!(error, ClientError::HttpStatus { status: 401, .. }),
        "{error}"
    );

    // A server that accepts TCP and then says nothing.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (_tcp, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let error = WsClient::builder()
        .connect_timeout(Duration::from_millis(200))
        .connect(&url)
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::TimedOut(_)), "{error}");
}

#[tokio::test]
async fn pings_keep_a_live_connection_and_find_a_dead_one() {
    let server = MiniServer::start().await;
    let client = WsClient::builder()
        .ping_interval(Duration::from_millis(50))
        .connect(&server.url())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(client.is_connected());
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");

    // A server that completes the handshake, then never reads or answers again.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let client = WsClient::builder()
        .ping_interval(Duration::from_millis(100))
        .request_timeout(Duration::from_secs(5))
        .connect(&url)
        .await
        .unwrap();
    let started = Instant::now();
    let error = client.request::<String>("ping", ()).await.unwrap_err();
    assert!(is_closed(&error, "after a ping"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn dropping_every_handle_closes_the_connection() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    client.notify("bye", ()).await.unwrap();
    drop(client);
    // The notification still went out before the close.
    assert!(server.wait_for(|m| m["method"] == "bye").await.is_some());
}

// Typed calls through a WsClient: `call` takes either client, `subscribe` a WsClient.

#[method]
async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend - subtrahend
}

/// What the lead's `#[subscription]` macro writes for each subscription, by hand.
mod typed {
    #[allow(non_camel_case_types)]
    pub struct ticks;

    jsonrpc_runtime::__private::subscription_calls! {
        pub ticks "subscribe_ticks" "unsubscribe_ticks" (count: u64, interval_ms: u64) -> u64
    }

    #[allow(non_camel_case_types)]
    pub struct forever;

    jsonrpc_runtime::__private::client::subscription_calls! {
        pub(crate) forever "subscribe_forever" "unsubscribe_forever" (interval_ms: u64) -> u64
    }
}

#[tokio::test]
async fn typed_calls_over_a_websocket() {
    let server = MiniServer::start().await;
    let client = connect(&server).await;
    assert_eq!(subtract::call(&client, 42, 23).await.unwrap(), 19);
    let mut subscription = typed::ticks::subscribe(&client, 2, 1).await.unwrap();
    let items: Vec<u64> = drain(&mut subscription)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items, [0, 1]);
    let mut subscription = typed::forever::subscribe(&client, 5).await.unwrap();
    assert_eq!(subscription.next().await.unwrap().unwrap(), 0);
    assert!(subscription.unsubscribe().await.unwrap());
    // The future is Send: it can be spawned.
    let owned = client.clone();
    let task = tokio::spawn(async move { typed::ticks::subscribe(&owned, 1, 1).await.map(|_| ()) });
    task.await.unwrap().unwrap();
}
