//! The engine of every long-lived connection, whatever its framing: read messages, answer them
//! concurrently, queue the answers. WebSocket ([`crate::ws`]) is the first transport on it;
//! the framing (frames, pings, close codes) stays in the transport.
//!
//! - Calls of one connection run concurrently, up to a cap: a slow call does not hold back the
//!   answer to a fast one sent after it, so answers may come out of order.
//! - At the cap, or while the outgoing queue is full, the engine stops reading: a client that
//!   sends faster than it reads slows itself down, and the server's memory stays bounded.
//! - When the client goes, calls still running are dropped (their futures are not polled
//!   again); on shutdown, and at the end of a byte stream's input, they are finished and
//!   answered first.
//! - A message that answers one of this side's own requests (sent through
//!   [`Peer`](crate::Peer)) goes to the request waiting for it, not to the dispatcher.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use futures_util::stream::FuturesUnordered;
use futures_util::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::method::context::RequestParts;
use crate::session::{MessageScope, Session};
use crate::Dispatcher;

/// What a transport read from its connection.
pub(crate) enum Inbound {
    /// One JSON-RPC message (a request, a notification or a batch).
    Message(Bytes),
    /// Something that only shows the peer is alive (a ping or pong frame).
    Alive,
    /// The peer broke the transport's rules: close the connection with this code and reason.
    Violation(u16, &'static str),
}

/// Why [`serve_messages`](Connection::serve_messages) returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The client closed the connection, or it broke.
    ClientGone,
    /// The server is shutting down; the calls in flight were answered.
    Shutdown,
    /// The input ended (a stream's end of file); the calls in flight were answered.
    InputEnded,
    /// The client broke the transport's rules.
    Violation(u16, &'static str),
}

/// One connection's fixed inputs.
pub(crate) struct Connection<'a> {
    pub(crate) dispatcher: &'a Dispatcher,
    pub(crate) parts: Arc<RequestParts>,
    pub(crate) session: Arc<Session>,
    /// The most calls (messages) answered at once.
    pub(crate) max_in_flight: usize,
    pub(crate) shutdown: CancellationToken,
    /// Whether the end of the input still lets answers out (a byte stream's half-close), so
    /// the calls in flight are finished; a WebSocket's end is the end of the connection.
    pub(crate) finish_on_end: bool,
}

type Answering = Pin<Box<dyn Future<Output = (MessageScope, Option<Vec<u8>>)> + Send>>;

impl Connection<'_> {
    /// Reads and answers messages until the client goes, breaks a rule, or the server shuts
    /// down.
    pub(crate) async fn serve_messages<S>(&self, mut incoming: S) -> Ending
    where
        S: Stream<Item = Inbound> + Unpin,
    {
        let mut running: FuturesUnordered<Answering> = FuturesUnordered::new();
        // Made once: each of these registers a waiter, which would cost a lock per message if
        // made afresh on every turn of the loop.
        let shutdown = self.shutdown.cancelled();
        tokio::pin!(shutdown);
        let writer_gone = self.session.outbox.closed();
        tokio::pin!(writer_gone);
        let ending = loop {
            tokio::select! {
                biased;
                Some((scope, answer)) = running.next(), if !running.is_empty() => {
                    if !self.queue(scope, answer).await {
                        break Ending::ClientGone;
                    }
                }
                () = &mut shutdown => break Ending::Shutdown,
                // The writer is gone (the client stopped reading, or the socket broke).
                () = &mut writer_gone => break Ending::ClientGone,
                inbound = incoming.next(), if running.len() < self.max_in_flight => match inbound {
                    Some(Inbound::Message(bytes)) => {
                        // An answer to one of this side's own requests (through `Peer`).
                        if self.session.calls.expects_replies() {
                            if let Some((id, reply)) = crate::session::read_reply(&bytes) {
                                if !self.session.calls.answer(id, reply) {
                                    tracing::debug!(id, "an answer came for no waiting request");
                                }
                                continue;
                            }
                        }
                        let mut answering = self.answer(bytes);
                        // Most calls complete at once: answer those without keeping them.
                        let polled = std::future::poll_fn(|cx| Poll::Ready(answering.as_mut().poll(cx))).await;
                        match polled {
                            Poll::Ready((scope, answer)) => {
                                if !self.queue(scope, answer).await {
                                    break Ending::ClientGone;
                                }
                            }
                            Poll::Pending => running.push(answering),
                        }
                    }
                    Some(Inbound::Alive) => {}
                    Some(Inbound::Violation(code, reason)) => break Ending::Violation(code, reason),
                    None if self.finish_on_end => break Ending::InputEnded,
                    None => break Ending::ClientGone,
                },
            }
        };
        if ending == Ending::InputEnded {
            // No answer to this side's own requests can come any more: the calls waiting for
            // one fail now rather than at their timeout.
            self.session.calls.close();
        }
        if matches!(ending, Ending::Shutdown | Ending::InputEnded) {
            while let Some((scope, answer)) = running.next().await {
                if !self.queue(scope, answer).await {
                    break;
                }
            }
        }
        ending
    }

    fn answer(&self, bytes: Bytes) -> Answering {
        let dispatcher = self.dispatcher.clone();
        let parts = Arc::clone(&self.parts);
        let scope = MessageScope::new(Arc::clone(&self.session));
        Box::pin(async move {
            let answer = dispatcher
                .dispatch_in(&bytes, Some(&parts), Some(&scope), None)
                .await;
            (scope, answer)
        })
    }

    /// Queues a message's answer, then lets the subscriptions it opened send; `false` once the
    /// connection's writer is gone.
    async fn queue(&self, scope: MessageScope, answer: Option<Vec<u8>>) -> bool {
        let queued = match answer {
            Some(bytes) => self.session.outbox.send(bytes).await.is_ok(),
            None => true,
        };
        scope.announce();
        queued
    }
}

/// Runs one write of a connection's writer within `timeout`; `false` when it failed or timed
/// out, which ends the connection (`transport` names it in the log: "WebSocket", "stream").
pub(crate) async fn write_within<E: std::fmt::Display>(
    transport: &'static str,
    timeout: std::time::Duration,
    write: impl Future<Output = Result<(), E>>,
) -> bool {
    match tokio::time::timeout(timeout, write).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::debug!(%error, "writing to a {transport} connection failed");
            false
        }
        Err(_) => {
            tracing::debug!(
                ?timeout,
                "closing a {transport} connection whose peer stopped reading"
            );
            false
        }
    }
}
