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

    /// A server error with no code of its own: what a `String` or `&str` error (and an
    /// `anyhow::Error`) converts into, its text as the message. The first code of the range
    /// the specification leaves to implementations for server errors, so that it is never
    /// mistaken for one of the protocol's own codes (-32603 would claim the JSON-RPC layer
    /// failed) nor for an application's own codes, which lie outside the reserved range.
    pub const SERVER_ERROR: i32 = -32000;

    /// A subscription, or a method that calls its client back through
    /// [`Peer`](crate::Peer), was called over a transport that cannot carry that (plain HTTP):
    /// it needs a WebSocket or stream connection. A server error of this crate.
    pub const NEEDS_CONNECTION: i32 = -32090;
    /// The connection has as many subscriptions open as the server allows.
    pub const TOO_MANY_SUBSCRIPTIONS: i32 = -32091;
    /// The subscription has ended (the client unsubscribed or disconnected); what
    /// [`SendError`](crate::SendError) converts into.
    pub const SUBSCRIPTION_CLOSED: i32 = -32092;
    /// The subscriber fell too far behind its subscription's items and was ended.
    pub const SUBSCRIPTION_LAGGED: i32 = -32093;
    /// The server is over its memory budget for request bodies and answers (see
    /// [`ServerBuilder::memory_budget`](crate::ServerBuilder::memory_budget)). Sent with HTTP
    /// 503 and `Retry-After`. Usually the request was refused before it ran (its body did not
    /// fit) and can be retried; when its answer is what did not fit, the call has run, and the
    /// error's `data` says so.
    pub const SERVER_BUSY: i32 = -32094;
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

    /// -32602: the params do not fit the method. The message is the specification's,
    /// "Invalid params"; `detail` (which param, and why) is the error's `data`, a string.
    ///
    /// Every error of a standard code has this shape: the standard message, and the detail in
    /// `data` (-32601 carries the method name there, -32600 what is wrong with the request).
    ///
    /// ```
    /// let error = jsonrpc_runtime::Error::invalid_params("missing required param `name`");
    /// assert_eq!(error.message(), "Invalid params");
    /// assert_eq!(error.data(), Some(&serde_json::json!("missing required param `name`")));
    /// ```
    pub fn invalid_params(detail: impl Into<Cow<'static, str>>) -> Self {
        let detail: Cow<'static, str> = detail.into();
        Error::new(code::INVALID_PARAMS, "Invalid params").with_data(detail.as_ref())
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

/// A message as an error: a server error ([`code::SERVER_ERROR`], -32000) with that message,
/// so that a method returning `Result<T, String>` (or using `?` on one) works.
impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::new(code::SERVER_ERROR, message)
    }
}

/// A message as an error: a server error ([`code::SERVER_ERROR`], -32000) with that message.
impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Error::new(code::SERVER_ERROR, message.to_owned())
    }
}

/// An I/O failure while handling a call is the server's: -32603 "Internal error", with the
/// error's text as `data`. (To hide the text from clients, `map_err` it yourself.)
impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::internal_error().with_data(error.to_string())
    }
}

/// A JSON failure inside a method (encoding or decoding a value of its own) is the server's:
/// -32603 "Internal error", with the error's text as `data`. Params that do not decode never
/// get here: they are answered -32602 before the method runs.
impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Self {
        Error::internal_error().with_data(error.to_string())
    }
}

/// With the `anyhow` feature: an `anyhow::Error` that wraps an [`Error`] is that error;
/// any other is a server error ([`code::SERVER_ERROR`], -32000) whose message is the error and
/// its causes (`"reading config: file not found"`).
#[cfg(feature = "anyhow")]
impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<Error>() {
            Ok(error) => error,
            Err(error) => Error::new(code::SERVER_ERROR, format!("{error:#}")),
        }
    }
}

/// A method's result type when it can fail with a JSON-RPC error.
pub type RpcResult<T> = Result<T, Error>;

/// Why a server or dispatcher refused to start.
///
/// It displays as a sentence naming the method, where it is defined and what to do; its
/// `Debug` form is the same sentence, so that `fn main() -> std::io::Result<()>`, which prints
/// the error it returns with `Debug`, shows it readably too.
#[derive(Clone, thiserror::Error)]
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
    /// A method takes `State<T>` (or an extractor that reads it) but no `T` was given.
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

impl fmt::Debug for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a server could not listen: the address, and the operating system's reason. Carried
/// inside the [`std::io::Error`] that [`ServerBuilder::bind`](crate::ServerBuilder::bind)
/// returns (same kind as the system's error); it displays, and prints in `Debug` form, as one
/// sentence.
#[derive(thiserror::Error)]
#[error("cannot listen on {address}: {source}{hint}")]
pub(crate) struct BindError {
    pub address: String,
    #[source]
    pub source: std::io::Error,
    pub hint: &'static str,
}

impl BindError {
    pub(crate) fn io_error(address: String, source: std::io::Error) -> std::io::Error {
        let hint = match source.kind() {
            std::io::ErrorKind::AddrInUse => {
                "; another program is listening there: stop it, or choose another address or port"
            }
            std::io::ErrorKind::PermissionDenied => {
                "; ports below 1024 need privileges: choose a port above 1024"
            }
            _ => "",
        };
        let kind = source.kind();
        std::io::Error::new(
            kind,
            BindError {
                address,
                source,
                hint,
            },
        )
    }
}

impl fmt::Debug for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_server_errors_with_that_message() {
        let error = Error::from(String::from("not a number: x"));
        assert_eq!((error.code(), error.message()), (-32000, "not a number: x"));
        let error = Error::from("the flag is off");
        assert_eq!((error.code(), error.message()), (-32000, "the flag is off"));
        assert_eq!(error.data(), None);
    }

    #[test]
    fn io_and_json_failures_are_internal_errors_with_the_detail_in_data() {
        let error = Error::from(std::io::Error::new(std::io::ErrorKind::NotFound, "no file"));
        assert_eq!((error.code(), error.message()), (-32603, "Internal error"));
        assert_eq!(error.data(), Some(&serde_json::json!("no file")));
        let json = serde_json::from_str::<u8>("x").unwrap_err();
        let error = Error::from(json);
        assert_eq!(error.code(), -32603);
        assert!(error.data().and_then(Value::as_str).is_some());
    }

    #[cfg(feature = "anyhow")]
    #[test]
    fn anyhow_errors_keep_a_wrapped_error_and_their_causes() {
        use anyhow::Context;
        let wrapped = anyhow::Error::new(Error::new(-32010, "taken"));
        assert_eq!(Error::from(wrapped), Error::new(-32010, "taken"));
        let chained = Err::<(), _>(std::io::Error::other("file not found"))
            .context("reading config")
            .unwrap_err();
        let error = Error::from(chained);
        assert_eq!(
            (error.code(), error.message()),
            (-32000, "reading config: file not found")
        );
    }

    #[test]
    fn startup_errors_print_as_sentences_in_debug_too() {
        let error = StartupError::MissingState {
            method: "hits",
            location: crate::Location {
                file: "src/main.rs",
                line: 7,
            },
            type_name: "app::Hits",
        };
        let io = std::io::Error::new(std::io::ErrorKind::InvalidInput, error.clone());
        let debug = format!("{io:?}");
        assert!(
            debug.contains("method `hits` (at src/main.rs:7) takes `State<app::Hits>`"),
            "{debug}"
        );
        assert_eq!(format!("{error:?}"), error.to_string());
    }

    #[test]
    fn an_address_in_use_is_named() {
        let error = BindError::io_error(
            "127.0.0.1:5000".to_owned(),
            std::io::Error::from(std::io::ErrorKind::AddrInUse),
        );
        assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
        let shown = error.to_string();
        assert!(
            shown.starts_with("cannot listen on 127.0.0.1:5000: "),
            "{shown}"
        );
        assert!(
            shown.contains("another program is listening there"),
            "{shown}"
        );
        assert!(format!("{error:?}").contains("cannot listen on 127.0.0.1:5000"));
    }
}
