//! [`Peer`]: the other side of the connection a call came on, for a server that calls its client
//! (LSP's `workspace/configuration`, MCP's sampling) or a client that calls its server.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::session::Session;
use crate::Error;

/// The default time a [`Peer`] request waits for its answer: 30 seconds.
pub const DEFAULT_PEER_TIMEOUT: Duration = Duration::from_secs(30);

/// The other side of a long-lived connection (WebSocket, stdio, TCP or Unix socket): send it a
/// notification, or a request and await its answer. A method takes it as an argument; it is
/// not a param.
///
/// ```
/// use jsonrpc_runtime::{method, Error, Peer};
/// use serde_json::{json, Value};
///
/// /// Asks the client for its settings, as a language server does.
/// #[method(name = "workspace/indent")]
/// async fn indent(peer: Peer) -> Result<u64, Error> {
///     let settings: Value = peer
///         .request("workspace/configuration", json!({ "items": [{ "section": "editor" }] }))
///         .await?;
///     peer.notify("window/logMessage", json!({ "type": 3, "message": "read the settings" }))
///         .await?;
///     Ok(settings[0]["tabSize"].as_u64().unwrap_or(4))
/// }
/// # fn main() {}
/// ```
///
/// It is cheap to clone and may be moved into a task that outlives the call; its requests fail
/// with [`PeerError::Closed`] once the connection has closed. A call that came over HTTP has no
/// peer to call back: every request and notification then fails with
/// [`PeerError::NoConnection`].
#[derive(Clone)]
pub struct Peer {
    session: Option<Weak<Session>>,
    timeout: Duration,
}

/// Why a [`Peer`] request or notification failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PeerError {
    /// The call came over HTTP, which cannot carry a request back to the client.
    #[error("the call came over HTTP, which has no way to call the client back; use a WebSocket or stream connection")]
    NoConnection,
    /// The connection has closed.
    #[error("the connection has closed")]
    Closed,
    /// No answer came within the timeout.
    #[error("the other side did not answer within {0:?}")]
    Timeout(Duration),
    /// The other side answered with an error.
    #[error("the other side answered with error {}: {}", .0.code(), .0.message())]
    Rpc(Error),
    /// The params could not be written, or the answer could not be read as the expected type.
    #[error("{0}")]
    Json(String),
}

impl From<PeerError> for Error {
    /// The other side's own error as it is; a call over HTTP as
    /// [`code::NEEDS_CONNECTION`](crate::error::code::NEEDS_CONNECTION), as a subscription over
    /// HTTP answers; anything else as -32603 with the reason in `data`.
    fn from(error: PeerError) -> Error {
        match error {
            PeerError::Rpc(error) => error,
            PeerError::NoConnection => Error::new(
                crate::error::code::NEEDS_CONNECTION,
                "this call needs a WebSocket or stream connection",
            )
            .with_data(PeerError::NoConnection.to_string()),
            other => Error::internal_error().with_data(other.to_string()),
        }
    }
}

impl Peer {
    pub(crate) fn new(session: Option<&Arc<Session>>) -> Self {
        Peer {
            session: session.map(Arc::downgrade),
            timeout: DEFAULT_PEER_TIMEOUT,
        }
    }

    /// The same peer, with requests that wait at most `timeout` for their answer.
    pub fn with_timeout(&self, timeout: Duration) -> Peer {
        Peer {
            session: self.session.clone(),
            timeout,
        }
    }

    /// Whether the connection is still open (always `false` over HTTP).
    pub fn is_connected(&self) -> bool {
        self.session
            .as_ref()
            .and_then(Weak::upgrade)
            .is_some_and(|session| !session.gone.is_cancelled())
    }

    /// Sends a request and waits (up to the timeout) for its answer, decoded as `R`.
    /// `params` must serialize to an array or an object (`()` sends none).
    pub async fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl Serialize,
    ) -> Result<R, PeerError> {
        let session = self.session()?;
        let params = params_json(&params)?;
        let (id, answer) = session.calls.start().ok_or(PeerError::Closed)?;
        let request = request_bytes(method, params.as_deref(), Some(id));
        // Give up the call if this future is dropped or times out: its answer is not awaited.
        let forget = ForgetOnDrop {
            session: &session,
            id,
        };
        if session.outbox.send(request).await.is_err() {
            return Err(PeerError::Closed);
        }
        let reply = match tokio::time::timeout(self.timeout, answer).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => return Err(PeerError::Closed),
            Err(_) => return Err(PeerError::Timeout(self.timeout)),
        };
        drop(forget);
        let result = reply.map_err(PeerError::Rpc)?;
        serde_json::from_str(result.get()).map_err(|error| {
            PeerError::Json(format!("the answer to `{method}` does not fit: {error}"))
        })
    }

    /// Sends a notification (no answer). Returns once it is queued for the connection.
    pub async fn notify(&self, method: &str, params: impl Serialize) -> Result<(), PeerError> {
        let session = self.session()?;
        let params = params_json(&params)?;
        let notification = request_bytes(method, params.as_deref(), None);
        session
            .outbox
            .send(notification)
            .await
            .map_err(|_| PeerError::Closed)
    }

    fn session(&self) -> Result<Arc<Session>, PeerError> {
        let weak = self.session.as_ref().ok_or(PeerError::NoConnection)?;
        let session = weak.upgrade().ok_or(PeerError::Closed)?;
        if session.gone.is_cancelled() {
            return Err(PeerError::Closed);
        }
        Ok(session)
    }
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("connected", &self.is_connected())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Forgets a call when the request is abandoned before its answer came.
struct ForgetOnDrop<'a> {
    session: &'a Session,
    id: u64,
}

impl Drop for ForgetOnDrop<'_> {
    fn drop(&mut self) {
        self.session.calls.forget(self.id);
    }
}

/// The params as JSON text: `None` for `()` (no params), else an array or an object.
fn params_json(params: &impl Serialize) -> Result<Option<String>, PeerError> {
    let json = serde_json::to_string(params)
        .map_err(|error| PeerError::Json(format!("the params could not be serialized: {error}")))?;
    match json.as_bytes().first() {
        Some(b'[' | b'{') => Ok(Some(json)),
        _ if json == "null" => Ok(None),
        _ => Err(PeerError::Json(
            "params must be an array or an object (or `()` for none)".into(),
        )),
    }
}

/// `{"jsonrpc":"2.0","method":...,"params":...,"id":...}`, without `id` for a notification.
fn request_bytes(method: &str, params: Option<&str>, id: Option<u64>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(64 + method.len() + params.map_or(0, str::len));
    bytes.extend_from_slice(br#"{"jsonrpc":"2.0","method":"#);
    serde_json::to_writer(&mut bytes, method).expect("a string always serializes");
    if let Some(params) = params {
        bytes.extend_from_slice(br#","params":"#);
        bytes.extend_from_slice(params.as_bytes());
    }
    if let Some(id) = id {
        bytes.extend_from_slice(br#","id":"#);
        bytes.extend_from_slice(id.to_string().as_bytes());
    }
    bytes.push(b'}');
    bytes
}

/// Builds a `Peer` argument.
pub fn extract(context: &crate::CallContext<'_>) -> Result<Peer, Error> {
    Ok(Peer::new(context.session.map(|scope| &scope.session)))
}
