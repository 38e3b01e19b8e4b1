//! How the built-in server runs its HTTP connections: the timeouts and limits that keep one
//! client, or many, from holding the server, with their defaults (the README's "Limits and
//! timeouts" table gives the reasons).

use std::time::Duration;

use crate::wire::budget::{DEFAULT_CONNECTION_MEMORY_BUDGET, DEFAULT_MEMORY_BUDGET};
use crate::ServerBuilder;

/// The default largest request body: 10 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 10 * 1024 * 1024;

/// The default time a client has to send a request's headers: 30 seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The default largest number of connections served at once: 10,000. A connection beyond it
/// closes the connection idle for longest and takes its place, or, when none is idle, is
/// answered 503 and closed.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// The default time a request's whole body may take to arrive once its headers have: 10 s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default time a connection with no request in flight is kept open: 30 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The default time a write to a client may make no progress before its connection is closed:
/// 30 s.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The default length of the kernel's queue of connections not yet accepted: 1,024.
pub const DEFAULT_LISTEN_BACKLOG: u32 = 1024;

/// The default largest number of HTTP/2 streams open at once on one connection: 64.
pub const DEFAULT_HTTP2_MAX_STREAMS: u32 = 64;

/// The default interval of HTTP/2 keep-alive pings, and the time each may take to be
/// answered: 20 s.
pub const DEFAULT_HTTP2_KEEP_ALIVE: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug)]
pub(crate) struct HttpConfig {
    pub(crate) max_body_size: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) body_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) listen_backlog: u32,
    pub(crate) http2_max_streams: u32,
    pub(crate) http2_keep_alive: Option<(Duration, Duration)>,
    pub(crate) memory_budget: Option<usize>,
    pub(crate) connection_memory_budget: Option<usize>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            listen_backlog: DEFAULT_LISTEN_BACKLOG,
            http2_max_streams: DEFAULT_HTTP2_MAX_STREAMS,
            http2_keep_alive: Some((DEFAULT_HTTP2_KEEP_ALIVE, DEFAULT_HTTP2_KEEP_ALIVE)),
            memory_budget: Some(DEFAULT_MEMORY_BUDGET),
            connection_memory_budget: Some(DEFAULT_CONNECTION_MEMORY_BUDGET),
        }
    }
}

impl ServerBuilder {
    /// How long a request's whole body may take to arrive once its headers have; a client that
    /// trickles its body gets 408 and, over HTTP/1.1, its connection closed. Default:
    /// [`DEFAULT_BODY_READ_TIMEOUT`] (10 s: 1 MiB/s for a body of the default 10 MiB limit).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_read_timeout = timeout;
        self
    }

    /// How long a connection with no request in flight (an idle keep-alive HTTP/1.1
    /// connection, an HTTP/2 connection with no stream open) is kept before the server closes
    /// it (HTTP/2 with GOAWAY). Default: [`DEFAULT_IDLE_TIMEOUT`] (30 s). Checked once a
    /// second on a clock of whole seconds: a connection closes after the timeout and within two
    /// seconds more.
    ///
    /// An HTTP/1.1 connection's [header-read timeout](ServerBuilder::header_read_timeout) also
    /// runs from the moment it is idle, so an idle HTTP/1.1 connection closes after the shorter
    /// of the two. Behind a load balancer that pools its
    /// connections, keep both longer than the balancer's own idle timeout, so that it is the
    /// one to close (nginx: `keepalive_timeout` in the `upstream` block).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// How long a write to a client may make no progress (a client that sends requests but
    /// does not read the answers) before its connection is closed and the answers it held are
    /// freed. Default: [`DEFAULT_WRITE_TIMEOUT`] (30 s).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.config.write_timeout = timeout;
        self
    }

    /// The length of the kernel's queue of connections not yet accepted (capped by the
    /// system, `net.core.somaxconn` on Linux). Default: [`DEFAULT_LISTEN_BACKLOG`].
    pub fn listen_backlog(mut self, connections: u32) -> Self {
        self.config.listen_backlog = connections.max(1);
        self
    }

    /// The largest number of HTTP/2 streams (calls) a client may have open at once on one
    /// connection; further ones wait on the client's side. Default:
    /// [`DEFAULT_HTTP2_MAX_STREAMS`] (64). Their bodies share the connection's
    /// [memory budget](ServerBuilder::connection_memory_budget).
    pub fn http2_max_streams(mut self, streams: u32) -> Self {
        self.config.http2_max_streams = streams.max(1);
        self
    }

    /// Pings every HTTP/2 connection each `interval` and closes it when a ping is not
    /// answered within `timeout`, to find clients that vanished without closing. `None` turns
    /// the pings off. Default: [`DEFAULT_HTTP2_KEEP_ALIVE`] for both.
    pub fn http2_keep_alive(mut self, ping: Option<(Duration, Duration)>) -> Self {
        self.config.http2_keep_alive = ping;
        self
    }

    /// Caps the bytes of request bodies being read and of answers waiting to be written,
    /// across all connections. A request that would cross it is refused with 503,
    /// `Retry-After: 1` and a [`SERVER_BUSY`](crate::error::code::SERVER_BUSY) error instead of
    /// being buffered; bodies and answers of 8 KiB or less are not counted, so small calls are
    /// answered whatever big ones do. `None` for no cap. Default:
    /// [`DEFAULT_MEMORY_BUDGET`] (256 MiB).
    ///
    /// This bounds what clients make the server hold, not what methods allocate while they run
    /// (a body decoded into a `serde_json::Value` takes several times its size).
    pub fn memory_budget(mut self, bytes: Option<usize>) -> Self {
        self.config.memory_budget = bytes;
        self
    }

    /// The same cap per connection: what one client may hold, whatever the total has room
    /// for (HTTP/2 streams of a connection share it). `None` for no cap. Default:
    /// [`DEFAULT_CONNECTION_MEMORY_BUDGET`] (32 MiB).
    pub fn connection_memory_budget(mut self, bytes: Option<usize>) -> Self {
        self.config.connection_memory_budget = bytes;
        self
    }
}
