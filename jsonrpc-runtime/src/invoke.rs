//! Running one call: the middleware chain, the method, panics and the call's tracing span.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tracing::Instrument;

use crate::handler::{Call, Outcome, SuccessHead};
use crate::middleware::{CallOutput, MethodCall, Next};
use crate::registry::Entry;
use crate::Error;

/// Runs `call` against the method in `entry`, inside a span named `jsonrpc.call` with the
/// method name and id.
pub(crate) async fn invoke(entry: &Entry, call: Call<'_>) -> Result<SuccessHead, Error> {
    let span = tracing::debug_span!(
        "jsonrpc.call",
        method = call.context.method,
        id = call.context.id.map_or("none", |id| id.get()),
    );
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
        let run = AssertUnwindSafe(next.run()).catch_unwind();
        match run.instrument(span.clone()).await {
            Ok(output) => output.0,
            Err(panic) => Err(panicked(entry.def.name(), panic)),
        }
    };
    if let Err(error) = &result {
        span.in_scope(|| log_error(error));
    }
    result
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
            message = error.message(),
            "call failed"
        );
    } else {
        tracing::debug!(
            code = error.code(),
            message = error.message(),
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
