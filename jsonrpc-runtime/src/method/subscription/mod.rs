//! Subscriptions: server push over a long-lived connection (WebSocket).
//!
//! A [`#[subscription]`](macro@crate::subscription) function gets a [`Sink`] as its first argument
//! and sends items through it for as long as it likes; its other arguments are params and
//! context, exactly as for [`#[method]`](macro@crate::method).
//!
//! ```
//! use std::time::Duration;
//! use jsonrpc_runtime::{subscription, Error, Sink};
//!
//! /// Counts from 0 to `count - 1`, one item every `interval_ms`.
//! #[subscription(name = "subscribe_ticks", unsubscribe = "unsubscribe_ticks", notification = "ticks")]
//! async fn ticks(sink: Sink<u64>, count: u64, interval_ms: u64) -> Result<(), Error> {
//!     for n in 0..count {
//!         sink.send(n).await?; // waits while the client's queue is full; fails once it is gone
//!         tokio::time::sleep(Duration::from_millis(interval_ms)).await;
//!     }
//!     Ok(())
//! }
//! # fn main() {}
//! ```
//!
//! # On the wire
//! - **Subscribe** with an ordinary request (`subscribe_ticks`, params `[3, 10]`); the result is
//!   the subscription's id, a string of 32 hex digits by default (random: ids cannot be
//!   guessed; see [`ServerBuilder::subscription_ids`](crate::ServerBuilder::subscription_ids)).
//! - **Items** are notifications:
//!   `{"jsonrpc":"2.0","method":"ticks","params":{"subscription":"<id>","result":<item>}}`.
//!   None is sent before the answer that carries the id.
//! - **Unsubscribe** with `unsubscribe_ticks`, params `["<id>"]`: `true` when the subscription
//!   was open, `false` when it was not (never was, has ended, or belongs to another connection).
//!   No item of that subscription follows the answer.
//! - **When the function returns**, the server ends the subscription and says so with one last
//!   notification: `"params":{"subscription":"<id>","complete":true}` after `Ok`, or
//!   `"params":{"subscription":"<id>","error":{"code":..,"message":..}}` after `Err` (the shape
//!   jsonrpsee's client reads as the end of a subscription). Nothing is sent when the client
//!   ended it first.
//! - Over HTTP, a subscribe call answers
//!   [`code::NEEDS_CONNECTION`](crate::error::code::NEEDS_CONNECTION).
//!
//! # The function's side
//! - [`Sink::send`] waits while the connection's outgoing queue is full (a client that reads
//!   slowly slows its own subscriptions, no one else's) and fails with [`SendError`] once the
//!   client has unsubscribed or disconnected; [`Sink::try_send`] never waits.
//! - [`Sink::closed`] resolves when the client has gone, for a function that waits on
//!   something else (`tokio::select!` on both). The function is not cancelled: it runs until it
//!   returns, so it should notice one or the other.
//! - To check a request before accepting it, take a [`PendingSink`] instead and
//!   [`accept`](PendingSink::accept) or [`reject`](PendingSink::reject) it; returning `Err`
//!   before accepting answers the subscribe call with that error.
//! - [`Broadcast`] fans one source out to every subscriber ("new block", "new trade").

mod broadcast;
pub(crate) mod sink;
pub(crate) mod start;

pub use crate::session::SubscriptionId;
pub use broadcast::Broadcast;
pub use sink::{PendingSink, SendError, Sink, TrySendError};
