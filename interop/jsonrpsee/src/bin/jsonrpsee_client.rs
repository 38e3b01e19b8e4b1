//! jsonrpsee 0.26's WebSocket client against our spec server (`examples/spec_server.rs`).
//!
//! ```sh
//! cargo run --bin jsonrpsee_client -- ws://127.0.0.1:5000/
//! ```
//!
//! Prints `ok NAME` or `FAIL NAME: why` for each check, then `N passed, N failed`; exits 1 if a
//! check failed, 2 on bad arguments. Every step has a timeout, so a server that never answers
//! fails the check rather than hanging.
//!
//! What jsonrpsee does with our end-of-subscription notifications (from its source,
//! `jsonrpsee-core` `client/async_client`): a `{"subscription":ID,"error":..}` notification
//! closes the stream (jsonrpsee drops the error object: the stream just ends); a
//! `{"subscription":ID,"complete":true}` notification parses as neither an item nor an error,
//! so it is taken for an ordinary notification with no handler and ignored: the stream stays
//! open until it is unsubscribed or dropped. The checks below assert exactly that, and that the
//! ignored message does not break the connection.

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use jsonrpsee::core::client::{
    ClientT, Error, Subscription, SubscriptionClientT, SubscriptionKind,
};
use jsonrpsee::core::params::{BatchRequestBuilder, ObjectParams};
use jsonrpsee::rpc_params;
use jsonrpsee::types::SubscriptionId;
use jsonrpsee_ws_client::{WsClient, WsClientBuilder};
use serde_json::{json, Value};

/// How long any one step may take.
const STEP: Duration = Duration::from_secs(10);
/// How long to wait to be sure that nothing more comes.
const QUIET: Duration = Duration::from_millis(500);

/// A check's outcome: `Err` says why it failed.
type Outcome = Result<(), String>;

/// The pass and fail counts.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
}

impl Tally {
    /// Runs one check, with a timeout, and prints its line.
    async fn check(&mut self, name: &str, check: impl Future<Output = Outcome>) {
        let outcome = match tokio::time::timeout(STEP * 3, check).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no outcome within {:?}", STEP * 3)),
        };
        match outcome {
            Ok(()) => {
                self.passed += 1;
                println!("ok {name}");
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL {name}: {why}");
            }
        }
    }
}

/// `Ok` when `got == want`, else an error that shows both.
fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {want:?}, got {got:?}"))
    }
}

/// Awaits `future` for at most [`STEP`].
async fn within<T>(what: &str, future: impl Future<Output = T>) -> Result<T, String> {
    tokio::time::timeout(STEP, future)
        .await
        .map_err(|_| format!("{what}: no answer within {STEP:?}"))
}

/// A call that must succeed with `want`.
async fn call(
    client: &WsClient,
    method: &str,
    params: impl jsonrpsee::core::traits::ToRpcParams + Send,
    want: Value,
) -> Outcome {
    let got: Value = within(method, client.request(method, params))
        .await?
        .map_err(|e| format!("{method}: {e}"))?;
    expect_eq(method, got, want)
}

/// A call that must fail with error `code`.
async fn call_error(
    client: &WsClient,
    method: &str,
    params: impl jsonrpsee::core::traits::ToRpcParams + Send,
    code: i32,
) -> Outcome {
    match within(method, client.request::<Value, _>(method, params)).await? {
        Ok(value) => Err(format!(
            "{method}: expected error {code}, got the result {value}"
        )),
        Err(Error::Call(error)) => expect_eq(&format!("{method}'s error code"), error.code(), code),
        Err(other) => Err(format!("{method}: expected error {code}, got {other}")),
    }
}

/// The next item of `sub`, which must come within [`STEP`].
async fn next_item(sub: &mut Subscription<Value>) -> Result<Value, String> {
    match within("the next item", sub.next()).await? {
        Some(Ok(item)) => Ok(item),
        Some(Err(e)) => Err(format!("an item that is not JSON: {e}")),
        None => Err(format!("the stream ended early ({:?})", sub.close_reason())),
    }
}

/// `Ok(Some(item))` if an item came within [`QUIET`], `Ok(None)` if the stream ended, `Err`
/// if nothing happened.
async fn next_quiet(sub: &mut Subscription<Value>) -> Result<Option<Value>, ()> {
    match tokio::time::timeout(QUIET, sub.next()).await {
        Ok(Some(item)) => Ok(Some(item.unwrap_or_else(|e| json!(e.to_string())))),
        Ok(None) => Ok(None),
        Err(_) => Err(()),
    }
}

/// Our subscription ids: strings of 32 lowercase hex digits.
fn check_id(sub: &Subscription<Value>) -> Outcome {
    match sub.kind() {
        SubscriptionKind::Subscription(SubscriptionId::Str(id)) => {
            let hex = id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            if hex {
                Ok(())
            } else {
                Err(format!(
                    "subscription id {id:?} is not 32 lowercase hex digits"
                ))
            }
        }
        other => Err(format!("subscription id {other:?} is not a string")),
    }
}

async fn subscribe(
    client: &WsClient,
    method: &str,
    params: jsonrpsee::core::params::ArrayParams,
    unsubscribe: &str,
) -> Result<Subscription<Value>, String> {
    within(method, client.subscribe(method, params, unsubscribe))
        .await?
        .map_err(|e| format!("{method}: {e}"))
}

/// `publish(value)` must answer `want` (the number of live `events` subscribers), trying for
/// up to [`STEP`]: an unsubscribe sent just before may still be on its way.
async fn publish_until(client: &WsClient, value: Value, want: u64) -> Outcome {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let got: u64 = within(
            "publish",
            client.request("publish", rpc_params![value.clone()]),
        )
        .await?
        .map_err(|e| format!("publish: {e}"))?;
        if got == want {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("publish: expected {want} subscribers, got {got}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn run(url: &str) -> Tally {
    let mut tally = Tally::default();
    let client = match within(
        "connect",
        WsClientBuilder::default().request_timeout(STEP).build(url),
    )
    .await
    {
        Ok(Ok(client)) => {
            tally.check("connect", async { Ok(()) }).await;
            client
        }
        Ok(Err(e)) => {
            tally
                .check("connect", async move { Err(format!("{url}: {e}")) })
                .await;
            return tally;
        }
        Err(why) => {
            tally.check("connect", async move { Err(why) }).await;
            return tally;
        }
    };
    let client = &client;

    tally
        .check("ping", call(client, "ping", rpc_params![], json!("pong")))
        .await;
    tally
        .check(
            "subtract by position",
            call(client, "subtract", rpc_params![42, 23], json!(19)),
        )
        .await;
    tally
        .check("subtract by name", async {
            let mut params = ObjectParams::new();
            params.insert("subtrahend", 23).map_err(|e| e.to_string())?;
            params.insert("minuend", 42).map_err(|e| e.to_string())?;
            call(client, "subtract", params, json!(19)).await
        })
        .await;
    tally
        .check(
            "method not found is -32601",
            call_error(client, "no_such_method", rpc_params![], -32601),
        )
        .await;
    tally
        .check(
            "invalid params is -32602",
            call_error(client, "subtract", rpc_params![1], -32602),
        )
        .await;
    tally
        .check("an application error keeps its code and data", async {
            match within(
                "divide",
                client.request::<Value, _>("divide", rpc_params![1, 0]),
            )
            .await?
            {
                Err(Error::Call(error)) => {
                    expect_eq("code", error.code(), -32001)?;
                    let data: Option<Value> = error
                        .data()
                        .map(|d| serde_json::from_str(d.get()).unwrap_or(Value::Null));
                    expect_eq("data", data, Some(json!({ "dividend": 1.0 })))
                }
                other => Err(format!("expected error -32001, got {other:?}")),
            }
        })
        .await;
    tally
        .check("batch", async {
            let mut batch = BatchRequestBuilder::new();
            batch
                .insert("ping", rpc_params![])
                .map_err(|e| e.to_string())?;
            batch
                .insert("subtract", rpc_params![42, 23])
                .map_err(|e| e.to_string())?;
            batch
                .insert("no_such_method", rpc_params![])
                .map_err(|e| e.to_string())?;
            batch
                .insert("sleep", rpc_params![50])
                .map_err(|e| e.to_string())?;
            batch
                .insert("subtract", rpc_params![23, 42])
                .map_err(|e| e.to_string())?;
            let answers = within("batch", client.batch_request::<Value>(batch))
                .await?
                .map_err(|e| format!("batch: {e}"))?;
            let got: Vec<Result<Value, i32>> = answers
                .into_iter()
                .map(|a| a.map_err(|e| e.code()))
                .collect();
            expect_eq(
                "answers",
                got,
                vec![
                    Ok(json!("pong")),
                    Ok(json!(19)),
                    Err(-32601),
                    Ok(json!(50)),
                    Ok(json!(-19)),
                ],
            )
        })
        .await;
    tally
        .check(
            "notification (no answer; the connection stays usable)",
            async {
                within(
                    "notify_hello",
                    client.notification("notify_hello", rpc_params![7]),
                )
                .await?
                .map_err(|e| format!("notify_hello: {e}"))?;
                call(client, "ping", rpc_params![], json!("pong")).await?;
                expect_eq("connected", client.is_connected(), true)
            },
        )
        .await;
    tally
        .check(
            "concurrent calls: a slow one does not hold up a fast one",
            async {
                let slow = client.request::<Value, _>("sleep", rpc_params![1000]);
                let fast = async {
                    let started = tokio::time::Instant::now();
                    let pong: Value = client
                        .request("ping", rpc_params![])
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok::<_, String>((pong, started.elapsed()))
                };
                let (slow, fast) =
                    within("sleep and ping", async { tokio::join!(slow, fast) }).await?;
                let (pong, took) = fast?;
                expect_eq("ping", pong, json!("pong"))?;
                expect_eq("sleep", slow.map_err(|e| e.to_string())?, json!(1000))?;
                if took >= Duration::from_millis(900) {
                    return Err(format!("ping took {took:?}: it waited for the sleep"));
                }
                Ok(())
            },
        )
        .await;

    // --- subscriptions ------------------------------------------------------------------
    tally
        .check(
            "subscribe_ticks [3, 10]: items 0, 1, 2 and a string id",
            async {
                let params = rpc_params![3, 10];
                let mut sub =
                    subscribe(client, "subscribe_ticks", params, "unsubscribe_ticks").await?;
                check_id(&sub)?;
                for n in 0..3 {
                    expect_eq("item", next_item(&mut sub).await?, json!(n))?;
                }
                // Our `complete` notification follows. jsonrpsee knows no such message: it must
                // neither yield an item nor break the connection. If a later jsonrpsee ends the
                // stream on it instead, that is fine too.
                match next_quiet(&mut sub).await {
                    Ok(Some(item)) => return Err(format!("an item after the last one: {item}")),
                    Ok(None) => println!("note: jsonrpsee ended the stream on `complete`"),
                    Err(()) => println!(
                        "note: jsonrpsee kept the stream open after `complete` \
                     (expected: it closes only on `error`)"
                    ),
                }
                within("unsubscribe", sub.unsubscribe())
                    .await?
                    .map_err(|e| e.to_string())?;
                call(client, "ping", rpc_params![], json!("pong")).await?;
                expect_eq("connected", client.is_connected(), true)
            },
        )
        .await;
    tally
        .check("subscribe_ticks by name", async {
            let mut params = ObjectParams::new();
            params.insert("count", 2).map_err(|e| e.to_string())?;
            params.insert("interval_ms", 5).map_err(|e| e.to_string())?;
            let mut sub: Subscription<Value> = within(
                "subscribe_ticks",
                client.subscribe("subscribe_ticks", params, "unsubscribe_ticks"),
            )
            .await?
            .map_err(|e| format!("subscribe_ticks: {e}"))?;
            expect_eq("item", next_item(&mut sub).await?, json!(0))?;
            expect_eq("item", next_item(&mut sub).await?, json!(1))?;
            within("unsubscribe", sub.unsubscribe())
                .await?
                .map_err(|e| e.to_string())
        })
        .await;
    tally
        .check("subscribe_ticks with bad params is -32602", async {
            match within(
                "subscribe_ticks",
                client.subscribe::<Value, _>(
                    "subscribe_ticks",
                    rpc_params!["three"],
                    "unsubscribe_ticks",
                ),
            )
            .await?
            {
                Ok(_) => Err("subscribed with bad params".to_owned()),
                Err(Error::Call(error)) => expect_eq("code", error.code(), -32602),
                Err(other) => Err(format!("expected error -32602, got {other}")),
            }
        })
        .await;
    tally
        .check("an endless subscription, unsubscribed explicitly", async {
            let mut sub = subscribe(
                client,
                "subscribe_ticks",
                rpc_params![1_000_000, 5],
                "unsubscribe_ticks",
            )
            .await?;
            expect_eq("item", next_item(&mut sub).await?, json!(0))?;
            expect_eq("item", next_item(&mut sub).await?, json!(1))?;
            // jsonrpsee sends unsubscribe_ticks and waits until the stream is closed.
            within("unsubscribe", sub.unsubscribe())
                .await?
                .map_err(|e| e.to_string())?;
            call(client, "ping", rpc_params![], json!("pong")).await
        })
        .await;
    tally
        .check("two subscriptions at once get their own items", async {
            let mut slow = subscribe(
                client,
                "subscribe_ticks",
                rpc_params![2, 60],
                "unsubscribe_ticks",
            )
            .await?;
            let mut fast = subscribe(
                client,
                "subscribe_ticks",
                rpc_params![4, 5],
                "unsubscribe_ticks",
            )
            .await?;
            for n in 0..4 {
                expect_eq("fast item", next_item(&mut fast).await?, json!(n))?;
            }
            for n in 0..2 {
                expect_eq("slow item", next_item(&mut slow).await?, json!(n))?;
            }
            drop(fast);
            within("unsubscribe", slow.unsubscribe())
                .await?
                .map_err(|e| e.to_string())
        })
        .await;
    tally
        .check(
            "subscribe_events: publish reaches it, unsubscribe stops it",
            async {
                let mut sub = subscribe(
                    client,
                    "subscribe_events",
                    rpc_params![],
                    "unsubscribe_events",
                )
                .await?;
                check_id(&sub)?;
                // publish answers how many subscribers it reached: this one (nothing else runs).
                publish_until(client, json!({ "n": 1 }), 1).await?;
                expect_eq("event", next_item(&mut sub).await?, json!({ "n": 1 }))?;
                publish_until(client, json!("two"), 1).await?;
                expect_eq("event", next_item(&mut sub).await?, json!("two"))?;
                within("unsubscribe", sub.unsubscribe())
                    .await?
                    .map_err(|e| e.to_string())?;
                publish_until(client, json!(3), 0).await
            },
        )
        .await;
    tally
        .check("a dropped subscription is unsubscribed", async {
            let mut sub = subscribe(
                client,
                "subscribe_events",
                rpc_params![],
                "unsubscribe_events",
            )
            .await?;
            publish_until(client, json!(1), 1).await?;
            expect_eq("event", next_item(&mut sub).await?, json!(1))?;
            drop(sub);
            // jsonrpsee sends the unsubscribe call from its background task.
            publish_until(client, json!(2), 0).await
        })
        .await;
    tally
        .check("the connection is still up", async {
            call(client, "ping", rpc_params![], json!("pong")).await?;
            expect_eq("connected", client.is_connected(), true)
        })
        .await;
    tally
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(url), None) = (args.next(), args.next()) else {
        eprintln!("usage: jsonrpsee_client ws://HOST:PORT/");
        return ExitCode::from(2);
    };
    let tally = run(&url).await;
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
