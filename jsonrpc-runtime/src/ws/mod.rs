//! JSON-RPC over WebSocket, on the same address and path as HTTP: a `GET` with
//! `Upgrade: websocket` becomes a long-lived connection that answers every method (requests,
//! notifications, batches, with the same limits and errors as HTTP) and carries subscriptions.
//!
//! [`WsConfig`] holds the knobs; give it to
//! [`ServerBuilder::websocket`](crate::ServerBuilder::websocket) or
//! [`RpcService::websocket`](crate::RpcService::websocket).
//!
//! | what | default | why |
//! | --- | --- | --- |
//! | largest message | the body limit (10 MiB) | as over HTTP; close code 1009 past it |
//! | calls in flight per connection | 64 | reading stops at the cap: a fast sender slows itself |
//! | outgoing queue | 256 messages, 4 MiB | bounds what a client that stops reading can hold |
//! | write timeout | 30 s | a client that reads nothing for this long is disconnected |
//! | subscriptions per connection | 1,024 | each costs a task; -32091 past it |
//! | ping interval | 30 s | idle connections are pinged... |
//! | pong timeout | 20 s | ...and closed when nothing is heard for this long after a ping |
//! | WebSocket connections | 10,000 | 503 past it |
//! | `Origin` | same origin, or none | see [`OriginPolicy`] |
//!
//! Close codes: 1000 after the client's close, 1001 when the server shuts down (after the calls
//! in flight are answered; it then reads on until the client answers the close, running none
//! of the calls that arrive meanwhile, so a client knows that a call unanswered at the 1001
//! was never run), 1002 for a protocol error, 1007 for invalid UTF-8 in a text message,
//! 1009 for a message over the limit. A connection whose client stopped reading cannot be sent a
//! close frame; it is dropped when the write timeout passes, and logged with the reason.

mod handshake;
mod socket;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub(crate) use handshake::{is_upgrade, upgrade};

use crate::session::{random_ids, SubscriptionId, SubscriptionIds};

/// The default largest number of calls answered at once on one WebSocket connection: 64.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;
/// The default largest number of messages waiting to be written to one connection: 256.
pub const DEFAULT_QUEUE_MESSAGES: usize = 256;
/// The default largest number of bytes waiting to be written to one connection: 4 MiB.
pub const DEFAULT_QUEUE_BYTES: usize = 4 * 1024 * 1024;
/// The default time a write may wait for a client that does not read: 30 seconds.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The default largest number of subscriptions open on one connection: 1,024.
pub const DEFAULT_MAX_SUBSCRIPTIONS: usize = 1024;
/// The default time between pings of an idle connection: 30 seconds.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(30);
/// The default time a connection may stay silent after a ping: 20 seconds.
pub const DEFAULT_PONG_TIMEOUT: Duration = Duration::from_secs(20);
/// The default largest number of WebSocket connections at once: 10,000.
pub const DEFAULT_MAX_WS_CONNECTIONS: usize = 10_000;

/// Which browser pages may open a WebSocket connection, judged by the `Origin` header.
///
/// Browsers let any page open a WebSocket to any server, and send the user's cookies with it:
/// a foreign page could then call methods as the user (cross-site WebSocket hijacking). The
/// `Origin` header names the page's site. Programs that are not browsers send none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginPolicy {
    /// The default: connections without `Origin` (programs), and pages served from the same
    /// host and port as the WebSocket (`Origin`'s host equals the `Host` header). A foreign
    /// page gets 403.
    SameOrigin,
    /// Connections without `Origin`, and pages whose origin is one of these, written as
    /// browsers send them: `https://app.example.com`, `http://localhost:3000`.
    Allow(Vec<String>),
    /// Every page of every site: only for servers that do not rely on cookies or other ambient
    /// credentials.
    Any,
}

/// How a server or service runs its WebSocket connections. See the [module docs](self) for
/// every default and why.
#[derive(Clone)]
pub struct WsConfig {
    pub(crate) max_message_size: Option<usize>,
    pub(crate) max_in_flight: usize,
    pub(crate) queue_messages: usize,
    pub(crate) queue_bytes: usize,
    pub(crate) write_timeout: Duration,
    pub(crate) max_subscriptions: usize,
    pub(crate) ping_interval: Duration,
    pub(crate) pong_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) origins: OriginPolicy,
    pub(crate) subscription_ids: SubscriptionIds,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            max_message_size: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            queue_messages: DEFAULT_QUEUE_MESSAGES,
            queue_bytes: DEFAULT_QUEUE_BYTES,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
            ping_interval: DEFAULT_PING_INTERVAL,
            pong_timeout: DEFAULT_PONG_TIMEOUT,
            max_connections: DEFAULT_MAX_WS_CONNECTIONS,
            origins: OriginPolicy::SameOrigin,
            subscription_ids: random_ids(),
        }
    }
}

impl WsConfig {
    /// The defaults.
    pub fn new() -> Self {
        WsConfig::default()
    }

    /// The largest message accepted, in bytes; a larger one closes the connection with 1009.
    /// Default: the HTTP body limit of the server or service.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = Some(bytes);
        self
    }

    /// The most calls answered at once on one connection; reading pauses at the cap.
    /// Default: [`DEFAULT_MAX_IN_FLIGHT`].
    pub fn max_in_flight(mut self, calls: usize) -> Self {
        self.max_in_flight = calls.max(1);
        self
    }

    /// The most messages, and bytes, waiting to be written to one connection (answers and
    /// subscription items). A single message larger than `bytes` is still sent, alone.
    /// Default: [`DEFAULT_QUEUE_MESSAGES`], [`DEFAULT_QUEUE_BYTES`].
    pub fn outgoing_queue(mut self, messages: usize, bytes: usize) -> Self {
        self.queue_messages = messages.max(1);
        self.queue_bytes = bytes.max(1);
        self
    }

    /// How long a write may wait for a client that does not read before the connection is
    /// dropped. Default: [`DEFAULT_WRITE_TIMEOUT`].
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// The most subscriptions open on one connection; more answer -32091.
    /// Default: [`DEFAULT_MAX_SUBSCRIPTIONS`].
    pub fn max_subscriptions(mut self, subscriptions: usize) -> Self {
        self.max_subscriptions = subscriptions;
        self
    }

    /// How often an idle connection is pinged, and how long it may then stay silent before it
    /// is closed. Defaults: [`DEFAULT_PING_INTERVAL`], [`DEFAULT_PONG_TIMEOUT`].
    pub fn keep_alive(mut self, ping_interval: Duration, pong_timeout: Duration) -> Self {
        self.ping_interval = ping_interval.max(Duration::from_millis(1));
        self.pong_timeout = pong_timeout;
        self
    }

    /// The most WebSocket connections at once; more get 503.
    /// Default: [`DEFAULT_MAX_WS_CONNECTIONS`].
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// Which browser pages may connect. Default: [`OriginPolicy::SameOrigin`].
    pub fn origins(mut self, policy: OriginPolicy) -> Self {
        self.origins = policy;
        self
    }

    /// Makes the ids of new subscriptions (default: 32 random hex digits). Ids must not
    /// repeat on a connection: one that does is skipped and another asked for.
    pub fn subscription_ids(
        mut self,
        ids: impl Fn() -> SubscriptionId + Send + Sync + 'static,
    ) -> Self {
        self.subscription_ids = Arc::new(ids);
        self
    }
}

impl std::fmt::Debug for WsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsConfig")
            .field("max_message_size", &self.max_message_size)
            .field("max_in_flight", &self.max_in_flight)
            .field("queue_messages", &self.queue_messages)
            .field("queue_bytes", &self.queue_bytes)
            .field("write_timeout", &self.write_timeout)
            .field("max_subscriptions", &self.max_subscriptions)
            .field("ping_interval", &self.ping_interval)
            .field("pong_timeout", &self.pong_timeout)
            .field("max_connections", &self.max_connections)
            .field("origins", &self.origins)
            .finish_non_exhaustive()
    }
}

/// What the WebSocket connections of one service share: their settings, the connection slots,
/// and the shutdown they all follow.
pub(crate) struct WsShared {
    pub(crate) config: WsConfig,
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) shutdown: CancellationToken,
    /// Cancelled when a drain runs out of time: connections end at once, calls and all.
    pub(crate) abort: CancellationToken,
    pub(crate) tracker: TaskTracker,
}

impl WsShared {
    pub(crate) fn new(config: WsConfig) -> Self {
        WsShared {
            slots: Arc::new(Semaphore::new(config.max_connections)),
            config,
            shutdown: CancellationToken::new(),
            abort: CancellationToken::new(),
            tracker: TaskTracker::new(),
        }
    }

    /// Closes every connection: each answers its calls in flight, then gets close code 1001.
    /// Resolves when all have closed. New upgrades are refused from the start.
    pub(crate) async fn shut_down(&self) {
        self.shutdown.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }

    /// Ends every connection at once, with the calls still running (the drain timeout has
    /// passed, or a second signal came). Resolves when all have ended.
    pub(crate) async fn cut(&self) {
        self.shutdown.cancel();
        self.abort.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}
