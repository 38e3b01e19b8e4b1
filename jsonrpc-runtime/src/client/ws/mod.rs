//! The WebSocket client: one connection, many calls in flight on it, and subscriptions.
//!
//! A [`WsClient`] is a handle on a background task that owns the socket. The task writes what
//! the handles send it, reads every frame, hands each response to the call waiting for its id
//! and each subscription item to its subscription's buffer. Because one task reads the frames
//! in order, a subscription is registered (when its subscribe response is read) before any
//! item that follows the response is routed.
//!
//! With [`Reconnect`], the same task opens a new connection when its connection drops,
//! re-issues the live subscriptions on it and maps each new subscription id to the
//! subscription the caller holds (whose [`Subscription::id`] never changes).

mod reconnect;
mod subscription;
mod task;

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Error as WsError;

pub use reconnect::Reconnect;
pub use subscription::{Subscription, SubscriptionEvent};

#[cfg(feature = "tls")]
use crate::client::tls::{self, TlsOptions};
use crate::client::{
    credentials, request_body, Batch, ClientError, Id, IdGenerator, NumericIds, ToParams,
    DEFAULT_TIMEOUT,
};

/// The default number of items a [`Subscription`] buffers for a reader that is behind: 1024.
pub const DEFAULT_SUBSCRIPTION_BUFFER: usize = 1024;

/// The default largest message a [`WsClient`] reads: 10 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 10 * 1024 * 1024;

/// The default time between the pings a [`WsClient`] sends: 30 seconds.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(30);

/// The default time to open the connection (TCP, TLS and the WebSocket handshake): 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest subscription buffer, in items.
const MAX_SUBSCRIPTION_BUFFER: usize = 1 << 20;

/// How many commands (calls, notifications) may wait for the connection's task at once;
/// more wait in their callers.
const COMMAND_QUEUE: usize = 64;

/// An async JSON-RPC client over one WebSocket connection (`ws://`, or `wss://` with the `tls`
/// feature): requests, notifications and batches like [`Client`](crate::client::Client), and
/// subscriptions.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use jsonrpc_runtime::client::{ClientError, Subscription, WsClient};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), ClientError> {
/// let client = WsClient::connect("ws://127.0.0.1:5000/").await?;
///
/// // Calls, any number in flight at once; answers are matched by id.
/// let pong: String = client.request("ping", ()).await?;
/// let difference: i64 = client.request("subtract", (42, 23)).await?;
/// client.notify("update", [1, 2, 3]).await?;
///
/// let mut batch = client.batch();
/// let sum = batch.request::<i64>("sum", [1, 2, 4]);
/// let answers = batch.send().await?;
/// assert_eq!(answers.get(&sum)?, 7);
///
/// // A subscription: a stream of items until the server ends it or it is unsubscribed.
/// let mut ticks: Subscription<u64> = client
///     .subscribe("subscribe_ticks", (3, 10), "unsubscribe_ticks")
///     .await?;
/// while let Some(tick) = ticks.next().await {
///     let tick = tick?;
///     if tick == 1 {
///         break;
///     }
/// }
/// assert!(ticks.unsubscribe().await?);
/// # Ok(())
/// # }
/// ```
///
/// Cloning is cheap: clones share the connection. The connection stays open while a clone or
/// a [`Subscription`] is alive, or until [`close`](WsClient::close). By default it is never
/// reopened: once it closes, every call fails with [`ClientError::ConnectionClosed`], which
/// says why; connect again for a new one.
///
/// **Reconnecting** (opt-in, [`WsClientBuilder::reconnect`]): when the connection drops, the
/// client opens a new one to the same URL, with backoff ([`Reconnect`]), and
/// - re-issues every live subscription (the same method and params) and goes on feeding the
///   same [`Subscription`] from the new one: its [`id`](Subscription::id) stays the same, the
///   server's new id is [`server_id`](Subscription::server_id), and it marks the resume
///   ([`SubscriptionEvent::Resumed`], [`Subscription::resumed`]). **Items the server sent
///   during the gap are lost**, and a new instance starts the subscription afresh;
///   a server that refuses the new subscribe call ends the stream with its error;
/// - a call made while reconnecting waits for the new connection (within its own timeout)
///   instead of failing;
/// - a call that was **in flight** when the connection dropped fails with
///   [`ClientError::ConnectionClosed`]: its answer is lost, and the server may or may not
///   have run it, so it is not sent again (re-send it yourself if it is safe to run twice);
///   so do the batches in flight, and notifications not yet written are lost. Against a
///   server that drains as this crate's does,
///   [`Reconnect::resend_on_going_away`] sends the calls it left unanswered at its 1001
///   close again instead: it never ran them;
/// - after the last attempt fails, everything fails with [`ClientError::ConnectionClosed`]
///   as without reconnection.
///
/// Every exchange is logged at debug level through `tracing`, as `-->` and `<--` lines.
#[derive(Clone)]
pub struct WsClient {
    handle: Arc<Handle>,
    timeout: Duration,
}

/// Configures a [`WsClient`]; [`connect`](WsClientBuilder::connect) opens the connection.
///
/// ```no_run
/// use std::time::Duration;
/// use jsonrpc_runtime::client::WsClient;
///
/// # async fn run() -> Result<(), jsonrpc_runtime::client::ClientError> {
/// let client = WsClient::builder()
///     .request_timeout(Duration::from_secs(5))
///     .subscription_buffer(64)
///     .max_message_size(1024 * 1024)
///     .ping_interval(Duration::from_secs(10))
///     .bearer_auth("secret-token")
///     .connect("ws://127.0.0.1:5000/")
///     .await?;
/// # Ok(())
/// # }
/// ```
pub struct WsClientBuilder {
    request_timeout: Duration,
    connect_timeout: Duration,
    subscription_buffer: usize,
    max_message_size: usize,
    ping_interval: Option<Duration>,
    headers: HeaderMap,
    error: Option<String>,
    ids: Option<Arc<dyn IdGenerator>>,
    reconnect: Option<Reconnect>,
    #[cfg(feature = "tls")]
    tls: TlsOptions,
}

/// What the handles share with the connection's task.
pub(crate) struct Handle {
    commands: mpsc::Sender<Command>,
    /// Unsubscribes of dropped subscriptions: unbounded, since `Drop` cannot wait. One entry
    /// per subscription at most.
    drops: mpsc::UnboundedSender<Dropped>,
    ids: Arc<dyn IdGenerator>,
    /// Why the connection closed, once it has.
    closed: Arc<Mutex<Option<String>>>,
    /// Whether a connection is open: false while reconnecting, and once closed.
    online: Arc<AtomicBool>,
}

/// What a handle asks the connection's task.
pub(crate) enum Command {
    /// A request: write `frame`, hand the response with `id` to `waiter`.
    Call {
        id: Id,
        frame: String,
        waiter: Waiter,
    },
    /// An unsubscribe call with `id`: stop routing the items of the subscription `key` and
    /// call `method` with its server id (the current one; `fallback` when the task no longer
    /// knows the subscription).
    Unsubscribe {
        id: Id,
        key: u64,
        method: String,
        fallback: Id,
        reply: oneshot::Sender<Result<Box<RawValue>, ClientError>>,
    },
    /// A batch: write `frame`, hand the array that answers `ids` to `reply` (at once with an
    /// empty text when there are no ids).
    Batch {
        ids: Vec<Id>,
        frame: String,
        reply: oneshot::Sender<Result<String, ClientError>>,
    },
    /// A notification: write `frame`.
    Notify { frame: String },
    /// Close the connection.
    Close,
}

/// Who waits for a response.
pub(crate) enum Waiter {
    /// A call, for its result.
    Call(oneshot::Sender<Result<Box<RawValue>, ClientError>>),
    /// A subscribe call, for the subscription's id and buffer.
    Subscribe {
        unsubscribe: String,
        resubscribe: Resubscribe,
        reply: oneshot::Sender<Result<Subscribed, ClientError>>,
    },
    /// The subscribe call re-issued for the subscription `key` on a new connection.
    Resubscribe { key: u64, unsubscribe: String },
    /// Nobody: an unsubscribe the client sent of its own accord.
    Discard,
}

/// A dropped subscription, to unsubscribe.
pub(crate) struct Dropped {
    key: u64,
}

/// How to subscribe again on a new connection: the subscribe call's method and params.
pub(crate) struct Resubscribe {
    method: String,
    params: Option<Box<RawValue>>,
}

/// A subscription the task has registered, for its caller.
pub(crate) struct Subscribed {
    id: Id,
    key: u64,
    items: mpsc::Receiver<Item>,
    server_id: Arc<Mutex<Id>>,
}

/// What a subscription's buffer holds.
pub(crate) enum Item {
    /// An item's raw JSON.
    Value(Box<RawValue>),
    /// The subscription was re-issued on a new connection; items may have been lost.
    Resumed,
    /// The error that ends the subscription.
    End(ClientError),
}

/// A socket the connection runs on: TCP, or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

impl WsClient {
    /// Connects to `url` (`ws://host:port/path`, or `wss://` with the `tls` feature) with the
    /// default settings.
    pub async fn connect(url: &str) -> Result<WsClient, ClientError> {
        WsClient::builder().connect(url).await
    }

    /// Starts configuring a client.
    pub fn builder() -> WsClientBuilder {
        WsClientBuilder {
            request_timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            subscription_buffer: DEFAULT_SUBSCRIPTION_BUFFER,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            ping_interval: Some(DEFAULT_PING_INTERVAL),
            headers: HeaderMap::new(),
            error: None,
            ids: None,
            reconnect: None,
            #[cfg(feature = "tls")]
            tls: TlsOptions::default(),
        }
    }

    /// Calls `method` with `params` and decodes its result as an `R`.
    ///
    /// The params are serialized at once; the returned future sends the request and waits for
    /// the response with its id, however many other calls are answered first. A response that
    /// is an error object is [`ClientError::Rpc`]; no response within the request timeout is
    /// [`ClientError::TimedOut`].
    pub fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send + '_ {
        let id = self.handle.ids.next_id();
        let frame = params
            .to_params()
            .map(|params| request_body(method, params.as_deref(), Some(&id)));
        async move {
            let result = self.handle.call(id, frame?, self.timeout).await?;
            serde_json::from_str(result.get()).map_err(ClientError::Decode)
        }
    }

    /// Sends `method` with `params` as a notification: the server runs it and answers nothing.
    ///
    /// Completes when the notification is queued on the connection (in order with the calls
    /// sent after it); fails if the connection is closed.
    pub fn notify(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + '_ {
        let frame = params
            .to_params()
            .map(|params| request_body(method, params.as_deref(), None));
        async move {
            let frame = into_text(frame?);
            self.handle
                .within(self.timeout, self.handle.send(Command::Notify { frame }))
                .await
        }
    }

    /// Starts a batch: calls and notifications sent together in one message; see [`Batch`].
    pub fn batch(&self) -> Batch {
        Batch::over_ws(self.clone())
    }

    /// Subscribes: calls `method` with `params`, whose result is the subscription's id, and
    /// returns the [`Subscription`], a stream of the items the server then sends for it, each
    /// decoded as a `T`. `unsubscribe` is the method that ends it, called with the id (e.g.
    /// `subscribe_ticks` and `unsubscribe_ticks`).
    ///
    /// An error answer to the subscribe call is [`ClientError::Rpc`] (a server that refuses
    /// the subscription, or has too many on this connection).
    ///
    /// With [`WsClientBuilder::reconnect`], the same call (`method` and `params`) is made
    /// again on each new connection, and the subscription goes on; see [`WsClient`].
    pub fn subscribe<T: DeserializeOwned>(
        &self,
        method: &str,
        params: impl ToParams,
        unsubscribe: &str,
    ) -> impl Future<Output = Result<Subscription<T>, ClientError>> + Send + '_ {
        let id = self.handle.ids.next_id();
        let params = params.to_params();
        let method = method.to_owned();
        let unsubscribe = unsubscribe.to_owned();
        async move {
            let params = params?;
            let frame = into_text(request_body(&method, params.as_deref(), Some(&id)));
            let (reply, answer) = oneshot::channel();
            let waiter = Waiter::Subscribe {
                unsubscribe: unsubscribe.clone(),
                resubscribe: Resubscribe { method, params },
                reply,
            };
            let command = Command::Call { id, frame, waiter };
            let subscribed = self
                .handle
                .within(self.timeout, async {
                    self.handle.send(command).await?;
                    answer.await.map_err(|_| self.handle.closed_error())?
                })
                .await?;
            Ok(Subscription::new(
                Arc::clone(&self.handle),
                subscribed,
                unsubscribe,
                self.timeout,
            ))
        }
    }

    /// Closes the connection (for every clone): a normal WebSocket close. Calls still waiting
    /// fail, subscriptions end with [`ClientError::ConnectionClosed`], and later calls fail
    /// the same way. Completes once the task has been told; closing a closed client does
    /// nothing.
    pub async fn close(&self) {
        let _ = self.handle.commands.send(Command::Close).await;
    }

    /// Whether the connection is still open, as far as the client knows: `false` once it
    /// has closed, and while the client reconnects.
    pub fn is_connected(&self) -> bool {
        !self.handle.commands.is_closed() && self.handle.online.load(Ordering::Relaxed)
    }

    /// This client with another request timeout, sharing its connection and ids.
    pub fn with_timeout(&self, timeout: Duration) -> WsClient {
        WsClient {
            handle: Arc::clone(&self.handle),
            timeout,
        }
    }

    /// The time a call may take before it fails with [`ClientError::TimedOut`].
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn next_id(&self) -> Id {
        self.handle.ids.next_id()
    }

    /// Sends a batch and returns the text of the array that answers it (empty for a batch of
    /// notifications only).
    pub(crate) async fn send_batch(
        &self,
        ids: Vec<Id>,
        frame: Vec<u8>,
    ) -> Result<String, ClientError> {
        let frame = into_text(frame);
        let (reply, answer) = oneshot::channel();
        self.handle
            .within(self.timeout, async {
                self.handle
                    .send(Command::Batch { ids, frame, reply })
                    .await?;
                answer.await.map_err(|_| self.handle.closed_error())?
            })
            .await
    }
}

impl fmt::Debug for WsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsClient")
            .field("timeout", &self.timeout)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

impl Handle {
    /// Hands a command to the task; fails when the connection is closed.
    async fn send(&self, command: Command) -> Result<(), ClientError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| self.closed_error())
    }

    /// Sends a request and waits for its result, within `timeout`.
    async fn call(
        &self,
        id: Id,
        frame: Vec<u8>,
        timeout: Duration,
    ) -> Result<Box<RawValue>, ClientError> {
        let frame = into_text(frame);
        let (reply, answer) = oneshot::channel();
        let command = Command::Call {
            id,
            frame,
            waiter: Waiter::Call(reply),
        };
        self.ask(command, answer, timeout).await
    }

    /// Hands `command` to the task and waits for `answer`, within `timeout`.
    async fn ask(
        &self,
        command: Command,
        answer: oneshot::Receiver<Result<Box<RawValue>, ClientError>>,
        timeout: Duration,
    ) -> Result<Box<RawValue>, ClientError> {
        self.within(timeout, async {
            self.send(command).await?;
            answer.await.map_err(|_| self.closed_error())?
        })
        .await
    }

    async fn within<T>(
        &self,
        timeout: Duration,
        call: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        match tokio::time::timeout(timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::TimedOut(timeout)),
        }
    }

    /// The error of a call on a closed connection, saying why it closed.
    fn closed_error(&self) -> ClientError {
        let reason = self
            .closed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        ClientError::ConnectionClosed(
            reason.unwrap_or_else(|| "the connection's task has ended".to_owned()),
        )
    }
}

impl WsClientBuilder {
    /// The time each call may take, from sending the request to reading its response.
    /// Default: [`DEFAULT_TIMEOUT`]. [`WsClient::with_timeout`] changes it for some calls.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The time opening the connection may take: TCP, TLS and the WebSocket handshake.
    /// Default: [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many items each [`Subscription`] buffers for a reader that has fallen behind;
    /// when they are not read in time, it ends with [`ClientError::Lagged`]. From 1 to
    /// 2<sup>20</sup>; the buffer grows as it fills, so a large one costs nothing until used.
    /// Default: [`DEFAULT_SUBSCRIPTION_BUFFER`].
    pub fn subscription_buffer(mut self, items: usize) -> Self {
        self.subscription_buffer = items.clamp(1, MAX_SUBSCRIPTION_BUFFER);
        self
    }

    /// The largest message (and frame) read, in bytes. A larger one closes the connection,
    /// which fails every call waiting on it. Default: [`DEFAULT_MAX_MESSAGE_SIZE`].
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Pings the server every `interval`; when nothing at all (no pong, no message) has come
    /// back by the next ping, the connection is taken for dead and closed. Default:
    /// [`DEFAULT_PING_INTERVAL`].
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = Some(interval).filter(|interval| !interval.is_zero());
        self
    }

    /// Sends no pings: the connection is only found dead when reading or writing fails.
    pub fn no_ping(mut self) -> Self {
        self.ping_interval = None;
        self
    }

    /// Sends this header with the WebSocket handshake (for authentication, say). A name or
    /// value that is not valid in HTTP makes [`connect`](Self::connect) fail.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        crate::client::add_header(&mut self.headers, &mut self.error, name, value);
        self
    }

    /// Sends `Authorization: Bearer {token}` with the WebSocket handshake.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.header(AUTHORIZATION.as_str(), &format!("Bearer {token}"))
    }

    /// Makes request ids with `ids` instead of counting up from 1 ([`NumericIds`]). The ids
    /// of the calls in flight at once must differ.
    pub fn id_generator(mut self, ids: impl IdGenerator) -> Self {
        self.ids = Some(Arc::new(ids));
        self
    }

    /// Reconnects when the connection drops, with `policy`'s backoff, re-issuing the live
    /// subscriptions; see [`WsClient`] for what happens to calls and subscriptions. Default:
    /// off (a dropped connection stays closed).
    pub fn reconnect(mut self, policy: Reconnect) -> Self {
        self.reconnect = Some(policy);
        self
    }

    /// Also trusts this root certificate for `wss://`: PEM (one or more `CERTIFICATE`
    /// blocks) or DER. For a private CA or a self-signed server. One that cannot be read
    /// makes [`connect`](Self::connect) fail.
    #[cfg(feature = "tls")]
    pub fn add_root_certificate(mut self, certificate: impl AsRef<[u8]>) -> Self {
        self.tls.add_root(certificate.as_ref());
        self
    }

    /// Whether Mozilla's root certificates (webpki-roots) are trusted for `wss://`. Default:
    /// `true`; with `false`, only the added roots are.
    #[cfg(feature = "tls")]
    pub fn built_in_roots(mut self, enabled: bool) -> Self {
        self.tls.built_in_roots(enabled);
        self
    }

    /// Opens the connection to `url` (`ws://host:port/path`, or `wss://` with the `tls`
    /// feature) and starts the task that runs it. Needs a tokio runtime. Credentials in the
    /// URL (`ws://user:password@host/`) are sent as Basic authorization with the handshake.
    ///
    /// A server that refuses the handshake with an HTTP status (401, 404, ...) is
    /// [`ClientError::HttpStatus`]; an unreachable server, a failed TLS handshake and the like
    /// are [`ClientError::Transport`]; no connection within the connect timeout is
    /// [`ClientError::TimedOut`].
    pub async fn connect(self, url: &str) -> Result<WsClient, ClientError> {
        if let Some(error) = self.error {
            return Err(ClientError::InvalidConfig(error));
        }
        let invalid = |error: &dyn fmt::Display| {
            ClientError::InvalidConfig(format!("invalid WebSocket URL {url:?}: {error}"))
        };
        let uri: hyper::Uri = url.parse().map_err(|error| invalid(&error))?;
        // `user:password@` is sent as Basic authorization, and kept out of the request's URI,
        // the `Host` header and every message that names the server.
        let (uri, basic) = credentials::take(uri)?;
        let url = uri.to_string();
        // Checked once here; each handshake builds its request (and its key) afresh.
        uri.clone()
            .into_client_request()
            .map_err(|error| invalid(&error))?;
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => {
                return Err(ClientError::InvalidConfig(format!(
                    "{url}: a WebSocket URL must start with ws:// or wss://"
                )))
            }
        };
        #[cfg(not(feature = "tls"))]
        if secure {
            return Err(ClientError::InvalidConfig(format!(
                "{url}: wss needs the `tls` feature of jsonrpc-runtime; use a ws:// URL or \
                 enable it"
            )));
        }
        let host = uri
            .host()
            .map(|host| host.trim_start_matches('[').trim_end_matches(']'))
            .filter(|host| !host.is_empty())
            .ok_or_else(|| ClientError::InvalidConfig(format!("{url}: the URL has no host")))?
            .to_owned();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        #[cfg(feature = "tls")]
        let tls = if secure {
            Some((
                tokio_rustls::TlsConnector::from(Arc::new(self.tls.config()?)),
                tls::server_name(&host)?,
            ))
        } else {
            None
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_message_size));
        let connector = Connector {
            uri,
            url,
            basic,
            headers: self.headers,
            host,
            port,
            #[cfg(feature = "tls")]
            tls,
            config,
            timeout: self.connect_timeout,
        };
        let socket = connector.open().await?;
        tracing::debug!("connected to {}", connector.url);

        let ids = self.ids.unwrap_or_else(|| Arc::new(NumericIds::new()));
        let (commands, command_queue) = mpsc::channel(COMMAND_QUEUE);
        let (drops, drop_queue) = mpsc::unbounded_channel();
        let closed = Arc::new(Mutex::new(None));
        let online = Arc::new(AtomicBool::new(true));
        let task = task::Task::new(
            command_queue,
            drop_queue,
            Arc::clone(&ids),
            Arc::clone(&closed),
            Arc::clone(&online),
            self.subscription_buffer,
        );
        let reconnect = self.reconnect.map(|policy| (policy, connector));
        tokio::spawn(task.run(socket, self.ping_interval, reconnect));
        Ok(WsClient {
            handle: Arc::new(Handle {
                commands,
                drops,
                ids,
                closed,
                online,
            }),
            timeout: self.request_timeout,
        })
    }
}

/// Opens connections to one URL: the first, and each new one when reconnecting.
pub(crate) struct Connector {
    /// Without credentials.
    uri: hyper::Uri,
    url: String,
    /// `Authorization: Basic` from the URL's credentials.
    basic: Option<HeaderValue>,
    /// The builder's headers.
    headers: HeaderMap,
    host: String,
    port: u16,
    #[cfg(feature = "tls")]
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
    config: WebSocketConfig,
    timeout: Duration,
}

impl Connector {
    /// Opens a connection: TCP, TLS and the WebSocket handshake, within the connect timeout.
    async fn open(&self) -> Result<task::Socket, ClientError> {
        let (host, port, url) = (&self.host, self.port, self.url.as_str());
        let mut request = self.uri.clone().into_client_request().map_err(|error| {
            ClientError::InvalidConfig(format!("invalid WebSocket URL {url:?}: {error}"))
        })?;
        if let Some(basic) = &self.basic {
            request.headers_mut().insert(AUTHORIZATION, basic.clone());
        }
        // Headers the builder was given come last: an explicit `Authorization` wins.
        for (name, value) in &self.headers {
            request.headers_mut().insert(name, value.clone());
        }
        let open = async {
            let tcp = TcpStream::connect((host.as_str(), port))
                .await
                .map_err(|error| {
                    ClientError::transport_while(
                        &format!("could not connect to {host}:{port}"),
                        error,
                    )
                })?;
            let _ = tcp.set_nodelay(true);
            #[cfg(feature = "tls")]
            let io: Box<dyn Io> = match &self.tls {
                Some((connector, name)) => Box::new(
                    connector
                        .connect(name.clone(), tcp)
                        .await
                        .map_err(|error| {
                            ClientError::transport_while(
                                &format!("the TLS handshake with {host}:{port} failed"),
                                error,
                            )
                        })?,
                ),
                None => Box::new(tcp),
            };
            #[cfg(not(feature = "tls"))]
            let io: Box<dyn Io> = Box::new(tcp);
            let (socket, _) =
                tokio_tungstenite::client_async_with_config(request, io, Some(self.config))
                    .await
                    .map_err(|error| handshake_error(url, error))?;
            Ok::<_, ClientError>(socket)
        };
        match tokio::time::timeout(self.timeout, open).await {
            Ok(socket) => socket,
            Err(_) => Err(ClientError::TimedOut(self.timeout)),
        }
    }
}

impl fmt::Debug for WsClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsClientBuilder")
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("subscription_buffer", &self.subscription_buffer)
            .field("max_message_size", &self.max_message_size)
            .field("ping_interval", &self.ping_interval)
            .finish_non_exhaustive()
    }
}

/// The error of a failed WebSocket handshake: the server's HTTP status when it answered with
/// one, a transport error otherwise.
fn handshake_error(url: &str, error: WsError) -> ClientError {
    match error {
        WsError::Http(response) => ClientError::HttpStatus {
            status: response.status().as_u16(),
            body: response
                .body()
                .as_deref()
                .map(|body| String::from_utf8_lossy(body).into_owned())
                .unwrap_or_default(),
        },
        error => ClientError::transport_while(
            &format!("the WebSocket handshake with {url} failed"),
            error,
        ),
    }
}

/// A request body as the text of a frame (always UTF-8: it is written from JSON text).
fn into_text(frame: Vec<u8>) -> String {
    String::from_utf8(frame)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}
