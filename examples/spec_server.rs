//! A server exposing the methods of the JSON-RPC 2.0 specification's examples, plus a few that
//! exercise params, errors, panics, concurrency and state. The conformance suite
//! (`tests/conformance.rs`) drives it over HTTP.
//!
//! ```sh
//! cargo run --example spec_server               # 127.0.0.1:5000
//! cargo run --example spec_server 127.0.0.1:0   # an ephemeral port, printed on stdout
//! ```
//!
//! The same address serves WebSocket (`ws://127.0.0.1:5000/`), with the subscriptions
//! `subscribe_ticks` and `subscribe_events` (fed by `publish`). The first argument may also
//! name a stream transport, with `--framing lines|content-length` (default `lines`):
//!
//! ```sh
//! cargo run --example spec_server tcp://127.0.0.1:5001
//! cargo run --example spec_server unix:/tmp/spec.sock --framing content-length
//! cargo run --example spec_server stdio
//! ```
//!
//! Over a connection, `ask_client` and `tell_client` call the other side through `Peer`.
//!
//! For deployment tests: `--drain-delay MS`, `--drain-timeout MS` and `--health PATH` set the
//! shutdown drain and the health path (see the README's "Deploying").

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jsonrpc_runtime::openrpc::Info;
use jsonrpc_runtime::stream::Framing;
use jsonrpc_runtime::{method, subscription, Broadcast, Error, Params, Peer, Server, Sink, State};
use serde_json::{json, Value};

// The allocator study of `bench/hostile.sh`: the same server on another allocator, chosen at build
// time (`--features mimalloc` or `--features jemalloc`); without either, the system allocator.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// glibc keeps what a burst freed: after 10,000 connections have come and gone, the process
/// still holds about 200 MiB, free but scattered through its heaps, until `malloc_trim` hands
/// the free pages back (measured with `bench/hostile.sh`: 204 MiB down to 6 MiB). A thread
/// does that every two seconds; it takes each heap's lock only briefly, and never a runtime
/// worker. mimalloc and jemalloc (the features above) return memory on their own timers.
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    not(feature = "mimalloc"),
    not(feature = "jemalloc")
))]
fn return_freed_memory_periodically() {
    // A fixed threshold: glibc otherwise raises it (up to 32 MiB) each time a big block is
    // freed, and the next bodies and answers of a few MiB come from the heaps instead, where
    // they fragment.
    // SAFETY: mallopt has no preconditions; it changes a tuning parameter.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
    std::thread::spawn(|| loop {
        std::thread::sleep(Duration::from_secs(2));
        // SAFETY: malloc_trim has no preconditions; it only releases free memory.
        unsafe {
            libc::malloc_trim(0);
        }
    });
}

#[cfg(not(all(
    target_os = "linux",
    target_env = "gnu",
    not(feature = "mimalloc"),
    not(feature = "jemalloc")
)))]
fn return_freed_memory_periodically() {}

/// Answers "pong".
#[method]
fn ping() -> &'static str {
    "pong"
}

/// `minuend - subtrahend`.
#[method]
fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend.wrapping_sub(subtrahend)
}

/// The sum of any number of integers.
#[method]
fn sum(numbers: Params<Vec<i64>>) -> i64 {
    numbers.iter().fold(0i64, |total, n| total.wrapping_add(*n))
}

/// Takes five integers and returns nothing (the specification's notification example).
#[method]
#[allow(unused_variables)] // The names are the params' names in by-name calls.
fn update(a: i64, b: i64, c: i64, d: i64, e: i64) {}

/// Takes one integer and returns nothing.
#[method]
#[allow(unused_variables)]
fn notify_hello(x: i64) {}

/// The sum of any number of integers (called as a notification in the specification).
#[method]
fn notify_sum(numbers: Params<Vec<i64>>) -> i64 {
    numbers.iter().fold(0i64, |total, n| total.wrapping_add(*n))
}

/// `["hello", 5]`.
#[method]
fn get_data() -> Value {
    json!(["hello", 5])
}

/// Returns its param unchanged.
#[method]
fn echo(value: Value) -> Value {
    value
}

/// `"{greeting or Hello}, {name}!"`.
#[method]
fn greet(name: String, greeting: Option<String>) -> String {
    format!("{}, {name}!", greeting.as_deref().unwrap_or("Hello"))
}

/// `a / b`; dividing by zero is the application error -32001.
#[method(error(-32001, "division by zero"))]
fn divide(a: f64, b: f64) -> Result<f64, Error> {
    if b == 0.0 {
        return Err(Error::new(-32001, "division by zero").with_data(json!({ "dividend": a })));
    }
    let quotient = a / b;
    // JSON has no infinity: serde_json would write `null`, a wrong answer, not an error.
    if !quotient.is_finite() {
        return Err(Error::internal_error().with_data("the quotient is not a finite number"));
    }
    Ok(quotient)
}

/// Always panics: the server answers -32603 and keeps serving.
///
/// The error is declared, so that the OpenRPC document says what a call gets.
#[method(error(-32603, "Internal error"))]
fn fail() {
    panic!("`fail` always panics")
}

/// Sleeps `ms` milliseconds without blocking the server, then returns `ms`.
#[method]
async fn sleep(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

/// The shared counter behind `count`.
#[derive(Default)]
struct Counter(AtomicU64);

/// Increments the shared counter and returns its new value.
#[method]
fn count(counter: State<Counter>) -> u64 {
    counter.0.fetch_add(1, Ordering::SeqCst) + 1
}

/// Counts from 0 to `count - 1`, one item every `interval_ms`, then ends the subscription.
#[subscription(
    name = "subscribe_ticks",
    unsubscribe = "unsubscribe_ticks",
    notification = "ticks"
)]
async fn ticks(sink: Sink<u64>, count: u64, interval_ms: u64) -> Result<(), Error> {
    for n in 0..count {
        if n > 0 {
            tokio::time::sleep(Duration::from_millis(interval_ms)).await;
        }
        sink.send(n).await?;
    }
    Ok(())
}

/// Sends `0, 1, …, count - 1`, then ends the subscription with the error -32050.
#[subscription(
    name = "subscribe_failing",
    unsubscribe = "unsubscribe_failing",
    notification = "failing"
)]
async fn failing(sink: Sink<u64>, count: u64) -> Result<(), Error> {
    for n in 0..count {
        sink.send(n).await?;
    }
    Err(Error::new(-32050, "the feed broke"))
}

/// Every value passed to `publish` while subscribed.
#[subscription(
    name = "subscribe_events",
    unsubscribe = "unsubscribe_events",
    notification = "events"
)]
async fn events(sink: Sink<Value>, hub: State<Broadcast<Value>>) -> Result<(), Error> {
    hub.forward(sink).await
}

/// Sends `value` to every live `events` subscriber; returns how many there were.
#[method]
fn publish(value: Value, hub: State<Broadcast<Value>>) -> usize {
    hub.send(value)
}

/// Sends a request to the connection's other side and answers with its result; its error
/// becomes this call's error, with its code and message. Over HTTP there is no other side to
/// call: -32090.
#[method(error(-32090, "this call needs a WebSocket or stream connection"))]
async fn ask_client(method: String, params: Value, peer: Peer) -> Result<Value, Error> {
    Ok(peer.request(&method, params).await?)
}

/// Sends a notification to the connection's other side (-32090 over HTTP).
#[method(error(-32090, "this call needs a WebSocket or stream connection"))]
async fn tell_client(method: String, params: Value, peer: Peer) -> Result<(), Error> {
    Ok(peer.notify(&method, params).await?)
}

/// The server with its state and its OpenRPC document; the conformance tests include this file
/// to run the same server in-process.
pub fn builder() -> jsonrpc_runtime::ServerBuilder {
    Server::builder()
        .state(Counter::default())
        .state(Broadcast::<Value>::new(1024))
        .openrpc(Info::new("spec_server", env!("CARGO_PKG_VERSION")))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    return_freed_memory_periodically();
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:5000".to_owned();
    let mut framing = Framing::Lines;
    // `--drain-delay MS`, `--drain-timeout MS` and `--health PATH` set the shutdown's drain
    // (the shutdown tests keep it short).
    let mut drain_delay = None;
    let mut drain_timeout = None;
    let mut health = None;
    let millis = |value: Option<String>| {
        value
            .and_then(|value| value.parse().ok())
            .map(Duration::from_millis)
            .ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "expected milliseconds")
            })
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--framing" => {
                let value = args.next().unwrap_or_default();
                framing = value.parse().map_err(|error| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, error)
                })?;
            }
            "--drain-delay" => drain_delay = Some(millis(args.next())?),
            "--drain-timeout" => drain_timeout = Some(millis(args.next())?),
            "--health" => health = args.next(),
            _ => addr = arg,
        }
    }
    let builder = || {
        let mut builder = builder();
        if let Some(delay) = drain_delay {
            builder = builder.drain_delay(delay);
        }
        if let Some(timeout) = drain_timeout {
            builder = builder.drain_timeout(timeout);
        }
        if let Some(path) = &health {
            builder = builder.health(path.clone());
        }
        builder
    };
    if addr == "stdio" {
        // stdout carries the protocol: nothing else may be printed there.
        eprintln!("serving JSON-RPC on stdin and stdout ({framing:?} framing)");
        return builder().serve_stdio(framing).await;
    }
    if let Some(tcp) = addr.strip_prefix("tcp://") {
        let server = builder().bind_tcp(tcp, framing).await?;
        println!("listening on {}", server.local_addr());
        return server.run().await;
    }
    #[cfg(unix)]
    if let Some(path) = addr.strip_prefix("unix:") {
        let server = builder().bind_unix(path, framing).await?;
        println!("listening on {}", server.local_addr());
        return server.run().await;
    }
    let server = builder().bind(addr).await?;
    // Printed so that a test that asked for port 0 knows where to connect. WebSocket clients
    // connect to the same address: ws://ADDR/.
    println!("listening on http://{}/", server.local_addr());
    server.run().await
}
