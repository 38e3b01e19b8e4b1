//! Running one call: the middleware chain, the method, panics and the call's tracing span.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use tracing::Instrument;

use crate::method::context::CallInfo;
use crate::method::handler::{BoxFuture, Call, FutureSlot, MethodFuture, Outcome, SuccessHead};
use crate::method::registry::Entry;
use crate::middleware::{CallOutput, MethodCall, Next};
use crate::Error;

/// A call as [`invoke`] leaves it: complete, or running in its slot.
pub(crate) enum Invocation {
    /// The call completed at once (a plain `fn`, or params that failed to decode).
    Done(Result<SuccessHead, Error>),
    /// The call completes when the future in its slot does; poll it with [`Running::poll`].
    Running(Running),
}

/// Starts `call` against the method in `entry`, inside a span named `jsonrpc.call` with the
/// method name and id. A method that completes at once costs no future; one that does not puts
/// its future in `slot`.
#[inline]
pub(crate) fn invoke<'a>(entry: &'a Entry, call: Call<'a>, slot: FutureSlot<'_, 'a>) -> Invocation {
    if !entry.middleware.is_empty() {
        // Boxed (it is larger than the slot), as the chain of futures it builds is anyway.
        slot.pending(through_middleware(entry, call));
        return Invocation::Running(Running { span: None });
    }
    let span = call_span(&call.context);
    // A guard rather than `in_scope`: the same, without a closure whose inlining depends on
    // what else the crate's code generation units hold.
    let outcome = {
        let _entered = span.enter();
        start(entry, call, slot)
    };
    match outcome {
        Outcome::Ready(result) => {
            if let Err(error) = &result {
                span.in_scope(|| log_error(&span, error));
            }
            Invocation::Done(result)
        }
        Outcome::Pending => Invocation::Running(Running {
            span: Some((span, entry.def.name())),
        }),
    }
}

/// What a running call needs beside its future, which stays in its slot.
pub(crate) struct Running {
    /// For a method's own future: the call's span, which each poll enters, and the method's
    /// name; a panic is caught and an error logged here. `None` for a middleware chain, whose
    /// future does all that itself.
    span: Option<(tracing::Span, &'static str)>,
}

impl Running {
    /// Polls the call's future, in the slot [`invoke`] was handed.
    pub(crate) fn poll(
        &self,
        slot: Pin<&mut Option<MethodFuture<'_>>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<SuccessHead, Error>> {
        let Some(future) = slot.as_pin_mut() else {
            return Poll::Ready(Err(empty_slot()));
        };
        let Some((span, method)) = &self.span else {
            return future.poll(cx);
        };
        let _entered = span.enter();
        let result = match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(result)) => result,
            Err(panic) => Err(panicked(method, panic)),
        };
        if let Err(error) = &result {
            log_error(span, error);
        }
        Poll::Ready(result)
    }
}

/// A method entry point said its future was in the slot, and it was not: a bug in the entry
/// point, answered as an internal error rather than a panic.
#[cold]
fn empty_slot() -> Error {
    tracing::error!("a method said it was running and left no future");
    Error::internal_error()
}

/// Runs a call through its middleware chain and the method.
async fn through_middleware(entry: &Entry, call: Call<'_>) -> Result<SuccessHead, Error> {
    let span = call_span(&call.context);
    // Middleware sees the params as a `RawValue`, which serde_json makes only by reading them.
    let params = match call
        .params
        .map(|params| params.json().to_raw_value())
        .transpose()
    {
        Ok(params) => params,
        Err(error) => return span.in_scope(|| Err(unreadable_params(&error))),
    };
    let method_call = MethodCall {
        context: call.context.context(),
        params,
        group: entry.def.group(),
    };
    let method = move || -> BoxFuture<'_, CallOutput> {
        Box::pin(async move {
            let mut slot = std::pin::pin!(None);
            CallOutput(match start(entry, call, FutureSlot::new(slot.as_mut())) {
                Outcome::Ready(result) => result,
                Outcome::Pending => match slot.as_pin_mut() {
                    Some(future) => finish(entry, future).await,
                    None => Err(empty_slot()),
                },
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
    let result = match output {
        Ok(output) => output.0,
        Err(panic) => span.in_scope(|| Err(panicked(entry.def.name(), panic))),
    };
    if let Err(error) = &result {
        span.in_scope(|| log_error(&span, error));
    }
    result
}

/// The span every call runs in, named `jsonrpc.call`, with the method name and the id (`none`
/// for a notification), and the attributes of OpenTelemetry's semantic conventions for
/// JSON-RPC servers, under both the names of semconv 1.37 and earlier (`rpc.system`,
/// `rpc.jsonrpc.*`) and those of the current conventions (`rpc.system.name`, `jsonrpc.*`,
/// `rpc.response.status_code`, `error.type`), plus the `otel.*` fields that
/// `tracing-opentelemetry` turns into the span's name, kind and status. The error fields are
/// empty until [`log_error`] records them. Every value is a `&str` the call already holds or a
/// static one: building the span allocates nothing.
fn call_span(context: &CallInfo<'_>) -> tracing::Span {
    let id = context.id_text();
    let span = tracing::debug_span!(
        "jsonrpc.call",
        method = context.method,
        id = id.unwrap_or("none"),
        otel.name = context.method,
        otel.kind = "server",
        rpc.system = "jsonrpc",
        rpc.system.name = "jsonrpc",
        rpc.method = context.method,
        rpc.jsonrpc.version = "2.0",
        jsonrpc.protocol.version = "2.0",
        rpc.jsonrpc.request_id = tracing::field::Empty,
        jsonrpc.request.id = tracing::field::Empty,
        rpc.jsonrpc.error_code = tracing::field::Empty,
        rpc.jsonrpc.error_message = tracing::field::Empty,
        rpc.response.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
        otel.status_description = tracing::field::Empty,
    );
    if let Some(id) = id {
        if !span.is_disabled() {
            record_id(&span, id);
        }
    }
    span
}

/// The id as OpenTelemetry wants it: a string id without its quotes (when it has no escapes),
/// a number as it is; `null` is the empty string under the old name and left out under the new
/// one (the conventions say so).
#[inline]
fn record_id(span: &tracing::Span, id: &str) {
    if id == "null" {
        span.record("rpc.jsonrpc.request_id", "");
        return;
    }
    let text = id
        .strip_prefix('"')
        .and_then(|id| id.strip_suffix('"'))
        .filter(|inner| !inner.contains('\\'))
        .unwrap_or(id);
    span.record("rpc.jsonrpc.request_id", text);
    span.record("jsonrpc.request.id", text);
}

/// The error for a call of a method the set does not have, logged in the call's span like any
/// other call's error.
#[cold]
pub(crate) fn unknown_method(context: &CallInfo<'_>) -> Error {
    let error = Error::method_not_found().with_data(context.method);
    let span = call_span(context);
    span.in_scope(|| log_error(&span, &error));
    error
}

/// Calls the method's entry point; a panic there (in params decoding or in a plain `fn`) is
/// caught.
fn start<'a>(entry: &Entry, call: Call<'a>, slot: FutureSlot<'_, 'a>) -> Outcome {
    match std::panic::catch_unwind(AssertUnwindSafe(|| (entry.def.call())(call, slot))) {
        Ok(outcome) => outcome,
        Err(panic) => Outcome::Ready(Err(panicked(entry.def.name(), panic))),
    }
}

/// Awaits an `async fn`'s future; a panic while it runs is caught.
async fn finish(entry: &Entry, future: Pin<&mut MethodFuture<'_>>) -> Result<SuccessHead, Error> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(panicked(entry.def.name(), panic)),
    }
}

/// Records a failed call's error on its span (the OpenTelemetry error fields) and logs it.
#[cold]
fn log_error(span: &tracing::Span, error: &Error) {
    if !span.is_disabled() {
        let code = error.code();
        span.record("rpc.jsonrpc.error_code", code);
        span.record("rpc.jsonrpc.error_message", error.message());
        // Strings by the conventions; `display` leaves the formatting to the subscriber.
        span.record("rpc.response.status_code", tracing::field::display(code));
        span.record("error.type", tracing::field::display(code));
        span.record("otel.status_code", "error");
        span.record("otel.status_description", error.message());
    }
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

/// Params the request readers accepted that serde_json would not read as a `RawValue`: a bug in
/// the readers, answered as an internal error rather than handed on.
#[cold]
fn unreadable_params(error: &serde_json::Error) -> Error {
    tracing::error!(%error, "serde_json does not read the params as a RawValue");
    Error::internal_error()
}

/// Runs a `#[method(blocking)]` function on tokio's blocking pool.
pub async fn run_blocking<F>(method: &'static str, function: F) -> Result<SuccessHead, Error>
where
    F: FnOnce() -> Result<SuccessHead, Error> + Send + 'static,
{
    // The function runs on another thread: carry the call's span there, so that what it
    // logs is in the span.
    let span = tracing::Span::current();
    match tokio::task::spawn_blocking(move || span.in_scope(function)).await {
        Ok(result) => result,
        Err(error) if error.is_panic() => Err(panicked(method, error.into_panic())),
        Err(_) => Err(Error::internal_error().with_data("the blocking task was cancelled")),
    }
}
