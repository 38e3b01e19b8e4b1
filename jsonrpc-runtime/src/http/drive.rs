//! One HTTP connection through the phases of a shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

use super::head_deadline::HeadDeadline;
use super::idle::ConnInfo;
use crate::shutdown::{Phase, Phases};

/// How long a connection that has not begun a request when the server stops accepting may take
/// to begin one (it may have been waiting in the accept queue, its request on the way).
const QUIET_CONNECTION_GRACE: Duration = Duration::from_secs(1);

/// A connection that can be asked to finish what it has begun and close.
pub(crate) trait Graceful: Future<Output = Result<(), Self::Error>> {
    /// Why the connection failed.
    type Error: std::fmt::Display;

    /// Starts closing: HTTP/1.1 after the request in flight, HTTP/2 with GOAWAY.
    fn graceful_shutdown(self: std::pin::Pin<&mut Self>);
}

/// Whether the server should start closing the connection in `phase`: one asked to close
/// (idle past the timeout, or shed at the connection limit) at any time; HTTP/2 from the
/// signal on (GOAWAY; HTTP/1.1 answers `Connection: close` instead, and idle HTTP/1.1
/// connections are left open for the delay); every connection once the server stops
/// accepting, except one that has not begun a request yet.
fn should_close(info: &ConnInfo, phase: Phase) -> bool {
    info.is_shed()
        || match phase {
            Phase::Serving => false,
            Phase::Draining => info.is_http2(),
            Phase::Stopping | Phase::Cut => info.requested(),
        }
}

/// Serves `connection` to its end, following the server's phase.
///
/// It also keeps the header-read timeout ([`HeadDeadline`]; hyper's is off): a connection that
/// has not begun a request within `header_read_timeout` of opening (one that sends nothing, or
/// half of the HTTP/2 preface), or an HTTP/1.1 connection that has not begun its next one
/// within it of its last answer, is dropped. HTTP/2 has no heads to wait for between its
/// streams (the idle timeout closes a quiet one): once it has begun a request, the timer goes.
pub(crate) async fn drive<C>(
    connection: C,
    info: &ConnInfo,
    phases: &Phases,
    header_read_timeout: Duration,
    peer: SocketAddr,
) where
    C: Graceful,
{
    let mut connection = pin!(connection);
    let mut watch = phases.watch();
    let mut deadline = Some(HeadDeadline::new(header_read_timeout));
    let mut closing = false;
    let mut grace_given = false;
    let result = std::future::poll_fn(|cx| {
        let phase = watch.poll(cx);
        info.register_driver(cx.waker());
        if phase == Phase::Cut {
            tracing::debug!(%peer, "cutting a connection off at the drain timeout");
            return Poll::Ready(Ok(()));
        }
        if phase >= Phase::Stopping && !grace_given {
            grace_given = true;
            if let Some(deadline) = &mut deadline {
                deadline.limit(Instant::now() + QUIET_CONNECTION_GRACE);
            }
        }
        if info.is_shed() && !info.requested() {
            // Nothing begun, nothing to finish: a quiet connection just goes.
            return Poll::Ready(Ok(()));
        }
        loop {
            if !closing && should_close(info, phase) {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            // A request may have begun in that poll, and this phase close its connection.
            if closing || !should_close(info, phase) {
                break;
            }
        }
        if info.requested() && info.is_http2() {
            deadline = None;
        } else if let Some(head) = &mut deadline {
            if head.poll_expired(cx, info) {
                if info.requested() {
                    tracing::debug!(%peer, "closing a connection: no request head in time");
                } else {
                    tracing::debug!(%peer, "closing a connection that sent no request in time");
                }
                return Poll::Ready(Ok(()));
            }
        }
        Poll::Pending
    })
    .await;
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}
