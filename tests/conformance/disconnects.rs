//! Clients that go away: one that disconnects in the middle of its body, or before its response
//! is ready, disturbs no other client's request running at the same time.

use std::time::{Duration, Instant};

use crate::harness::{assert_json_response, target};

const SLEEP: &str = r#"{"jsonrpc":"2.0","method":"sleep","params":[300],"id":"survivor"}"#;
const SLEPT: &str = r#"{"jsonrpc":"2.0","result":300,"id":"survivor"}"#;

/// Sends a `sleep(300)` on a connection of its own, and returns a task that reads its exact
/// response. The request is on the wire before this returns, so it is running while the test
/// goes on.
async fn start_survivor() -> tokio::task::JoinHandle<(String, Duration)> {
    let started = Instant::now();
    let mut connection = target().connect().await;
    connection.send_post(SLEEP).await;
    tokio::spawn(async move {
        let response = connection.response().await;
        assert_json_response(&response, SLEEP.as_bytes());
        (response.text().to_owned(), started.elapsed())
    })
}

async fn assert_survived(survivor: tokio::task::JoinHandle<(String, Duration)>) {
    let (response, elapsed) = survivor.await.expect("the surviving client");
    assert_eq!(response, SLEPT);
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    target().assert_serves_ping().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_body() {
    let survivor = start_survivor().await;
    for _ in 0..20 {
        let mut quitter = target().connect().await;
        let head = target().head(
            "POST",
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", "100"),
            ],
        );
        quitter.send(format!("{head}{}", &SLEEP[..10])).await;
        drop(quitter);
    }
    // Chunked too: a chunk announced but never finished.
    let mut quitter = target().connect().await;
    quitter
        .send(target().head("POST", &[("Transfer-Encoding", "chunked")]))
        .await;
    quitter.send("40\r\n{\"jsonrpc\"").await;
    drop(quitter);
    assert_survived(survivor).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_before_its_response() {
    let survivor = start_survivor().await;
    for i in 0..20 {
        let mut quitter = target().connect().await;
        quitter
            .send_post(format!(
                r#"{{"jsonrpc":"2.0","method":"sleep","params":[300],"id":{i}}}"#
            ))
            .await;
        drop(quitter);
    }
    // And one whose batch is still running when it leaves.
    let mut quitter = target().connect().await;
    quitter
        .send_post(r#"[{"jsonrpc":"2.0","method":"sleep","params":[300],"id":1},{"jsonrpc":"2.0","method":"fail","id":2}]"#)
        .await;
    drop(quitter);
    assert_survived(survivor).await;
}
