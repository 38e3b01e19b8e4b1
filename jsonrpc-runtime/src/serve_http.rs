//! Running a bound [`Server`]: the accept loop, and the drain of [`crate::shutdown`].

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONNECTION};
use http::{Request, Response, StatusCode, Version};
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::task::TaskTracker;

use crate::health::Health;
use crate::shutdown::{drive, ConnInfo, Phase, Phases};
use crate::{RpcService, Server};

/// How often the drain delay checks whether any connection is still open.
const IDLE_CHECK: Duration = Duration::from_millis(20);

/// What every connection's service shares.
struct Front {
    rpc: RpcService,
    health: Option<Arc<Health>>,
    phases: Arc<Phases>,
}

impl Front {
    async fn answer(
        &self,
        request: Request<hyper::body::Incoming>,
        peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        let http1 = request.version() <= Version::HTTP_11;
        let mut response = match &self.health {
            Some(health) if health.is_for(&request) => {
                health
                    .answer(request.method(), self.phases.is_draining())
                    .await
            }
            _ => self.rpc.handle(request, Some(peer)).await,
        };
        // Read when the answer is ready, so that a call that began before the signal also
        // retires its connection.
        if http1
            && self.phases.is_draining()
            && response.status() != StatusCode::SWITCHING_PROTOCOLS
        {
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

impl Server {
    /// Serves until `shutdown`, then drains; `force` cuts the drain short.
    pub(crate) async fn serve(
        self,
        shutdown: impl Future<Output = ()>,
        force: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let mut http = auto::Builder::new(TokioExecutor::new());
        http.http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.config.header_read_timeout);
        let mut rpc = RpcService::new(self.dispatcher.clone())
            .max_body_size(self.config.max_body_size)
            .websocket(self.websocket.clone());
        if let Some(hosts) = &self.allowed_hosts {
            rpc = rpc.allowed_hosts(hosts);
        }
        let front = Arc::new(Front {
            rpc: rpc.clone(),
            health: self.health.clone(),
            phases: Arc::new(Phases::new()),
        });
        let connections = Connections {
            http,
            front: Arc::clone(&front),
            tracker: TaskTracker::new(),
            first_request_timeout: self.config.header_read_timeout,
        };
        let slots = Arc::new(Semaphore::new(self.config.max_connections));
        let listener = self.listener;
        let drain = self.drain;
        tokio::pin!(shutdown, force);

        // Serving.
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = accept(&listener, &slots) => connections.start(accepted).await,
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
                accepted = accept(&listener, &slots) => connections.start(accepted).await,
            }
        }

        // Stop accepting, but first serve what waits in the accept queue.
        let queued = accept_queued(listener, |stream, peer| {
            connections.spawn(stream, peer, None)
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

/// The server's HTTP connections.
struct Connections {
    http: auto::Builder<TokioExecutor>,
    front: Arc<Front>,
    tracker: TaskTracker,
    first_request_timeout: Duration,
}

type Accepted = io::Result<(TcpStream, SocketAddr, Option<OwnedSemaphorePermit>)>;

impl Connections {
    async fn start(&self, accepted: Accepted) {
        match accepted {
            Ok((stream, peer, slot)) => self.spawn(stream, peer, slot),
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    fn spawn(&self, stream: TcpStream, peer: SocketAddr, slot: Option<OwnedSemaphorePermit>) {
        // Small responses go out at once rather than waiting for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let info = Arc::new(ConnInfo::default());
        let front = Arc::clone(&self.front);
        let requests = Arc::clone(&info);
        let service = hyper::service::service_fn(move |request: Request<_>| {
            requests.on_request(request.version());
            let front = Arc::clone(&front);
            async move { Ok::<_, Infallible>(front.answer(request, peer).await) }
        });
        let connection = self
            .http
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let phases = Arc::clone(&self.front.phases);
        let first_request_timeout = self.first_request_timeout;
        self.tracker.spawn(async move {
            drive(connection, &info, &phases, first_request_timeout, peer).await;
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

/// The next connection, once a slot is free: at the connection limit, new clients wait in the
/// listen queue.
async fn accept(listener: &TcpListener, slots: &Arc<Semaphore>) -> Accepted {
    let slot = Arc::clone(slots)
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    let (stream, peer) = listener.accept().await?;
    Ok((stream, peer, Some(slot)))
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
