//! Starting and ending subscriptions: the entry points behind a subscribe call (used by the code
//! `#[subscription]` generates) and behind every unsubscribe method.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, Weak};

use futures_util::FutureExt;
use tokio::sync::oneshot;

use super::sink::{Answer, PendingSubscription};
use crate::error::code;
use crate::method::handler::{Call, FutureSlot, Outcome, SuccessHead};
use crate::method::params::ParamsReader;
use crate::session::{AddError, Session, SubscriptionState};
use crate::Error;

/// Opens a subscription for a subscribe call and starts its function on a task of its own.
///
/// `name`, `unsubscribe` and `notification` are the names the definition gives; the method may
/// be served under a prefix (`Methods::prefixed`), which its unsubscribe method then has too.
/// `start` builds the function's future from the pending subscription (the generated code
/// turns it into the function's first argument). The call is answered with the id once the
/// subscription is accepted, at once for a [`Sink`](crate::Sink) argument.
pub fn subscribe<F, Fut>(
    call: &Call<'_>,
    slot: FutureSlot<'_, '_>,
    name: &'static str,
    unsubscribe: &'static str,
    notification: &'static str,
    start: F,
) -> Outcome
where
    F: FnOnce(PendingSubscription) -> Fut,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    let method = call.context.method.to_owned();
    let Some(scope) = call.context.session else {
        return Outcome::Ready(Err(needs_connection(&method)));
    };
    if call.context.id.is_none() {
        // A notification could never learn its subscription's id: nothing is started.
        return Outcome::Ready(Ok(SuccessHead::raw("null")));
    }
    // Only this subscription's own unsubscribe method, as served, may end it.
    let unsubscribe = match method.strip_suffix(name) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}{unsubscribe}"),
        _ => unsubscribe.to_owned(),
    };
    let state = match scope.session.open(notification, unsubscribe) {
        Ok(state) => state,
        Err(AddError::TooMany(limit)) => {
            return Outcome::Ready(Err(Error::new(
                code::TOO_MANY_SUBSCRIPTIONS,
                "too many subscriptions on this connection",
            )
            .with_data(format!("the limit is {limit} per connection"))))
        }
        Err(AddError::Gone) => {
            return Outcome::Ready(Err(
                Error::internal_error().with_data("the connection is closing")
            ))
        }
    };
    scope.opened(Arc::clone(&state));
    let (sender, mut answered) = oneshot::channel();
    let answer = Arc::new(Mutex::new(Some(sender)));
    let pending = PendingSubscription {
        state: Arc::clone(&state),
        session: Arc::downgrade(&scope.session),
        answer: Arc::clone(&answer),
    };
    let session = Arc::downgrade(&scope.session);
    let function = std::panic::catch_unwind(AssertUnwindSafe(|| start(pending)));
    match function {
        Ok(function) => {
            let task = run(function, Arc::clone(&state), session, answer, method);
            tokio::spawn(task);
        }
        Err(panic) => {
            end_unanswered(&state, &session);
            return Outcome::Ready(Err(crate::method::invoke::panicked(&method, panic)));
        }
    }
    let id = SuccessHead::raw(state.id_json());
    match answered.try_recv() {
        Ok(Ok(())) => Outcome::Ready(Ok(id)),
        Ok(Err(error)) => Outcome::Ready(Err(error)),
        Err(oneshot::error::TryRecvError::Closed) => Outcome::Ready(Err(not_accepted())),
        Err(oneshot::error::TryRecvError::Empty) => slot.pending(async move {
            match answered.await {
                Ok(Ok(())) => Ok(id),
                Ok(Err(error)) => Err(error),
                Err(_) => Err(not_accepted()),
            }
        }),
    }
}

/// Runs a subscription's function to its end, then ends the subscription: with `complete` or
/// `error` on the wire, or by answering the subscribe call when it was never accepted.
async fn run<Fut>(
    function: Fut,
    state: Arc<SubscriptionState>,
    session: Weak<Session>,
    answer: Answer,
    method: String,
) where
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    let result = match AssertUnwindSafe(function).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(crate::method::invoke::panicked(&method, panic)),
    };
    let unanswered = answer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    if let Some(sender) = unanswered {
        // Returned without accepting: the result is the subscribe call's answer.
        let _ = sender.send(result.and(Err(not_accepted())));
        end_unanswered(&state, &session);
        return;
    }
    if let Err(error) = &result {
        if !state.is_ended() {
            tracing::debug!(
                method,
                code = error.code(),
                error_message = error.message(),
                "a subscription ended with an error"
            );
        }
    }
    let last = match &result {
        Ok(()) => crate::wire::notification::complete(state.notification(), state.id_json()),
        Err(error) => {
            crate::wire::notification::error(state.notification(), state.id_json(), error)
        }
    };
    state.finish(last).await;
    if let Some(session) = session.upgrade() {
        session.remove(&state);
    }
}

fn end_unanswered(state: &SubscriptionState, session: &Weak<Session>) {
    if let Some(session) = session.upgrade() {
        session.remove(state);
    }
    state.end();
}

/// The entry point of every unsubscribe method: params `[id]` (or `{"subscription": id}`),
/// answered `true` when the connection had that subscription open, and it is one this method
/// ends (`unsubscribe_events` does not end a `subscribe_ticks` subscription).
pub(crate) fn unsubscribe(call: Call<'_>, _: FutureSlot<'_, '_>) -> Outcome {
    let Some(scope) = call.context.session else {
        return Outcome::Ready(Err(needs_connection(call.context.method)));
    };
    let id = ParamsReader::new(call.params).and_then(|mut params| {
        let id: super::SubscriptionId = params.next("subscription")?;
        params.finish()?;
        Ok(id)
    });
    Outcome::Ready(id.and_then(|id| {
        let json = serde_json::to_string(&id).unwrap_or_default();
        SuccessHead::new(&scope.session.unsubscribe(&json, call.context.method))
    }))
}

#[cold]
fn needs_connection(method: &str) -> Error {
    Error::new(
        code::NEEDS_CONNECTION,
        "subscriptions need a WebSocket connection",
    )
    .with_data(format!(
        "`{method}` is a subscription method: call it over a WebSocket (ws:// or wss://), not HTTP"
    ))
}

#[cold]
fn not_accepted() -> Error {
    Error::internal_error().with_data("the subscription ended before it was accepted")
}
