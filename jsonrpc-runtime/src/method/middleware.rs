//! Method middleware: code that runs around calls, with the method name, params and result in
//! view. It can reject a call (authorization), time it (metrics), or change its result.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::value::RawValue;

use crate::method::context::CallContext;
use crate::method::handler::SuccessHead;
use crate::Error;

/// The future a [`Middleware`] returns: boxed and `Send`, borrowing the call for `'a`.
pub use crate::method::handler::BoxFuture;

/// A call as middleware sees it.
#[derive(Clone, Copy)]
pub struct MethodCall<'a> {
    /// The method name, id and transport request.
    pub context: CallContext<'a>,
    /// The raw params, if any.
    pub params: Option<&'a RawValue>,
    /// The method's group (`#[method(group = "...")]`), if any.
    pub group: Option<&'static str>,
}

impl MethodCall<'_> {
    /// The method name the client called.
    pub fn method(&self) -> &str {
        self.context.method
    }

    /// The request id as JSON text; `None` for a notification.
    pub fn id(&self) -> Option<&str> {
        self.context.id.map(RawValue::get)
    }
}

/// The outcome of a call: its result as JSON, or its error.
pub struct CallOutput(pub(crate) Result<SuccessHead, Error>);

impl CallOutput {
    /// A successful outcome with `value` as the result.
    pub fn success<T: Serialize + ?Sized>(value: &T) -> Self {
        CallOutput(SuccessHead::new(value))
    }

    /// A failed outcome.
    pub fn error(error: Error) -> Self {
        CallOutput(Err(error))
    }

    /// The result as JSON text, when the call succeeded.
    pub fn result_json(&self) -> Option<&str> {
        self.0.as_ref().ok().map(SuccessHead::result_json)
    }

    /// The error, when the call failed.
    pub fn error_object(&self) -> Option<&Error> {
        self.0.as_ref().err()
    }

    /// Whether the call succeeded.
    pub fn is_success(&self) -> bool {
        self.0.is_ok()
    }
}

/// Code that runs around calls.
///
/// Implement [`handle`](Middleware::handle) for full control, or use [`authorize`] and
/// [`observe`] for the two common cases. Register middleware for every method with
/// [`DispatcherBuilder::middleware`](crate::DispatcherBuilder::middleware), or for a set of
/// methods (a group, say) with [`Methods::layer`](crate::Methods::layer).
///
/// ```
/// use jsonrpc_runtime::middleware::{BoxFuture, CallOutput, MethodCall, Middleware, Next};
///
/// /// Answers every call of a method named `secret` with an error, and runs the others.
/// struct HideSecret;
///
/// impl Middleware for HideSecret {
///     fn handle<'a>(&'a self, call: MethodCall<'a>, next: Next<'a>) -> BoxFuture<'a, CallOutput> {
///         Box::pin(async move {
///             if call.method() == "secret" {
///                 return CallOutput::error(jsonrpc_runtime::Error::method_not_found());
///             }
///             next.run().await
///         })
///     }
/// }
/// ```
pub trait Middleware: Send + Sync + 'static {
    /// Runs around one call; `next.run().await` runs the rest of the chain and the method.
    fn handle<'a>(&'a self, call: MethodCall<'a>, next: Next<'a>) -> BoxFuture<'a, CallOutput>;
}

/// The rest of a middleware chain: the middleware after this one, then the method.
pub struct Next<'a> {
    pub(crate) remaining: &'a [Arc<dyn Middleware>],
    pub(crate) call: MethodCall<'a>,
    pub(crate) method: &'a (dyn Fn() -> BoxFuture<'a, CallOutput> + Send + Sync),
}

impl<'a> Next<'a> {
    /// Runs the rest of the chain.
    pub fn run(self) -> BoxFuture<'a, CallOutput> {
        match self.remaining.split_first() {
            Some((first, remaining)) => first.handle(
                self.call,
                Next {
                    remaining,
                    call: self.call,
                    method: self.method,
                },
            ),
            None => (self.method)(),
        }
    }
}

/// Middleware that checks each call before it runs: `Err` answers the call with that error and
/// the method does not run.
///
/// ```
/// use jsonrpc_runtime::{middleware, Error};
///
/// let read_only = middleware::authorize(|call| {
///     if call.method().starts_with("delete") {
///         return Err(Error::new(-32004, "read-only server"));
///     }
///     Ok(())
/// });
/// # let _ = jsonrpc_runtime::Dispatcher::builder().middleware(read_only);
/// ```
pub fn authorize<F>(check: F) -> impl Middleware
where
    F: Fn(&MethodCall<'_>) -> Result<(), Error> + Send + Sync + 'static,
{
    Authorize(check)
}

struct Authorize<F>(F);

impl<F> Middleware for Authorize<F>
where
    F: Fn(&MethodCall<'_>) -> Result<(), Error> + Send + Sync + 'static,
{
    fn handle<'a>(&'a self, call: MethodCall<'a>, next: Next<'a>) -> BoxFuture<'a, CallOutput> {
        match (self.0)(&call) {
            Ok(()) => next.run(),
            Err(error) => Box::pin(std::future::ready(CallOutput::error(error))),
        }
    }
}

/// Middleware that sees each call after it ran, with its outcome and how long it took: for
/// metrics and audit logs.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use jsonrpc_runtime::middleware;
///
/// let failures = Arc::new(AtomicU64::new(0));
/// let counted = Arc::clone(&failures);
/// let metrics = middleware::observe(move |_call, output, _elapsed| {
///     if !output.is_success() {
///         counted.fetch_add(1, Ordering::Relaxed);
///     }
/// });
/// # let _ = jsonrpc_runtime::Dispatcher::builder().middleware(metrics);
/// ```
pub fn observe<F>(observer: F) -> impl Middleware
where
    F: Fn(&MethodCall<'_>, &CallOutput, Duration) + Send + Sync + 'static,
{
    Observe(observer)
}

struct Observe<F>(F);

impl<F> Middleware for Observe<F>
where
    F: Fn(&MethodCall<'_>, &CallOutput, Duration) + Send + Sync + 'static,
{
    fn handle<'a>(&'a self, call: MethodCall<'a>, next: Next<'a>) -> BoxFuture<'a, CallOutput> {
        Box::pin(timed(next.run(), move |output, elapsed| {
            (self.0)(&call, output, elapsed)
        }))
    }
}

async fn timed<F: FnOnce(&CallOutput, Duration)>(
    run: impl Future<Output = CallOutput>,
    after: F,
) -> CallOutput {
    let started = Instant::now();
    let output = run.await;
    after(&output, started.elapsed());
    output
}
