//! The reference HTTP servers and the bisection between them and ours: one accept loop, and a
//! [`Layer`] that says how much of this project's HTTP stack it serves with. Each layer adds one
//! thing to the one before it, so that a load test over all of them shows what each costs:
//!
//! | layer | binary | what it adds to the layer above |
//! | --- | --- | --- |
//! | `hyper` | `ping_hyper` | nothing: hyper 1's HTTP/1.1 connection, the body collected, fixed bytes |
//! | `auto` | | hyper-util's auto builder (HTTP/1.1 or HTTP/2, told apart by the first bytes) |
//! | `timer` | | the production settings: a `TokioTimer` with the 30 s header-read timeout on HTTP/1 and 64 KiB read buffers; HTTP/2 stream limit and keep-alive pings |
//! | `upgrades` | | `serve_connection_with_upgrades`, as for WebSocket |
//! | `graceful` | `ping_hyper_auto` | a graceful-shutdown watch (hyper-util's `GracefulShutdown`) around each connection |
//! | `body` | | the body read the way `RpcService` reads it (the one `Bytes` kept, no list of chunks) instead of `collect` |
//! | `dispatch` | | `Dispatcher::dispatch` of that body, the response built by hand |
//! | `parts` | | the request's headers and extensions passed to the call (`RequestParts`, `dispatch_with`) |
//! | `service` | | `RpcService::handle` instead: method and length checks, memory budget, upgrade check, peer address |
//!
//! `ping_ours` (the full `Server`: connection registry and idle timeout, connection limit and
//! budget, write timeout, its own shutdown watch) comes after `service`.
//!
//! Up to `graceful`, the answer is fixed: `{"jsonrpc":"2.0","result":"pong","id":1}`, or, for a
//! body that starts with `[`, the answer to a batch of 100 pings (ids 1..=100), so that the batch
//! load moves the same bytes as the JSON-RPC servers. From `dispatch` on, the dispatcher answers
//! (the bench methods, default limits, as in `ping_ours`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::{service_fn, Service};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulConnection, GracefulShutdown};
use jsonrpc_runtime::{Dispatcher, RequestParts, RpcService};
use tokio::net::TcpListener;

/// How much of the stack a server runs; each includes every layer before it (see the module).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    Hyper,
    Auto,
    Timer,
    Upgrades,
    Graceful,
    Body,
    Dispatch,
    Parts,
    Service,
}

impl Layer {
    /// Every layer, in order.
    pub const ALL: [Layer; 9] = [
        Layer::Hyper,
        Layer::Auto,
        Layer::Timer,
        Layer::Upgrades,
        Layer::Graceful,
        Layer::Body,
        Layer::Dispatch,
        Layer::Parts,
        Layer::Service,
    ];

    /// The name `ping_layer --layer NAME` takes.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Hyper => "hyper",
            Layer::Auto => "auto",
            Layer::Timer => "timer",
            Layer::Upgrades => "upgrades",
            Layer::Graceful => "graceful",
            Layer::Body => "body",
            Layer::Dispatch => "dispatch",
            Layer::Parts => "parts",
            Layer::Service => "service",
        }
    }

    /// In one line, what the layer adds to the one before it (`ping_layer --list`).
    pub fn adds(self) -> &'static str {
        match self {
            Layer::Hyper => "bare hyper HTTP/1.1, body collected, fixed bytes",
            Layer::Auto => "hyper-util auto builder (HTTP/1.1 or HTTP/2 detection)",
            Layer::Timer => {
                "TokioTimer + 30 s header-read timeout, 64 KiB buffers, HTTP/2 settings"
            }
            Layer::Upgrades => "serve_connection_with_upgrades",
            Layer::Graceful => "GracefulShutdown watch per connection",
            Layer::Body => "body read as RpcService reads it, instead of collect",
            Layer::Dispatch => "Dispatcher::dispatch, response built by hand",
            Layer::Parts => "RequestParts (headers, extensions, peer) to dispatch_with",
            Layer::Service => "RpcService::handle: checks, memory budget, its own response",
        }
    }

    pub fn from_name(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|layer| layer.name() == name)
    }
}

/// The production settings of the built-in server's connections (`http_builder` in
/// `jsonrpc-runtime/src/http/serve.rs`), with its defaults, on hyper-util's auto builder. The
/// server itself now tells the versions apart by peeking (`http/detect.rs`) and runs hyper's
/// own HTTP/1 and HTTP/2 connections with these settings; this reference keeps the auto
/// builder, the second limit of the issue's table.
fn production_builder() -> auto::Builder<TokioExecutor> {
    let mut http = auto::Builder::new(TokioExecutor::new());
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(jsonrpc_runtime::DEFAULT_HEADER_READ_TIMEOUT)
        .max_buf_size(64 * 1024);
    http.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(jsonrpc_runtime::DEFAULT_HTTP2_MAX_STREAMS)
        .keep_alive_interval(Some(jsonrpc_runtime::DEFAULT_HTTP2_KEEP_ALIVE))
        .keep_alive_timeout(jsonrpc_runtime::DEFAULT_HTTP2_KEEP_ALIVE);
    http
}

/// Serves `layer` on the address of the first argument until Ctrl-C (SIGINT); prints `NAME
/// listening on ADDR` on stderr once bound.
pub fn main(layer: Layer, name: &str, addr: &str) -> std::io::Result<()> {
    let fixed = Fixed::new();
    crate::server_runtime().block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        // Registered before the line that tells a script it may send SIGINT: a background job
        // of a non-interactive shell starts with SIGINT ignored, so a signal sent before the
        // handler is in place would be lost and the server never stop.
        let interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        eprintln!("{name} listening on {}", listener.local_addr()?);
        if layer < Layer::Dispatch {
            let read = if layer < Layer::Body {
                Read::Collect
            } else {
                Read::Ours
            };
            return serve(listener, interrupt, layer, move |_| {
                let fixed = fixed.clone();
                service_fn(move |request| fixed.clone().answer(request, read))
            })
            .await;
        }
        let dispatcher = Dispatcher::builder()
            .methods(crate::methods())
            .build()
            .expect("the bench methods build");
        match layer {
            Layer::Dispatch | Layer::Parts => {
                let with_parts = layer == Layer::Parts;
                serve(listener, interrupt, layer, move |peer| {
                    let dispatcher = dispatcher.clone();
                    service_fn(move |request| {
                        dispatch(dispatcher.clone(), request, with_parts.then_some(peer))
                    })
                })
                .await
            }
            _ => {
                // As the built-in server configures it (its memory budget is on by default).
                let rpc = RpcService::new(dispatcher)
                    .memory_budget(jsonrpc_runtime::DEFAULT_MEMORY_BUDGET);
                serve(listener, interrupt, layer, move |peer| {
                    let rpc = rpc.clone();
                    service_fn(move |request| {
                        let rpc = rpc.clone();
                        async move { Ok::<_, Infallible>(rpc.handle(request, Some(peer)).await) }
                    })
                })
                .await
            }
        }
    })
}

/// The accept loop, with the connection settings of `layer`, until `interrupt`; `service` makes
/// each connection's service from its peer address.
async fn serve<S>(
    listener: TcpListener,
    mut interrupt: tokio::signal::unix::Signal,
    layer: Layer,
    service: impl Fn(SocketAddr) -> S,
) -> std::io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<Full<Bytes>>, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let http = if layer >= Layer::Timer {
        production_builder()
    } else {
        auto::Builder::new(TokioExecutor::new())
    };
    let graceful = GracefulShutdown::new();
    let accept = async {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let io = TokioIo::new(stream);
            let service = service(peer);
            match layer {
                Layer::Hyper => spawn(
                    hyper::server::conn::http1::Builder::new().serve_connection(io, service),
                    None,
                ),
                Layer::Auto | Layer::Timer => {
                    spawn(http.serve_connection(io, service).into_owned(), None)
                }
                _ => spawn(
                    http.serve_connection_with_upgrades(io, service)
                        .into_owned(),
                    (layer >= Layer::Graceful).then_some(&graceful),
                ),
            }
        }
    };
    tokio::select! {
        () = accept => {}
        _ = interrupt.recv() => {}
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), graceful.shutdown()).await;
    Ok(())
}

/// Runs one connection on its own task, watched by `graceful` when given.
fn spawn<C>(connection: C, graceful: Option<&GracefulShutdown>)
where
    C: GracefulConnection + Send + 'static,
    C::Error: Send,
{
    match graceful {
        Some(graceful) => drop(tokio::spawn(graceful.watch(connection))),
        None => drop(tokio::spawn(connection)),
    }
}

/// How the fixed-bytes layers read a body.
#[derive(Clone, Copy)]
enum Read {
    /// `http_body_util::BodyExt::collect`, as a plain hyper server would.
    Collect,
    /// As `RpcService` reads it (see [`read_body`]).
    Ours,
}

/// The fixed answers, to a ping and to a batch of 100 pings.
#[derive(Clone)]
struct Fixed {
    batch: Bytes,
}

impl Fixed {
    fn new() -> Self {
        Fixed {
            batch: Bytes::from(crate::bodies::pong_batch(100)),
        }
    }

    async fn answer(
        self,
        request: Request<Incoming>,
        read: Read,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let body = request.into_body();
        let body = match read {
            Read::Collect => body.collect().await.map(|body| body.to_bytes()),
            Read::Ours => read_body(body).await,
        };
        let answer = match body {
            Ok(body) if body.starts_with(b"[") => self.batch,
            _ => Bytes::from_static(br#"{"jsonrpc":"2.0","result":"pong","id":1}"#),
        };
        Ok(json_response(answer))
    }
}

/// Reads a whole body the way `RpcService` does (without its limits and budget): a body that
/// comes in one piece is kept as the `Bytes` hyper holds, and ends without another poll once
/// all of it has come; only a body in pieces is joined.
async fn read_body<B: Body<Data = Bytes>>(body: B) -> Result<Bytes, B::Error> {
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut joined = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if first.is_none() && joined.is_empty() {
            first = Some(data);
            if body.is_end_stream() {
                break;
            }
            continue;
        }
        if let Some(first) = first.take() {
            joined.extend_from_slice(&first);
        }
        joined.extend_from_slice(&data);
    }
    Ok(first.unwrap_or_else(|| Bytes::from(joined)))
}

/// The `dispatch` and `parts` layers: the body read as `RpcService` reads it, dispatched
/// (with the request's parts and `peer` when given), the response built by hand.
async fn dispatch(
    dispatcher: Dispatcher,
    request: Request<Incoming>,
    peer: Option<SocketAddr>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (head, body) = request.into_parts();
    let Ok(body) = read_body(body).await else {
        return Ok(Response::new(Full::new(Bytes::new())));
    };
    let answer = match peer {
        None => dispatcher.dispatch(&body).await,
        Some(peer) => {
            let mut parts = RequestParts::from_http(head);
            parts.peer = Some(peer);
            dispatcher.dispatch_with(&body, Some(&parts)).await
        }
    };
    Ok(match answer {
        Some(json) => json_response(Bytes::from(json)),
        None => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
    })
}

/// 200 with `body` as `application/json`.
fn json_response(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
