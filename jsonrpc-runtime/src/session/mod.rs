//! What a method sees of a long-lived connection (WebSocket today, byte streams next): its
//! outgoing queue and its subscriptions. A transport creates one [`Session`] per connection and
//! dispatches each incoming message within a [`MessageScope`]; HTTP has no session, which is how
//! a subscription learns that it needs another transport.
//!
//! Below the method model, which reads it (a [`Peer`](crate::Peer), a subscription's sink): it
//! may depend only on the wire format, never on methods, the dispatcher or a transport.

mod calls;
mod id;
mod outbox;
mod subscriptions;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

pub(crate) use calls::{read_reply, Calls};
pub use id::SubscriptionId;
pub(crate) use id::{random_ids, SubscriptionIds};
pub(crate) use outbox::{outbox, Inbox, Outbox, Outgoing, QueueError};
pub(crate) use subscriptions::{DeliverError, SubscriptionState};

/// One connection, as methods and subscriptions see it.
pub(crate) struct Session {
    pub(crate) outbox: Outbox,
    /// Cancelled when the connection closes (for any reason, on either side).
    pub(crate) gone: CancellationToken,
    subscriptions: Mutex<HashMap<Box<str>, Arc<SubscriptionState>>>,
    max_subscriptions: usize,
    ids: SubscriptionIds,
    /// Requests this side sent the other, waiting for their answers.
    pub(crate) calls: Calls,
}

/// Why a subscription could not be added to a session.
pub(crate) enum AddError {
    /// The session has as many subscriptions as it may.
    TooMany(usize),
    /// The connection has closed.
    Gone,
}

impl Session {
    pub(crate) fn new(outbox: Outbox, max_subscriptions: usize, ids: SubscriptionIds) -> Self {
        Session {
            outbox,
            gone: CancellationToken::new(),
            subscriptions: Mutex::new(HashMap::new()),
            max_subscriptions,
            ids,
            calls: Calls::default(),
        }
    }

    /// Opens a subscription that sends its items as `notification`, with a fresh id.
    pub(crate) fn open(
        &self,
        notification: &'static str,
        unsubscribe: String,
    ) -> Result<Arc<SubscriptionState>, AddError> {
        if self.gone.is_cancelled() {
            return Err(AddError::Gone);
        }
        let mut table = self.table();
        if table.len() >= self.max_subscriptions {
            return Err(AddError::TooMany(self.max_subscriptions));
        }
        // Ids are random or chosen by the server's provider: skip one the connection already
        // uses rather than trust that it never repeats.
        let id_json = loop {
            let id = (self.ids)();
            let json = serde_json::to_string(&id).unwrap_or_default();
            if !table.contains_key(json.as_str()) {
                break json.into_boxed_str();
            }
        };
        let state = Arc::new(SubscriptionState::new(
            id_json.clone(),
            notification,
            unsubscribe,
            self.outbox.clone(),
            self.gone.child_token(),
        ));
        table.insert(id_json, Arc::clone(&state));
        Ok(state)
    }

    /// Ends the subscription whose id is `id_json` at the client's request through the method
    /// `unsubscribe`; `false` when the connection has no such subscription (never had, it has
    /// ended, or it is ended by another method).
    pub(crate) fn unsubscribe(&self, id_json: &str, unsubscribe: &str) -> bool {
        let removed = {
            let mut table = self.table();
            match table.get(id_json) {
                Some(state) if state.unsubscribe() == unsubscribe => table.remove(id_json),
                _ => None,
            }
        };
        match removed {
            Some(state) => state.end(),
            None => false,
        }
    }

    /// Forgets a subscription that has ended on the server's side.
    pub(crate) fn remove(&self, state: &SubscriptionState) {
        let mut table = self.table();
        if table
            .get(state.id_json())
            .is_some_and(|held| std::ptr::eq(Arc::as_ptr(held), state))
        {
            table.remove(state.id_json());
        }
    }

    /// Marks the connection closed: every subscription ends, and their functions learn it.
    pub(crate) fn close(&self) {
        self.gone.cancel();
        self.calls.close();
        let ended: Vec<_> = self.table().drain().map(|(_, state)| state).collect();
        for state in ended {
            state.end();
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Arc<SubscriptionState>>> {
        // The table holds no invariant a panic could break half-way.
        self.subscriptions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

/// One incoming message being answered on a session. Subscriptions opened by its calls send no
/// item until the transport has queued the message's answer (which carries their ids): the
/// transport calls [`MessageScope::announce`] once it has.
pub(crate) struct MessageScope {
    pub(crate) session: Arc<Session>,
    opened: Mutex<Vec<Arc<SubscriptionState>>>,
}

impl MessageScope {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        MessageScope {
            session,
            opened: Mutex::new(Vec::new()),
        }
    }

    /// Notes a subscription opened by one of the message's calls.
    pub(crate) fn opened(&self, state: Arc<SubscriptionState>) {
        self.opened
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(state);
    }

    /// Lets the subscriptions opened by the message send their items: its answer is queued.
    pub(crate) fn announce(&self) {
        let opened = std::mem::take(
            &mut *self
                .opened
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        for state in opened {
            state.announce();
        }
    }
}

impl Drop for MessageScope {
    fn drop(&mut self) {
        // A message dropped unanswered (the connection closed) must not leave its
        // subscriptions waiting forever.
        self.announce();
    }
}
