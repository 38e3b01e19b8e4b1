//! The caller's end of a subscription: a stream of items, decoded as they are read.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::{Dropped, Handle, Item};
use crate::client::{request_body, ClientError, Id, ToParams};

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
pub struct Subscription<T> {
    id: Id,
    items: mpsc::Receiver<Item>,
    handle: Arc<Handle>,
    unsubscribe: String,
    timeout: Duration,
    /// The stream has yielded its end: the server (or the client's task) ended it.
    ended: bool,
    /// `unsubscribe` was called: dropping must not send another.
    unsubscribed: bool,
    item: PhantomData<fn() -> T>,
}

impl<T> Subscription<T> {
    pub(super) fn new(
        handle: Arc<Handle>,
        id: Id,
        unsubscribe: String,
        items: mpsc::Receiver<Item>,
        timeout: Duration,
    ) -> Self {
        Subscription {
            id,
            items,
            handle,
            unsubscribe,
            timeout,
            ended: false,
            unsubscribed: false,
            item: PhantomData,
        }
    }

    /// The subscription's id, as the server gave it (by default a string).
    pub fn id(&self) -> &Id {
        &self.id
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
    pub async fn unsubscribe(mut self) -> Result<bool, ClientError> {
        self.unsubscribed = true;
        let id = self.handle.ids.next_id();
        let params = (&self.id,).to_params()?;
        let frame = request_body(&self.unsubscribe, params.as_deref(), Some(&id));
        let result = self
            .handle
            .call(id, frame, Some(self.id.clone()), self.timeout)
            .await?;
        serde_json::from_str(result.get()).map_err(ClientError::Decode)
    }
}

impl<T: DeserializeOwned> Stream for Subscription<T> {
    type Item = Result<T, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match ready!(self.items.poll_recv(cx)) {
            Some(Ok(raw)) => Poll::Ready(Some(
                serde_json::from_str(raw.get()).map_err(ClientError::Decode),
            )),
            Some(Err(error)) => {
                self.ended = true;
                Poll::Ready(Some(Err(error)))
            }
            None => {
                self.ended = true;
                Poll::Ready(None)
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
            let _ = self.handle.drops.send(Dropped {
                subscription: self.id.clone(),
            });
        }
    }
}

impl<T> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("unsubscribe", &self.unsubscribe)
            .field("item", &std::any::type_name::<T>())
            .field("buffered", &self.items.len())
            .field("ended", &self.ended)
            .finish()
    }
}
