//! Every kind of `ClientError`, each from a real exchange: error responses from the project's
//! own server, and everything a correct server never sends from a scripted one that misbehaves
//! on purpose. None of them panics.

mod client_support;
mod common;

use std::time::{Duration, Instant};

use client_support::{closed_port_url, Reply, Scripted};
use common::TestServer;
use jsonrpc_runtime::client::{BlockingClient, Client, ClientError, Id, InvalidResponse};
use jsonrpc_runtime::{method, Error, Server};
use serde_json::{json, Value};

#[method]
fn ping() -> &'static str {
    "pong"
}

#[method]
fn divide(a: f64, b: f64) -> Result<f64, Error> {
    if b == 0.0 {
        return Err(Error::new(-32001, "division by zero").with_data(json!({ "dividend": a })));
    }
    Ok(a / b)
}

#[method]
fn echo(text: String) -> String {
    text
}

async fn own_client() -> (TestServer, Client) {
    let server = TestServer::start(Server::builder().max_body_size(4096)).await;
    let client = Client::new(&format!("http://{}/", server.addr)).unwrap();
    (server, client)
}

/// A client for a scripted server answering every request with `script`.
async fn scripted(
    script: impl Fn(&client_support::Seen) -> Reply + Send + Sync + 'static,
) -> (Scripted, Client) {
    let server = Scripted::start(script).await;
    let client = Client::builder(server.url())
        .timeout(Duration::from_secs(5))
        .max_response_size(1024)
        .build()
        .unwrap();
    (server, client)
}

fn invalid<T: std::fmt::Debug>(result: Result<T, ClientError>) -> InvalidResponse {
    match result {
        Err(ClientError::InvalidResponse(reason)) => reason,
        other => panic!("expected an invalid response, got {other:?}"),
    }
}

#[tokio::test]
async fn error_responses_carry_code_message_and_data() {
    let (_server, client) = own_client().await;
    let error = client.request::<f64>("divide", (1.5, 0)).await.unwrap_err();
    let ClientError::Rpc(rpc) = &error else {
        panic!("expected an error response, got {error:?}")
    };
    assert_eq!(rpc.code(), -32001);
    assert_eq!(rpc.message(), "division by zero");
    assert_eq!(rpc.data(), Some(&json!({ "dividend": 1.5 })));
    assert_eq!(
        error.to_string(),
        r#"the server answered with an error: division by zero (code -32001): {"dividend":1.5}"#
    );

    let error = client
        .request::<Value>("no_such_method", ())
        .await
        .unwrap_err();
    assert_eq!(error.rpc().map(Error::code), Some(-32601));
    let error = client.request::<Value>("divide", ["x"]).await.unwrap_err();
    assert_eq!(error.rpc().map(Error::code), Some(-32602));
}

#[tokio::test]
async fn a_server_that_cannot_be_reached_is_a_transport_error() {
    let client = Client::new(&closed_port_url()).unwrap();
    let error = client.request::<String>("ping", ()).await.unwrap_err();
    match &error {
        ClientError::Transport { message, .. } => {
            assert!(message.to_lowercase().contains("connect"), "{message}")
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(std::error::Error::source(&error).is_some());
    assert!(matches!(
        client.notify("ping", ()).await,
        Err(ClientError::Transport { .. })
    ));
    assert!(matches!(
        client.batch().send().await,
        Ok(answers) if answers.is_empty()
    ));
}

#[tokio::test]
async fn a_connection_closed_mid_response_is_a_transport_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buffer = [0; 4096];
        let _ = stream.read(&mut buffer).await;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"";
        let _ = stream.write_all(head.as_bytes()).await;
        // Closed before the promised 100 bytes.
    });
    let client = Client::new(&format!("http://{addr}/")).unwrap();
    let error = client.request::<String>("ping", ()).await.unwrap_err();
    assert!(matches!(error, ClientError::Transport { .. }), "{error:?}");
}

#[tokio::test]
async fn a_status_outside_2xx_is_an_http_error_with_the_body() {
    let (_server, client) = scripted(|_| Reply::status(500, "boom: the database is down")).await;
    let error = client.request::<String>("ping", ()).await.unwrap_err();
    match &error {
        ClientError::HttpStatus { status, body } => {
            assert_eq!(*status, 500);
            assert_eq!(body, "boom: the database is down");
        }
        other => panic!("expected an HTTP status error, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the server answered HTTP 500: boom: the database is down"
    );
    assert!(matches!(
        client.notify("ping", ()).await,
        Err(ClientError::HttpStatus { status: 500, .. })
    ));
    let mut batch = client.batch();
    batch.request::<String>("ping", ());
    assert!(matches!(
        batch.send().await,
        Err(ClientError::HttpStatus { status: 500, .. })
    ));

    let (_server, client) = scripted(|_| Reply::status(401, "")).await;
    assert!(matches!(
        client.request::<String>("ping", ()).await,
        Err(ClientError::HttpStatus { status: 401, ref body }) if body.is_empty()
    ));
}

#[tokio::test]
async fn the_own_server_refusing_a_large_request_is_an_http_error() {
    let (_server, client) = own_client().await;
    let error = client
        .request::<String>("echo", ["x".repeat(10_000)])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ClientError::HttpStatus { status: 413, body } if body.contains("-32600")),
        "{error:?}"
    );
    // The connection is still usable afterwards.
    assert_eq!(client.request::<String>("ping", ()).await.unwrap(), "pong");
}

#[tokio::test]
async fn a_response_with_the_wrong_id() {
    let (_server, client) =
        scripted(|_| Reply::json(r#"{"jsonrpc":"2.0","result":"pong","id":999}"#)).await;
    let reason = invalid(client.request::<String>("ping", ()).await);
    assert_eq!(
        reason,
        InvalidResponse::WrongId {
            expected: Id::Num(1),
            got: "999".to_owned()
        }
    );
    assert_eq!(
        ClientError::from(reason).to_string(),
        "invalid response: the response's id 999 is not the request's id 1"
    );
    // A string id where a number was sent is a different id.
    let (_server, client) =
        scripted(|_| Reply::json(r#"{"jsonrpc":"2.0","result":"pong","id":"1"}"#)).await;
    assert!(matches!(
        invalid(client.request::<String>("ping", ()).await),
        InvalidResponse::WrongId { .. }
    ));
}

#[tokio::test]
async fn a_response_with_both_result_and_error() {
    let (_server, client) =
        scripted(|seen| seen.respond(r#""result":1,"error":{"code":-32000,"message":"both"}"#))
            .await;
    assert_eq!(
        invalid(client.request::<i64>("ping", ()).await),
        InvalidResponse::BothResultAndError
    );
}

#[tokio::test]
async fn a_response_with_neither_result_nor_error() {
    let (_server, client) = scripted(|seen| seen.respond(r#""note":"nothing""#)).await;
    assert_eq!(
        invalid(client.request::<i64>("ping", ()).await),
        InvalidResponse::NeitherResultNorError
    );
}

#[tokio::test]
async fn a_body_that_is_not_json() {
    let (_server, client) = scripted(|_| Reply::json("<html><body>Hello</body></html>")).await;
    assert!(matches!(
        invalid(client.request::<String>("ping", ()).await),
        InvalidResponse::NotJson(_)
    ));
    let mut batch = client.batch();
    batch.request::<String>("ping", ());
    assert!(matches!(
        batch.send().await,
        Err(ClientError::InvalidResponse(InvalidResponse::NotJson(_)))
    ));
}

#[tokio::test]
async fn json_that_is_not_a_response() {
    for body in [
        r#""pong""#,
        r#"{"result":"pong","id":1}"#,
        r#"{"jsonrpc":"2.0","result":"pong"}"#,
        r#"[{"jsonrpc":"2.0","result":"pong","id":1}]"#,
        r#"{"jsonrpc":"2.0","error":"oops","id":1}"#,
    ] {
        let (_server, client) = scripted(move |_| Reply::json(body)).await;
        assert!(
            matches!(
                invalid(client.request::<String>("ping", ()).await),
                InvalidResponse::NotAResponse(_)
            ),
            "{body}"
        );
    }
}

#[tokio::test]
async fn no_body_in_answer_to_a_request() {
    let (_server, client) = scripted(|_| Reply::status(204, "")).await;
    assert_eq!(
        invalid(client.request::<String>("ping", ()).await),
        InvalidResponse::EmptyBody
    );
    // For a notification, no body is just right.
    client.notify("ping", ()).await.unwrap();
}

#[tokio::test]
async fn a_response_over_the_size_limit() {
    let big = format!(
        r#"{{"jsonrpc":"2.0","result":"{}","id":1}}"#,
        "x".repeat(4000)
    );
    // With a Content-Length: refused before the body is read.
    let declared = big.clone();
    let (_server, client) = scripted(move |_| Reply::json(declared.clone())).await;
    let error = client.request::<String>("ping", ()).await.unwrap_err();
    assert!(
        matches!(error, ClientError::ResponseTooLarge { limit: 1024 }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the response is larger than the limit of 1024 bytes"
    );
    // Chunked, without a length: refused once the limit is passed.
    let (_server, client) = scripted(move |_| Reply::json(big.clone()).chunked()).await;
    let error = client.request::<String>("ping", ()).await.unwrap_err();
    assert!(
        matches!(error, ClientError::ResponseTooLarge { limit: 1024 }),
        "{error:?}"
    );
    // A response within the limit is fine, chunked or not.
    let (_server, client) = scripted(|seen| seen.respond(r#""result":"small""#).chunked()).await;
    assert_eq!(client.request::<String>("ping", ()).await.unwrap(), "small");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (_server, client) = scripted(|seen| {
        seen.respond(r#""result":1"#)
            .after(Duration::from_secs(3600))
    })
    .await;
    let client = client.with_timeout(Duration::from_millis(200));
    let started = Instant::now();
    let error = client.request::<i64>("ping", ()).await.unwrap_err();
    assert!(
        matches!(error, ClientError::TimedOut(d) if d == Duration::from_millis(200)),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "no response within 200ms");
    assert!(matches!(
        client.notify("ping", ()).await,
        Err(ClientError::TimedOut(_))
    ));
    let mut batch = client.batch();
    batch.request::<i64>("ping", ());
    assert!(matches!(batch.send().await, Err(ClientError::TimedOut(_))));
    assert!(started.elapsed() < Duration::from_secs(3));

    // A server that accepts the connection but never reads or answers at all.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let _connection = listener.accept().await;
        std::future::pending::<()>().await;
    });
    let client = Client::builder(format!("http://{addr}/"))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    assert!(matches!(
        client.request::<i64>("ping", ()).await,
        Err(ClientError::TimedOut(_))
    ));
    silent.abort();
}

#[tokio::test]
async fn a_result_of_another_type_is_a_decode_error() {
    let (_server, client) = own_client().await;
    let error = client.request::<i64>("ping", ()).await.unwrap_err();
    assert!(matches!(error, ClientError::Decode(_)), "{error:?}");
    assert!(error
        .to_string()
        .starts_with("the result does not decode into the expected type"));
}

#[tokio::test]
async fn params_that_are_not_an_array_or_object_are_refused_before_sending() {
    let client = Client::new(&closed_port_url()).unwrap();
    for params in [json!(1), json!("a"), json!(null)] {
        let error = client.request::<Value>("ping", params).await.unwrap_err();
        assert!(
            matches!(&error, ClientError::BadParams(m) if m.contains("array or object")),
            "{error:?}"
        );
    }
    let map = std::collections::HashMap::from([((1, 2), 3)]);
    assert!(matches!(
        client.notify("ping", map).await,
        Err(ClientError::BadParams(_))
    ));
}

#[test]
fn the_blocking_client_reports_the_same_errors() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(Scripted::start(|seen| {
        match seen.json()["method"].as_str() {
            Some("wrong_id") => Reply::json(r#"{"jsonrpc":"2.0","result":1,"id":-1}"#),
            Some("status") => Reply::status(503, "later"),
            Some("slow") => seen
                .respond(r#""result":1"#)
                .after(Duration::from_secs(3600)),
            _ => Reply::json("not json"),
        }
    }));
    let client = BlockingClient::builder(server.url())
        .timeout(Duration::from_millis(1_000))
        .build_blocking()
        .unwrap();
    assert!(matches!(
        client.request::<i64>("wrong_id", ()),
        Err(ClientError::InvalidResponse(
            InvalidResponse::WrongId { .. }
        ))
    ));
    assert!(matches!(
        client.request::<i64>("status", ()),
        Err(ClientError::HttpStatus { status: 503, .. })
    ));
    assert!(matches!(
        client.request::<i64>("slow", ()),
        Err(ClientError::TimedOut(_))
    ));
    assert!(matches!(
        client.request::<i64>("other", ()),
        Err(ClientError::InvalidResponse(InvalidResponse::NotJson(_)))
    ));
    let unreachable = BlockingClient::new(&closed_port_url()).unwrap();
    assert!(matches!(
        unreachable.request::<i64>("ping", ()),
        Err(ClientError::Transport { .. })
    ));
    drop(server);
}
