//! The clients against the seed's own Python server (tornado + jsonrpcserver 4,
//! `interop/python_server.py`). Ignored by a plain `cargo test`: `interop/client_vs_python.sh`
//! starts the server, sets `JSONRPC_PYTHON_URL` and runs them with `--ignored`.
//!
//! jsonrpcserver 4 runs a batch's calls as a Python set, so its answers come back in no
//! particular order: the batch tests see real out-of-order answers.

use jsonrpc_runtime::client::{BlockingClient, ByName, Client, ClientError, StringIds};
use jsonrpc_runtime::method;
use serde::Serialize;
use serde_json::{json, Value};

fn url() -> String {
    std::env::var("JSONRPC_PYTHON_URL")
        .expect("JSONRPC_PYTHON_URL must name the Python server (see interop/client_vs_python.sh)")
}

/// The same method, defined in Rust: its typed call talks to the Python server.
#[method]
fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend - subtrahend
}

#[method]
fn ping() -> &'static str {
    "pong"
}

#[tokio::test]
#[ignore = "needs the Python server: run interop/client_vs_python.sh"]
async fn requests_by_position_and_by_name() {
    let client = Client::new(&url()).unwrap();
    assert_eq!(client.request::<String>("ping", ()).await.unwrap(), "pong");
    assert_eq!(
        client.request::<i64>("subtract", (42, 23)).await.unwrap(),
        19
    );
    assert_eq!(
        client.request::<i64>("subtract", [23, 42]).await.unwrap(),
        -19
    );
    let by_name: i64 = client
        .request("subtract", json!({ "subtrahend": 23, "minuend": 42 }))
        .await
        .unwrap();
    assert_eq!(by_name, 19);
    #[derive(Serialize)]
    struct Subtract {
        minuend: i64,
        subtrahend: i64,
    }
    let by_struct: i64 = client
        .request(
            "subtract",
            ByName(Subtract {
                minuend: 5,
                subtrahend: 8,
            }),
        )
        .await
        .unwrap();
    assert_eq!(by_struct, -3);
    // Typed calls from a Rust method definition, answered by Python.
    assert_eq!(subtract::call(&client, 42, 23).await.unwrap(), 19);
    assert_eq!(ping::call(&client).await.unwrap(), "pong");
}

#[tokio::test]
#[ignore = "needs the Python server: run interop/client_vs_python.sh"]
async fn a_notification_is_run_and_not_answered() {
    let client = Client::new(&url()).unwrap();
    client.notify("notify_hello", [1234]).await.unwrap();
    client
        .notify("notify_hello", json!({ "x": 5678 }))
        .await
        .unwrap();
    // Other tests leave notes too: look for these two, in order.
    let notes: Vec<i64> = client.request("notes", ()).await.unwrap();
    let mine: Vec<i64> = notes
        .into_iter()
        .filter(|n| [1234, 5678].contains(n))
        .collect();
    assert_eq!(mine, [1234, 5678]);
}

#[tokio::test]
#[ignore = "needs the Python server: run interop/client_vs_python.sh"]
async fn an_error_response() {
    let client = Client::new(&url()).unwrap();
    match client.request::<Value>("fail", ()).await {
        Err(ClientError::Rpc(error)) => {
            assert_eq!(error.code(), -32001);
            assert_eq!(error.message(), "it failed on purpose");
            assert_eq!(error.data(), Some(&json!({ "reason": "interop" })));
        }
        other => panic!("expected an error response, got {other:?}"),
    }
    let missing = client
        .request::<Value>("no_such_method", ())
        .await
        .unwrap_err();
    assert_eq!(missing.rpc().map(|e| e.code()), Some(-32601));
    let wrong_params = client.request::<Value>("subtract", [1]).await.unwrap_err();
    assert_eq!(wrong_params.rpc().map(|e| e.code()), Some(-32602));
}

#[tokio::test]
#[ignore = "needs the Python server: run interop/client_vs_python.sh"]
async fn a_batch_answered_in_any_order() {
    for client in [
        Client::new(&url()).unwrap(),
        Client::builder(url())
            .id_generator(StringIds::with_prefix("py-"))
            .build()
            .unwrap(),
    ] {
        let mut batch = client.batch();
        let pong = batch.request::<String>("ping", ());
        let differences: Vec<_> = (0..10)
            .map(|i| batch.request::<i64>("subtract", (100, i)))
            .collect();
        let by_name = batch.request::<i64>("subtract", json!({ "minuend": 1, "subtrahend": 2 }));
        batch.notify("notify_hello", [99]);
        let failed = batch.request::<Value>("fail", ());
        let answers = batch.send().await.unwrap();
        assert_eq!(answers.len(), 13);
        assert_eq!(answers.get(&pong).unwrap(), "pong");
        for (i, call) in differences.iter().enumerate() {
            assert_eq!(answers.get(call).unwrap(), 100 - i as i64);
        }
        assert_eq!(answers.get(&by_name).unwrap(), -1);
        assert_eq!(
            answers.get(&failed).unwrap_err().rpc().map(|e| e.code()),
            Some(-32001)
        );
    }
}

#[test]
#[ignore = "needs the Python server: run interop/client_vs_python.sh"]
fn the_blocking_client() {
    let client = BlockingClient::new(&url()).unwrap();
    assert_eq!(client.request::<String>("ping", ()).unwrap(), "pong");
    assert_eq!(subtract::call_blocking(&client, 10, 4).unwrap(), 6);
    client.notify("notify_hello", [4321]).unwrap();
    let notes: Vec<i64> = client.request("notes", ()).unwrap();
    assert!(notes.contains(&4321));
    let mut batch = client.batch();
    let a = batch.request::<i64>("subtract", (2, 1));
    let b = batch.request::<i64>("subtract", json!({ "minuend": 1, "subtrahend": 2 }));
    let answers = batch.send().unwrap();
    assert_eq!(
        (answers.get(&a).unwrap(), answers.get(&b).unwrap()),
        (1, -1)
    );
    assert_eq!(
        client
            .request::<Value>("fail", ())
            .unwrap_err()
            .rpc()
            .map(|e| e.code()),
        Some(-32001)
    );
}
