//! The subscription function's side of a subscription: [`Sink`] and [`PendingSink`].

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::oneshot;

use crate::error::code;
use crate::session::{Session, SubscriptionState};
use crate::wire::notification as items;
use crate::{Error, SubscriptionId};

/// Sends the items of one subscription to its client. The first argument of a
/// [`#[subscription]`](macro@crate::subscription) function.
///
/// Cheap to clone; every clone sends to the same subscription.
pub struct Sink<T> {
    state: Arc<SubscriptionState>,
    _item: PhantomData<fn(T)>,
}

impl<T> Clone for Sink<T> {
    fn clone(&self) -> Self {
        Sink {
            state: Arc::clone(&self.state),
            _item: PhantomData,
        }
    }
}

/// The client has gone: it unsubscribed or disconnected, or the server ended the subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the subscription has ended: the client unsubscribed or disconnected")]
pub struct SendError;

impl From<SendError> for Error {
    fn from(_: SendError) -> Error {
        Error::new(code::SUBSCRIPTION_CLOSED, "the subscription has ended")
    }
}

/// Why [`Sink::try_send`] sent nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError {
    /// The connection's outgoing queue is full: the client is reading slower than items come.
    #[error("the client's outgoing queue is full")]
    Full,
    /// The subscription has ended.
    #[error("the subscription has ended: the client unsubscribed or disconnected")]
    Closed,
}

impl From<TrySendError> for Error {
    fn from(error: TrySendError) -> Error {
        match error {
            TrySendError::Full => Error::new(
                code::SUBSCRIPTION_LAGGED,
                "the client did not keep up with the subscription",
            ),
            TrySendError::Closed => SendError.into(),
        }
    }
}

impl<T: Serialize> Sink<T> {
    /// Sends one item, waiting while the connection's outgoing queue is full. Fails once the
    /// subscription has ended (the client unsubscribed or disconnected).
    ///
    /// An item that cannot be serialized is an error of the server's own making: it is logged
    /// and skipped, and `send` returns `Ok`.
    pub async fn send(&self, item: impl Borrow<T>) -> Result<(), SendError> {
        let Some(bytes) = self.item_bytes(item.borrow()) else {
            return Ok(());
        };
        self.state.deliver(bytes).await.map_err(|_| SendError)
    }

    /// Sends one item if the outgoing queue has room now; never waits.
    pub fn try_send(&self, item: impl Borrow<T>) -> Result<(), TrySendError> {
        let Some(bytes) = self.item_bytes(item.borrow()) else {
            return Ok(());
        };
        self.state.try_deliver(bytes).map_err(|error| match error {
            crate::session::DeliverError::Full => TrySendError::Full,
            crate::session::DeliverError::Ended => TrySendError::Closed,
        })
    }

    fn item_bytes(&self, item: &T) -> Option<Vec<u8>> {
        match serde_json::to_string(item) {
            Ok(json) => Some(self.json_item(&json)),
            Err(error) => {
                tracing::error!(%error, notification = self.state.notification(), "a subscription item could not be serialized");
                None
            }
        }
    }
}

impl<T> Sink<T> {
    /// Sends an item that is already JSON text (a [`Broadcast`](crate::Broadcast) serializes
    /// each item once for all its subscribers).
    pub(crate) async fn send_json(&self, item_json: &str) -> Result<(), SendError> {
        let bytes = self.json_item(item_json);
        self.state.deliver(bytes).await.map_err(|_| SendError)
    }

    /// The subscription's shared state, for a [`Broadcast`](crate::Broadcast) that counts its
    /// live subscribers.
    pub(crate) fn state(&self) -> &Arc<SubscriptionState> {
        &self.state
    }

    fn json_item(&self, item_json: &str) -> Vec<u8> {
        items::item(self.state.notification(), self.state.id_json(), item_json)
    }

    /// Resolves once the subscription has ended: the client unsubscribed or disconnected.
    pub async fn closed(&self) {
        self.state.ended().await
    }

    /// Whether the subscription has ended.
    pub fn is_closed(&self) -> bool {
        self.state.is_ended()
    }

    /// The subscription's id, as the client knows it.
    pub fn id(&self) -> SubscriptionId {
        serde_json::from_str(self.state.id_json())
            .unwrap_or_else(|_| SubscriptionId::String(self.state.id_json().to_owned().into()))
    }
}

impl<T> std::fmt::Debug for Sink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("id", &self.state.id_json())
            .field("notification", &self.state.notification())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A subscription that is not accepted yet: the first argument of a
/// [`#[subscription]`](macro@crate::subscription) function that checks a request before it starts.
///
/// The subscribe call is answered when the function accepts (with the id), rejects (with the
/// error), or returns (an `Err` is the answer; `Ok` without accepting answers -32603).
///
/// ```
/// use jsonrpc_runtime::{subscription, Error, PendingSink};
///
/// #[subscription(name = "subscribe_prices", unsubscribe = "unsubscribe_prices", notification = "prices")]
/// async fn prices(pending: PendingSink<f64>, symbol: String) -> Result<(), Error> {
///     if symbol != "ACME" {
///         return Err(Error::new(-32010, "unknown symbol").with_data(symbol));
///     }
///     let sink = pending.accept();
///     sink.send(101.5).await?;
///     Ok(())
/// }
/// # fn main() {}
/// ```
pub struct PendingSink<T> {
    pending: PendingSubscription,
    _item: PhantomData<fn(T)>,
}

impl<T> PendingSink<T> {
    /// Accepts the subscription: the subscribe call is answered with its id, and the sink
    /// sends items after that answer.
    pub fn accept(self) -> Sink<T> {
        self.pending.answer(Ok(()));
        Sink {
            state: Arc::clone(&self.pending.state),
            _item: PhantomData,
        }
    }

    /// Rejects the subscription: the subscribe call is answered with `error`, and nothing else
    /// is sent.
    pub fn reject(self, error: impl Into<Error>) {
        self.pending.answer(Err(error.into()));
    }

    /// Resolves once the client has gone (it disconnected before the function decided).
    pub async fn closed(&self) {
        self.pending.state.ended().await
    }
}

/// Not public API: what the code `#[subscription]` generates hands the function's first
/// argument, a [`Sink`] or a [`PendingSink`].
pub struct PendingSubscription {
    pub(crate) state: Arc<SubscriptionState>,
    pub(crate) session: std::sync::Weak<Session>,
    /// Taken by the first answer; shared with the task that runs the function, which answers
    /// with the function's result if it returns unanswered.
    pub(crate) answer: Answer,
}

/// Where a subscribe call's answer goes: taken by whoever answers first.
pub(crate) type Answer = Arc<Mutex<Option<oneshot::Sender<Result<(), Error>>>>>;

impl PendingSubscription {
    /// Answers the subscribe call, once; a rejected subscription is closed at once.
    pub(crate) fn answer(&self, result: Result<(), Error>) {
        let sender = self
            .answer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let rejected = result.is_err();
        if let Some(sender) = sender {
            let _ = sender.send(result);
        }
        if rejected {
            if let Some(session) = self.session.upgrade() {
                session.remove(&self.state);
            }
            self.state.end();
        }
    }
}

/// Not public API: how the first argument of a subscription function is made.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a subscription sink",
    label = "the first argument of a `#[subscription]` function is where its items go: `Sink<T>` or `PendingSink<T>`"
)]
pub trait FromPending: Sized {
    /// Builds the argument; a [`Sink`] accepts the subscription on the spot.
    fn from_pending(pending: PendingSubscription) -> Self;
}

impl<T> FromPending for Sink<T> {
    fn from_pending(pending: PendingSubscription) -> Self {
        PendingSink {
            pending,
            _item: PhantomData,
        }
        .accept()
    }
}

impl<T> FromPending for PendingSink<T> {
    fn from_pending(pending: PendingSubscription) -> Self {
        PendingSink {
            pending,
            _item: PhantomData,
        }
    }
}

/// Not public API: the item type of a sink argument, for the typed client.
pub trait SinkItem {
    /// The type of the items.
    type Item;
}

impl<T> SinkItem for Sink<T> {
    type Item = T;
}

impl<T> SinkItem for PendingSink<T> {
    type Item = T;
}
