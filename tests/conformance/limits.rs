//! Limits that hold: each test crosses one limit, checks the answer, then checks that the
//! server still answers `ping`. Small limits need a server of the test's own
//! ([`harness::local`]), started in-process in both modes; defaults are checked on the target.

use std::time::{Duration, Instant};

use jsonrpc_runtime::method;
use serde_json::{json, Value};

use crate::common::started::Started;
use crate::harness::{self, assert_error, local, members, target, Endpoint, PING, PONG};
use crate::spec_server;

/// The spec server's `sleep`, noting its start in the server's `Started`: for the limit tests,
/// whose servers are in-process in both modes.
#[method]
async fn nap(ms: u64, started: Started) -> u64 {
    started.nap(ms).await
}

/// Sends only the head of a POST that declares `length` bytes, and expects 413 at once, then
/// the connection closed.
async fn assert_declared_length_refused(server: &Endpoint, length: u64, extra: &[(&str, &str)]) {
    let mut connection = server.connect().await;
    let length = length.to_string();
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("Content-Length", length.as_str()),
    ];
    headers.extend_from_slice(extra);
    let started = Instant::now();
    connection.send(server.head("POST", &headers)).await;
    let response = connection.response().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "413 took {:?}",
        started.elapsed()
    );
    assert_eq!(response.status, 413, "{response:?}");
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&response.body).expect("a JSON-RPC error body");
    assert_error(&body, -32600, &Value::Null);
    // The server does not wait for the body it refused: it closes the connection.
    assert_eq!(connection.read_until_closed().await, b"");
}

/// A ping padded with spaces to exactly `length` bytes.
fn padded_ping(length: usize) -> String {
    format!("{PING}{}", " ".repeat(length - PING.len()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_without_being_read() {
    let server = local(spec_server::builder().max_body_size(1024)).await;
    // A huge declared length, and not a byte of the body: refused at once.
    assert_declared_length_refused(&server, 1_000_000_000, &[]).await;
    // A length past what HTTP/1.1 can frame is refused too (hyper answers 431 itself).
    let mut connection = server.connect().await;
    let absurd = u64::MAX.to_string();
    connection
        .send(server.head("POST", &[("Content-Length", &absurd)]))
        .await;
    let status = connection.response().await.status;
    assert!((400..500).contains(&status), "{status}");
    // With `Expect: 100-continue`, the refusal comes instead of the go-ahead.
    assert_declared_length_refused(&server, 1025, &[("Expect", "100-continue")]).await;

    // The limit itself is allowed; one byte more is not.
    assert_eq!(server.call_text(padded_ping(1024)).await, PONG);
    assert_eq!(server.post(padded_ping(1025)).await.status, 413);

    // Chunked, with no length declared: cut off once the limit is crossed, before the end.
    let mut connection = server.connect().await;
    connection
        .send(server.head("POST", &[("Transfer-Encoding", "chunked")]))
        .await;
    connection
        .send(format!("800\r\n{}\r\n", " ".repeat(0x800)))
        .await;
    assert_eq!(connection.response().await.status, 413);

    server.assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_body_limit_is_10_mib() {
    assert_declared_length_refused(target(), 10 * 1024 * 1024 + 1, &[]).await;
    target().assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_the_length_limit_is_one_invalid_request_and_does_not_run() {
    let server = local(spec_server::builder().max_batch_len(5)).await;
    let count = r#"{"jsonrpc":"2.0","method":"count","id":1}"#;
    // At the limit: five answers, counting 1 to 5.
    let response = server.call(format!("[{}]", [count; 5].join(","))).await;
    assert_eq!(members(&response).len(), 5, "{response}");
    // Over it: one error object, not an array, and none of the calls runs.
    for batch in [
        format!("[{}]", [count; 6].join(",")),
        format!(
            "[{}]",
            [r#"{"jsonrpc":"2.0","method":"count"}"#; 6].join(",")
        ),
        format!("[{}]", ["1"; 10_000].join(",")),
    ] {
        let response = server.call(batch).await;
        assert!(response.is_object(), "{response}");
        assert_error(&response, -32600, &Value::Null);
    }
    let response = server.call(count).await;
    assert_eq!(
        response["result"], 6,
        "only the first batch counted: {response}"
    );
    server.assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_is_a_parse_error_not_a_crash() {
    // Default limit (128), on the target.
    let open = "[".repeat(200_000);
    assert_error(&target().call(&open).await, -32700, &Value::Null);
    let objects = r#"{"a":"#.repeat(200_000);
    assert_error(&target().call(&objects).await, -32700, &Value::Null);
    let balanced = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_error(&target().call(&balanced).await, -32700, &Value::Null);
    let deep_params = format!(
        r#"{{"jsonrpc":"2.0","method":"echo","params":[{}{}],"id":1}}"#,
        "[".repeat(1000),
        "]".repeat(1000)
    );
    assert_error(&target().call(&deep_params).await, -32700, &Value::Null);
    // Brackets inside a string are text, not nesting.
    let text = "[{".repeat(100_000);
    let response = target()
        .call(format!(
            r#"{{"jsonrpc":"2.0","method":"echo","params":["{text}"],"id":1}}"#
        ))
        .await;
    assert_eq!(response["result"], text.as_str());
    target().assert_serves_ping().await;

    // A limit of 4: the request object, its params and two more levels.
    let server = local(spec_server::builder().max_depth(4)).await;
    let at_limit = r#"{"jsonrpc":"2.0","method":"echo","params":[[[1]]],"id":1}"#;
    assert_eq!(server.call(at_limit).await["result"], json!([[1]]));
    let over = r#"{"jsonrpc":"2.0","method":"echo","params":[[[[1]]]],"id":1}"#;
    assert_error(&server.call(over).await, -32700, &Value::Null);
    server.assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_over_the_size_limit_is_an_internal_error() {
    let server = local(spec_server::builder().max_response_size(200)).await;
    let echo = |length: usize, id: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"echo","params":["{}"],"id":{id}}}"#,
            "x".repeat(length)
        )
    };
    // `{"jsonrpc":"2.0","result":"` + n + `","id":1}` is n + 36 bytes: 164 fits exactly.
    let response = server.call_text(echo(164, "1")).await;
    assert_eq!(response.len(), 200);
    let response = server.call(echo(165, "1")).await;
    assert_error(&response, -32603, &json!(1));
    let response = server.call(echo(10_000, r#""big""#)).await;
    assert_error(&response, -32603, &json!("big"));
    // Members that fit alone but not together: the answer that fits is kept, the one that
    // would pass the limit is a -32603 error with its own id.
    let response = server
        .call(format!("[{},{}]", echo(100, "1"), echo(100, "2")))
        .await;
    let answers = members(&response);
    assert_eq!(answers.len(), 2, "{response}");
    assert_eq!(answers[0]["result"], "x".repeat(100).as_str());
    assert_error(&answers[1], -32603, &json!(2));
    server.assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_of_a_batch_are_limited() {
    let server = local(spec_server::builder().max_concurrent_calls(2)).await;
    let sleeps: Vec<String> = (0..6)
        .map(|i| format!(r#"{{"jsonrpc":"2.0","method":"sleep","params":[200],"id":{i}}}"#))
        .collect();
    let batch = format!("[{}]", sleeps.join(","));
    let started = Instant::now();
    let response = server.call(batch).await;
    let elapsed = started.elapsed();
    assert_eq!(members(&response).len(), 6, "{response}");
    for member in members(&response) {
        assert_eq!(member["result"], 200, "{response}");
    }
    // Two at a time: three rounds of 200 ms.
    assert!(
        elapsed >= Duration::from_millis(600),
        "6 x sleep(200), 2 at a time, took only {elapsed:?}"
    );
    assert!(elapsed < Duration::from_millis(1100), "took {elapsed:?}");
    server.assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_limit_takes_the_place_of_the_idlest() {
    let server = local(spec_server::builder().max_connections(4)).await;
    // Four connections, each served once and kept open, idle; the first is idle longest.
    let mut open = Vec::new();
    for _ in 0..4 {
        let mut connection = server.connect().await;
        assert_eq!(connection.post(PING).await.text(), PONG);
        open.push(connection);
        // The idle clock counts whole seconds.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    // A fifth is served at once: the server closes the idlest connection to make room.
    let started = Instant::now();
    let mut fifth = server.connect().await;
    let response = fifth.post(PING).await;
    assert_eq!((response.status, response.text()), (200, PONG));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(open[0].read_until_closed().await, b"");
    for connection in &mut open[1..] {
        assert_eq!(connection.post(PING).await.text(), PONG);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_limit_with_none_idle_gets_503_at_once() {
    let naps = Started::default();
    let builder = spec_server::builder()
        .state(naps.clone())
        .max_connections(2);
    let server = local(builder).await;
    // Two connections, each in the middle of a call.
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut connection = server.connect().await;
        connection
            .send_post(r#"{"jsonrpc":"2.0","method":"nap","params":[2000],"id":1}"#)
            .await;
        busy.push(connection);
    }
    naps.wait_for(2).await;
    let started = Instant::now();
    let mut third = server.connect().await;
    third.send_post(PING).await;
    let response = third.response().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response.status, 503, "{response:?}");
    assert_eq!(response.header("retry-after"), Some("1"));
    let body: Value = serde_json::from_slice(&response.body).expect("a JSON-RPC error body");
    assert_error(&body, -32094, &Value::Null);
    assert_eq!(third.read_until_closed().await, b"");
    // The calls in flight were not disturbed, and once they are over there is room again.
    busy[0].assert_silent_for(Duration::from_millis(100)).await;
    for connection in &mut busy {
        assert_eq!(connection.response().await.status, 200);
    }
    drop(busy);
    server.assert_serves_ping().await;
}

/// Opens `count` connections that each send half a request head and stall.
async fn stalled_connections(server: &Endpoint, count: usize) -> Vec<harness::Conn> {
    let mut stalled = Vec::with_capacity(count);
    for _ in 0..count {
        let mut connection = server.connect().await;
        connection.send("POST / HTTP/1.1\r\nHost: stal").await;
        stalled.push(connection);
    }
    stalled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_do_not_hold_up_a_fresh_one() {
    let stalled = stalled_connections(target(), 200).await;
    let started = Instant::now();
    assert_eq!(target().call_text(PING).await, PONG);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(1),
        "with 200 stalled clients, a fresh one waited {elapsed:?}"
    );
    drop(stalled);
    target().assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_are_closed_after_the_header_read_timeout() {
    let timeout = Duration::from_millis(500);
    let server = local(spec_server::builder().header_read_timeout(timeout)).await;
    let started = Instant::now();
    let mut stalled = stalled_connections(&server, 200).await;
    // A fresh client is served meanwhile.
    assert_eq!(server.call_text(PING).await, PONG);
    for connection in &mut stalled {
        let received = connection.read_until_closed().await;
        assert!(
            received.is_empty() || received.starts_with(b"HTTP/1.1 408"),
            "{:?}",
            String::from_utf8_lossy(&received)
        );
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout, "closed before the timeout: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "closed after {elapsed:?}");
    server.assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_but_a_slow_client_in_time_is_served() {
    let timeout = Duration::from_millis(500);
    let server = local(spec_server::builder().header_read_timeout(timeout)).await;
    // A kept-alive connection that goes quiet after a request is closed like a stalled one.
    let mut idle = server.connect().await;
    assert_eq!(idle.post(PING).await.text(), PONG);
    let started = Instant::now();
    assert_eq!(idle.read_until_closed().await, b"");
    assert!(started.elapsed() >= timeout, "{:?}", started.elapsed());
    // A client that sends its head in pieces, each well within the timeout, is served.
    let mut slow = server.connect().await;
    let request = server.post_request(PING.as_bytes());
    for piece in request.chunks(request.len() / 3 + 1) {
        slow.send(piece).await;
        tokio::time::sleep(timeout / 5).await;
    }
    assert_eq!(slow.response().await.text(), PONG);
    server.assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_that_stalls_in_its_next_head_is_closed() {
    let timeout = Duration::from_millis(500);
    let server = local(spec_server::builder().header_read_timeout(timeout)).await;
    let mut connection = server.connect().await;
    assert_eq!(connection.post(PING).await.text(), PONG);
    // Half of the next request's head, then nothing: closed from the last answer on.
    let request = server.post_request(PING.as_bytes());
    let started = Instant::now();
    connection.send(&request[..request.len() / 3]).await;
    assert_eq!(connection.read_until_closed().await, b"");
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout * 9 / 10, "closed after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "closed after {elapsed:?}");
    server.assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_longer_than_the_header_read_timeout_keeps_its_connection() {
    let timeout = Duration::from_millis(300);
    let server = local(spec_server::builder().header_read_timeout(timeout)).await;
    let mut connection = server.connect().await;
    // The call runs for three timeouts; its answer, then a next request sent at once, come
    // through on the same connection.
    let slow = r#"{"jsonrpc":"2.0","method":"sleep","params":[900],"id":1}"#;
    assert_eq!(
        connection.post(slow).await.text(),
        r#"{"jsonrpc":"2.0","result":900,"id":1}"#
    );
    assert_eq!(connection.post(PING).await.text(), PONG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_closed_after_the_header_read_timeout() {
    let timeout = Duration::from_millis(500);
    let server = local(
        spec_server::builder()
            .max_connections(4)
            .header_read_timeout(timeout),
    )
    .await;
    // Four connections that never send a byte, or stop after the first byte of the HTTP/2
    // preface, take every slot.
    let mut silent = Vec::new();
    for prefix in ["", "", "P", "PRI * HTTP/2.0"] {
        let mut connection = server.connect().await;
        connection.send(prefix).await;
        silent.push(connection);
    }
    // A fifth client must be served once the timeout has closed them.
    let started = Instant::now();
    assert_eq!(server.call_text(PING).await, PONG);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    for connection in &mut silent {
        assert_eq!(connection.read_until_closed().await, b"");
    }
}
