//! The contract between the code `#[method]` generates and the dispatcher: how a call's inputs
//! reach a method and how its return value comes back as response bytes.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use serde::Serialize;
use stackfuture::StackFuture;

use crate::method::context::CallInfo;
pub use crate::wire::request::RawParams;
pub use crate::wire::response::SuccessHead;
use crate::Error;

/// The signature every generated method entry point has: it answers at once, or puts the
/// call's future in the slot it is handed and says so.
pub type CallFn = for<'s, 'a> fn(Call<'a>, FutureSlot<'s, 'a>) -> Outcome;

/// What a method entry point is given for one call.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    /// The request's raw `params`, if any.
    pub params: Option<RawParams<'a>>,
    /// The method name, id and transport request, for context extractors.
    pub context: CallInfo<'a>,
}

/// A boxed, sendable future of a method's result.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How many bytes of a running method's future are kept in place, in the future of the
/// dispatch that runs it. A future that fits (an `async fn`'s arguments and the locals it
/// keeps across its awaits: awaiting a channel, a lock or a short sleep fits) costs no
/// allocation; a larger one is boxed.
///
/// 128, because the slot is part of every request's future: the HTTP server boxes that future
/// once per request, and with a larger slot it would pass 1,024 bytes, where glibc's allocator
/// leaves its fast per-thread cache and every request costs more (see `bench/README.md`).
pub const INLINE_FUTURE_SIZE: usize = 128;

/// The future of a running method, its type erased: in [`INLINE_FUTURE_SIZE`] bytes of its own
/// when it fits, boxed when it does not. (The `unsafe` this takes is in `stackfuture`.)
pub type MethodFuture<'a> = StackFuture<'a, Result<SuccessHead, Error>, INLINE_FUTURE_SIZE>;

/// Where a method entry point puts the future of a call that does not complete at once: a
/// place in the future of the dispatch that will poll it, so that it is never moved again.
pub struct FutureSlot<'s, 'a>(Pin<&'s mut Option<MethodFuture<'a>>>);

impl<'s, 'a> FutureSlot<'s, 'a> {
    /// The slot in `place`. A future still there is dropped when the next is put in.
    pub(crate) fn new(place: Pin<&'s mut Option<MethodFuture<'a>>>) -> Self {
        FutureSlot(place)
    }

    /// Puts `future` in the slot (in place when it fits, boxed when not): the call completes
    /// when it does.
    #[inline]
    pub fn pending<F>(mut self, future: F) -> Outcome
    where
        F: Future<Output = Result<SuccessHead, Error>> + Send + 'a,
    {
        self.0.set(Some(MethodFuture::from_or_box(future)));
        Outcome::Pending
    }
}

/// What a method entry point returns: the result at once (plain `fn`s, and params that failed to
/// decode), or word that the call's future is in its [`FutureSlot`] (`async fn`s).
pub enum Outcome {
    /// The call is complete.
    Ready(Result<SuccessHead, Error>),
    /// The call completes when the future put in the slot does.
    Pending,
}

/// Runs the future of an `async fn` whose body never awaits (the macro checks) to completion
/// in one poll, so that the call needs no boxed future. Such a future cannot be pending; if one
/// were, the call fails with an internal error rather than being lost.
pub fn complete_now<F>(future: F) -> Result<SuccessHead, Error>
where
    F: Future<Output = Result<SuccessHead, Error>>,
{
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(future).poll(&mut context) {
        std::task::Poll::Ready(result) => result,
        std::task::Poll::Pending => Err(never_completed()),
    }
}

#[cold]
fn never_completed() -> Error {
    tracing::error!("an async fn judged never to wait was pending");
    Error::internal_error().with_data("the method did not complete")
}

/// How generated code turns a method's return value into a response, chosen by the value's
/// type (not its name, so aliases such as `RpcResult<T>` work): a `Result<T, E>` answers `Err`
/// with an error object, anything else is serialized as the result.
///
/// The choice is made by method resolution ("autoref specialisation"): for
/// `(&Kind::of(&value)).__jsonrpc_kind()`, [`ResultKind`] matches first when the value is a
/// `Result`, and [`ValueKind`], which needs one more reference, matches everything else.
pub struct Kind<T>(PhantomData<T>);

impl<T> Kind<T> {
    /// The kind of `T`.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Kind(PhantomData)
    }

    /// The kind of `value`'s type.
    pub fn of(_value: &T) -> Self {
        Kind(PhantomData)
    }
}

/// Selects `FallibleResponse` for `Result` return values.
pub trait ResultKind {
    /// The response builder for this kind.
    fn __jsonrpc_kind(&self) -> FallibleResponse {
        FallibleResponse
    }
}

impl<T, E> ResultKind for Kind<Result<T, E>> {}

/// Selects `ValueResponse` for every other return value.
pub trait ValueKind {
    /// The response builder for this kind.
    fn __jsonrpc_kind(&self) -> ValueResponse {
        ValueResponse
    }
}

impl<T> ValueKind for &Kind<T> {}

/// Builds the response of a method that returns `Result<T, E>`.
pub struct FallibleResponse;

impl FallibleResponse {
    /// Serializes the success value, or converts the error into an error object.
    pub fn respond<T: Serialize, E: Into<Error>>(
        self,
        result: Result<T, E>,
    ) -> Result<SuccessHead, Error> {
        match result {
            Ok(value) => SuccessHead::new(&value),
            Err(error) => Err(error.into()),
        }
    }

    /// How a subscription function's `Result` ends its subscription.
    pub fn end<T, E: Into<Error>>(self, result: Result<T, E>) -> Result<(), Error> {
        result.map(drop).map_err(Into::into)
    }
}

/// Builds the response of a method that returns a plain value.
pub struct ValueResponse;

impl ValueResponse {
    /// Serializes the value as the result.
    pub fn respond<T: Serialize>(self, value: T) -> Result<SuccessHead, Error> {
        SuccessHead::new(&value)
    }

    /// A subscription function that returns no `Result` always ends its subscription normally.
    pub fn end<T>(self, _value: T) -> Result<(), Error> {
        Ok(())
    }
}
