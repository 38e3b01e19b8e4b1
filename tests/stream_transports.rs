//! Stream transports over real sockets (TCP and Unix) and stdio (the spec server as a child
//! process), in both framings: every method, concurrency, limits and broken framing, the end of
//! input, and two-way calls through `Peer` and `StreamClient`.

mod common;
#[path = "../examples/spec_server.rs"]
#[allow(dead_code)]
mod spec_server;

use std::future::Future;
use std::time::{Duration, Instant};

use common::started::Started;
use jsonrpc_runtime::stream::{Framing, ListenAddr, StreamClient, StreamConfig};
use jsonrpc_runtime::{method, Methods, Peer, PeerError};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const TIMEOUT: Duration = Duration::from_secs(10);

async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {TIMEOUT:?} waiting for {what}"))
}

/// Where a test server listens, and a way to stop it.
struct Listening {
    addr: ListenAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn listen(kind: &str, framing: Framing, config: StreamConfig) -> Listening {
    listen_with(spec_server::builder().stream(config), kind, framing).await
}

/// [`listen`], for a `builder` the test has added to (state, settings).
async fn listen_with(
    builder: jsonrpc_runtime::ServerBuilder,
    kind: &str,
    framing: Framing,
) -> Listening {
    let builder = builder.methods(server_methods());
    let server = match kind {
        "tcp" => builder.bind_tcp("127.0.0.1:0", framing).await.unwrap(),
        _ => {
            let dir = std::env::temp_dir().join(format!(
                "jsonrpc-stream-{}-{}",
                std::process::id(),
                rand_suffix()
            ));
            builder.bind_unix(dir, framing).await.unwrap()
        }
    };
    let addr = server.local_addr().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    Listening { addr, _stop: stop }
}

/// The spec server's methods: those of this file's client side (`client.*`) are not served.
fn server_methods() -> Methods {
    Methods::registered().filter(|name, _| !name.starts_with("client."))
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn raw(addr: &ListenAddr) -> Box<dyn Io> {
    match addr {
        ListenAddr::Tcp(addr) => Box::new(tokio::net::TcpStream::connect(addr).await.unwrap()),
        ListenAddr::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await.unwrap()),
    }
}

async fn client(addr: &ListenAddr, framing: Framing, methods: Methods) -> StreamClient {
    let builder = StreamClient::builder().methods(methods);
    match addr {
        ListenAddr::Tcp(addr) => builder.connect_tcp(addr, framing).await.unwrap(),
        ListenAddr::Unix(path) => builder.connect_unix(path, framing).await.unwrap(),
    }
}

fn frame(framing: Framing, json: &str) -> Vec<u8> {
    match framing {
        Framing::Lines => format!("{json}\n").into_bytes(),
        Framing::ContentLength => {
            format!("Content-Length: {}\r\n\r\n{json}", json.len()).into_bytes()
        }
    }
}

/// Reads messages from a raw connection until it closes.
async fn read_all(io: &mut Box<dyn Io>, framing: Framing) -> Vec<Value> {
    let mut bytes = Vec::new();
    bounded("the connection to close", io.read_to_end(&mut bytes))
        .await
        .unwrap();
    split(&bytes, framing)
}

fn split(bytes: &[u8], framing: Framing) -> Vec<Value> {
    let text = String::from_utf8_lossy(bytes);
    match framing {
        Framing::Lines => text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).unwrap())
            .collect(),
        Framing::ContentLength => {
            let mut out = Vec::new();
            let mut rest: &str = &text;
            while let Some((head, body)) = rest.split_once("\r\n\r\n") {
                let length: usize = head
                    .trim()
                    .strip_prefix("Content-Length: ")
                    .unwrap_or_else(|| panic!("bad header {head:?}"))
                    .parse()
                    .unwrap();
                out.push(serde_json::from_str(&body[..length]).unwrap());
                rest = &body[length..];
            }
            out
        }
    }
}

const KINDS: [&str; 2] = ["tcp", "unix"];
const FRAMINGS: [Framing; 2] = [Framing::Lines, Framing::ContentLength];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_message_is_answered_on_every_transport_and_framing() {
    for kind in KINDS {
        for framing in FRAMINGS {
            let server = listen(kind, framing, StreamConfig::new()).await;
            let mut io = raw(&server.addr).await;
            let mut input = Vec::new();
            // Two messages in one write, then a notification, a batch, errors.
            input.extend(frame(
                framing,
                r#"{"jsonrpc":"2.0","method":"ping","id":1}"#,
            ));
            input.extend(frame(framing, r#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23},"id":2}"#));
            input.extend(frame(
                framing,
                r#"{"jsonrpc":"2.0","method":"notify_hello","params":[7]}"#,
            ));
            input.extend(frame(framing, r#"[{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"b"},{"jsonrpc":"2.0","method":"nope","id":"c"}]"#));
            input.extend(frame(
                framing,
                r#"{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]"#,
            ));
            input.extend(frame(framing, r#"{"jsonrpc":"2.0","method":1,"id":3}"#));
            io.write_all(&input).await.unwrap();
            // End of input: everything sent is answered, then the server closes.
            io.shutdown().await.unwrap();
            let answers = read_all(&mut io, framing).await;
            let label = format!("{kind} {framing:?}");
            assert_eq!(answers.len(), 5, "{label}: {answers:?}");
            assert!(
                answers.contains(&json!({"jsonrpc":"2.0","result":"pong","id":1})),
                "{label}"
            );
            assert!(
                answers.contains(&json!({"jsonrpc":"2.0","result":19,"id":2})),
                "{label}"
            );
            let batch = answers
                .iter()
                .find(|a| a.is_array())
                .expect("the batch answer");
            assert_eq!(batch[0]["result"], 7, "{label}");
            assert_eq!(batch[1]["error"]["code"], -32601, "{label}");
            assert!(
                answers.iter().any(|a| a["error"]["code"] == -32700),
                "{label}"
            );
            assert!(
                answers
                    .iter()
                    .any(|a| a["error"]["code"] == -32600 && a["id"] == 3),
                "{label}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_on_one_connection_run_concurrently() {
    for kind in KINDS {
        let server = listen(kind, Framing::Lines, StreamConfig::new()).await;
        let client = client(&server.addr, Framing::Lines, Methods::new()).await;
        let slow = client.request::<u64>("sleep", [400]);
        let fast = async {
            let started = Instant::now();
            let pong: String = client.request("ping", ()).await.unwrap();
            (pong, started.elapsed())
        };
        let (slow, (pong, fast_took)) = tokio::join!(slow, fast);
        assert_eq!(slow.unwrap(), 400);
        assert_eq!(pong, "pong");
        assert!(
            fast_took < Duration::from_millis(300),
            "{kind}: the fast call took {fast_took:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_split_over_many_writes_is_read_whole() {
    for framing in FRAMINGS {
        let server = listen("tcp", framing, StreamConfig::new()).await;
        let mut io = raw(&server.addr).await;
        for byte in frame(
            framing,
            r#"{"jsonrpc":"2.0","method":"echo","params":["split"],"id":9}"#,
        ) {
            io.write_all(&[byte]).await.unwrap();
            io.flush().await.unwrap();
        }
        io.shutdown().await.unwrap();
        assert_eq!(
            read_all(&mut io, framing).await,
            vec![json!({"jsonrpc":"2.0","result":"split","id":9})]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_that_never_ends_is_refused_and_others_are_served() {
    let server = listen("tcp", Framing::Lines, StreamConfig::new()).await;
    let mut io = raw(&server.addr).await;
    // 20 MiB without a newline, against the default limit of 10 MiB.
    let chunk = vec![b'x'; 1024 * 1024];
    let mut answer = Vec::new();
    for _ in 0..20 {
        if io.write_all(&chunk).await.is_err() {
            break; // the server has closed: it did not keep reading
        }
    }
    let _ = bounded("the refusal", io.read_to_end(&mut answer)).await;
    let answers = split(&answer, Framing::Lines);
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0]["error"]["code"], -32600);
    assert_eq!(answers[0]["id"], Value::Null);
    let other = client(&server.addr, Framing::Lines, Methods::new()).await;
    assert_eq!(other.request::<String>("ping", ()).await.unwrap(), "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_content_length_is_refused_without_reading_the_body() {
    let server = listen("unix", Framing::ContentLength, StreamConfig::new()).await;
    let mut io = raw(&server.addr).await;
    io.write_all(b"Content-Length: 1099511627776\r\n\r\n{")
        .await
        .unwrap();
    let answers = read_all(&mut io, Framing::ContentLength).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0]["error"]["code"], -32600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_and_truncated_framing_get_a_clear_end_never_a_hang() {
    let server = listen("tcp", Framing::ContentLength, StreamConfig::new()).await;
    // A header line without a colon: -32700, then the connection closes.
    let mut io = raw(&server.addr).await;
    io.write_all(b"this is not a header\r\n\r\n").await.unwrap();
    let answers = read_all(&mut io, Framing::ContentLength).await;
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["error"]["code"], -32700);
    // A truncated header, then the client goes: the server closes, with nothing to answer.
    let mut io = raw(&server.addr).await;
    io.write_all(b"Content-Len").await.unwrap();
    io.shutdown().await.unwrap();
    assert!(read_all(&mut io, Framing::ContentLength).await.is_empty());
    // A client that closes mid-message: what came before is answered.
    let mut io = raw(&server.addr).await;
    let mut input = frame(
        Framing::ContentLength,
        r#"{"jsonrpc":"2.0","method":"ping","id":1}"#,
    );
    input.extend_from_slice(b"Content-Length: 50\r\n\r\n{\"jsonrpc\"");
    io.write_all(&input).await.unwrap();
    io.shutdown().await.unwrap();
    assert_eq!(
        read_all(&mut io, Framing::ContentLength).await,
        vec![json!({"jsonrpc":"2.0","result":"pong","id":1})]
    );
}

/// A method of the client's, which the server calls through `ask_client`.
#[method(name = "client.describe")]
async fn describe(topic: String, peer: Peer) -> Result<String, jsonrpc_runtime::Error> {
    // Calls back into the server while answering the server's own request.
    let pong: String = peer.request("ping", ()).await?;
    Ok(format!("{topic} ({pong})"))
}

/// Records the notifications the server sends.
#[method(name = "client.note")]
async fn note(
    text: String,
    notes: jsonrpc_runtime::State<tokio::sync::mpsc::UnboundedSender<String>>,
) {
    let _ = notes.send(text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_calls_the_client_through_peer_and_the_client_answers() {
    for kind in KINDS {
        for framing in FRAMINGS {
            let server = listen(kind, framing, StreamConfig::new()).await;
            let (notes, mut noted) = tokio::sync::mpsc::unbounded_channel::<String>();
            let dispatcher = jsonrpc_runtime::Dispatcher::builder()
                .methods(Methods::new().with(describe::METHOD).with(note::METHOD))
                .state(notes)
                .build()
                .unwrap();
            let addr = server.addr.clone();
            let builder = StreamClient::builder().dispatcher(dispatcher);
            let client = match &addr {
                ListenAddr::Tcp(addr) => builder.connect_tcp(addr, framing).await.unwrap(),
                ListenAddr::Unix(path) => builder.connect_unix(path, framing).await.unwrap(),
            };
            let answer: String = bounded(
                "ask_client",
                client.request("ask_client", json!(["client.describe", ["weather"]])),
            )
            .await
            .unwrap();
            assert_eq!(answer, "weather (pong)");
            // The client's error comes back as the server's call's error.
            let error = client
                .request::<Value>("ask_client", json!(["client.missing", []]))
                .await
                .unwrap_err();
            match error {
                PeerError::Rpc(error) => assert_eq!(error.code(), -32601),
                other => panic!("{other:?}"),
            }
            let nothing: Value = client
                .request(
                    "tell_client",
                    json!({"method": "client.note", "params": ["hello"]}),
                )
                .await
                .unwrap();
            assert_eq!(nothing, Value::Null);
            assert_eq!(bounded("the note", noted.recv()).await.unwrap(), "hello");
            client.close().await;
            assert!(!client.is_connected());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_over_http_fails_with_a_clear_error() {
    let dispatcher = spec_server::builder().methods(server_methods());
    let server = dispatcher.bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr();
    tokio::spawn(server.run());
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = r#"{"jsonrpc":"2.0","method":"ask_client","params":["x",[]],"id":1}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    let json: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["error"]["code"], -32090);
    assert!(
        json["error"]["data"].as_str().unwrap().contains("HTTP"),
        "{json}"
    );
}

/// Set when a `held` call's future is dropped before it completes.
static HELD_DROPPED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes its start in the server's `Started`, then waits a minute; notes it if its future is
/// dropped first.
#[method]
async fn held(started: Started) {
    struct NoteDrop;
    impl Drop for NoteDrop {
        fn drop(&mut self) {
            HELD_DROPPED.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let _guard = NoteDrop;
    started.begin();
    tokio::time::sleep(Duration::from_secs(60)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_client_goes_its_calls_in_flight_are_dropped() {
    let started = Started::default();
    let builder = spec_server::builder()
        .state(started.clone())
        .stream(StreamConfig::new());
    let server = listen_with(builder, "tcp", Framing::Lines).await;
    let ListenAddr::Tcp(addr) = server.addr else {
        unreachable!()
    };
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"held\",\"id\":1}\n")
        .await
        .unwrap();
    started.wait_for(1).await;
    assert!(!HELD_DROPPED.load(std::sync::atomic::Ordering::SeqCst));
    // An abrupt close (not a half-close): the server drops the call rather than finish it.
    drop(tcp);
    let started = Instant::now();
    while !HELD_DROPPED.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the call was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let other = client(&server.addr, Framing::Lines, Methods::new()).await;
    assert_eq!(other.request::<String>("ping", ()).await.unwrap(), "pong");
}

/// The spec server binary built beside this test (cargo builds the examples for `cargo test`).
fn spec_server_binary() -> std::path::PathBuf {
    let mut path = std::env::current_exe().unwrap();
    path.pop();
    if path.ends_with("deps") {
        path.pop();
    }
    path.join("examples").join("spec_server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_serves_a_child_process_in_both_framings() {
    let binary = spec_server_binary();
    assert!(binary.exists(), "{} was not built", binary.display());
    for framing in FRAMINGS {
        let name = if framing == Framing::Lines {
            "lines"
        } else {
            "content-length"
        };
        let mut command = tokio::process::Command::new(&binary);
        command
            .args(["stdio", "--framing", name])
            .stderr(std::process::Stdio::null());
        let client = StreamClient::spawn(&mut command, framing).unwrap();
        assert_eq!(client.request::<String>("ping", ()).await.unwrap(), "pong");
        assert_eq!(
            client.request::<i64>("subtract", [42, 23]).await.unwrap(),
            19
        );
        let error = client.request::<Value>("nope", ()).await.unwrap_err();
        assert!(
            matches!(error, PeerError::Rpc(ref e) if e.code() == -32601),
            "{error:?}"
        );
        // The end of stdin ends the server once its calls are answered.
        let slow = client.request::<u64>("sleep", [200]);
        let started = Instant::now();
        let (answer, ()) = tokio::join!(slow, async {
            tokio::time::sleep(Duration::from_millis(50)).await;
        });
        assert_eq!(answer.unwrap(), 200);
        bounded("the child to exit", client.close()).await;
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_end_of_stdin_a_call_waiting_on_its_peer_fails_at_once() {
    let mut child = tokio::process::Command::new(spec_server_binary())
        .arg("stdio")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"ask_client\",\"params\":[\"client.describe\",[\"x\"]],\"id\":7}\n")
        .await
        .unwrap();
    let started = Instant::now();
    // No answer can come once stdin is closed.
    drop(stdin);
    let mut stdout = child.stdout.take().unwrap();
    let mut output = Vec::new();
    bounded("the server to exit", stdout.read_to_end(&mut output))
        .await
        .unwrap();
    let messages = split(&output, Framing::Lines);
    let answer = messages
        .iter()
        .find(|m| m["id"] == 7)
        .expect("the call is answered");
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(bounded("exit", child.wait()).await.unwrap().success());
}
