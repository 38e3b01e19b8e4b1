//! JSON-RPC 2.0 clients: over HTTP, [`Client`] for async code and [`BlockingClient`] for code
//! that is not (scripts, tests, command-line tools); over a WebSocket, [`WsClient`], which
//! also subscribes ([`Subscription`]). With the default `tls` feature, `https://` and `wss://`
//! URLs work too (rustls, trusting Mozilla's roots and any the builder adds).
//!
//! ```no_run
//! use jsonrpc_runtime::client::{ByName, Client, ClientError};
//! use serde_json::json;
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), ClientError> {
//! let client = Client::new("http://127.0.0.1:5000/")?;
//!
//! // A request, with params by position or by name, and a typed result.
//! let pong: String = client.request("ping", ()).await?;
//! let difference: i64 = client.request("subtract", (42, 23)).await?;
//! let difference: i64 = client
//!     .request("subtract", json!({ "minuend": 42, "subtrahend": 23 }))
//!     .await?;
//!
//! // A notification: no id, no answer.
//! client.notify("update", [1, 2, 3, 4, 5]).await?;
//!
//! // A batch: each result is matched to its call by id, in whatever order they come back.
//! let mut batch = client.batch();
//! let sum = batch.request::<i64>("sum", [1, 2, 4]);
//! let pong = batch.request::<String>("ping", ());
//! batch.notify("update", [1]);
//! let answers = batch.send().await?;
//! assert_eq!(answers.get(&sum)?, 7);
//! assert_eq!(answers.get(&pong)?, "pong");
//! # Ok(())
//! # }
//! ```
//!
//! # Typed calls
//!
//! For every `#[method]` function, the macro also writes a typed client call, so a crate that
//! defines the methods can be shared by the server and its clients, and a call is checked by
//! the compiler like any function call:
//!
//! ```no_run
//! use jsonrpc_runtime::client::{BlockingClient, Client};
//! use jsonrpc_runtime::method;
//!
//! #[method]
//! async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
//!     minuend - subtrahend
//! }
//!
//! # async fn run() -> Result<(), jsonrpc_runtime::client::ClientError> {
//! let client = Client::new("http://127.0.0.1:5000/")?;
//! let difference: i64 = subtract::call(&client, 42, 23).await?;
//! # Ok(())
//! # }
//! # fn run_blocking() -> Result<(), jsonrpc_runtime::client::ClientError> {
//! let client = BlockingClient::new("http://127.0.0.1:5000/")?;
//! let difference: i64 = subtract::call_blocking(&client, 42, 23)?;
//! # Ok(())
//! # }
//! ```
//!
//! | generated | through | sends |
//! | --- | --- | --- |
//! | `name::call(&client, ..)` | [`Client`], [`WsClient`] (any [`RpcClient`]) | params by position |
//! | `name::call_by_name(&client, ..)` | the same | params by name: `{"minuend": 42, ...}` |
//! | `name::notify(&client, ..)` | the same | a notification (no id, no answer) |
//! | `name::batch(&mut batch, ..)` | [`Batch`], [`BlockingBatch`] (any [`RpcBatch`]) | a batch entry: a [`BatchCall<T>`] |
//! | `name::call_blocking`, `call_by_name_blocking`, `notify_blocking` | [`BlockingClient`] | as above |
//!
//! - **Params.** Each param is an argument. `State<T>` and request-context arguments are the
//!   server's business and are left out; a `Params<T>` argument is the whole params, a `T`
//!   (and has no `call_by_name`: `T` decides the shape). An argument may be the param's type,
//!   a reference to it, or a borrowed form that serializes the same way: `&str` (or
//!   `Cow<str>`) for a `String`, `&[T]` or `[T; N]` for a `Vec<T>` ([`ParamArg`]). Literals
//!   keep their inference: `subtract::call(&client, 42, 23)`, `None` for an `Option`. A bare
//!   `.into()` cannot be inferred (it could become a `String` or a `&str`): write `"Ada"` or
//!   `String::from("Ada")`. The arguments are serialized before the call returns: the future
//!   borrows only the client.
//! - **The result** follows the return type, by type ([`ClientResult`]): the `T` of a
//!   `Result<T, E>` under any name (`RpcResult<T>`, `type Answer = Result<u32, Error>`), `()`
//!   for no return type, a borrowed type received owned (`&'static str` as `String`), an
//!   `impl Trait` as a `serde_json::Value`, and any other type as it is (a struct named
//!   `SearchResult` too). An `Err` arrives as [`ClientError::Rpc`]. One case needs help: an
//!   alias of a `Result<T, E>` whose `E` is itself `Deserialize` (such as `String`) could be
//!   received either way, so name the type at the call (`let n: u32 = answer::call(..)`);
//!   written as `Result<T, E>` in the signature, it needs nothing.
//! - The server's methods only need their params to be `Deserialize` and their results
//!   `Serialize`. A call is only possible when the params are also `Serialize` and the result
//!   `DeserializeOwned`: otherwise the method compiles as before, and only a `call` of it is
//!   refused, where it is written:
//!
//! ```compile_fail,E0277
//! use jsonrpc_runtime::client::Client;
//! use jsonrpc_runtime::method;
//!
//! #[derive(serde::Deserialize)]
//! struct Point {
//!     x: f64,
//!     y: f64,
//! }
//!
//! /// Fine for the server, which only decodes a `Point`.
//! #[method]
//! fn norm(point: Point) -> f64 {
//!     point.x.hypot(point.y)
//! }
//!
//! async fn run(client: Client) {
//!     // error[E0277]: `Point` cannot be sent as a param of type `Point`
//!     // note: the param type must also implement `serde::Serialize`
//!     let norm = norm::call(&client, Point { x: 3.0, y: 4.0 }).await;
//! }
//! ```
//!
//! - A param or result type must not leave a lifetime out: write `Cow<'static, str>`, not
//!   `Cow<str>`.
//!
//! A `#[subscription]` function gets `name::subscribe(&ws_client, params...)`, which returns a
//! typed [`Subscription`].
//!
//! # Credentials and connection errors
//!
//! A URL with user information, `http://user:password@host/` (or `https://`, `ws://`,
//! `wss://`), sends `Authorization: Basic ...` with every request (or with the WebSocket
//! handshake); the user name and password are percent-decoded (`p%40ss` is `p@ss`). They are
//! taken out of the URL, so they appear in no log line, error or `Host` header. An
//! `Authorization` header given to the builder (`bearer_auth`, `header`) wins over them.
//!
//! A server that cannot be reached is a [`ClientError::Transport`] naming the address tried
//! and why: `transport error: could not connect to 127.0.0.1:5000: tcp connect error:
//! Connection refused (os error 111)`.
//!
//! # Logging
//!
//! Like the seed's Python client, every exchange is logged at debug level through `tracing`:
//!
//! ```text
//! --> {"jsonrpc":"2.0","method":"ping","id":1}
//! <-- {"jsonrpc":"2.0","result":"pong","id":1} (200 OK)
//! ```

mod batch;
mod blocking;
mod credentials;
mod error;
mod id;
mod params;
mod response;
#[cfg(feature = "tls")]
mod tls;
mod transport;
#[doc(hidden)]
pub mod typed;
mod ws;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

pub use batch::{Batch, BatchCall, BatchResponse};
pub use blocking::{BlockingBatch, BlockingClient};
pub use error::{ClientError, InvalidResponse};
pub use id::{Id, IdGenerator, NumericIds, RandomIds, StringIds};
pub use params::{ByName, ByPosition, ToParams};
pub use typed::{ClientResult, ParamArg, RpcBatch, RpcClient};
pub use ws::{
    Reconnect, Subscription, SubscriptionEvent, WsClient, WsClientBuilder, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_PING_INTERVAL, DEFAULT_SUBSCRIPTION_BUFFER,
};

use transport::Transport;

/// The default time a call may take, from sending the request to reading the whole response:
/// 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default largest response body a client reads: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 10 * 1024 * 1024;

/// An async JSON-RPC client for one server URL, on hyper's pooled HTTP client: connections
/// are kept alive and reused, over HTTP/1.1, or HTTP/2 with
/// [`http2_prior_knowledge`](ClientBuilder::http2_prior_knowledge).
///
/// Cloning is cheap: clones share the connection pool and the id generator. Calls need a tokio
/// runtime with its time driver (as `#[tokio::main]` gives).
///
/// ```no_run
/// use std::time::Duration;
/// use jsonrpc_runtime::client::Client;
///
/// # async fn run() -> Result<(), jsonrpc_runtime::client::ClientError> {
/// let client = Client::builder("http://127.0.0.1:5000/")
///     .timeout(Duration::from_secs(5))
///     .bearer_auth("secret-token")
///     .header("X-Request-Source", "docs")
///     .max_response_size(1024 * 1024)
///     .build()?;
/// let difference: i64 = client.request("subtract", (42, 23)).await?;
/// // One slow call, with its own timeout.
/// let report: String = client
///     .with_timeout(Duration::from_secs(120))
///     .request("report", ())
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    timeout: Duration,
}

struct Shared {
    transport: Transport,
    ids: Box<dyn IdGenerator>,
}

/// Configures a [`Client`] or a [`BlockingClient`].
pub struct ClientBuilder {
    url: String,
    timeout: Duration,
    headers: HeaderMap,
    header_error: Option<String>,
    max_response_size: usize,
    http2_prior_knowledge: bool,
    ids: Option<Box<dyn IdGenerator>>,
    #[cfg(feature = "tls")]
    tls: tls::TlsOptions,
}

impl Client {
    /// A client for `url` (`http://host:port/path`, or `https://` with the `tls` feature) with
    /// the default settings. Credentials in the URL (`http://user:password@host/`) are sent as
    /// Basic authorization (see [Credentials](self#credentials-and-connection-errors)).
    pub fn new(url: &str) -> Result<Client, ClientError> {
        Client::builder(url).build()
    }

    /// Starts configuring a client for `url`.
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            timeout: DEFAULT_TIMEOUT,
            headers: HeaderMap::new(),
            header_error: None,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            http2_prior_knowledge: false,
            ids: None,
            #[cfg(feature = "tls")]
            tls: tls::TlsOptions::default(),
        }
    }

    /// Calls `method` with `params` and decodes its result as an `R`.
    ///
    /// The params are serialized at once; the returned future sends the request. A response
    /// that is an error object is [`ClientError::Rpc`].
    pub fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send + '_ {
        let id = self.shared.ids.next_id();
        let body = params
            .to_params()
            .map(|params| request_body(method, params.as_deref(), Some(&id)));
        async move {
            let response = self.exchange(body?).await?;
            let result = response::single(&response, &id)?;
            serde_json::from_str(result.get()).map_err(ClientError::Decode)
        }
    }

    /// Sends `method` with `params` as a notification: the server runs it and answers nothing.
    ///
    /// Completes when the server has acknowledged the request (an HTTP success status); any
    /// body it sends is ignored.
    pub fn notify(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + '_ {
        let body = params
            .to_params()
            .map(|params| request_body(method, params.as_deref(), None));
        async move {
            self.exchange(body?).await?;
            Ok(())
        }
    }

    /// Starts a batch: calls and notifications sent together in one request.
    pub fn batch(&self) -> Batch {
        Batch::new(self.clone())
    }

    /// This client with another timeout for each call, sharing its connections and ids.
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        Client {
            shared: Arc::clone(&self.shared),
            timeout,
        }
    }

    /// The time a call may take before it fails with [`ClientError::TimedOut`].
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs a body within the timeout and returns the response body.
    async fn exchange(&self, body: Vec<u8>) -> Result<Bytes, ClientError> {
        match tokio::time::timeout(self.timeout, self.shared.transport.post(body)).await {
            Ok(response) => response,
            Err(_) => Err(ClientError::TimedOut(self.timeout)),
        }
    }

    fn next_id(&self) -> Id {
        self.shared.ids.next_id()
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The time each call may take, from sending the request to reading the whole response.
    /// Default: [`DEFAULT_TIMEOUT`]. [`Client::with_timeout`] changes it for some calls.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends this header with every request (for authentication, say). A name or value that
    /// is not valid in HTTP makes [`build`](Self::build) fail.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        add_header(&mut self.headers, &mut self.header_error, name, value);
        self
    }

    /// Sends `Authorization: Bearer {token}` with every request.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.header(AUTHORIZATION.as_str(), &format!("Bearer {token}"))
    }

    /// The largest response body read, in bytes; a larger one fails the call with
    /// [`ClientError::ResponseTooLarge`]. Default: [`DEFAULT_MAX_RESPONSE_SIZE`].
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Speaks HTTP/2 from the first byte (prior knowledge, "h2c"), as this crate's server
    /// accepts. By default the client speaks HTTP/1.1.
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.http2_prior_knowledge = true;
        self
    }

    /// Makes request ids with `ids` instead of counting up from 1 ([`NumericIds`]).
    pub fn id_generator(mut self, ids: impl IdGenerator) -> Self {
        self.ids = Some(Box::new(ids));
        self
    }

    /// Also trusts this root certificate for `https://`: PEM (one or more `CERTIFICATE`
    /// blocks) or DER. For a private CA or a self-signed server. One that cannot be read
    /// makes [`build`](Self::build) fail.
    ///
    /// ```no_run
    /// use jsonrpc_runtime::client::Client;
    ///
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let ca = std::fs::read("ca.pem")?;
    /// let client = Client::builder("https://rpc.internal:8443/")
    ///     .add_root_certificate(ca)
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub fn add_root_certificate(mut self, certificate: impl AsRef<[u8]>) -> Self {
        self.tls.add_root(certificate.as_ref());
        self
    }

    /// Whether Mozilla's root certificates (webpki-roots) are trusted for `https://`.
    /// Default: `true`; with `false`, only the added roots are.
    #[cfg(feature = "tls")]
    pub fn built_in_roots(mut self, enabled: bool) -> Self {
        self.tls.built_in_roots(enabled);
        self
    }

    /// Checks the URL and headers and builds the async client. Needs no runtime; its calls do.
    pub fn build(self) -> Result<Client, ClientError> {
        if let Some(error) = self.header_error {
            return Err(ClientError::InvalidConfig(error));
        }
        let transport = Transport::new(
            &self.url,
            self.headers,
            self.max_response_size,
            self.http2_prior_knowledge,
            #[cfg(feature = "tls")]
            &self.tls,
        )?;
        let ids = self.ids.unwrap_or_else(|| Box::new(NumericIds::new()));
        Ok(Client {
            shared: Arc::new(Shared { transport, ids }),
            timeout: self.timeout,
        })
    }

    /// Builds a [`BlockingClient`] instead, with its own single-threaded runtime.
    pub fn build_blocking(self) -> Result<BlockingClient, ClientError> {
        BlockingClient::from_client(self.build()?)
    }
}

/// Writes a request object: `{"jsonrpc":"2.0","method":...,"params":...,"id":...}`, leaving
/// out `params` when there are none and `id` for a notification.
fn request_body(method: &str, params: Option<&RawValue>, id: Option<&Id>) -> Vec<u8> {
    let mut body = Vec::with_capacity(64 + method.len() + params.map_or(0, |p| p.get().len()));
    body.extend_from_slice(br#"{"jsonrpc":"2.0","method":"#);
    serde_json::to_writer(&mut body, method).expect("a string always serializes");
    if let Some(params) = params {
        body.extend_from_slice(br#","params":"#);
        body.extend_from_slice(params.get().as_bytes());
    }
    if let Some(id) = id {
        body.extend_from_slice(br#","id":"#);
        serde_json::to_writer(&mut body, id).expect("an id always serializes");
    }
    body.push(b'}');
    body
}

/// Adds a header a builder was given; the first one that is not valid HTTP is kept as the
/// builder's error.
pub(crate) fn add_header(
    headers: &mut HeaderMap,
    error: &mut Option<String>,
    name: &str,
    value: &str,
) {
    match (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        (Ok(name), Ok(value)) => {
            headers.insert(name, value);
        }
        _ => {
            error.get_or_insert_with(|| format!("invalid header {name:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_objects() {
        let params = RawValue::from_string("[42,23]".to_owned()).unwrap();
        let body = request_body("subtract", Some(&params), Some(&Id::Num(1)));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#
        );
        let body = request_body("pi\"ng", None, Some(&Id::from("a")));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"jsonrpc":"2.0","method":"pi\"ng","id":"a"}"#
        );
        let body = request_body("update", Some(&params), None);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"jsonrpc":"2.0","method":"update","params":[42,23]}"#
        );
    }

    #[test]
    fn bad_configuration_is_an_error() {
        for url in [
            "not a url",
            #[cfg(not(feature = "tls"))]
            "https://example.invalid/",
            "/relative",
            "ftp://x/",
            "https:///",
        ] {
            assert!(
                matches!(Client::new(url), Err(ClientError::InvalidConfig(_))),
                "{url}"
            );
        }
        let built = Client::builder("http://127.0.0.1:1/")
            .header("bad header", "x")
            .build();
        assert!(matches!(built, Err(ClientError::InvalidConfig(m)) if m.contains("bad header")));
        let built = Client::builder("http://127.0.0.1:1/")
            .header("X-Ok", "line\nbreak")
            .build();
        assert!(matches!(built, Err(ClientError::InvalidConfig(_))));
    }
}
