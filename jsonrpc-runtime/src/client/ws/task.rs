//! The task that owns a WebSocket connection: it writes what the handles send, reads every
//! frame, and routes responses to their calls and items to their subscriptions.

use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Deserializer};
use serde_json::value::{to_raw_value, RawValue};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::{
    Command, Connector, Dropped, Io, Item, Reconnect, Resubscribe, Subscribed, Waiter,
    COMMAND_QUEUE,
};
use crate::client::response::{self, error_object};
use crate::client::{request_body, ClientError, Id, IdGenerator};
use crate::Error;

pub(super) type Socket = WebSocketStream<Box<dyn Io>>;

/// How many messages may wait to be written before the task stops taking commands (which
/// then wait in the bounded command queue, and then in their callers).
const MAX_OUTGOING: usize = 64;

/// How many items for subscriptions not yet known are kept while a subscribe call is in
/// flight (see [`Task::orphans`]).
const MAX_ORPHANS: usize = 256;

/// The pending calls are swept of abandoned ones (timed out, cancelled) when there are this
/// many, and then whenever their number doubles.
const PRUNE_FLOOR: usize = 64;

/// How long closing the connection may take: the close frames, and the server's.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The state of one connection, owned by its task.
pub(super) struct Task {
    commands: mpsc::Receiver<Command>,
    drops: mpsc::UnboundedReceiver<Dropped>,
    ids: Arc<dyn IdGenerator>,
    closed: Arc<Mutex<Option<String>>>,
    online: Arc<AtomicBool>,
    drops_open: bool,
    /// The number of items a subscription buffers.
    buffer: usize,
    /// What waits for a response, by request id.
    pending: HashMap<Id, Pending>,
    /// The batches in flight, by a key of their own.
    batches: HashMap<u64, BatchWaiter>,
    next_batch: u64,
    /// The live subscriptions on this connection, by the server's subscription id.
    subscriptions: HashMap<Id, Route>,
    /// The server's id of each live subscription on this connection, by its key.
    keys: HashMap<u64, Id>,
    /// The subscriptions of a connection that dropped, by key, until they are made again on
    /// a new one (reconnecting only).
    detached: HashMap<u64, Route>,
    next_key: u64,
    /// Commands taken while reconnecting, for the new connection.
    held: VecDeque<Command>,
    /// How many subscribe calls are in flight.
    subscribing: usize,
    /// Items for subscription ids the task does not know, kept while a subscribe call is in
    /// flight: a server may send the first items before the subscribe response. Bounded; the
    /// oldest go first.
    orphans: VecDeque<(Id, Event)>,
    /// Messages to write, in order.
    outgoing: VecDeque<Message>,
    /// When to sweep `pending` next.
    prune_at: usize,
    /// Whether the calls unanswered at a close with 1001 are sent again
    /// ([`Reconnect::resend_on_going_away`]).
    resend: bool,
    /// The frames of the calls in flight, by id, kept to send them again (only with
    /// `resend`).
    frames: HashMap<Id, String>,
}

/// What waits for a response id.
enum Pending {
    Waiter(Waiter),
    /// One call of the batch with this key.
    Batch(u64),
}

struct BatchWaiter {
    ids: Vec<Id>,
    reply: oneshot::Sender<Result<String, ClientError>>,
    /// The batch, kept to send it again (only with `resend`).
    frame: Option<String>,
}

/// Where a subscription's items go.
struct Route {
    key: u64,
    items: mpsc::Sender<Item>,
    unsubscribe: String,
    resubscribe: Resubscribe,
    /// The current server id, shared with the caller's `Subscription`.
    server_id: Arc<Mutex<Id>>,
}

/// A subscription notification, read.
enum Event {
    Item(Box<RawValue>),
    Complete,
    Failed(Error),
}

/// Why the connection ended.
enum End {
    /// The client closed it (or every handle on it was dropped).
    Client(&'static str),
    /// The server sent a close frame; `true` for the code 1001, going away.
    Server(String, bool),
    /// Reading or writing failed, or the server stopped answering.
    Broken(String),
}

impl Task {
    pub(super) fn new(
        commands: mpsc::Receiver<Command>,
        drops: mpsc::UnboundedReceiver<Dropped>,
        ids: Arc<dyn IdGenerator>,
        closed: Arc<Mutex<Option<String>>>,
        online: Arc<AtomicBool>,
        buffer: usize,
    ) -> Task {
        Task {
            commands,
            drops,
            ids,
            closed,
            online,
            drops_open: true,
            buffer,
            pending: HashMap::new(),
            batches: HashMap::new(),
            next_batch: 0,
            subscriptions: HashMap::new(),
            keys: HashMap::new(),
            detached: HashMap::new(),
            next_key: 0,
            held: VecDeque::new(),
            subscribing: 0,
            orphans: VecDeque::new(),
            outgoing: VecDeque::new(),
            prune_at: PRUNE_FLOOR,
            resend: false,
            frames: HashMap::new(),
        }
    }

    /// Runs the connection until it ends (reconnecting when it drops, with a policy), then
    /// fails whatever still waits on it.
    pub(super) async fn run(
        mut self,
        socket: Socket,
        ping_interval: Option<Duration>,
        reconnect: Option<(Reconnect, Connector)>,
    ) {
        let mut socket = socket;
        self.resend = reconnect
            .as_ref()
            .is_some_and(|(policy, _)| policy.resends_on_going_away());
        let (end, mut sink, mut stream, mut unflushed) = loop {
            let (end, sink, stream, unflushed) = self.serve(socket, ping_interval).await;
            let Some((policy, connector)) = &reconnect else {
                break (end, sink, stream, unflushed);
            };
            let (reason, going_away) = match &end {
                End::Client(_) => break (end, sink, stream, unflushed),
                End::Server(reason, going_away) => (reason.clone(), *going_away),
                End::Broken(reason) => (reason.clone(), false),
            };
            self.online.store(false, Ordering::Relaxed);
            if let End::Server(..) = end {
                // Sends the close frame tungstenite queued in answer to the server's.
                let mut sink = sink;
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
                });
            }
            tracing::debug!("WebSocket connection lost: {reason}; reconnecting");
            self.detach(&reason, going_away && self.resend);
            match self.reopen(policy, connector, &reason).await {
                Ok(new) => {
                    tracing::debug!("reconnected to {}", connector.url);
                    self.online.store(true, Ordering::Relaxed);
                    socket = new;
                    self.resume();
                }
                Err(end) => {
                    let reason = match end {
                        End::Client(reason) => reason.to_owned(),
                        End::Server(reason, _) | End::Broken(reason) => reason,
                    };
                    tracing::debug!("WebSocket connection closed: {reason}");
                    self.fail_everything(&reason);
                    return;
                }
            }
        };

        let reason = match &end {
            End::Client(reason) => (*reason).to_owned(),
            End::Server(reason, _) | End::Broken(reason) => reason.clone(),
        };
        tracing::debug!("WebSocket connection closed: {reason}");
        self.fail_everything(&reason);
        match end {
            End::Client(_) => {
                // What was queued before the close goes out first.
                self.outgoing.push_back(Message::Close(Some(CloseFrame {
                    code: CloseCode::Normal,
                    reason: "".into(),
                })));
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
                    write(&mut sink, &mut self.outgoing, &mut unflushed).await?;
                    // Wait for the server's close frame, then close the TCP connection.
                    while let Some(Ok(_)) = stream.next().await {}
                    sink.close().await
                })
                .await;
            }
            // Sends the close frame tungstenite queued in answer to the server's.
            End::Server(..) => {
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
            }
            End::Broken(_) => {}
        }
    }

    /// Runs one connection until it ends.
    async fn serve(
        &mut self,
        socket: Socket,
        ping_interval: Option<Duration>,
    ) -> (End, SplitSink<Socket, Message>, SplitStream<Socket>, bool) {
        let (mut sink, mut stream) = socket.split();
        let mut pings = ping_interval.map(|period| {
            let mut pings = tokio::time::interval_at(Instant::now() + period, period);
            pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
            pings
        });
        let mut unflushed = false;
        // Whether a ping was sent at the last tick, and whether anything came in since.
        let (mut pinged, mut heard) = (false, false);
        let end = loop {
            let accepting = self.outgoing.len() < MAX_OUTGOING;
            let writing = !self.outgoing.is_empty() || unflushed;
            let drops_open = self.drops_open;
            tokio::select! {
                message = stream.next() => match message {
                    Some(Ok(message)) => {
                        heard = true;
                        if let Some(end) = self.on_message(message) {
                            break end;
                        }
                    }
                    Some(Err(error)) => break End::Broken(read_error(error)),
                    None => break End::Broken("the connection was closed".to_owned()),
                },
                written = write(&mut sink, &mut self.outgoing, &mut unflushed), if writing => {
                    if let Err(error) = written {
                        break End::Broken(format!("writing to the connection failed: {error}"));
                    }
                }
                () = tick(&mut pings) => {
                    if pinged && !heard {
                        let period = ping_interval.unwrap_or_default();
                        break End::Broken(format!(
                            "the server answered nothing for {period:?} after a ping"
                        ));
                    }
                    (pinged, heard) = (true, false);
                    self.outgoing.push_back(Message::Ping(Bytes::new()));
                    self.prune();
                }
                dropped = self.drops.recv(), if accepting && drops_open => match dropped {
                    Some(dropped) => self.on_dropped(dropped),
                    None => self.drops_open = false,
                },
                command = self.commands.recv(), if accepting => match command {
                    Some(Command::Close) => break End::Client("the client closed the connection"),
                    None => break End::Client("every handle on the connection was dropped"),
                    Some(command) => self.on_command(command),
                },
            }
        };
        (end, sink, stream, unflushed)
    }

    /// The connection dropped and the client will reconnect: the calls in flight fail (their
    /// answers are lost), or with `resend` are held to be sent again on the new connection;
    /// the subscriptions wait for the new connection.
    fn detach(&mut self, reason: &str, resend: bool) {
        let lost = || {
            ClientError::ConnectionClosed(format!(
                "{reason}, before the call was answered (the client is reconnecting, but the \
                 answer is lost: the server may or may not have run the call)"
            ))
        };
        let mut again = Vec::new();
        for (id, pending) in self.pending.drain() {
            match pending {
                Pending::Waiter(Waiter::Resubscribe { .. } | Waiter::Discard) => {}
                Pending::Waiter(waiter) => match self.frames.remove(&id) {
                    Some(frame) if resend => again.push(Command::Call { id, frame, waiter }),
                    _ => fail(waiter, lost()),
                },
                Pending::Batch(_) => {}
            }
        }
        for (_, batch) in self.batches.drain() {
            match batch.frame {
                Some(frame) if resend => again.push(Command::Batch {
                    ids: batch.ids,
                    frame,
                    reply: batch.reply,
                }),
                _ => {
                    let _ = batch.reply.send(Err(lost()));
                }
            }
        }
        self.frames.clear();
        if !again.is_empty() {
            tracing::debug!("sending {} calls again on the new connection", again.len());
        }
        // Ahead of the commands taken while reconnecting, which came after them.
        for command in again {
            self.held.push_front(command);
        }
        self.subscribing = 0;
        self.orphans.clear();
        // Not written, or written into a connection that is gone.
        self.outgoing.clear();
        self.keys.clear();
        for (_, route) in self.subscriptions.drain() {
            self.detached.insert(route.key, route);
        }
        self.prune_at = PRUNE_FLOOR;
    }

    /// Opens a new connection, with the policy's backoff, holding the commands that come in
    /// meanwhile. `Err` when the client gives up, or is closed.
    async fn reopen(
        &mut self,
        policy: &Reconnect,
        connector: &Connector,
        reason: &str,
    ) -> Result<Socket, End> {
        let mut last = String::new();
        for attempt in 1..=policy.attempts() {
            let wait = tokio::time::sleep(policy.delay(attempt));
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    () = &mut wait => break,
                    end = self.hold() => if let Some(end) = end {
                        return Err(end);
                    },
                }
            }
            let open = connector.open();
            tokio::pin!(open);
            let opened = loop {
                tokio::select! {
                    opened = &mut open => break opened,
                    end = self.hold() => if let Some(end) = end {
                        return Err(end);
                    },
                }
            };
            match opened {
                Ok(socket) => return Ok(socket),
                Err(error) => {
                    tracing::debug!("reconnecting, attempt {attempt} failed: {error}");
                    last = error.to_string();
                }
            }
        }
        Err(End::Broken(format!(
            "{reason}, and reconnecting failed {} times (the last: {last})",
            policy.attempts()
        )))
    }

    /// While reconnecting: takes one command (kept for the new connection) or dropped
    /// subscription. `Some` when the client is closed.
    async fn hold(&mut self) -> Option<End> {
        let taking = self.held.len() < COMMAND_QUEUE;
        let drops_open = self.drops_open;
        tokio::select! {
            dropped = self.drops.recv(), if drops_open => match dropped {
                Some(dropped) => self.on_dropped(dropped),
                None => self.drops_open = false,
            },
            command = self.commands.recv(), if taking => match command {
                Some(Command::Close) => return Some(End::Client("the client closed the connection")),
                None => return Some(End::Client("every handle on the connection was dropped")),
                Some(command) => {
                    self.held.push_back(command);
                    // Forget the ones whose callers gave up meanwhile.
                    if self.held.len() == COMMAND_QUEUE {
                        self.held.retain(|command| !abandoned(command));
                    }
                }
            },
            else => std::future::pending::<()>().await,
        }
        None
    }

    /// On a new connection: sends the commands held meanwhile (unless their callers gave
    /// up), then subscribes again.
    fn resume(&mut self) {
        for command in std::mem::take(&mut self.held) {
            if !abandoned(&command) {
                self.on_command(command);
            }
        }
        let keys: Vec<u64> = self.detached.keys().copied().collect();
        for key in keys {
            let id = self.ids.next_id();
            if self.in_flight(&id) {
                if let Some(route) = self.detached.remove(&key) {
                    let _ = route.items.try_send(Item::End(in_use(&id)));
                }
                continue;
            }
            let Some(route) = self.detached.get(&key) else {
                continue;
            };
            let frame = request_body(
                &route.resubscribe.method,
                route.resubscribe.params.as_deref(),
                Some(&id),
            );
            let waiter = Waiter::Resubscribe {
                key,
                unsubscribe: route.unsubscribe.clone(),
            };
            self.subscribing += 1;
            self.pending.insert(id, Pending::Waiter(waiter));
            self.push(super::into_text(frame));
        }
    }

    /// Handles one frame read; `Some` when the connection ends with it.
    fn on_message(&mut self, message: Message) -> Option<End> {
        match message {
            Message::Text(text) => {
                tracing::debug!("<-- {}", text.as_str());
                self.on_text(text.as_str());
            }
            Message::Binary(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => {
                    tracing::debug!("<-- {text}");
                    self.on_text(text);
                }
                Err(_) => tracing::debug!("ignoring a binary message that is not UTF-8 text"),
            },
            Message::Close(frame) => {
                let going_away = frame
                    .as_ref()
                    .is_some_and(|frame| frame.code == CloseCode::Away);
                let reason = match frame {
                    Some(frame) if frame.reason.is_empty() => {
                        format!("the server closed it (code {})", u16::from(frame.code))
                    }
                    Some(frame) => format!(
                        "the server closed it (code {}: {})",
                        u16::from(frame.code),
                        frame.reason.as_str()
                    ),
                    None => "the server closed it".to_owned(),
                };
                return Some(End::Server(reason, going_away));
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
        None
    }

    /// Routes one JSON-RPC message: a response, a batch response or a notification.
    /// Anything else is logged and ignored: a server's bad message never fails the connection.
    fn on_text(&mut self, text: &str) {
        if text.trim_start().starts_with('[') {
            self.on_batch_response(text);
            return;
        }
        let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(text) else {
            tracing::debug!("ignoring a message that is not a JSON-RPC object");
            return;
        };
        if envelope.method.is_some() {
            match (envelope.id, envelope.params) {
                (None, Some(params)) => self.on_notification(params),
                (None, None) => tracing::debug!("ignoring a notification without params"),
                (Some(_), _) => tracing::debug!("ignoring a request from the server"),
            }
            return;
        }
        match envelope
            .id
            .and_then(|raw| serde_json::from_str::<Id>(raw.get()).ok())
        {
            Some(id) => self.on_response(id, text),
            None if envelope.error.is_some() => self.on_unmatched_error(text),
            None => tracing::debug!("ignoring a response without a usable id"),
        }
    }

    fn on_response(&mut self, id: Id, text: &str) {
        if self.resend {
            self.frames.remove(&id);
        }
        match self.pending.remove(&id) {
            Some(Pending::Waiter(waiter)) => {
                let result = response::single(text.as_bytes(), &id);
                self.complete(waiter, result);
            }
            Some(batch @ Pending::Batch(_)) => {
                tracing::debug!("ignoring a single response to the call {id} of a batch");
                self.pending.insert(id, batch);
            }
            None => tracing::debug!("ignoring a response to {id}: no call waits for it"),
        }
    }

    /// An error response with a null id: the server could not read a request. It answers
    /// the only call in flight, if there is just one; otherwise nobody can tell which.
    fn on_unmatched_error(&mut self, text: &str) {
        let calls = self
            .pending
            .values()
            .filter(|pending| matches!(pending, Pending::Waiter(_)))
            .count();
        if calls == 1 && self.batches.is_empty() {
            let id = self
                .pending
                .iter()
                .find(|(_, pending)| matches!(pending, Pending::Waiter(_)))
                .map(|(id, _)| id.clone());
            if let Some(id) = id {
                if let Some(Pending::Waiter(waiter)) = self.pending.remove(&id) {
                    let result = response::single(text.as_bytes(), &id);
                    self.complete(waiter, result);
                }
            }
        } else if calls == 0 && self.batches.len() == 1 {
            if let Some(key) = self.batches.keys().next().copied() {
                self.finish_batch(key, text);
            }
        } else {
            tracing::debug!("ignoring an error with a null id: it cannot be matched to a call");
        }
    }

    /// A batch response: the batch that has the first known id in it gets the whole text.
    fn on_batch_response(&mut self, text: &str) {
        let Ok(elements) = serde_json::from_str::<Vec<&RawValue>>(text) else {
            tracing::debug!("ignoring a message that is not a JSON array");
            return;
        };
        let key = elements.iter().find_map(|element| {
            let envelope = serde_json::from_str::<Envelope<'_>>(element.get()).ok()?;
            let id = serde_json::from_str::<Id>(envelope.id?.get()).ok()?;
            match self.pending.get(&id)? {
                Pending::Batch(key) => Some(*key),
                Pending::Waiter(_) => None,
            }
        });
        match key {
            Some(key) => self.finish_batch(key, text),
            None => tracing::debug!("ignoring a batch response that answers no batch in flight"),
        }
    }

    fn finish_batch(&mut self, key: u64, text: &str) {
        if let Some(batch) = self.batches.remove(&key) {
            for id in &batch.ids {
                self.pending.remove(id);
            }
            let _ = batch.reply.send(Ok(text.to_owned()));
        }
    }

    /// A notification: an item, the end or the failure of a subscription.
    fn on_notification(&mut self, params: &RawValue) {
        let Ok(notification) = serde_json::from_str::<SubscriptionParams<'_>>(params.get()) else {
            tracing::debug!("ignoring a notification that is not a subscription's");
            return;
        };
        let Ok(subscription) = serde_json::from_str::<Id>(notification.subscription.get()) else {
            tracing::debug!("ignoring a notification whose subscription id is not usable");
            return;
        };
        let event = if let Some(result) = notification.result {
            Event::Item(result.to_owned())
        } else if let Some(error) = notification.error {
            Event::Failed(error_object(error).unwrap_or_else(|| {
                Error::internal_error()
                    .with_data("the server ended the subscription with a malformed error")
            }))
        } else if notification.complete.is_some_and(|raw| raw.get() == "true") {
            Event::Complete
        } else {
            tracing::debug!("ignoring a subscription notification with no result");
            return;
        };
        self.deliver(subscription, event);
    }

    /// Hands an event to its subscription's buffer.
    fn deliver(&mut self, subscription: Id, event: Event) {
        let Some(route) = self.subscriptions.get(&subscription) else {
            if self.subscribing > 0 {
                if self.orphans.len() == MAX_ORPHANS {
                    self.orphans.pop_front();
                }
                self.orphans.push_back((subscription, event));
            } else {
                tracing::debug!("ignoring an item for {subscription}: no such subscription");
            }
            return;
        };
        match event {
            Event::Item(_) if route.items.is_closed() => {
                // The subscription was dropped; its unsubscribe is on the way.
            }
            Event::Item(item) => {
                // The buffer has one slot more than `buffer`, kept for the error that ends
                // the subscription.
                if route.items.capacity() > 1 {
                    let _ = route.items.try_send(Item::Value(item));
                } else if let Some(route) = self.remove_route(&subscription) {
                    tracing::debug!("subscription {subscription} lagged: its buffer is full");
                    let _ = route.items.try_send(Item::End(ClientError::Lagged {
                        buffer: self.buffer,
                    }));
                    self.unsubscribe(&subscription, &route.unsubscribe);
                }
            }
            Event::Complete => {
                self.remove_route(&subscription);
            }
            Event::Failed(error) => {
                if let Some(route) = self.remove_route(&subscription) {
                    let _ = route.items.try_send(Item::End(ClientError::Rpc(error)));
                }
            }
        }
    }

    /// Hands a response to whoever waits for it.
    fn complete(&mut self, waiter: Waiter, result: Result<Box<RawValue>, ClientError>) {
        match waiter {
            Waiter::Call(reply) => {
                let _ = reply.send(result);
            }
            Waiter::Discard => {
                if let Err(error) = result {
                    tracing::debug!("an unsubscribe call failed: {error}");
                }
            }
            Waiter::Subscribe {
                unsubscribe,
                resubscribe,
                reply,
            } => {
                self.subscribing = self.subscribing.saturating_sub(1);
                match subscription_id(result) {
                    Ok(subscription) => {
                        self.register(subscription, unsubscribe, resubscribe, reply)
                    }
                    Err(error) => {
                        let _ = reply.send(Err(error));
                    }
                }
                if self.subscribing == 0 {
                    self.orphans.clear();
                }
            }
            Waiter::Resubscribe { key, unsubscribe } => {
                self.subscribing = self.subscribing.saturating_sub(1);
                let subscribed = subscription_id(result);
                match (self.detached.remove(&key), subscribed) {
                    (Some(route), Ok(subscription)) => {
                        tracing::debug!("subscription {key} resumed as {subscription}");
                        *route
                            .server_id
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                            subscription.clone();
                        // The buffer's last slot is kept for the error that ends it.
                        if route.items.capacity() > 1 {
                            let _ = route.items.try_send(Item::Resumed);
                        }
                        self.activate(subscription, route);
                    }
                    (Some(route), Err(error)) => {
                        tracing::debug!("subscription {key} could not resume: {error}");
                        let _ = route.items.try_send(Item::End(error));
                    }
                    // Unsubscribed or dropped meanwhile.
                    (None, Ok(subscription)) => self.unsubscribe(&subscription, &unsubscribe),
                    (None, Err(_)) => {}
                }
                if self.subscribing == 0 {
                    self.orphans.clear();
                }
            }
        }
    }

    /// Starts routing a new subscription's items, the early ones first.
    fn register(
        &mut self,
        subscription: Id,
        unsubscribe: String,
        resubscribe: Resubscribe,
        reply: oneshot::Sender<Result<Subscribed, ClientError>>,
    ) {
        let (items, receiver) = mpsc::channel(self.buffer + 1);
        let key = self.next_key;
        self.next_key += 1;
        let server_id = Arc::new(Mutex::new(subscription.clone()));
        let subscribed = Subscribed {
            id: subscription.clone(),
            key,
            items: receiver,
            server_id: Arc::clone(&server_id),
        };
        if reply.send(Ok(subscribed)).is_err() {
            // The caller gave up (timed out, or dropped the call): nobody will read it.
            self.unsubscribe(&subscription, &unsubscribe);
            return;
        }
        let route = Route {
            key,
            items,
            unsubscribe,
            resubscribe,
            server_id,
        };
        self.activate(subscription, route);
    }

    /// Routes the items of `subscription` on this connection to `route`, the early ones
    /// first.
    fn activate(&mut self, subscription: Id, route: Route) {
        self.keys.insert(route.key, subscription.clone());
        if let Some(old) = self.subscriptions.insert(subscription.clone(), route) {
            tracing::debug!("the server reused the subscription id {subscription}");
            if self.keys.get(&old.key) == Some(&subscription) {
                self.keys.remove(&old.key);
            }
        }
        if self.orphans.iter().any(|(id, _)| *id == subscription) {
            for (id, event) in std::mem::take(&mut self.orphans) {
                if id == subscription {
                    self.deliver(id, event);
                } else {
                    self.orphans.push_back((id, event));
                }
            }
        }
    }

    fn on_dropped(&mut self, dropped: Dropped) {
        if let Some(subscription) = self.keys.remove(&dropped.key) {
            if let Some(route) = self.subscriptions.remove(&subscription) {
                self.unsubscribe(&subscription, &route.unsubscribe);
            }
        } else {
            // Waiting for a new connection: nothing to tell the server.
            self.detached.remove(&dropped.key);
        }
    }

    /// Stops routing the items of `subscription` on this connection.
    fn remove_route(&mut self, subscription: &Id) -> Option<Route> {
        let route = self.subscriptions.remove(subscription)?;
        self.keys.remove(&route.key);
        Some(route)
    }

    /// Sends an unsubscribe call of the client's own, whose answer nobody reads.
    fn unsubscribe(&mut self, subscription: &Id, method: &str) {
        let Ok(params) = to_raw_value(&[subscription]) else {
            return;
        };
        let id = self.ids.next_id();
        if self.pending.contains_key(&id) {
            return;
        }
        let frame = request_body(method, Some(&params), Some(&id));
        self.pending.insert(id, Pending::Waiter(Waiter::Discard));
        self.push(super::into_text(frame));
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Unsubscribe {
                id,
                key,
                method,
                fallback,
                reply,
            } => {
                if self.in_flight(&id) {
                    let _ = reply.send(Err(in_use(&id)));
                    return;
                }
                let subscription = match self.keys.remove(&key) {
                    Some(subscription) => {
                        self.subscriptions.remove(&subscription);
                        subscription
                    }
                    None if self.detached.remove(&key).is_some() => {
                        // Not made again on this connection yet: forgetting it is enough (and
                        // if its subscribe call is in flight, its answer is unsubscribed).
                        let _ =
                            reply
                                .send(Ok(RawValue::from_string("true".to_owned())
                                    .expect("`true` is JSON")));
                        return;
                    }
                    None => fallback,
                };
                let Ok(params) = to_raw_value(&[&subscription]) else {
                    return;
                };
                let frame = request_body(&method, Some(&params), Some(&id));
                self.pending
                    .insert(id, Pending::Waiter(Waiter::Call(reply)));
                self.push(super::into_text(frame));
            }
            Command::Call { id, frame, waiter } => {
                if self.in_flight(&id) {
                    fail(waiter, in_use(&id));
                    return;
                }
                if matches!(waiter, Waiter::Subscribe { .. }) {
                    self.subscribing += 1;
                }
                if self.resend {
                    self.frames.insert(id.clone(), frame.clone());
                }
                self.pending.insert(id, Pending::Waiter(waiter));
                self.push(frame);
            }
            Command::Batch { ids, frame, reply } => {
                if ids.is_empty() {
                    self.push(frame);
                    let _ = reply.send(Ok(String::new()));
                    return;
                }
                if let Some(id) = ids.iter().find(|id| self.in_flight(id)) {
                    let _ = reply.send(Err(in_use(id)));
                    return;
                }
                let key = self.next_batch;
                self.next_batch += 1;
                for id in &ids {
                    self.pending.insert(id.clone(), Pending::Batch(key));
                }
                let kept = self.resend.then(|| frame.clone());
                self.batches.insert(
                    key,
                    BatchWaiter {
                        ids,
                        reply,
                        frame: kept,
                    },
                );
                self.push(frame);
            }
            Command::Notify { frame } => self.push(frame),
            Command::Close => {}
        }
        if self.pending.len() >= self.prune_at {
            self.prune();
            self.prune_at = (self.pending.len() * 2).max(PRUNE_FLOOR);
        }
    }

    /// Whether a call that still waits has this id.
    fn in_flight(&self, id: &Id) -> bool {
        self.pending
            .get(id)
            .is_some_and(|pending| self.is_live(pending))
    }

    fn is_live(&self, pending: &Pending) -> bool {
        match pending {
            Pending::Waiter(Waiter::Call(reply)) => !reply.is_closed(),
            Pending::Waiter(Waiter::Subscribe { reply, .. }) => !reply.is_closed(),
            Pending::Waiter(Waiter::Discard | Waiter::Resubscribe { .. }) => true,
            Pending::Batch(key) => self
                .batches
                .get(key)
                .is_some_and(|batch| !batch.reply.is_closed()),
        }
    }

    /// Forgets the calls nobody waits for any more (timed out, cancelled).
    fn prune(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.retain(|_, entry| {
            let live = self.is_live(entry);
            if !live && matches!(entry, Pending::Waiter(Waiter::Subscribe { .. })) {
                self.subscribing = self.subscribing.saturating_sub(1);
            }
            live
        });
        self.pending = pending;
        if self.resend {
            self.frames.retain(|id, _| self.pending.contains_key(id));
        }
        self.batches.retain(|_, batch| !batch.reply.is_closed());
        if self.subscribing == 0 {
            self.orphans.clear();
        }
    }

    fn push(&mut self, frame: String) {
        tracing::debug!("--> {frame}");
        self.outgoing.push_back(Message::text(frame));
    }

    /// The connection has ended: every call waiting fails with `reason`, every subscription
    /// yields it and ends, and so do the commands still queued.
    fn fail_everything(&mut self, reason: &str) {
        *self
            .closed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(reason.to_owned());
        self.online.store(false, Ordering::Relaxed);
        self.commands.close();
        self.drops.close();
        let error = || ClientError::ConnectionClosed(reason.to_owned());
        for (_, pending) in self.pending.drain() {
            if let Pending::Waiter(waiter) = pending {
                fail(waiter, error());
            }
        }
        for (_, batch) in self.batches.drain() {
            let _ = batch.reply.send(Err(error()));
        }
        self.keys.clear();
        let detached = self.detached.drain().map(|(_, route)| route);
        for route in self
            .subscriptions
            .drain()
            .map(|(_, route)| route)
            .chain(detached)
        {
            let _ = route.items.try_send(Item::End(error()));
        }
        self.orphans.clear();
        let held = std::mem::take(&mut self.held);
        for command in held
            .into_iter()
            .chain(std::iter::from_fn(|| self.commands.try_recv().ok()))
        {
            match command {
                Command::Call { waiter, .. } => fail(waiter, error()),
                Command::Batch { reply, .. } => {
                    let _ = reply.send(Err(error()));
                }
                Command::Unsubscribe { reply, .. } => {
                    let _ = reply.send(Err(error()));
                }
                Command::Notify { .. } | Command::Close => {}
            }
        }
    }
}

fn fail(waiter: Waiter, error: ClientError) {
    match waiter {
        Waiter::Call(reply) => {
            let _ = reply.send(Err(error));
        }
        Waiter::Subscribe { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Waiter::Discard | Waiter::Resubscribe { .. } => {}
    }
}

/// Whether nobody waits for the answer to `command` any more (its caller timed out, or
/// dropped the call).
fn abandoned(command: &Command) -> bool {
    match command {
        Command::Call { waiter, .. } => match waiter {
            Waiter::Call(reply) => reply.is_closed(),
            Waiter::Subscribe { reply, .. } => reply.is_closed(),
            Waiter::Discard | Waiter::Resubscribe { .. } => false,
        },
        Command::Batch { reply, .. } => reply.is_closed(),
        Command::Unsubscribe { reply, .. } => reply.is_closed(),
        Command::Notify { .. } | Command::Close => false,
    }
}

/// A subscribe call's result as the subscription's id.
fn subscription_id(result: Result<Box<RawValue>, ClientError>) -> Result<Id, ClientError> {
    result.and_then(|raw| {
        serde_json::from_str::<Id>(raw.get()).map_err(|_| {
            ClientError::from(crate::client::InvalidResponse::InvalidSubscriptionId(
                raw.get().to_owned(),
            ))
        })
    })
}

#[cold]
fn in_use(id: &Id) -> ClientError {
    ClientError::InvalidConfig(format!(
        "the id generator gave the id {id}, which a call in flight on this connection already has"
    ))
}

/// Writes the queued messages and flushes them. Cancel-safe: a message leaves the queue only
/// once the socket has taken it.
async fn write(
    sink: &mut SplitSink<Socket, Message>,
    outgoing: &mut VecDeque<Message>,
    unflushed: &mut bool,
) -> Result<(), WsError> {
    poll_fn(|cx| {
        while !outgoing.is_empty() {
            ready!(sink.poll_ready_unpin(cx))?;
            if let Some(message) = outgoing.pop_front() {
                sink.start_send_unpin(message)?;
                *unflushed = true;
            }
        }
        ready!(sink.poll_flush_unpin(cx))?;
        *unflushed = false;
        Poll::Ready(Ok(()))
    })
    .await
}

/// The next ping time; never, without pings.
async fn tick(pings: &mut Option<Interval>) {
    match pings {
        Some(pings) => {
            pings.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Why reading failed, in words.
fn read_error(error: WsError) -> String {
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    match error {
        WsError::Capacity(error) => {
            format!("the server sent a message over the client's size limit ({error})")
        }
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            "the server dropped the connection without a closing handshake".to_owned()
        }
        WsError::ConnectionClosed | WsError::AlreadyClosed => {
            "the connection was closed".to_owned()
        }
        WsError::Io(error) => format!("reading from the connection failed: {error}"),
        error => format!("reading from the connection failed: {error}"),
    }
}

/// The members of a JSON-RPC message the task routes by. `Some` for a member that is present,
/// even when it is `null`.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    method: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    params: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    error: Option<&'a RawValue>,
}

/// The params of a subscription notification: `subscription`, and one of `result`, `error`
/// and `complete`.
#[derive(Deserialize)]
struct SubscriptionParams<'a> {
    #[serde(borrow)]
    subscription: &'a RawValue,
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    error: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    complete: Option<&'a RawValue>,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}
