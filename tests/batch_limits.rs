//! A batch against the response size limit, in-process and over HTTP: its answers are counted
//! as they complete, it stops at the limit (calls not started are never run, running ones are
//! cancelled), every request with an id still gets an answer with its id, and its memory stays
//! bounded. A batch under the limit is answered as it always was.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestServer;
use jsonrpc_runtime::{method, Dispatcher, Server, State, DEFAULT_MAX_RESPONSE_SIZE};
use serde_json::{json, Value};

/// Counts the bytes allocated, and the most allocated at once, to check a batch's memory.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is handed to the system allocator unchanged; the counters are only read.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What the methods did, for one dispatcher or server.
#[derive(Default)]
struct Counters {
    /// Calls of `counted`, and of `big` and `big_later`.
    counted: AtomicUsize,
    big: AtomicUsize,
    /// `slow` calls whose future was dropped before it finished, and those that finished.
    dropped: AtomicUsize,
    finished: AtomicUsize,
}

type Shared = State<Arc<Counters>>;

#[method]
fn ping() -> &'static str {
    "pong"
}

/// A string of `n` bytes.
#[method]
fn big(n: usize, counters: Shared) -> String {
    counters.big.fetch_add(1, Ordering::SeqCst);
    "x".repeat(n)
}

/// Like `big`, once the call has been suspended: it answers from the set of running calls.
#[method]
async fn big_later(n: usize, counters: Shared) -> String {
    counters.big.fetch_add(1, Ordering::SeqCst);
    tokio::task::yield_now().await;
    "x".repeat(n)
}

#[method]
fn counted(counters: Shared) -> &'static str {
    counters.counted.fetch_add(1, Ordering::SeqCst);
    "counted"
}

/// Marks a `slow` call dropped unless it finished.
struct DropGuard {
    counters: Arc<Counters>,
    finished: bool,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.counters.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Sleeps a minute: a batch that waited for it would be far too late.
#[method]
async fn slow(counters: Shared) -> &'static str {
    let mut guard = DropGuard {
        counters: Arc::clone(&counters),
        finished: false,
    };
    tokio::time::sleep(Duration::from_secs(60)).await;
    guard.finished = true;
    counters.finished.fetch_add(1, Ordering::SeqCst);
    "slept"
}

/// A request object; a notification when `id` is `None`.
fn request(method: &str, params: &str, id: Option<&str>) -> String {
    let params = if params.is_empty() {
        String::new()
    } else {
        format!(r#","params":{params}"#)
    };
    match id {
        Some(id) => format!(r#"{{"jsonrpc":"2.0","method":"{method}"{params},"id":{id}}}"#),
        None => format!(r#"{{"jsonrpc":"2.0","method":"{method}"{params}}}"#),
    }
}

/// A batch of these request objects.
fn batch(requests: &[String]) -> String {
    format!("[{}]", requests.join(","))
}

/// Where a test sends its bodies: a dispatcher, or a real HTTP server around one.
enum Target {
    InProcess(Dispatcher),
    Http(TestServer),
}

impl Target {
    /// A target with this response size limit (and these concurrent calls), whose methods
    /// count into the returned counters.
    async fn start(http: bool, max_size: usize, max_calls: usize) -> (Target, Arc<Counters>) {
        let counters = Arc::new(Counters::default());
        let target = if http {
            let builder = Server::builder()
                .state(Arc::clone(&counters))
                .max_response_size(max_size)
                .max_concurrent_calls(max_calls);
            Target::Http(TestServer::start(builder).await)
        } else {
            let dispatcher = Dispatcher::builder()
                .state(Arc::clone(&counters))
                .max_response_size(max_size)
                .max_concurrent_calls(max_calls)
                .build()
                .unwrap();
            Target::InProcess(dispatcher)
        };
        (target, counters)
    }

    /// The response body to `body`, as text; empty when nothing is sent back.
    async fn send(&self, body: &str) -> String {
        match self {
            Target::InProcess(dispatcher) => dispatcher
                .dispatch(body.as_bytes())
                .await
                .map(|bytes| String::from_utf8(bytes).unwrap())
                .unwrap_or_default(),
            Target::Http(server) => {
                let response = server.post(body).await;
                assert!(matches!(response.status, 200 | 204), "{response:?}");
                response.text().to_owned()
            }
        }
    }
}

/// The answer to one request on its own, as text.
async fn alone(target: &Target, request: &str) -> String {
    let answer = target.send(request).await;
    assert!(answer.starts_with('{'), "{answer}");
    answer
}

/// The short error of a batch stopped at `max_size`, for the request with this id.
fn stopped(max_size: usize, id: Value) -> Value {
    json!({
        "jsonrpc": "2.0",
        "error": {
            "code": -32603,
            "message": "Internal error",
            "data": format!("the batch's response grew past the limit of {max_size} bytes"),
        },
        "id": id,
    })
}

fn array(text: &str) -> Vec<Value> {
    match serde_json::from_str(text) {
        Ok(Value::Array(members)) => members,
        other => panic!("not an array: {other:?} in {text}"),
    }
}

// (a) The answers before the crossing are intact; the rest are -32603 with their own ids.

async fn answers_past_the_limit_are_short_errors_with_their_ids(http: bool) {
    let ping = |id: &str| request("ping", "", Some(id));
    let big = request("big", "[100]", Some("2"));
    let notification = request("counted", "", None);
    // Find the sizes first, with no limit to speak of.
    let (target, _) = Target::start(http, DEFAULT_MAX_RESPONSE_SIZE, 64).await;
    let ping_answer = alone(&target, &ping("1")).await;
    let big_answer = alone(&target, &big).await;
    // Room for `[ping,big]` and not one byte more: the next answer crosses the limit.
    let max_size = 1 + ping_answer.len() + 1 + big_answer.len() + 1;

    let (target, counters) = Target::start(http, max_size, 64).await;
    let body = batch(&[
        ping("1"),
        notification.clone(),
        big.clone(),
        notification.clone(),
        ping("3"),
        ping(r#""four""#),
        notification.clone(),
        "1".to_owned(),
        request("big", "[10]", Some("5")),
        ping("null"),
    ]);
    let response = target.send(&body).await;
    // The answers in are kept byte for byte.
    assert!(
        response.starts_with(&format!("[{ping_answer},{big_answer},")),
        "{response}"
    );
    let members = array(&response);
    assert_eq!(members.len(), 7, "{response}");
    assert_eq!(members[2], stopped(max_size, json!(3)));
    assert_eq!(members[3], stopped(max_size, json!("four")));
    assert_eq!(members[4]["error"]["code"], -32600, "{response}");
    assert_eq!(members[4]["id"], Value::Null);
    assert_eq!(members[5], stopped(max_size, json!(5)));
    assert_eq!(members[6], stopped(max_size, Value::Null));
    // The notifications before the crossing ran; the one after it did not.
    assert_eq!(counters.counted.load(Ordering::SeqCst), 2);
    assert_eq!(counters.big.load(Ordering::SeqCst), 1);
    // The response is larger than the limit by its short errors only.
    let tail: usize = members[2..]
        .iter()
        .map(|member| member.to_string().len() + 1)
        .sum();
    assert!(response.len() <= max_size + tail, "{response}");
}

#[tokio::test]
async fn in_process_answers_past_the_limit_are_short_errors_with_their_ids() {
    answers_past_the_limit_are_short_errors_with_their_ids(false).await;
}

#[tokio::test]
async fn http_answers_past_the_limit_are_short_errors_with_their_ids() {
    answers_past_the_limit_are_short_errors_with_their_ids(true).await;
}

// (b) Calls not started when the limit is crossed never run; a running call is cancelled.

async fn the_limit_stops_the_batch_and_cancels_running_calls(http: bool) {
    let (target, _) = Target::start(http, DEFAULT_MAX_RESPONSE_SIZE, 64).await;
    let big_answer = alone(&target, &request("big", "[100]", Some("1"))).await;
    // Room for two answers of `big`: the third crosses the limit.
    let max_size = 1 + 2 * (big_answer.len() + 1);

    let (target, counters) = Target::start(http, max_size, 64).await;
    let mut requests = vec![request("slow", "", Some("0"))];
    requests.extend((1..=3).map(|id| request("big", "[100]", Some(&id.to_string()))));
    requests.extend((4..=20).map(|id| request("counted", "", Some(&id.to_string()))));
    requests.push(request("counted", "", None));
    let started = Instant::now();
    let response = target.send(&batch(&requests)).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    let members = array(&response);
    assert_eq!(members.len(), 21, "{response}");
    assert_eq!(members[0], stopped(max_size, json!(0)));
    assert_eq!(members[1]["result"].as_str().unwrap().len(), 100);
    assert_eq!(members[2]["result"].as_str().unwrap().len(), 100);
    for (id, member) in (3..=20).zip(&members[3..]) {
        assert_eq!(*member, stopped(max_size, json!(id)));
    }
    assert_eq!(counters.big.load(Ordering::SeqCst), 3);
    assert_eq!(counters.counted.load(Ordering::SeqCst), 0, "never started");
    // The slow call's future was dropped by the time the answer was sent.
    assert_eq!(counters.dropped.load(Ordering::SeqCst), 1);
    assert_eq!(counters.finished.load(Ordering::SeqCst), 0);

    // The same when the crossing answer comes from a running call, while the batch waits for
    // a free slot: one call at a time, each suspended once.
    let (target, counters) = Target::start(http, max_size, 1).await;
    let mut requests: Vec<String> = (1..=6)
        .map(|id| request("big_later", "[100]", Some(&id.to_string())))
        .collect();
    requests.push(request("counted", "", Some("7")));
    let response = target.send(&batch(&requests)).await;
    let members = array(&response);
    assert_eq!(members.len(), 7, "{response}");
    assert!(
        members[..2].iter().all(|m| m["result"].is_string()),
        "{response}"
    );
    for (id, member) in (3..=7).zip(&members[2..]) {
        assert_eq!(*member, stopped(max_size, json!(id)));
    }
    assert_eq!(
        counters.big.load(Ordering::SeqCst),
        3,
        "calls 4 to 6 never ran"
    );
    assert_eq!(counters.counted.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn in_process_the_limit_stops_the_batch_and_cancels_running_calls() {
    the_limit_stops_the_batch_and_cancels_running_calls(false).await;
}

#[tokio::test]
async fn http_the_limit_stops_the_batch_and_cancels_running_calls() {
    the_limit_stops_the_batch_and_cancels_running_calls(true).await;
}

// (c) Many big answers: the response stays within the limit and its short errors, quickly.

/// 9,999 calls of about 100 KiB each, and a minute-long call among the first (which holds
/// back none of them: it takes one of the `max_concurrent_calls` places), against the default
/// limit:
/// the time the answer took, and the most bytes allocated at once meanwhile (in the whole
/// process: over HTTP, the server's and the client's).
async fn many_big_answers_stay_bounded(http: bool) -> (Duration, usize) {
    const CALLS: usize = 9_999;
    const EACH: usize = 100 * 1024;
    let max_size = DEFAULT_MAX_RESPONSE_SIZE;
    let (target, counters) = Target::start(http, max_size, 64).await;
    const SLOW: usize = 50;
    let params = format!("[{EACH}]");
    let mut requests: Vec<String> = (0..CALLS)
        .map(|id| request("big", &params, Some(&id.to_string())))
        .collect();
    requests.insert(SLOW, request("slow", "", Some("\"slow\"")));
    let body = batch(&requests);

    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let started = Instant::now();
    let response = target.send(&body).await;
    let elapsed = started.elapsed();
    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(before);

    let mut members = array(&response);
    assert_eq!(members.len(), CALLS + 1);
    assert_eq!(members.remove(SLOW), stopped(max_size, json!("slow")));
    let kept = members.iter().filter(|m| m["result"].is_string()).count();
    assert!(kept > SLOW, "{kept} answers kept");
    for (id, member) in members.iter().enumerate() {
        if id < kept {
            assert_eq!(member["result"].as_str().map(str::len), Some(EACH));
        } else {
            assert_eq!(*member, stopped(max_size, json!(id)));
        }
    }
    // The answers kept fit, and one more would not have: the limit is used, not undercut.
    let answer_size =
        |id: usize| format!(r#"{{"jsonrpc":"2.0","result":"","id":{id}}}"#).len() + EACH;
    let kept_size: usize = (0..kept).map(|id| answer_size(id) + 1).sum::<usize>() + 1;
    assert!(kept_size <= max_size);
    assert!(kept_size + answer_size(kept) + 1 > max_size);
    // What is past the limit is the short errors, each once.
    let tail: usize = members[kept..]
        .iter()
        .map(|m| m.to_string().len() + 1)
        .sum::<usize>()
        + stopped(max_size, json!("slow")).to_string().len()
        + 1;
    assert_eq!(response.len(), kept_size + tail);
    // The kept answers and the one that crossed ran; no other.
    assert_eq!(counters.big.load(Ordering::SeqCst), kept + 1);
    assert_eq!(counters.dropped.load(Ordering::SeqCst), 1);
    (elapsed, peak)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_big_answers_stay_within_the_limit_and_its_short_errors() {
    // Holding every answer would take about 1 GB; the limit is 10 MiB, the response about
    // 11.4 MB, and over HTTP the client holds a copy.
    for http in [false, true] {
        let (elapsed, peak) = many_big_answers_stay_bounded(http).await;
        assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
        assert!(peak < 80 << 20, "{peak} bytes allocated at once");
        eprintln!("http: {http}: {elapsed:?}, at most {peak} bytes allocated at once");
    }
}

// (d) A batch under the limit is byte for byte the array of its answers, in order.

async fn a_batch_under_the_limit_is_unchanged(http: bool) {
    let requests = [
        request("ping", "", Some("1")),
        request("ping", "", None),
        request("nope", "", Some(r#""x""#)),
        request("big_later", "[3]", Some("2")),
        request("big", "{}", Some("3")),
        "1".to_owned(),
        request("big", "[5]", Some("9007199254740993")),
    ];
    let body = batch(&requests);
    let (target, _) = Target::start(http, DEFAULT_MAX_RESPONSE_SIZE, 64).await;
    let mut answers = Vec::new();
    for request in &requests {
        let answer = target.send(request).await;
        if !answer.is_empty() {
            answers.push(answer);
        }
    }
    let expected = format!("[{}]", answers.join(","));
    assert_eq!(target.send(&body).await, expected);
    assert!(expected.starts_with(r#"[{"jsonrpc":"2.0","result":"pong","id":1},"#));
    assert!(expected.ends_with(r#"{"jsonrpc":"2.0","result":"xxxxx","id":9007199254740993}]"#));

    // A limit of exactly its size changes nothing. One byte less stops it at the answer that
    // completes last, `big_later`'s (the others complete as they start); the others are kept.
    let (target, _) = Target::start(http, expected.len(), 64).await;
    assert_eq!(target.send(&body).await, expected);
    let (target, _) = Target::start(http, expected.len() - 1, 64).await;
    let mut response = array(&target.send(&body).await);
    assert_eq!(response[2], stopped(expected.len() - 1, json!(2)));
    let mut expected = array(&expected);
    assert_eq!(expected[2]["result"], "xxx");
    response.remove(2);
    expected.remove(2);
    assert_eq!(response, expected);
    // A batch of notifications only is still answered with nothing.
    let (target, _) = Target::start(http, 1, 64).await;
    let notifications = batch(&[request("ping", "", None), request("ping", "", None)]);
    assert_eq!(target.send(&notifications).await, "");
}

#[tokio::test]
async fn in_process_a_batch_under_the_limit_is_unchanged() {
    a_batch_under_the_limit_is_unchanged(false).await;
}

#[tokio::test]
async fn http_a_batch_under_the_limit_is_unchanged() {
    a_batch_under_the_limit_is_unchanged(true).await;
}
