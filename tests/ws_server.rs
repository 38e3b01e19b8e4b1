//! The WebSocket server over real sockets, driven by a client that is not ours
//! (tokio-tungstenite) and, for what no library sends, by raw frames: every method over the
//! connection, concurrency, subscriptions, fan-out, disconnects, slow readers, close codes,
//! keep-alive, origins and graceful shutdown.

mod common;
#[path = "../examples/spec_server.rs"]
#[allow(dead_code)]
mod spec_server;
mod ws_support;

use std::time::{Duration, Instant};

use common::started::Started;
use jsonrpc_runtime::ws::{OriginPolicy, WsConfig};
use jsonrpc_runtime::{method, subscription, Error, PendingSink};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use ws_support::{bounded, client_frame, raw_handshake, read_until_close, Event, Running, Ws};

/// Accepted only for a positive `n`; then sends `n` and waits for the client to go.
#[subscription(
    name = "subscribe_checked",
    unsubscribe = "unsubscribe_checked",
    notification = "checked"
)]
async fn checked(pending: PendingSink<i64>, n: i64) -> Result<(), Error> {
    if n <= 0 {
        return Err(Error::invalid_params("n must be positive"));
    }
    let sink = pending.accept();
    sink.send(n).await?;
    sink.closed().await;
    Ok(())
}

/// Answers a string of `kib` KiB: a large answer for slow-reader tests.
#[method]
fn blob(kib: usize) -> String {
    "x".repeat(kib * 1024)
}

/// The spec server's `sleep`, noting its start in the server's `Started`.
#[method]
async fn nap(ms: u64, started: Started) -> u64 {
    started.nap(ms).await
}

async fn spec() -> Running {
    Running::start(spec_server::builder()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_notifications_batches_and_errors_work_over_the_connection() {
    let server = spec().await;
    let mut ws = Ws::connect(server.addr).await;
    ws.send(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await;
    assert_eq!(
        ws.next().await,
        json!({"jsonrpc":"2.0","result":"pong","id":1})
    );
    // A notification is not answered: the next message is the answer to the request after it.
    ws.send(r#"{"jsonrpc":"2.0","method":"notify_hello","params":[7]}"#)
        .await;
    ws.send(
        r#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23},"id":"a"}"#,
    )
    .await;
    assert_eq!(
        ws.next().await,
        json!({"jsonrpc":"2.0","result":19,"id":"a"})
    );
    ws.send(r#"[{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"},{"jsonrpc":"2.0","method":"notify_hello","params":[7]},{"jsonrpc":"2.0","method":"nope","id":"5"},{"foo":"boo"}]"#).await;
    let batch = ws.next().await;
    assert_eq!(batch.as_array().map(Vec::len), Some(3), "{batch}");
    assert_eq!(batch[0]["result"], 7);
    assert_eq!(batch[1]["error"]["code"], -32601);
    assert_eq!(batch[2]["error"]["code"], -32600);
    ws.send(r#"{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]"#)
        .await;
    assert_eq!(ws.next().await["error"]["code"], -32700);
    ws.send("[]").await;
    assert_eq!(ws.next().await["error"]["code"], -32600);
    // Binary frames carry JSON too.
    bounded(
        "a binary send",
        futures_util::SinkExt::send(
            &mut ws.socket,
            tokio_tungstenite::tungstenite::Message::Binary(
                br#"{"jsonrpc":"2.0","method":"ping","id":2}"#.to_vec().into(),
            ),
        ),
    )
    .await
    .unwrap();
    assert_eq!(ws.next().await["result"], "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_call_does_not_hold_back_a_fast_one() {
    let server = spec().await;
    let mut ws = Ws::connect(server.addr).await;
    ws.send(r#"{"jsonrpc":"2.0","method":"sleep","params":[500],"id":"slow"}"#)
        .await;
    ws.send(r#"{"jsonrpc":"2.0","method":"ping","id":"fast"}"#)
        .await;
    assert_eq!(ws.next().await["id"], "fast");
    assert_eq!(ws.next().await["id"], "slow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_pipelined_requests_are_all_answered() {
    let server = spec().await;
    let mut ws = Ws::connect(server.addr).await;
    let (mut sink, mut stream) = futures_util::StreamExt::split(ws.socket);
    let writer = tokio::spawn(async move {
        for id in 0..1000u64 {
            let request = json!({"jsonrpc":"2.0","method":"subtract","params":[id, 1],"id":id});
            futures_util::SinkExt::feed(
                &mut sink,
                tokio_tungstenite::tungstenite::Message::Text(request.to_string().into()),
            )
            .await
            .unwrap();
        }
        futures_util::SinkExt::flush(&mut sink).await.unwrap();
        sink
    });
    let mut seen = vec![false; 1000];
    for _ in 0..1000 {
        let message = bounded("an answer", futures_util::StreamExt::next(&mut stream))
            .await
            .unwrap()
            .unwrap();
        let answer: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
        let id = answer["id"].as_u64().unwrap() as usize;
        assert_eq!(answer["result"].as_i64(), Some(id as i64 - 1));
        assert!(!seen[id], "id {id} answered twice");
        seen[id] = true;
    }
    assert!(seen.iter().all(|s| *s));
    ws = Ws {
        socket: writer.await.unwrap().reunite(stream).unwrap(),
    };
    ws.send(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await;
    assert_eq!(ws.next().await["result"], "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_come_after_the_id_then_the_subscription_completes() {
    let server = spec().await;
    let mut ws = Ws::connect(server.addr).await;
    ws.send(r#"{"jsonrpc":"2.0","method":"subscribe_ticks","params":[3,10],"id":1}"#)
        .await;
    // The answer with the id comes before any item.
    let answer = ws.next().await;
    let id = answer["result"].clone();
    let text = id.as_str().expect("a string id");
    assert_eq!(text.len(), 32);
    assert!(text.bytes().all(|b| b.is_ascii_hexdigit()));
    for n in 0..3 {
        let item = ws.next().await;
        assert_eq!(
            item,
            json!({"jsonrpc":"2.0","method":"ticks","params":{"subscription": id, "result": n}})
        );
    }
    assert_eq!(
        ws.next().await,
        json!({"jsonrpc":"2.0","method":"ticks","params":{"subscription": id, "complete": true}})
    );
    // It has ended: unsubscribing finds nothing.
    let (answer, _) = ws.call("unsubscribe_ticks", json!([id]), 2).await;
    assert_eq!(answer["result"], false);
    // By name, the params of a subscription work as for a method.
    let second = ws
        .subscribe("subscribe_ticks", json!({"count": 1, "interval_ms": 1}), 3)
        .await;
    assert_ne!(second, id, "ids are not reused");
    assert_eq!(ws.next().await["params"]["result"], 0);
    // Params that do not fit start nothing.
    let (answer, _) = ws.call("subscribe_ticks", json!(["three"]), 4).await;
    assert_eq!(answer["error"]["code"], -32602);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_answers_true_then_false_and_no_item_follows() {
    let server = spec().await;
    let mut ws = Ws::connect(server.addr).await;
    let id = ws.subscribe("subscribe_ticks", json!([100000, 1]), 1).await;
    assert_eq!(ws.next().await["params"]["subscription"], id);
    let (answer, _) = ws.call("unsubscribe_ticks", json!([id]), 2).await;
    assert_eq!(answer["result"], true);
    // Nothing of that subscription after the answer.
    if let Some(late) = ws.quiet_for(Duration::from_millis(300)).await {
        panic!("an item came after the unsubscribe answer: {late}");
    }
    let (answer, _) = ws.call("unsubscribe_ticks", json!([id]), 3).await;
    assert_eq!(answer["result"], false);
    // Another subscription's unsubscribe method does not end it.
    let id = ws
        .subscribe("subscribe_ticks", json!([100000, 50]), 6)
        .await;
    let (answer, _) = ws.call("unsubscribe_events", json!([id]), 7).await;
    assert_eq!(answer["result"], false);
    let (answer, _) = ws.call("unsubscribe_ticks", json!([id]), 8).await;
    assert_eq!(answer["result"], true);
    // Another connection cannot end a subscription it did not make.
    let id = ws
        .subscribe("subscribe_ticks", json!([100000, 50]), 4)
        .await;
    let mut other = Ws::connect(server.addr).await;
    let (answer, _) = other.call("unsubscribe_ticks", json!([id]), 1).await;
    assert_eq!(answer["result"], false);
    let (answer, _) = ws.call("unsubscribe_ticks", json!([id]), 5).await;
    assert_eq!(answer["result"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_that_fails_ends_with_its_error() {
    let server = spec().await;
    let mut ws = Ws::connect(server.addr).await;
    let id = ws.subscribe("subscribe_failing", json!([1]), 1).await;
    assert_eq!(
        ws.next().await["params"],
        json!({"subscription": id, "result": 0})
    );
    assert_eq!(
        ws.next().await,
        json!({"jsonrpc":"2.0","method":"failing","params":{"subscription": id, "error": {"code": -32050, "message": "the feed broke"}}})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_sink_rejects_or_accepts() {
    let server = spec().await;
    let mut ws = Ws::connect(server.addr).await;
    let (answer, _) = ws.call("subscribe_checked", json!([0]), 1).await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    let id = ws.subscribe("subscribe_checked", json!([5]), 2).await;
    assert_eq!(
        ws.next().await["params"],
        json!({"subscription": id, "result": 5})
    );
    let (answer, _) = ws.call("unsubscribe_checked", json!([id]), 3).await;
    assert_eq!(answer["result"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_fans_out_to_a_hundred_connections() {
    let server = spec().await;
    let mut subscribers = Vec::new();
    for _ in 0..100 {
        let mut ws = Ws::connect(server.addr).await;
        let id = ws.subscribe("subscribe_events", json!([]), 1).await;
        subscribers.push((ws, id));
    }
    let mut publisher = Ws::connect(server.addr).await;
    let (answer, _) = publisher.call("publish", json!([{"block": 7}]), 1).await;
    assert_eq!(answer["result"], 100);
    for (ws, id) in &mut subscribers {
        assert_eq!(
            ws.next().await,
            json!({"jsonrpc":"2.0","method":"events","params":{"subscription": id, "result": {"block": 7}}})
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abrupt_disconnects_free_their_subscriptions() {
    let server = spec().await;
    let mut gone = Vec::new();
    for _ in 0..10 {
        let mut ws = Ws::connect(server.addr).await;
        ws.subscribe("subscribe_events", json!([]), 1).await;
        gone.push(ws);
    }
    let mut publisher = Ws::connect(server.addr).await;
    let (answer, _) = publisher.call("publish", json!(["before"]), 1).await;
    assert_eq!(answer["result"], 10);
    // Dropped without a close frame: the TCP connections just end.
    drop(gone);
    let started = Instant::now();
    let mut id = 2;
    loop {
        let (answer, _) = publisher.call("publish", json!(["after"]), id).await;
        if answer["result"] == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "still {answer}");
        id += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_and_others_are_answered() {
    let config = WsConfig::new()
        .write_timeout(Duration::from_millis(500))
        .outgoing_queue(8, 256 * 1024);
    let server = Running::start(spec_server::builder().websocket(config)).await;
    // One client asks for 64 answers of 256 KiB and reads none of them.
    let mut hog = Ws::connect_small_buffer(server.addr).await;
    for id in 0..64 {
        hog.send(json!({"jsonrpc":"2.0","method":"blob","params":[256],"id":id}).to_string())
            .await;
    }
    // Meanwhile another client is answered promptly.
    let mut other = Ws::connect(server.addr).await;
    for id in 0..20 {
        let started = Instant::now();
        let (answer, _) = other.call("ping", json!([]), id).await;
        assert_eq!(answer["result"], "pong");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
    // The hog is cut off once its writes stall past the timeout: reading now shows the end
    // after at most what the queue and the socket buffers held.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut answers = 0;
    while let Event::Json(_) = hog.next_event().await {
        answers += 1;
    }
    assert!(
        answers < 64,
        "all {answers} answers were kept for a client that did not read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_limit_closes_with_1009() {
    let server = Running::start(spec_server::builder().max_body_size(1024)).await;
    let mut ws = Ws::connect(server.addr).await;
    ws.send(format!(
        r#"{{"jsonrpc":"2.0","method":"echo","params":["{}"],"id":1}}"#,
        "x".repeat(2048)
    ))
    .await;
    match ws.next_event().await {
        Event::Closed(code) => assert_eq!(code, Some(1009)),
        Event::Json(message) => panic!("answered instead of closing: {message}"),
    }
    // Other clients are not affected.
    let mut other = Ws::connect(server.addr).await;
    assert_eq!(other.call("ping", json!([]), 1).await.0["result"], "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_a_text_frame_closes_with_1007() {
    let server = spec().await;
    let mut tcp = raw_handshake(server.addr).await;
    tcp.write_all(&client_frame(0x1, b"{\"a\":\"\xff\xfe\"}"))
        .await
        .unwrap();
    assert_eq!(read_until_close(&mut tcp).await, Some(1007));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_answering_pings_is_closed() {
    let config = WsConfig::new().keep_alive(Duration::from_millis(200), Duration::from_millis(200));
    let server = Running::start(spec_server::builder().websocket(config)).await;
    let mut tcp = raw_handshake(server.addr).await;
    let started = Instant::now();
    // The raw socket reads the server's pings but never answers them.
    read_until_close(&mut tcp).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(350),
        "closed after {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
    // A peer that answers (tungstenite answers pings itself) stays connected.
    let mut ws = Ws::connect(server.addr).await;
    assert!(ws.quiet_for(Duration::from_millis(900)).await.is_none());
    assert_eq!(ws.call("ping", json!([]), 1).await.0["result"], "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_answers_calls_in_flight_then_closes_with_1001() {
    let started = Started::default();
    let server = Running::start(spec_server::builder().state(started.clone())).await;
    let addr = server.addr;
    let mut ws = Ws::connect(addr).await;
    ws.send(r#"{"jsonrpc":"2.0","method":"nap","params":[400],"id":1}"#)
        .await;
    started.wait_for(1).await;
    let stopped = server.shut_down();
    assert_eq!(
        ws.next().await,
        json!({"jsonrpc":"2.0","result":400,"id":1})
    );
    match ws.next_event().await {
        Event::Closed(code) => assert_eq!(code, Some(1001)),
        Event::Json(message) => panic!("{message}"),
    }
    bounded("the server to stop", stopped)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origins_are_refused_by_default() {
    let server = spec().await;
    let host = server.addr.to_string();
    let same = format!("http://{host}");
    assert!(Ws::connect_with(server.addr, &[("origin", &same)])
        .await
        .is_ok());
    assert_eq!(
        Ws::connect_with(server.addr, &[("origin", "https://evil.example")])
            .await
            .err(),
        Some(403)
    );
    let allowing = Running::start(spec_server::builder().websocket(
        WsConfig::new().origins(OriginPolicy::Allow(vec!["https://app.example".into()])),
    ))
    .await;
    assert!(
        Ws::connect_with(allowing.addr, &[("origin", "https://app.example")])
            .await
            .is_ok()
    );
    assert_eq!(
        Ws::connect_with(allowing.addr, &[("origin", "https://evil.example")])
            .await
            .err(),
        Some(403)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_per_connection_are_capped() {
    let server =
        Running::start(spec_server::builder().websocket(WsConfig::new().max_subscriptions(2)))
            .await;
    let mut ws = Ws::connect(server.addr).await;
    ws.subscribe("subscribe_events", json!([]), 1).await;
    ws.subscribe("subscribe_events", json!([]), 2).await;
    let (answer, _) = ws.call("subscribe_events", json!([]), 3).await;
    assert_eq!(answer["error"]["code"], -32091, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_over_http_says_a_websocket_is_needed() {
    let server = spec().await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let body = r#"{"jsonrpc":"2.0","method":"subscribe_ticks","params":[1,1],"id":1}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    bounded(
        "the answer",
        tokio::io::AsyncReadExt::read_to_string(&mut tcp, &mut response),
    )
    .await
    .unwrap();
    let json: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["error"]["code"], -32090);
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("WebSocket"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_calls_the_client_back_over_the_websocket() {
    let server = spec().await;
    let mut ws = Ws::connect(server.addr).await;
    ws.send(
        r#"{"jsonrpc":"2.0","method":"ask_client","params":["client.greet",["Ada"]],"id":"outer"}"#,
    )
    .await;
    // The server's own request comes first; the client answers it.
    let request = ws.next().await;
    assert_eq!(request["method"], "client.greet");
    assert_eq!(request["params"], json!(["Ada"]));
    let id = request["id"].clone();
    assert!(id.is_number(), "{request}");
    ws.send_json(json!({"jsonrpc": "2.0", "result": "hello, Ada", "id": id}))
        .await;
    assert_eq!(
        ws.next().await,
        json!({"jsonrpc":"2.0","result":"hello, Ada","id":"outer"})
    );
    // The client's error becomes the call's error.
    ws.send(r#"{"jsonrpc":"2.0","method":"ask_client","params":["client.greet",[]],"id":2}"#)
        .await;
    let request = ws.next().await;
    ws.send_json(json!({"jsonrpc": "2.0", "error": {"code": -32602, "message": "who?"}, "id": request["id"]}))
        .await;
    let answer = ws.next().await;
    assert_eq!(answer["error"]["code"], -32602);
    assert_eq!(answer["error"]["message"], "who?");
    // A notification to the client.
    let (answer, before) = ws
        .call(
            "tell_client",
            json!({"method": "client.note", "params": {"text": "hi"}}),
            3,
        )
        .await;
    assert_eq!(answer["result"], Value::Null);
    assert_eq!(
        before,
        vec![json!({"jsonrpc":"2.0","method":"client.note","params":{"text":"hi"}})]
    );
}
