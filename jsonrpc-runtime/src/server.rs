//! The HTTP server: hyper 1 on tokio, one task per connection, HTTP/1.1 and HTTP/2.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::Semaphore;

use crate::ws::WsConfig;
use crate::{Dispatcher, DispatcherBuilder, Methods, RpcService};

/// The default largest request body: 10 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 10 * 1024 * 1024;

/// The default time a client has to send a request's headers: 30 seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The default largest number of connections served at once: 10,000. Further connections wait
/// in the listen queue until one closes.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Serves every registered method over HTTP at `addr` until Ctrl-C: the one-line server.
///
/// ```no_run
/// use jsonrpc_runtime::method;
///
/// #[method]
/// async fn ping() -> &'static str { "pong" }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     jsonrpc_runtime::serve("127.0.0.1:5000").await
/// }
/// ```
///
/// Fails at once when the method table is not valid (see [`DispatcherBuilder::build`]) or the
/// address cannot be bound. Use [`Server::builder`] for state, limits or another method set.
pub async fn serve(addr: impl ToSocketAddrs) -> io::Result<()> {
    Server::builder().bind(addr).await?.run().await
}

/// A JSON-RPC server bound to an address, ready to run. It answers HTTP `POST`s and WebSocket
/// upgrades (`GET` with `Upgrade: websocket`) on every path of that address.
///
/// ```no_run
/// use jsonrpc_runtime::Server;
///
/// # #[tokio::main]
/// # async fn main() -> std::io::Result<()> {
/// let server = Server::builder()
///     .max_body_size(64 * 1024)
///     .bind("127.0.0.1:0")
///     .await?;
/// println!("listening on {}", server.local_addr());
/// server.run_until(async { /* a shutdown signal */ }).await
/// # }
/// ```
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    dispatcher: Dispatcher,
    config: HttpConfig,
    websocket: WsConfig,
}

/// Configures a [`Server`].
pub struct ServerBuilder {
    pub(crate) dispatcher: DispatcherBuilder,
    config: HttpConfig,
    websocket: WsConfig,
    pub(crate) stream: crate::stream::StreamConfig,
}

#[derive(Clone, Copy)]
struct HttpConfig {
    max_body_size: usize,
    header_read_timeout: Duration,
    max_connections: usize,
}

impl Server {
    /// Starts configuring a server; by default it answers every registered method.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            dispatcher: Dispatcher::builder(),
            config: HttpConfig {
                max_body_size: DEFAULT_MAX_BODY_SIZE,
                header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
                max_connections: DEFAULT_MAX_CONNECTIONS,
            },
            websocket: WsConfig::default(),
            stream: crate::stream::StreamConfig::default(),
        }
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until Ctrl-C, then shuts down gracefully.
    pub async fn run(self) -> io::Result<()> {
        self.run_until(async {
            // If no signal handler can be installed, serve until the process is killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
    }

    /// Serves until `shutdown` completes, then stops accepting connections, lets the requests
    /// in flight finish, and returns.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let mut http = auto::Builder::new(TokioExecutor::new());
        http.http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.config.header_read_timeout);
        let graceful = GracefulShutdown::new();
        let rpc = RpcService::new(self.dispatcher.clone())
            .max_body_size(self.config.max_body_size)
            .websocket(self.websocket);
        let slots = Arc::new(Semaphore::new(self.config.max_connections));
        tokio::pin!(shutdown);
        loop {
            // At the connection limit, stop accepting: new clients wait in the listen queue.
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(connection) => connection,
                    Err(error) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // Small responses go out at once rather than waiting for Nagle's algorithm.
            let _ = stream.set_nodelay(true);
            let rpc = rpc.clone();
            let requested = Arc::new(AtomicBool::new(false));
            let requested_by_client = Arc::clone(&requested);
            let service = hyper::service::service_fn(move |request| {
                if !requested_by_client.load(Ordering::Relaxed) {
                    requested_by_client.store(true, Ordering::Relaxed);
                }
                let rpc = rpc.clone();
                async move { Ok::<_, Infallible>(rpc.handle(request, Some(peer)).await) }
            });
            let connection = http
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            let connection = graceful.watch(connection);
            let first_request_timeout = self.config.header_read_timeout;
            tokio::spawn(async move {
                tokio::pin!(connection);
                // hyper's header timeout starts only once the HTTP version is known, so a client
                // that sends nothing (or half of the HTTP/2 preface) would hold its slot forever:
                // such a connection is dropped when no request has begun within the timeout.
                // Once one has begun, the timer is dropped rather than polled on every wake-up.
                let mut deadline = Some(Box::pin(tokio::time::sleep(first_request_timeout)));
                let result = std::future::poll_fn(|cx| {
                    if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                        return Poll::Ready(result);
                    }
                    if requested.load(Ordering::Relaxed) {
                        deadline = None;
                    } else if let Some(timer) = &mut deadline {
                        if timer.as_mut().poll(cx).is_ready() {
                            tracing::debug!(%peer, "closing a connection that sent no request in time");
                            return Poll::Ready(Ok(()));
                        }
                    }
                    Poll::Pending
                })
                .await;
                if let Err(error) = result {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                drop(slot);
            });
        }
        drop(self.listener);
        // HTTP connections finish their requests; WebSocket connections, which hyper has handed
        // over, answer their calls in flight and close with 1001.
        tokio::join!(graceful.shutdown(), rpc.close_websockets());
        Ok(())
    }
}

impl ServerBuilder {
    /// Answers these methods instead of every registered one.
    pub fn methods(mut self, methods: Methods) -> Self {
        self.dispatcher = self.dispatcher.methods(methods);
        self
    }

    /// Gives methods that take [`State<T>`](crate::State) this value.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.dispatcher = self.dispatcher.state(value);
        self
    }

    /// Runs `middleware` around every call. See [`DispatcherBuilder::middleware`].
    pub fn middleware(mut self, middleware: impl crate::middleware::Middleware) -> Self {
        self.dispatcher = self.dispatcher.middleware(middleware);
        self
    }

    /// The largest request body accepted, in bytes; larger bodies get 413 Payload Too Large.
    /// Default: [`DEFAULT_MAX_BODY_SIZE`].
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// The largest number of connections served at once; further clients wait in the listen
    /// queue until a connection closes. Default: [`DEFAULT_MAX_CONNECTIONS`].
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.config.max_connections = connections.max(1);
        self
    }

    /// How WebSocket connections are run: limits, timeouts, keep-alive, allowed origins. See
    /// [`WsConfig`] for every default.
    pub fn websocket(mut self, config: WsConfig) -> Self {
        self.websocket = config;
        self
    }

    /// Makes the ids of new subscriptions; see [`WsConfig::subscription_ids`].
    pub fn subscription_ids(
        mut self,
        ids: impl Fn() -> crate::SubscriptionId + Send + Sync + 'static,
    ) -> Self {
        self.websocket = self.websocket.subscription_ids(ids);
        self
    }

    /// Serves the OpenRPC document as `rpc.discover`; see [`DispatcherBuilder::openrpc`].
    pub fn openrpc(mut self, info: crate::openrpc::Info) -> Self {
        self.dispatcher = self.dispatcher.openrpc(info);
        self
    }

    /// See [`DispatcherBuilder::max_batch_len`].
    pub fn max_batch_len(mut self, len: usize) -> Self {
        self.dispatcher = self.dispatcher.max_batch_len(len);
        self
    }

    /// See [`DispatcherBuilder::max_depth`].
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.dispatcher = self.dispatcher.max_depth(depth);
        self
    }

    /// See [`DispatcherBuilder::max_response_size`].
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.dispatcher = self.dispatcher.max_response_size(bytes);
        self
    }

    /// See [`DispatcherBuilder::max_concurrent_calls`].
    pub fn max_concurrent_calls(mut self, calls: usize) -> Self {
        self.dispatcher = self.dispatcher.max_concurrent_calls(calls);
        self
    }

    /// How long a client may take to send a request's headers before the connection is closed;
    /// a new connection that has not begun a request by then is closed too.
    /// Default: [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.header_read_timeout = timeout;
        self
    }

    /// Checks the methods and state (see [`DispatcherBuilder::build`]) and binds `addr`.
    ///
    /// A start-up error is returned as an [`io::Error`] of kind `InvalidInput` whose inner error
    /// is the [`StartupError`](crate::StartupError).
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<Server> {
        let dispatcher = self
            .dispatcher
            .build()
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Server {
            listener,
            local_addr,
            dispatcher,
            config: self.config,
            websocket: self.websocket,
        })
    }
}
