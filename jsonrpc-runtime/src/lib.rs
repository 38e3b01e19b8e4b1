//! JSON-RPC 2.0 for Rust: mark a function with [`#[method]`](macro@method), serve every marked function
//! with one line, and call it with a typed client. Exact to the
//! [specification](https://www.jsonrpc.org/specification), on hyper 1 and tokio, over HTTP,
//! WebSocket, stdio, TCP and Unix sockets.
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
//! ```sh
//! $ curl -d '{"jsonrpc":"2.0","method":"ping","id":1}' http://127.0.0.1:5000/
//! {"jsonrpc":"2.0","result":"pong","id":1}
//! ```
//!
//! # Methods
//!
//! [`#[method]`](macro@method) goes on an `async fn` or a plain `fn`. Each argument is a param, taken
//! by position (declaration order) or by name; `Option<T>` params may be left out. The result
//! is any `T: Serialize`, or a `Result<T, E>` whose `Err` becomes a JSON-RPC error object (`E:
//! Into<`[`Error`]`>`: code, message, optional data). Methods register themselves at link time:
//! there is no table to fill in by hand.
//!
//! ```no_run
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use jsonrpc_runtime::{method, Error, Params, Server, State};
//!
//! #[method]
//! async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
//!     minuend - subtrahend
//! }
//!
//! /// The whole params as one value: `sum([1, 2, 4])`.
//! #[method]
//! fn sum(numbers: Params<Vec<i64>>) -> i64 {
//!     numbers.iter().sum()
//! }
//!
//! #[derive(Default)]
//! struct Counter(AtomicU64);
//!
//! /// State shared by every call, given to the server once.
//! #[method]
//! fn count(counter: State<Counter>) -> u64 {
//!     counter.0.fetch_add(1, Ordering::Relaxed) + 1
//! }
//!
//! #[method(name = "math.divide")]
//! fn divide(a: f64, b: f64) -> Result<f64, Error> {
//!     if b == 0.0 {
//!         return Err(Error::new(-32001, "division by zero"));
//!     }
//!     Ok(a / b)
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     Server::builder()
//!         .state(Counter::default())
//!         .max_body_size(1024 * 1024)
//!         .bind("127.0.0.1:5000")
//!         .await?
//!         .run()
//!         .await
//! }
//! ```
//!
//! - **Arguments that are not params**: [`Params<T>`] (the whole params), [`State<T>`] (shared
//!   state; a missing one is a start-up error that names the method), and the request's
//!   context: [`RequestId`], [`MethodName`], [`Headers`], [`PeerAddr`], [`Extension<T>`] (a
//!   value a tower layer put into the request) and [`Peer`] (to call the client back over a
//!   connection).
//! - **The server** ([`serve`], [`Server::builder`]): HTTP/1.1 keep-alive and HTTP/2, WebSocket
//!   upgrades on the same address, graceful shutdown, and limits that hold (body size, batch
//!   length, nesting depth, response size, concurrent calls, connections), each configurable.
//! - **Method sets** ([`Methods`]): every registered method, or a group, a prefix, a filter or a
//!   hand-built set; [`middleware`] around calls; an [OpenRPC](openrpc) document served as
//!   `rpc.discover`.
//! - **No transport at all**: [`Dispatcher::dispatch`] answers request bytes with response bytes.
//!
//! # Methods in another crate: the linker
//!
//! Registration is done by the linker (through `inventory`). If the methods live in a library
//! crate that the server binary never refers to, the linker may leave that crate out, and its
//! methods with it. Refer to the crate (`use my_methods as _;`), or build the set by hand:
//!
//! ```ignore
//! let methods = Methods::new().with(my_methods::ping::METHOD).with(my_methods::subtract::METHOD);
//! Server::builder().methods(methods)
//! ```
//!
//! Duplicate names are a start-up error that names both definitions.
//!
//! # Embedding in axum or hyper
//!
//! [`RpcService`] is a `tower::Service` (its error is `Infallible`): JSON-RPC is one route of an
//! existing app, behind its layers, sharing its listener and shutdown.
//!
//! ```no_run
//! use axum::routing::{get, post_service};
//! use jsonrpc_runtime::{method, Dispatcher, RpcService};
//!
//! #[method]
//! fn ping() -> &'static str {
//!     "pong"
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let rpc = RpcService::new(Dispatcher::builder().build()?);
//!     let app = axum::Router::new()
//!         .route("/health", get(|| async { "ok" }))
//!         .route("/rpc", post_service(rpc));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! Mount it with `route_service` instead of `post_service` to take WebSocket upgrades on the
//! route too.
//!
//! # WebSocket and subscriptions
//!
//! Every address that answers HTTP `POST` takes WebSocket upgrades too. Over the connection
//! every method works as over HTTP, calls run concurrently, and a
//! [`#[subscription]`](macro@subscription) pushes items for as long as it likes, with
//! backpressure ([`Sink::send`] waits while the client's queue is full). See the
//! [`subscription`](mod@subscription) module for the wire format.
//!
//! ```no_run
//! use std::time::Duration;
//! use jsonrpc_runtime::{subscription, Error, Sink};
//!
//! #[subscription(name = "subscribe_ticks", unsubscribe = "unsubscribe_ticks", notification = "ticks")]
//! async fn ticks(sink: Sink<u64>, count: u64, interval_ms: u64) -> Result<(), Error> {
//!     for n in 0..count {
//!         sink.send(n).await?;
//!         tokio::time::sleep(Duration::from_millis(interval_ms)).await;
//!     }
//!     Ok(())
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     jsonrpc_runtime::serve("127.0.0.1:5000").await
//! }
//! ```
//!
//! # Other transports: stdio, TCP, Unix sockets
//!
//! The same methods over a byte stream, in either framing (one JSON text per line, as MCP's
//! stdio; or `Content-Length` headers, as the Language Server Protocol): [`serve_stdio`],
//! `Server::builder().bind_tcp(..)` / `.bind_unix(..)`, and a client side,
//! [`StreamClient`](stream::StreamClient). See the [`stream`] module.
//!
//! ```no_run
//! use jsonrpc_runtime::method;
//! use jsonrpc_runtime::stream::Framing;
//!
//! #[method]
//! fn ping() -> &'static str {
//!     "pong"
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     jsonrpc_runtime::serve_stdio(Framing::Lines).await
//! }
//! ```
//!
//! # Clients
//!
//! The [`client`] module (the `client` feature, on by default; `tls` adds `https://` and
//! `wss://`) has [`Client`](client::Client) (async, HTTP),
//! [`BlockingClient`](client::BlockingClient) and [`WsClient`](client::WsClient) (one WebSocket,
//! with subscriptions): requests, notifications and batches, params by position or by name,
//! timeouts, headers, `http://user:password@host/` as Basic authorization. And every
//! `#[method]` has typed calls:
//!
//! ```no_run
//! use jsonrpc_runtime::client::{Client, ClientError};
//! use jsonrpc_runtime::method;
//!
//! #[method]
//! async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
//!     minuend - subtrahend
//! }
//!
//! # async fn run() -> Result<(), ClientError> {
//! let client = Client::new("http://127.0.0.1:5000/")?;
//! let difference: i64 = client.request("subtract", (42, 23)).await?; // by method name
//! assert_eq!(subtract::call(&client, 42, 23).await?, 19); // typed, checked by the compiler
//! assert_eq!(subtract::call_by_name(&client, 42, 23).await?, 19);
//! subtract::notify(&client, 1, 2).await?;
//! # Ok(())
//! # }
//! # fn main() {}
//! ```
//!
//! # Limits of the design
//!
//! - **Numbers in a `serde_json::Value`.** A `Value` param holds an integer beyond 64 bits as a
//!   float: `echo(123456789012345678901234567890)` answers `1.2345678901234568e+29`. Take
//!   `u128` / `i128` for wide integers, or a `Box<serde_json::value::RawValue>` to pass the
//!   text through exactly as it came. (serde_json's `arbitrary_precision` feature changes how
//!   every `Value` in the program holds numbers; this crate is not tested with it.) Request ids
//!   are never decoded: they are echoed byte for byte.
//! - **Typed calls** cannot infer a bare `.into()` argument (write `"Ada"`, not `"Ada".into()`),
//!   and a method returning an *alias* of a `Result<T, E>` whose `E` is itself `Deserialize`
//!   needs the received type named at the call (`let n: u32 = ...`).
//! - **Registration by the linker**: see above; an explicit [`Methods`] set always works.
//! - **Reconnection is opt-in**: a [`WsClient`](client::WsClient) reconnects only with
//!   [`reconnect`](client::WsClientBuilder::reconnect); items sent during the gap are lost, and
//!   a call in flight when the connection dropped fails with
//!   [`ClientError::ConnectionClosed`](client::ClientError::ConnectionClosed).
//! - **Everything follows the specification**: notifications are never answered, batches run
//!   concurrently, and the standard error codes are those of [`error::code`].
//!
//! # How the crate is built
//!
//! In layers, each depending only on those below it:
//!
//! 1. **Transports**: the HTTP server and [`RpcService`], [`ws`], [`stream`], the connection
//!    loop they share, [`shutdown`], and the [`client`]s.
//! 2. **The dispatcher** ([`Dispatcher`]): request bytes in, response bytes out, within limits.
//! 3. **The method model**: what `#[method]` generates and how a call reaches it (params,
//!    extractors, [`CallContext`], [`State`], [`Methods`], [`middleware`], [`subscription`](mod@subscription)s,
//!    [`openrpc`] descriptions).
//! 4. **The session**: what a method sees of a long-lived connection (its queue, its
//!    subscriptions, the calls to the other side).
//! 5. **The wire format**: reading requests, writing responses, the [`Error`] object.
//!
//! A test (`tests/layers.rs`) fails on any path from a lower layer to a higher one.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The README's examples are compiled as doctests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

mod connection;
mod dispatch;
mod http;
mod method;
mod session;
mod wire;

#[cfg(feature = "client")]
pub mod client;
pub mod shutdown;
pub mod stream;
pub mod ws;

pub use method::{middleware, openrpc, subscription};
pub use wire::error;

pub use dispatch::limits::{
    DEFAULT_MAX_BATCH_LEN, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_RESPONSE_SIZE,
};
pub use dispatch::{Dispatcher, DispatcherBuilder};
pub use http::config::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_HTTP2_KEEP_ALIVE,
    DEFAULT_HTTP2_MAX_STREAMS, DEFAULT_IDLE_TIMEOUT, DEFAULT_LISTEN_BACKLOG, DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_WRITE_TIMEOUT,
};
pub use http::health::DEFAULT_HEALTH_PATH;
pub use http::server::{serve, Server, ServerBuilder};
pub use http::service::RpcService;
pub use method::context::{
    CallContext, Extension, Headers, MethodName, PeerAddr, RequestId, RequestParts,
};
pub use method::extract::FromCall;
pub use method::params::Params;
pub use method::peer::{Peer, PeerError, DEFAULT_PEER_TIMEOUT};
pub use method::registry::{MethodDef, Methods, SubscriptionNames};
pub use method::state::{State, StateKey};
pub use stream::serve_stdio;
// Shown as re-exports of the public modules' items, not as items of the root.
#[doc(no_inline)]
pub use error::{Error, RpcResult, StartupError};
#[doc(no_inline)]
pub use subscription::{Broadcast, PendingSink, SendError, Sink, SubscriptionId, TrySendError};
pub use wire::budget::{DEFAULT_CONNECTION_MEMORY_BUDGET, DEFAULT_MEMORY_BUDGET};
pub use wire::location::Location;

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
///   the same as `[]`. Params that do not fit answer -32602 "Invalid params", with the detail
///   naming the param in `data`.
/// - **Context arguments**, which are not params: any type that implements [`FromCall`] is
///   built from the call instead. [`State<T>`] gives shared state; [`RequestId`],
///   [`MethodName`], [`Headers`], [`PeerAddr`], [`Extension<T>`] and [`Peer`] give the
///   request's context; implement [`FromCall`] for a type of yours (a `CurrentUser` read from a
///   header, say) to take it the same way. The compiler tells them apart by type, not name: an
///   alias (`type Db = State<Pool>;`), a renamed import (`use jsonrpc_runtime::State as
///   RpcState;`) or a type made by a macro all work, and a `Deserialize` struct of yours called
///   `Headers` is a param. A type that is both `Deserialize` and `FromCall` must be marked: write
///   `#[param]` or `#[context]` before the argument (the compiler says so).
/// - **Whole params.** [`Params<T>`] takes the whole params value as one `T` (for variadic
///   methods); it is recognised as written, `Params<...>` (under any path), since it changes
///   the method's params as the typed client and OpenRPC see them. Such a method takes no other
///   params, only context arguments.
/// - **Typed calls and context.** The typed client calls below take the params only. The macro
///   must choose their arguments from the signature as written: it leaves out `#[context]`
///   arguments and the built-in context types written under their own names (`State<...>`,
///   `RequestId`, ...); mark an alias or an extractor of yours `#[context]` to leave it out of
///   the typed calls too, and a param written like a context type (your own `Headers`)
///   `#[param]` to keep it in.
/// - **Results.** Any `T: Serialize` is the result (`()` is `null`). A `Result<T, E>` (under any
///   alias, such as [`RpcResult<T>`]) answers `Err` with an error object: `E` must convert into
///   [`Error`].
/// - **Options.** `name = "..."` sets the wire name (default: the function's name);
///   `group = "..."` puts the method in a group (see [`Methods::group`]); `blocking` runs a plain
///   `fn` on tokio's blocking pool, for work that would stall the runtime; `crate = "path"`
///   names this crate when it is renamed in `Cargo.toml`.
/// - **Where.** On free functions, in a module or a function body; not on associated functions
///   in an `impl` block, which are refused with one error that says to move them out. The macro
///   cannot see the block: it tells from a signature that takes `self` or names `Self`, and
///   otherwise from the source around the attribute, which a compiler before 1.88 does not give
///   a macro (there, a plain associated function gets rustc's errors about the generated items).
/// - **Handle.** Beside the function, the macro defines a hidden type of the same name whose
///   `METHOD` constant is the method's [`MethodDef`]: `Methods::new().with(ping::METHOD)`. The
///   type is brought in by a glob import, so a module or type of yours with the same name wins
///   over it without a clash (the method is still registered; only `name::METHOD` then means
///   your item).
/// - **Typed client calls** (with the `client` feature, on by default). The same handle has a
///   call for each way of sending the method, so a crate that defines the methods serves them
///   and calls them, checked by the compiler like any function:
///
/// ```no_run
/// use jsonrpc_runtime::client::{BlockingClient, Client, ClientError, WsClient};
/// use jsonrpc_runtime::{method, Error};
///
/// #[method]
/// async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
///     minuend - subtrahend
/// }
///
/// /// An alias of `Result`: the calls receive the `u32`.
/// type Answer = Result<u32, Error>;
///
/// #[method]
/// fn lookup(key: String, tags: Vec<String>) -> Answer {
///     Ok((key.len() + tags.len()) as u32)
/// }
///
/// # async fn run() -> Result<(), ClientError> {
/// let client = Client::new("http://127.0.0.1:5000/")?;
/// // By position, `[42, 23]`, or by name, `{"minuend": 42, "subtrahend": 23}`.
/// assert_eq!(subtract::call(&client, 42, 23).await?, 19);
/// assert_eq!(subtract::call_by_name(&client, 42, 23).await?, 19);
/// // Borrowed arguments: `&str` for a `String`, `&[T]` or an array for a `Vec<T>`.
/// let found: u32 = lookup::call(&client, "key", ["a", "b"]).await?;
/// // A notification: sent without an id, never answered.
/// subtract::notify(&client, 1, 2).await?;
/// // Entries of a batch, each read back with its own type.
/// let mut batch = client.batch();
/// let difference = subtract::batch(&mut batch, 10, 4);
/// let looked_up = lookup::batch(&mut batch, "k", vec![]);
/// let answers = batch.send().await?;
/// assert_eq!(answers.get(&difference)?, 6);
/// assert_eq!(answers.get(&looked_up)?, 1);
/// // The same calls over a WebSocket.
/// let ws = WsClient::connect("ws://127.0.0.1:5000/").await?;
/// assert_eq!(subtract::call(&ws, 42, 23).await?, 19);
/// # Ok(())
/// # }
/// # fn blocking() -> Result<(), ClientError> {
/// // And from code that is not async.
/// let client = BlockingClient::new("http://127.0.0.1:5000/")?;
/// assert_eq!(subtract::call_blocking(&client, 42, 23)?, 19);
/// assert_eq!(subtract::call_by_name_blocking(&client, 42, 23)?, 19);
/// subtract::notify_blocking(&client, 1, 2)?;
/// # Ok(())
/// # }
/// # fn main() {}
/// ```
///
///   | generated | through | sends |
///   | --- | --- | --- |
///   | `name::call(&client, ..)` | [`Client`](client::Client), [`WsClient`](client::WsClient) | params by position |
///   | `name::call_by_name(&client, ..)` | the same | params by name |
///   | `name::notify(&client, ..)` | the same | a notification, by position |
///   | `name::batch(&mut batch, ..)` | [`Batch`](client::Batch), [`BlockingBatch`](client::BlockingBatch) | a batch entry, by position: a [`BatchCall<T>`](client::BatchCall) |
///   | `name::call_blocking`, `call_by_name_blocking`, `notify_blocking` | [`BlockingClient`](client::BlockingClient) | as above |
///
///   Each param is an argument, taking what [`ParamArg`](client::ParamArg) allows (the type,
///   a reference to it, `&str` for a `String`, `&[T]` or `[T; N]` for a `Vec<T>`); `State<T>`
///   and request-context arguments are left out; a `Params<T>` method takes the `T` (and has
///   no `call_by_name`: `T` decides the shape). The result is found from the return type by
///   its type ([`ClientResult`](client::ClientResult)): the `T` of a `Result<T, E>` under any
///   name, `()` for none, a borrowed type owned (`String` for `&'static str`), a
///   `serde_json::Value` for an `impl Trait`, any other type as it is; an `Err` arrives as
///   [`ClientError::Rpc`](client::ClientError::Rpc). A method whose params are not
///   `Serialize`, or whose result is not `Deserialize`, still compiles: only calling it is
///   refused. See [`client`] for the details and the two things type inference cannot do
///   (a bare `.into()` argument; an alias of a `Result` whose error type is `Deserialize` needs
///   the received type named).
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
/// - **The other arguments** are params and context, exactly as for [`#[method]`](macro@method):
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
    pub use crate::method::describe::{
        CannotDecode, DecodesAbsence, HasSchema, MethodDoc, NoSchema, ParamDoc, ResultProbe,
        SchemaProbe, ValueProbe,
    };
    pub use crate::method::extract::{
        beside_whole, beside_whole_states, context, context_states, no_params, param,
        params_reader, whole_params, AmbiguousArg, ContextArg, LazyContext, ParamArg, Probe,
        WholeParams,
    };
    pub use crate::method::handler::{
        complete_now, BoxFuture, Call, CallFn, FutureSlot, Kind, Outcome, ResultKind, SuccessHead,
        ValueKind,
    };
    pub use crate::method::invoke::run_blocking;
    pub use crate::method::params::ParamsReader;
    pub use crate::method::registry::{MethodDef, Registration};
    pub use crate::method::state::{StateKey, States};
    pub use crate::method::subscription::sink::{FromPending, PendingSubscription, SinkItem};
    pub use crate::method::subscription::start::subscribe;
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
}
