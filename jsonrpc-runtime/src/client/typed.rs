//! Not public API: what the typed calls `#[method]` generates (`subtract::call(&client, 42,
//! 23)`) are made of. The macro hands the method's signature to [`client_calls!`], which
//! writes the calls; with the `client` feature off, a macro of the same name writes nothing.
//!
//! The params are serialized before `call` returns, so the future it returns borrows only the
//! client.
//!
//! The bounds of a call are written `for<'__jsonrpc> T: SendableParam` (that is,
//! `Serialize`): a bound with a higher-ranked lifetime is only checked where the call is used,
//! so a method whose params are not `Serialize` (the server only needs `Deserialize`) still
//! compiles, and only calling it is refused.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use super::params::{Positional, Whole};
use super::{Client, ClientError, ToParams, WsClient};

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Client {}
    impl Sealed for super::WsClient {}
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
    note = "a `BlockingClient` calls with `call_blocking` instead"
)]
pub trait RpcClient: sealed::Sealed + Sync {
    /// Calls `method` with `params` and decodes its result as an `R`: [`Client::request`] or
    /// [`WsClient::request`].
    fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send + '_;
}

impl RpcClient for Client {
    fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send + '_ {
        Client::request(self, method, params)
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
}

// The bounds are traits of this module rather than re-exports of serde's, so that compiler
// messages keep naming serde's traits by serde's paths, and say what a call needs.

/// A type a typed call can send as a param: any `Serialize` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent by a typed call: it does not implement `serde::Serialize`",
    label = "the server only needs `Deserialize`; calling the method from a client also needs `Serialize`"
)]
pub trait SendableParam: Serialize {}

impl<T: Serialize + ?Sized> SendableParam for T {}

/// A type a typed call can receive as its result: any `DeserializeOwned` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be received by a typed call: it does not implement `serde::de::DeserializeOwned`",
    label = "the server only needs `Serialize`; calling the method from a client also needs `Deserialize`"
)]
pub trait ReceivableResult: DeserializeOwned {}

impl<T: DeserializeOwned> ReceivableResult for T {}

/// What a typed call receives for a method whose return type cannot be named (`impl Trait`).
pub type JsonValue = serde_json::Value;

/// The success type of a method's `...Result` return type: the `T` of `Result<T, E>`.
pub trait FallibleResult {
    /// The success type.
    type Ok;
}

impl<T, E> FallibleResult for Result<T, E> {
    type Ok = T;
}

/// The `T` of a `Params<T>` argument: what a typed call takes as the whole params.
pub trait WholeParams {
    /// The params type.
    type Inner;
}

impl<T> WholeParams for crate::Params<T> {
    type Inner = T;
}

/// Writes `call` and `call_blocking` for a method, in an `impl` of its hidden type:
///
/// ```text
/// client_calls! { pub subtract "subtract" (minuend: i64, subtrahend: i64) -> value i64 }
/// client_calls! { pub sum "sum" whole(numbers: Params<Vec<i64>>) -> value i64 }
/// client_calls! { pub divide "divide" (a: f64, b: f64) -> fallible Result<f64, Error> }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __jsonrpc_client_calls {
    // Params by position, one argument each.
    ($vis:vis $ident:ident $name:literal ($($arg:ident : $ty:ty),* $(,)?) -> $($result:tt)+) => {
        $crate::__jsonrpc_client_calls! {
            @result $vis $ident $name
            [$($arg: $ty),*]
            [$(for<'__jsonrpc> $ty: $crate::__private::client::SendableParam,)*]
            [$crate::__private::client::Positional::new()$(.param(&$arg))*]
            $($result)+
        }
    };
    // A `Params<T>` argument: the whole params is a `T`.
    ($vis:vis $ident:ident $name:literal whole($arg:ident : $ty:ty) -> $($result:tt)+) => {
        $crate::__jsonrpc_client_calls! {
            @result $vis $ident $name
            [$arg: <$ty as $crate::__private::client::WholeParams>::Inner]
            [for<'__jsonrpc> <$ty as $crate::__private::client::WholeParams>::Inner: $crate::__private::client::SendableParam,]
            [$crate::__private::client::Whole($arg)]
            $($result)+
        }
    };
    // The result: a plain return type...
    (@result $vis:vis $ident:ident $name:literal [$($args:tt)*] [$($bounds:tt)*] [$($params:tt)*] value $result:ty) => {
        $crate::__jsonrpc_client_calls! {
            @emit $vis $ident $name [$($args)*]
            [$($bounds)* for<'__jsonrpc> $result: $crate::__private::client::ReceivableResult,]
            [$($params)*] $result
        }
    };
    // ... or the `T` of a `...Result` return type.
    (@result $vis:vis $ident:ident $name:literal [$($args:tt)*] [$($bounds:tt)*] [$($params:tt)*] fallible $result:ty) => {
        $crate::__jsonrpc_client_calls! {
            @emit $vis $ident $name [$($args)*]
            [
                $($bounds)*
                for<'__jsonrpc> $result: $crate::__private::client::FallibleResult,
                for<'__jsonrpc> <$result as $crate::__private::client::FallibleResult>::Ok: $crate::__private::client::ReceivableResult,
            ]
            [$($params)*] <$result as $crate::__private::client::FallibleResult>::Ok
        }
    };
    (@emit $vis:vis $ident:ident $name:literal [$($args:tt)*] [$($bounds:tt)*] [$($params:tt)*] $result:ty) => {
        #[allow(dead_code, clippy::too_many_arguments)]
        impl $ident {
            #[doc = ::core::concat!(
                "Calls the JSON-RPC method `", $name, "` through `client` (a `Client` or a ",
                "`WsClient`) and decodes its result.",
            )]
            $vis fn call<'__jsonrpc_client, __JsonrpcClient>(
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
                "Calls the JSON-RPC method `", $name, "` through the blocking `client` and ",
                "decodes its result.",
            )]
            $vis fn call_blocking(
                client: &$crate::client::BlockingClient,
                $($args)*
            ) -> ::core::result::Result<$result, $crate::client::ClientError>
            where
                $($bounds)*
            {
                client.request::<$result>($name, $($params)*)
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
/// The bounds are higher-ranked like `client_calls!`'s: a subscription whose params are not
/// `Serialize`, or whose items are not `DeserializeOwned`, still compiles, and only a
/// `subscribe` of it is refused.
#[doc(hidden)]
#[macro_export]
macro_rules! __jsonrpc_subscription_calls {
    // Params by position, one argument each.
    ($vis:vis $ident:ident $name:literal $unsubscribe:literal ($($arg:ident : $ty:ty),* $(,)?) -> $item:ty) => {
        $crate::__jsonrpc_subscription_calls! {
            @emit $vis $ident $name $unsubscribe
            [$($arg: $ty),*]
            [$(for<'__jsonrpc> $ty: $crate::__private::client::SendableParam,)*]
            [$crate::__private::client::Positional::new()$(.param(&$arg))*]
            $item
        }
    };
    // A `Params<T>` argument: the whole params is a `T`.
    ($vis:vis $ident:ident $name:literal $unsubscribe:literal whole($arg:ident : $ty:ty) -> $item:ty) => {
        $crate::__jsonrpc_subscription_calls! {
            @emit $vis $ident $name $unsubscribe
            [$arg: <$ty as $crate::__private::client::WholeParams>::Inner]
            [for<'__jsonrpc> <$ty as $crate::__private::client::WholeParams>::Inner: $crate::__private::client::SendableParam,]
            [$crate::__private::client::Whole($arg)]
            $item
        }
    };
    (@emit $vis:vis $ident:ident $name:literal $unsubscribe:literal [$($args:tt)*] [$($bounds:tt)*] [$($params:tt)*] $item:ty) => {
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
                $($bounds)*
                for<'__jsonrpc> $item: $crate::__private::client::ReceivableResult,
            {
                client.subscribe::<$item>($name, $($params)*, $unsubscribe)
            }
        }
    };
}

#[doc(inline)]
pub use crate::__jsonrpc_subscription_calls as subscription_calls;
