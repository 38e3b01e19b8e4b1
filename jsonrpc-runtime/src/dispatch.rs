//! The transport-agnostic dispatcher: request bytes in, response bytes out.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use serde_json::value::RawValue;

use crate::handler::{Call, Outcome, SuccessHead};
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
}

impl Dispatcher {
    /// Starts building a dispatcher; by default it answers every registered method.
    pub fn builder() -> DispatcherBuilder {
        DispatcherBuilder::default()
    }

    /// Answers a request body: `Some` response body, or `None` when there is nothing to send
    /// (a notification, or a batch of notifications only).
    pub async fn dispatch(&self, body: &[u8]) -> Option<Vec<u8>> {
        let message = match request::parse(body) {
            Ok(message) => message,
            Err(error) => return Some(response::parse_error(&error)),
        };
        match message {
            Message::Single(entry) => self.answer(entry).await.map(Answer::into_single),
            Message::Batch(entries) if entries.is_empty() => Some(response::error(
                &Error::invalid_request().with_data("a batch must not be empty"),
                None,
            )),
            Message::Batch(entries) => {
                let answers =
                    futures_util::future::join_all(entries.into_iter().map(|e| self.answer(e)))
                        .await;
                response::batch(answers.into_iter().flatten())
            }
        }
    }

    /// The methods this dispatcher answers.
    pub fn methods(&self) -> &Methods {
        &self.inner.methods
    }

    /// Runs one request object; `None` for a notification.
    async fn answer<'a>(&self, entry: Entry<'a>) -> Option<Answer<'a>> {
        let request = match entry {
            Entry::Call(request) => request,
            Entry::Invalid { id, reason } => {
                let error = Error::invalid_request().with_data(reason);
                return Some(Answer::Error(response::error(&error, id)));
            }
        };
        let result = self.run(&request).await;
        let id = request.id?;
        Some(match result {
            Ok(head) => Answer::Success(head, id),
            Err(error) => Answer::Error(response::error(&error, Some(id))),
        })
    }

    /// Calls the method a request names. A panic in the method becomes -32603 for this call
    /// only.
    async fn run(&self, request: &Request<'_>) -> Result<SuccessHead, Error> {
        let Some(method) = self.inner.methods.get(&request.method) else {
            return Err(Error::method_not_found().with_data(request.method.as_ref()));
        };
        let call = Call {
            params: request.params,
            states: &self.inner.states,
        };
        let name = method.name();
        match std::panic::catch_unwind(AssertUnwindSafe(|| (method.call())(call))) {
            Ok(Outcome::Ready(result)) => result,
            Ok(Outcome::Pending(future)) => match AssertUnwindSafe(future).catch_unwind().await {
                Ok(result) => result,
                Err(panic) => Err(panicked(name, panic)),
            },
            Err(panic) => Err(panicked(name, panic)),
        }
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

#[cold]
fn panicked(method: &str, panic: Box<dyn std::any::Any + Send>) -> Error {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload");
    tracing::error!(method, panic = message, "a JSON-RPC method panicked");
    Error::internal_error()
}

/// Configures a [`Dispatcher`]: the methods it answers and the state they share.
#[derive(Default)]
pub struct DispatcherBuilder {
    methods: Option<Methods>,
    states: States,
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

    /// Checks the method set and the state, and builds the dispatcher.
    ///
    /// Fails when two methods share a name, or when a method takes a `State<T>` that was not
    /// given.
    pub fn build(self) -> Result<Dispatcher, StartupError> {
        let methods = self.methods.unwrap_or_else(Methods::registered);
        if let Some((first, second)) = methods.duplicates.first() {
            return Err(StartupError::DuplicateMethod {
                name: first.name(),
                first: first.location(),
                second: second.location(),
            });
        }
        let mut defs: Vec<_> = methods.iter().collect();
        defs.sort_by_key(|def| def.name());
        for def in defs {
            if let Some(missing) = def.required_states().find(|key| !self.states.contains(key)) {
                return Err(StartupError::MissingState {
                    method: def.name(),
                    location: def.location(),
                    type_name: missing.type_name,
                });
            }
        }
        Ok(Dispatcher {
            inner: Arc::new(Inner {
                methods,
                states: self.states,
            }),
        })
    }
}
