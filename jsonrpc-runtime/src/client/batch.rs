//! Batches: several calls and notifications in one request, each answer matched to its call
//! by id.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::client::response::{self, Reply};
use crate::client::{request_body, Client, ClientError, Id, InvalidResponse, ToParams, WsClient};

/// Calls and notifications to send together, made by [`Client::batch`] (one HTTP request) or
/// [`WsClient::batch`] (one WebSocket message).
///
/// Each [`request`](Batch::request) gives a [`BatchCall`] handle; after
/// [`send`](Batch::send), the handle picks its result out of the [`BatchResponse`], whatever
/// order the server answered in.
///
/// ```no_run
/// # async fn run(client: jsonrpc_runtime::client::Client) -> Result<(), jsonrpc_runtime::client::ClientError> {
/// let mut batch = client.batch();
/// let first = batch.request::<i64>("subtract", (42, 23));
/// let second = batch.request::<i64>("subtract", (23, 42));
/// batch.notify("update", [1, 2, 3]);
/// let answers = batch.send().await?;
/// assert_eq!(answers.get(&first)?, 19);
/// assert_eq!(answers.get(&second)?, -19);
/// # Ok(())
/// # }
/// ```
pub struct Batch {
    client: Target,
    /// The request objects, each serialized when it was added.
    requests: Vec<Vec<u8>>,
    /// The ids of the calls (not the notifications), in order.
    ids: Vec<Id>,
    /// The first params that could not be serialized: the batch fails with it when sent.
    error: Option<ClientError>,
}

/// What a batch is sent through.
enum Target {
    Http(Client),
    Ws(WsClient),
}

/// The handle of one call in a [`Batch`]: reads its result, an `R`, from the
/// [`BatchResponse`].
pub struct BatchCall<R> {
    id: Id,
    result: PhantomData<fn() -> R>,
}

/// The answers to a batch's calls, by id. Read each with its [`BatchCall`].
#[derive(Debug, Default)]
pub struct BatchResponse {
    answers: HashMap<Id, Reply>,
}

impl Batch {
    pub(crate) fn new(client: Client) -> Batch {
        Batch::with(Target::Http(client))
    }

    pub(crate) fn over_ws(client: WsClient) -> Batch {
        Batch::with(Target::Ws(client))
    }

    fn with(client: Target) -> Batch {
        Batch {
            client,
            requests: Vec::new(),
            ids: Vec::new(),
            error: None,
        }
    }

    /// Adds a call of `method` with `params`, whose result is an `R`.
    ///
    /// Params that cannot be serialized make [`send`](Batch::send) fail.
    pub fn request<R: DeserializeOwned>(
        &mut self,
        method: &str,
        params: impl ToParams,
    ) -> BatchCall<R> {
        let id = match &self.client {
            Target::Http(client) => client.next_id(),
            Target::Ws(client) => client.next_id(),
        };
        self.push(method, params, Some(&id));
        self.ids.push(id.clone());
        BatchCall {
            id,
            result: PhantomData,
        }
    }

    /// Adds a notification of `method` with `params`: run by the server, never answered.
    pub fn notify(&mut self, method: &str, params: impl ToParams) {
        self.push(method, params, None);
    }

    /// How many calls and notifications the batch holds.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether the batch holds nothing yet.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Sends the batch and reads the answers.
    ///
    /// `Err` concerns the whole batch (the transport, the HTTP status, a response that is not a
    /// batch response, an error object the server answered the whole batch with); each call's
    /// own result or error is read from the [`BatchResponse`]. An empty batch sends nothing.
    ///
    /// Over a WebSocket, the answer is the array that answers one of the batch's ids (a batch
    /// of notifications only completes once it is queued on the connection).
    pub async fn send(self) -> Result<BatchResponse, ClientError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.requests.is_empty() {
            return Ok(BatchResponse::default());
        }
        let mut seen = HashSet::with_capacity(self.ids.len());
        if let Some(repeated) = self.ids.iter().find(|id| !seen.insert(*id)) {
            return Err(ClientError::InvalidConfig(format!(
                "the id generator gave the id {repeated} twice in one batch"
            )));
        }
        let mut body =
            Vec::with_capacity(self.requests.iter().map(|r| r.len() + 1).sum::<usize>() + 1);
        for request in &self.requests {
            body.push(if body.is_empty() { b'[' } else { b',' });
            body.extend_from_slice(request);
        }
        body.push(b']');
        let response = match &self.client {
            Target::Http(client) => client.exchange(body).await?,
            Target::Ws(client) => client.send_batch(self.ids.clone(), body).await?.into(),
        };
        if self.ids.is_empty() {
            // Only notifications: nothing to read.
            return Ok(BatchResponse::default());
        }
        if response.is_empty() {
            return Err(InvalidResponse::EmptyBody.into());
        }
        Ok(BatchResponse {
            answers: response::batch(&response)?,
        })
    }

    fn push(&mut self, method: &str, params: impl ToParams, id: Option<&Id>) {
        match params.to_params() {
            Ok(params) => self
                .requests
                .push(request_body(method, params.as_deref(), id)),
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
    }
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("len", &self.requests.len())
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

impl<R> BatchCall<R> {
    /// The id this call is sent with.
    pub fn id(&self) -> &Id {
        &self.id
    }
}

impl<R> Clone for BatchCall<R> {
    fn clone(&self) -> Self {
        BatchCall {
            id: self.id.clone(),
            result: PhantomData,
        }
    }
}

impl<R> fmt::Debug for BatchCall<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchCall")
            .field("id", &self.id)
            .field("result", &std::any::type_name::<R>())
            .finish()
    }
}

impl BatchResponse {
    /// The result of `call`, decoded: the error object if the server answered it with one,
    /// [`InvalidResponse::MissingAnswer`] if it did not answer it.
    pub fn get<R: DeserializeOwned>(&self, call: &BatchCall<R>) -> Result<R, ClientError> {
        let result = match self.answers.get(&call.id) {
            Some(Reply::Result(raw)) => raw,
            Some(Reply::Error(error)) => return Err(ClientError::Rpc(error.clone())),
            Some(Reply::Invalid(reason)) => return Err(reason.clone().into()),
            None => return Err(InvalidResponse::MissingAnswer(call.id.clone()).into()),
        };
        serde_json::from_str(result.get()).map_err(ClientError::Decode)
    }

    /// How many answers the server sent (that could be matched to an id).
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether the server sent no answers (a batch of notifications only, or an empty one).
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }
}
