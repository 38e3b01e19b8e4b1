//! What the typed calls `#[method]` generates (`subtract::call(&client, 42, 23)`) are made of.
//! The macro hands the method's signature to [`client_calls!`], which writes the calls; with the
//! `client` feature off, a macro of the same name writes nothing. The traits that appear in the
//! calls' signatures ([`RpcClient`], [`RpcBatch`], [`ParamArg`], [`ClientResult`]) are public,
//! re-exported from [`client`](crate::client); the rest is not public API.
//!
//! The params are serialized before a call returns, so the future it returns borrows only the
//! client, never its arguments.
//!
//! Bounds that name only the method's own types (a `Result<&'static str, Error>` return type, a
//! param that is only `Deserialize`) are written with a higher-ranked lifetime, or through a
//! generic parameter of the call: either way they are only checked where the call is used, so a
//! method whose params are not `Serialize` (the server only needs `Deserialize`) still compiles,
//! and only calling it is refused.

use std::borrow::Cow;
use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use super::params::{Named, Positional, Whole};
use super::{Batch, BatchCall, BlockingBatch, Client, ClientError, ToParams, WsClient};

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Client {}
    impl Sealed for super::WsClient {}
    impl Sealed for super::Batch {}
    impl Sealed for super::BlockingBatch<'_> {}
}

/// A client a typed call (`name::call(&client, params...)`, written by `#[method]`) can go
/// through: [`Client`] over HTTP, or [`WsClient`] over a WebSocket. Sealed: only this crate
/// implements it.
///
/// ```no_run
/// use jsonrpc_runtime::client::{Client, WsClient};
/// use jsonrpc_runtime::method;
///
/// #[method]
/// async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
///     minuend - subtrahend
/// }
///
/// # async fn run() -> Result<(), jsonrpc_runtime::client::ClientError> {
/// let http = Client::new("http://127.0.0.1:5000/")?;
/// let ws = WsClient::connect("ws://127.0.0.1:5000/").await?;
/// assert_eq!(subtract::call(&http, 42, 23).await?, 19);
/// assert_eq!(subtract::call(&ws, 42, 23).await?, 19);
/// # Ok(())
/// # }
/// ```
///
/// A [`BlockingClient`](crate::client::BlockingClient) has `call_blocking` instead:
///
/// ```compile_fail,E0277
/// use jsonrpc_runtime::client::BlockingClient;
/// use jsonrpc_runtime::method;
///
/// #[method]
/// fn ping() -> &'static str {
///     "pong"
/// }
///
/// async fn run(client: BlockingClient) {
///     // error[E0277]: `BlockingClient` cannot make a typed call: it is not a `Client` or a
///     // `WsClient`
///     let pong = ping::call(&client).await;
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot make a typed call: it is not a `Client` or a `WsClient`",
    label = "pass a `&Client` or a `&WsClient` here",
    note = "a `BlockingClient` calls with `call_blocking` and `notify_blocking` instead"
)]
pub trait RpcClient: sealed::Sealed + Sync {
    /// Calls `method` with `params` and decodes its result as an `R`: [`Client::request`] or
    /// [`WsClient::request`].
    fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send + '_;

    /// Sends a notification: [`Client::notify`] or [`WsClient::notify`].
    fn notify(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + '_;
}

impl RpcClient for Client {
    fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send + '_ {
        Client::request(self, method, params)
    }

    fn notify(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + '_ {
        Client::notify(self, method, params)
    }
}

impl RpcClient for WsClient {
    fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send + '_ {
        WsClient::request(self, method, params)
    }

    fn notify(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + '_ {
        WsClient::notify(self, method, params)
    }
}

/// A batch a typed batch entry (`name::batch(&mut batch, params...)`, written by `#[method]`)
/// can be added to: a [`Batch`] (from a [`Client`] or a [`WsClient`]) or a [`BlockingBatch`].
/// Sealed: only this crate implements it.
///
/// ```no_run
/// use jsonrpc_runtime::client::Client;
/// use jsonrpc_runtime::method;
///
/// #[method]
/// async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
///     minuend - subtrahend
/// }
///
/// # async fn run() -> Result<(), jsonrpc_runtime::client::ClientError> {
/// let client = Client::new("http://127.0.0.1:5000/")?;
/// let mut batch = client.batch();
/// let first = subtract::batch(&mut batch, 42, 23);
/// let second = subtract::batch(&mut batch, 23, 42);
/// let answers = batch.send().await?;
/// assert_eq!(answers.get(&first)?, 19);
/// assert_eq!(answers.get(&second)?, -19);
/// # Ok(())
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take a typed batch entry: it is not a `Batch` or a `BlockingBatch`",
    label = "pass a `&mut Batch` or a `&mut BlockingBatch` here"
)]
pub trait RpcBatch: sealed::Sealed {
    /// Adds a call: [`Batch::request`] or [`BlockingBatch::request`].
    fn request<R: DeserializeOwned>(&mut self, method: &str, params: impl ToParams)
        -> BatchCall<R>;
}

impl RpcBatch for Batch {
    fn request<R: DeserializeOwned>(
        &mut self,
        method: &str,
        params: impl ToParams,
    ) -> BatchCall<R> {
        Batch::request(self, method, params)
    }
}

impl RpcBatch for BlockingBatch<'_> {
    fn request<R: DeserializeOwned>(
        &mut self,
        method: &str,
        params: impl ToParams,
    ) -> BatchCall<R> {
        BlockingBatch::request(self, method, params)
    }
}

/// A value a typed call can send for a param of type `T`: a `T` itself, a reference to one, or
/// a borrowed form that serializes the same way.
///
/// | param type `T` | arguments a typed call takes |
/// | --- | --- |
/// | any `T: Serialize` | `T`, `&T` |
/// | `String` | also `&str`, `Cow<str>`, `Box<str>` |
/// | `Vec<E>` | also `&[A]`, `[A; N]`, `&[A; N]` of any `A` sent as an `E` (`["a", "b"]`) |
///
/// Literals keep their types: `subtract::call(&client, 42, 23)` sends `42` as the param's
/// `i64`, and `None` is the param's `Option<T>`. What the compiler cannot infer is a bare
/// `.into()` (its target could be a `String` or a `&str`): pass `"Ada"` rather than
/// `"Ada".into()`.
///
/// ```no_run
/// use jsonrpc_runtime::client::Client;
/// use jsonrpc_runtime::method;
///
/// #[method]
/// fn greet(name: String, tags: Vec<String>, greeting: Option<String>) -> String {
///     format!("{}, {name}! {tags:?}", greeting.as_deref().unwrap_or("Hello"))
/// }
///
/// # async fn run(client: Client) -> Result<(), jsonrpc_runtime::client::ClientError> {
/// let name = String::from("Ada");
/// let tags = vec!["admin".to_owned()];
/// greet::call(&client, &name, &tags[..], None).await?;
/// greet::call(&client, "Ada", vec![], Some("Hi".to_owned())).await?;
/// # Ok(())
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a param of type `{T}`",
    label = "a typed call takes a `{T}` here, or `&{T}` (`&str` for a `String`, `&[E]` or `[E; N]` for a `Vec<E>`)",
    note = "the param type must also implement `serde::Serialize`: the server only needs `Deserialize`, calling the method from a client needs both"
)]
pub trait ParamArg<T>: Serialize {}

impl<T: SendableParam> ParamArg<T> for T {}
impl<T: SendableParam> ParamArg<T> for &T {}
impl ParamArg<String> for &str {}
impl ParamArg<String> for Cow<'_, str> {}
impl ParamArg<String> for Box<str> {}
impl<E, A: ParamArg<E>> ParamArg<Vec<E>> for &[A] {}
impl<E, A: ParamArg<E>, const N: usize> ParamArg<Vec<E>> for [A; N] where [A; N]: Serialize {}
impl<E, A: ParamArg<E>, const N: usize> ParamArg<Vec<E>> for &[A; N] where [A; N]: Serialize {}

/// What a typed call receives for a method that returns `Self`: the `T` of a `Result<T, E>`
/// (under any name: `RpcResult<T>`, `io::Result<T>`, `type Answer = Result<u32, Error>`), and
/// any other type as it is (a struct named `FooResult` too). Only the `T` is sent over the wire;
/// an `Err` arrives as [`ClientError::Rpc`].
///
/// The choice is made by the type, not its name: a typed call takes the type it receives as a
/// generic parameter `R` with the bound `Ret: ClientResult<R>`, which only one of the two
/// implementations can meet. The one case the compiler cannot settle is a `Result<T, E>` that
/// is itself `Deserialize` (both `T` and `E` are, as with `E = String`) and is not written as
/// `Result<...>` in the signature (an alias): there, say which type you want where you call
/// (`let n: u32 = answer::call(&client).await?;`). Written as `Result<T, E>` (or `...::Result<T>`),
/// it needs nothing.
#[diagnostic::on_unimplemented(
    message = "a typed call of a method returning `{Self}` cannot receive a `{R}`",
    label = "the call receives the `T` of a `Result<T, E>`, or the method's return type as it is",
    note = "the received type must also implement `serde::de::DeserializeOwned`"
)]
pub trait ClientResult<R> {}

impl<T, E> ClientResult<T> for Result<T, E> {}
impl<T: ReceivableResult> ClientResult<T> for T {}

// The bounds are traits of this module rather than re-exports of serde's, so that compiler
// messages keep naming serde's traits by serde's paths, and say what a call needs.

/// Not public API: a type a typed call can send as a param: any `Serialize` type.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent by a typed call: it does not implement `serde::Serialize`",
    label = "the server only needs `Deserialize`; calling the method from a client also needs `Serialize`"
)]
pub trait SendableParam: Serialize {}

impl<T: Serialize + ?Sized> SendableParam for T {}

/// Not public API: a type a typed call can receive as its result: any `DeserializeOwned` type.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be received by a typed call: it does not implement `serde::de::DeserializeOwned`",
    label = "the server only needs `Serialize`; calling the method from a client also needs `Deserialize`"
)]
pub trait ReceivableResult: DeserializeOwned {}

impl<T: DeserializeOwned> ReceivableResult for T {}

/// Not public API: what a typed call receives for a method whose return type cannot be named
/// (`impl Trait`).
#[doc(hidden)]
pub type JsonValue = serde_json::Value;

/// Not public API: the `T` of a `Params<T>` argument: what a typed call takes as the whole
/// params.
#[doc(hidden)]
pub trait WholeParams {
    /// The params type.
    type Inner;
}

impl<T> WholeParams for crate::Params<T> {
    type Inner = T;
}

/// Writes the typed calls of a method, in an `impl` of its hidden type:
///
/// ```text
/// client_calls! { pub subtract "subtract" (minuend "minuend": i64, subtrahend "subtrahend": i64) -> by_type i64 }
/// client_calls! { pub sum "sum" whole(numbers: Params<Vec<i64>>) -> by_type i64 }
/// client_calls! { pub divide "divide" (a "a": f64, b "b": f64) -> written [f64] Result<f64, Error> }
/// ```
///
/// Each param is the argument's name, the param's name on the wire (optional: the argument's
/// name), and its type. The result is `by_type Ret` (the received type is found from `Ret`
/// through [`ClientResult`]) or `written [T] Ret`, when the macro sees `Ret` written as
/// `Result<T, ...>` and can name `T` itself.
///
/// Writes `call`, `call_blocking`, `notify`, `notify_blocking` and `batch`, and for params by
/// position, `call_by_name` and `call_by_name_blocking`.
#[doc(hidden)]
#[macro_export]
macro_rules! __jsonrpc_client_calls {
    // Params by position, one argument each.
    ($vis:vis $ident:ident $name:literal ($($arg:ident $($wire:literal)? : $ty:ty),* $(,)?) -> $($result:tt)+) => {
        $crate::__jsonrpc_client_calls! {
            @result $vis $ident $name
            [$($arg: impl $crate::client::ParamArg<$ty>),*]
            [$crate::__private::client::Positional::new()$(.param(&$arg))*]
            [$crate::__private::client::Named::new()$(.param($crate::__jsonrpc_client_calls!(@wire $arg $($wire)?), &$arg))*]
            $($result)+
        }
    };
    // A `Params<T>` argument: the whole params is a `T`.
    ($vis:vis $ident:ident $name:literal whole($arg:ident : $ty:ty) -> $($result:tt)+) => {
        $crate::__jsonrpc_client_calls! {
            @result $vis $ident $name
            [$arg: impl $crate::client::ParamArg<<$ty as $crate::__private::client::WholeParams>::Inner>]
            [$crate::__private::client::Whole::new(&$arg)]
            []
            $($result)+
        }
    };
    (@wire $arg:ident $wire:literal) => { $wire };
    (@wire $arg:ident) => { ::core::stringify!($arg) };
    // The result, found from the return type by its type...
    (@result $vis:vis $ident:ident $name:literal [$($args:tt)*] [$($params:tt)*] [$($named:tt)*] by_type $ret:ty) => {
        $crate::__jsonrpc_client_calls! {
            @emit $vis $ident $name [$($args)*] [$($params)*] [$($named)*]
            [__JsonrpcResult,]
            [
                $ret: $crate::client::ClientResult<__JsonrpcResult>,
                __JsonrpcResult: $crate::__private::client::ReceivableResult,
            ]
            __JsonrpcResult
        }
    };
    // ... or the `T` of a return type written `Result<T, ...>`.
    (@result $vis:vis $ident:ident $name:literal [$($args:tt)*] [$($params:tt)*] [$($named:tt)*] written [$ok:ty] $ret:ty) => {
        $crate::__jsonrpc_client_calls! {
            @emit $vis $ident $name [$($args)*] [$($params)*] [$($named)*]
            []
            [
                for<'__jsonrpc> $ret: $crate::client::ClientResult<$ok>,
                for<'__jsonrpc> $ok: $crate::__private::client::ReceivableResult,
            ]
            $ok
        }
    };
    (@emit $vis:vis $ident:ident $name:literal [$($args:tt)*] [$($params:tt)*] [$($named:tt)*] [$($generics:tt)*] [$($bounds:tt)*] $result:ty) => {
        #[allow(dead_code, clippy::too_many_arguments)]
        impl $ident {
            #[doc = ::core::concat!(
                "Calls the JSON-RPC method `", $name, "` through `client` (a `Client` or a ",
                "`WsClient`), with the params by position, and decodes its result.",
            )]
            $vis fn call<'__jsonrpc_client, __JsonrpcClient, $($generics)*>(
                client: &'__jsonrpc_client __JsonrpcClient,
                $($args)*
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<$result, $crate::client::ClientError>,
            > + ::core::marker::Send + '__jsonrpc_client
            where
                __JsonrpcClient: $crate::client::RpcClient,
                $($bounds)*
            {
                $crate::client::RpcClient::request::<$result>(client, $name, $($params)*)
            }

            #[doc = ::core::concat!(
                "Calls the JSON-RPC method `", $name, "` through the blocking `client`, with ",
                "the params by position, and decodes its result.",
            )]
            $vis fn call_blocking<$($generics)*>(
                client: &$crate::client::BlockingClient,
                $($args)*
            ) -> ::core::result::Result<$result, $crate::client::ClientError>
            where
                $($bounds)*
            {
                client.request::<$result>($name, $($params)*)
            }

            #[doc = ::core::concat!(
                "Sends the JSON-RPC method `", $name, "` as a notification (no answer) through ",
                "`client` (a `Client` or a `WsClient`), with the params by position.",
            )]
            $vis fn notify<'__jsonrpc_client, __JsonrpcClient>(
                client: &'__jsonrpc_client __JsonrpcClient,
                $($args)*
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), $crate::client::ClientError>,
            > + ::core::marker::Send + '__jsonrpc_client
            where
                __JsonrpcClient: $crate::client::RpcClient,
            {
                $crate::client::RpcClient::notify(client, $name, $($params)*)
            }

            #[doc = ::core::concat!(
                "Sends the JSON-RPC method `", $name, "` as a notification (no answer) through ",
                "the blocking `client`, with the params by position.",
            )]
            $vis fn notify_blocking(
                client: &$crate::client::BlockingClient,
                $($args)*
            ) -> ::core::result::Result<(), $crate::client::ClientError> {
                client.notify($name, $($params)*)
            }

            #[doc = ::core::concat!(
                "Adds a call of the JSON-RPC method `", $name, "` to `batch` (a `Batch` or a ",
                "`BlockingBatch`), with the params by position; the handle reads its result ",
                "from the batch's answers.",
            )]
            $vis fn batch<__JsonrpcBatch, $($generics)*>(
                batch: &mut __JsonrpcBatch,
                $($args)*
            ) -> $crate::client::BatchCall<$result>
            where
                __JsonrpcBatch: $crate::client::RpcBatch,
                $($bounds)*
            {
                $crate::client::RpcBatch::request::<$result>(batch, $name, $($params)*)
            }
        }

        $crate::__jsonrpc_client_calls! {
            @by_name $vis $ident $name [$($args)*] [$($named)*] [$($generics)*] [$($bounds)*] $result
        }
    };
    // No calls by name for a `Params<T>` argument: `T` decides the params' shape.
    (@by_name $vis:vis $ident:ident $name:literal [$($args:tt)*] [] [$($generics:tt)*] [$($bounds:tt)*] $result:ty) => {};
    (@by_name $vis:vis $ident:ident $name:literal [$($args:tt)*] [$($named:tt)+] [$($generics:tt)*] [$($bounds:tt)*] $result:ty) => {
        #[allow(dead_code, clippy::too_many_arguments)]
        impl $ident {
            #[doc = ::core::concat!(
                "Calls the JSON-RPC method `", $name, "` through `client` (a `Client` or a ",
                "`WsClient`), with the params by name, and decodes its result.",
            )]
            $vis fn call_by_name<'__jsonrpc_client, __JsonrpcClient, $($generics)*>(
                client: &'__jsonrpc_client __JsonrpcClient,
                $($args)*
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<$result, $crate::client::ClientError>,
            > + ::core::marker::Send + '__jsonrpc_client
            where
                __JsonrpcClient: $crate::client::RpcClient,
                $($bounds)*
            {
                $crate::client::RpcClient::request::<$result>(client, $name, $($named)+)
            }

            #[doc = ::core::concat!(
                "Calls the JSON-RPC method `", $name, "` through the blocking `client`, with ",
                "the params by name, and decodes its result.",
            )]
            $vis fn call_by_name_blocking<$($generics)*>(
                client: &$crate::client::BlockingClient,
                $($args)*
            ) -> ::core::result::Result<$result, $crate::client::ClientError>
            where
                $($bounds)*
            {
                client.request::<$result>($name, $($named)+)
            }
        }
    };
}

#[doc(inline)]
pub use crate::__jsonrpc_client_calls as client_calls;

/// Writes `subscribe` for a `#[subscription]` function, in an `impl` of its hidden type:
///
/// ```text
/// subscription_calls! { pub ticks "subscribe_ticks" "unsubscribe_ticks" (count: u64, interval_ms: u64) -> u64 }
/// ```
///
/// `subscribe(&ws_client, count, interval_ms)` calls `subscribe_ticks` with the params by
/// position and returns a `Subscription<u64>`, which unsubscribes with `unsubscribe_ticks`.
/// Each argument takes what [`ParamArg`] allows (`&str` for a `String`...); a param's name on
/// the wire may follow its name, as for `client_calls!`, and is not used. The bounds are
/// higher-ranked like `client_calls!`'s: a subscription whose items are not `DeserializeOwned`
/// still compiles, and only a `subscribe` of it is refused.
#[doc(hidden)]
#[macro_export]
macro_rules! __jsonrpc_subscription_calls {
    // Params by position, one argument each.
    ($vis:vis $ident:ident $name:literal $unsubscribe:literal ($($arg:ident $($wire:literal)? : $ty:ty),* $(,)?) -> $item:ty) => {
        $crate::__jsonrpc_subscription_calls! {
            @emit $vis $ident $name $unsubscribe
            [$($arg: impl $crate::client::ParamArg<$ty>),*]
            [$crate::__private::client::Positional::new()$(.param(&$arg))*]
            $item
        }
    };
    // A `Params<T>` argument: the whole params is a `T`.
    ($vis:vis $ident:ident $name:literal $unsubscribe:literal whole($arg:ident : $ty:ty) -> $item:ty) => {
        $crate::__jsonrpc_subscription_calls! {
            @emit $vis $ident $name $unsubscribe
            [$arg: impl $crate::client::ParamArg<<$ty as $crate::__private::client::WholeParams>::Inner>]
            [$crate::__private::client::Whole::new(&$arg)]
            $item
        }
    };
    (@emit $vis:vis $ident:ident $name:literal $unsubscribe:literal [$($args:tt)*] [$($params:tt)*] $item:ty) => {
        #[allow(dead_code, clippy::too_many_arguments)]
        impl $ident {
            #[doc = ::core::concat!(
                "Subscribes with the JSON-RPC method `", $name, "` through the WebSocket ",
                "`client`; the subscription ends with `", $unsubscribe, "`.",
            )]
            $vis fn subscribe<'__jsonrpc_client>(
                client: &'__jsonrpc_client $crate::client::WsClient,
                $($args)*
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<
                    $crate::client::Subscription<$item>,
                    $crate::client::ClientError,
                >,
            > + ::core::marker::Send + '__jsonrpc_client
            where
                for<'__jsonrpc> $item: $crate::__private::client::ReceivableResult,
            {
                client.subscribe::<$item>($name, $($params)*, $unsubscribe)
            }
        }
    };
}

#[doc(inline)]
pub use crate::__jsonrpc_subscription_calls as subscription_calls;
