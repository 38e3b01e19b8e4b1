//! WebSocket through `RpcService` inside an axum app: the upgrade on the same route as HTTP
//! POST, and the app's shutdown closing the WebSocket connections with 1001.

mod ws_support;

use jsonrpc_runtime::{method, subscription, Dispatcher, Error, RpcService, Sink};
use serde_json::json;
use ws_support::{bounded, Event, Ws};

#[method]
fn ping() -> &'static str {
    "pong"
}

#[subscription(
    name = "subscribe_count",
    unsubscribe = "unsubscribe_count",
    notification = "count"
)]
async fn count(sink: Sink<u32>, to: u32) -> Result<(), Error> {
    for n in 0..to {
        sink.send(n).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_axum_route_answers_post_and_websocket_alike() {
    let rpc = RpcService::new(Dispatcher::builder().build().unwrap());
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .route_service("/rpc", rpc.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let closing = rpc.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
                // WebSocket connections have left axum's hands: close them as part of shutdown.
                closing.close_websockets().await;
            })
            .await
    });

    // WebSocket at /rpc.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let request = format!("ws://{addr}/rpc").into_client_request().unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (socket, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    let mut ws = Ws { socket };
    assert_eq!(ws.call("ping", json!([]), 1).await.0["result"], "pong");
    let id = ws.subscribe("subscribe_count", json!([2]), 2).await;
    for n in 0..2 {
        assert_eq!(
            ws.next().await["params"],
            json!({"subscription": id, "result": n})
        );
    }
    assert_eq!(ws.next().await["params"]["complete"], true);

    // HTTP POST on the same route.
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
    let post = format!(
        "POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tokio::io::AsyncWriteExt::write_all(&mut tcp, post.as_bytes())
        .await
        .unwrap();
    let mut response = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut tcp, &mut response)
        .await
        .unwrap();
    assert!(
        response.ends_with(r#"{"jsonrpc":"2.0","result":"pong","id":1}"#),
        "{response}"
    );

    // The app's shutdown closes the WebSocket with 1001.
    stop.send(()).unwrap();
    match ws.next_event().await {
        Event::Closed(code) => assert_eq!(code, Some(1001)),
        Event::Json(message) => panic!("{message}"),
    }
    bounded("axum to stop", server).await.unwrap().unwrap();
}
