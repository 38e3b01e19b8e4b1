//! The signals that shut a server down: the first starts the drain, the second ends it at once.

use std::future::Future;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The signals [`Server::run`](crate::Server::run) and
/// [`StreamServer::run`](crate::stream::StreamServer::run) shut down on. The first one starts
/// the drain; a second one cuts it short (see [`crate::shutdown`]).
///
/// ```no_run
/// use jsonrpc_runtime::shutdown::{SignalKind, Signals};
/// use jsonrpc_runtime::Server;
///
/// # async fn run() -> std::io::Result<()> {
/// Server::builder()
///     // SIGTERM and SIGHUP; Ctrl-C (SIGINT) then kills the process as it would by default.
///     .shutdown_signals(Signals::unix([SignalKind::terminate(), SignalKind::hangup()]))
///     .bind("127.0.0.1:5000")
///     .await?
///     .run()
///     .await
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Signals {
    kinds: Kinds,
}

#[derive(Clone, Debug)]
enum Kinds {
    CtrlC,
    #[cfg(unix)]
    Unix(Vec<tokio::signal::unix::SignalKind>),
}

impl Default for Signals {
    /// SIGINT (Ctrl-C) and SIGTERM (what containers, systemd and `kill` send) on Unix; Ctrl-C
    /// elsewhere.
    fn default() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::SignalKind;
            Signals::unix([SignalKind::interrupt(), SignalKind::terminate()])
        }
        #[cfg(not(unix))]
        {
            Signals::ctrl_c()
        }
    }
}

impl Signals {
    /// Ctrl-C only (SIGINT on Unix): what servers of this crate listened for before SIGTERM was
    /// added.
    pub fn ctrl_c() -> Self {
        Signals {
            kinds: Kinds::CtrlC,
        }
    }

    /// These Unix signals. With none, the server serves until it is killed.
    #[cfg(unix)]
    pub fn unix(kinds: impl IntoIterator<Item = tokio::signal::unix::SignalKind>) -> Self {
        Signals {
            kinds: Kinds::Unix(kinds.into_iter().collect()),
        }
    }

    /// Installs the handlers now (so that a signal that comes once the server has started is
    /// never missed) and listens in a task of its own.
    pub(crate) fn listen(&self) -> Triggers {
        let (first_tx, first) = oneshot::channel();
        let (second_tx, second) = oneshot::channel();
        let listener = match &self.kinds {
            Kinds::CtrlC => tokio::spawn(async move {
                for tx in [first_tx, second_tx] {
                    if let Err(error) = tokio::signal::ctrl_c().await {
                        tracing::warn!(%error, "cannot listen for Ctrl-C; serving until killed");
                        return;
                    }
                    let _ = tx.send(());
                }
            }),
            #[cfg(unix)]
            Kinds::Unix(kinds) => {
                let mut streams = Vec::new();
                for kind in kinds {
                    match tokio::signal::unix::signal(*kind) {
                        Ok(stream) => streams.push(stream),
                        Err(error) => {
                            tracing::warn!(%error, signal = ?kind, "cannot listen for a signal")
                        }
                    }
                }
                tokio::spawn(async move {
                    if streams.is_empty() {
                        return;
                    }
                    for tx in [first_tx, second_tx] {
                        let any = streams.iter_mut().map(|stream| Box::pin(stream.recv()));
                        futures_util::future::select_all(any).await;
                        let _ = tx.send(());
                    }
                })
            }
        };
        Triggers {
            first,
            second,
            listener,
        }
    }
}

/// The first and the second signal, as futures; a signal that cannot come (no handler could be
/// installed) is a future that never completes.
pub(crate) struct Triggers {
    first: oneshot::Receiver<()>,
    second: oneshot::Receiver<()>,
    listener: JoinHandle<()>,
}

impl Triggers {
    /// `(first, second, listener)`: abort the listener when the server is done.
    pub(crate) fn split(
        self,
    ) -> (
        impl Future<Output = ()>,
        impl Future<Output = ()>,
        StopListening,
    ) {
        (
            or_never(self.first),
            or_never(self.second),
            StopListening(self.listener),
        )
    }
}

async fn or_never(signal: oneshot::Receiver<()>) {
    if signal.await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Ends the listening task when dropped. (The handlers stay installed, as tokio's always do: a
/// later signal is ignored rather than killing the process.)
pub(crate) struct StopListening(JoinHandle<()>);

impl Drop for StopListening {
    fn drop(&mut self) {
        self.0.abort();
    }
}
