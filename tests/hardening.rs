//! Hostile clients, over real sockets: each test crosses one of the server's time or memory
//! limits, checks what the hostile client gets, then that a fresh client's `ping` is answered
//! within a second.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{read_response, TestServer};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use jsonrpc_runtime::{method, Server};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[method]
fn ping() -> &'static str {
    "pong"
}

/// Returns its params as they came.
#[method]
fn echo(params: jsonrpc_runtime::Params<Value>) -> Value {
    params.0
}

/// A string of `len` bytes.
#[method]
fn blob(len: usize) -> String {
    "x".repeat(len)
}

const PING: &str = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;

/// A fresh connection's `ping` is answered within a second.
async fn assert_fresh_ping(server: &TestServer) {
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(1), server.post(PING))
        .await
        .expect("a fresh ping answered within 1 s");
    assert_eq!(response.status, 200, "{response:?}");
    assert!(response.text().contains("pong"), "{response:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// The head of a POST that declares `length` bytes of body.
fn post_head(length: usize) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

/// Reads until the server closes the connection (or resets it); panics after `within`.
async fn assert_closed_within(
    connection: &mut tokio::io::BufReader<tokio::net::TcpStream>,
    within: Duration,
) {
    let mut buffer = vec![0; 64 * 1024];
    tokio::time::timeout(within, async {
        loop {
            match connection.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the server closes the connection");
}

fn error_code(body: &[u8]) -> i64 {
    let json: Value = serde_json::from_slice(body).expect("a JSON-RPC error body");
    json["error"]["code"].as_i64().expect("an error code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_gets_408_at_the_body_timeout() {
    let server =
        TestServer::start(Server::builder().body_read_timeout(Duration::from_millis(500))).await;
    let mut trickling = Vec::new();
    for _ in 0..20 {
        let mut connection = server.connect().await;
        connection
            .get_mut()
            .write_all(format!("{}[1,", post_head(1_000_000)).as_bytes())
            .await
            .unwrap();
        trickling.push(connection);
    }
    let started = Instant::now();
    assert_fresh_ping(&server).await;
    // A byte now and then does not reset the timeout: it is for the whole body.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        for connection in &mut trickling {
            let _ = connection.get_mut().write_all(b"1,").await;
        }
    }
    for connection in &mut trickling {
        let response = tokio::time::timeout(Duration::from_secs(2), read_response(connection))
            .await
            .expect("408 in time");
        assert_eq!(response.status, 408, "{response:?}");
        assert_eq!(response.header("connection"), Some("close"));
        assert_eq!(error_code(&response.body), -32600);
        assert_closed_within(connection, Duration::from_secs(1)).await;
    }
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert_fresh_ping(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http1_connection_is_closed_at_the_idle_timeout() {
    let server = TestServer::start(Server::builder().idle_timeout(Duration::from_secs(1))).await;
    let mut connection = server.connect().await;
    common::send_post(&mut connection, PING).await;
    assert_eq!(read_response(&mut connection).await.status, 200);
    let started = Instant::now();
    assert_closed_within(&mut connection, Duration::from_secs(4)).await;
    // Idle for the timeout, checked once a second.
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_fresh_ping(&server).await;
}

/// A connection that sends nothing, or only a part of the HTTP/2 preface (so that its version
/// cannot be told), is closed at the header-read timeout like one that sends half a head.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_its_first_bytes_is_closed_at_the_header_timeout() {
    let server =
        TestServer::start(Server::builder().header_read_timeout(Duration::from_millis(500))).await;
    let silent = server.connect().await;
    let mut partial = server.connect().await;
    partial.get_mut().write_all(b"PRI * HTTP/2").await.unwrap();
    let mut half_head = server.connect().await;
    half_head.get_mut().write_all(b"POST / HTT").await.unwrap();
    let started = Instant::now();
    assert_fresh_ping(&server).await;
    for mut connection in [silent, partial, half_head] {
        assert_closed_within(&mut connection, Duration::from_secs(3)).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_fresh_ping(&server).await;
}

/// An HTTP/2 (prior knowledge) connection to `server`, and the task driving it.
async fn http2_connection(
    server: &TestServer,
) -> (
    hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    tokio::task::JoinHandle<()>,
) {
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (sender, connection) = hyper::client::conn::http2::handshake::<_, _, Full<Bytes>>(
        TokioExecutor::new(),
        TokioIo::new(stream),
    )
    .await
    .unwrap();
    let driving = tokio::spawn(async move {
        let _ = connection.await;
    });
    (sender, driving)
}

fn http2_post(body: impl Into<Bytes>) -> http::Request<Full<Bytes>> {
    http::Request::post("http://test/")
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http2_connection_is_closed_at_the_idle_timeout() {
    let server = TestServer::start(Server::builder().idle_timeout(Duration::from_secs(1))).await;
    let (mut sender, driving) = http2_connection(&server).await;
    let response = sender.send_request(http2_post(PING)).await.unwrap();
    assert_eq!(response.status(), 200);
    let started = Instant::now();
    // The server sends GOAWAY and closes: the client's connection task ends.
    tokio::time::timeout(Duration::from_secs(4), driving)
        .await
        .expect("the idle HTTP/2 connection is closed")
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_fresh_ping(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_is_closed_at_the_write_timeout() {
    let server = TestServer::start(
        Server::builder()
            .write_timeout(Duration::from_millis(300))
            .max_response_size(64 << 20),
    )
    .await;
    let mut connection = server.connect().await;
    // 16 MB: more than the kernel's socket buffers on both sides absorb.
    let request = r#"{"jsonrpc":"2.0","method":"blob","params":[16000000],"id":1}"#;
    common::send_post(&mut connection, request).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // Read now: what was written before the timeout, then the end of the connection, well short
    // of the 16 MB answer.
    let mut received = 0;
    let mut buffer = vec![0; 1 << 20];
    let reading = async {
        loop {
            match connection.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received += n,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), reading)
        .await
        .expect("the connection ends");
    assert!(
        received < 16_000_000,
        "received the whole answer: {received}"
    );
    assert_fresh_ping(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_memory_budget_get_503_and_small_calls_still_pass() {
    let server = TestServer::start(
        Server::builder()
            .memory_budget(Some(1 << 20))
            .connection_memory_budget(None),
    )
    .await;
    // Two unfinished bodies of 400 KiB each fit the 1 MiB budget...
    let chunk = vec![b' '; 400 * 1024];
    let mut holding = Vec::new();
    for _ in 0..2 {
        let mut connection = server.connect().await;
        let stream = connection.get_mut();
        stream
            .write_all(post_head(2_000_000).as_bytes())
            .await
            .unwrap();
        stream.write_all(&chunk).await.unwrap();
        holding.push(connection);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // ...a third does not: refused, not buffered.
    let mut third = server.connect().await;
    let stream = third.get_mut();
    stream
        .write_all(post_head(2_000_000).as_bytes())
        .await
        .unwrap();
    let _ = stream.write_all(&chunk).await;
    let response = tokio::time::timeout(Duration::from_secs(2), read_response(&mut third))
        .await
        .expect("503 at once");
    assert_eq!(response.status, 503, "{response:?}");
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(error_code(&response.body), -32094);
    // Small calls are not counted: they pass whatever the big ones hold.
    assert_fresh_ping(&server).await;
    // Once the held bodies go, the budget is free again: as soon as the server has seen their
    // connections close, which it is given up to 5 s for.
    drop(holding);
    let body = format!(
        r#"{{"jsonrpc":"2.0","method":"echo","params":["{}"],"id":2}}"#,
        "y".repeat(700 * 1024)
    );
    let dropped = Instant::now();
    loop {
        let mut connection = server.connect().await;
        let stream = connection.get_mut();
        stream
            .write_all(post_head(body.len()).as_bytes())
            .await
            .unwrap();
        // A refusal may come before the whole body is written.
        let _ = stream.write_all(body.as_bytes()).await;
        // Bounded generously: beside this binary's big-body test, the echo has taken 15 s.
        let response =
            tokio::time::timeout(Duration::from_secs(60), read_response(&mut connection))
                .await
                .expect("an answer");
        if response.status == 200 {
            break;
        }
        assert_eq!(response.status, 503, "{response:?}");
        assert!(
            dropped.elapsed() < Duration::from_secs(5),
            "the held bodies' budget was never freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_streams_share_their_connections_budget() {
    let server = TestServer::start(
        Server::builder()
            .memory_budget(None)
            .connection_memory_budget(Some(900 * 1024)),
    )
    .await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake::<
        _,
        _,
        http_body_util::channel::Channel<Bytes>,
    >(TokioExecutor::new(), TokioIo::new(stream))
    .await
    .unwrap();
    tokio::spawn(connection);
    // Streams with unfinished bodies of 256 KiB each (the buffers that hold them double up to
    // exactly that): three fit the connection's 900 KiB, the fourth does not.
    let mut bodies = Vec::new();
    let mut answers = Vec::new();
    for _ in 0..4 {
        let (mut body, channel) = http_body_util::channel::Channel::new(4);
        let request = http::Request::post("http://test/")
            .header("content-length", "2000000")
            .body(channel)
            .unwrap();
        sender.ready().await.unwrap();
        answers.push(tokio::spawn(sender.send_request(request)));
        body.send_data(Bytes::from(vec![b' '; 256 * 1024]))
            .await
            .unwrap();
        bodies.push(body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let last = answers.pop().unwrap();
    let response = tokio::time::timeout(Duration::from_secs(2), last)
        .await
        .expect("503 at once")
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 503);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(error_code(&body), -32094);
    for answer in &answers {
        assert!(
            !answer.is_finished(),
            "a stream within the budget was answered early"
        );
    }
    assert_fresh_ping(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_bodies_do_not_hold_up_small_calls() {
    let server = TestServer::start(Server::builder()).await;
    // Four clients sending 8 MiB arrays of zeros to `echo`, over and over.
    let zeros = format!(
        r#"{{"jsonrpc":"2.0","method":"echo","params":[{}0],"id":1}}"#,
        "0,".repeat(4 << 20)
    );
    let zeros: &'static str = Box::leak(zeros.into_boxed_str());
    let addr = server.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut senders = Vec::new();
    for _ in 0..4 {
        let stop = stop.clone();
        senders.push(tokio::spawn(async move {
            let mut answered = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut connection = tokio::net::TcpStream::connect(addr).await.unwrap();
                let request = format!("{}{zeros}", post_head(zeros.len()));
                connection.write_all(request.as_bytes()).await.unwrap();
                let mut connection = tokio::io::BufReader::new(connection);
                if read_response(&mut connection).await.status == 200 {
                    answered += 1;
                }
            }
            answered
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        assert_fresh_ping(&server).await;
        worst = worst.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = 0;
    for sender in senders {
        answered += sender.await.unwrap();
    }
    assert!(answered > 0, "no big body was answered");
    eprintln!("worst ping while {answered} big bodies were answered: {worst:?}");
    assert!(worst < Duration::from_millis(500), "worst ping {worst:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_stops_where_its_answers_would_pass_the_memory_budget() {
    let server = TestServer::start(
        Server::builder()
            .memory_budget(Some(1 << 20))
            .connection_memory_budget(None),
    )
    .await;
    // 30 answers of 100 kB: 3 MB, within the response limit (10 MiB) but not the 1 MiB budget.
    let calls: Vec<String> = (0..30)
        .map(|id| format!(r#"{{"jsonrpc":"2.0","method":"blob","params":[100000],"id":{id}}}"#))
        .collect();
    let response = server.post(&format!("[{}]", calls.join(","))).await;
    assert_eq!(response.status, 200);
    let answers: Vec<Value> = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(
        answers.len(),
        30,
        "one answer per call, each with its own id"
    );
    let kept = answers.iter().filter(|a| a.get("result").is_some()).count();
    assert!((5..=10).contains(&kept), "{kept} answers kept");
    for (id, answer) in answers.iter().enumerate() {
        assert_eq!(answer["id"], id, "{answer}");
        if answer.get("error").is_some() {
            assert_eq!(answer["error"]["code"], -32603);
            let data = answer["error"]["data"].as_str().unwrap();
            assert!(data.contains("memory budget"), "{data}");
        }
    }
    assert_fresh_ping(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_client_that_does_not_answer_pings_is_closed() {
    let server = TestServer::start(Server::builder().http2_keep_alive(Some((
        Duration::from_millis(200),
        Duration::from_millis(300),
    ))))
    .await;
    // An HTTP/2 (prior knowledge) client by hand: the preface and empty SETTINGS, then it
    // reads what the server sends and answers nothing, PINGs included.
    let mut connection = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    connection
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let started = Instant::now();
    let mut pings = 0;
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match connection.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            // Count the PING frames (type 6) among the whole frames read so far.
            while buffer.len() >= 9 {
                let length = usize::from(buffer[0]) << 16
                    | usize::from(buffer[1]) << 8
                    | usize::from(buffer[2]);
                if buffer.len() < 9 + length {
                    break;
                }
                if buffer[3] == 6 {
                    pings += 1;
                }
                buffer.drain(..9 + length);
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the server kept a silent HTTP/2 connection open"
    );
    assert!(pings >= 1, "the server sent no PING");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_fresh_ping(&server).await;
}
