//! One open subscription of a session: its id, the queue its items go to, and the order rules.
//!
//! Two rules need care. No item goes out before the answer that carries the subscription's id
//! (items wait for [`SubscriptionState::announce`]). No item goes out after the answer to an
//! unsubscribe call: an item is queued and the subscription is ended under the same lock, so an
//! item is either queued before the unsubscribe call's answer or not at all.

use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use super::{Outbox, QueueError};

/// The state of one subscription, shared by its sink and its session.
pub(crate) struct SubscriptionState {
    id_json: Box<str>,
    notification: &'static str,
    /// The method that ends it, as served.
    unsubscribe: String,
    outbox: Outbox,
    /// Cancelled when the subscription ends, by the client, the server or a closed connection.
    ended: CancellationToken,
    /// Cancelled once the answer carrying the id is queued.
    announced: CancellationToken,
    /// `true` once ended: held while an item is queued, so that ending waits for it.
    gate: Mutex<bool>,
}

/// Why an item was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeliverError {
    /// The queue is full (only when not waiting).
    Full,
    /// The subscription has ended.
    Ended,
}

impl SubscriptionState {
    pub(crate) fn new(
        id_json: Box<str>,
        notification: &'static str,
        unsubscribe: String,
        outbox: Outbox,
        ended: CancellationToken,
    ) -> Self {
        SubscriptionState {
            id_json,
            notification,
            unsubscribe,
            outbox,
            ended,
            announced: CancellationToken::new(),
            gate: Mutex::new(false),
        }
    }

    /// The id as JSON text (`"3f2a..."`, or a number).
    pub(crate) fn id_json(&self) -> &str {
        &self.id_json
    }

    /// The method name of the subscription's notifications.
    pub(crate) fn notification(&self) -> &'static str {
        self.notification
    }

    /// The method that ends it, as served.
    pub(crate) fn unsubscribe(&self) -> &str {
        &self.unsubscribe
    }

    /// Whether the subscription has ended.
    pub(crate) fn is_ended(&self) -> bool {
        self.ended.is_cancelled()
    }

    /// Resolves once the subscription has ended.
    pub(crate) async fn ended(&self) {
        self.ended.cancelled().await
    }

    /// Lets items go out: the subscription's id has been sent to the client.
    pub(crate) fn announce(&self) {
        self.announced.cancel();
    }

    /// Ends the subscription; `true` when it was still open.
    pub(crate) fn end(&self) -> bool {
        let was_open = {
            let mut ended = self.lock_gate();
            !std::mem::replace(&mut *ended, true)
        };
        self.ended.cancel();
        was_open
    }

    /// Queues one message of the subscription, waiting for room in the connection's queue.
    pub(crate) async fn deliver(&self, bytes: Vec<u8>) -> Result<(), DeliverError> {
        self.wait_announced().await?;
        let reserved = match self.outbox.try_reserve(bytes.len()) {
            Ok(reserved) => reserved,
            Err(QueueError::Closed) => return Err(DeliverError::Ended),
            Err(QueueError::Full) => tokio::select! {
                biased;
                () = self.ended.cancelled() => return Err(DeliverError::Ended),
                reserved = self.outbox.reserve(bytes.len()) => reserved.map_err(|_| DeliverError::Ended)?,
            },
        };
        let ended = self.lock_gate();
        if *ended {
            return Err(DeliverError::Ended);
        }
        reserved.send(bytes);
        Ok(())
    }

    /// Queues one message if there is room now.
    pub(crate) fn try_deliver(&self, bytes: Vec<u8>) -> Result<(), DeliverError> {
        if self.is_ended() {
            return Err(DeliverError::Ended);
        }
        if !self.announced.is_cancelled() {
            // The answer with the id is about to be queued: for a moment, there is no room.
            return Err(DeliverError::Full);
        }
        let reserved = self
            .outbox
            .try_reserve(bytes.len())
            .map_err(|error| match error {
                QueueError::Full => DeliverError::Full,
                QueueError::Closed => DeliverError::Ended,
            })?;
        let ended = self.lock_gate();
        if *ended {
            return Err(DeliverError::Ended);
        }
        reserved.send(bytes);
        Ok(())
    }

    /// Queues the message that tells the client the server ended the subscription, and ends
    /// it; nothing is sent when the client ended it first.
    pub(crate) async fn finish(&self, bytes: Vec<u8>) {
        if self.wait_announced().await.is_ok() {
            let reserved = tokio::select! {
                biased;
                () = self.ended.cancelled() => None,
                reserved = self.outbox.reserve(bytes.len()) => reserved.ok(),
            };
            if let Some(reserved) = reserved {
                let mut ended = self.lock_gate();
                if !*ended {
                    reserved.send(bytes);
                    *ended = true;
                }
            }
        }
        self.end();
    }

    async fn wait_announced(&self) -> Result<(), DeliverError> {
        if self.announced.is_cancelled() {
            return Ok(());
        }
        tokio::select! {
            biased;
            () = self.announced.cancelled() => Ok(()),
            () = self.ended.cancelled() => Err(DeliverError::Ended),
        }
    }

    fn lock_gate(&self) -> std::sync::MutexGuard<'_, bool> {
        self.gate
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
