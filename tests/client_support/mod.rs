//! Helpers for the client tests: a scripted HTTP server whose every answer the test decides, for
//! what a correct server never sends (wrong ids, broken JSON, error statuses, huge bodies,
//! silence, batches out of order), and to see what the client sent (bodies, headers, HTTP
//! version, connections).
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming};
use hyper::header::HeaderMap;
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A request as the scripted server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub body: String,
    pub headers: HeaderMap,
    pub version: Version,
}

impl Seen {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the client sent JSON")
    }

    /// The `id` of a single request (`Null` when absent).
    pub fn id(&self) -> Value {
        self.json().get("id").cloned().unwrap_or(Value::Null)
    }

    /// A response object for this request's id, with `members` (e.g. `"result":1`).
    pub fn respond(&self, members: &str) -> Reply {
        Reply::json(format!(
            r#"{{"jsonrpc":"2.0",{members},"id":{}}}"#,
            self.id()
        ))
    }
}

/// What the scripted server answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// Send the body in chunks, without a `Content-Length`.
    pub chunked: bool,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Reply {
    /// 200 with this JSON text.
    pub fn json(text: impl Into<String>) -> Reply {
        Reply {
            status: 200,
            body: text.into().into_bytes(),
            chunked: false,
            delay: Duration::ZERO,
        }
    }

    /// This status with this body.
    pub fn status(status: u16, body: &str) -> Reply {
        Reply {
            status,
            ..Reply::json(body)
        }
    }

    /// Answers after `delay`.
    pub fn after(self, delay: Duration) -> Reply {
        Reply { delay, ..self }
    }

    /// Sends the body without a `Content-Length`.
    pub fn chunked(self) -> Reply {
        Reply {
            chunked: true,
            ..self
        }
    }
}

/// How the scripted server answers.
enum Script {
    /// With whatever the function says.
    Reply(Box<dyn Fn(&Seen) -> Reply + Send + Sync>),
    /// With what a real dispatcher answers, passed through the function (to reorder a batch,
    /// say).
    Dispatch(
        jsonrpc_runtime::Dispatcher,
        Box<dyn Fn(Value) -> Value + Send + Sync>,
    ),
}

/// A running scripted server; stops when dropped.
pub struct Scripted {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl Scripted {
    /// An HTTP/1.1 server answering each request with `script(request)`.
    pub async fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Scripted {
        Scripted::spawn(Script::Reply(Box::new(script)), false).await
    }

    /// An HTTP/2-only server (prior knowledge): an HTTP/1.1 client cannot talk to it.
    pub async fn start_http2(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Scripted {
        Scripted::spawn(Script::Reply(Box::new(script)), true).await
    }

    /// An HTTP/1.1 server answering with `dispatcher`, whose JSON answers pass through
    /// `rewrite` first.
    pub async fn dispatching(
        dispatcher: jsonrpc_runtime::Dispatcher,
        rewrite: impl Fn(Value) -> Value + Send + Sync + 'static,
    ) -> Scripted {
        Scripted::spawn(Script::Dispatch(dispatcher, Box::new(rewrite)), false).await
    }

    async fn spawn(script: Script, http2: bool) -> Scripted {
        let script = Arc::new(script);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let connections = Arc::clone(&connections);
            let seen = Arc::clone(&seen);
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let script = Arc::clone(&script);
                    let seen = Arc::clone(&seen);
                    let service = hyper::service::service_fn(move |request| {
                        answer(Arc::clone(&script), Arc::clone(&seen), request)
                    });
                    let io = TokioIo::new(stream);
                    tokio::spawn(async move {
                        let _ = if http2 {
                            hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                                .serve_connection(io, service)
                                .await
                        } else {
                            hyper::server::conn::http1::Builder::new()
                                .serve_connection(io, service)
                                .await
                        };
                    });
                }
            }
        });
        Scripted {
            addr,
            connections,
            seen,
            task,
        }
    }

    /// The URL to give a client.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every request received so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    script: Arc<Script>,
    seen: Arc<Mutex<Vec<Seen>>>,
    request: Request<Incoming>,
) -> Result<Response<Chunks>, Infallible> {
    let headers = request.headers().clone();
    let version = request.version();
    let body = request.into_body().collect().await.map(|b| b.to_bytes());
    let request = Seen {
        body: String::from_utf8_lossy(&body.unwrap_or_default()).into_owned(),
        headers,
        version,
    };
    seen.lock().unwrap().push(request.clone());
    let reply = match &*script {
        Script::Reply(reply) => reply(&request),
        Script::Dispatch(dispatcher, rewrite) => {
            match dispatcher.dispatch(request.body.as_bytes()).await {
                Some(bytes) => {
                    let answer =
                        serde_json::from_slice(&bytes).expect("the dispatcher answers JSON");
                    Reply::json(rewrite(answer).to_string())
                }
                None => Reply::status(204, ""),
            }
        }
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = Response::new(Chunks::new(reply.body, reply.chunked));
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status).unwrap();
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        "application/json".parse().unwrap(),
    );
    Ok(response)
}

/// A body sent whole (with its length) or in chunks of 1 KiB (without it).
pub struct Chunks {
    parts: std::collections::VecDeque<Bytes>,
    exact: Option<u64>,
}

impl Chunks {
    fn new(body: Vec<u8>, chunked: bool) -> Chunks {
        let exact = (!chunked).then_some(body.len() as u64);
        let parts = if chunked {
            body.chunks(1024).map(Bytes::copy_from_slice).collect()
        } else {
            std::iter::once(Bytes::from(body))
                .filter(|b| !b.is_empty())
                .collect()
        };
        Chunks { parts, exact }
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.parts.pop_front().map(|part| Ok(Frame::data(part))))
    }

    fn is_end_stream(&self) -> bool {
        self.parts.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self.exact {
            Some(length) => hyper::body::SizeHint::with_exact(length),
            None => hyper::body::SizeHint::default(),
        }
    }
}

/// A port on which nothing listens (bound, then closed).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/")
}
