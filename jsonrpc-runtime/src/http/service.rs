//! JSON-RPC over HTTP as a `tower::Service`: the layer the built-in server runs, and what you
//! mount in an existing hyper, tower or axum application.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use http::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use http::{Method, Request, Response, StatusCode, Version};
use http_body::Body;
use http_body_util::{BodyExt, Full};

use std::sync::Arc;

use crate::http::config::{DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_SIZE};
use crate::http::host::AllowedHosts;
use crate::method::context::{PeerAddr, RequestParts};
use crate::method::handler::BoxFuture;
use crate::wire::budget::{Budget, Budgets, Held, Holding, OverBudget};
use crate::ws::{self, WsConfig, WsShared};
use crate::{Dispatcher, Error};

/// Answers JSON-RPC requests POSTed over HTTP, and WebSocket upgrades on the same path: a
/// [`tower_service::Service`] for any request body, so it mounts as an axum route, runs under
/// tower layers, or serves hyper connections.
///
/// A `GET` with `Upgrade: websocket` becomes a WebSocket connection (see [`crate::ws`]); in
/// axum, mount the service with `route_service` (every HTTP method) rather than
/// `post_service` to let upgrades through, and await [`RpcService::close_websockets`] when
/// the app shuts down. hyper connections must be served with upgrades enabled
/// (`serve_connection_with_upgrades`).
///
/// `POST` bodies are dispatched: 200 with `application/json`, or 204 when there is nothing to
/// send. Other methods get 405 with `Allow: POST`; a body over the size limit gets 413 without
/// the rest being read, and one that has not all arrived within the body-read timeout gets 408
/// (see [`RpcService::body_read_timeout`]). Bodies over 256 KiB are dispatched off the
/// runtime's workers, so that parsing them does not hold up other clients' calls. HTTP headers
/// and extensions reach the methods' context extractors ([`Headers`](crate::Headers),
/// [`Extension<T>`](crate::Extension)) and middleware.
///
/// ```no_run
/// use axum::{routing::{get, post_service}, Router};
/// use jsonrpc_runtime::{method, Dispatcher, RpcService};
///
/// #[method]
/// fn ping() -> &'static str { "pong" }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let rpc = RpcService::new(Dispatcher::builder().build()?);
/// let app = Router::new()
///     .route("/health", get(|| async { "ok" }))
///     .route("/rpc", post_service(rpc));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RpcService {
    // One reference for the whole service: `tower`'s `call` clones it for every request, and
    // each reference count is a cache line that every connection's thread writes.
    inner: Arc<Settings>,
}

/// What an [`RpcService`] answers with.
#[derive(Clone)]
struct Settings {
    dispatcher: Dispatcher,
    max_body_size: usize,
    body_read_timeout: Duration,
    memory_budget: Option<Arc<Budget>>,
    ws: Arc<WsShared>,
    allowed_hosts: Option<Arc<AllowedHosts>>,
}

impl RpcService {
    /// A service answering with `dispatcher`, with the default body limit
    /// ([`DEFAULT_MAX_BODY_SIZE`]).
    pub fn new(dispatcher: Dispatcher) -> Self {
        RpcService {
            inner: Arc::new(Settings {
                dispatcher,
                max_body_size: DEFAULT_MAX_BODY_SIZE,
                body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
                memory_budget: None,
                ws: Arc::new(WsShared::new(WsConfig::default())),
                allowed_hosts: None,
            }),
        }
    }

    /// Answers only requests whose `Host` header (over HTTP/2, `:authority`) names one of
    /// `hosts`; any other request, WebSocket upgrades included, gets 403 Forbidden before it is
    /// read. This is the defence against DNS rebinding for a server on a loopback address,
    /// which a web page on any site could otherwise reach through a name it points at
    /// `127.0.0.1`.
    ///
    /// An entry with a port (`localhost:5000`) matches that host and port; one without
    /// (`localhost`, `127.0.0.1`, `[::1]`) matches the host on any port, handy when the port is
    /// chosen at bind time or forwarded (`ssh -L`). Names compare without regard to case.
    ///
    /// Off by default: every `Host` is answered, as before. It cannot be on by itself, since
    /// the names a server is reached by (a proxy's `proxy_set_header Host`, a tunnel's local
    /// port, an `/etc/hosts` alias) are only known to whoever deploys it. When not set, it
    /// costs nothing per request; when set, one header look-up and a comparison per entry.
    ///
    /// ```
    /// # use jsonrpc_runtime::{Dispatcher, RpcService};
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let rpc = RpcService::new(Dispatcher::builder().build()?)
    ///     .allowed_hosts(["localhost", "127.0.0.1", "[::1]"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Arc::make_mut(&mut self.inner).allowed_hosts = Some(Arc::new(AllowedHosts::new(hosts)));
        self
    }

    /// Runs WebSocket connections with `config` (see [`WsConfig`] for the defaults).
    pub fn websocket(mut self, config: WsConfig) -> Self {
        Arc::make_mut(&mut self.inner).ws = Arc::new(WsShared::new(config));
        self
    }

    /// Closes every WebSocket connection of this service: each answers the calls it has in
    /// flight, then gets close code 1001; new upgrades get 503. Resolves once all have closed.
    ///
    /// The built-in [`Server`](crate::Server) does this when it shuts down. Behind axum or
    /// your own hyper loop, await it in your graceful shutdown: WebSocket connections have left
    /// the HTTP server's hands, so its own graceful shutdown does not wait for them.
    pub async fn close_websockets(&self) {
        self.inner.ws.shut_down().await;
    }

    /// Ends every WebSocket connection at once, dropping the calls still running: for a drain
    /// that has run out of time.
    pub async fn cut_websockets(&self) {
        self.inner.ws.cut().await;
    }

    /// The largest request body accepted, in bytes; larger bodies get 413.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        Arc::make_mut(&mut self.inner).max_body_size = bytes;
        self
    }

    /// How long a request's whole body may take to arrive once its headers have: a client that
    /// trickles its body gets 408 Request Timeout when it runs out (and, over HTTP/1.1, its
    /// connection closed) instead of holding its connection, and the memory read so far, for
    /// ever. Default [`DEFAULT_BODY_READ_TIMEOUT`] (10 s), which asks 1 MiB/s of a client
    /// sending a body of the default 10 MiB limit; raise it for big bodies over slow links.
    ///
    /// The timer starts only when the body is not already there with the headers, so small
    /// requests never arm one.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.inner).body_read_timeout = timeout;
        self
    }

    /// Caps the bytes of request bodies being read and answers waiting to be written, across
    /// every request of this service, at `bytes`; a request that would cross it gets 503 with
    /// `Retry-After` and a [`SERVER_BUSY`](crate::error::code::SERVER_BUSY) error, its body not
    /// buffered. Bodies and answers of 8 KiB or less are not counted (they cost no more than a
    /// connection's own buffers). Off by default for a service you mount yourself; the
    /// built-in [`Server`](crate::Server) sets one (see
    /// [`ServerBuilder::memory_budget`](crate::ServerBuilder::memory_budget)).
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        Arc::make_mut(&mut self.inner).memory_budget = Some(Budget::new(bytes));
        self
    }

    /// The largest WebSocket message: the configured one, or the body limit.
    fn max_message_size(&self) -> usize {
        self.inner
            .ws
            .config
            .max_message_size
            .unwrap_or(self.inner.max_body_size)
    }

    /// The dispatcher behind the service.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.inner.dispatcher
    }

    /// Answers one HTTP request. `peer` is the client's address when the caller knows it; else a
    /// [`PeerAddr`] in the request's extensions is used.
    pub async fn handle<B>(
        &self,
        request: Request<B>,
        peer: Option<SocketAddr>,
    ) -> Response<Full<Bytes>>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match self.admit(request, peer) {
            Admission::Call(admitted) => answer_admitted(self, admitted).await,
            Admission::Answered(response) => response,
        }
    }

    /// [`handle`](Self::handle) in two steps, for the built-in server: [`admit`](Self::admit)
    /// then [`answer_admitted`].
    ///
    /// The request is taken apart before anything awaits, so the future of its call holds
    /// only what the call needs: an `async fn` taking the whole `Request` keeps it (264 bytes,
    /// in every future it passes through, twice) for as long as it runs.
    #[inline]
    pub(crate) fn admit<B: Body>(
        &self,
        request: Request<B>,
        peer: Option<SocketAddr>,
    ) -> Admission<B> {
        if let Some(hosts) = &self.inner.allowed_hosts {
            if !hosts.allows(&request) {
                return Admission::Answered(forbidden_host());
            }
        }
        if ws::is_upgrade(&request) {
            let max_message_size = self.max_message_size();
            return Admission::Answered(ws::upgrade(
                request,
                peer,
                &self.inner.dispatcher,
                &self.inner.ws,
                max_message_size,
            ));
        }
        if request.method() != Method::POST {
            let mut response = plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "JSON-RPC requests must be POSTed\n",
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            return Admission::Answered(response);
        }
        // A declared length over the limit is refused before any of the body is read. hyper's
        // body knows its `Content-Length` (or an HTTP/2 stream's), already read and checked:
        // no header look-up and parse again.
        let size = request.body().size_hint();
        if size.lower() > self.inner.max_body_size as u64 {
            return Admission::Answered(too_large(self.inner.max_body_size));
        }
        let declared = size.exact();
        let http1 = request.version() <= Version::HTTP_11;
        let (head, body) = request.into_parts();
        let mut parts = RequestParts::from_http(head);
        if peer.is_some() {
            parts.peer = peer;
        }
        Admission::Call(Admitted {
            parts,
            body,
            declared: declared.and_then(|length| usize::try_from(length).ok()),
            http1,
        })
    }
}

/// Who answers an admitted request, and what becomes of its response: the service itself
/// ([`RpcService::handle`]), or the built-in server, which also counts the connection's calls.
///
/// The answerer is moved into the future that [`answer_admitted`] returns, so that this one
/// future is all a request needs: a future that awaited `answer_admitted`'s would keep what it
/// moved in (the admitted request, 200 bytes) beside it.
pub(crate) trait Answerer {
    /// What the future answers with.
    type Output;

    /// The service whose settings and dispatcher answer.
    fn service(&self) -> &RpcService;

    /// The connection's own memory budget, when it has one.
    fn connection_budget(&self) -> Option<&Arc<Budget>>;

    /// Turns the response into the output, once the call is over.
    fn finish(self, response: Response<Full<Bytes>>) -> Self::Output;
}

impl Answerer for &RpcService {
    type Output = Response<Full<Bytes>>;

    fn service(&self) -> &RpcService {
        self
    }

    fn connection_budget(&self) -> Option<&Arc<Budget>> {
        None
    }

    fn finish(self, response: Response<Full<Bytes>>) -> Self::Output {
        response
    }
}

/// Reads an admitted request's body and answers its call, counting against the answerer's
/// connection budget as well as the service's.
///
/// A function returning an `async` block rather than an `async fn`: an `async fn` keeps
/// its arguments twice in its future (rust-lang/rust#62958), and `admitted` is 200 bytes.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` would keep `admitted` twice"
)]
pub(crate) fn answer_admitted<'a, A, B>(
    answerer: A,
    admitted: Admitted<B>,
) -> impl Future<Output = A::Output> + 'a
where
    A: Answerer + 'a,
    B: Body + 'a,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // The fields are used in place: taken apart, they would be kept twice.
    async move {
        let response = 'answer: {
            let service = answerer.service();
            let budgets = Budgets {
                total: service.inner.memory_budget.as_ref(),
                connection: answerer.connection_budget(),
            };
            // Held until the call is over: the body is borrowed by the call.
            let mut held = Held::default();
            let http1 = admitted.http1;
            let reading = service.read_body(admitted.body, admitted.declared, &budgets, &mut held);
            let body = match reading.await {
                Ok(body) => body,
                Err(BodyError::TooLarge) => break 'answer too_large(service.inner.max_body_size),
                Err(BodyError::TimedOut) => {
                    break 'answer body_timed_out(service.inner.body_read_timeout, http1)
                }
                Err(BodyError::OverBudget) => break 'answer over_budget(http1, None),
                Err(BodyError::Read(error)) => {
                    tracing::debug!(%error, "reading a request body failed");
                    break 'answer plain(
                        StatusCode::BAD_REQUEST,
                        "the request body could not be read\n",
                    );
                }
            };
            // What a batch's answers hold while it runs; the response takes it over.
            let mut answer_held = Held::default();
            let holding = Holding {
                budgets,
                held: &mut answer_held,
            };
            let dispatching =
                service
                    .inner
                    .dispatcher
                    .dispatch_budgeted(&body, Some(&admitted.parts), holding);
            let answer = if body.len() > crate::http::heavy::HEAVY_BODY_BYTES {
                crate::http::heavy::off_worker(dispatching).await
            } else {
                dispatching.await
            };
            drop(held);
            match answer {
                Some(json) => {
                    let size = json.len();
                    let Ok(json) = budgets.answer(json, answer_held) else {
                        break 'answer over_budget(false, Some(size));
                    };
                    let mut response = Response::new(Full::new(json));
                    response
                        .headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    response
                }
                None => {
                    let mut response = Response::new(Full::new(Bytes::new()));
                    *response.status_mut() = StatusCode::NO_CONTENT;
                    response
                }
            }
        };
        answerer.finish(response)
    }
}
/// What [`RpcService::admit`] makes of a request.
pub(crate) enum Admission<B> {
    /// A `POST` to read and answer.
    Call(Admitted<B>),
    /// Answered from its head alone.
    Answered(Response<Full<Bytes>>),
}

/// A `POST` that [`RpcService::admit`] let through, taken apart: what its call needs.
pub(crate) struct Admitted<B> {
    parts: RequestParts,
    body: B,
    /// Its declared length (`Content-Length`, as the body's exact size hint), when it has one.
    declared: Option<usize>,
    http1: bool,
}

impl<B> tower_service::Service<Request<B>> for RpcService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let service = self.clone();
        let peer = request.extensions().get::<PeerAddr>().and_then(|p| p.0);
        Box::pin(async move { Ok(service.handle(request, peer).await) })
    }
}

/// Why a request body could not be read.
enum BodyError {
    /// Its data is longer than the limit.
    TooLarge,
    /// It did not all arrive within the body-read timeout.
    TimedOut,
    /// It does not fit the memory budget.
    OverBudget,
    /// The transport failed.
    Read(Box<dyn std::error::Error + Send + Sync>),
}

impl RpcService {
    /// Reads a whole body within the size limit, the body-read timeout and the budget (an
    /// `async` block, for the reason [`answer_admitted`] gives).
    #[allow(
        clippy::manual_async_fn,
        reason = "an `async fn` would keep its arguments twice"
    )]
    fn read_body<'a, B>(
        &'a self,
        body: B,
        declared: Option<usize>,
        budgets: &'a Budgets<'a>,
        held: &'a mut Held,
    ) -> impl Future<Output = Result<Bytes, BodyError>> + 'a
    where
        B: Body + 'a,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        async move {
            let reading = read_body(body, self.inner.max_body_size, declared, budgets, held);
            let mut reading = std::pin::pin!(reading);
            // Most bodies come with their headers: only a body still on its way arms a timer.
            let first = std::future::poll_fn(|cx| {
                Poll::Ready(std::future::Future::poll(reading.as_mut(), cx))
            })
            .await;
            match first {
                Poll::Ready(read) => read,
                Poll::Pending => tokio::time::timeout(self.inner.body_read_timeout, reading)
                    .await
                    .unwrap_or(Err(BodyError::TimedOut)),
            }
        }
    }
}

/// Reads a whole body of at most `limit` bytes of data (trailers are ignored), holding the memory
/// it takes in `held`. A body that comes in one piece, as most do, is kept as it is, without a
/// copy or a list of pieces. A body in pieces is joined in a buffer that grows by doubling but
/// never past the `declared` length, so that a body whose length is known ends in a buffer of
/// exactly its size, and what is held is what is allocated.
///
/// An `async` block, for the reason [`answer_admitted`] gives.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` would keep its arguments twice"
)]
fn read_body<'a, B>(
    body: B,
    limit: usize,
    declared: Option<usize>,
    budgets: &'a Budgets<'a>,
    held: &'a mut Held,
) -> impl Future<Output = Result<Bytes, BodyError>> + 'a
where
    B: Body + 'a,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    async move {
        let mut body = std::pin::pin!(body);
        let mut first: Option<Bytes> = None;
        let mut joined: Vec<u8> = Vec::new();
        let mut length = 0usize;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| BodyError::Read(error.into()))?;
            let Ok(mut data) = frame.into_data() else {
                continue;
            };
            length = length.saturating_add(data.remaining());
            if length > limit {
                return Err(BodyError::TooLarge);
            }
            if first.is_none() && joined.is_empty() {
                held.grow_to(budgets, length)
                    .map_err(|OverBudget| BodyError::OverBudget)?;
                first = Some(data.copy_to_bytes(data.remaining()));
                // A body whose declared length has all come is over: no poll to learn it.
                if body.is_end_stream() {
                    break;
                }
                continue;
            }
            if joined.capacity() < length {
                let room = (joined.capacity() * 2)
                    .max(length)
                    .min(declared.unwrap_or(usize::MAX).max(length));
                held.grow_to(budgets, room)
                    .map_err(|OverBudget| BodyError::OverBudget)?;
                joined.reserve_exact(room - joined.len());
            }
            if let Some(first) = first.take() {
                joined.extend_from_slice(&first);
            }
            joined.put(data);
        }
        Ok(match first {
            Some(first) => first,
            None => Bytes::from(joined),
        })
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// 403 for a `Host` the allow-list does not name.
#[cold]
fn forbidden_host() -> Response<Full<Bytes>> {
    plain(
        StatusCode::FORBIDDEN,
        "this server does not answer for that Host\n",
    )
}

/// 408 for a body that did not arrive in time. HTTP/1.1 closes the connection: the rest of the
/// body may still come, and would be read as the next request.
#[cold]
fn body_timed_out(timeout: Duration, http1: bool) -> Response<Full<Bytes>> {
    let error = Error::invalid_request().with_data(format!(
        "the request body did not arrive within {} ms",
        timeout.as_millis()
    ));
    let mut response = json_error(StatusCode::REQUEST_TIMEOUT, &error);
    if http1 {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// 503 for a request that does not fit the memory budget: its body (`close` the connection
/// when it is not read to its end), or, once the call has run, its answer of `answer` bytes,
/// which is not kept waiting for a client that may not read it.
#[cold]
fn over_budget(close: bool, answer: Option<usize>) -> Response<Full<Bytes>> {
    let mut error = Error::new(
        crate::error::code::SERVER_BUSY,
        "Server busy: over its memory budget, try again",
    );
    if let Some(size) = answer {
        error = error.with_data(format!(
            "the call ran, but its answer of {size} bytes does not fit the memory budget"
        ));
    }
    let mut response = json_error(StatusCode::SERVICE_UNAVAILABLE, &error);
    let headers = response.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
    if close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A response with `status` whose body is a JSON-RPC error response with a null id.
fn json_error(status: StatusCode, error: &Error) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(crate::wire::response::error(
        error, None,
    ))));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// 413, with a JSON-RPC error body a client can show.
#[cold]
fn too_large(limit: usize) -> Response<Full<Bytes>> {
    let error = Error::invalid_request().with_data(format!(
        "the request body is larger than the limit of {limit} bytes"
    ));
    json_error(StatusCode::PAYLOAD_TOO_LARGE, &error)
}
