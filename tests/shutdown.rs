//! The shutdown sequence: signals, the drain delay with `Connection: close` and GOAWAY, the
//! accept queue, the drain timeout and a second signal. The signal tests run the spec server
//! (`examples/spec_server.rs`) as a child process and send it real signals with `kill`.

mod common;

use std::net::SocketAddr;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::started::Started;
use common::{read_response, send_post, RawResponse, TestServer};
use jsonrpc_runtime::{method, Server};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The longest any step of these tests waits.
const WAIT: Duration = Duration::from_secs(5);

/// Sleeps `ms` milliseconds, then returns `ms`; notes its start in the server's `Started`.
#[method]
async fn nap(ms: u64, started: Started) -> u64 {
    started.nap(ms).await
}

#[method]
fn hello() -> &'static str {
    "hello"
}

/// How many times `tally` has run (only one test calls it).
static TALLIES: AtomicU64 = AtomicU64::new(0);

/// Counts its calls.
#[method]
fn tally() -> u64 {
    TALLIES.fetch_add(1, Ordering::SeqCst) + 1
}

fn sleep_call(ms: u64, id: u64) -> String {
    format!(r#"{{"jsonrpc":"2.0","method":"sleep","params":[{ms}],"id":{id}}}"#)
}

/// A `ping` sent after a slow call on a WebSocket or stream connection: the server reads a
/// connection's messages in order and runs its calls side by side, so the pong says it has the
/// slow call, still running (the spec server in a child process offers no other signal).
const PING_6: &str = r#"{"jsonrpc":"2.0","method":"ping","id":6}"#;
const PONG_6: &str = r#"{"jsonrpc":"2.0","result":"pong","id":6}"#;

/// The spec server as a child process, and where it listens.
struct SpecServer {
    child: Child,
    addr: String,
}

impl SpecServer {
    /// Starts `spec_server ARGS` and reads the address it prints.
    async fn start(args: &[&str]) -> SpecServer {
        let mut binary = std::env::current_exe().unwrap();
        binary.pop();
        if binary.ends_with("deps") {
            binary.pop();
        }
        let binary = binary.join("examples").join("spec_server");
        assert!(binary.exists(), "{} was not built", binary.display());
        let mut child = Command::new(binary)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the spec server starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        within("the address line", stdout.read_line(&mut line))
            .await
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim_start_matches("http://")
            .trim_start_matches("tcp://")
            .trim_end_matches('/')
            .to_owned();
        SpecServer { child, addr }
    }

    fn addr(&self) -> SocketAddr {
        self.addr.parse().unwrap()
    }

    /// Sends the signal named `name` (`TERM`, `INT`) with `kill`.
    fn signal(&self, name: &str) {
        let pid = self.child.id().expect("the child is running").to_string();
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} {pid} failed");
    }

    /// Waits up to `limit` for the process to exit.
    async fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the server did not exit within {limit:?}"))
            .unwrap()
    }

    async fn connect(&self) -> BufReader<TcpStream> {
        BufReader::new(TcpStream::connect(self.addr()).await.expect("connect"))
    }

    /// A call on a new connection, written but not read, that the server has taken in: see
    /// [`start_request`].
    async fn start_call(&self, body: &str) -> BufReader<TcpStream> {
        let mut connection = self.connect().await;
        start_request(&mut connection, body.len()).await;
        connection
            .get_mut()
            .write_all(body.as_bytes())
            .await
            .unwrap();
        connection
    }

    /// `GET path` on a new connection.
    async fn get(&self, path: &str) -> RawResponse {
        let mut connection = self.connect().await;
        get_on(&mut connection, path).await;
        within("a GET", read_response(&mut connection)).await
    }
}

/// Writes the head of a POST of `length` bytes with `Expect: 100-continue`, and returns at the
/// server's `100 Continue`, which it sends once it has read the head and starts on the body.
/// From then on the request is in flight, which the drain waits for: the signal that the server
/// has it, where the child process offers no other (the body is for the caller to write).
async fn start_request(connection: &mut BufReader<TcpStream>, length: usize) {
    let head = format!(
        "POST / HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
    );
    connection
        .get_mut()
        .write_all(head.as_bytes())
        .await
        .unwrap();
    let interim = within("the server's 100 Continue", read_response(connection)).await;
    assert_eq!(interim.status, 100, "{interim:?}");
}

async fn get_on(connection: &mut BufReader<TcpStream>, path: &str) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    connection
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .unwrap();
}

async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {WAIT:?}"))
}

/// Reads to the end of `connection`: what the server sent before it closed.
async fn read_rest(connection: &mut BufReader<TcpStream>) -> Vec<u8> {
    let mut rest = Vec::new();
    let _ = within("the connection to close", connection.read_to_end(&mut rest)).await;
    rest
}

#[tokio::test]
async fn sigterm_answers_every_call_in_flight_and_exits_0() {
    let mut server = SpecServer::start(&["127.0.0.1:0", "--drain-delay", "200"]).await;
    let mut calls = Vec::new();
    for id in 0..8 {
        calls.push(server.start_call(&sleep_call(300, id)).await);
    }
    server.signal("TERM");
    for (id, connection) in calls.iter_mut().enumerate() {
        let response = within("an answer", read_response(connection)).await;
        assert_eq!(
            response.text(),
            format!(r#"{{"jsonrpc":"2.0","result":300,"id":{id}}}"#)
        );
        // Answered during the drain: the connection is retired with the answer.
        assert_eq!(response.header("connection"), Some("close"));
        assert!(read_rest(connection).await.is_empty());
    }
    let status = server.exit_within(WAIT).await;
    assert!(status.success(), "{status:?}");
    assert!(TcpStream::connect(server.addr()).await.is_err());
}

#[tokio::test]
async fn sigint_stops_an_idle_server_without_waiting_for_the_delay() {
    // The default delay is 5 s, but with no connection open and no health path it ends early.
    let mut server = SpecServer::start(&["127.0.0.1:0"]).await;
    assert_eq!(server.get("/health").await.status, 405); // no health path: JSON-RPC's 405
    let started = Instant::now();
    server.signal("INT");
    let status = server.exit_within(WAIT).await;
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_health_path_answers_503_from_the_signal_until_the_exit() {
    let mut server = SpecServer::start(&[
        "127.0.0.1:0",
        "--health",
        "/health",
        "--drain-delay",
        "1000",
    ])
    .await;
    let before = server.get("/health").await;
    assert_eq!(before.status, 200);
    assert_eq!(before.text(), "ok\n");
    let started = Instant::now();
    server.signal("TERM");
    let during = loop {
        let response = server.get("/health").await;
        if response.status != 200 {
            break response;
        }
        assert!(started.elapsed() < WAIT, "health never turned unhealthy");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(during.status, 503);
    assert_eq!(during.text(), "draining\n");
    assert_eq!(during.header("connection"), Some("close"));
    // Calls are still answered during the delay.
    let mut call = server.start_call(&sleep_call(1, 1)).await;
    assert_eq!(read_response(&mut call).await.status, 200);
    // With a health path the delay runs in full: a balancer is polling it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.get("/health").await.status, 503);
    let status = server.exit_within(WAIT).await;
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn the_drain_timeout_cuts_off_a_call_that_never_ends_and_a_stalled_body() {
    let mut server = SpecServer::start(&[
        "127.0.0.1:0",
        "--drain-delay",
        "0",
        "--drain-timeout",
        "500",
    ])
    .await;
    let mut endless = server.start_call(&sleep_call(60_000, 1)).await;
    // A client that stops in the middle of its body.
    let mut stalled = server.connect().await;
    start_request(&mut stalled, 100).await;
    stalled.get_mut().write_all(b"{\"jsonrpc\"").await.unwrap();
    let started = Instant::now();
    server.signal("TERM");
    let status = server.exit_within(WAIT).await;
    let elapsed = started.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    // Cut off: closed without an answer.
    assert!(read_rest(&mut endless).await.is_empty());
    assert!(read_rest(&mut stalled).await.is_empty());
}

#[tokio::test]
async fn a_second_signal_exits_at_once() {
    let mut server = SpecServer::start(&[
        "127.0.0.1:0",
        "--drain-delay",
        "0",
        "--drain-timeout",
        "60000",
    ])
    .await;
    let mut endless = server.start_call(&sleep_call(60_000, 1)).await;
    server.signal("TERM");
    // Long enough for a server that ignored its call to have exited, which must not happen.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server must wait for its call after one signal"
    );
    let started = Instant::now();
    server.signal("TERM");
    let status = server.exit_within(WAIT).await;
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(read_rest(&mut endless).await.is_empty());
}

#[tokio::test]
async fn a_stream_server_answers_its_calls_in_flight_on_sigterm() {
    let mut server = SpecServer::start(&["tcp://127.0.0.1:0"]).await;
    let mut connection = server.connect().await;
    connection
        .get_mut()
        .write_all(format!("{}\n{PING_6}\n", sleep_call(300, 5)).as_bytes())
        .await
        .unwrap();
    let mut line = String::new();
    within("the pong", connection.read_line(&mut line))
        .await
        .unwrap();
    assert_eq!(
        line.trim_end(),
        PONG_6,
        "the pong comes before the sleep's answer"
    );
    server.signal("TERM");
    line.clear();
    within("the answer", connection.read_line(&mut line))
        .await
        .unwrap();
    assert_eq!(line.trim_end(), r#"{"jsonrpc":"2.0","result":300,"id":5}"#);
    let status = server.exit_within(WAIT).await;
    assert!(status.success(), "{status:?}");
}

// In-process: the drain delay, seen from the connections.

const HELLO: &str = r#"{"jsonrpc":"2.0","method":"hello","id":1}"#;

#[tokio::test]
async fn during_the_delay_idle_connections_stay_open_and_answers_close_them() {
    let mut server = TestServer::start(Server::builder().drain_delay(WAIT)).await;
    let mut pooled = server.connect().await;
    send_post(&mut pooled, HELLO).await;
    let response = read_response(&mut pooled).await;
    assert_eq!(
        response.header("connection"),
        None,
        "keep-alive before the signal"
    );

    let started = Instant::now();
    let stopped = server.shutdown();
    // New connections are still accepted, and once the server drains their answers close them.
    loop {
        let response = within("an answer", server.post(HELLO)).await;
        if response.header("connection") == Some("close") {
            break;
        }
        assert!(started.elapsed() < WAIT, "the server never began to drain");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The idle pooled connection was not closed: a balancer may just have written into it.
    send_post(&mut pooled, HELLO).await;
    let response = within("an answer", read_response(&mut pooled)).await;
    assert_eq!(
        response.text(),
        r#"{"jsonrpc":"2.0","result":"hello","id":1}"#
    );
    assert_eq!(response.header("connection"), Some("close"));
    assert!(read_rest(&mut pooled).await.is_empty());
    // No connection is left and there is no health path: the delay ends early.
    within("the server to stop", stopped)
        .await
        .unwrap()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn http2_connections_get_goaway_at_the_signal() {
    let mut server = TestServer::start(Server::builder().drain_delay(WAIT)).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    let connection = tokio::spawn(connection);
    let request = hyper::Request::post("/")
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(HELLO)))
        .unwrap();
    let response = within("an HTTP/2 answer", sender.send_request(request))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let started = Instant::now();
    let stopped = server.shutdown();
    // GOAWAY ends the client's connection well before the 5 s delay has passed.
    within("the HTTP/2 connection to end", connection)
        .await
        .unwrap()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    within("the server to stop", stopped)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn connections_in_the_accept_queue_are_served_before_the_listener_closes() {
    let started = Started::default();
    let builder = Server::builder()
        .state(started.clone())
        .drain_delay(Duration::ZERO);
    let mut server = TestServer::start(builder).await;
    let mut busy = server.connect().await;
    send_post(
        &mut busy,
        r#"{"jsonrpc":"2.0","method":"nap","params":[300],"id":1}"#,
    )
    .await;
    started.wait_for(1).await;
    // Connections the server has not accepted yet: made with blocking calls, so that the
    // server (on this test's single thread) does not run until the signal has been given.
    let mut queued = Vec::new();
    for _ in 0..4 {
        use std::io::Write;
        let mut connection = std::net::TcpStream::connect(server.addr).unwrap();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{HELLO}",
            HELLO.len()
        );
        connection.write_all(request.as_bytes()).unwrap();
        queued.push(connection);
    }
    let stopped = server.shutdown();
    for connection in queued {
        connection.set_nonblocking(true).unwrap();
        let mut connection = tokio::io::BufReader::new(TcpStream::from_std(connection).unwrap());
        let response = within(
            "a queued connection's answer",
            read_response(&mut connection),
        )
        .await;
        assert_eq!(
            response.text(),
            r#"{"jsonrpc":"2.0","result":"hello","id":1}"#
        );
    }
    let response = within("the busy connection's answer", read_response(&mut busy)).await;
    assert_eq!(response.text(), r#"{"jsonrpc":"2.0","result":300,"id":1}"#);
    within("the server to stop", stopped)
        .await
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(server.addr).await.is_err());
}

#[tokio::test]
async fn on_sigterm_a_websocket_gets_its_call_answered_then_1001() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let mut server = SpecServer::start(&["127.0.0.1:0", "--drain-delay", "100"]).await;
    let request = format!("ws://{}/", server.addr)
        .into_client_request()
        .unwrap();
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let (mut ws, _) = within(
        "the handshake",
        tokio_tungstenite::client_async(request, tcp),
    )
    .await
    .unwrap();
    ws.send(Message::Text(sleep_call(300, 9).into()))
        .await
        .unwrap();
    ws.send(Message::Text(PING_6.into())).await.unwrap();
    match within("the pong", ws.next()).await {
        Some(Ok(Message::Text(text))) => assert_eq!(text.as_str(), PONG_6),
        other => panic!("{other:?}"),
    }
    server.signal("TERM");
    match within("the answer", ws.next()).await {
        Some(Ok(Message::Text(text))) => {
            assert_eq!(text.as_str(), r#"{"jsonrpc":"2.0","result":300,"id":9}"#)
        }
        other => panic!("{other:?}"),
    }
    match within("the close", ws.next()).await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("{other:?}"),
    }
    drop(ws);
    let status = server.exit_within(WAIT).await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn after_its_1001_a_websocket_reads_on_to_the_clients_close_and_runs_nothing_more() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let started = Started::default();
    let server = Server::builder()
        .state(started.clone())
        .drain_delay(Duration::from_millis(50))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    let request = format!("ws://{addr}/").into_client_request().unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut ws, _) = within(
        "the handshake",
        tokio_tungstenite::client_async(request, tcp),
    )
    .await
    .unwrap();
    ws.send(Message::Text(
        r#"{"jsonrpc":"2.0","method":"nap","params":[400],"id":1}"#.into(),
    ))
    .await
    .unwrap();
    started.wait_for(1).await;
    stop.send(()).unwrap();
    // Past the drain delay the connection no longer reads calls: this one is sent while the
    // server finishes `nap`, as a client that has not seen the close yet would.
    tokio::time::sleep(Duration::from_millis(200)).await;
    ws.send(Message::Text(
        r#"{"jsonrpc":"2.0","method":"tally","id":2}"#.into(),
    ))
    .await
    .unwrap();
    match within("the answer", ws.next()).await {
        Some(Ok(Message::Text(text))) => {
            assert_eq!(text.as_str(), r#"{"jsonrpc":"2.0","result":400,"id":1}"#)
        }
        other => panic!("{other:?}"),
    }
    match within("the close", ws.next()).await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("{other:?}"),
    }
    // Our close answers the server's; the server, which read on, then ends the connection
    // cleanly. Closing with the unread call would have reset it.
    match within("the end", ws.next()).await {
        None => {}
        other => panic!("a clean end of the connection, not {other:?}"),
    }
    within("the server to stop", running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        TALLIES.load(Ordering::SeqCst),
        0,
        "the late call did not run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_timeout_cuts_off_a_websocket_call_that_never_ends() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    // In-process, so that nothing but the server itself can end the connection.
    let started = Started::default();
    let server = Server::builder()
        .state(started.clone())
        .drain_delay(Duration::from_millis(50))
        .drain_timeout(Duration::from_millis(500))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    let request = format!("ws://{addr}/").into_client_request().unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut ws, _) = within(
        "the handshake",
        tokio_tungstenite::client_async(request, tcp),
    )
    .await
    .unwrap();
    ws.send(Message::Text(
        r#"{"jsonrpc":"2.0","method":"nap","params":[60000],"id":9}"#.into(),
    ))
    .await
    .unwrap();
    started.wait_for(1).await;
    let stopping = Instant::now();
    stop.send(()).unwrap();
    within("the server to stop", running)
        .await
        .unwrap()
        .unwrap();
    // No answer comes: the connection is ended with the server, not left running.
    match within("the connection to end", ws.next()).await {
        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => {}
        Some(Ok(other)) => panic!("{other:?}"),
    }
    assert!(
        stopping.elapsed() < Duration::from_secs(3),
        "took {:?}",
        stopping.elapsed()
    );
}
