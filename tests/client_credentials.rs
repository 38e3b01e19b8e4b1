//! Credentials in the URL (`http://user:password@host/`, `ws://user:password@host/`) are sent as
//! Basic authorization by every client, and never shown; a server that cannot be reached is
//! named in the error.

mod client_support;
mod client_ws_support;

use client_support::Scripted;
use client_ws_support::MiniServer;
use jsonrpc_runtime::client::{BlockingClient, Client, ClientError, WsClient};
use serde_json::{json, Value};

/// `base64("ada:p@ss word:1")`.
const ADA: &str = "Basic YWRhOnBAc3Mgd29yZDox";

/// The same credentials, percent-encoded in a URL's user information.
const USERINFO: &str = "ada:p%40ss%20word:1";

async fn pong_server() -> Scripted {
    Scripted::start(|seen| seen.respond(r#""result":"pong""#)).await
}

fn with_credentials(url: &str) -> String {
    url.replacen("://", &format!("://{USERINFO}@"), 1)
}

#[tokio::test]
async fn http_urls_with_credentials_send_basic_authorization() {
    let server = pong_server().await;
    let client = Client::new(&with_credentials(&server.url())).unwrap();
    let pong: String = client.request("ping", ()).await.unwrap();
    assert_eq!(pong, "pong");
    let seen = server.seen();
    let headers = &seen[0].headers;
    assert_eq!(headers["authorization"], ADA);
    // The credentials are not in the `Host` header.
    assert_eq!(headers["host"], server.addr.to_string());

    // An `Authorization` the builder is given wins over the URL's.
    let client = Client::builder(with_credentials(&server.url()))
        .bearer_auth("token")
        .build()
        .unwrap();
    let _: String = client.request("ping", ()).await.unwrap();
    assert_eq!(server.seen()[1].headers["authorization"], "Bearer token");

    // Without credentials, no `Authorization` at all.
    let client = Client::new(&server.url()).unwrap();
    let _: String = client.request("ping", ()).await.unwrap();
    assert!(server.seen()[2].headers.get("authorization").is_none());
}

#[test]
fn blocking_clients_send_them_too() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(pong_server());
    let client = BlockingClient::new(&with_credentials(&server.url())).unwrap();
    let pong: String = client.request("ping", ()).unwrap();
    assert_eq!(pong, "pong");
    assert_eq!(server.seen()[0].headers["authorization"], ADA);
    drop(server);
}

#[tokio::test]
async fn websocket_urls_with_credentials_send_basic_authorization() {
    let server = MiniServer::start().await;
    let client = WsClient::connect(&with_credentials(&server.url()))
        .await
        .unwrap();
    let headers: Value = client.request("headers", ()).await.unwrap();
    assert_eq!(headers, json!({ "authorization": ADA }));

    let client = WsClient::builder()
        .bearer_auth("token")
        .connect(&with_credentials(&server.url()))
        .await
        .unwrap();
    let headers: Value = client.request("headers", ()).await.unwrap();
    assert_eq!(headers, json!({ "authorization": "Bearer token" }));
}

#[tokio::test]
async fn bad_percent_escapes_are_configuration_errors() {
    let error = Client::new("http://ada:50%@127.0.0.1:1/").unwrap_err();
    assert!(
        matches!(&error, ClientError::InvalidConfig(message) if message.contains('%')),
        "{error}"
    );
    let error = WsClient::connect("ws://ada:50%@127.0.0.1:1/")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ClientError::InvalidConfig(message) if message.contains('%')),
        "{error}"
    );
}

/// A port nothing listens on: bound, then let go.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// The error names the address tried, and not the password.
fn assert_names_the_address(error: &ClientError, port: u16) {
    let shown = error.to_string();
    assert!(
        matches!(error, ClientError::Transport { .. }),
        "expected a transport error, got {error:?}"
    );
    assert!(
        shown.contains(&format!("could not connect to 127.0.0.1:{port}")),
        "{shown}"
    );
    assert!(
        !shown.contains("p%40ss") && !shown.contains("p@ss"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_closed_port_is_named_in_the_error() {
    let port = closed_port().await;
    let url = with_credentials(&format!("http://127.0.0.1:{port}/"));
    let error = Client::new(&url)
        .unwrap()
        .request::<String>("ping", ())
        .await
        .unwrap_err();
    assert_names_the_address(&error, port);

    let url = with_credentials(&format!("ws://127.0.0.1:{port}/"));
    let error = WsClient::connect(&url).await.unwrap_err();
    assert_names_the_address(&error, port);
}

#[test]
fn a_closed_port_is_named_by_the_blocking_client_too() {
    let port = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(closed_port());
    let client = BlockingClient::new(&format!("http://127.0.0.1:{port}/")).unwrap();
    let error = client.request::<String>("ping", ()).unwrap_err();
    assert_names_the_address(&error, port);
    // The whole message, as `main` would print it.
    assert!(
        error.to_string().starts_with(&format!(
            "transport error: could not connect to 127.0.0.1:{port}: "
        )),
        "{error}"
    );
}

#[test]
fn a_url_without_a_port_is_named_with_the_default_port() {
    // Nothing listens on port 80 of this address (TEST-NET-1, RFC 5737, is not routed).
    let client = Client::builder("http://192.0.2.1/")
        .timeout(std::time::Duration::from_millis(200))
        .build_blocking()
        .unwrap();
    match client.request::<String>("ping", ()) {
        Err(ClientError::TimedOut(_)) => {} // the usual case: no answer at all
        Err(error) => assert!(
            error
                .to_string()
                .contains("could not connect to 192.0.2.1:80"),
            "{error}"
        ),
        Ok(_) => panic!("nothing should answer"),
    }
}
