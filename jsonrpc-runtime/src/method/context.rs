//! Request context: what a method can learn about the request its call came in, beside its
//! params. Each type here is an argument a `#[method]` fn may take: each implements
//! [`FromCall`], so none of them is a param, under any name.

use std::net::SocketAddr;
use std::ops::Deref;

use serde_json::value::RawValue;

use crate::wire::request::RawJson;
use crate::{Error, FromCall};

/// What the dispatcher knows about one call, handed to extractors and middleware.
#[derive(Clone, Copy)]
pub struct CallContext<'a> {
    /// The method name as the client sent it.
    pub method: &'a str,
    /// The raw JSON id; `None` for a notification.
    pub id: Option<&'a RawValue>,
    /// The transport's request, when there is one.
    pub request: Option<&'a RequestParts>,
    /// The long-lived connection the call came on (WebSocket), if any.
    pub(crate) session: Option<&'a crate::session::MessageScope>,
    /// The server's shared state, for `State<T>` and extractors built on it.
    pub(crate) states: &'a crate::method::state::States,
}

impl<'a> CallContext<'a> {
    /// The value of the HTTP header `name`, when the call came over HTTP with it.
    pub fn header(&self, name: &str) -> Option<&'a http::HeaderValue> {
        self.request?.headers.get(name)
    }

    /// The value of type `T` a layer put into the request's extensions, if any.
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&'a T> {
        self.request?.extensions.get::<T>()
    }

    /// The shared state of type `T`, if the server was given one.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<crate::State<T>> {
        self.states.get::<T>()
    }
}

/// Not public API: what the dispatcher knows about one call, from which its [`CallContext`] is
/// made when something asks for one (a context argument, middleware).
///
/// The id stays the text the request readers checked: serde_json reads it into the
/// [`RawValue`] that [`CallContext::id`] holds only then, so that a method with no context
/// argument (most) costs no such read.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct CallInfo<'a> {
    /// The method name as the client sent it.
    pub method: &'a str,
    /// The raw JSON id; `None` for a notification.
    pub id: Option<RawJson<'a>>,
    /// The transport's request, when there is one.
    pub request: Option<&'a RequestParts>,
    /// The long-lived connection the call came on (WebSocket), if any.
    pub(crate) session: Option<&'a crate::session::MessageScope>,
    /// The server's shared state.
    pub(crate) states: &'a crate::method::state::States,
}

impl<'a> CallInfo<'a> {
    /// The id as JSON text; `None` for a notification.
    #[inline]
    pub fn id_text(&self) -> Option<&'a str> {
        self.id.map(RawJson::get)
    }

    /// The call's context, its id read as a [`RawValue`].
    pub fn context(&self) -> CallContext<'a> {
        CallContext {
            method: self.method,
            id: self.id.and_then(read_id),
            request: self.request,
            session: self.session,
            states: self.states,
        }
    }
}

/// The id's text as a [`RawValue`]. The readers checked it as one serde_json reads, so this
/// cannot fail; if it ever did, the id is left out (and the bug logged) rather than the call
/// failed.
fn read_id(id: RawJson<'_>) -> Option<&RawValue> {
    match id.to_raw_value() {
        Ok(id) => Some(id),
        Err(error) => unreadable_id(&error),
    }
}

#[cold]
fn unreadable_id<'a>(error: &serde_json::Error) -> Option<&'a RawValue> {
    debug_assert!(false, "a checked id serde_json does not read: {error}");
    tracing::error!(%error, "serde_json does not read the request's id as a RawValue");
    None
}

/// What a transport hands the dispatcher about a request: the HTTP head when the call came over
/// HTTP, and the peer's address when known. Pass it to
/// [`Dispatcher::dispatch_with`](crate::Dispatcher::dispatch_with).
#[derive(Debug, Default)]
pub struct RequestParts {
    /// The HTTP headers.
    pub headers: http::HeaderMap,
    /// The HTTP extensions: values that layers in front of the dispatcher (authentication, for
    /// example) attached to the request.
    pub extensions: http::Extensions,
    /// The address of the client, when the transport knows it.
    pub peer: Option<SocketAddr>,
}

impl RequestParts {
    /// The parts of an HTTP request head.
    pub fn from_http(parts: http::request::Parts) -> Self {
        let peer = parts.extensions.get::<PeerAddr>().and_then(|p| p.0);
        RequestParts {
            headers: parts.headers,
            extensions: parts.extensions,
            peer,
        }
    }
}

/// A method argument with the request's id, as raw JSON; `None` for a notification.
///
/// ```
/// use jsonrpc_runtime::{method, RequestId};
///
/// #[method]
/// fn which(id: RequestId) -> String {
///     id.as_json().unwrap_or("no id").to_owned()
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone)]
pub struct RequestId(Option<Box<RawValue>>);

impl RequestId {
    /// The id as the JSON text the client sent (`1`, `"abc"`, `null`).
    pub fn as_json(&self) -> Option<&str> {
        self.0.as_deref().map(RawValue::get)
    }

    /// The id as raw JSON, for serializing back out.
    pub fn as_raw(&self) -> Option<&RawValue> {
        self.0.as_deref()
    }

    /// Whether the call is a notification (nothing will be sent back).
    pub fn is_notification(&self) -> bool {
        self.0.is_none()
    }
}

/// A method argument with the method name the client called (useful for a function registered
/// under several names, or for logging).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodName(pub String);

impl Deref for MethodName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// A method argument with the HTTP request's headers (empty when the call did not come over
/// HTTP).
#[derive(Debug, Clone, Default)]
pub struct Headers(pub http::HeaderMap);

impl Deref for Headers {
    type Target = http::HeaderMap;
    fn deref(&self) -> &http::HeaderMap {
        &self.0
    }
}

/// A method argument with a value of type `T` that a layer in front of the dispatcher put into
/// the HTTP request's extensions: the authenticated user, a tenant, a trace id.
///
/// A call whose request has no `T` fails with -32603, since that is a wiring mistake on the
/// server, not the client's fault. To tell "no user" apart, have the layer insert an
/// `Option`-like value of its own.
#[derive(Debug, Clone)]
pub struct Extension<T>(pub T);

impl<T> Deref for Extension<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A method argument with the client's address, when the transport knows it. The built-in
/// server always does; in another HTTP stack, insert a `PeerAddr` into the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub Option<SocketAddr>);

impl FromCall for RequestId {
    type Rejection = Error;
    fn from_call(context: &CallContext<'_>) -> Result<Self, Error> {
        Ok(RequestId(context.id.map(ToOwned::to_owned)))
    }
}

impl FromCall for MethodName {
    type Rejection = Error;
    fn from_call(context: &CallContext<'_>) -> Result<Self, Error> {
        Ok(MethodName(context.method.to_owned()))
    }
}

impl FromCall for Headers {
    type Rejection = Error;
    fn from_call(context: &CallContext<'_>) -> Result<Self, Error> {
        Ok(Headers(
            context
                .request
                .map(|r| r.headers.clone())
                .unwrap_or_default(),
        ))
    }
}

impl FromCall for crate::Peer {
    type Rejection = Error;
    fn from_call(context: &CallContext<'_>) -> Result<Self, Error> {
        crate::method::peer::extract(context)
    }
}

impl FromCall for PeerAddr {
    type Rejection = Error;
    fn from_call(context: &CallContext<'_>) -> Result<Self, Error> {
        Ok(PeerAddr(context.request.and_then(|r| r.peer)))
    }
}

impl<T: Clone + Send + Sync + 'static> FromCall for Extension<T> {
    type Rejection = Error;
    fn from_call(context: &CallContext<'_>) -> Result<Self, Error> {
        context
            .extension::<T>()
            .cloned()
            .map(Extension)
            .ok_or_else(missing_extension::<T>)
    }
}

#[cold]
fn missing_extension<T>() -> Error {
    tracing::error!(
        r#type = std::any::type_name::<T>(),
        "a method's extension is missing"
    );
    Error::internal_error().with_data(format!(
        "the request carries no `{}` extension",
        std::any::type_name::<T>()
    ))
}
