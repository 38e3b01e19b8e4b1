//! The contract between the code `#[method]` generates and the dispatcher: how a call's inputs
//! reach a method and how its return value comes back as response bytes.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::state::States;
use crate::Error;

/// The signature every generated method entry point has.
pub type CallFn = for<'a> fn(Call<'a>) -> Outcome<'a>;

/// What a method entry point is given for one call.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    /// The request's raw `params`, if any.
    pub params: Option<&'a RawValue>,
    /// The server's shared state.
    pub states: &'a States,
}

/// A boxed, sendable future of a method's result.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a method entry point returns: the result at once (plain `fn`s, and params that failed to
/// decode) or a future of it (`async fn`s).
pub enum Outcome<'a> {
    /// The call is complete.
    Ready(Result<SuccessHead, Error>),
    /// The call completes when the future does.
    Pending(BoxFuture<'a, Result<SuccessHead, Error>>),
}

/// A success response written up to and including its result: `{"jsonrpc":"2.0","result":...`.
/// The dispatcher appends the id. Writing the result straight into the response buffer saves a
/// copy and an allocation per call.
pub struct SuccessHead(pub(crate) Vec<u8>);

pub(crate) const SUCCESS_PREFIX: &[u8] = br#"{"jsonrpc":"2.0","result":"#;

impl SuccessHead {
    /// Serializes `value` as the result of a success response.
    pub fn new<T: Serialize + ?Sized>(value: &T) -> Result<SuccessHead, Error> {
        let mut buffer = Vec::with_capacity(128);
        buffer.extend_from_slice(SUCCESS_PREFIX);
        match serde_json::to_writer(&mut buffer, value) {
            Ok(()) => Ok(SuccessHead(buffer)),
            Err(e) => Err(result_not_serializable(e)),
        }
    }
}

#[cold]
fn result_not_serializable(error: serde_json::Error) -> Error {
    tracing::error!(%error, "a method's result could not be serialized");
    Error::internal_error().with_data(format!("the result could not be serialized: {error}"))
}

/// A method's return value, turned into a response. Implemented for `Result<T, E>` where the
/// value serializes and the error converts into an [`Error`]; the macro uses it for return types
/// named `...Result`, and serializes any other return type directly.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the return type of a JSON-RPC method",
    label = "the result must be `Result<T, E>` where `T: Serialize` and `E: Into<jsonrpc_runtime::Error>`"
)]
pub trait IntoResponse {
    /// Serializes the success value, or converts the error.
    fn into_response(self) -> Result<SuccessHead, Error>;
}

impl<T: Serialize, E: Into<Error>> IntoResponse for Result<T, E> {
    fn into_response(self) -> Result<SuccessHead, Error> {
        match self {
            Ok(value) => SuccessHead::new(&value),
            Err(error) => Err(error.into()),
        }
    }
}
