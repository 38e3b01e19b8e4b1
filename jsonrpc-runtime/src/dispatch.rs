//! The transport-agnostic dispatcher: request bytes in, response bytes out.

use std::sync::Arc;

use futures_util::stream::FuturesOrdered;
use futures_util::StreamExt;
use serde_json::value::RawValue;

use crate::context::{CallContext, RequestParts};
use crate::handler::{Call, SuccessHead};
use crate::invoke::invoke;
use crate::limits::{self, Limits};
use crate::middleware::Middleware;
use crate::openrpc::{self, Info};
use crate::request::{self, Entry, Message, Request};
use crate::response;
use crate::state::States;
use crate::{Error, Methods, StartupError};

/// Answers JSON-RPC requests against a set of methods: the analogue of jsonrpcserver's
/// `dispatch`, with no transport attached.
///
/// It is cheap to clone (the methods and state are shared).
///
/// ```
/// use jsonrpc_runtime::{method, Dispatcher};
///
/// #[method]
/// async fn ping() -> &'static str { "pong" }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let dispatcher = Dispatcher::builder().build().unwrap();
/// let response = dispatcher.dispatch(br#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await;
/// assert_eq!(response.as_deref(), Some(&br#"{"jsonrpc":"2.0","result":"pong","id":1}"#[..]));
///
/// // A notification is executed but answered with nothing.
/// assert_eq!(dispatcher.dispatch(br#"{"jsonrpc":"2.0","method":"ping"}"#).await, None);
/// # }
/// ```
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    methods: Methods,
    states: States,
    limits: Limits,
}

impl Dispatcher {
    /// Starts building a dispatcher; by default it answers every registered method.
    pub fn builder() -> DispatcherBuilder {
        DispatcherBuilder::default()
    }

    /// Answers a request body: `Some` response body, or `None` when there is nothing to send
    /// (a notification, or a batch of notifications only).
    pub async fn dispatch(&self, body: &[u8]) -> Option<Vec<u8>> {
        self.dispatch_with(body, None).await
    }

    /// Like [`dispatch`](Self::dispatch), with what the transport knows about the request
    /// (headers, extensions, peer address) for the methods' context extractors and middleware.
    pub async fn dispatch_with(
        &self,
        body: &[u8],
        transport: Option<&RequestParts>,
    ) -> Option<Vec<u8>> {
        let limits = &self.inner.limits;
        if limits::nests_deeper_than(body, limits.max_depth) {
            return Some(response::too_deep(limits.max_depth));
        }
        let message = match request::parse(body) {
            Ok(message) => message,
            Err(error) => return Some(response::parse_error(&error)),
        };
        let response = match message {
            Message::Single(entry) => self.answer(entry, transport).await.map(Answer::into_single),
            Message::Batch(entries) if entries.is_empty() => Some(response::error(
                &Error::invalid_request().with_data("a batch must not be empty"),
                None,
            )),
            Message::Batch(entries) if entries.len() > limits.max_batch_len => {
                let reason = format!(
                    "a batch of {} requests is over the limit of {}",
                    entries.len(),
                    limits.max_batch_len
                );
                Some(response::error(
                    &Error::invalid_request().with_data(reason),
                    None,
                ))
            }
            Message::Batch(entries) => {
                // Calls run concurrently, at most `max_concurrent_calls` at a time; answers
                // keep the order of the requests.
                let mut pending = entries.into_iter();
                let mut running = FuturesOrdered::new();
                let mut answers = Vec::with_capacity(pending.len());
                for entry in pending.by_ref().take(limits.max_concurrent_calls) {
                    running.push_back(self.answer(entry, transport));
                }
                while let Some(answer) = running.next().await {
                    answers.push(answer);
                    if let Some(entry) = pending.next() {
                        running.push_back(self.answer(entry, transport));
                    }
                }
                response::batch(answers.into_iter().flatten())
            }
        };
        match response {
            Some(bytes) if bytes.len() > limits.max_response_size => {
                Some(response::too_large(limits.max_response_size))
            }
            response => response,
        }
    }

    /// The methods this dispatcher answers.
    pub fn methods(&self) -> &Methods {
        &self.inner.methods
    }

    /// Runs one request object; `None` for a notification.
    async fn answer<'a>(
        &self,
        entry: Entry<'a>,
        transport: Option<&RequestParts>,
    ) -> Option<Answer<'a>> {
        let request = match entry {
            Entry::Call(request) => request,
            Entry::Invalid { id, reason } => {
                let error = Error::invalid_request().with_data(reason);
                return Some(Answer::Error(response::error(&error, id)));
            }
        };
        let result = self.run(&request, transport).await;
        let id = request.id?;
        let max_size = self.inner.limits.max_response_size;
        Some(match result {
            // One oversized result fails its own call, not the batch it is in.
            Ok(head) if head.0.len() + id.get().len() + r#","id":}"#.len() > max_size => {
                Answer::Error(response::too_large_call(max_size, Some(id)))
            }
            Ok(head) => Answer::Success(head, id),
            Err(error) => Answer::Error(response::error(&error, Some(id))),
        })
    }

    /// Calls the method a request names.
    async fn run(
        &self,
        request: &Request<'_>,
        transport: Option<&RequestParts>,
    ) -> Result<SuccessHead, Error> {
        let context = CallContext {
            method: &request.method,
            id: request.id,
            request: transport,
        };
        let Some(entry) = self.inner.methods.entry(&request.method) else {
            return Err(crate::invoke::unknown_method(&context));
        };
        let call = Call {
            params: request.params,
            states: &self.inner.states,
            context,
        };
        invoke(entry, call).await
    }
}

/// The response to one call, before it is placed in a single response or a batch.
pub(crate) enum Answer<'a> {
    /// A success response missing its id.
    Success(SuccessHead, &'a RawValue),
    /// A complete error response.
    Error(Vec<u8>),
}

impl Answer<'_> {
    fn into_single(self) -> Vec<u8> {
        match self {
            Answer::Success(head, id) => response::finish(head, id),
            Answer::Error(bytes) => bytes,
        }
    }
}

/// Configures a [`Dispatcher`]: the methods it answers and the state they share.
#[derive(Default)]
pub struct DispatcherBuilder {
    methods: Option<Methods>,
    states: States,
    limits: Limits,
    middleware: Vec<Arc<dyn Middleware>>,
    openrpc: Option<Info>,
}

impl DispatcherBuilder {
    /// Answers these methods instead of every registered one.
    pub fn methods(mut self, methods: Methods) -> Self {
        self.methods = Some(methods);
        self
    }

    /// Gives methods that take [`State<T>`](crate::State) this value. One value per type; a
    /// second value of the same type replaces the first.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// Runs `middleware` around every call. Middleware added first runs outermost; the
    /// dispatcher's middleware runs outside any added to a [`Methods`] set with
    /// [`Methods::layer`].
    pub fn middleware(mut self, middleware: impl Middleware) -> Self {
        self.middleware.push(Arc::new(middleware));
        self
    }

    /// Serves the OpenRPC document of the methods as the `rpc.discover` method, with `info` as
    /// its title and version. See [`openrpc`](crate::openrpc).
    pub fn openrpc(mut self, info: Info) -> Self {
        self.openrpc = Some(info);
        self
    }

    /// The largest number of requests in one batch; a longer batch is answered with one
    /// -32600 error. Default: [`DEFAULT_MAX_BATCH_LEN`](crate::DEFAULT_MAX_BATCH_LEN).
    pub fn max_batch_len(mut self, len: usize) -> Self {
        self.limits.max_batch_len = len;
        self
    }

    /// The deepest nesting of arrays and objects accepted in a body; deeper bodies are answered
    /// with -32700 before they are parsed. Default:
    /// [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.limits.max_depth = depth;
        self
    }

    /// The largest response body, in bytes. A call whose response alone is larger is answered
    /// with -32603 instead; a batch response that grows larger is replaced by one -32603 error.
    /// Default: [`DEFAULT_MAX_RESPONSE_SIZE`](crate::DEFAULT_MAX_RESPONSE_SIZE).
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.limits.max_response_size = bytes;
        self
    }

    /// The largest number of calls of one batch that run at the same time; the rest wait for a
    /// free slot. Default: [`DEFAULT_MAX_CONCURRENT_CALLS`](crate::DEFAULT_MAX_CONCURRENT_CALLS).
    /// Values below 1 are read as 1.
    pub fn max_concurrent_calls(mut self, calls: usize) -> Self {
        self.limits.max_concurrent_calls = calls.max(1);
        self
    }

    /// Checks the method set and the state, and builds the dispatcher.
    ///
    /// Fails when two methods share a name, or when a method takes a `State<T>` that was not
    /// given.
    pub fn build(self) -> Result<Dispatcher, StartupError> {
        let mut methods = self.methods.unwrap_or_else(Methods::registered);
        let mut states = self.states;
        if let Some(info) = &self.openrpc {
            let document = openrpc::document(info, &methods);
            states.insert(openrpc::DiscoverDocument::new(&document));
            methods.insert(openrpc::DISCOVER);
        }
        if let Some((name, first, second)) = methods.first_duplicate() {
            return Err(StartupError::DuplicateMethod {
                name: name.to_owned(),
                first,
                second,
            });
        }
        let mut defs: Vec<_> = methods.iter().map(|(_, def)| *def).collect();
        defs.sort_by_key(|def| def.name());
        for def in defs {
            if let Some(missing) = def.required_states().find(|key| !states.contains(key)) {
                return Err(StartupError::MissingState {
                    method: def.name(),
                    location: def.location(),
                    type_name: missing.type_name,
                });
            }
        }
        if !self.middleware.is_empty() {
            for entry in methods.entries_mut() {
                let own = std::mem::take(&mut entry.middleware);
                entry.middleware = self.middleware.iter().cloned().chain(own).collect();
            }
        }
        Ok(Dispatcher {
            inner: Arc::new(Inner {
                methods,
                states,
                limits: self.limits,
            }),
        })
    }
}
