//! The typed client beyond `call`: the result type found from the return type itself (aliases
//! of `Result`, a struct named `...Result`), calls by name, borrowed arguments, typed
//! notifications and typed batch entries, over HTTP (async and blocking) and WebSocket.
//!
//! What the client sends is checked on the wire (`client_support::Scripted` records every
//! body), what it receives against the project's own server.

mod client_support;
mod common;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use client_support::Scripted;
use common::TestServer;
use jsonrpc_runtime::client::{BlockingClient, Client, ClientError, WsClient};
use jsonrpc_runtime::{method, Dispatcher, Error, Methods, Params, RpcResult, Server, State};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

// --- The result type follows the return type, not its name. ---------------------------------

/// An alias of `Result`: the call receives the `u32`.
type Answer = Result<u32, Error>;

#[method]
fn answer(fail: bool) -> Answer {
    if fail {
        return Err(Error::new(-32042, "no answer"));
    }
    Ok(42)
}

/// An alias of `RpcResult` of an alias.
type Count = RpcResult<u64>;

#[method]
async fn tally(items: Vec<String>) -> Count {
    Ok(items.len() as u64)
}

/// A struct whose name ends in `Result`: a plain value, received whole.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SearchResult {
    hits: Vec<String>,
}

#[method]
fn search(query: String) -> SearchResult {
    SearchResult {
        hits: vec![format!("{query}-1"), format!("{query}-2")],
    }
}

/// A generic one too.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct PageResult<T> {
    items: Vec<T>,
    next: Option<u32>,
}

#[method]
fn page(from: u32) -> PageResult<u32> {
    PageResult {
        items: vec![from, from + 1],
        next: Some(from + 2),
    }
}

/// An error type that is itself `Deserialize`.
#[derive(Debug, Serialize, Deserialize)]
struct AppError(String);

impl From<AppError> for Error {
    fn from(error: AppError) -> Error {
        Error::new(-32099, error.0)
    }
}

/// Written `Result<T, E>`: settled by the signature, even though `Result<u8, AppError>` is
/// `Deserialize`.
#[method]
fn checked(value: u8) -> Result<u8, AppError> {
    if value == 0 {
        return Err(AppError("zero".to_owned()));
    }
    Ok(value)
}

/// The one case that needs the caller's help: an alias of a `Result` that is `Deserialize`.
type AppAnswer = Result<u8, AppError>;

#[method]
fn checked_alias(value: u8) -> AppAnswer {
    checked(value)
}

// --- Params: borrowed arguments, by name, notifications. ------------------------------------

#[method(name = "greet")]
fn greeting(name: String, tags: Vec<String>, greeting: Option<String>) -> String {
    format!(
        "{}, {name}! {}",
        greeting.as_deref().unwrap_or("Hello"),
        tags.join(",")
    )
}

#[method]
async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend - subtrahend
}

#[method]
fn sum(numbers: Params<Vec<i64>>) -> i64 {
    numbers.iter().sum()
}

/// A param named with a raw identifier goes by its plain name.
#[method]
fn kind(r#type: String) -> String {
    r#type
}

#[derive(Default)]
struct Counter(AtomicU64);

/// Notified, to count; `total` reads the count.
#[method]
fn bump(counter: State<Arc<Counter>>, by: u64) {
    counter.0.fetch_add(by, Ordering::SeqCst);
}

#[method]
fn total(counter: State<Arc<Counter>>) -> u64 {
    counter.0.load(Ordering::SeqCst)
}

fn methods() -> Methods {
    Methods::new()
        .with(answer::METHOD)
        .with(tally::METHOD)
        .with(search::METHOD)
        .with(page::METHOD)
        .with(checked::METHOD)
        .with(checked_alias::METHOD)
        .with(greeting::METHOD)
        .with(subtract::METHOD)
        .with(sum::METHOD)
        .with(kind::METHOD)
        .with(bump::METHOD)
        .with(total::METHOD)
}

async fn server(counter: Arc<Counter>) -> TestServer {
    TestServer::start(Server::builder().methods(methods()).state(counter)).await
}

/// A scripted server that answers with the real dispatcher and records every body.
async fn recording() -> Scripted {
    let dispatcher = Dispatcher::builder()
        .methods(methods())
        .state(Arc::new(Counter::default()))
        .build()
        .unwrap();
    Scripted::dispatching(dispatcher, |answer| answer).await
}

/// The body the client sent last, as JSON.
fn last_body(server: &Scripted) -> Value {
    server.seen().last().expect("a request").json()
}

/// Waits until `total` reads `expected` (notifications are not answered, so they may still be
/// running when the client is done).
async fn wait_for_total(client: &Client, expected: u64) {
    for _ in 0..200 {
        if total::call(client).await.unwrap() == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the total never reached {expected}");
}

#[tokio::test]
async fn results_follow_the_return_type() {
    let server = server(Arc::default()).await;
    let client = Client::new(&format!("http://{}/", server.addr)).unwrap();

    // No annotation needed: the type itself says what is received.
    assert_eq!(answer::call(&client, false).await.unwrap(), 42);
    let error = answer::call(&client, true).await.unwrap_err();
    assert_eq!(error.rpc().map(Error::code), Some(-32042));
    assert_eq!(
        tally::call(&client, vec!["a".to_owned(), "b".to_owned()])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        search::call(&client, "q").await.unwrap(),
        SearchResult {
            hits: vec!["q-1".to_owned(), "q-2".to_owned()]
        }
    );
    assert_eq!(
        page::call(&client, 7).await.unwrap(),
        PageResult {
            items: vec![7, 8],
            next: Some(9)
        }
    );
    assert_eq!(checked::call(&client, 3).await.unwrap(), 3);
    let error = checked::call(&client, 0).await.unwrap_err();
    assert_eq!(error.rpc().map(Error::message), Some("zero"));
    // The alias of a `Deserialize` result: the caller names the type it wants.
    let value: u8 = checked_alias::call(&client, 5).await.unwrap();
    assert_eq!(value, 5);
    let zero: Result<u8, ClientError> = checked_alias::call(&client, 0).await;
    assert_eq!(zero.unwrap_err().rpc().map(Error::code), Some(-32099));
}

#[tokio::test]
async fn borrowed_arguments_serialize_as_the_param_type() {
    let server = recording().await;
    let client = Client::new(&server.url()).unwrap();

    let name = String::from("Ada");
    let tags = vec!["admin".to_owned(), "ops".to_owned()];
    // `&String`, `&[String]`, `None`.
    assert_eq!(
        greeting::call(&client, &name, &tags[..], None)
            .await
            .unwrap(),
        "Hello, Ada! admin,ops"
    );
    assert_eq!(
        last_body(&server)["params"],
        json!(["Ada", ["admin", "ops"], null])
    );
    // `&str`, an array of `&str`, `Some(String)`.
    assert_eq!(
        greeting::call(&client, "Bo", ["x"], Some("Hi".to_owned()))
            .await
            .unwrap(),
        "Hi, Bo! x"
    );
    // `Cow<str>`, `&Vec<String>`, a `Vec` literal.
    let cow: Cow<'_, str> = Cow::Borrowed("Cy");
    greeting::call(&client, cow, &tags, Some("Yo".into()))
        .await
        .unwrap();
    greeting::call(&client, name.as_str(), vec![], None)
        .await
        .unwrap();
    // Integer literals take the param's type.
    assert_eq!(subtract::call(&client, 42, 23).await.unwrap(), 19);
    assert_eq!(sum::call(&client, [1, 2, 4]).await.unwrap(), 7);
    let numbers = [5_i64, 6];
    assert_eq!(sum::call(&client, &numbers[..]).await.unwrap(), 11);
    assert_eq!(last_body(&server)["params"], json!([5, 6]));

    // The future borrows only the client: the borrowed argument may be gone before it runs.
    let future = {
        let name = String::from("Di");
        greeting::call(&client, name.as_str(), vec![], None)
    };
    assert_eq!(future.await.unwrap(), "Hello, Di! ");
}

#[tokio::test]
async fn calls_by_name_send_an_object() {
    let server = recording().await;
    let client = Client::new(&server.url()).unwrap();

    assert_eq!(subtract::call_by_name(&client, 42, 23).await.unwrap(), 19);
    assert_eq!(
        last_body(&server)["params"],
        json!({ "minuend": 42, "subtrahend": 23 })
    );
    assert_eq!(
        greeting::call_by_name(&client, "Ada", ["a"], None)
            .await
            .unwrap(),
        "Hello, Ada! a"
    );
    assert_eq!(
        last_body(&server)["params"],
        json!({ "name": "Ada", "tags": ["a"], "greeting": null })
    );
    assert_eq!(kind::call_by_name(&client, "raw").await.unwrap(), "raw");
    assert_eq!(last_body(&server)["params"], json!({ "type": "raw" }));
    // No params: `params` is left out, by name as by position.
    let _ = total::call_by_name(&client).await.unwrap();
    assert_eq!(last_body(&server).get("params"), None);
    // The result type follows the return type here too.
    assert_eq!(answer::call_by_name(&client, false).await.unwrap(), 42);
}

#[tokio::test]
async fn typed_notifications_are_sent_without_an_id() {
    let recorded = recording().await;
    let client = Client::new(&recorded.url()).unwrap();
    bump::notify(&client, 2).await.unwrap();
    let body = last_body(&recorded);
    assert_eq!(body["method"], "bump");
    assert_eq!(body["params"], json!([2]));
    assert_eq!(body.get("id"), None);

    // Against the real server: the notification runs.
    let counter = Arc::new(Counter::default());
    let server = server(Arc::clone(&counter)).await;
    let client = Client::new(&format!("http://{}/", server.addr)).unwrap();
    bump::notify(&client, 3).await.unwrap();
    // `notify` exists for a method with a result too; the result is dropped by the server.
    subtract::notify(&client, 1, 2).await.unwrap();
    wait_for_total(&client, 3).await;
}

#[tokio::test]
async fn typed_batch_entries_read_their_own_results() {
    let counter = Arc::new(Counter::default());
    let server = server(Arc::clone(&counter)).await;
    let client = Client::new(&format!("http://{}/", server.addr)).unwrap();

    let mut batch = client.batch();
    let difference = subtract::batch(&mut batch, 42, 23);
    let greeting = greeting::batch(&mut batch, "Ada", ["x"], None);
    let answer = answer::batch(&mut batch, false);
    let failed = answer::batch(&mut batch, true);
    let searched = search::batch(&mut batch, "q");
    batch.notify("bump", [1]);
    let answers = batch.send().await.unwrap();
    assert_eq!(answers.get(&difference).unwrap(), 19);
    assert_eq!(answers.get(&greeting).unwrap(), "Hello, Ada! x");
    let answered: u32 = answers.get(&answer).unwrap();
    assert_eq!(answered, 42);
    assert_eq!(
        answers.get(&failed).unwrap_err().rpc().map(Error::code),
        Some(-32042)
    );
    assert_eq!(answers.get(&searched).unwrap().hits.len(), 2);
    wait_for_total(&client, 1).await;
}

#[tokio::test]
async fn typed_calls_over_a_websocket() {
    let counter = Arc::new(Counter::default());
    let server = server(Arc::clone(&counter)).await;
    let client = WsClient::connect(&format!("ws://{}/", server.addr))
        .await
        .unwrap();
    assert_eq!(subtract::call_by_name(&client, 1, 2).await.unwrap(), -1);
    assert_eq!(answer::call(&client, false).await.unwrap(), 42);
    bump::notify(&client, 5).await.unwrap();
    let mut batch = client.batch();
    let difference = subtract::batch(&mut batch, 10, 4);
    let answers = batch.send().await.unwrap();
    assert_eq!(answers.get(&difference).unwrap(), 6);
    // Over one connection, in order: the notification has run before `total` answers.
    assert_eq!(total::call(&client).await.unwrap(), 5);
}

#[test]
fn blocking_typed_calls_notifications_and_batches() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let counter = Arc::new(Counter::default());
    let server = runtime.block_on(server(Arc::clone(&counter)));
    let client = BlockingClient::new(&format!("http://{}/", server.addr)).unwrap();

    assert_eq!(
        subtract::call_by_name_blocking(&client, 42, 23).unwrap(),
        19
    );
    assert_eq!(answer::call_blocking(&client, false).unwrap(), 42);
    assert_eq!(
        greeting::call_by_name_blocking(&client, "Ada", vec![], None).unwrap(),
        "Hello, Ada! "
    );
    bump::notify_blocking(&client, 4).unwrap();
    let mut batch = client.batch();
    let sum = sum::batch(&mut batch, vec![1, 2]);
    let page = page::batch(&mut batch, 1);
    let answers = batch.send().unwrap();
    assert_eq!(answers.get(&sum).unwrap(), 3);
    assert_eq!(answers.get(&page).unwrap().next, Some(3));
    for _ in 0..200 {
        if counter.0.load(Ordering::SeqCst) == 4 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(counter.0.load(Ordering::SeqCst), 4);
    drop(server);
}
