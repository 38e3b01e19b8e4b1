//! The WebSocket client's opt-in reconnect, against a server that is killed and started again
//! on the same port: a TCP front (standing in for a load balancer's port) that can be shut,
//! dropping every connection, in front of the test server of `client_ws_support`; each
//! restart puts a fresh server behind it (a new instance: its subscription ids start again).
//! The calls sent again after a close with 1001 are tested against this crate's own server,
//! which drains.

mod client_ws_support;
mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use client_ws_support::MiniServer;
use common::started::Started;
use futures_util::StreamExt;
use jsonrpc_runtime::client::{
    ClientError, Id, Reconnect, Subscription, SubscriptionEvent, WsClient,
};
use jsonrpc_runtime::{method, Server, State};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A server on a fixed port that can be killed and started again.
struct Restartable {
    addr: SocketAddr,
    backend: MiniServer,
    front: Option<JoinHandle<()>>,
}

impl Restartable {
    async fn start() -> Restartable {
        let backend = MiniServer::start().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let front = Some(tokio::spawn(front(listener, backend.addr)));
        Restartable {
            addr,
            backend,
            front,
        }
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Closes the port and every connection through it.
    async fn kill(&mut self) {
        if let Some(front) = self.front.take() {
            front.abort();
            let _ = front.await;
        }
    }

    /// Serves the same port again, with a fresh server behind it.
    async fn restart(&mut self) {
        self.kill().await;
        self.backend = MiniServer::start().await;
        let listener = TcpListener::bind(self.addr).await.expect("the port again");
        self.front = Some(tokio::spawn(front(listener, self.backend.addr)));
    }
}

/// Forwards each connection to `backend`; aborting it drops them all.
async fn front(listener: TcpListener, backend: SocketAddr) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((mut client, _)) = accepted else { return };
                connections.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

fn policy() -> Reconnect {
    Reconnect::new()
        .initial_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(200))
        .max_attempts(200)
}

async fn reconnecting(server: &Restartable) -> WsClient {
    WsClient::builder()
        .reconnect(policy())
        .connect(&server.url())
        .await
        .expect("connects")
}

async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within 5 s"))
}

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    within(what, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

fn is_closed(error: &ClientError, says: &str) -> bool {
    matches!(error, ClientError::ConnectionClosed(reason) if reason.contains(says))
}

fn calls_to(server: &MiniServer, method: &str) -> Vec<Value> {
    server
        .received()
        .into_iter()
        .filter(|message| message["method"] == method)
        .collect()
}

#[tokio::test]
async fn a_subscription_survives_a_restart_and_says_it_resumed() {
    let mut server = Restartable::start().await;
    let client = reconnecting(&server).await;
    let mut ticks: Subscription<u64> = client
        .subscribe("subscribe_forever", [10], "unsubscribe_forever")
        .await
        .unwrap();
    let mut other: Subscription<u64> = client
        .subscribe("subscribe_forever", [15], "unsubscribe_forever")
        .await
        .unwrap();
    assert_eq!(within("an item", ticks.next()).await.unwrap().unwrap(), 0);
    assert_eq!(within("an item", other.next()).await.unwrap().unwrap(), 0);
    let (id, other_id) = (ticks.id().clone(), other.id().clone());
    assert_eq!(ticks.server_id(), id);
    assert_eq!(ticks.resumed(), 0);

    server.kill().await;
    wait_until("the client notices", || !client.is_connected()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.restart().await;

    // The items of the old connection still buffered, then the seam, then the new server's
    // items, from its start.
    within("the resume", async {
        while let SubscriptionEvent::Item(item) = ticks.next_event().await.expect("not the end") {
            item.unwrap();
        }
    })
    .await;
    assert_eq!(ticks.resumed(), 1);
    match within("an item", ticks.next_event()).await {
        Some(SubscriptionEvent::Item(Ok(0))) => {}
        other => panic!("the new server's first item, not {other:?}"),
    }
    assert_eq!(within("an item", ticks.next()).await.unwrap().unwrap(), 1);
    assert!(client.is_connected());

    // The plain stream skips the seam; `resumed` turns just before the first new item.
    let first_new = within("the other resumes", async {
        loop {
            let item = other.next().await.expect("not the end").unwrap();
            if other.resumed() == 1 {
                return item;
            }
        }
    })
    .await;
    assert_eq!(first_new, 0);

    // The same subscribe calls, made again on the new server; the ids the caller holds stay.
    let resubscribed = calls_to(&server.backend, "subscribe_forever");
    let mut params: Vec<Value> = resubscribed.iter().map(|m| m["params"].clone()).collect();
    params.sort_by_key(|p| p[0].as_u64());
    assert_eq!(params, [json!([10]), json!([15])]);
    assert_eq!((ticks.id(), other.id()), (&id, &other_id));
    let mut new_ids = [ticks.server_id(), other.server_id()];
    new_ids.sort_by_key(|id| id.to_string());
    assert_eq!(
        new_ids,
        [Id::Str("t-1".to_owned()), Id::Str("t-2".to_owned())]
    );

    // Unsubscribing names the new server's id.
    let new_id = ticks.server_id();
    assert!(ticks.unsubscribe().await.unwrap());
    let unsubscribes = calls_to(&server.backend, "unsubscribe_forever");
    assert_eq!(unsubscribes.len(), 1);
    assert_eq!(unsubscribes[0]["params"], json!([new_id]));
    // The other one still goes on.
    within("an item", other.next()).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_call_made_during_the_outage_waits_for_the_new_connection() {
    let mut server = Restartable::start().await;
    let client = reconnecting(&server).await;

    // A call in flight when the connection drops fails: its answer is lost.
    let slow = tokio::spawn({
        let client = client.clone();
        async move { client.request::<u64>("sleep", [5000]).await }
    });
    server
        .backend
        .wait_for(|message| message["method"] == "sleep")
        .await
        .expect("the call reached the server");
    server.kill().await;
    let error = within("the lost call", slow).await.unwrap().unwrap_err();
    assert!(
        is_closed(&error, "may or may not have run"),
        "the error says the answer is lost: {error}"
    );

    // A call made now waits for the new connection.
    wait_until("the client notices", || !client.is_connected()).await;
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { client.request::<String>("ping", ()).await }
    });
    // A notification sent now is queued for it.
    let notified = tokio::spawn({
        let client = client.clone();
        async move { client.notify("update", [1]).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "it waits while the server is down");
    server.restart().await;
    assert_eq!(within("the call", waiting).await.unwrap().unwrap(), "pong");
    within("the notification", notified).await.unwrap().unwrap();
    server
        .backend
        .wait_for(|message| message["method"] == "update")
        .await
        .expect("the notification went to the new server");
    assert!(client.is_connected());
    let difference: i64 = client.request("subtract", (42, 23)).await.unwrap();
    assert_eq!(difference, 19);

    // It still has its own timeout.
    server.kill().await;
    wait_until("the client notices", || !client.is_connected()).await;
    let short = client.with_timeout(Duration::from_millis(200));
    match short.request::<String>("ping", ()).await {
        Err(ClientError::TimedOut(timeout)) => assert_eq!(timeout, Duration::from_millis(200)),
        other => panic!("a timeout, not {other:?}"),
    }
    // A call that timed out while waiting is not sent on the new connection.
    server.restart().await;
    let pong: String = within("a call", client.request("ping", ())).await.unwrap();
    assert_eq!(pong, "pong");
    assert_eq!(calls_to(&server.backend, "ping").len(), 1);
}

#[tokio::test]
async fn without_reconnect_a_drop_ends_everything_as_before() {
    let mut server = Restartable::start().await;
    let client = WsClient::connect(&server.url()).await.unwrap();
    let mut ticks: Subscription<u64> = client
        .subscribe("subscribe_forever", [10], "unsubscribe_forever")
        .await
        .unwrap();
    assert_eq!(within("an item", ticks.next()).await.unwrap().unwrap(), 0);
    server.kill().await;
    let end = within("the end", async {
        loop {
            match ticks.next_event().await.expect("an error first") {
                SubscriptionEvent::Item(Ok(_)) => {}
                SubscriptionEvent::Item(Err(error)) => return error,
                SubscriptionEvent::Resumed => panic!("no resume without reconnect"),
            }
        }
    })
    .await;
    assert!(matches!(end, ClientError::ConnectionClosed(_)), "{end}");
    assert!(ticks.next().await.is_none());
    server.restart().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!client.is_connected());
    match client.request::<String>("ping", ()).await {
        Err(ClientError::ConnectionClosed(_)) => {}
        other => panic!("closed, not {other:?}"),
    }
    assert_eq!(ticks.resumed(), 0);
}

#[tokio::test]
async fn after_the_last_attempt_everything_fails_as_closed() {
    let mut server = Restartable::start().await;
    let client = WsClient::builder()
        .reconnect(
            Reconnect::new()
                .initial_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(20))
                .max_attempts(3),
        )
        .connect(&server.url())
        .await
        .unwrap();
    let mut ticks: Subscription<u64> = client
        .subscribe("subscribe_forever", [10], "unsubscribe_forever")
        .await
        .unwrap();
    within("an item", ticks.next()).await.unwrap().unwrap();
    server.kill().await;
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { client.request::<String>("ping", ()).await }
    });
    let end = within("the end", async {
        loop {
            match ticks.next().await.expect("an error first") {
                Ok(_) => {}
                Err(error) => return error,
            }
        }
    })
    .await;
    assert!(is_closed(&end, "reconnecting failed 3 times"), "{end}");
    assert!(ticks.next().await.is_none());
    let error = within("the waiting call", waiting)
        .await
        .unwrap()
        .unwrap_err();
    assert!(is_closed(&error, "reconnecting failed"), "{error}");
    assert!(!client.is_connected());
    match client.request::<String>("ping", ()).await {
        Err(ClientError::ConnectionClosed(_)) => {}
        other => panic!("closed, not {other:?}"),
    }
}

#[tokio::test]
async fn closing_while_reconnecting_stops_it() {
    let mut server = Restartable::start().await;
    let client = reconnecting(&server).await;
    let ticks: Subscription<u64> = client
        .subscribe("subscribe_forever", [10], "unsubscribe_forever")
        .await
        .unwrap();
    server.kill().await;
    wait_until("the client notices", || !client.is_connected()).await;
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { client.request::<String>("ping", ()).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.close().await;
    let error = within("the waiting call", waiting)
        .await
        .unwrap()
        .unwrap_err();
    assert!(is_closed(&error, "the client closed"), "{error}");
    // Nothing reconnects once it is closed.
    server.restart().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(server.backend.received().is_empty());
    drop(ticks);
}

#[tokio::test]
async fn unsubscribing_and_dropping_while_reconnecting() {
    let mut server = Restartable::start().await;
    let client = reconnecting(&server).await;
    let kept: Subscription<u64> = client
        .subscribe("subscribe_forever", [10], "unsubscribe_forever")
        .await
        .unwrap();
    let dropped: Subscription<u64> = client
        .subscribe("subscribe_forever", [20], "unsubscribe_forever")
        .await
        .unwrap();
    let unsubscribed: Subscription<u64> = client
        .subscribe("subscribe_forever", [30], "unsubscribe_forever")
        .await
        .unwrap();
    server.kill().await;
    wait_until("the client notices", || !client.is_connected()).await;
    drop(dropped);
    let unsubscribing = tokio::spawn(unsubscribed.unsubscribe());
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.restart().await;
    // Forgotten without asking the new server, which never hears of them.
    assert!(within("the unsubscribe", unsubscribing)
        .await
        .unwrap()
        .unwrap());
    let mut kept = kept;
    within("the resume", async {
        while kept.resumed() == 0 {
            kept.next().await.expect("not the end").unwrap();
        }
    })
    .await;
    let subscribes = calls_to(&server.backend, "subscribe_forever");
    assert_eq!(subscribes.len(), 1, "{subscribes:?}");
    assert_eq!(subscribes[0]["params"], json!([10]));
    assert!(calls_to(&server.backend, "unsubscribe_forever").is_empty());
}

/// Sleeps `ms` milliseconds, then returns `ms`; notes its start in the server's `Started`.
#[method]
async fn nap(ms: u64, started: Started) -> u64 {
    started.nap(ms).await
}

/// How many times `tally` ran, shared by the servers of one test.
#[derive(Clone, Default)]
struct Tally(Arc<AtomicU64>);

/// Counts its calls.
#[method]
fn tally(tally: State<Tally>) -> u64 {
    tally.0.fetch_add(1, Ordering::SeqCst) + 1
}

/// This crate's server on `addr`, draining after a 50 ms delay when `stop` fires.
async fn draining_server(
    addr: SocketAddr,
    tally: &Tally,
    started: &Started,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    JoinHandle<std::io::Result<()>>,
) {
    let server = Server::builder()
        .state(tally.clone())
        .state(started.clone())
        .drain_delay(Duration::from_millis(50))
        .bind(addr)
        .await
        .expect("binds");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    (addr, stop, running)
}

/// Drains a server while a call sent on its connection is still unread (past the drain delay
/// the connection reads no more calls, and closes with 1001 once `nap` is answered), then
/// starts a new server on the port. Returns that call's outcome and how many times it ran.
async fn a_call_unread_at_1001(resend: bool) -> (Result<u64, ClientError>, u64) {
    let tally = Tally::default();
    let started = Started::default();
    let (addr, stop, running) =
        draining_server("127.0.0.1:0".parse().unwrap(), &tally, &started).await;
    let client = WsClient::builder()
        .reconnect(policy().resend_on_going_away(resend))
        .connect(&format!("ws://{addr}/"))
        .await
        .expect("connects");
    let napping = tokio::spawn({
        let client = client.clone();
        async move { client.request::<u64>("nap", [1000]).await }
    });
    started.wait_for(1).await;
    stop.send(()).unwrap();
    // Past the 50 ms drain delay, after which the connection reads no more calls.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late = tokio::spawn({
        let client = client.clone();
        async move { client.request::<u64>("tally", ()).await }
    });
    // Answered before the close: the server finishes what it has read.
    assert_eq!(within("the nap", napping).await.unwrap().unwrap(), 1000);
    within("the first server to stop", running)
        .await
        .unwrap()
        .unwrap();
    let (_, _stop, _running) = draining_server(addr, &tally, &started).await;
    let outcome = within("the late call", late).await.unwrap();
    (outcome, tally.0.load(Ordering::SeqCst))
}

#[tokio::test]
async fn with_resend_on_going_away_a_call_a_draining_server_left_unread_runs_on_the_next() {
    let (outcome, runs) = a_call_unread_at_1001(true).await;
    assert_eq!(outcome.unwrap(), 1, "answered by the new server");
    assert_eq!(runs, 1, "run once");
}

#[tokio::test]
async fn without_resend_on_going_away_that_call_fails_and_never_runs() {
    let (outcome, runs) = a_call_unread_at_1001(false).await;
    let error = outcome.unwrap_err();
    assert!(
        is_closed(&error, "code 1001"),
        "the error names the close: {error}"
    );
    assert_eq!(runs, 0);
}

#[tokio::test]
async fn with_resend_on_going_away_a_broken_connection_still_fails_its_calls() {
    let mut server = Restartable::start().await;
    let client = WsClient::builder()
        .reconnect(policy().resend_on_going_away(true))
        .connect(&server.url())
        .await
        .unwrap();
    let slow = tokio::spawn({
        let client = client.clone();
        async move { client.request::<u64>("sleep", [5000]).await }
    });
    server
        .backend
        .wait_for(|message| message["method"] == "sleep")
        .await
        .expect("the call reached the server");
    server.kill().await;
    let error = within("the lost call", slow).await.unwrap().unwrap_err();
    assert!(is_closed(&error, "may or may not have run"), "{error}");
    server.restart().await;
    let pong: String = within("a call", client.request("ping", ())).await.unwrap();
    assert_eq!(pong, "pong");
    assert!(
        calls_to(&server.backend, "sleep").is_empty(),
        "not sent again"
    );
}
