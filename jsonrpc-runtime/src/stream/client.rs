//! The client side of a stream connection: over any `AsyncRead + AsyncWrite`, a TCP or Unix
//! socket, or a child process's stdin and stdout. It is a peer like the server: it sends
//! requests and notifications, and answers the server's requests with methods of its own.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::ToSocketAddrs;
use tokio_util::sync::CancellationToken;

use super::{connection, Framing, StreamConfig};
use crate::method::context::RequestParts;
use crate::session::Session;
use crate::{Dispatcher, Methods, Peer, PeerError};

/// A JSON-RPC connection over a byte stream, from the client's side.
///
/// ```no_run
/// use jsonrpc_runtime::stream::{Framing, StreamClient};
/// use jsonrpc_runtime::PeerError;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // A server run as a child process, spoken to over its stdin and stdout.
/// let mut command = tokio::process::Command::new("my-language-server");
/// let client = StreamClient::spawn(&mut command, Framing::ContentLength)?;
/// let pong: String = client.request("ping", ()).await?;
/// client.notify("exit", ()).await?;
/// client.close().await;
/// # Ok(())
/// # }
/// ```
///
/// Requests the server sends are answered by the methods given to
/// [`StreamClientBuilder::methods`] (none by default: they get -32601), and those methods may
/// take a [`Peer`] to call the server in turn. Cloning gives another handle on the same
/// connection; it closes when the last handle is dropped or [`close`](Self::close)d.
#[derive(Clone)]
pub struct StreamClient {
    inner: Arc<Inner>,
}

struct Inner {
    peer: Peer,
    // Held so that the connection's session lives as long as a handle does.
    _session: Arc<Session>,
    shutdown: CancellationToken,
    done: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    child: tokio::sync::Mutex<Option<tokio::process::Child>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Configures a [`StreamClient`].
#[derive(Default)]
pub struct StreamClientBuilder {
    dispatcher: Option<Dispatcher>,
    methods: Option<Methods>,
    config: StreamConfig,
    timeout: Option<Duration>,
}

impl StreamClient {
    /// A client over `io`, which answers no requests of the server's.
    pub fn new<S>(io: S, framing: Framing) -> io::Result<StreamClient>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        StreamClient::builder().build(io, framing)
    }

    /// Starts configuring a client.
    pub fn builder() -> StreamClientBuilder {
        StreamClientBuilder::default()
    }

    /// Connects to a server listening on a TCP address.
    pub async fn connect_tcp(addr: impl ToSocketAddrs, framing: Framing) -> io::Result<Self> {
        StreamClient::builder().connect_tcp(addr, framing).await
    }

    /// Connects to a server listening on a Unix-domain socket.
    #[cfg(unix)]
    pub async fn connect_unix(path: impl AsRef<Path>, framing: Framing) -> io::Result<Self> {
        StreamClient::builder().connect_unix(path, framing).await
    }

    /// Starts `command` as a child process and talks to it over its stdin and stdout (its
    /// stderr is left as configured, inherited by default). The child is killed if it is still
    /// running when the last handle is dropped; [`close`](Self::close) lets it exit first.
    pub fn spawn(command: &mut tokio::process::Command, framing: Framing) -> io::Result<Self> {
        StreamClient::builder().spawn(command, framing)
    }

    /// Sends a request and waits for its answer, decoded as `R`. `params` must serialize to
    /// an array or an object (`()` sends none).
    pub async fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl Serialize,
    ) -> Result<R, PeerError> {
        self.inner.peer.request(method, params).await
    }

    /// Sends a notification.
    pub async fn notify(&self, method: &str, params: impl Serialize) -> Result<(), PeerError> {
        self.inner.peer.notify(method, params).await
    }

    /// The connection's other side, as methods see it (for a task that calls the server).
    pub fn peer(&self) -> &Peer {
        &self.inner.peer
    }

    /// Whether the connection is open.
    pub fn is_connected(&self) -> bool {
        self.inner.peer.is_connected()
    }

    /// Closes the connection: the calls the server made are answered, the writing side is
    /// closed (a child process sees the end of its stdin), and, for a child, its exit is
    /// awaited (at most five seconds, then it is killed).
    pub async fn close(&self) {
        self.inner.shutdown.cancel();
        if let Some(done) = self.inner.done.lock().await.take() {
            let _ = done.await;
        }
        if let Some(mut child) = self.inner.child.lock().await.take() {
            if tokio::time::timeout(Duration::from_secs(5), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }
}

impl std::fmt::Debug for StreamClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamClient")
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl StreamClientBuilder {
    /// Answers the server's requests with these methods.
    pub fn methods(mut self, methods: Methods) -> Self {
        self.methods = Some(methods);
        self
    }

    /// Answers the server's requests with this dispatcher (methods, state and middleware).
    pub fn dispatcher(mut self, dispatcher: Dispatcher) -> Self {
        self.dispatcher = Some(dispatcher);
        self
    }

    /// Limits and queues of the connection (see [`StreamConfig`]).
    pub fn config(mut self, config: StreamConfig) -> Self {
        self.config = config;
        self
    }

    /// How long a request waits for its answer (default:
    /// [`DEFAULT_PEER_TIMEOUT`](crate::DEFAULT_PEER_TIMEOUT)).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A client over `io`.
    pub fn build<S>(self, io: S, framing: Framing) -> io::Result<StreamClient>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (reader, writer) = tokio::io::split(io);
        self.start(reader, writer, framing, None)
    }

    /// Connects to a server listening on a TCP address.
    pub async fn connect_tcp(
        self,
        addr: impl ToSocketAddrs,
        framing: Framing,
    ) -> io::Result<StreamClient> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        let (reader, writer) = stream.into_split();
        self.start(reader, writer, framing, None)
    }

    /// Connects to a server listening on a Unix-domain socket.
    #[cfg(unix)]
    pub async fn connect_unix(
        self,
        path: impl AsRef<Path>,
        framing: Framing,
    ) -> io::Result<StreamClient> {
        let path = path.as_ref();
        let stream = tokio::net::UnixStream::connect(path)
            .await
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("connecting to {}: {error}", path.display()),
                )
            })?;
        let (reader, writer) = stream.into_split();
        self.start(reader, writer, framing, None)
    }

    /// Starts `command` and talks to it over its stdin and stdout.
    pub fn spawn(
        self,
        command: &mut tokio::process::Command,
        framing: Framing,
    ) -> io::Result<StreamClient> {
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let (Some(writer), Some(reader)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other(
                "the child's stdin and stdout are not piped",
            ));
        };
        self.start(reader, writer, framing, Some(child))
    }

    fn start<R, W>(
        self,
        reader: R,
        writer: W,
        framing: Framing,
        child: Option<tokio::process::Child>,
    ) -> io::Result<StreamClient>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let dispatcher = match (self.dispatcher, self.methods) {
            (Some(dispatcher), _) => dispatcher,
            (None, methods) => Dispatcher::builder()
                .methods(methods.unwrap_or_default())
                .build()
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?,
        };
        let shutdown = CancellationToken::new();
        let (session, run) = connection::start(
            reader,
            writer,
            dispatcher,
            RequestParts::default(),
            &self.config,
            framing,
            connection::InputEnd::DropCalls,
            shutdown.clone(),
        );
        let mut peer = Peer::new(Some(&session));
        if let Some(timeout) = self.timeout {
            peer = peer.with_timeout(timeout);
        }
        let done = tokio::spawn(run);
        Ok(StreamClient {
            inner: Arc::new(Inner {
                peer,
                _session: session,
                shutdown,
                done: tokio::sync::Mutex::new(Some(done)),
                child: tokio::sync::Mutex::new(child),
            }),
        })
    }
}
