//! The outgoing queue of one long-lived connection: answers, subscription items and close
//! requests wait here for the connection's writer. It is bounded twice, in messages and in bytes,
//! so a client that stops reading holds at most a fixed amount of the server's memory.

use std::sync::Arc;

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

/// What the writer of a connection is asked to send.
pub(crate) enum Outgoing {
    /// One JSON-RPC message (a response, a batch response or a notification).
    Message(QueuedMessage),
    /// Close the connection with this WebSocket close code and reason, after what is queued.
    Close(u16, &'static str),
}

/// A queued message and its share of the byte budget, given back once it is written.
pub(crate) struct QueuedMessage {
    pub(crate) bytes: Vec<u8>,
    _budget: OwnedSemaphorePermit,
}

/// Why a message could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueError {
    /// The queue is full (only from [`Outbox::try_reserve`]).
    Full,
    /// The connection's writer is gone: the connection is closed.
    Closed,
}

/// The sending side of a connection's queue. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Outbox {
    messages: mpsc::Sender<Outgoing>,
    bytes: Arc<Semaphore>,
    byte_budget: usize,
}

/// The receiving side, owned by the connection's writer.
pub(crate) type Inbox = mpsc::Receiver<Outgoing>;

/// A reserved place in the queue: sending through it cannot wait or fail, so a caller can
/// reserve first and then decide under a lock whether to send (see `Subscription::deliver`).
pub(crate) struct Reserved<'a> {
    slot: mpsc::Permit<'a, Outgoing>,
    budget: OwnedSemaphorePermit,
}

impl Reserved<'_> {
    /// Queues `bytes` in the reserved place.
    pub(crate) fn send(self, bytes: Vec<u8>) {
        self.slot.send(Outgoing::Message(QueuedMessage {
            bytes,
            _budget: self.budget,
        }));
    }
}

/// A queue of at most `messages` messages and `byte_budget` bytes (a single message larger than
/// the budget takes all of it, so it is still sent, alone).
pub(crate) fn outbox(messages: usize, byte_budget: usize) -> (Outbox, Inbox) {
    // Permits are taken as a u32 at a time.
    let byte_budget = byte_budget.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let (sender, receiver) = mpsc::channel(messages.max(1));
    let outbox = Outbox {
        messages: sender,
        bytes: Arc::new(Semaphore::new(byte_budget)),
        byte_budget,
    };
    (outbox, receiver)
}

impl Outbox {
    /// Waits for room for a message of `len` bytes.
    pub(crate) async fn reserve(&self, len: usize) -> Result<Reserved<'_>, QueueError> {
        let share = self.share(len);
        let budget = match Arc::clone(&self.bytes).try_acquire_many_owned(share) {
            Ok(budget) => budget,
            // Messages queued when the writer went may never give their bytes back: stop
            // waiting for bytes once it is gone.
            Err(_) => tokio::select! {
                biased;
                () = self.messages.closed() => return Err(QueueError::Closed),
                budget = Arc::clone(&self.bytes).acquire_many_owned(share) => {
                    budget.map_err(|_| QueueError::Closed)?
                }
            },
        };
        let slot = self
            .messages
            .reserve()
            .await
            .map_err(|_| QueueError::Closed)?;
        Ok(Reserved { slot, budget })
    }

    /// Room for a message of `len` bytes, if there is some now.
    pub(crate) fn try_reserve(&self, len: usize) -> Result<Reserved<'_>, QueueError> {
        if self.messages.is_closed() {
            return Err(QueueError::Closed);
        }
        let budget = Arc::clone(&self.bytes)
            .try_acquire_many_owned(self.share(len))
            .map_err(|error| match error {
                tokio::sync::TryAcquireError::NoPermits => QueueError::Full,
                tokio::sync::TryAcquireError::Closed => QueueError::Closed,
            })?;
        let slot = self.messages.try_reserve().map_err(|error| match error {
            mpsc::error::TrySendError::Full(()) => QueueError::Full,
            mpsc::error::TrySendError::Closed(()) => QueueError::Closed,
        })?;
        Ok(Reserved { slot, budget })
    }

    /// Queues a message, waiting for room.
    pub(crate) async fn send(&self, bytes: Vec<u8>) -> Result<(), QueueError> {
        self.reserve(bytes.len()).await?.send(bytes);
        Ok(())
    }

    /// Asks the writer to close the connection once what is queued before has been sent.
    pub(crate) async fn close(&self, code: u16, reason: &'static str) {
        // A writer that is gone has closed the connection already.
        let _ = self.messages.send(Outgoing::Close(code, reason)).await;
    }

    /// Asks the writer to close at once, if the queue has room for the request; a full queue
    /// belongs to a client that is not reading, which the writer's timeout deals with.
    pub(crate) fn try_close(&self, code: u16, reason: &'static str) {
        let _ = self.messages.try_send(Outgoing::Close(code, reason));
    }

    /// Resolves once the writer is gone.
    pub(crate) async fn closed(&self) {
        self.messages.closed().await
    }

    fn share(&self, len: usize) -> u32 {
        // `byte_budget` fits in a u32: `outbox` clamps it.
        len.clamp(1, self.byte_budget) as u32
    }
}
