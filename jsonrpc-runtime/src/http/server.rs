//! The HTTP server: hyper 1 on tokio, one task per connection, HTTP/1.1 and HTTP/2.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, ToSocketAddrs};

use crate::http::config::HttpConfig;
use crate::http::health::{Health, HealthConfig};
use crate::shutdown::{DrainConfig, Signals};
use crate::ws::WsConfig;
use crate::{Dispatcher, DispatcherBuilder, Methods};

/// Serves every registered method over HTTP at `addr` until SIGINT (Ctrl-C) or SIGTERM, then
/// drains (see [`crate::shutdown`]): the one-line server.
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
    pub(crate) listener: TcpListener,
    pub(crate) local_addr: SocketAddr,
    pub(crate) dispatcher: Dispatcher,
    pub(crate) config: HttpConfig,
    pub(crate) websocket: WsConfig,
    pub(crate) drain: DrainConfig,
    pub(crate) health: Option<Arc<Health>>,
    pub(crate) allowed_hosts: Option<Vec<String>>,
}

/// Configures a [`Server`].
pub struct ServerBuilder {
    pub(crate) dispatcher: DispatcherBuilder,
    pub(crate) config: HttpConfig,
    websocket: WsConfig,
    pub(crate) stream: crate::stream::StreamConfig,
    pub(crate) drain: DrainConfig,
    health: HealthConfig,
    allowed_hosts: Option<Vec<String>>,
}

impl Server {
    /// Starts configuring a server; by default it answers every registered method.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            dispatcher: Dispatcher::builder(),
            config: HttpConfig::default(),
            websocket: WsConfig::default(),
            stream: crate::stream::StreamConfig::default(),
            drain: DrainConfig::default(),
            health: HealthConfig::default(),
            allowed_hosts: None,
        }
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until SIGINT (Ctrl-C) or SIGTERM, or the signals chosen with
    /// [`ServerBuilder::shutdown_signals`], then drains: the health path answers 503, responses
    /// close their connections for the drain delay, the server stops accepting (once its accept
    /// queue is empty), the calls in flight finish within the drain timeout, WebSocket
    /// connections close with 1001, and it returns `Ok(())`. A second signal cuts the drain
    /// short. The [`shutdown`](crate::shutdown) module has the whole sequence.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use jsonrpc_runtime::Server;
    ///
    /// Server::builder()
    ///     .health("/health")
    ///     .drain_delay(Duration::from_secs(10))
    ///     .bind("0.0.0.0:5000")
    ///     .await?
    ///     .run()
    ///     .await // Ok once drained: the process exits with status 0
    /// # }
    /// ```
    ///
    /// The signal handlers are installed when `run` starts; if none can be, a warning is logged
    /// and the server serves until it is killed.
    pub async fn run(self) -> io::Result<()> {
        let (first, second, _listening) = self.drain.signals.listen().split();
        self.run_with(first, second).await
    }

    /// Serves until `shutdown` completes, then drains as [`run`](Server::run) does after a
    /// signal (the health path answers 503, the drain delay, the drain timeout) and returns.
    /// It listens for no signal.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use jsonrpc_runtime::Server;
    ///
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let server = Server::builder().bind("127.0.0.1:0").await?;
    /// let running = tokio::spawn(server.run_until(async move {
    ///     let _ = stopped.await;
    /// }));
    /// // ...
    /// let _ = stop.send(());
    /// running.await??;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        self.run_with(shutdown, std::future::pending()).await
    }

    async fn run_with(
        self,
        shutdown: impl Future<Output = ()>,
        force: impl Future<Output = ()>,
    ) -> io::Result<()> {
        tracing::info!(
            address = %self.local_addr,
            methods = self.dispatcher.methods().len(),
            "JSON-RPC server listening on http://{}/",
            self.local_addr
        );
        self.serve(shutdown, force).await
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
    /// Default: [`DEFAULT_MAX_BODY_SIZE`](crate::DEFAULT_MAX_BODY_SIZE).
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// The largest number of connections served at once. At the limit, a new connection makes
    /// the server close the connection that has been idle (no request in flight) for longest,
    /// as nginx does, and takes its place; when none is idle, the new client gets 503 and
    /// `Connection: close` at once rather than waiting in the listen queue. Default:
    /// [`DEFAULT_MAX_CONNECTIONS`](crate::DEFAULT_MAX_CONNECTIONS).
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

    /// How long a client may take to send a request's headers before the connection is closed
    /// (without an answer): counted from when a connection opens, and on a kept-alive HTTP/1.1
    /// connection from the end of its last call, so that a new connection that has not begun a
    /// request by then, or an idle HTTP/1.1 one, is closed too. A call in flight is not cut by
    /// it (the body-read and write timeouts cover that time).
    /// Default: [`DEFAULT_HEADER_READ_TIMEOUT`](crate::DEFAULT_HEADER_READ_TIMEOUT).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.header_read_timeout = timeout;
        self
    }

    /// The signals [`Server::run`] and [`StreamServer::run`](crate::stream::StreamServer::run)
    /// shut down on. Default: SIGINT and SIGTERM on Unix, Ctrl-C elsewhere ([`Signals`]).
    pub fn shutdown_signals(mut self, signals: Signals) -> Self {
        self.drain.signals = signals;
        self
    }

    /// How long the server keeps serving after the signal, answering 503 on the health path
    /// and closing each connection after its response, so that a load balancer stops sending
    /// here and retires its pooled connections. It ends early when no HTTP connection is open,
    /// unless a health path is set. Zero skips it. Default:
    /// [`DEFAULT_DRAIN_DELAY`](crate::shutdown::DEFAULT_DRAIN_DELAY) (5 s).
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.drain.delay = delay;
        self
    }

    /// How long the calls in flight may take to finish once the server has stopped accepting;
    /// the connections still open then are cut off. Default:
    /// [`DEFAULT_DRAIN_TIMEOUT`](crate::shutdown::DEFAULT_DRAIN_TIMEOUT) (20 s).
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain.timeout = timeout;
        self
    }

    /// Answers `GET` (and `HEAD`) on `path` with 200 `ok` while serving and 503 `draining`
    /// from the shutdown signal on, for a load balancer or an orchestrator to poll; on the same
    /// port as the calls, before any other handling (other methods on `path` get 405). Off by
    /// default. With [`readiness`](ServerBuilder::readiness), 503 `not ready` when the check
    /// fails.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// jsonrpc_runtime::Server::builder()
    ///     .health("/health") // curl -i http://127.0.0.1:5000/health
    ///     .bind("127.0.0.1:5000")
    ///     .await?
    ///     .run()
    ///     .await
    /// # }
    /// ```
    pub fn health(mut self, path: impl Into<String>) -> Self {
        self.health.path(path.into());
        self
    }

    /// A check run on every health request while serving: `false` answers 503 `not ready`
    /// (the database is down, a cache is still warming). It turns the health check on at
    /// [`DEFAULT_HEALTH_PATH`](crate::DEFAULT_HEALTH_PATH) (`/health`) unless
    /// [`health`](ServerBuilder::health) names another path. Keep it quick: balancers time
    /// their checks out.
    ///
    /// ```no_run
    /// # async fn db_ok() -> bool { true }
    /// # async fn run() -> std::io::Result<()> {
    /// jsonrpc_runtime::Server::builder()
    ///     .health("/health")
    ///     .readiness(|| async { db_ok().await })
    ///     .bind("127.0.0.1:5000")
    ///     .await?
    ///     .run()
    ///     .await
    /// # }
    /// ```
    pub fn readiness<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.health.readiness(check);
        self
    }

    /// Answers only requests whose `Host` (over HTTP/2, `:authority`) names one of `hosts`;
    /// others, WebSocket upgrades included, get 403 Forbidden. The defence against DNS
    /// rebinding for a server bound to loopback; see [`RpcService::allowed_hosts`](crate::RpcService::allowed_hosts)
    /// for how entries match. The health path is not checked (a balancer's probe may name any
    /// host). Off by default.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// jsonrpc_runtime::Server::builder()
    ///     // any port: also right behind `ssh -L 8080:localhost:5000`
    ///     .allowed_hosts(["localhost", "127.0.0.1", "[::1]"])
    ///     .bind("127.0.0.1:5000")
    ///     .await?
    ///     .run()
    ///     .await
    /// # }
    /// ```
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allowed_hosts = Some(
            hosts
                .into_iter()
                .map(|host| host.as_ref().to_owned())
                .collect(),
        );
        self
    }

    /// Checks the methods and state (see [`DispatcherBuilder::build`]) and binds `addr`.
    ///
    /// A start-up error is returned as an [`io::Error`] of kind `InvalidInput` whose inner error
    /// is the [`StartupError`](crate::StartupError). An address that cannot be bound (in use,
    /// say) is an [`io::Error`] of the system's kind whose message names the address. Both
    /// print as a sentence, in `Display` and in `Debug` form (what `fn main() ->
    /// std::io::Result<()>` prints).
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<Server> {
        let dispatcher = self
            .dispatcher
            .build()
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        let listener = listen(addr, self.config.listen_backlog).await?;
        let local_addr = listener.local_addr()?;
        Ok(Server {
            listener,
            local_addr,
            dispatcher,
            config: self.config,
            websocket: self.websocket,
            drain: self.drain,
            health: self.health.build(),
            allowed_hosts: self.allowed_hosts,
        })
    }
}

/// Binds the first address `addr` resolves to that can be bound, with a listen queue of
/// `backlog`; the error names the address.
async fn listen(addr: impl ToSocketAddrs, backlog: u32) -> io::Result<TcpListener> {
    let addrs = tokio::net::lookup_host(addr).await.map_err(|error| {
        crate::error::BindError::io_error(
            "the address given (it does not resolve)".to_owned(),
            error,
        )
    })?;
    let mut last = None;
    for addr in addrs {
        match bind_with_backlog(addr, backlog) {
            Ok(listener) => return Ok(listener),
            Err(error) => last = Some((addr, error)),
        }
    }
    Err(match last {
        Some((addr, error)) => crate::error::BindError::io_error(addr.to_string(), error),
        None => crate::error::BindError::io_error(
            "the address given".to_owned(),
            io::Error::new(io::ErrorKind::InvalidInput, "it resolves to no address"),
        ),
    })
}

/// What `TcpListener::bind` does (`SO_REUSEADDR` on Unix, as std sets it), with the listen
/// queue's length chosen.
fn bind_with_backlog(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}
