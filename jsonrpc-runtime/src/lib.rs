//! JSON-RPC 2.0 for Rust: mark a function with [`#[method]`](method), serve it with one line.
//!
//! ```no_run
//! use jsonrpc_runtime::method;
//!
//! /// Answers "pong".
//! #[method]
//! async fn ping() -> &'static str {
//!     "pong"
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     jsonrpc_runtime::serve("127.0.0.1:5000").await
//! }
//! ```
//!
//! - [`#[method]`](method) turns an `async fn` or `fn` with typed arguments into a JSON-RPC
//!   method and registers it: nothing to wire by hand.
//! - [`Dispatcher`] answers request bytes with response bytes, with no transport attached.
//! - [`serve`] and [`Server`] put it behind HTTP (hyper 1, HTTP/1.1 and HTTP/2).
//!
//! Everything follows the JSON-RPC 2.0 specification: notifications, batches, ids echoed byte
//! for byte, and the standard error codes (see [`error::code`]).

#![warn(missing_docs)]

// The README's examples are compiled as doctests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

#[cfg(feature = "client")]
pub mod client;
mod connection;
mod context;
mod dispatch;
pub mod error;
mod handler;
mod invoke;
mod limits;
pub mod middleware;
mod notification;
pub mod openrpc;
mod params;
mod peer;
mod registry;
mod request;
mod response;
mod server;
mod service;
mod session;
mod state;
pub mod stream;
pub mod subscription;
pub mod ws;

pub use context::{CallContext, Extension, Headers, MethodName, PeerAddr, RequestId, RequestParts};
pub use dispatch::{Dispatcher, DispatcherBuilder};
pub use error::{Error, RpcResult, StartupError};
pub use limits::{
    DEFAULT_MAX_BATCH_LEN, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_RESPONSE_SIZE,
};
pub use params::Params;
pub use peer::{Peer, PeerError, DEFAULT_PEER_TIMEOUT};
pub use registry::{Location, MethodDef, Methods, SubscriptionNames};
pub use server::{
    serve, Server, ServerBuilder, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_CONNECTIONS,
};
pub use service::RpcService;
pub use state::State;
pub use stream::serve_stdio;
pub use subscription::{Broadcast, PendingSink, SendError, Sink, SubscriptionId, TrySendError};

/// The JSON Schema library whose `JsonSchema` trait gives params and results their schemas in
/// the OpenRPC document; derive it with `schemars` as a dependency of your own (version 1).
pub use schemars;

/// Turns a function into a JSON-RPC method and registers it.
///
/// ```
/// use jsonrpc_runtime::{method, Error, State};
///
/// /// Each argument is a param, by position or by name.
/// #[method]
/// async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
///     minuend - subtrahend
/// }
///
/// /// `Option` params may be left out; `name` sets the wire name.
/// #[method(name = "greet")]
/// fn greeting(name: String, greeting: Option<String>) -> String {
///     format!("{}, {name}!", greeting.as_deref().unwrap_or("Hello"))
/// }
///
/// /// A `Result` return type answers errors with their code, message and data.
/// #[method]
/// fn divide(a: f64, b: f64) -> Result<f64, Error> {
///     if b == 0.0 {
///         return Err(Error::new(-32001, "division by zero").with_data(serde_json::json!({ "dividend": a })));
///     }
///     Ok(a / b)
/// }
/// # fn main() {}
/// ```
///
/// - **Params.** Every argument is a param named after it, taken by position (declaration order)
///   or by name. Its type must implement `serde::Deserialize`. `Option<T>` params are optional:
///   they may be left off the end of a positional list or out of an object. Absent `params` are
///   the same as `[]`. Params that do not fit answer -32602 with a message naming the param.
/// - **Other arguments**, which are not params: [`Params<T>`] takes the whole params value as
///   one `T`; [`State<T>`] gives shared state; [`RequestId`], [`MethodName`], [`Headers`],
///   [`PeerAddr`] and [`Extension<T>`] give the request's context. They are recognised by the
///   last segment of their type's name, so import them under those names.
/// - **Results.** Any `T: Serialize` is the result (`()` is `null`). A `Result<T, E>` (under any
///   alias, such as [`RpcResult<T>`]) answers `Err` with an error object: `E` must convert into
///   [`Error`].
/// - **Options.** `name = "..."` sets the wire name (default: the function's name);
///   `group = "..."` puts the method in a group (see [`Methods::group`]); `blocking` runs a plain
///   `fn` on tokio's blocking pool, for work that would stall the runtime; `crate = "path"`
///   names this crate when it is renamed in `Cargo.toml`.
/// - **Where.** On free functions, in a module or a function body; not on associated functions
///   in an `impl` block.
/// - **Handle.** Beside the function, the macro defines a hidden type of the same name whose
///   `METHOD` constant is the method's [`MethodDef`]: `Methods::new().with(ping::METHOD)`.
pub use jsonrpc_macros::method;

/// Turns an `async fn` into a JSON-RPC subscription (server push over WebSocket) and registers
/// it. See the [`subscription`](mod@crate::subscription) module for the wire format.
///
/// ```
/// use std::time::Duration;
/// use jsonrpc_runtime::{subscription, Error, Sink};
///
/// /// Counts from 0 to `count - 1`, one item every `interval_ms`.
/// #[subscription(name = "subscribe_ticks", unsubscribe = "unsubscribe_ticks", notification = "ticks")]
/// async fn ticks(sink: Sink<u64>, count: u64, interval_ms: u64) -> Result<(), Error> {
///     for n in 0..count {
///         sink.send(n).await?;
///         tokio::time::sleep(Duration::from_millis(interval_ms)).await;
///     }
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// - **The first argument** is the [`Sink<T>`] the items go to (`T: Serialize`); take a
///   [`PendingSink<T>`] instead to check the call before accepting it.
/// - **The other arguments** are params and context, exactly as for [`#[method]`](method):
///   by position or by name, `Option<T>` optional, `Params<T>`, `State<T>`, `RequestId`...
///   Params that do not fit answer -32602 and start nothing.
/// - **The return value** ends the subscription: `()` or `Ok` tells the client it is complete,
///   `Err` sends it the error. Either way it is the last notification of the subscription.
/// - **Options.** `unsubscribe = "..."` (required) names the method that ends a subscription;
///   `name = "..."` the subscribe method (default: the function's name); `notification =
///   "..."` the method name of the items (default: the subscribe method's name); `group` and
///   `crate` as for `#[method]`. The three names are checked against every other method when
///   the server starts.
/// - **Transport.** Subscriptions need a connection that can push: over WebSocket they work;
///   over HTTP a subscribe call answers
///   [`code::NEEDS_CONNECTION`](crate::error::code::NEEDS_CONNECTION).
pub use jsonrpc_macros::subscription;

/// Not public API: the paths the code `#[method]` generates goes through.
#[doc(hidden)]
pub mod __private {
    pub use crate::context::extract;
    pub use crate::handler::{
        BoxFuture, Call, CallFn, Kind, Outcome, ResultKind, SuccessHead, ValueKind,
    };
    pub use crate::openrpc::{
        CannotDecode, DecodesAbsence, HasSchema, MethodDoc, NoSchema, ParamDoc, ResultProbe,
        SchemaProbe, ValueProbe,
    };
    pub use crate::params::ParamsReader;
    pub use crate::registry::{MethodDef, Registration};
    pub use crate::state::{StateKey, States};
    pub use crate::subscription::sink::{FromPending, PendingSubscription, SinkItem};
    pub use crate::subscription::start::subscribe;
    pub use crate::{Error, Params, State};
    pub use inventory;
    pub use schemars::SchemaGenerator;

    /// The typed client calls `#[method]` generates (see `client::typed`).
    #[cfg(feature = "client")]
    pub use crate::client::typed::{self as client, client_calls, subscription_calls};

    /// Without the `client` feature, the typed client calls are not written.
    #[cfg(not(feature = "client"))]
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __jsonrpc_client_calls {
        ($($tokens:tt)*) => {};
    }
    #[cfg(not(feature = "client"))]
    pub use crate::__jsonrpc_client_calls as client_calls;

    /// Without the `client` feature, the typed subscribe calls are not written.
    #[cfg(not(feature = "client"))]
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __jsonrpc_subscription_calls {
        ($($tokens:tt)*) => {};
    }
    #[cfg(not(feature = "client"))]
    pub use crate::__jsonrpc_subscription_calls as subscription_calls;

    /// Decodes a `Params<T>` argument.
    pub fn whole_params<T: serde::de::DeserializeOwned>(
        call: &Call<'_>,
    ) -> Result<Params<T>, Error> {
        crate::params::whole(call.params)
    }

    /// Fetches a `State<T>` argument.
    pub fn state<T: Send + Sync + 'static>(call: &Call<'_>) -> Result<State<T>, Error> {
        call.states.get::<T>().ok_or_else(missing_state::<T>)
    }

    #[cold]
    fn missing_state<T>() -> Error {
        Error::internal_error().with_data(format!(
            "no state of type `{}` was given",
            std::any::type_name::<T>()
        ))
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
            Err(error) if error.is_panic() => {
                Err(crate::invoke::panicked(method, error.into_panic()))
            }
            Err(_) => Err(Error::internal_error().with_data("the blocking task was cancelled")),
        }
    }
}
