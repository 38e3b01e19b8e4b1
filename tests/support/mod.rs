//! A small HTTP client and server runners for the embedding tests (axum, context, middleware,
//! method sets, blocking, tracing, tower). Every network wait is bounded by [`WAIT`].
#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, CONTENT_TYPE, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The longest any test waits on the network.
pub const WAIT: Duration = Duration::from_secs(5);

/// `future`, or a panic naming `what` after [`WAIT`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {WAIT:?}"))
}

/// An HTTP response, read to the end.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The client's end of the connection the request went over.
    pub client_addr: SocketAddr,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// The `result` of a single response; panics on an error response.
    pub fn result(&self) -> Value {
        let json = self.json();
        assert!(json.get("error").is_none(), "an error: {json}");
        json["result"].clone()
    }

    /// The `error` of a single response: `(code, message)`; panics on a success.
    pub fn error(&self) -> (i64, String) {
        let json = self.json();
        let code = json["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("not an error: {json}"));
        let message = json["error"]["message"].as_str().unwrap_or("").to_owned();
        (code, message)
    }
}

/// Sends `request` over a new HTTP/1.1 connection to `addr`.
pub async fn send(addr: SocketAddr, request: Request<Full<Bytes>>) -> Reply {
    within("an HTTP/1.1 request", async {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let client_addr = stream.local_addr().expect("the client's address");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("an HTTP/1.1 handshake");
        tokio::spawn(connection);
        let response = sender.send_request(request).await.expect("a response");
        read(response, client_addr).await
    })
    .await
}

/// Sends `request` over a new HTTP/2 (prior knowledge) connection to `addr`.
pub async fn send_h2(addr: SocketAddr, request: Request<Full<Bytes>>) -> Reply {
    within("an HTTP/2 request", async {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let client_addr = stream.local_addr().expect("the client's address");
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .expect("an HTTP/2 handshake");
        tokio::spawn(connection);
        let response = sender.send_request(request).await.expect("a response");
        read(response, client_addr).await
    })
    .await
}

async fn read(response: hyper::Response<hyper::body::Incoming>, client_addr: SocketAddr) -> Reply {
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("the body").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(body.to_vec()).expect("a UTF-8 body"),
        client_addr,
    }
}

/// A JSON POST of `body` to `path`, with extra `headers`.
pub fn post_request(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Request<Full<Bytes>> {
    let mut request = Request::post(path)
        .header(HOST, addr.to_string())
        .header(CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("a valid request")
}

/// POSTs `body` to `path` over HTTP/1.1.
pub async fn post(addr: SocketAddr, path: &str, body: &str) -> Reply {
    send(addr, post_request(addr, path, &[], body)).await
}

/// POSTs `body` to `path` over HTTP/1.1, with extra `headers`.
pub async fn post_with(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    send(addr, post_request(addr, path, headers, body)).await
}

/// GETs `path` over HTTP/1.1.
pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    let request = Request::get(path)
        .header(HOST, addr.to_string())
        .body(Full::new(Bytes::new()))
        .expect("a valid request");
    send(addr, request).await
}

/// A call of `method` with `params` (JSON text) and `id` (JSON text).
pub fn call(method: &str, params: &str, id: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":{id}}}"#)
}

/// A notification of `method` with `params` (JSON text).
pub fn notification(method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params}}}"#)
}

/// A server running on an ephemeral port of 127.0.0.1, stopped gracefully when dropped or by
/// [`Running::stop`].
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Running {
    /// Binds the built-in server and runs it.
    pub async fn server(builder: jsonrpc_runtime::ServerBuilder) -> Running {
        let server = builder
            .bind("127.0.0.1:0")
            .await
            .expect("the server starts");
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Serves `app` with `axum::serve`, with the peer address in `ConnectInfo<SocketAddr>`.
    pub async fn axum(app: axum::Router) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("the local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let serve = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move { serve.await });
        Running {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Asks the server to shut down and waits until it has.
    pub async fn stop(mut self) -> io::Result<()> {
        let _ = self.stop.take().expect("running").send(());
        let task = self.task.take().expect("running");
        within("a graceful shutdown", task)
            .await
            .expect("the server task does not panic")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
