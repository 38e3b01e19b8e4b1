//! The async client against the project's own server (and a scripted one, to see what it
//! sends): requests, params by position and by name, notifications, batches answered in any
//! order, ids, keep-alive, HTTP/2, headers, timeouts and the `-->` / `<--` debug lines.

mod client_support;
mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use client_support::{Reply, Scripted};
use common::TestServer;
use futures_util::future::join_all;
use jsonrpc_runtime::client::{
    ByName, ByPosition, Client, ClientError, Id, InvalidResponse, RandomIds, StringIds,
};
use jsonrpc_runtime::{method, Dispatcher, Error, Params, Server, State};
use serde::Serialize;
use serde_json::{json, Value};

#[method]
fn ping() -> &'static str {
    "pong"
}

#[method]
fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend - subtrahend
}

#[method]
fn sum(numbers: Params<Vec<i64>>) -> i64 {
    numbers.iter().sum()
}

#[method]
fn echo(value: Params<Value>) -> Value {
    value.into_inner()
}

#[method]
async fn sleep(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[method]
fn divide(a: f64, b: f64) -> Result<f64, Error> {
    if b == 0.0 {
        return Err(Error::new(-32001, "division by zero"));
    }
    Ok(a / b)
}

#[derive(Default)]
struct Notes(Mutex<Vec<i64>>);

/// A notification target: records its param.
#[method]
fn note(notes: State<Notes>, value: i64) {
    notes.0.lock().unwrap().push(value);
}

#[method]
fn notes(notes: State<Notes>) -> Vec<i64> {
    notes.0.lock().unwrap().clone()
}

async fn own_server() -> (TestServer, Client) {
    let server = TestServer::start(Server::builder().state(Notes::default())).await;
    let client = Client::new(&format!("http://{}/", server.addr)).unwrap();
    (server, client)
}

/// A scripted server that answers every request through a real dispatcher, then `rewrite`.
async fn dispatching_server(rewrite: impl Fn(Value) -> Value + Send + Sync + 'static) -> Scripted {
    let dispatcher = Dispatcher::builder()
        .state(Notes::default())
        .build()
        .unwrap();
    Scripted::dispatching(dispatcher, rewrite).await
}

#[tokio::test]
async fn a_request_returns_a_typed_result() {
    let (_server, client) = own_server().await;
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
    let difference: i64 = client.request("subtract", (42, 23)).await.unwrap();
    assert_eq!(difference, 19);
    let value: Value = client.request("ping", ()).await.unwrap();
    assert_eq!(value, json!("pong"));
}

#[tokio::test]
async fn params_by_position() {
    let (_server, client) = own_server().await;
    for params in [json!([42, 23]), json!([23, 42])] {
        let expected = params[0].as_i64().unwrap() - params[1].as_i64().unwrap();
        let got: i64 = client.request("subtract", &params).await.unwrap();
        assert_eq!(got, expected);
    }
    assert_eq!(
        client.request::<i64>("subtract", [42, 23]).await.unwrap(),
        19
    );
    assert_eq!(
        client
            .request::<i64>("subtract", vec![42, 23])
            .await
            .unwrap(),
        19
    );
    assert_eq!(
        client
            .request::<i64>("subtract", &[42, 23][..])
            .await
            .unwrap(),
        19
    );
    assert_eq!(
        client
            .request::<i64>("sum", (1, 2, 3, 4, 5, 6, 7, 8))
            .await
            .unwrap(),
        36
    );
    #[derive(Serialize)]
    struct Pair(i64, i64);
    assert_eq!(
        client
            .request::<i64>("subtract", ByPosition(Pair(5, 3)))
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn params_by_name() {
    let (_server, client) = own_server().await;
    #[derive(Serialize)]
    struct Subtract {
        subtrahend: i64,
        minuend: i64,
    }
    let by_struct: i64 = client
        .request(
            "subtract",
            ByName(Subtract {
                subtrahend: 23,
                minuend: 42,
            }),
        )
        .await
        .unwrap();
    assert_eq!(by_struct, 19);
    let by_json: i64 = client
        .request("subtract", json!({ "subtrahend": 23, "minuend": 42 }))
        .await
        .unwrap();
    assert_eq!(by_json, 19);
    let by_hash_map: i64 = client
        .request(
            "subtract",
            HashMap::from([("minuend", 42), ("subtrahend", 23)]),
        )
        .await
        .unwrap();
    assert_eq!(by_hash_map, 19);
    let by_btree_map: i64 = client
        .request(
            "subtract",
            BTreeMap::from([("minuend", 1), ("subtrahend", 2)]),
        )
        .await
        .unwrap();
    assert_eq!(by_btree_map, -1);
    let map = json!({ "minuend": 3, "subtrahend": 1 })
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(client.request::<i64>("subtract", map).await.unwrap(), 2);
}

#[tokio::test]
async fn what_goes_on_the_wire() {
    let server = Scripted::start(|seen| seen.respond(r#""result":null"#)).await;
    let client = Client::new(&server.url()).unwrap();
    client.request::<()>("ping", ()).await.unwrap();
    client.request::<()>("subtract", (42, 23)).await.unwrap();
    client
        .request::<()>("subtract", json!({ "minuend": 42 }))
        .await
        .unwrap();
    client.notify("update", [1, 2]).await.unwrap();
    client.notify("bare", ()).await.unwrap();
    let bodies: Vec<String> = server.seen().into_iter().map(|s| s.body).collect();
    assert_eq!(
        bodies,
        [
            r#"{"jsonrpc":"2.0","method":"ping","id":1}"#,
            r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":2}"#,
            r#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42},"id":3}"#,
            r#"{"jsonrpc":"2.0","method":"update","params":[1,2]}"#,
            r#"{"jsonrpc":"2.0","method":"bare"}"#,
        ]
    );
    let seen = &server.seen()[0];
    assert_eq!(seen.headers["content-type"], "application/json");
    assert_eq!(seen.headers["accept"], "application/json");
}

#[tokio::test]
async fn a_notification_runs_and_is_not_answered() {
    let (_server, client) = own_server().await;
    client.notify("note", [7]).await.unwrap();
    client.notify("note", json!({ "value": 8 })).await.unwrap();
    let notes: Vec<i64> = client.request("notes", ()).await.unwrap();
    assert_eq!(notes, [7, 8]);
    // A notification of a method that does not exist is not answered either.
    client.notify("no_such_method", ()).await.unwrap();
}

#[tokio::test]
async fn a_batch_matches_results_to_calls() {
    let (_server, client) = own_server().await;
    let mut batch = client.batch();
    let difference = batch.request::<i64>("subtract", (42, 23));
    let pong = batch.request::<String>("ping", ());
    batch.notify("note", [1]);
    let missing = batch.request::<Value>("no_such_method", ());
    let quotient = batch.request::<f64>("divide", (1, 0));
    let total = batch.request::<i64>("sum", [1, 2, 4]);
    assert_eq!(batch.len(), 6);
    let answers = batch.send().await.unwrap();
    assert_eq!(answers.len(), 5);
    assert_eq!(answers.get(&difference).unwrap(), 19);
    assert_eq!(answers.get(&pong).unwrap(), "pong");
    assert_eq!(answers.get(&total).unwrap(), 7);
    assert_eq!(
        answers.get(&missing).unwrap_err().rpc().map(Error::code),
        Some(-32601)
    );
    assert_eq!(
        answers.get(&quotient).unwrap_err().rpc().map(Error::code),
        Some(-32001)
    );
    // Reading a result twice, or as another type, works like reading it once.
    assert_eq!(answers.get(&difference).unwrap(), 19);
    let notes: Vec<i64> = client.request("notes", ()).await.unwrap();
    assert_eq!(notes, [1]);
}

#[tokio::test]
async fn a_batch_answered_out_of_order() {
    // The real dispatcher answers; the server then reverses the array, then rotates it.
    for rewrite in [
        (|mut v: Value| {
            v.as_array_mut().unwrap().reverse();
            v
        }) as fn(Value) -> Value,
        |mut v: Value| {
            v.as_array_mut().unwrap().rotate_left(1);
            v
        },
    ] {
        let server = dispatching_server(rewrite).await;
        let client = Client::new(&server.url()).unwrap();
        let mut batch = client.batch();
        let calls: Vec<_> = (0..5)
            .map(|i| batch.request::<i64>("subtract", (100, i)))
            .collect();
        let slow = batch.request::<u64>("sleep", [1]);
        let answers = batch.send().await.unwrap();
        for (i, call) in calls.iter().enumerate() {
            assert_eq!(answers.get(call).unwrap(), 100 - i as i64);
        }
        assert_eq!(answers.get(&slow).unwrap(), 1);
        // The whole batch went in one request.
        assert_eq!(server.seen().len(), 1);
    }
}

#[tokio::test]
async fn batch_answers_that_are_missing_or_broken() {
    // The server drops the first answer and duplicates the last one.
    let server = dispatching_server(|mut v| {
        let answers = v.as_array_mut().unwrap();
        answers.remove(0);
        let last = answers.last().unwrap().clone();
        answers.push(last);
        v
    })
    .await;
    let client = Client::new(&server.url()).unwrap();
    let mut batch = client.batch();
    let first = batch.request::<i64>("subtract", (1, 1));
    let second = batch.request::<i64>("subtract", (2, 1));
    let third = batch.request::<i64>("subtract", (3, 1));
    let answers = batch.send().await.unwrap();
    assert!(matches!(
        answers.get(&first),
        Err(ClientError::InvalidResponse(InvalidResponse::MissingAnswer(id))) if id == *first.id()
    ));
    assert_eq!(answers.get(&second).unwrap(), 1);
    assert!(matches!(
        answers.get(&third),
        Err(ClientError::InvalidResponse(
            InvalidResponse::DuplicateAnswer(_)
        ))
    ));
    // A result of the wrong type is a decode error for that call only.
    let server = dispatching_server(|v| v).await;
    let client = Client::new(&server.url()).unwrap();
    let mut batch = client.batch();
    let wrong = batch.request::<String>("subtract", (1, 1));
    let right = batch.request::<i64>("subtract", (1, 1));
    let answers = batch.send().await.unwrap();
    assert!(matches!(answers.get(&wrong), Err(ClientError::Decode(_))));
    assert_eq!(answers.get(&right).unwrap(), 0);
}

#[tokio::test]
async fn a_batch_refused_as_a_whole() {
    let server =
        TestServer::start(Server::builder().state(Notes::default()).max_batch_len(2)).await;
    let client = Client::new(&format!("http://{}/", server.addr)).unwrap();
    let mut batch = client.batch();
    for _ in 0..3 {
        batch.request::<String>("ping", ());
    }
    let error = batch.send().await.unwrap_err();
    assert_eq!(error.rpc().map(Error::code), Some(-32600), "{error}");
}

#[tokio::test]
async fn batches_of_notifications_only_and_empty_batches() {
    let (_server, client) = own_server().await;
    let mut batch = client.batch();
    batch.notify("note", [1]);
    batch.notify("note", [2]);
    let answers = batch.send().await.unwrap();
    assert!(answers.is_empty());
    let notes: Vec<i64> = client.request("notes", ()).await.unwrap();
    assert_eq!(notes, [1, 2]);
    // An empty batch is not sent at all (the specification makes `[]` an invalid request).
    let client = Client::new(&client_support::closed_port_url()).unwrap();
    let empty = client.batch();
    assert!(empty.is_empty());
    assert!(empty.send().await.unwrap().is_empty());
}

#[tokio::test]
async fn batch_params_errors_fail_the_batch_before_sending() {
    let client = Client::new(&client_support::closed_port_url()).unwrap();
    let mut batch = client.batch();
    batch.request::<i64>("subtract", (1, 2));
    batch.request::<i64>("subtract", json!(5));
    assert!(matches!(batch.send().await, Err(ClientError::BadParams(_))));
}

#[tokio::test]
async fn ids_count_up_by_default() {
    let server = Scripted::start(|seen| {
        if seen.body.starts_with('[') {
            let calls: Vec<Value> = serde_json::from_str(&seen.body).unwrap();
            let answers: Vec<String> = calls
                .iter()
                .filter_map(|call| call.get("id"))
                .map(|id| format!(r#"{{"jsonrpc":"2.0","result":0,"id":{id}}}"#))
                .collect();
            Reply::json(format!("[{}]", answers.join(",")))
        } else {
            seen.respond(r#""result":0"#)
        }
    })
    .await;
    let client = Client::new(&server.url()).unwrap();
    let clone = client.clone();
    client.request::<i64>("a", ()).await.unwrap();
    clone.request::<i64>("b", ()).await.unwrap();
    client.notify("c", ()).await.unwrap();
    let mut batch = client.batch();
    let d = batch.request::<i64>("d", ());
    let e = batch.request::<i64>("e", ());
    assert_eq!((d.id(), e.id()), (&Id::Num(3), &Id::Num(4)));
    batch.send().await.unwrap();
    client
        .with_timeout(Duration::from_secs(9))
        .request::<i64>("f", ())
        .await
        .unwrap();
    let ids: Vec<Value> = server
        .seen()
        .iter()
        .filter(|s| !s.body.starts_with('['))
        .map(|s| s.id())
        .collect();
    assert_eq!(ids, [json!(1), json!(2), Value::Null, json!(5)]);
}

#[tokio::test]
async fn other_id_generators() {
    let server = TestServer::start(Server::builder().state(Notes::default())).await;
    let url = format!("http://{}/", server.addr);

    let strings = Client::builder(&url)
        .id_generator(StringIds::with_prefix("req-"))
        .build()
        .unwrap();
    let random = Client::builder(&url)
        .id_generator(RandomIds::new())
        .build()
        .unwrap();
    let next = AtomicU64::new(1000);
    let custom = Client::builder(&url)
        .id_generator(move || Id::Num(next.fetch_add(10, Ordering::Relaxed) as i64))
        .build()
        .unwrap();
    for client in [&strings, &random, &custom] {
        assert_eq!(client.request::<String>("ping", ()).await.unwrap(), "pong");
        let mut batch = client.batch();
        let a = batch.request::<i64>("subtract", (3, 1));
        let b = batch.request::<i64>("subtract", (1, 3));
        let answers = batch.send().await.unwrap();
        assert_eq!(
            (answers.get(&a).unwrap(), answers.get(&b).unwrap()),
            (2, -2)
        );
    }
    let mut batch = strings.batch();
    assert_eq!(batch.request::<i64>("ping", ()).id(), &Id::from("req-4"));
    let mut batch = custom.batch();
    assert_eq!(batch.request::<i64>("ping", ()).id(), &Id::Num(1030));
}

#[tokio::test]
async fn a_generator_that_repeats_itself_in_a_batch_is_refused() {
    let client = Client::builder(client_support::closed_port_url())
        .id_generator(|| Id::Num(1))
        .build()
        .unwrap();
    let mut batch = client.batch();
    batch.request::<i64>("a", ());
    batch.request::<i64>("b", ());
    let error = batch.send().await.unwrap_err();
    assert!(
        matches!(&error, ClientError::InvalidConfig(m) if m.contains("twice")),
        "{error}"
    );
}

#[tokio::test]
async fn connections_are_kept_alive_and_reused() {
    let server = Scripted::start(|seen| seen.respond(r#""result":"pong""#)).await;
    let client = Client::new(&server.url()).unwrap();
    for _ in 0..5 {
        client.request::<String>("ping", ()).await.unwrap();
    }
    client.notify("ping", ()).await.unwrap();
    let mut batch = client.batch();
    batch.notify("ping", ());
    batch.send().await.unwrap();
    assert_eq!(server.seen().len(), 7);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn http2_with_prior_knowledge() {
    let server = Scripted::start_http2(|seen| seen.respond(r#""result":"pong""#)).await;
    let client = Client::builder(server.url())
        .http2_prior_knowledge()
        .build()
        .unwrap();
    // Concurrent calls share one HTTP/2 connection.
    let calls = (0..8).map(|_| client.request::<String>("ping", ()));
    for result in join_all(calls).await {
        assert_eq!(result.unwrap(), "pong");
    }
    assert!(server
        .seen()
        .iter()
        .all(|s| s.version == hyper::Version::HTTP_2));
    assert_eq!(server.connections(), 1);
    // An HTTP/1.1 client cannot talk to an HTTP/2-only server: a transport error, no panic.
    let http1 = Client::builder(server.url())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let error = http1.request::<String>("ping", ()).await.unwrap_err();
    assert!(matches!(error, ClientError::Transport { .. }), "{error}");
}

#[tokio::test]
async fn http2_against_the_own_server() {
    let (server, _) = own_server().await;
    let client = Client::builder(format!("http://{}/", server.addr))
        .http2_prior_knowledge()
        .build()
        .unwrap();
    assert_eq!(
        client.request::<i64>("subtract", (42, 23)).await.unwrap(),
        19
    );
    let mut batch = client.batch();
    let pong = batch.request::<String>("ping", ());
    assert_eq!(batch.send().await.unwrap().get(&pong).unwrap(), "pong");
}

#[tokio::test]
async fn custom_headers_are_sent_with_every_request() {
    let server = Scripted::start(|seen| seen.respond(r#""result":null"#)).await;
    let client = Client::builder(server.url())
        .bearer_auth("s3cret")
        .header("X-Api-Key", "key-1")
        .header("Accept", "application/json, text/plain")
        .build()
        .unwrap();
    client.request::<()>("a", ()).await.unwrap();
    client.notify("b", ()).await.unwrap();
    let mut batch = client.batch();
    batch.notify("c", ());
    batch.send().await.unwrap();
    for seen in server.seen() {
        assert_eq!(seen.headers["authorization"], "Bearer s3cret");
        assert_eq!(seen.headers["x-api-key"], "key-1");
        assert_eq!(seen.headers["accept"], "application/json, text/plain");
        assert_eq!(seen.headers["content-type"], "application/json");
    }
}

#[tokio::test]
async fn a_client_wide_timeout_and_a_per_request_one() {
    let (_server, client) = own_server().await;
    let client = client.with_timeout(Duration::from_millis(300));
    assert_eq!(client.timeout(), Duration::from_millis(300));
    let started = Instant::now();
    let error = client.request::<u64>("sleep", [3_000]).await.unwrap_err();
    assert!(
        matches!(error, ClientError::TimedOut(d) if d == Duration::from_millis(300)),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // A longer timeout for one call; the client keeps its own.
    let patient = client.with_timeout(Duration::from_secs(10));
    assert_eq!(patient.request::<u64>("sleep", [500]).await.unwrap(), 500);
    assert!(matches!(
        client.request::<u64>("sleep", [1_000]).await,
        Err(ClientError::TimedOut(_))
    ));
    // The builder sets the default.
    let built = Client::builder("http://127.0.0.1:1/")
        .timeout(Duration::from_millis(5))
        .build()
        .unwrap();
    assert_eq!(built.timeout(), Duration::from_millis(5));
    assert_eq!(
        Client::new("http://127.0.0.1:1/").unwrap().timeout(),
        jsonrpc_runtime::client::DEFAULT_TIMEOUT
    );
}

#[tokio::test]
async fn concurrent_requests_get_their_own_results() {
    let (_server, client) = own_server().await;
    let calls = (0..50).map(|i| client.request::<i64>("subtract", (i, 1)));
    let results = join_all(calls).await;
    for (i, result) in results.into_iter().enumerate() {
        assert_eq!(result.unwrap(), i as i64 - 1);
    }
}

#[tokio::test]
async fn requests_and_responses_are_logged_at_debug_level() {
    let (_server, client) = own_server().await;
    let lines = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer = {
        let lines = Arc::clone(&lines);
        move || CaptureWriter(Arc::clone(&lines))
    };
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .without_time()
        .with_level(false)
        .with_target(false)
        .with_ansi(false)
        .with_writer(writer)
        .finish();
    {
        let _guard = tracing::subscriber::set_default(subscriber);
        client.request::<String>("ping", ()).await.unwrap();
        client.notify("note", [3]).await.unwrap();
        client.request::<f64>("divide", (1, 0)).await.unwrap_err();
    }
    let output = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = output.lines().filter(|l| l.contains("--")).collect();
    assert_eq!(
        lines,
        [
            r#"--> {"jsonrpc":"2.0","method":"ping","id":1}"#,
            r#"<-- {"jsonrpc":"2.0","result":"pong","id":1} (200 OK)"#,
            r#"--> {"jsonrpc":"2.0","method":"note","params":[3]}"#,
            "<-- (204 No Content)",
            r#"--> {"jsonrpc":"2.0","method":"divide","params":[1,0],"id":2}"#,
            r#"<-- {"jsonrpc":"2.0","error":{"code":-32001,"message":"division by zero"},"id":2} (200 OK)"#,
        ],
        "{output}"
    );
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
