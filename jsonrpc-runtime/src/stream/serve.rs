//! Serving stream connections: stdin/stdout, and TCP or Unix-domain listeners.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{connection, Framing, StreamConfig};
use crate::method::context::RequestParts;
use crate::shutdown::DrainConfig;
use crate::{Dispatcher, Server, ServerBuilder};

/// Serves every registered method on stdin and stdout until stdin ends (or SIGINT or SIGTERM):
/// the one line for a language server or an MCP server.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// jsonrpc_runtime::serve_stdio(jsonrpc_runtime::stream::Framing::ContentLength).await
/// # }
/// ```
///
/// The calls in flight when stdin ends are answered before it returns. Use
/// [`ServerBuilder::serve_stdio`] for state, limits or another method set.
pub async fn serve_stdio(framing: Framing) -> io::Result<()> {
    Server::builder().serve_stdio(framing).await
}

impl ServerBuilder {
    /// How stream connections (stdio, TCP, Unix sockets) are run. See [`StreamConfig`].
    pub fn stream(mut self, config: StreamConfig) -> Self {
        self.stream = config;
        self
    }

    /// Checks the methods and state, then serves them on stdin and stdout until stdin ends or
    /// one of the [shutdown signals](ServerBuilder::shutdown_signals) comes (the calls in
    /// flight are answered first; a second signal returns at once).
    pub async fn serve_stdio(self, framing: Framing) -> io::Result<()> {
        let (dispatcher, config, drain) = self.build_stream()?;
        let shutdown = CancellationToken::new();
        let (_session, run) = connection::start(
            tokio::io::stdin(),
            tokio::io::stdout(),
            dispatcher,
            RequestParts::default(),
            &config,
            framing,
            connection::InputEnd::FinishCalls,
            shutdown.clone(),
        );
        let (first, second, _listening) = drain.signals.listen().split();
        tokio::pin!(run, second);
        tokio::select! {
            () = &mut run => return Ok(()),
            () = first => shutdown.cancel(),
        }
        tokio::select! {
            () = run => {}
            () = second => tracing::warn!("a second signal came: shutting down at once"),
        }
        Ok(())
    }

    /// Checks the methods and state and listens for stream connections on a TCP address.
    pub async fn bind_tcp(
        self,
        addr: impl ToSocketAddrs,
        framing: Framing,
    ) -> io::Result<StreamServer> {
        let (dispatcher, config, drain) = self.build_stream()?;
        let listener = TcpListener::bind(addr).await?;
        let local = ListenAddr::Tcp(listener.local_addr()?);
        Ok(StreamServer {
            listener: Listener::Tcp(listener),
            local,
            dispatcher,
            config,
            framing,
            drain,
        })
    }

    /// Checks the methods and state and listens for stream connections on a Unix-domain
    /// socket at `path`. A socket file left there by a server that is gone is replaced; the
    /// file is removed when the server stops.
    #[cfg(unix)]
    pub async fn bind_unix(
        self,
        path: impl Into<PathBuf>,
        framing: Framing,
    ) -> io::Result<StreamServer> {
        let (dispatcher, config, drain) = self.build_stream()?;
        let path = path.into();
        let listener = match tokio::net::UnixListener::bind(&path) {
            Err(error) if error.kind() == io::ErrorKind::AddrInUse => {
                // Still in use if something answers there; otherwise a stale file.
                if tokio::net::UnixStream::connect(&path).await.is_ok() {
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!("{} is in use by another server", path.display()),
                    ));
                }
                std::fs::remove_file(&path)?;
                tokio::net::UnixListener::bind(&path)?
            }
            other => other?,
        };
        Ok(StreamServer {
            listener: Listener::Unix(listener),
            local: ListenAddr::Unix(path),
            dispatcher,
            config,
            framing,
            drain,
        })
    }

    fn build_stream(self) -> io::Result<(Dispatcher, StreamConfig, DrainConfig)> {
        let stream = self.stream.clone();
        let drain = self.drain.clone();
        let dispatcher = self
            .dispatcher
            .build()
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        Ok((dispatcher, stream, drain))
    }
}

/// Where a [`StreamServer`] listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix-domain socket's path.
    Unix(PathBuf),
}

impl std::fmt::Display for ListenAddr {
    /// `tcp://127.0.0.1:5001` or `unix:/path/to/socket`, as the spec server takes them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenAddr::Tcp(addr) => write!(f, "tcp://{addr}"),
            ListenAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
}

/// A server of stream connections on a TCP or Unix-domain listener, ready to run: each
/// accepted connection is served with the framing it was bound with.
pub struct StreamServer {
    listener: Listener,
    local: ListenAddr,
    dispatcher: Dispatcher,
    config: StreamConfig,
    framing: Framing,
    drain: DrainConfig,
}

impl StreamServer {
    /// Where the server listens (the port, after binding port 0).
    pub fn local_addr(&self) -> &ListenAddr {
        &self.local
    }

    /// Serves until SIGINT (Ctrl-C) or SIGTERM (or the
    /// [signals chosen](ServerBuilder::shutdown_signals)), then stops accepting, lets every
    /// connection answer its calls in flight within the
    /// [drain timeout](ServerBuilder::drain_timeout), and returns `Ok(())`. A second signal
    /// returns at once. See [`crate::shutdown`].
    pub async fn run(self) -> io::Result<()> {
        let (first, second, _listening) = self.drain.signals.listen().split();
        self.run_with(first, second).await
    }

    /// Serves until `shutdown` completes, then stops accepting, lets every connection answer
    /// its calls in flight within the [drain timeout](ServerBuilder::drain_timeout), and
    /// returns. It listens for no signal.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        self.run_with(shutdown, std::future::pending()).await
    }

    async fn run_with(
        self,
        shutdown: impl Future<Output = ()>,
        force: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let stop = CancellationToken::new();
        let tracker = TaskTracker::new();
        let slots = Arc::new(Semaphore::new(self.config.max_connections));
        tokio::pin!(shutdown);
        loop {
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
                () = &mut shutdown => break,
            };
            let accepted = tokio::select! {
                accepted = self.accept() => accepted,
                () = &mut shutdown => break,
            };
            let (reader, writer, parts) = match accepted {
                Ok(connection) => connection,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let (_session, run) = connection::start(
                reader,
                writer,
                self.dispatcher.clone(),
                parts,
                &self.config,
                self.framing,
                connection::InputEnd::DropCalls,
                stop.clone(),
            );
            tracker.spawn(async move {
                run.await;
                drop(slot);
            });
        }
        stop.cancel();
        tracker.close();
        tokio::select! {
            () = tracker.wait() => {}
            () = tokio::time::sleep(self.drain.timeout) => tracing::warn!(
                connections = tracker.len(),
                "the drain timeout passed: returning with calls still in flight"
            ),
            () = force => tracing::warn!(
                connections = tracker.len(),
                "a second signal came: returning with calls still in flight"
            ),
        }
        #[cfg(unix)]
        if let ListenAddr::Unix(path) = &self.local {
            let _ = std::fs::remove_file(path);
        }
        Ok(())
    }

    async fn accept(&self) -> io::Result<(BoxRead, BoxWrite, RequestParts)> {
        match &self.listener {
            Listener::Tcp(listener) => {
                let (stream, peer) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                let (reader, writer) = stream.into_split();
                let parts = RequestParts {
                    peer: Some(peer),
                    ..RequestParts::default()
                };
                Ok((Box::new(reader), Box::new(writer), parts))
            }
            #[cfg(unix)]
            Listener::Unix(listener) => {
                let (stream, _) = listener.accept().await?;
                let (reader, writer) = stream.into_split();
                Ok((Box::new(reader), Box::new(writer), RequestParts::default()))
            }
        }
    }
}

type BoxRead = Box<dyn tokio::io::AsyncRead + Unpin + Send>;
type BoxWrite = Box<dyn tokio::io::AsyncWrite + Unpin + Send>;
