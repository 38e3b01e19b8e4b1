//! `tracing`: each call runs in a `jsonrpc.call` span with its method and id; errors are logged
//! with their code, panics with their message. A small `Layer` installed as the global
//! subscriber records spans and events; each test looks only at its own ids and methods.

mod support;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, Once};

use jsonrpc_runtime::{method, middleware, Error, Server};
use support::{call, notification, post, Running};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// A span or event's fields, as text (strings unquoted).
#[derive(Debug, Clone, Default, PartialEq)]
struct Fields(BTreeMap<String, String>);

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

#[derive(Debug, Clone)]
struct SpanRecord {
    name: &'static str,
    level: Level,
    fields: Fields,
}

#[derive(Debug, Clone)]
struct EventRecord {
    level: Level,
    fields: Fields,
    /// The spans the event happened in, innermost first.
    scope: Vec<SpanRecord>,
}

impl EventRecord {
    fn message(&self) -> &str {
        self.fields.get("message").unwrap_or("")
    }

    /// The `jsonrpc.call` span the event happened in, if any.
    fn call_span(&self) -> Option<&Fields> {
        self.scope
            .iter()
            .find(|span| span.name == "jsonrpc.call")
            .map(|span| &span.fields)
    }
}

static SPANS: Mutex<Vec<SpanRecord>> = Mutex::new(Vec::new());
static EVENTS: Mutex<Vec<EventRecord>> = Mutex::new(Vec::new());

/// Records every span and event.
struct Capture;

impl<S> Layer<S> for Capture
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let record = SpanRecord {
            name: attrs.metadata().name(),
            level: *attrs.metadata().level(),
            fields,
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(record.clone());
        }
        SPANS.lock().unwrap().push(record);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let scope = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .filter_map(|span| span.extensions().get::<SpanRecord>().cloned())
                    .collect()
            })
            .unwrap_or_default();
        EVENTS.lock().unwrap().push(EventRecord {
            level: *event.metadata().level(),
            fields,
            scope,
        });
    }
}

/// Installs the capturing subscriber, once for the whole test binary.
fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Registry::default().with(Capture))
            .expect("no other subscriber is installed");
    });
}

/// The `jsonrpc.call` spans of `method`.
fn call_spans(method: &str) -> Vec<SpanRecord> {
    SPANS
        .lock()
        .unwrap()
        .iter()
        .filter(|span| span.name == "jsonrpc.call" && span.fields.get("method") == Some(method))
        .cloned()
        .collect()
}

/// The events that happened in a `jsonrpc.call` span of `method`.
fn events_in_calls_of(method: &str) -> Vec<EventRecord> {
    EVENTS
        .lock()
        .unwrap()
        .iter()
        .filter(|event| event.call_span().and_then(|span| span.get("method")) == Some(method))
        .cloned()
        .collect()
}

#[method]
fn traced_ping() -> &'static str {
    "pong"
}

#[method]
fn traced_fail() -> Result<(), Error> {
    Err(Error::new(-32001, "it failed"))
}

#[method]
fn traced_add(a: i64, b: i64) -> i64 {
    a + b
}

#[method]
fn traced_panic() {
    panic!("traced boom")
}

#[method]
async fn traced_async(step: String) -> String {
    tracing::info!(step = step.as_str(), "working");
    tokio::task::yield_now().await;
    tracing::info!(step = step.as_str(), "done");
    step
}

#[method(blocking)]
fn traced_blocking(step: String) -> String {
    tracing::info!(step = step.as_str(), "blocking work");
    step
}

#[method]
fn traced_guarded() -> &'static str {
    "let in"
}

fn ids(spans: &[SpanRecord]) -> Vec<String> {
    let mut ids: Vec<_> = spans
        .iter()
        .map(|span| span.fields.get("id").unwrap_or("<no id field>").to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn each_call_has_a_debug_span_with_its_method_and_id() {
    capture();
    let server = Running::server(Server::builder()).await;
    let reply = post(server.addr, "/", &call("traced_ping", "[]", "1001")).await;
    assert_eq!(reply.result(), "pong");
    let spans = call_spans("traced_ping");
    assert_eq!(ids(&spans), ["1001"]);
    assert_eq!(spans[0].level, Level::DEBUG);

    // One span per call of a batch, notifications included.
    let batch = format!(
        "[{},{},{}]",
        call("traced_add", "[1,2]", "1002"),
        call("traced_add", "[3,4]", r#""s-1003""#),
        notification("traced_add", "[5,6]"),
    );
    post(server.addr, "/", &batch).await;
    assert_eq!(
        ids(&call_spans("traced_add")),
        ["\"s-1003\"", "1002", "none"]
    );
}

#[tokio::test]
async fn an_error_is_logged_with_its_code_in_its_calls_span() {
    capture();
    let server = Running::server(Server::builder()).await;
    post(server.addr, "/", &call("traced_fail", "[]", "2001")).await;
    post(
        server.addr,
        "/",
        &call("traced_fail", r#"["extra"]"#, "2002"),
    )
    .await;
    let events = events_in_calls_of("traced_fail");
    let logged: Vec<_> = events
        .iter()
        .map(|event| {
            (
                event.call_span().unwrap().get("id").unwrap().to_owned(),
                event.fields.get("code").unwrap().to_owned(),
                event.level,
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("2001".to_owned(), "-32001".to_owned(), Level::DEBUG),
            ("2002".to_owned(), "-32602".to_owned(), Level::DEBUG),
        ]
    );
    // The event's message, and the error's own message beside it (not in place of it).
    assert_eq!(events[0].fields.get("message"), Some("call failed"));
    assert_eq!(events[0].fields.get("error_message"), Some("it failed"));
}

#[tokio::test]
async fn a_panic_is_logged_with_its_message_as_an_error() {
    capture();
    let server = Running::server(Server::builder()).await;
    let reply = post(server.addr, "/", &call("traced_panic", "[]", "3001")).await;
    assert_eq!(reply.error().0, -32603);
    let events = events_in_calls_of("traced_panic");
    let panic = events
        .iter()
        .find(|event| event.fields.get("panic").is_some())
        .expect("the panic is logged");
    assert_eq!(panic.fields.get("panic"), Some("traced boom"));
    assert_eq!(panic.level, Level::ERROR);
    let failed = events
        .iter()
        .find(|event| event.message() == "call failed")
        .expect("the error is logged");
    assert_eq!(failed.fields.get("code"), Some("-32603"));
    assert_eq!(failed.level, Level::ERROR);
}

#[tokio::test]
async fn a_call_of_an_unknown_method_has_a_span_and_its_error_is_logged() {
    capture();
    let server = Running::server(Server::builder()).await;
    let reply = post(server.addr, "/", &call("traced_nowhere", "[]", "4001")).await;
    assert_eq!(reply.error().0, -32601);
    assert_eq!(ids(&call_spans("traced_nowhere")), ["4001"]);
    let events = events_in_calls_of("traced_nowhere");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].fields.get("code"), Some("-32601"));
}

#[tokio::test]
async fn a_methods_own_events_are_in_its_calls_span() {
    capture();
    let server = Running::server(Server::builder()).await;
    post(server.addr, "/", &call("traced_async", r#"["a"]"#, "5001")).await;
    let events = events_in_calls_of("traced_async");
    let steps: Vec<_> = events
        .iter()
        .map(|event| {
            (
                event.message(),
                event.call_span().unwrap().get("id").unwrap(),
            )
        })
        .collect();
    assert_eq!(steps, [("working", "5001"), ("done", "5001")]);

    // On the blocking pool too.
    post(
        server.addr,
        "/",
        &call("traced_blocking", r#"["b"]"#, "5002"),
    )
    .await;
    let events = events_in_calls_of("traced_blocking");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].message(), "blocking work");
    assert_eq!(events[0].call_span().unwrap().get("id"), Some("5002"));
}

#[tokio::test]
async fn middleware_runs_inside_the_calls_span() {
    capture();
    let server = Running::server(Server::builder().middleware(middleware::authorize(|call| {
        if call.method() == "traced_guarded" {
            tracing::info!("checking");
        }
        Ok(())
    })))
    .await;
    post(server.addr, "/", &call("traced_guarded", "[]", "6001")).await;
    let events = events_in_calls_of("traced_guarded");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].message(), "checking");
    assert_eq!(events[0].call_span().unwrap().get("id"), Some("6001"));
}
