//! Running a bound [`Server`]: the accept loop, and the drain of [`crate::shutdown`].

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::Either;
use http::header::{HeaderValue, CONNECTION};
use http::{Method, Request, Response, StatusCode, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::task::TaskTracker;

use crate::http::config::HttpConfig;
use crate::http::detect::{Builders, Connection};
use crate::http::drive::drive;
use crate::http::health::Health;
use crate::http::idle::{CallInFlight, ConnInfo, Registry};
use crate::http::service::{answer_admitted, Admission, Admitted, Answerer};
use crate::shutdown::{Phase, Phases};
use crate::wire::budget::Budget;
use crate::{RpcService, Server};

/// How often the drain delay checks whether any connection is still open.
const IDLE_CHECK: Duration = Duration::from_millis(20);

/// How long a connection over the limit waits for the idle one it displaced to close.
const DISPLACE_WAIT: Duration = Duration::from_secs(1);

/// How many connections over the limit may be waiting or being refused at once; beyond that
/// they are closed at once.
const MAX_OVER_LIMIT: usize = 1024;

/// The largest read buffer of an HTTP/1.1 connection.
const HTTP1_READ_BUFFER: usize = 64 * 1024;

/// How long a refused connection is given to read its 503.
const REFUSE_WAIT: Duration = Duration::from_secs(1);

/// What every connection's service shares. Each connection has its own copy, so that the
/// reference each request takes is counted on a cache line no other connection writes.
#[derive(Clone)]
struct Front {
    rpc: RpcService,
    health: Option<Arc<Health>>,
    phases: Arc<Phases>,
}

/// A request as [`Front::begin`] leaves it.
enum Begun {
    /// Answered without its body.
    Answered(Response<Full<Bytes>>),
    /// For the health check, with this method.
    Health(Arc<Health>, Method),
    /// A call to read and answer.
    Call(Admitted<Incoming>),
}

impl Front {
    /// What `request` is, told without awaiting, so that the future answering it does not
    /// keep the whole request (see [`RpcService::admit`]). Also whether it is HTTP/1.
    #[inline]
    fn begin(&self, request: Request<Incoming>, peer: SocketAddr) -> (Begun, bool) {
        let http1 = request.version() <= Version::HTTP_11;
        let begun = match &self.health {
            Some(health) if health.is_for(&request) => {
                Begun::Health(Arc::clone(health), request.method().clone())
            }
            _ => match self.rpc.admit(request, Some(peer)) {
                Admission::Call(admitted) => Begun::Call(admitted),
                Admission::Answered(response) => Begun::Answered(response),
            },
        };
        (begun, http1)
    }

    /// Answers a request [`begin`](Self::begin) has told, then ends its call: the future hyper
    /// runs for the request. A call is answered by [`answer_admitted`]'s own future, which
    /// holds the connection's reference and the call (see [`Answerer`]); the rest by a small
    /// `async` block.
    fn answer(
        self: Arc<Self>,
        begun: Begun,
        http1: bool,
        call: CallInFlight,
    ) -> impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static {
        let answerer = FrontCall {
            front: self,
            call,
            http1,
        };
        match begun {
            Begun::Call(admitted) => Either::Left(answer_admitted(answerer, admitted)),
            Begun::Answered(response) => {
                Either::Right(Either::Left(std::future::ready(answerer.finish(response))))
            }
            Begun::Health(health, method) => Either::Right(Either::Right(async move {
                let draining = answerer.front.phases.is_draining();
                let response = health.answer(&method, draining).await;
                answerer.finish(response)
            })),
        }
    }
}

/// A request of one of the server's connections, as its answer's future holds it.
struct FrontCall {
    front: Arc<Front>,
    /// Counts the request as in flight on its connection until the answer is ready.
    call: CallInFlight,
    http1: bool,
}

impl Answerer for FrontCall {
    type Output = Result<Response<Full<Bytes>>, Infallible>;

    fn service(&self) -> &RpcService {
        &self.front.rpc
    }

    fn connection_budget(&self) -> Option<&Arc<Budget>> {
        self.call.budget()
    }

    fn finish(self, mut response: Response<Full<Bytes>>) -> Self::Output {
        drop(self.call);
        // Read when the answer is ready, so that a call that began before the signal also
        // retires its connection.
        if self.http1
            && self.front.phases.is_draining()
            && response.status() != StatusCode::SWITCHING_PROTOCOLS
        {
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        Ok(response)
    }
}

impl Server {
    /// Serves until `shutdown`, then drains; `force` cuts the drain short.
    pub(crate) async fn serve(
        self,
        shutdown: impl Future<Output = ()>,
        force: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let http = Arc::new(http_builder(&self.config));
        let mut rpc = RpcService::new(self.dispatcher.clone())
            .max_body_size(self.config.max_body_size)
            .body_read_timeout(self.config.body_read_timeout)
            .websocket(self.websocket.clone());
        if let Some(bytes) = self.config.memory_budget {
            rpc = rpc.memory_budget(bytes);
        }
        if let Some(hosts) = &self.allowed_hosts {
            rpc = rpc.allowed_hosts(hosts);
        }
        let front = Arc::new(Front {
            rpc: rpc.clone(),
            health: self.health.clone(),
            phases: Arc::new(Phases::new()),
        });
        let registry = Arc::new(Registry::default());
        let _sweeper = registry.sweep(self.config.idle_timeout);
        let connections = Connections {
            http,
            front: Arc::clone(&front),
            tracker: TaskTracker::new(),
            registry,
            slots: Arc::new(Semaphore::new(self.config.max_connections)),
            over_limit: Arc::new(Semaphore::new(MAX_OVER_LIMIT)),
            config: self.config,
        };
        let listener = self.listener;
        let drain = self.drain;
        tokio::pin!(shutdown, force);

        // Serving.
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => connections.start(accepted).await,
            }
        }
        front.phases.set(Phase::Draining);
        tracing::info!(
            delay = ?drain.delay,
            "shutting down: health answers 503, responses close their connections"
        );

        // The drain delay: serving still, until it passes or (without a health path) no
        // connection is left.
        let delay = tokio::time::sleep(drain.delay);
        tokio::pin!(delay);
        let early_end = front.health.is_none();
        let mut idle_check = tokio::time::interval(IDLE_CHECK);
        loop {
            tokio::select! {
                biased;
                () = &mut force => {
                    rpc.cut_websockets().await;
                    return connections.cut("a second signal came").await;
                }
                () = &mut delay => break,
                _ = idle_check.tick(), if early_end => {
                    if connections.tracker.is_empty() {
                        break;
                    }
                }
                accepted = listener.accept() => connections.start(accepted).await,
            }
        }

        // Stop accepting, but first serve what waits in the accept queue.
        let queued = accept_queued(listener, |stream, peer| {
            connections.spawn(stream, peer, None);
        });
        if queued > 0 {
            tracing::debug!(queued, "accepted the connections left in the accept queue");
        }
        front.phases.set(Phase::Stopping);
        connections.tracker.close();
        tracing::info!(
            connections = connections.tracker.len(),
            timeout = ?drain.timeout,
            "stopped accepting; finishing the calls in flight"
        );
        // HTTP connections finish their requests; WebSocket connections, which hyper has handed
        // over, answer their calls in flight and close with 1001.
        let finished = async {
            tokio::join!(connections.tracker.wait(), rpc.close_websockets());
        };
        tokio::select! {
            biased;
            () = &mut force => {
                rpc.cut_websockets().await;
                return connections.cut("a second signal came").await;
            }
            () = tokio::time::sleep(drain.timeout) => {
                rpc.cut_websockets().await;
                return connections.cut("the drain timeout passed").await;
            }
            () = finished => {}
        }
        tracing::info!("shut down");
        Ok(())
    }
}

/// hyper's connection settings: HTTP/1.1 and HTTP/2 on one port, with the configured timers.
fn http_builder(config: &HttpConfig) -> Builders {
    let mut http1 = http1::Builder::new();
    // hyper's read buffer grows to 400 KiB while a body streams in, per connection and
    // outside the memory budget (200 connections sending bodies: 80 MB); 64 KiB still holds
    // any request head and reads a body in few calls.
    // The header-read timeout is the connection driver's (`HeadDeadline`): hyper's costs a
    // timer per request.
    http1
        .header_read_timeout(None)
        .max_buf_size(HTTP1_READ_BUFFER);
    let mut http2 = http2::Builder::new(TokioExecutor::new());
    http2
        .timer(TokioTimer::new())
        .max_concurrent_streams(config.http2_max_streams);
    if let Some((interval, timeout)) = config.http2_keep_alive {
        http2
            .keep_alive_interval(Some(interval))
            .keep_alive_timeout(timeout);
    }
    Builders {
        http1,
        http2,
        write_timeout: config.write_timeout,
    }
}

/// The server's HTTP connections.
#[derive(Clone)]
struct Connections {
    http: Arc<Builders>,
    front: Arc<Front>,
    tracker: TaskTracker,
    registry: Arc<Registry>,
    /// One permit per connection served.
    slots: Arc<Semaphore>,
    /// One permit per connection over the limit being handled.
    over_limit: Arc<Semaphore>,
    config: HttpConfig,
}

impl Connections {
    async fn start(&self, accepted: io::Result<(TcpStream, SocketAddr)>) {
        match accepted {
            Ok((stream, peer)) => match Arc::clone(&self.slots).try_acquire_owned() {
                Ok(slot) => self.spawn(stream, peer, Some(slot)),
                Err(_) => self.over_limit(stream, peer),
            },
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// A connection beyond the limit: it takes the place of the connection idle for longest,
    /// or, with none idle, gets 503 at once rather than a wait in the listen queue.
    fn over_limit(&self, stream: TcpStream, peer: SocketAddr) {
        let Ok(handling) = Arc::clone(&self.over_limit).try_acquire_owned() else {
            tracing::debug!(%peer, "closing a connection: far over the connection limit");
            return;
        };
        let displaced = self.registry.shed_idlest();
        let connections = self.clone();
        self.tracker.spawn(async move {
            if displaced {
                let slot = Arc::clone(&connections.slots).acquire_owned();
                if let Ok(Ok(slot)) = tokio::time::timeout(DISPLACE_WAIT, slot).await {
                    drop(handling);
                    connections.spawn(stream, peer, Some(slot));
                    return;
                }
            }
            tracing::debug!(%peer, "refusing a connection: at the connection limit, none idle");
            refuse(stream).await;
            drop(handling);
        });
    }

    fn spawn(&self, stream: TcpStream, peer: SocketAddr, slot: Option<OwnedSemaphorePermit>) {
        // Small responses go out at once rather than waiting for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let budget = self.config.connection_memory_budget.map(Budget::new);
        let info = Arc::new(ConnInfo::new(budget));
        let listed = self.registry.enter(Arc::clone(&info));
        let front = Arc::new(Front::clone(&self.front));
        let calls = Arc::clone(&info);
        let service = hyper::service::service_fn(move |request: Request<_>| {
            let call = calls.call_began(request.version());
            let (begun, http1) = front.begin(request, peer);
            // Boxed: hyper keeps room for one request's future in every connection for as
            // long as it is open; boxed, an idle connection keeps only a pointer's room.
            Box::pin(Arc::clone(&front).answer(begun, http1, call))
        });
        let connection = Connection::new(stream, service, Arc::clone(&self.http));
        let phases = Arc::clone(&self.front.phases);
        let header_read_timeout = self.config.header_read_timeout;
        self.tracker.spawn(async move {
            drive(connection, &info, &phases, header_read_timeout, peer).await;
            drop(listed);
            drop(slot);
        });
    }

    /// Drops every connection still open, and returns.
    async fn cut(&self, why: &str) -> io::Result<()> {
        let open = self.tracker.len();
        if open > 0 {
            tracing::warn!(
                connections = open,
                "{why}: cutting off the connections left"
            );
        } else {
            tracing::warn!("{why}: shutting down at once");
        }
        self.front.phases.set(Phase::Cut);
        self.tracker.close();
        // Each task ends at its next poll, which the phase change has woken.
        self.tracker.wait().await;
        Ok(())
    }
}

/// Answers a connection the server has no room for: 503, `Connection: close`, then a moment
/// for the client to read it before the socket closes (closing with its request unread would
/// reset the connection and lose the answer).
async fn refuse(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let error = crate::Error::new(
        crate::error::code::SERVER_BUSY,
        "Server busy: at its connection limit, try again",
    );
    let body = crate::wire::response::error(&error, None);
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let answered = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut read = 0;
        // Until the client closes, or has sent more than a request's headers.
        while read < 64 * 1024 {
            match stream.read(&mut sink).await? {
                0 => break,
                n => read += n,
            }
        }
        io::Result::Ok(())
    };
    let _ = tokio::time::timeout(REFUSE_WAIT, answered).await;
}

/// Accepts every connection waiting in the kernel's accept queue (with no regard for the
/// connection limit), then closes the listener. Returns how many were accepted; they are
/// handed back through `spawn`.
fn accept_queued(listener: TcpListener, mut spawn: impl FnMut(TcpStream, SocketAddr)) -> usize {
    // tokio's own `accept` trusts the readiness it last saw and could miss a connection that
    // just arrived; the system's non-blocking accept asks the kernel.
    let listener = match listener.into_std() {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, "cannot drain the accept queue");
            return 0;
        }
    };
    let mut accepted = 0;
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                let stream = stream
                    .set_nonblocking(true)
                    .and_then(|()| TcpStream::from_std(stream));
                match stream {
                    Ok(stream) => {
                        accepted += 1;
                        spawn(stream, peer);
                    }
                    Err(error) => tracing::debug!(%error, "a queued connection failed"),
                }
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                tracing::warn!(%error, "draining the accept queue failed");
                break;
            }
        }
    }
    accepted
}
