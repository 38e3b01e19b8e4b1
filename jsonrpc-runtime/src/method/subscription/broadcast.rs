//! Fan-out: one source of items, every live subscriber of a subscription method.

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;

use super::Sink;
use crate::error::code;
use crate::session::SubscriptionState;
use crate::Error;

/// Sends each item to every subscriber that [`forward`](Broadcast::forward)s from it: the
/// "new block" or "new trade" feed, with no bookkeeping of who is subscribed.
///
/// Each item is serialized once, whatever the number of subscribers. Give it to the server as
/// state and take it in both the subscription and the methods (or tasks) that publish:
///
/// ```
/// use jsonrpc_runtime::{method, subscription, Broadcast, Error, Server, Sink, State};
/// use serde_json::Value;
///
/// /// Every value passed to `publish` while subscribed.
/// #[subscription(name = "subscribe_events", unsubscribe = "unsubscribe_events", notification = "events")]
/// async fn events(sink: Sink<Value>, hub: State<Broadcast<Value>>) -> Result<(), Error> {
///     hub.forward(sink).await
/// }
///
/// /// Sends `value` to every subscriber; answers how many there were.
/// #[method]
/// fn publish(value: Value, hub: State<Broadcast<Value>>) -> usize {
///     hub.send(value)
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// Server::builder().state(Broadcast::<Value>::new(1024)).bind("127.0.0.1:5000").await?.run().await
/// # }
/// # fn main() {}
/// ```
///
/// # A subscriber that falls behind
/// Items wait for each subscriber in a ring of `capacity` items. A subscriber whose client reads
/// so slowly that it falls more than `capacity` items behind is ended with the error
/// [`code::SUBSCRIPTION_LAGGED`] (the client learns it from the subscription's last
/// notification and can subscribe again), rather than making the server hold an unbounded
/// backlog or slowing the other subscribers.
pub struct Broadcast<T> {
    sender: broadcast::Sender<Arc<str>>,
    /// The subscriptions forwarding now. Counted here rather than by the channel's receivers:
    /// a subscription the client has just ended is over at once, while its forwarding task
    /// drops its receiver a moment later.
    live: Arc<Mutex<Vec<Arc<SubscriptionState>>>>,
    _item: PhantomData<fn(T)>,
}

impl<T> Clone for Broadcast<T> {
    fn clone(&self) -> Self {
        Broadcast {
            sender: self.sender.clone(),
            live: Arc::clone(&self.live),
            _item: PhantomData,
        }
    }
}

impl<T> Default for Broadcast<T> {
    /// A broadcast whose subscribers may fall 1,024 items behind.
    fn default() -> Self {
        Broadcast::new(1024)
    }
}

impl<T> Broadcast<T> {
    /// A broadcast whose subscribers may each fall up to `capacity` items behind (at least 1).
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Broadcast {
            sender,
            live: Arc::default(),
            _item: PhantomData,
        }
    }

    /// The number of subscriptions forwarding from this broadcast now (ended ones, even those
    /// whose function has not noticed yet, are not counted).
    pub fn subscribers(&self) -> usize {
        let mut live = self.lock();
        live.retain(|state| !state.is_ended());
        live.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<SubscriptionState>>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forwards every item sent from now on to `sink`, until the client goes (`Ok`) or falls
    /// more than the capacity behind (`Err` with [`code::SUBSCRIPTION_LAGGED`]).
    pub async fn forward(&self, sink: Sink<T>) -> Result<(), Error> {
        let mut items = self.sender.subscribe();
        self.lock().push(Arc::clone(sink.state()));
        // However the forwarding ends (returned, or its task dropped), it stops counting.
        let _counted = Uncount {
            live: &self.live,
            state: sink.state(),
        };
        loop {
            let item = tokio::select! {
                biased;
                () = sink.closed() => return Ok(()),
                item = items.recv() => item,
            };
            match item {
                Ok(json) => {
                    if sink.send_json(&json).await.is_err() {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    return Err(Error::new(
                        code::SUBSCRIPTION_LAGGED,
                        "the client did not keep up with the subscription",
                    )
                    .with_data(format!("{missed} items were missed")));
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            }
        }
    }
}

impl<T: Serialize> Broadcast<T> {
    /// Sends `item` to every subscriber; answers how many there were. An item that cannot be
    /// serialized is logged and sent to no one.
    pub fn send(&self, item: impl Borrow<T>) -> usize {
        let json = match serde_json::to_string(item.borrow()) {
            Ok(json) => json,
            Err(error) => {
                tracing::error!(%error, "a broadcast item could not be serialized");
                return 0;
            }
        };
        let live = self.subscribers();
        if live == 0 {
            return 0;
        }
        // Receivers of ended subscriptions may still get it; their sinks refuse it.
        let _ = self.sender.send(Arc::from(json));
        live
    }
}

/// Takes a forwarding subscription out of its broadcast's count.
struct Uncount<'a> {
    live: &'a Mutex<Vec<Arc<SubscriptionState>>>,
    state: &'a Arc<SubscriptionState>,
}

impl Drop for Uncount<'_> {
    fn drop(&mut self) {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .retain(|held| !Arc::ptr_eq(held, self.state));
    }
}

impl<T> std::fmt::Debug for Broadcast<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broadcast")
            .field("subscribers", &self.subscribers())
            .finish()
    }
}
