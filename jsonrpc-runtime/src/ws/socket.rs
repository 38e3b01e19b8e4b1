//! One WebSocket connection: frames in, through the connection engine, frames out. The reader
//! runs the engine on this task; a writer task drains the outgoing queue, pings an idle peer
//! and drops a peer that has stopped answering or reading.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{Sink, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use super::WsConfig;
use crate::connection::{write_within, Connection, Ending, Inbound};
use crate::method::context::RequestParts;
use crate::session::{outbox, Inbox, Outgoing, Session};
use crate::Dispatcher;

/// How long a connection that is closing waits for its writer to send what is queued.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// How a connection is told to stop: `shutdown` to answer its calls in flight and close with
/// 1001, `abort` to end at once.
pub(crate) struct Stop {
    pub(crate) shutdown: CancellationToken,
    pub(crate) abort: CancellationToken,
}

/// Serves one upgraded connection until it closes.
pub(crate) async fn run<S>(
    socket: WebSocketStream<S>,
    dispatcher: Dispatcher,
    parts: Arc<RequestParts>,
    config: WsConfig,
    stop: Stop,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (frames_out, frames_in) = socket.split();
    let (outbox, inbox) = outbox(config.queue_messages, config.queue_bytes);
    let session = Arc::new(Session::new(
        outbox.clone(),
        config.max_subscriptions,
        Arc::clone(&config.subscription_ids),
    ));
    let clock = Clock::new();
    let mut writer = tokio::spawn(write(
        frames_out,
        inbox,
        config.clone(),
        clock.clone(),
        session.gone.clone(),
    ));
    let incoming = frames_in.map(|frame| {
        clock.heard();
        inbound(frame)
    });
    let connection = Connection {
        dispatcher: &dispatcher,
        parts,
        session: Arc::clone(&session),
        max_in_flight: config.max_in_flight,
        shutdown: stop.shutdown,
        finish_on_end: false,
    };
    // The stream ends after an error; `take_while` stops it there rather than polling a
    // broken socket again.
    let mut ended = false;
    let mut incoming = Box::pin(incoming.take_while(move |item| {
        let go_on = !ended;
        if matches!(item, Inbound::Violation(..)) {
            ended = true;
        }
        std::future::ready(go_on)
    }));
    let served = tokio::select! {
        biased;
        () = stop.abort.cancelled() => None,
        ending = connection.serve_messages(&mut incoming) => Some(ending),
    };
    let Some(ending) = served else {
        // Cut off: the calls still running are dropped with the engine's future.
        drop(connection);
        session.close();
        writer.abort();
        return;
    };
    match ending {
        Ending::Shutdown => outbox.close(1001, "the server is shutting down").await,
        Ending::Violation(code, reason) => {
            tracing::debug!(code, reason, "closing a WebSocket connection");
            outbox.try_close(code, reason);
        }
        Ending::ClientGone | Ending::InputEnded => outbox.try_close(1000, ""),
    }
    drop(outbox);
    drop(connection);
    // Subscriptions end now; their functions learn it from their sinks.
    session.close();
    drop(session);
    if tokio::time::timeout(CLOSE_GRACE, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
    if ending == Ending::Shutdown {
        // Read on until the client answers the close frame, dropping the messages it sent
        // meanwhile (never run: every call read before the close was answered). A socket
        // closed with unread data is reset, and the reset can overtake the close frame on its
        // way to the client, a proxy's especially: the client would then not know that its
        // unanswered calls were never run.
        let answered = async { while incoming.next().await.is_some() {} };
        tokio::select! {
            biased;
            () = stop.abort.cancelled() => {}
            _ = tokio::time::timeout(CLOSE_GRACE, answered) => {}
        }
    }
}

/// Maps one frame (or read error) to what the engine understands.
fn inbound(frame: Result<Message, WsError>) -> Inbound {
    match frame {
        Ok(Message::Text(text)) => Inbound::Message(text.into()),
        Ok(Message::Binary(bytes)) => Inbound::Message(bytes),
        Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => Inbound::Alive,
        // tungstenite answers the close frame itself; the stream ends after it.
        Ok(Message::Close(_)) => Inbound::Alive,
        Err(WsError::Capacity(_)) => Inbound::Violation(1009, "the message is over the size limit"),
        Err(WsError::Utf8(_)) => Inbound::Violation(1007, "a text message is not valid UTF-8"),
        Err(WsError::Protocol(_) | WsError::AttackAttempt) => {
            Inbound::Violation(1002, "WebSocket protocol error")
        }
        Err(_) => Inbound::Violation(1000, ""),
    }
}

/// When the peer was last heard from, shared by the reader (which hears) and the writer
/// (which pings).
#[derive(Clone)]
struct Clock {
    start: Instant,
    last_heard_ms: Arc<AtomicU64>,
}

impl Clock {
    fn new() -> Self {
        Clock {
            start: Instant::now(),
            last_heard_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    fn heard(&self) {
        self.last_heard_ms
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn silence(&self) -> Duration {
        let heard = Duration::from_millis(self.last_heard_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(heard)
    }
}

/// The writer: sends queued messages, flushing when the queue is empty, pings when the peer
/// has been silent for a ping interval, and gives up on a peer that stays silent past the pong
/// timeout or does not take a write within the write timeout.
async fn write<W>(
    mut frames: W,
    mut inbox: Inbox,
    config: WsConfig,
    clock: Clock,
    gone: CancellationToken,
) where
    W: Sink<Message, Error = WsError> + Unpin,
{
    let mut ticks = tokio::time::interval(config.ping_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    let timeout = config.write_timeout;
    // Made once, not on every turn: each registers a waiter.
    let gone_now = gone.cancelled();
    tokio::pin!(gone_now);
    loop {
        let outgoing = tokio::select! {
            biased;
            outgoing = inbox.recv() => outgoing,
            _ = ticks.tick() => {
                let silence = clock.silence();
                if silence >= config.ping_interval + config.pong_timeout {
                    tracing::debug!(?silence, "closing a WebSocket connection that stopped answering pings");
                    break;
                }
                if silence >= config.ping_interval
                    && !write_within("WebSocket", timeout, frames.send(Message::Ping(Default::default())))
                        .await
                {
                    break;
                }
                continue;
            }
            () = &mut gone_now => None,
        };
        match outgoing {
            Some(Outgoing::Message(message)) => {
                let frame = text_frame(message.bytes);
                if !write_within("WebSocket", timeout, frames.feed(frame)).await {
                    break;
                }
                if inbox.is_empty() && !write_within("WebSocket", timeout, frames.flush()).await {
                    break;
                }
            }
            Some(Outgoing::Close(code, reason)) => {
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: Utf8Bytes::from_static(reason),
                };
                let _ = write_within(
                    "WebSocket",
                    timeout,
                    frames.send(Message::Close(Some(frame))),
                )
                .await;
                break;
            }
            None => {
                let _ = write_within("WebSocket", timeout, frames.close()).await;
                break;
            }
        }
    }
    // Whatever ended the writer ends the connection. What is still queued is dropped, which
    // gives its bytes back to the queue's budget.
    inbox.close();
    while inbox.try_recv().is_ok() {}
    gone.cancel();
}

/// A JSON message as a text frame. Answers are UTF-8 (serde_json's output and the request's own
/// text); anything else goes as a binary frame rather than an invalid text frame.
fn text_frame(bytes: Vec<u8>) -> Message {
    match String::from_utf8(bytes) {
        Ok(text) => Message::Text(text.into()),
        Err(error) => Message::Binary(error.into_bytes().into()),
    }
}
