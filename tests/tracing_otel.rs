//! `tracing` with OpenTelemetry's semantic conventions for JSON-RPC: each `jsonrpc.call` span
//! carries `rpc.system`, `rpc.method`, the protocol version and the request id (under the names
//! of semconv 1.37 and of the current conventions), and a failed call's span records its error
//! code and message. A small `Layer` keeps each span's fields, those given at creation and
//! those recorded later, until the span closes.

mod support;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, Once};

use jsonrpc_runtime::{method, Error, Server};
use support::{call, notification, post, Running};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// A span's fields, as text (strings unquoted).
#[derive(Debug, Clone, Default)]
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

/// The closed `jsonrpc.call` spans.
static CLOSED: Mutex<Vec<Fields>> = Mutex::new(Vec::new());

struct Capture;

impl<S> Layer<S> for Capture
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "jsonrpc.call" {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            if let Some(fields) = span.extensions_mut().remove::<Fields>() {
                CLOSED.lock().unwrap().push(fields);
            }
        }
    }
}

fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Registry::default().with(Capture))
            .expect("no other subscriber is installed");
    });
}

/// The closed call spans of `method`.
fn spans_of(method: &str) -> Vec<Fields> {
    CLOSED
        .lock()
        .unwrap()
        .iter()
        .filter(|fields| fields.get("method") == Some(method))
        .cloned()
        .collect()
}

#[method]
fn otel_ping() -> &'static str {
    "pong"
}

#[method]
fn otel_fail() -> Result<(), Error> {
    Err(Error::new(-32042, "otel failed"))
}

#[method]
async fn otel_async_fail() -> Result<(), Error> {
    tokio::task::yield_now().await;
    Err(Error::new(-32043, "async failed"))
}

#[tokio::test]
async fn spans_carry_the_json_rpc_attributes() {
    capture();
    let server = Running::server(Server::builder()).await;
    post(server.addr, "/", &call("otel_ping", "[]", "7001")).await;
    post(server.addr, "/", &call("otel_ping", "[]", r#""req-7002""#)).await;
    post(server.addr, "/", &call("otel_ping", "[]", "null")).await;
    post(server.addr, "/", &notification("otel_ping", "[]")).await;
    let mut spans = spans_of("otel_ping");
    spans.sort_by_key(|fields| fields.get("id").map(str::to_owned));
    assert_eq!(spans.len(), 4, "{spans:?}");
    for fields in &spans {
        assert_eq!(fields.get("rpc.system"), Some("jsonrpc"));
        assert_eq!(fields.get("rpc.system.name"), Some("jsonrpc"));
        assert_eq!(fields.get("rpc.method"), Some("otel_ping"));
        assert_eq!(fields.get("rpc.jsonrpc.version"), Some("2.0"));
        assert_eq!(fields.get("jsonrpc.protocol.version"), Some("2.0"));
        assert_eq!(fields.get("otel.name"), Some("otel_ping"));
        assert_eq!(fields.get("otel.kind"), Some("server"));
        // A success records no error.
        assert_eq!(fields.get("rpc.jsonrpc.error_code"), None);
        assert_eq!(fields.get("error.type"), None);
        assert_eq!(fields.get("otel.status_code"), None);
    }
    // Sorted by `id`: `"req-7002"`, `7001`, `none`, `null`. A string id loses its quotes.
    assert_eq!(spans[0].get("rpc.jsonrpc.request_id"), Some("req-7002"));
    assert_eq!(spans[0].get("jsonrpc.request.id"), Some("req-7002"));
    assert_eq!(spans[1].get("rpc.jsonrpc.request_id"), Some("7001"));
    assert_eq!(spans[1].get("jsonrpc.request.id"), Some("7001"));
    // A notification has no request id.
    assert_eq!(spans[2].get("id"), Some("none"));
    assert_eq!(spans[2].get("rpc.jsonrpc.request_id"), None);
    assert_eq!(spans[2].get("jsonrpc.request.id"), None);
    // A null id: the empty string by semconv 1.37, left out by the current conventions.
    assert_eq!(spans[3].get("id"), Some("null"));
    assert_eq!(spans[3].get("rpc.jsonrpc.request_id"), Some(""));
    assert_eq!(spans[3].get("jsonrpc.request.id"), None);
}

#[tokio::test]
async fn a_failed_calls_span_records_its_error() {
    capture();
    let server = Running::server(Server::builder()).await;
    post(server.addr, "/", &call("otel_fail", "[]", "7101")).await;
    post(server.addr, "/", &call("otel_async_fail", "[]", "7102")).await;
    post(server.addr, "/", &call("otel_nowhere", "[]", "7103")).await;
    for (method, code, message) in [
        ("otel_fail", "-32042", "otel failed"),
        ("otel_async_fail", "-32043", "async failed"),
        ("otel_nowhere", "-32601", "Method not found"),
    ] {
        let spans = spans_of(method);
        assert_eq!(spans.len(), 1, "{method}: {spans:?}");
        let fields = &spans[0];
        assert_eq!(fields.get("rpc.jsonrpc.request_id"), fields.get("id"));
        assert_eq!(fields.get("rpc.jsonrpc.error_code"), Some(code), "{method}");
        assert_eq!(fields.get("rpc.jsonrpc.error_message"), Some(message));
        assert_eq!(fields.get("rpc.response.status_code"), Some(code));
        assert_eq!(fields.get("error.type"), Some(code));
        assert_eq!(fields.get("otel.status_code"), Some("error"));
        assert_eq!(fields.get("otel.status_description"), Some(message));
    }
}
