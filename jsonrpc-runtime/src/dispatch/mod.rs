//! The transport-agnostic dispatcher: request bytes in, response bytes out.
//!
//! It reads a body ([`wire`](crate::wire)), runs its calls against a method set
//! ([`method`](mod@crate::method)) within the [`limits`], and writes the response. It may depend on
//! the method model, the session and the wire format, never on a transport.

pub(crate) mod limits;

use crate::wire::budget::Holding;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};

use crate::method::context::{CallInfo, RequestParts};
use crate::method::handler::{Call, FutureSlot, MethodFuture};
use crate::method::invoke::{invoke, Invocation, Running};
use crate::method::middleware::Middleware;
use crate::method::openrpc::{self, Info};
use crate::method::state::States;
use crate::session::MessageScope;
use crate::wire::batch::{self, OverLimit};
use crate::wire::request::{self, Entry, Message, RawJson};
use crate::wire::response::{self, Answer, SuccessHead};
use crate::wire::scan;
use crate::{Error, Methods, StartupError};
use limits::Limits;

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
        self.dispatch_in(body, transport, None, None).await
    }

    /// [`dispatch_with`](Self::dispatch_with) over HTTP, a batch's answers held against a
    /// memory budget while it runs.
    pub(crate) async fn dispatch_budgeted(
        &self,
        body: &[u8],
        transport: Option<&RequestParts>,
        budget: Holding<'_>,
    ) -> Option<Vec<u8>> {
        self.dispatch_in(body, transport, None, Some(budget)).await
    }

    /// Answers one message that came on a long-lived connection, whose subscriptions and
    /// peer calls live in `session`.
    pub(crate) async fn dispatch_in(
        &self,
        body: &[u8],
        transport: Option<&RequestParts>,
        session: Option<&MessageScope>,
        budget: Option<Holding<'_>>,
    ) -> Option<Vec<u8>> {
        let limits = &self.inner.limits;
        let Ok(text) = std::str::from_utf8(body) else {
            return Some(response::parse_error(&request::not_utf8()));
        };
        // The common bodies in one pass; anything else (and every error) the full way.
        let message = match scan::read_common(text, limits.max_depth) {
            Some(message) => message,
            // serde_json's reader is safe at any depth (it stops at 128 levels, with a parse
            // error), so the depth limit is checked after it, on JSON only: a broken body costs
            // one pass, and is answered with where it broke.
            None => match request::parse_text(text) {
                Ok(_) if scan::nests_deeper_than(body, limits.max_depth) => {
                    return Some(response::too_deep(limits.max_depth));
                }
                Ok(message) => message,
                Err(error) => return Some(response::parse_error(&error)),
            },
        };
        // Where a call that does not complete at once keeps its future: here, in this future,
        // so that it is never moved once it is put there.
        let mut slot = std::pin::pin!(None);
        let response = match &message {
            Message::Single(entry) => {
                match self.start(entry, transport, session, FutureSlot::new(slot.as_mut())) {
                    Started::Done(answer) => answer,
                    Started::Running(call) => call.in_slot(slot).await,
                }
                .map(Answer::into_single)
            }
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
            // Counted against the size limit as its answers come in, so not checked here: an
            // answer stopped at the limit may pass it by its short errors (see `batch`).
            // Boxed: the batch's state would make every single call's future larger.
            Message::Batch(entries) => {
                return Box::pin(self.batch(entries, transport, session, budget)).await;
            }
        };
        match response {
            Some(bytes) if bytes.len() > limits.max_response_size => {
                Some(response::too_large(limits.max_response_size))
            }
            response => response,
        }
    }

    /// Runs the calls of a batch concurrently and answers them in the order of the requests.
    ///
    /// The answers are counted against the size limit as they come in. When one would take the
    /// response past the limit, the batch stops: calls not started are never run, the running
    /// ones are dropped (cancelled), and every request still expecting an answer gets a short
    /// -32603 error with its id. The response is then larger than the limit by those errors at
    /// most, and the answers held never add up to more than the limit, whatever the calls
    /// answer.
    async fn batch<'a>(
        &'a self,
        entries: &'a [Entry<'a>],
        transport: Option<&'a RequestParts>,
        session: Option<&'a MessageScope>,
        budget: Option<Holding<'a>>,
    ) -> Option<Vec<u8>> {
        let max_size = self.inner.limits.max_response_size;
        let mut answers = batch::Batch::new(entries.len(), max_size, budget);
        match self
            .run_batch(entries, transport, session, &mut answers)
            .await
        {
            Ok(()) => answers.finish(),
            // The calls still running were dropped with `run_batch`'s future.
            Err(OverLimit) => Some(answers.over_limit(entries)),
        }
    }

    /// Runs the calls of a batch into `answers`, until the last is answered or an answer is
    /// over the size limit.
    ///
    /// Calls start in order, as long as fewer than `max_concurrent_calls` are running: a slow
    /// call holds back no other while there is room beside it. A call that completes as it
    /// starts (most do) is answered on the spot; only the others wait in a set of running calls.
    async fn run_batch<'a>(
        &'a self,
        entries: &'a [Entry<'a>],
        transport: Option<&'a RequestParts>,
        session: Option<&'a MessageScope>,
        answers: &mut batch::Batch<'a>,
    ) -> Result<(), OverLimit> {
        let limit = self.inner.limits.max_concurrent_calls.max(1);
        let mut running = FuturesUnordered::new();
        // A boxed slot, so that a call still pending after its first poll can join the set
        // with its future where it is; the next call gets a new one. Calls that complete at
        // once or on their first poll (most) leave it empty for the next.
        let mut spare = Box::pin(None);
        for entry in entries {
            while running.len() >= limit {
                if let Some((index, answer)) = running.next().await {
                    answers.set(index, answer)?;
                }
            }
            match self.start(entry, transport, session, FutureSlot::new(spare.as_mut())) {
                Started::Done(answer) => answers.push(answer)?,
                Started::Running(call) => {
                    // Polled once in the spare; only a call still pending takes it along.
                    let polled =
                        std::future::poll_fn(|cx| Poll::Ready(call.poll_in(spare.as_mut(), cx)));
                    match polled.await {
                        Poll::Ready(answer) => {
                            spare.set(None);
                            answers.push(answer)?;
                        }
                        Poll::Pending => {
                            let slot = std::mem::replace(&mut spare, Box::pin(None));
                            let index = answers.len();
                            running.push(call.in_slot(slot).map(move |answer| (index, answer)));
                            answers.push_running();
                        }
                    }
                }
            }
        }
        while let Some((index, answer)) = running.next().await {
            answers.set(index, answer)?;
        }
        Ok(())
    }

    /// The methods this dispatcher answers.
    pub fn methods(&self) -> &Methods {
        &self.inner.methods
    }

    /// Starts one request object: its answer (`None` for a notification) at once, or the call
    /// running, its future in `slot`.
    fn start<'a>(
        &'a self,
        entry: &'a Entry<'a>,
        transport: Option<&'a RequestParts>,
        session: Option<&'a MessageScope>,
        slot: FutureSlot<'_, 'a>,
    ) -> Started<'a> {
        let request = match entry {
            Entry::Call(request) => request,
            Entry::Invalid { id, reason } => {
                let error = Error::invalid_request().with_data(*reason);
                return Started::Done(Some(Answer::Error(response::error(&error, *id))));
            }
        };
        let max_size = self.inner.limits.max_response_size;
        let context = CallInfo {
            method: &request.method,
            id: request.id,
            request: transport,
            session,
            states: &self.inner.states,
        };
        let Some(method) = self.inner.methods.entry(&request.method) else {
            let error = crate::method::invoke::unknown_method(&context);
            return Started::Done(answer(Err(error), request.id, max_size));
        };
        let call = Call {
            params: request.params,
            context,
        };
        match invoke(method, call, slot) {
            Invocation::Done(result) => Started::Done(answer(result, request.id, max_size)),
            Invocation::Running(running) => Started::Running(RunningCall {
                running,
                id: request.id,
                max_size,
            }),
        }
    }
}

/// A request object as [`Dispatcher::start`] leaves it.
enum Started<'a> {
    /// Answered at once; `None` for a notification.
    Done(Option<Answer<'a>>),
    /// Answered when the call in the slot completes.
    Running(RunningCall<'a>),
}

/// A running call, but for its future (in the slot `start` was handed): what its answer needs.
struct RunningCall<'a> {
    running: Running,
    id: Option<RawJson<'a>>,
    max_size: usize,
}

impl<'a> RunningCall<'a> {
    /// Polls the call's future in `slot`: its answer once it is complete.
    #[inline]
    fn poll_in(
        &self,
        slot: Pin<&mut Option<MethodFuture<'a>>>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Answer<'a>>> {
        let result = std::task::ready!(self.running.poll(slot, cx));
        Poll::Ready(answer(result, self.id, self.max_size))
    }

    /// The call's answer, as a future polling its method's future in `slot`.
    fn in_slot<S>(self, slot: Pin<S>) -> InSlot<'a, S>
    where
        S: std::ops::DerefMut<Target = Option<MethodFuture<'a>>>,
    {
        InSlot { call: self, slot }
    }
}

/// A running call's answer: the call, and the slot its future is in (a place in the dispatch's
/// own future, or a box for a call that waits among a batch's).
struct InSlot<'a, S> {
    call: RunningCall<'a>,
    slot: Pin<S>,
}

impl<'a, S> Future for InSlot<'a, S>
where
    S: std::ops::DerefMut<Target = Option<MethodFuture<'a>>> + Unpin,
{
    type Output = Option<Answer<'a>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.call.poll_in(this.slot.as_mut(), cx)
    }
}

/// The answer to a call with this result; `None` for a notification.
fn answer(
    result: Result<SuccessHead, Error>,
    id: Option<RawJson<'_>>,
    max_size: usize,
) -> Option<Answer<'_>> {
    let id = id?;
    Some(match result {
        // One oversized result fails its own call, not the batch it is in.
        Ok(head) if head.0.len() + id.get().len() + r#","id":}"#.len() > max_size => {
            Answer::Error(response::too_large_call(max_size, Some(id)))
        }
        Ok(head) => Answer::Success(head, id),
        Err(error) => Answer::Error(response::error(&error, Some(id))),
    })
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
    /// its title and version. See [`openrpc`].
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
    /// with -32700 and never reach a method. Default:
    /// [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.limits.max_depth = depth;
        self
    }

    /// The largest response body, in bytes. Default:
    /// [`DEFAULT_MAX_RESPONSE_SIZE`](crate::DEFAULT_MAX_RESPONSE_SIZE).
    ///
    /// A call whose result alone makes its response larger is answered with a -32603 error with
    /// its id instead, alone or in a batch (the rest of the batch goes on). Any other single
    /// response over the limit (an error with that much `data`) is replaced by one -32603 error
    /// with id null.
    ///
    /// A batch counts its answers against the limit as they complete, each in the bytes it
    /// takes in the response array. When an answer would make the array larger than the limit,
    /// the batch stops: calls not yet started are never run, calls still running are cancelled
    /// (their futures dropped), and that request and every other request not yet answered get
    /// a short -32603 error with its own id, whose `data` says that the batch's response grew
    /// past the limit of N bytes. The answers already in are kept, an invalid request object
    /// still gets its -32600 and a notification nothing: every request with an id gets a
    /// response with its id, as the specification asks. Such a response is larger than the
    /// limit by those short errors only, one per request not answered, each about 140 bytes
    /// plus its id (so at most [`max_batch_len`](Self::max_batch_len) of them). A batch whose
    /// response fits is answered exactly as without a limit.
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
        if let Some((name, first, second)) = methods.first_notification_clash() {
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
