//! One connection over a byte stream (stdin/stdout, a TCP or Unix socket, a child's pipes): the
//! framing's decoder feeds the connection engine, a writer task encodes what is queued.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

use super::framing::{Codec, FrameError};
use super::{Framing, StreamConfig};
use crate::connection::{write_within, Connection, Ending, Inbound};
use crate::method::context::RequestParts;
use crate::session::{outbox, Inbox, Outgoing, Session};
use crate::{Dispatcher, Error};

/// How long a closing connection waits for its writer to send what is queued.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Why the engine stopped reading a stream, as the engine's "violation" codes: the first two
/// are answered with an error response before the connection closes.
const TOO_LONG: u16 = 1009;
const BAD_FRAMING: u16 = 1002;
const TRUNCATED: u16 = 1000;

/// What the end of a stream's input means.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputEnd {
    /// The normal end of a session (stdin): the calls in flight are answered first.
    FinishCalls,
    /// The peer has gone (a socket: TCP cannot tell a half-close from a close): the calls in
    /// flight are dropped.
    DropCalls,
}

/// Sets up a connection over `reader` and `writer`: its session (for a [`Peer`](crate::Peer) on
/// this side) and the future that runs it until it closes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn start<R, W>(
    reader: R,
    writer: W,
    dispatcher: Dispatcher,
    parts: RequestParts,
    config: &StreamConfig,
    framing: Framing,
    input_end: InputEnd,
    shutdown: CancellationToken,
) -> (Arc<Session>, impl Future<Output = ()> + Send + 'static)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (outbox, inbox) = outbox(config.queue_messages, config.queue_bytes);
    let session = Arc::new(Session::new(
        outbox.clone(),
        config.max_subscriptions,
        Arc::clone(&config.subscription_ids),
    ));
    let config = config.clone();
    let running = Arc::clone(&session);
    let run = async move {
        let session = running;
        let frames = FramedWrite::new(writer, Codec::new(framing, config.max_message_size));
        let mut writer = tokio::spawn(write(
            frames,
            inbox,
            config.write_timeout,
            session.gone.clone(),
        ));
        let mut stopped = false;
        let incoming = FramedRead::new(reader, Codec::new(framing, config.max_message_size))
            .map(inbound)
            // Nothing is read after a framing error: the stream's position is lost.
            .take_while(move |item| {
                let go_on = !stopped;
                stopped |= matches!(item, Inbound::Violation(..));
                std::future::ready(go_on)
            });
        let connection = Connection {
            dispatcher: &dispatcher,
            parts: Arc::new(parts),
            session: Arc::clone(&session),
            max_in_flight: config.max_in_flight,
            shutdown,
            finish_on_end: input_end == InputEnd::FinishCalls,
        };
        let ending = connection.serve_messages(Box::pin(incoming)).await;
        drop(connection);
        if let Ending::Violation(code, reason) = ending {
            tracing::debug!(reason, "closing a stream connection");
            let error = match code {
                TOO_LONG => Some(Error::invalid_request().with_data(reason)),
                BAD_FRAMING => Some(Error::parse_error().with_data(reason)),
                _ => None,
            };
            if let Some(error) = error {
                let _ = outbox
                    .send(crate::wire::response::error(&error, None))
                    .await;
            }
        }
        outbox.close(1000, "").await;
        drop(outbox);
        session.close();
        if tokio::time::timeout(CLOSE_GRACE, &mut writer)
            .await
            .is_err()
        {
            writer.abort();
        }
    };
    (session, run)
}

fn inbound(frame: Result<bytes::Bytes, FrameError>) -> Inbound {
    match frame {
        Ok(message) => Inbound::Message(message),
        Err(FrameError::TooLong { .. }) => {
            Inbound::Violation(TOO_LONG, "a message is longer than the size limit")
        }
        Err(FrameError::Invalid(reason)) => Inbound::Violation(BAD_FRAMING, reason),
        // The input ended: what came before is answered; the broken last message is not.
        Err(FrameError::Truncated) => {
            tracing::debug!("a stream's input ended in the middle of a message");
            Inbound::Alive
        }
        Err(FrameError::Io(_)) => Inbound::Violation(TRUNCATED, "reading failed"),
    }
}

/// The writer: encodes queued messages, flushing whenever the queue is empty; gives up on a
/// peer that takes no bytes within the write timeout.
async fn write<W>(
    mut frames: FramedWrite<W, Codec>,
    mut inbox: Inbox,
    timeout: Duration,
    gone: CancellationToken,
) where
    W: AsyncWrite + Unpin,
{
    // Made once, not on every turn: it registers a waiter.
    let gone_now = gone.cancelled();
    tokio::pin!(gone_now);
    loop {
        let outgoing = tokio::select! {
            biased;
            outgoing = inbox.recv() => outgoing,
            () = &mut gone_now => None,
        };
        match outgoing {
            Some(Outgoing::Message(message)) => {
                if !write_within("stream", timeout, frames.feed(message.bytes)).await {
                    break;
                }
                if inbox.is_empty() && !write_within("stream", timeout, frames.flush()).await {
                    break;
                }
            }
            Some(Outgoing::Close(..)) | None => {
                let _ = write_within("stream", timeout, frames.close()).await;
                break;
            }
        }
    }
    inbox.close();
    while inbox.try_recv().is_ok() {}
    gone.cancel();
}
