//! The caller's end of a subscription: a stream of items, decoded as they are read.

use std::fmt;
use std::future::poll_fn;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::{Command, Dropped, Handle, Item, Subscribed};
use crate::client::{ClientError, Id};

/// A subscription made by [`WsClient::subscribe`](crate::client::WsClient::subscribe): a
/// [`Stream`] of the items the server sends for it, each decoded as a `T`.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use jsonrpc_runtime::client::{Subscription, WsClient};
///
/// # async fn run() -> Result<(), jsonrpc_runtime::client::ClientError> {
/// let client = WsClient::connect("ws://127.0.0.1:5000/").await?;
/// let mut ticks: Subscription<u64> = client
///     .subscribe("subscribe_ticks", (3, 10), "unsubscribe_ticks")
///     .await?;
/// while let Some(tick) = ticks.next().await {
///     println!("tick {}", tick?);
/// }
/// # Ok(())
/// # }
/// ```
///
/// - **The end.** The stream ends (`None`) when the server ends the subscription normally.
///   When the server ends it with an error, the stream yields that error
///   ([`ClientError::Rpc`]) once, then ends. When the connection closes, it yields
///   [`ClientError::ConnectionClosed`] once, then ends.
/// - **A slow reader.** Items wait in a buffer of
///   [`subscription_buffer`](crate::client::WsClientBuilder::subscription_buffer) items. When
///   it is full, the client ends the subscription rather than let memory grow: the items
///   already buffered are read, then [`ClientError::Lagged`], then the end.
/// - **An item that does not decode** as a `T` is one [`ClientError::Decode`]; the stream
///   goes on with the next item.
/// - **Unsubscribing.** [`unsubscribe`](Subscription::unsubscribe) asks the server and tells
///   whether it was still active. Dropping the subscription unsubscribes too, without waiting
///   for the answer.
/// - **Reconnecting** (with [`WsClientBuilder::reconnect`](crate::client::WsClientBuilder::reconnect)):
///   when the connection drops, the stream does not end; once the client has subscribed
///   again on a new connection, it goes on with the new server's items. **Items sent during
///   the gap are lost**, and a new server instance starts the subscription afresh (a counter
///   starts again, say). The stream of items does not show the seam;
///   [`next_event`](Subscription::next_event) yields [`SubscriptionEvent::Resumed`] at it,
///   and [`resumed`](Subscription::resumed) counts the seams read past. If the new server
///   refuses the subscribe call, the stream yields its error and ends; when the client gives
///   up reconnecting, [`ClientError::ConnectionClosed`] and the end.
pub struct Subscription<T> {
    id: Id,
    /// The task's key for it, which stays the same across connections.
    key: u64,
    /// The id the server of the current connection knows it by.
    server_id: Arc<Mutex<Id>>,
    items: mpsc::Receiver<Item>,
    handle: Arc<Handle>,
    unsubscribe: String,
    timeout: Duration,
    /// The stream has yielded its end: the server (or the client's task) ended it.
    ended: bool,
    /// `unsubscribe` was called: dropping must not send another.
    unsubscribed: bool,
    /// How many resumes have been read past.
    resumed: u64,
    item: PhantomData<fn() -> T>,
}

/// What [`Subscription::next_event`] yields: an item (as the [`Stream`] yields it), or the
/// seam where the subscription resumed on a new connection.
#[derive(Debug)]
pub enum SubscriptionEvent<T> {
    /// An item, or the error that ends the subscription: what the stream yields.
    Item(Result<T, ClientError>),
    /// The connection dropped and the subscription was made again on a new one; the items
    /// that follow are the new server's. Items the old one sent after the last item read
    /// (the ones in flight) and any the server sent during the gap are lost.
    Resumed,
}

impl<T> Subscription<T> {
    pub(super) fn new(
        handle: Arc<Handle>,
        subscribed: Subscribed,
        unsubscribe: String,
        timeout: Duration,
    ) -> Self {
        Subscription {
            id: subscribed.id,
            key: subscribed.key,
            server_id: subscribed.server_id,
            items: subscribed.items,
            handle,
            unsubscribe,
            timeout,
            ended: false,
            unsubscribed: false,
            resumed: 0,
            item: PhantomData,
        }
    }

    /// The subscription's id, as the server gave it when it subscribed (by default a string).
    /// It stays the same when the client reconnects; the server then knows the subscription
    /// by another id, [`server_id`](Subscription::server_id).
    pub fn id(&self) -> &Id {
        &self.id
    }

    /// The id the server of the current connection knows the subscription by: the
    /// [`id`](Subscription::id) until the client reconnects, then the one the new server gave.
    pub fn server_id(&self) -> Id {
        self.server_id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// How many times the subscription has resumed on a new connection, counting the
    /// resumes the reader has read past (so it changes just before the first item from the
    /// new connection is yielded). 0 without reconnection.
    pub fn resumed(&self) -> u64 {
        self.resumed
    }

    /// The name of the method that ends it, e.g. `unsubscribe_ticks`.
    pub fn unsubscribe_method(&self) -> &str {
        &self.unsubscribe
    }

    /// Ends the subscription: calls its unsubscribe method with its id and returns the
    /// server's answer, `true` if the subscription was still active, `false` if it had already
    /// ended. No item is read after this.
    ///
    /// The call has the client's request timeout.
    ///
    /// While the client reconnects, the call waits for the new connection; a subscription
    /// not yet made again on it is only forgotten (the answer is then `true`).
    pub async fn unsubscribe(mut self) -> Result<bool, ClientError> {
        self.unsubscribed = true;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let command = Command::Unsubscribe {
            id: self.handle.ids.next_id(),
            key: self.key,
            method: self.unsubscribe.clone(),
            fallback: self.server_id(),
            reply,
        };
        let result = self.handle.ask(command, answer, self.timeout).await?;
        serde_json::from_str(result.get()).map_err(ClientError::Decode)
    }
}

impl<T: DeserializeOwned> Subscription<T> {
    /// The next item, or the seam where the subscription resumed on a new connection
    /// ([`SubscriptionEvent::Resumed`]); `None` at the end. Reading with it or with the
    /// [`Stream`] can be mixed: the stream skips the seams.
    pub async fn next_event(&mut self) -> Option<SubscriptionEvent<T>> {
        poll_fn(|cx| self.poll_next_event(cx)).await
    }

    /// [`next_event`](Subscription::next_event) as a poll.
    pub fn poll_next_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<SubscriptionEvent<T>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let event = match ready!(self.items.poll_recv(cx)) {
            Some(Item::Value(raw)) => SubscriptionEvent::Item(
                serde_json::from_str(raw.get()).map_err(ClientError::Decode),
            ),
            Some(Item::Resumed) => {
                self.resumed += 1;
                SubscriptionEvent::Resumed
            }
            Some(Item::End(error)) => {
                self.ended = true;
                SubscriptionEvent::Item(Err(error))
            }
            None => {
                self.ended = true;
                return Poll::Ready(None);
            }
        };
        Poll::Ready(Some(event))
    }
}

impl<T: DeserializeOwned> Stream for Subscription<T> {
    type Item = Result<T, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match ready!(self.poll_next_event(cx)) {
                Some(SubscriptionEvent::Item(item)) => return Poll::Ready(Some(item)),
                Some(SubscriptionEvent::Resumed) => continue,
                None => return Poll::Ready(None),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.ended {
            (0, Some(0))
        } else {
            (self.items.len(), None)
        }
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        if !self.ended && !self.unsubscribed {
            // Fire and forget: the connection's task sends the unsubscribe call and ignores
            // its answer. If the connection is gone, there is nothing to unsubscribe from.
            let _ = self.handle.drops.send(Dropped { key: self.key });
        }
    }
}

impl<T> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("server_id", &self.server_id())
            .field("unsubscribe", &self.unsubscribe)
            .field("item", &std::any::type_name::<T>())
            .field("buffered", &self.items.len())
            .field("ended", &self.ended)
            .field("resumed", &self.resumed)
            .finish()
    }
}
