//! `#[method(blocking)]`: a plain `fn` that blocks runs on tokio's blocking pool, so a server on
//! a current-thread runtime keeps answering other calls meanwhile.

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jsonrpc_runtime::{method, Error, Headers, Methods, RequestId, Server, State};
use serde_json::json;
use support::{call, post, post_with, within, Running};

/// How long the blocking methods block: long enough to tell apart from a prompt answer.
const BLOCK_MS: u64 = 400;

/// Set when a call of `crunch` for [`BLOCK_MS`] starts.
static CRUNCH_STARTED: AtomicBool = AtomicBool::new(false);
/// Set when a call of `crunch_inline` for [`BLOCK_MS`] starts.
static INLINE_STARTED: AtomicBool = AtomicBool::new(false);

#[method(blocking)]
fn crunch(ms: u64) -> u64 {
    if ms == BLOCK_MS {
        CRUNCH_STARTED.store(true, Ordering::SeqCst);
    }
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

/// The same work without `blocking`: it stalls the runtime it runs on.
#[method]
fn crunch_inline(ms: u64) -> u64 {
    if ms == BLOCK_MS {
        INLINE_STARTED.store(true, Ordering::SeqCst);
    }
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

#[method]
async fn ping() -> &'static str {
    "pong"
}

#[method(blocking)]
fn explode() -> u64 {
    panic!("blocking boom")
}

#[method(blocking)]
fn fallible(fail: bool) -> Result<&'static str, Error> {
    if fail {
        Err(Error::new(-32010, "refused"))
    } else {
        Ok("fine")
    }
}

#[derive(Default)]
struct Jobs(AtomicU64);

/// State, context and params together on the blocking pool.
#[method(blocking)]
fn job(jobs: State<Jobs>, id: RequestId, headers: Headers, name: String) -> serde_json::Value {
    let number = jobs.0.fetch_add(1, Ordering::SeqCst) + 1;
    let thread = std::thread::current().name().unwrap_or("").to_owned();
    json!({
        "number": number,
        "name": name,
        "id": id.as_json(),
        "tenant": headers.0.get("x-tenant").and_then(|v| v.to_str().ok()),
        "thread": thread,
    })
}

fn builder() -> jsonrpc_runtime::ServerBuilder {
    Server::builder().state(Jobs::default())
}

/// What the clients saw while `method` ran: how long after it was sent the first `ping` sent
/// after it was answered, whether the `ping` was answered before `method` was, and `method`'s
/// result.
async fn ping_during(
    server: &Running,
    method: &str,
    started_flag: &AtomicBool,
) -> (Duration, bool, serde_json::Value) {
    let addr = server.addr;
    let body = call(method, &format!("[{BLOCK_MS}]"), "1");
    let started = Instant::now();
    let slow = tokio::spawn(async move { post(addr, "/", &body).await });
    // Wait for the slow call to start (on this thread, the inline one holds up this wait).
    within("the slow call to start", async {
        while !started_flag.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let reply = post(addr, "/", &call("ping", "[]", "2")).await;
    assert_eq!(reply.result(), "pong");
    let first_pong = started.elapsed();
    let pong_first = !slow.is_finished();
    let reply = slow.await.expect("the slow call completes");
    assert!(started.elapsed() >= Duration::from_millis(BLOCK_MS));
    (first_pong, pong_first, reply.result())
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocking_method_does_not_stall_other_calls() {
    let server = Running::server(builder()).await;
    let (first_pong, pong_first, result) = ping_during(&server, "crunch", &CRUNCH_STARTED).await;
    assert_eq!(result, BLOCK_MS);
    assert!(pong_first, "the ping waited for the blocking method");
    assert!(
        first_pong < Duration::from_millis(BLOCK_MS / 2),
        "the ping was answered {first_pong:?} after the blocking method started"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn without_blocking_the_same_method_stalls_other_calls() {
    // The control for the test above: the ping is held up by the inline sleep.
    let server = Running::server(builder()).await;
    let (first_pong, _, result) = ping_during(&server, "crunch_inline", &INLINE_STARTED).await;
    assert_eq!(result, BLOCK_MS);
    assert!(
        first_pong >= Duration::from_millis(BLOCK_MS),
        "the ping was answered {first_pong:?} after the inline method started"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_calls_of_a_batch_run_side_by_side() {
    let server = Running::server(builder()).await;
    let batch = format!(
        "[{},{},{}]",
        call("crunch", "[300]", "1"),
        call("crunch", "[300]", "2"),
        call("ping", "[]", "3")
    );
    let started = Instant::now();
    let reply = post(server.addr, "/", &batch).await;
    let elapsed = started.elapsed();
    assert_eq!(
        reply.json(),
        json!([
            {"jsonrpc": "2.0", "result": 300, "id": 1},
            {"jsonrpc": "2.0", "result": 300, "id": 2},
            {"jsonrpc": "2.0", "result": "pong", "id": 3},
        ])
    );
    assert!(elapsed < Duration::from_millis(550), "{elapsed:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_panic_in_a_blocking_method_is_an_internal_error_for_its_call_only() {
    let server = Running::server(builder()).await;
    let reply = post(server.addr, "/", &call("explode", "[]", "1")).await;
    assert_eq!(
        reply.body,
        r#"{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}"#
    );
    let batch = format!(
        "[{},{}]",
        call("explode", "[]", "2"),
        call("crunch", "[1]", "3")
    );
    let reply = post(server.addr, "/", &batch).await;
    assert_eq!(reply.json()[0]["error"]["code"], -32603);
    assert_eq!(reply.json()[1]["result"], 1);
    // The server is still up.
    let reply = post(server.addr, "/", &call("ping", "[]", "4")).await;
    assert_eq!(reply.result(), "pong");
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocking_method_takes_params_state_and_context() {
    let server = Running::server(builder()).await;
    let reply = post_with(
        server.addr,
        "/",
        &[("x-tenant", "acme")],
        &call("job", r#"{"name":"reindex"}"#, r#""j-1""#),
    )
    .await;
    let mut result = reply.result();
    // Off the test's own thread, which runs the current-thread runtime.
    let thread = result["thread"].take();
    assert_ne!(thread.as_str(), std::thread::current().name());
    assert_eq!(
        result,
        json!({
            "number": 1,
            "name": "reindex",
            "id": "\"j-1\"",
            "tenant": "acme",
            "thread": null,
        })
    );
    // Params are still checked before the method is sent to the pool.
    let reply = post(server.addr, "/", &call("job", "[]", "2")).await;
    assert_eq!(reply.error().0, -32602);
    let reply = post(server.addr, "/", &call("fallible", "[true]", "3")).await;
    assert_eq!(reply.error(), (-32010, "refused".to_owned()));
    let reply = post(server.addr, "/", &call("fallible", "[false]", "4")).await;
    assert_eq!(reply.result(), "fine");
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocking_method_runs_behind_middleware() {
    let seen = std::sync::Arc::new(AtomicU64::new(0));
    let counted = std::sync::Arc::clone(&seen);
    let methods =
        Methods::registered()
            .only(&["crunch"])
            .layer(jsonrpc_runtime::middleware::observe(
                move |_, output, elapsed| {
                    assert!(output.is_success());
                    assert!(elapsed >= Duration::from_millis(100));
                    counted.fetch_add(1, Ordering::SeqCst);
                },
            ));
    let server = Running::server(Server::builder().methods(methods)).await;
    let reply = post(server.addr, "/", &call("crunch", "[100]", "1")).await;
    assert_eq!(reply.result(), 100);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}
