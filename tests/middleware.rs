//! Method middleware through the built-in server: it sees each call once (batches and
//! notifications too), `authorize` rejects before the method runs, `observe` sees outcomes,
//! group-scoped middleware applies to its group only, and the order of the layers.

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonrpc_runtime::middleware::{self, BoxFuture, CallOutput, MethodCall, Middleware, Next};
use jsonrpc_runtime::{method, Error, Methods, Server};
use serde_json::json;
use support::{call, notification, post, post_with, Running};

#[method]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[method]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[method]
fn fail() -> Result<(), Error> {
    Err(Error::new(-32001, "it failed"))
}

static DELETED: AtomicBool = AtomicBool::new(false);

#[method]
fn delete_everything() -> &'static str {
    DELETED.store(true, Ordering::SeqCst);
    "deleted"
}

static ADMIN_RUNS: AtomicU64 = AtomicU64::new(0);

#[method(group = "admin")]
fn reset() -> &'static str {
    ADMIN_RUNS.fetch_add(1, Ordering::SeqCst);
    "reset"
}

#[method(group = "admin")]
fn stats() -> u64 {
    ADMIN_RUNS.load(Ordering::SeqCst)
}

/// Records `label:method:id` for every call it sees, before and after the rest of the chain.
#[derive(Clone, Default)]
struct Recorder {
    label: &'static str,
    log: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn new(label: &'static str, log: &Arc<Mutex<Vec<String>>>) -> Self {
        Recorder {
            label,
            log: Arc::clone(log),
        }
    }
}

impl Middleware for Recorder {
    fn handle<'a>(&'a self, call: MethodCall<'a>, next: Next<'a>) -> BoxFuture<'a, CallOutput> {
        Box::pin(async move {
            let what = format!(
                "{}:{}:{}",
                self.label,
                call.method(),
                call.id().unwrap_or("-")
            );
            self.log.lock().unwrap().push(format!("{what} before"));
            let output = next.run().await;
            self.log.lock().unwrap().push(format!("{what} after"));
            output
        })
    }
}

fn taken(log: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

#[tokio::test]
async fn middleware_sees_each_call_exactly_once() {
    let log = Arc::default();
    let server = Running::server(
        Server::builder()
            .methods(Methods::registered())
            .middleware(Recorder::new("m", &log)),
    )
    .await;

    let reply = post(server.addr, "/", &call("add", "[1,2]", "1")).await;
    assert_eq!(reply.result(), 3);
    assert_eq!(taken(&log), ["m:add:1 before", "m:add:1 after"]);

    let reply = post(server.addr, "/", &notification("add", "[1,2]")).await;
    assert_eq!(reply.status, 204);
    assert_eq!(taken(&log), ["m:add:- before", "m:add:- after"]);

    // A batch: two calls, a notification, an unknown method and an invalid entry. Middleware
    // runs around methods, so it sees the three calls of `add`, each once.
    let batch = format!(
        r#"[{},{},{},{},{{"foo":"bar"}}]"#,
        call("add", "[1,1]", "10"),
        notification("add", "[2,2]"),
        call("add", "[3,3]", r#""twelve""#),
        call("nope", "[]", "13"),
    );
    let reply = post(server.addr, "/", &batch).await;
    assert_eq!(reply.json().as_array().unwrap().len(), 4);
    assert_eq!(
        sorted(taken(&log)),
        [
            "m:add:\"twelve\" after",
            "m:add:\"twelve\" before",
            "m:add:- after",
            "m:add:- before",
            "m:add:10 after",
            "m:add:10 before",
        ]
    );
}

#[tokio::test]
async fn authorize_rejects_with_its_error_and_the_method_does_not_run() {
    let server = Running::server(Server::builder().middleware(middleware::authorize(|call| {
        if call.method().starts_with("delete") {
            let allowed = call
                .context
                .request
                .and_then(|request| request.headers.get("x-role"))
                .is_some_and(|role| role == "owner");
            if !allowed {
                return Err(Error::new(-32004, "forbidden").with_data(call.method()));
            }
        }
        Ok(())
    })))
    .await;

    let reply = post(server.addr, "/", &call("delete_everything", "[]", "1")).await;
    assert_eq!(
        reply.body,
        r#"{"jsonrpc":"2.0","error":{"code":-32004,"message":"forbidden","data":"delete_everything"},"id":1}"#
    );
    // Nor as a notification, nor inside a batch.
    post(server.addr, "/", &notification("delete_everything", "[]")).await;
    let batch = format!(
        "[{},{}]",
        call("delete_everything", "[]", "2"),
        call("add", "[2,2]", "3")
    );
    let reply = post(server.addr, "/", &batch).await;
    assert_eq!(reply.json()[0]["error"]["code"], -32004);
    assert_eq!(reply.json()[1]["result"], 4);
    assert!(!DELETED.load(Ordering::SeqCst), "a rejected method ran");

    // Allowed, the method runs.
    let reply = post_with(
        server.addr,
        "/",
        &[("x-role", "owner")],
        &call("delete_everything", "[]", "4"),
    )
    .await;
    assert_eq!(reply.result(), "deleted");
    assert!(DELETED.load(Ordering::SeqCst));
}

/// One observation: method, id, result or error code, time taken.
type Seen = (String, Option<String>, Result<String, i32>, Duration);

#[tokio::test]
async fn observe_sees_each_outcome_and_its_duration() {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let server = Running::server(Server::builder().middleware(middleware::observe(
        move |call, output, elapsed| {
            let outcome = match output.result_json() {
                Some(json) => Ok(json.to_owned()),
                None => Err(output.error_object().unwrap().code()),
            };
            assert_eq!(output.is_success(), outcome.is_ok());
            sink.lock().unwrap().push((
                call.method().to_owned(),
                call.id().map(str::to_owned),
                outcome,
                elapsed,
            ));
        },
    )))
    .await;

    let batch = format!(
        "[{},{},{},{}]",
        call("add", "[20,22]", "1"),
        call("fail", "[]", "2"),
        call("add", r#"["x"]"#, "3"),
        notification("nap", "[60]"),
    );
    post(server.addr, "/", &batch).await;
    let mut seen = std::mem::take(&mut *seen.lock().unwrap());
    seen.sort_by(|a, b| a.1.cmp(&b.1));
    let summary: Vec<_> = seen
        .iter()
        .map(|(method, id, outcome, _)| (method.as_str(), id.as_deref(), outcome.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("nap", None, Ok("60".to_owned())),
            ("add", Some("1"), Ok("42".to_owned())),
            ("fail", Some("2"), Err(-32001)),
            ("add", Some("3"), Err(-32602)),
        ]
    );
    assert!(seen[0].3 >= Duration::from_millis(60), "{:?}", seen[0].3);
}

#[tokio::test]
async fn middleware_can_replace_a_result() {
    struct Doubler;
    impl Middleware for Doubler {
        fn handle<'a>(&'a self, call: MethodCall<'a>, next: Next<'a>) -> BoxFuture<'a, CallOutput> {
            Box::pin(async move {
                let output = next.run().await;
                if call.method() != "add" {
                    return output;
                }
                let value: i64 = output.result_json().unwrap().parse().unwrap();
                CallOutput::success(&json!({ "doubled": value * 2 }))
            })
        }
    }
    let server = Running::server(Server::builder().middleware(Doubler)).await;
    let reply = post(server.addr, "/", &call("add", "[2,3]", "1")).await;
    assert_eq!(reply.result(), json!({ "doubled": 10 }));
}

/// Middleware is handed the params and the id as `RawValue`s, as the client wrote them, whichever
/// reader read the body: the scanner (plain strings) or serde_json (an escape in the method name).
#[tokio::test]
async fn middleware_sees_the_params_and_id_as_raw_values() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let dispatcher = jsonrpc_runtime::Dispatcher::builder()
        .methods(Methods::registered())
        .middleware(middleware::observe(move |call, _, _| {
            let params = call.params.map(|p| p.get().to_owned());
            let id = call.context.id.map(|id| id.get().to_owned());
            record.lock().unwrap().push((params, id));
        }))
        .build()
        .unwrap();
    for body in [
        r#"{"jsonrpc":"2.0","method":"add","params":[2, 3],"id":"a\"b"}"#,
        r#"{"jsonrpc":"2.0","method":"\u0061dd","params":{"a":2,"b":3},"id":7}"#,
        r#"{"jsonrpc":"2.0","method":"add","params":[2,3]}"#,
    ] {
        dispatcher.dispatch(body.as_bytes()).await;
    }
    let text = |s: &str| Some(s.to_owned());
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (text("[2, 3]"), text(r#""a\"b""#)),
            (text(r#"{"a":2,"b":3}"#), text("7")),
            (text("[2,3]"), None),
        ]
    );
}

/// Only admins may call the admin group: a header says who is one.
fn admin_only() -> impl Middleware {
    middleware::authorize(|call| {
        let admin = call
            .context
            .request
            .and_then(|request| request.headers.get("x-admin"))
            .is_some_and(|value| value == "yes");
        if admin {
            Ok(())
        } else {
            Err(Error::new(-32003, "admins only"))
        }
    })
}

#[tokio::test]
async fn group_scoped_middleware_applies_to_that_group_only() {
    let log = Arc::default();
    let admin = Methods::registered()
        .group("admin")
        .layer(Recorder::new("admin", &log))
        .layer(admin_only());
    let rest = Methods::registered().filter(|_, def| def.group() != Some("admin"));
    let server = Running::server(Server::builder().methods(admin.merge(rest))).await;

    let reply = post(server.addr, "/", &call("add", "[1,2]", "1")).await;
    assert_eq!(reply.result(), 3);
    assert_eq!(taken(&log), Vec::<String>::new());

    let before = ADMIN_RUNS.load(Ordering::SeqCst);
    let reply = post(server.addr, "/", &call("reset", "[]", "2")).await;
    assert_eq!(reply.error(), (-32003, "admins only".to_owned()));
    assert_eq!(taken(&log), ["admin:reset:2 before", "admin:reset:2 after"]);

    let reply = post_with(
        server.addr,
        "/",
        &[("x-admin", "yes")],
        &call("reset", "[]", "3"),
    )
    .await;
    assert_eq!(reply.result(), "reset");
    assert_eq!(taken(&log), ["admin:reset:3 before", "admin:reset:3 after"]);
    assert!(ADMIN_RUNS.load(Ordering::SeqCst) > before);

    // The group filter also saw `stats`; the rest of the methods are outside it.
    let reply = post(server.addr, "/", &call("stats", "[]", "4")).await;
    assert_eq!(reply.error().0, -32003);
    let reply = post(server.addr, "/", &call("fail", "[]", "5")).await;
    assert_eq!(reply.error().0, -32001);
}

#[tokio::test]
async fn dispatcher_middleware_runs_outside_set_middleware_in_the_order_added() {
    let log = Arc::default();
    let methods = Methods::registered()
        .only(&["add"])
        .layer(Recorder::new("set1", &log))
        .layer(Recorder::new("set2", &log));
    let server = Running::server(
        Server::builder()
            .methods(methods)
            .middleware(Recorder::new("outer1", &log))
            .middleware(Recorder::new("outer2", &log)),
    )
    .await;
    let reply = post(server.addr, "/", &call("add", "[1,2]", "1")).await;
    assert_eq!(reply.result(), 3);
    assert_eq!(
        taken(&log),
        [
            "outer1:add:1 before",
            "outer2:add:1 before",
            "set1:add:1 before",
            "set2:add:1 before",
            "set2:add:1 after",
            "set1:add:1 after",
            "outer2:add:1 after",
            "outer1:add:1 after",
        ]
    );
}

#[tokio::test]
async fn an_outer_rejection_skips_the_inner_middleware() {
    let log = Arc::default();
    let methods = Methods::registered()
        .only(&["add"])
        .layer(Recorder::new("inner", &log));
    let server = Running::server(
        Server::builder()
            .methods(methods)
            .middleware(middleware::authorize(|_| Err(Error::new(-32005, "closed")))),
    )
    .await;
    let reply = post(server.addr, "/", &call("add", "[1,2]", "1")).await;
    assert_eq!(reply.error(), (-32005, "closed".to_owned()));
    assert_eq!(taken(&log), Vec::<String>::new());
}

#[tokio::test]
async fn a_panic_in_middleware_fails_its_call_only() {
    let server = Running::server(Server::builder().middleware(middleware::authorize(|call| {
        if call.id() == Some("2") {
            panic!("the check blew up");
        }
        Ok(())
    })))
    .await;
    let batch = format!(
        "[{},{},{}]",
        call("add", "[1,1]", "1"),
        call("add", "[2,2]", "2"),
        call("add", "[3,3]", "3")
    );
    let reply = post(server.addr, "/", &batch).await;
    assert_eq!(
        reply.json(),
        json!([
            {"jsonrpc": "2.0", "result": 2, "id": 1},
            {"jsonrpc": "2.0", "error": {"code": -32603, "message": "Internal error"}, "id": 2},
            {"jsonrpc": "2.0", "result": 6, "id": 3},
        ])
    );
}
