//! A small WebSocket JSON-RPC server for the client tests, written against the wire format of
//! the design (not the project's own server), with methods that misbehave on purpose.
//!
//! Requests: `ping`, `subtract [a, b]`, `fail` (error -32001), `sleep [ms]` (answers `ms` after
//! `ms`, concurrently, so answers come out of order), `notifications` (the notifications
//! received so far, as `[method, params]`), `headers` (the handshake's `authorization` and
//! `x-test`), `null_id_error`, `garbage_then_pong`, `big [n]` (a string of `n` bytes), `die`
//! (drops the connection, no close frame), `close` (a close frame, 1001).
//!
//! Subscriptions (notification = the name after `subscribe_`, ids `"t-N"`):
//! `subscribe_ticks [count, ms]` (items 0..count every ms, then `complete`),
//! `subscribe_forever [ms]`, `subscribe_fail [n]` (n items, then an error -32050),
//! `subscribe_eager [n]` (n items *before* the response, numeric id 7000+N, then `complete`),
//! `subscribe_bad_id`; and `unsubscribe_<name> [id]`, true if it was active.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// Every message the server received, on any connection, as JSON.
pub type Log = Arc<Mutex<Vec<Value>>>;

pub struct MiniServer {
    pub addr: SocketAddr,
    pub log: Log,
    task: tokio::task::JoinHandle<()>,
}

impl MiniServer {
    /// Serves `ws://127.0.0.1:port/` in the background.
    pub async fn start() -> MiniServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Log::default();
        let task = tokio::spawn({
            let log = log.clone();
            async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    tokio::spawn(serve_connection(tcp, log.clone()));
                }
            }
        });
        MiniServer { addr, log, task }
    }

    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    pub fn received(&self) -> Vec<Value> {
        self.log.lock().unwrap().clone()
    }

    /// Waits (up to 5 s) for a received message that `matches`.
    pub async fn wait_for(&self, matches: impl Fn(&Value) -> bool) -> Option<Value> {
        for _ in 0..500 {
            if let Some(found) = self.received().into_iter().find(&matches) {
                return Some(found);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        None
    }
}

impl Drop for MiniServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Connection {
    out: mpsc::UnboundedSender<Out>,
    /// The live subscriptions. Items are sent under this lock, so that no item follows the
    /// answer to an unsubscribe.
    subscriptions: Mutex<HashMap<String, Arc<AtomicBool>>>,
    next: AtomicU64,
    notifications: Mutex<Vec<Value>>,
    headers: Value,
}

enum Out {
    Message(Message),
    /// Drop the connection without a close frame.
    Die,
}

/// Speaks the wire format on one connection (TCP, or TLS for the TLS tests).
pub async fn serve_connection<S>(stream: S, log: Log)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut headers = json!({});
    // The callback's signature is tungstenite's.
    #[allow(clippy::result_large_err)]
    let capture = |request: &Request, response: Response| {
        for name in ["authorization", "x-test"] {
            if let Some(value) = request.headers().get(name) {
                headers[name] = json!(value.to_str().unwrap_or(""));
            }
        }
        Ok(response)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, capture).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let (out, mut queue) = mpsc::unbounded_channel::<Out>();
    let (died, mut dead) = tokio::sync::oneshot::channel::<()>();
    let writer = tokio::spawn(async move {
        while let Some(item) = queue.recv().await {
            match item {
                Out::Message(message) => {
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                Out::Die => {
                    let _ = died.send(());
                    return;
                }
            }
        }
    });
    let connection = Arc::new(Connection {
        out,
        subscriptions: Mutex::new(HashMap::new()),
        next: AtomicU64::new(1),
        notifications: Mutex::new(Vec::new()),
        headers,
    });
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                    log.lock().unwrap().push(value.clone());
                    handle(&connection, value);
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = &mut dead => break,
        }
    }
    // Stop every subscription, drop both halves: the TCP connection closes.
    for (_, active) in connection.subscriptions.lock().unwrap().drain() {
        active.store(false, Ordering::SeqCst);
    }
    writer.abort();
}

fn handle(connection: &Arc<Connection>, message: Value) {
    if let Value::Array(calls) = message {
        let mut answers: Vec<Value> = calls
            .into_iter()
            .filter_map(|call| answer_now(connection, &call))
            .collect();
        // Out of order, on purpose.
        answers.reverse();
        if !answers.is_empty() {
            connection.send_json(&Value::Array(answers));
        }
        return;
    }
    if message.get("id").is_none() {
        connection.notifications.lock().unwrap().push(json!([
            message["method"].clone(),
            message.get("params").cloned().unwrap_or(Value::Null)
        ]));
        return;
    }
    let id = message["id"].clone();
    let params = message.get("params").cloned().unwrap_or(json!([]));
    let method = message["method"].as_str().unwrap_or("").to_owned();
    match method.as_str() {
        "sleep" => {
            let ms = params[0].as_u64().unwrap_or(0);
            let connection = Arc::clone(connection);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                connection.send_json(&result(&id, json!(ms)));
            });
        }
        "null_id_error" => connection.send_json(&json!({
            "jsonrpc": "2.0",
            "error": {"code": -32600, "message": "Invalid Request"},
            "id": null
        })),
        "garbage_then_pong" => {
            connection.send_text("not json");
            connection.send_text("[1, 2");
            connection.send_text("[]");
            connection.send_text("42");
            connection.send_text(r#"{"jsonrpc":"2.0","result":"stray","id":999999}"#);
            connection.send_text(
                r#"{"jsonrpc":"2.0","method":"ticks","params":{"subscription":"nobody","result":1}}"#,
            );
            connection.send_text(r#"{"jsonrpc":"2.0","method":"hello","params":[1]}"#);
            connection.send_text(r#"{"jsonrpc":"2.0","method":"hello","id":5}"#);
            connection.send(Message::Binary(vec![0xff, 0xfe].into()));
            connection.send_json(&result(&id, json!("pong")));
        }
        "big" => {
            let n = params[0].as_u64().unwrap_or(0) as usize;
            connection.send_json(&result(&id, json!("x".repeat(n))));
        }
        "die" => {
            let _ = connection.out.send(Out::Die);
        }
        "close" => connection.send(Message::Close(Some(CloseFrame {
            code: CloseCode::Away,
            reason: "going away".into(),
        }))),
        "subscribe_eager" => {
            let n = params[0].as_u64().unwrap_or(0);
            let sub = json!(7000 + connection.next.fetch_add(1, Ordering::SeqCst));
            for i in 0..n {
                connection.send_json(&item("eager", &sub, json!(i)));
            }
            connection.send_json(&result(&id, sub.clone()));
            connection.send_json(&json!({
                "jsonrpc": "2.0", "method": "eager",
                "params": {"subscription": sub, "complete": true}
            }));
        }
        "subscribe_bad_id" => connection.send_json(&result(&id, json!({"not": "an id"}))),
        name if name.starts_with("subscribe_") => {
            subscribe(connection, id, &name["subscribe_".len()..], params)
        }
        name if name.starts_with("unsubscribe_") => {
            let sub = params[0].as_str().unwrap_or("").to_owned();
            let mut subscriptions = connection.subscriptions.lock().unwrap();
            let was_active = match subscriptions.remove(&sub) {
                Some(active) => {
                    active.store(false, Ordering::SeqCst);
                    true
                }
                None => false,
            };
            connection.send_json(&result(&id, json!(was_active)));
        }
        _ => {
            if let Some(answer) = answer_now(connection, &message) {
                connection.send_json(&answer);
            }
        }
    }
}

/// The answer to a call that needs no waiting (or to a notification: none).
fn answer_now(connection: &Connection, call: &Value) -> Option<Value> {
    if call.get("id").is_none() {
        connection.notifications.lock().unwrap().push(json!([
            call["method"].clone(),
            call.get("params").cloned().unwrap_or(Value::Null)
        ]));
        return None;
    }
    let id = &call["id"];
    let params = &call["params"];
    Some(match call["method"].as_str().unwrap_or("") {
        "ping" => result(id, json!("pong")),
        "subtract" => result(
            id,
            json!(params[0].as_i64().unwrap_or(0) - params[1].as_i64().unwrap_or(0)),
        ),
        "fail" => json!({
            "jsonrpc": "2.0",
            "error": {"code": -32001, "message": "it failed", "data": {"why": "asked"}},
            "id": id
        }),
        "notifications" => result(
            id,
            Value::Array(connection.notifications.lock().unwrap().clone()),
        ),
        "headers" => result(id, connection.headers.clone()),
        _ => json!({
            "jsonrpc": "2.0",
            "error": {"code": -32601, "message": "Method not found"},
            "id": id
        }),
    })
}

fn subscribe(connection: &Arc<Connection>, id: Value, name: &str, params: Value) {
    let (count, interval, fail) = match name {
        "ticks" => (
            params[0].as_u64().unwrap_or(0),
            params[1].as_u64().unwrap_or(0),
            false,
        ),
        "forever" => (u64::MAX, params[0].as_u64().unwrap_or(10), false),
        "fail" => (params[0].as_u64().unwrap_or(0), 1, true),
        _ => {
            connection.send_json(&json!({
                "jsonrpc": "2.0",
                "error": {"code": -32601, "message": "Method not found"},
                "id": id
            }));
            return;
        }
    };
    let sub = format!("t-{}", connection.next.fetch_add(1, Ordering::SeqCst));
    let active = Arc::new(AtomicBool::new(true));
    {
        let mut subscriptions = connection.subscriptions.lock().unwrap();
        subscriptions.insert(sub.clone(), Arc::clone(&active));
        connection.send_json(&result(&id, json!(sub)));
    }
    let connection = Arc::clone(connection);
    let name = name.to_owned();
    tokio::spawn(async move {
        let sub = json!(sub);
        for i in 0..count {
            tokio::time::sleep(Duration::from_millis(interval)).await;
            if !connection.emit(&active, item(&name, &sub, json!(i))) {
                return;
            }
        }
        let end = if fail {
            json!({"subscription": sub, "error": {"code": -32050, "message": "the ticker broke"}})
        } else {
            json!({"subscription": sub, "complete": true})
        };
        connection.emit(
            &active,
            json!({"jsonrpc": "2.0", "method": name, "params": end}),
        );
        let key = sub.as_str().unwrap_or("").to_owned();
        connection.subscriptions.lock().unwrap().remove(&key);
    });
}

impl Connection {
    fn send(&self, message: Message) {
        let _ = self.out.send(Out::Message(message));
    }

    fn send_text(&self, text: &str) {
        self.send(Message::text(text.to_owned()));
    }

    fn send_json(&self, value: &Value) {
        self.send_text(&value.to_string());
    }

    /// Sends a subscription's message if it is still active; false once it is not.
    fn emit(&self, active: &AtomicBool, message: Value) -> bool {
        let _subscriptions = self.subscriptions.lock().unwrap();
        if !active.load(Ordering::SeqCst) {
            return false;
        }
        self.send_json(&message);
        true
    }
}

fn result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "result": result, "id": id})
}

fn item(name: &str, sub: &Value, value: Value) -> Value {
    json!({"jsonrpc": "2.0", "method": name, "params": {"subscription": sub, "result": value}})
}
