//! Running one call: the middleware chain, the method, panics and the call's tracing span.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tracing::Instrument;

use crate::context::CallContext;
use crate::handler::{Call, Outcome, SuccessHead};
use crate::middleware::{CallOutput, MethodCall, Next};
use crate::registry::Entry;
use crate::Error;

/// Runs `call` against the method in `entry`, inside a span named `jsonrpc.call` with the
/// method name and id.
pub(crate) async fn invoke(entry: &Entry, call: Call<'_>) -> Result<SuccessHead, Error> {
    let span = call_span(&call.context);
    let result = if entry.middleware.is_empty() {
        // The common case: no chain to build, and no box for a method that completes at once.
        match span.in_scope(|| start(entry, call)) {
            Outcome::Ready(result) => result,
            Outcome::Pending(future) => finish(entry, future).instrument(span.clone()).await,
        }
    } else {
        let method_call = MethodCall {
            context: call.context,
            params: call.params,
            group: entry.def.group(),
        };
        let method = move || -> crate::handler::BoxFuture<'_, CallOutput> {
            Box::pin(async move {
                CallOutput(match start(entry, call) {
                    Outcome::Ready(result) => result,
                    Outcome::Pending(future) => finish(entry, future).await,
                })
            })
        };
        let next = Next {
            remaining: &entry.middleware,
            call: method_call,
            method: &method,
        };
        // Middleware may do its work before returning its future (as `authorize` does), so a
        // panic can come from building the chain as well as from running it.
        let started = span.in_scope(|| std::panic::catch_unwind(AssertUnwindSafe(|| next.run())));
        let output = match started {
            Ok(run) => {
                AssertUnwindSafe(run)
                    .catch_unwind()
                    .instrument(span.clone())
                    .await
            }
            Err(panic) => Err(panic),
        };
        match output {
            Ok(output) => output.0,
            Err(panic) => span.in_scope(|| Err(panicked(entry.def.name(), panic))),
        }
    };
    if let Err(error) = &result {
        span.in_scope(|| log_error(error));
    }
    result
}

/// The span every call runs in, named `jsonrpc.call`, with the method name and the id (`none`
/// for a notification).
fn call_span(context: &CallContext<'_>) -> tracing::Span {
    tracing::debug_span!(
        "jsonrpc.call",
        method = context.method,
        id = context.id.map_or("none", |id| id.get()),
    )
}

/// The error for a call of a method the set does not have, logged in the call's span like any
/// other call's error.
#[cold]
pub(crate) fn unknown_method(context: &CallContext<'_>) -> Error {
    let error = Error::method_not_found().with_data(context.method);
    call_span(context).in_scope(|| log_error(&error));
    error
}

/// Calls the method's entry point; a panic there (in params decoding or in a plain `fn`) is
/// caught.
fn start<'a>(entry: &Entry, call: Call<'a>) -> Outcome<'a> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| (entry.def.call())(call))) {
        Ok(outcome) => outcome,
        Err(panic) => Outcome::Ready(Err(panicked(entry.def.name(), panic))),
    }
}

/// Awaits an `async fn`'s future; a panic while it runs is caught.
async fn finish(
    entry: &Entry,
    future: crate::handler::BoxFuture<'_, Result<SuccessHead, Error>>,
) -> Result<SuccessHead, Error> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(panicked(entry.def.name(), panic)),
    }
}

#[cold]
fn log_error(error: &Error) {
    if error.code() == crate::error::code::INTERNAL_ERROR {
        tracing::error!(
            code = error.code(),
            error_message = error.message(),
            "call failed"
        );
    } else {
        tracing::debug!(
            code = error.code(),
            error_message = error.message(),
            "call failed"
        );
    }
}

#[cold]
pub(crate) fn panicked(method: &str, panic: Box<dyn std::any::Any + Send>) -> Error {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload");
    tracing::error!(method, panic = message, "a JSON-RPC method panicked");
    Error::internal_error()
}
