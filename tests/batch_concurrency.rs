//! A batch keeps exactly its limit of calls running: a slow call holds back no call after it
//! while fewer than `max_concurrent_calls` are running, and no more than that ever run at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jsonrpc_runtime::{method, Dispatcher};
use serde_json::Value;
use tokio::sync::Notify;

/// Calls running now, and the most seen at once.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST_RUNNING: AtomicUsize = AtomicUsize::new(0);
/// `quick` calls finished, and a wake-up for `slow` at each.
static QUICK_DONE: AtomicUsize = AtomicUsize::new(0);
static QUICK_FINISHED: Notify = Notify::const_new();

/// Counts a call as running until it is dropped.
struct Running;

impl Running {
    fn enter() -> Running {
        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        MOST_RUNNING.fetch_max(now, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits, once, so that it runs beside the others, then finishes.
#[method]
async fn quick() -> bool {
    let _running = Running::enter();
    tokio::task::yield_now().await;
    QUICK_DONE.fetch_add(1, Ordering::SeqCst);
    QUICK_FINISHED.notify_waiters();
    true
}

/// Runs until `quick` has finished `count` times: `true`, or `false` after 10 s without.
#[method]
async fn slow(count: usize) -> bool {
    let _running = Running::enter();
    let all_done = async {
        loop {
            let finished = QUICK_FINISHED.notified();
            if QUICK_DONE.load(Ordering::SeqCst) >= count {
                return;
            }
            finished.await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), all_done)
        .await
        .is_ok()
}

#[tokio::test]
async fn a_slow_call_holds_back_no_call_while_there_is_room_beside_it() {
    const QUICK: usize = 20;
    let dispatcher = Dispatcher::builder()
        .max_concurrent_calls(3)
        .build()
        .unwrap();
    let mut calls = vec![format!(
        r#"{{"jsonrpc":"2.0","method":"slow","params":[{QUICK}],"id":"slow"}}"#
    )];
    calls.extend((0..QUICK).map(|id| format!(r#"{{"jsonrpc":"2.0","method":"quick","id":{id}}}"#)));
    let body = format!("[{}]", calls.join(","));

    let answer = dispatcher.dispatch(body.as_bytes()).await.unwrap();
    let answers: Vec<Value> = serde_json::from_slice(&answer).unwrap();

    assert_eq!(answers.len(), QUICK + 1);
    // Every quick call ran while the slow one waited for them.
    assert_eq!(answers[0]["result"], true, "{}", answers[0]);
    assert!(answers[1..].iter().all(|answer| answer["result"] == true));
    assert_eq!(QUICK_DONE.load(Ordering::SeqCst), QUICK);
    // The limit was used, and never passed.
    assert_eq!(MOST_RUNNING.load(Ordering::SeqCst), 3);
}
