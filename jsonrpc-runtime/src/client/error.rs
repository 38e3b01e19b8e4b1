//! What can go wrong with a call, as one enum a caller can match on.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::time::Duration;

use crate::client::Id;
use crate::Error;

/// Why a call through a [`Client`](crate::client::Client),
/// [`BlockingClient`](crate::client::BlockingClient) or [`WsClient`](crate::client::WsClient)
/// failed, or why a [`Subscription`](crate::client::Subscription) ended.
///
/// ```no_run
/// use jsonrpc_runtime::client::{Client, ClientError};
///
/// # async fn run() -> Result<(), ClientError> {
/// let client = Client::new("http://127.0.0.1:5000/")?;
/// match client.request::<f64>("divide", (1, 0)).await {
///     Ok(quotient) => println!("{quotient}"),
///     Err(ClientError::Rpc(error)) if error.code() == -32001 => println!("division by zero"),
///     Err(ClientError::TimedOut(after)) => println!("no answer within {after:?}"),
///     Err(other) => return Err(other),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with a JSON-RPC error object: its code, message and data.
    #[error("the server answered with an error: {0}")]
    Rpc(Error),
    /// The request could not be sent or the response could not be read: the server cannot be
    /// reached, the connection broke, and the like.
    #[error("transport error: {message}")]
    Transport {
        /// The error and its causes, as one line.
        message: String,
        /// The underlying error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The server answered with an HTTP status outside 200..=299.
    #[error("the server answered HTTP {status}: {body}")]
    HttpStatus {
        /// The status code, e.g. 500.
        status: u16,
        /// The response body as text (lossily decoded; empty when it could not be read).
        body: String,
    },
    /// The response is not a valid answer to the request.
    #[error("invalid response: {0}")]
    InvalidResponse(InvalidResponse),
    /// The result is valid JSON-RPC but does not decode into the type asked for.
    #[error("the result does not decode into the expected type: {0}")]
    Decode(#[source] serde_json::Error),
    /// No complete response arrived within the timeout.
    #[error("no response within {0:?}")]
    TimedOut(Duration),
    /// The response body is larger than the client's maximum response size.
    #[error("the response is larger than the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The params could not be serialized, or are not a JSON array or object.
    #[error("invalid params: {0}")]
    BadParams(String),
    /// A [`BlockingClient`](crate::client::BlockingClient) was used inside an async runtime,
    /// where blocking would stall the runtime's thread.
    #[error(
        "the blocking client cannot be used inside an async runtime: use `Client` and `.await` \
         there"
    )]
    InsideAsyncRuntime,
    /// The client is misconfigured: a URL or header that is not valid, an id generator that
    /// repeats itself within a batch, a root certificate that cannot be read.
    #[error("invalid client configuration: {0}")]
    InvalidConfig(String),
    /// The WebSocket connection of a [`WsClient`](crate::client::WsClient) is closed, or
    /// closed while the call waited: the server closed it, it broke, it stopped answering
    /// pings, or the client was closed. The text says which. Every call waiting on the
    /// connection fails with it, and every subscription on it yields it once and ends.
    #[error("the WebSocket connection is closed: {0}")]
    ConnectionClosed(String),
    /// A [`Subscription`](crate::client::Subscription) was read too slowly: its buffer of
    /// `buffer` items was full when the server sent another, so the client ended it (and
    /// unsubscribed) rather than hold an ever-growing backlog. Raise the buffer with
    /// [`WsClientBuilder::subscription_buffer`](crate::client::WsClientBuilder::subscription_buffer),
    /// or read faster.
    #[error(
        "the subscription was read too slowly: its buffer of {buffer} items was full, so it \
         was ended"
    )]
    Lagged {
        /// The size of the subscription's buffer, in items.
        buffer: usize,
    },
}

/// How a response fails to answer its request. See [`ClientError::InvalidResponse`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidResponse {
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// The body is JSON, but not a JSON-RPC 2.0 response (or batch of them).
    #[error("not a JSON-RPC 2.0 response: {0}")]
    NotAResponse(String),
    /// The server sent no body in answer to a request (one that is not a notification).
    #[error("the server sent no response body")]
    EmptyBody,
    /// The response has both `result` and `error`.
    #[error("the response has both `result` and `error`")]
    BothResultAndError,
    /// The response has neither `result` nor `error`.
    #[error("the response has neither `result` nor `error`")]
    NeitherResultNorError,
    /// The response's id is not the request's.
    #[error("the response's id {got} is not the request's id {expected}")]
    WrongId {
        /// The request's id.
        expected: Id,
        /// The response's id, as the JSON text it sent.
        got: String,
    },
    /// A batch response has no answer for this call.
    #[error("the batch response has no answer for id {0}")]
    MissingAnswer(Id),
    /// A batch response has more than one answer for this call.
    #[error("the batch response has more than one answer for id {0}")]
    DuplicateAnswer(Id),
    /// The result of a subscribe call is not a subscription id (a string or an integer); the
    /// JSON text it sent.
    #[error("the subscription id {0} is not a string or an integer")]
    InvalidSubscriptionId(String),
}

impl From<InvalidResponse> for ClientError {
    fn from(reason: InvalidResponse) -> Self {
        ClientError::InvalidResponse(reason)
    }
}

impl ClientError {
    /// The JSON-RPC error object, when the server answered with one.
    pub fn rpc(&self) -> Option<&Error> {
        match self {
            ClientError::Rpc(error) => Some(error),
            _ => None,
        }
    }

    /// A transport error, with its chain of causes spelled out in the message.
    #[cold]
    pub(crate) fn transport(source: impl Into<Box<dyn StdError + Send + Sync>>) -> ClientError {
        let source = source.into();
        let mut message = source.to_string();
        let mut cause = source.source();
        while let Some(error) = cause {
            let _ = write!(message, ": {error}");
            cause = error.source();
        }
        ClientError::Transport { message, source }
    }

    /// A transport error whose message starts with what was being done (`context`).
    #[cold]
    pub(crate) fn transport_while(
        context: &str,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> ClientError {
        match ClientError::transport(source) {
            ClientError::Transport { message, source } => ClientError::Transport {
                message: format!("{context}: {message}"),
                source,
            },
            other => other,
        }
    }
}
