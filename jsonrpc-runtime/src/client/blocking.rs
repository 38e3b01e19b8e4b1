//! The blocking client: the async client driven by a runtime of its own, for code that is not
//! async.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::runtime::{Handle, Runtime};

use crate::client::{
    Batch, BatchCall, BatchResponse, Client, ClientBuilder, ClientError, ToParams,
};

/// A JSON-RPC client whose calls block until they are answered: for scripts, tests and
/// command-line tools. It has the same calls as [`Client`], and the same settings
/// ([`Client::builder`]`(url).build_blocking()`).
///
/// ```no_run
/// use jsonrpc_runtime::client::BlockingClient;
///
/// fn main() -> Result<(), jsonrpc_runtime::client::ClientError> {
///     let client = BlockingClient::new("http://127.0.0.1:5000/")?;
///     let pong: String = client.request("ping", ())?;
///     let difference: i64 = client.request("subtract", (42, 23))?;
///     client.notify("update", [1, 2, 3])?;
///     Ok(())
/// }
/// ```
///
/// It owns a single-threaded tokio runtime that runs only while a call blocks. **It must not
/// be used inside an async runtime** (in an `async fn`, or in `spawn_blocking`): blocking there
/// would stall the runtime, so every call fails with [`ClientError::InsideAsyncRuntime`]
/// instead. Use [`Client`] there. Cloning is cheap: clones share the connections and the
/// runtime.
#[derive(Clone, Debug)]
pub struct BlockingClient {
    client: Client,
    runtime: Arc<OwnedRuntime>,
}

/// Calls and notifications to send together, made by [`BlockingClient::batch`]; see [`Batch`].
#[derive(Debug)]
pub struct BlockingBatch<'a> {
    batch: Batch,
    client: &'a BlockingClient,
}

impl BlockingClient {
    /// A blocking client for `url` (`http://host:port/path`) with the default settings.
    pub fn new(url: &str) -> Result<BlockingClient, ClientError> {
        Client::builder(url).build_blocking()
    }

    /// Starts configuring a client for `url`; finish with
    /// [`build_blocking`](ClientBuilder::build_blocking).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        Client::builder(url)
    }

    pub(crate) fn from_client(client: Client) -> Result<BlockingClient, ClientError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| {
                ClientError::InvalidConfig(format!("the client's runtime could not start: {error}"))
            })?;
        Ok(BlockingClient {
            client,
            runtime: Arc::new(OwnedRuntime(Some(runtime))),
        })
    }

    /// Calls `method` with `params` and decodes its result as an `R`; see [`Client::request`].
    pub fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl ToParams,
    ) -> Result<R, ClientError> {
        self.block_on(self.client.request(method, params))
    }

    /// Sends a notification; see [`Client::notify`].
    pub fn notify(&self, method: &str, params: impl ToParams) -> Result<(), ClientError> {
        self.block_on(self.client.notify(method, params))
    }

    /// Starts a batch; see [`Batch`].
    pub fn batch(&self) -> BlockingBatch<'_> {
        BlockingBatch {
            batch: self.client.batch(),
            client: self,
        }
    }

    /// This client with another timeout for each call, sharing its connections, ids and
    /// runtime.
    pub fn with_timeout(&self, timeout: Duration) -> BlockingClient {
        BlockingClient {
            client: self.client.with_timeout(timeout),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// The time a call may take before it fails with [`ClientError::TimedOut`].
    pub fn timeout(&self) -> Duration {
        self.client.timeout()
    }

    fn block_on<T>(
        &self,
        call: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        if Handle::try_current().is_ok() {
            return Err(ClientError::InsideAsyncRuntime);
        }
        let runtime = self.runtime.0.as_ref().expect("taken only on drop");
        runtime.block_on(call)
    }
}

impl BlockingBatch<'_> {
    /// Adds a call; see [`Batch::request`].
    pub fn request<R: DeserializeOwned>(
        &mut self,
        method: &str,
        params: impl ToParams,
    ) -> BatchCall<R> {
        self.batch.request(method, params)
    }

    /// Adds a notification; see [`Batch::notify`].
    pub fn notify(&mut self, method: &str, params: impl ToParams) {
        self.batch.notify(method, params);
    }

    /// How many calls and notifications the batch holds.
    pub fn len(&self) -> usize {
        self.batch.len()
    }

    /// Whether the batch holds nothing yet.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Sends the batch and reads the answers; see [`Batch::send`].
    pub fn send(self) -> Result<BatchResponse, ClientError> {
        self.client.block_on(self.batch.send())
    }
}

/// The client's runtime. A runtime cannot be dropped inside another one (tokio panics), which
/// can happen when the last clone of a client is dropped in async code: it is then shut down
/// in the background instead.
#[derive(Debug)]
struct OwnedRuntime(Option<Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            if Handle::try_current().is_ok() {
                runtime.shutdown_background();
            }
        }
    }
}
