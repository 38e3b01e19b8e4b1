//! The JSON-RPC error object, and the standard codes of the specification.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// The error codes that JSON-RPC 2.0 reserves (section 5.1 of the specification).
pub mod code {
    /// Invalid JSON was received by the server.
    pub const PARSE_ERROR: i32 = -32700;
    /// The JSON sent is not a valid Request object.
    pub const INVALID_REQUEST: i32 = -32600;
    /// The method does not exist or is not available.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Invalid method parameter(s).
    pub const INVALID_PARAMS: i32 = -32602;
    /// Internal JSON-RPC error.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// The lowest code of the range reserved for implementation-defined server errors.
    pub const SERVER_ERROR_MIN: i32 = -32099;
    /// The highest code of the range reserved for implementation-defined server errors.
    pub const SERVER_ERROR_MAX: i32 = -32000;

    /// A subscription was called over a transport that cannot push (plain HTTP): it needs a
    /// WebSocket connection. A server error of this crate.
    pub const NEEDS_CONNECTION: i32 = -32090;
    /// The connection has as many subscriptions open as the server allows.
    pub const TOO_MANY_SUBSCRIPTIONS: i32 = -32091;
    /// The subscription has ended (the client unsubscribed or disconnected); what
    /// [`SendError`](crate::SendError) converts into.
    pub const SUBSCRIPTION_CLOSED: i32 = -32092;
    /// The subscriber fell too far behind its subscription's items and was ended.
    pub const SUBSCRIPTION_LAGGED: i32 = -32093;
}

/// A JSON-RPC error object: what a method returns in its `Err`, and what a client receives.
///
/// Build one with the constructors for the standard codes, or with [`Error::new`] for an
/// application error, and attach details with [`Error::with_data`]:
///
/// ```
/// use jsonrpc_runtime::Error;
///
/// let err = Error::new(-32001, "division by zero").with_data(serde_json::json!({ "dividend": 1.5 }));
/// assert_eq!(err.code(), -32001);
/// assert_eq!(err.message(), "division by zero");
/// assert_eq!(err.data(), Some(&serde_json::json!({ "dividend": 1.5 })));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Error {
    code: i32,
    message: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Value>,
}

impl Error {
    /// An error with any code and message, and no data.
    ///
    /// Application errors should use codes outside -32768..=-32000, which the specification
    /// reserves.
    pub fn new(code: i32, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Attaches `data`, a value with more detail about the error.
    ///
    /// A value that cannot be represented as JSON (a map with non-string keys, say) is replaced
    /// by a string saying so, rather than losing the whole error.
    pub fn with_data(mut self, data: impl Serialize) -> Self {
        self.data = Some(
            serde_json::to_value(data)
                .unwrap_or_else(|e| Value::String(format!("error data not serializable: {e}"))),
        );
        self
    }

    /// -32700: the request was not valid JSON.
    pub fn parse_error() -> Self {
        Error::new(code::PARSE_ERROR, "Parse error")
    }

    /// -32600: the JSON is not a valid request object.
    pub fn invalid_request() -> Self {
        Error::new(code::INVALID_REQUEST, "Invalid Request")
    }

    /// -32601: no method of that name.
    pub fn method_not_found() -> Self {
        Error::new(code::METHOD_NOT_FOUND, "Method not found")
    }

    /// -32602: the params do not fit the method; `message` says which and why.
    pub fn invalid_params(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(code::INVALID_PARAMS, message)
    }

    /// -32603: the server failed while handling the call.
    pub fn internal_error() -> Self {
        Error::new(code::INTERNAL_ERROR, "Internal error")
    }

    /// The error code.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The short description of the error.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The extra detail, if any.
    pub fn data(&self) -> Option<&Value> {
        self.data.as_ref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)?;
        if let Some(data) = &self.data {
            write!(f, ": {data}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A method's result type when it can fail with a JSON-RPC error.
pub type RpcResult<T> = Result<T, Error>;

/// Why a server or dispatcher refused to start.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// Two methods have the same wire name.
    #[error(
        "two methods are named `{name}`: one at {first}, one at {second}; \
         rename one with #[method(name = \"...\")]"
    )]
    DuplicateMethod {
        /// The name both use.
        name: String,
        /// Where the first is defined.
        first: crate::Location,
        /// Where the second is defined.
        second: crate::Location,
    },
    /// A method takes `State<T>` but no `T` was given.
    #[error(
        "method `{method}` (at {location}) takes `State<{type_name}>`, but no `{type_name}` \
         was given: pass one to the builder's `.state(...)`"
    )]
    MissingState {
        /// The method's wire name.
        method: &'static str,
        /// Where the method is defined.
        location: crate::Location,
        /// The type of the state it needs.
        type_name: &'static str,
    },
}
