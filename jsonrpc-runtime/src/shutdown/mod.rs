//! Shutting down without losing a call: the signals that start it, and the drain a load
//! balancer can follow.
//!
//! [`Server::run`](crate::Server::run) serves until SIGINT or SIGTERM (Ctrl-C on platforms
//! without Unix signals; choose others with
//! [`ServerBuilder::shutdown_signals`](crate::ServerBuilder::shutdown_signals)), then drains:
//!
//! 1. **Unhealthy at once.** The health path (opt-in, see
//!    [`ServerBuilder::health`](crate::ServerBuilder::health)) answers 503 from the signal on, so
//!    a balancer that checks it stops sending new work here.
//! 2. **The drain delay** ([`DEFAULT_DRAIN_DELAY`], 5 s). The server keeps accepting and
//!    answering, but every HTTP/1.1 response carries `Connection: close` and each HTTP/2
//!    connection is sent GOAWAY, so the pooled connections of a balancer (or any client) are
//!    retired as they are used, between two requests, where no request can be lost. Idle
//!    keep-alive connections are not closed by the server during the delay: a balancer may
//!    have just written a request into one. The delay ends early when no HTTP connection is
//!    open, unless a health path is set (then a balancer is polling it and must get to see the
//!    503).
//! 3. **Stop accepting.** The connections already waiting in the kernel's accept queue are
//!    accepted and served first (closing a listener with connections queued resets them), then
//!    the listener is closed. Idle keep-alive connections are closed; a connection that has not
//!    sent a request yet gets a second to send one.
//! 4. **Finish.** The calls in flight are answered (each response closes its connection) and
//!    WebSocket connections answer theirs and close with 1001 (going away), all within the
//!    drain timeout ([`DEFAULT_DRAIN_TIMEOUT`], 20 s). At the timeout the connections still
//!    open are cut off, whatever they are doing (a client stalled in the middle of a request
//!    body cannot hold the exit), and a warning says how many.
//! 5. `run` returns `Ok(())`: a `main` that returns it exits with status 0.
//!
//! A second signal during the drain cuts every connection off and returns at once.
//! [`Server::run_until`](crate::Server::run_until) follows the same sequence from a future of
//! your own instead of signals (and then listens for no signal at all).
//!
//! | setting | default | builder method |
//! | --- | --- | --- |
//! | signals | SIGINT, SIGTERM | [`shutdown_signals`](crate::ServerBuilder::shutdown_signals) |
//! | drain delay | 5 s | [`drain_delay`](crate::ServerBuilder::drain_delay) |
//! | drain timeout | 20 s | [`drain_timeout`](crate::ServerBuilder::drain_timeout) |
//! | health path | none | [`health`](crate::ServerBuilder::health), [`readiness`](crate::ServerBuilder::readiness) |
//!
//! The delay and the timeout add up to 25 s: within the 30 s Kubernetes waits after SIGTERM
//! before it kills a pod, and systemd's 90 s. Docker waits 10 s: run `docker stop -t 30`, or
//! shorten both settings.
//!
//! [`StreamServer::run`](crate::stream::StreamServer::run) stops on the same signals; it has no
//! delay or health path (stream connections have no balancer to tell), but finishes the calls
//! in flight within the drain timeout, and a second signal returns at once.

mod phase;
mod signals;

use std::time::Duration;

pub(crate) use phase::{Phase, Phases};
pub use signals::Signals;

/// The kind of a Unix signal, for [`Signals::unix`] (tokio's type).
#[cfg(unix)]
pub use tokio::signal::unix::SignalKind;

/// The default drain delay: 5 seconds. Long enough for a balancer that checks health every
/// second or two to see two failures, and for the pooled connections of a busy balancer to be
/// retired by use; short enough not to slow a rolling restart much.
pub const DEFAULT_DRAIN_DELAY: Duration = Duration::from_secs(5);

/// The default drain timeout: 20 seconds, the longest the calls in flight are waited for once
/// the server stops accepting.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// How a server shuts down: what starts it, and how long each step may take.
#[derive(Clone, Debug)]
pub(crate) struct DrainConfig {
    pub(crate) signals: Signals,
    pub(crate) delay: Duration,
    pub(crate) timeout: Duration,
}

impl Default for DrainConfig {
    fn default() -> Self {
        DrainConfig {
            signals: Signals::default(),
            delay: DEFAULT_DRAIN_DELAY,
            timeout: DEFAULT_DRAIN_TIMEOUT,
        }
    }
}
