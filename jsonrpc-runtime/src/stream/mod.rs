//! JSON-RPC over byte streams: stdin/stdout, TCP and Unix-domain sockets, a child process's
//! pipes, or any `AsyncRead + AsyncWrite`, with either [`Framing`]. Language servers and Model
//! Context Protocol servers speak this way.
//!
//! ```no_run
//! use jsonrpc_runtime::method;
//! use jsonrpc_runtime::stream::Framing;
//!
//! #[method]
//! fn ping() -> &'static str { "pong" }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     // One JSON text per line on stdin and stdout, until stdin ends.
//!     jsonrpc_runtime::serve_stdio(Framing::Lines).await
//! }
//! ```
//!
//! - Every method works as over HTTP and WebSocket: requests, notifications, batches, every
//!   error code, the same limits. Calls of one connection run concurrently, so answers may come
//!   out of order. Subscriptions work too.
//! - Both sides may call: a method takes a [`Peer`](crate::Peer) to send the other side a
//!   request or a notification, and [`StreamClient`] answers the server's requests with methods
//!   of its own.
//! - **Limits.** A message over the size limit (a line that never ends, a `Content-Length` of
//!   2^40) is refused without being buffered: the server answers one -32600 error (id `null`)
//!   and closes the connection. Broken framing (a header line without `:`, no
//!   `Content-Length`) is answered with -32700 and closes it too. Other connections are not
//!   affected.
//! - **The end.** On stdio, the end of stdin is the normal end of a session: the calls in
//!   flight are answered, then the server returns. On a socket, the end of the input is the end
//!   of the connection (TCP cannot tell a half-close from a close): what is answered by then is
//!   sent, and the calls still running are dropped: their futures are not polled again. A
//!   server's graceful shutdown answers the calls in flight on every connection first.
//! - **stdio.** Nothing but protocol goes to stdout. Logs belong on stderr: install a
//!   `tracing` subscriber that writes there (`tracing_subscriber::fmt().with_writer(std::io::stderr)`),
//!   and do not `println!`.

mod client;
mod connection;
mod framing;
mod serve;

use std::sync::Arc;
use std::time::Duration;

pub use client::{StreamClient, StreamClientBuilder};
pub use framing::Framing;
pub use serve::{serve_stdio, ListenAddr, StreamServer};

use crate::session::{random_ids, SubscriptionId, SubscriptionIds};

/// How stream connections are run. Every default is the same as for WebSocket connections
/// ([`crate::ws`]); there are no pings (the framings have none).
#[derive(Clone)]
pub struct StreamConfig {
    pub(crate) max_message_size: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) queue_messages: usize,
    pub(crate) queue_bytes: usize,
    pub(crate) write_timeout: Duration,
    pub(crate) max_subscriptions: usize,
    pub(crate) max_connections: usize,
    pub(crate) subscription_ids: SubscriptionIds,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            max_message_size: crate::DEFAULT_MAX_BODY_SIZE,
            max_in_flight: crate::ws::DEFAULT_MAX_IN_FLIGHT,
            queue_messages: crate::ws::DEFAULT_QUEUE_MESSAGES,
            queue_bytes: crate::ws::DEFAULT_QUEUE_BYTES,
            write_timeout: crate::ws::DEFAULT_WRITE_TIMEOUT,
            max_subscriptions: crate::ws::DEFAULT_MAX_SUBSCRIPTIONS,
            max_connections: crate::DEFAULT_MAX_CONNECTIONS,
            subscription_ids: random_ids(),
        }
    }
}

impl StreamConfig {
    /// The defaults.
    pub fn new() -> Self {
        StreamConfig::default()
    }

    /// The largest message, in bytes (default: 10 MiB, as an HTTP body).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(1);
        self
    }

    /// The most calls answered at once on one connection; reading pauses at the cap
    /// (default: 64).
    pub fn max_in_flight(mut self, calls: usize) -> Self {
        self.max_in_flight = calls.max(1);
        self
    }

    /// The most messages and bytes waiting to be written to one connection (default: 256
    /// messages, 4 MiB).
    pub fn outgoing_queue(mut self, messages: usize, bytes: usize) -> Self {
        self.queue_messages = messages.max(1);
        self.queue_bytes = bytes.max(1);
        self
    }

    /// How long a write may wait for a peer that does not read before the connection is
    /// closed (default: 30 s).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// The most subscriptions open on one connection (default: 1,024).
    pub fn max_subscriptions(mut self, subscriptions: usize) -> Self {
        self.max_subscriptions = subscriptions;
        self
    }

    /// The most connections a TCP or Unix listener serves at once; more wait in the listen
    /// queue (default: 10,000).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// Makes the ids of new subscriptions (default: 32 random hex digits).
    pub fn subscription_ids(
        mut self,
        ids: impl Fn() -> SubscriptionId + Send + Sync + 'static,
    ) -> Self {
        self.subscription_ids = Arc::new(ids);
        self
    }
}

impl std::fmt::Debug for StreamConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamConfig")
            .field("max_message_size", &self.max_message_size)
            .field("max_in_flight", &self.max_in_flight)
            .field("queue_messages", &self.queue_messages)
            .field("queue_bytes", &self.queue_bytes)
            .field("write_timeout", &self.write_timeout)
            .field("max_subscriptions", &self.max_subscriptions)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}
