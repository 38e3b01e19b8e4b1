//! The blocking client: the same calls as the async one, from plain (non-async) code, against
//! the project's own server running on a runtime of its own; and the error it gives instead of
//! blocking inside an async runtime.

mod client_support;
mod common;

use std::sync::Mutex;
use std::time::Duration;

use client_support::Scripted;
use common::TestServer;
use jsonrpc_runtime::client::{BlockingClient, ByName, Client, ClientError, StringIds};
use jsonrpc_runtime::{method, Error, Server, State};
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
async fn sleep(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[derive(Default)]
struct Notes(Mutex<Vec<i64>>);

#[method]
fn note(notes: State<Notes>, value: i64) {
    notes.0.lock().unwrap().push(value);
}

#[method]
fn notes(notes: State<Notes>) -> Vec<i64> {
    notes.0.lock().unwrap().clone()
}

/// The own server on a multi-threaded runtime of its own, so the test thread can block.
fn start_server() -> (tokio::runtime::Runtime, TestServer, String) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::start(Server::builder().state(Notes::default())));
    let url = format!("http://{}/", server.addr);
    (runtime, server, url)
}

#[test]
fn requests_with_params_by_position_by_name_and_none() {
    let (_runtime, _server, url) = start_server();
    let client = BlockingClient::new(&url).unwrap();
    let pong: String = client.request("ping", ()).unwrap();
    assert_eq!(pong, "pong");
    assert_eq!(client.request::<i64>("subtract", (42, 23)).unwrap(), 19);
    assert_eq!(client.request::<i64>("subtract", [23, 42]).unwrap(), -19);
    assert_eq!(
        client
            .request::<i64>("subtract", json!({ "subtrahend": 23, "minuend": 42 }))
            .unwrap(),
        19
    );
    #[derive(Serialize)]
    struct Subtract {
        minuend: i64,
        subtrahend: i64,
    }
    let by_name: i64 = client
        .request(
            "subtract",
            ByName(Subtract {
                minuend: 1,
                subtrahend: 2,
            }),
        )
        .unwrap();
    assert_eq!(by_name, -1);
}

#[test]
fn notifications_and_batches() {
    let (_runtime, _server, url) = start_server();
    let client = BlockingClient::new(&url).unwrap();
    client.notify("note", [5]).unwrap();
    let mut batch = client.batch();
    let difference = batch.request::<i64>("subtract", (42, 23));
    batch.notify("note", [6]);
    let missing = batch.request::<Value>("nope", ());
    let pong = batch.request::<String>("ping", ());
    assert_eq!(batch.len(), 4);
    assert!(!batch.is_empty());
    let answers = batch.send().unwrap();
    assert_eq!(answers.get(&difference).unwrap(), 19);
    assert_eq!(answers.get(&pong).unwrap(), "pong");
    assert_eq!(
        answers.get(&missing).unwrap_err().rpc().map(Error::code),
        Some(-32601)
    );
    assert_eq!(client.request::<Vec<i64>>("notes", ()).unwrap(), [5, 6]);
}

#[test]
fn errors_and_timeouts() {
    let (_runtime, _server, url) = start_server();
    let client = BlockingClient::builder(&url)
        .timeout(Duration::from_millis(700))
        .id_generator(StringIds::with_prefix("b-"))
        .build_blocking()
        .unwrap();
    assert_eq!(client.timeout(), Duration::from_millis(700));
    assert_eq!(
        client
            .request::<Value>("nope", ())
            .unwrap_err()
            .rpc()
            .map(Error::code),
        Some(-32601)
    );
    assert!(matches!(
        client.request::<u64>("sleep", [5_000]),
        Err(ClientError::TimedOut(_))
    ));
    let patient = client.with_timeout(Duration::from_secs(10));
    assert_eq!(patient.request::<u64>("sleep", [1_000]).unwrap(), 1_000);
    // The client still works after a timed-out call.
    assert_eq!(client.request::<String>("ping", ()).unwrap(), "pong");
}

#[test]
fn connections_are_reused_between_blocking_calls() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(Scripted::start(|seen| seen.respond(r#""result":"pong""#)));
    let client = BlockingClient::new(&server.url()).unwrap();
    for _ in 0..5 {
        assert_eq!(client.request::<String>("ping", ()).unwrap(), "pong");
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(client.request::<String>("ping", ()).unwrap(), "pong");
    assert_eq!(server.seen().len(), 6);
    assert_eq!(server.connections(), 1);
    drop(server);
}

#[test]
fn clones_share_the_client_and_work_from_other_threads() {
    let (_runtime, _server, url) = start_server();
    let client = BlockingClient::new(&url).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let client = client.clone();
            std::thread::spawn(move || client.request::<i64>("subtract", (i, 1)).unwrap())
        })
        .collect();
    let results: Vec<i64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results, [-1, 0, 1, 2]);
}

#[test]
fn inside_an_async_runtime_calls_are_an_error_not_a_panic() {
    let (_runtime, _server, url) = start_server();
    let client = BlockingClient::new(&url).unwrap();
    let inner = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    inner.block_on(async {
        assert!(matches!(
            client.request::<String>("ping", ()),
            Err(ClientError::InsideAsyncRuntime)
        ));
        assert!(matches!(
            client.notify("ping", ()),
            Err(ClientError::InsideAsyncRuntime)
        ));
        let mut batch = client.batch();
        batch.request::<String>("ping", ());
        assert!(matches!(batch.send(), Err(ClientError::InsideAsyncRuntime)));
        // The async client is the one to use there.
        let async_client = Client::new(&url).unwrap();
        assert_eq!(
            async_client.request::<String>("ping", ()).await.unwrap(),
            "pong"
        );
    });
    // Outside again, the same client works.
    assert_eq!(client.request::<String>("ping", ()).unwrap(), "pong");
    let error = ClientError::InsideAsyncRuntime.to_string();
    assert!(error.contains("use `Client`"), "{error}");
}

#[tokio::test]
async fn built_and_dropped_inside_an_async_runtime_without_a_panic() {
    let client = BlockingClient::new("http://127.0.0.1:1/").unwrap();
    assert!(matches!(
        client.request::<String>("ping", ()),
        Err(ClientError::InsideAsyncRuntime)
    ));
    let clone = client.clone();
    drop(client);
    drop(clone);
}
