//! Where a running `async fn`'s future lives: a small one in place, in the dispatch's own
//! future (no allocation of its own), a large one boxed; either way, and in batches where
//! calls wait among others, every call is answered with its own result.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use jsonrpc_runtime::{method, Dispatcher};
use serde_json::{json, Value};

/// Counts the allocations made on this thread's behalf while `COUNTING` is set.
struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(|counting| counting.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// How many allocations answering `body` takes, once the dispatcher is warm.
fn allocations_for(dispatcher: &Dispatcher, body: &str) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // Warm: lazily built parts (the tracing callsites' interest, the runtime) are not counted.
    runtime.block_on(dispatcher.dispatch(body.as_bytes()));
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|counting| counting.set(true));
    let answer = runtime.block_on(dispatcher.dispatch(body.as_bytes()));
    COUNTING.with(|counting| counting.set(false));
    drop(answer);
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Answers at once, without a future.
#[method]
fn plain(n: u32) -> u32 {
    n
}

/// Awaits, so its future runs in the dispatch's slot.
#[method]
async fn awaiting(n: u32) -> u32 {
    std::future::ready(()).await;
    n
}

/// Keeps a kilobyte across an await: far more than the slot holds, so it is boxed.
#[method]
async fn large(n: u32) -> u32 {
    let kept = [n; 256];
    std::future::ready(()).await;
    kept[255]
}

/// Waits for the scheduler once, then answers: pending after its first poll.
#[method]
async fn yielding(n: u32) -> u32 {
    tokio::task::yield_now().await;
    n * 10
}

/// Panics after it has awaited, inside its slot.
#[method]
async fn panics_later() -> u32 {
    tokio::task::yield_now().await;
    panic!("after the await")
}

fn call(method: &str, params: Value, id: u32) -> String {
    json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}).to_string()
}

async fn answer(dispatcher: &Dispatcher, body: &str) -> Value {
    let bytes = dispatcher.dispatch(body.as_bytes()).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn an_awaiting_async_fn_allocates_no_more_than_a_plain_fn() {
    let dispatcher = Dispatcher::builder().build().unwrap();
    let plain = allocations_for(&dispatcher, &call("plain", json!([7]), 1));
    let awaiting = allocations_for(&dispatcher, &call("awaiting", json!([7]), 1));
    let large = allocations_for(&dispatcher, &call("large", json!([7]), 1));
    assert!(plain >= 1, "the response itself is allocated");
    assert_eq!(
        awaiting, plain,
        "a small future is kept in place, not boxed"
    );
    assert_eq!(
        large,
        plain + 1,
        "a future larger than the slot is boxed, once"
    );
}

#[test]
fn a_batch_of_awaiting_calls_allocates_no_more_than_a_batch_of_plain_calls() {
    let dispatcher = Dispatcher::builder().build().unwrap();
    let batch = |method: &str| {
        let calls: Vec<String> = (0..8).map(|id| call(method, json!([id]), id)).collect();
        format!("[{}]", calls.join(","))
    };
    let plain = allocations_for(&dispatcher, &batch("plain"));
    let awaiting = allocations_for(&dispatcher, &batch("awaiting"));
    // Each completes on its first poll, in the batch's one spare slot.
    assert_eq!(awaiting, plain);
}

#[tokio::test]
async fn small_and_large_futures_answer_alike() {
    let dispatcher = Dispatcher::builder().build().unwrap();
    for method in ["awaiting", "large", "yielding"] {
        let answered = answer(&dispatcher, &call(method, json!([4]), 9)).await;
        let expected = if method == "yielding" { 40 } else { 4 };
        assert_eq!(answered["result"], json!(expected), "{method}");
        assert_eq!(answered["id"], json!(9), "{method}");
    }
}

#[tokio::test]
async fn a_panic_after_an_await_is_an_internal_error_and_the_next_call_runs() {
    let dispatcher = Dispatcher::builder().build().unwrap();
    let answered = answer(&dispatcher, &call("panics_later", json!([]), 1)).await;
    assert_eq!(answered["error"]["code"], json!(-32603));
    let answered = answer(&dispatcher, &call("yielding", json!([2]), 2)).await;
    assert_eq!(answered["result"], json!(20));
}

#[tokio::test]
async fn a_batch_answers_each_call_from_its_own_future() {
    let dispatcher = Dispatcher::builder()
        .max_concurrent_calls(3)
        .build()
        .unwrap();
    // Calls that complete on their first poll (plain, awaiting) reuse the batch's spare slot;
    // the ones still pending (yielding, large) take it into the running set with them.
    let methods = [
        "yielding", "plain", "awaiting", "large", "yielding", "awaiting",
    ];
    let calls: Vec<String> = (0..30u32)
        .map(|id| call(methods[id as usize % methods.len()], json!([id]), id))
        .collect();
    let body = format!("[{}]", calls.join(","));
    let answered = answer(&dispatcher, &body).await;
    let answers = answered.as_array().unwrap();
    assert_eq!(answers.len(), 30);
    for (id, answer) in answers.iter().enumerate() {
        let id = id as u32;
        let expected = match methods[id as usize % methods.len()] {
            "yielding" => id * 10,
            _ => id,
        };
        assert_eq!(answer["id"], json!(id));
        assert_eq!(answer["result"], json!(expected), "call {id}");
    }
}
