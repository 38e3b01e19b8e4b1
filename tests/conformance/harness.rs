//! The server under test, and a raw HTTP/1.1 client that speaks to it byte for byte.
//!
//! [`target`] is the spec server the suite checks: the one at `JSONRPC_SPEC_URL` when that is
//! set (the real `spec_server` binary), otherwise the same server started once, in-process, on
//! an ephemeral port. [`local`] starts a server of its own with special limits; limit tests use
//! it in both modes.
//!
//! Every network wait is bounded by [`NETWORK_TIMEOUT`], so a server that hangs fails the test
//! instead of hanging the suite.

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::ops::Deref;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::common::{read_response, RawResponse, TestServer};
use crate::spec_server;

/// The longest any one network wait may take before the test fails.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(10);

/// The environment variable naming an external spec server, e.g. `http://127.0.0.1:5000/`.
pub const SPEC_URL_VAR: &str = "JSONRPC_SPEC_URL";

/// `{"jsonrpc":"2.0","method":"ping","id":1}`.
pub const PING: &str = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;

/// The exact answer to [`PING`].
pub const PONG: &str = r#"{"jsonrpc":"2.0","result":"pong","id":1}"#;

/// Runs `future`, failing the test if it takes longer than [`NETWORK_TIMEOUT`].
pub async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(NETWORK_TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {NETWORK_TIMEOUT:?} waiting for {what}"))
}

/// Where a server listens, and how to address it in a request.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// The `Host` header.
    host: String,
    /// The request target, `/` unless the URL says otherwise.
    path: String,
}

/// The spec server under test: external when [`SPEC_URL_VAR`] is set, in-process otherwise.
pub fn target() -> &'static Endpoint {
    static TARGET: OnceLock<Endpoint> = OnceLock::new();
    TARGET.get_or_init(|| match std::env::var(SPEC_URL_VAR) {
        Ok(url) => Endpoint::from_url(&url),
        Err(_) => Endpoint::local(start_shared_server()),
    })
}

/// Starts the spec server on its own runtime, on a thread that outlives every test (each test
/// has a runtime of its own, which ends with the test).
fn start_shared_server() -> SocketAddr {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("spec-server".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime for the spec server");
            runtime.block_on(async move {
                let server = spec_server::builder()
                    .bind("127.0.0.1:0")
                    .await
                    .expect("the spec server binds");
                sender
                    .send(server.local_addr())
                    .expect("the suite waits for the address");
                server.run_until(std::future::pending()).await
            })
        })
        .expect("a thread for the spec server");
    receiver
        .recv_timeout(NETWORK_TIMEOUT)
        .expect("the in-process spec server starts")
}

impl Endpoint {
    fn local(addr: SocketAddr) -> Endpoint {
        Endpoint {
            addr,
            host: addr.to_string(),
            path: "/".to_owned(),
        }
    }

    /// Reads `http://host:port/path`.
    fn from_url(url: &str) -> Endpoint {
        let rest = url
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("{SPEC_URL_VAR} must be an http:// URL, not {url:?}"));
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        let addr = authority
            .to_socket_addrs()
            .unwrap_or_else(|e| panic!("{SPEC_URL_VAR}: cannot resolve {authority:?}: {e}"))
            .next()
            .unwrap_or_else(|| panic!("{SPEC_URL_VAR}: {authority:?} has no address"));
        Endpoint {
            addr,
            host: authority.to_owned(),
            path: path.to_owned(),
        }
    }

    /// Opens a raw connection.
    pub async fn connect(&self) -> Conn {
        let stream = bounded("a TCP connection", TcpStream::connect(self.addr))
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.addr));
        Conn {
            reader: BufReader::new(stream),
            endpoint: self.clone(),
        }
    }

    /// The head of a request: request line and headers, ending with the blank line.
    pub fn head(&self, method: &str, headers: &[(&str, &str)]) -> String {
        let mut head = format!("{method} {} HTTP/1.1\r\nHost: {}\r\n", self.path, self.host);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head
    }

    /// A complete POST of `body` with `Content-Type: application/json`.
    pub fn post_request(&self, body: &[u8]) -> Vec<u8> {
        let length = body.len().to_string();
        let mut request = self
            .head(
                "POST",
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Length", &length),
                ],
            )
            .into_bytes();
        request.extend_from_slice(body);
        request
    }

    /// POSTs `body` on a new connection and reads the response.
    pub async fn post(&self, body: impl AsRef<[u8]>) -> RawResponse {
        self.connect().await.post(body.as_ref()).await
    }

    /// POSTs `body`, expects a 200 JSON response, and returns its exact text.
    pub async fn call_text(&self, body: impl AsRef<[u8]>) -> String {
        let body = body.as_ref();
        let response = self.post(body).await;
        assert_json_response(&response, body);
        String::from_utf8(response.body).expect("the response is UTF-8")
    }

    /// POSTs `body`, expects a 200 JSON response, and parses it.
    pub async fn call(&self, body: impl AsRef<[u8]>) -> Value {
        let text = self.call_text(body).await;
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// POSTs `body` and expects 204 No Content with an empty body: nothing to answer.
    pub async fn notify(&self, body: impl AsRef<[u8]>) {
        let body = body.as_ref();
        let response = self.post(body).await;
        assert_eq!(
            (response.status, response.text()),
            (204, ""),
            "{} should get 204 and no body",
            String::from_utf8_lossy(body)
        );
    }

    /// The server still works: `ping` on a fresh connection gets exactly `"pong"`.
    pub async fn assert_serves_ping(&self) {
        assert_eq!(self.call_text(PING).await, PONG);
    }
}

/// Checks the status line and `Content-Type` of an answered call.
pub fn assert_json_response(response: &RawResponse, request: &[u8]) {
    assert_eq!(
        response.status,
        200,
        "{} got {response:?}",
        String::from_utf8_lossy(request)
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "{} got {response:?}",
        String::from_utf8_lossy(request)
    );
}

/// A raw HTTP/1.1 connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
    endpoint: Endpoint,
}

impl Conn {
    /// Writes raw bytes.
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        bounded("a write", self.reader.get_mut().write_all(bytes.as_ref()))
            .await
            .expect("the write succeeds");
    }

    /// Writes a complete POST of `body`.
    pub async fn send_post(&mut self, body: impl AsRef<[u8]>) {
        let request = self.endpoint.post_request(body.as_ref());
        self.send(request).await;
    }

    /// Reads one response (an interim `100 Continue` counts as one).
    pub async fn response(&mut self) -> RawResponse {
        bounded("a response", read_response(&mut self.reader)).await
    }

    /// POSTs `body` on this connection and reads the response.
    pub async fn post(&mut self, body: impl AsRef<[u8]>) -> RawResponse {
        self.send_post(body).await;
        self.response().await
    }

    /// Asserts that nothing arrives within `wait`: the server is holding this client back.
    pub async fn assert_silent_for(&mut self, wait: Duration) {
        if let Ok(read) = tokio::time::timeout(wait, self.reader.fill_buf()).await {
            let bytes = read.map(<[u8]>::to_vec);
            panic!("expected no answer yet, got {bytes:?}");
        }
    }

    /// Reads until the server closes the connection; returns what it sent before closing. A
    /// reset counts as closed.
    pub async fn read_until_closed(&mut self) -> Vec<u8> {
        let mut received = Vec::new();
        let _ = bounded(
            "the server to close the connection",
            self.reader.read_to_end(&mut received),
        )
        .await;
        received
    }
}

/// A server of the suite's own, with special limits; stops when dropped.
pub struct LocalServer {
    _server: TestServer,
    endpoint: Endpoint,
}

/// Starts `builder` (normally [`spec_server::builder`] with some limit changed) in-process, on
/// an ephemeral port, on the calling test's runtime.
pub async fn local(builder: jsonrpc_runtime::ServerBuilder) -> LocalServer {
    let server = TestServer::start(builder).await;
    let endpoint = Endpoint::local(server.addr);
    LocalServer {
        _server: server,
        endpoint,
    }
}

impl Deref for LocalServer {
    type Target = Endpoint;
    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

/// The error code of an error response, failing when it is not one.
pub fn code(response: &Value) -> i64 {
    response["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error response: {response}"))
}

/// Asserts that `response` is an error response with `code`, the specification's `message`
/// for it when it is a standard code, and `id`; and that it has no `result`.
pub fn assert_error(response: &Value, expected_code: i64, id: &Value) {
    assert_eq!(code(response), expected_code, "{response}");
    let message = match expected_code {
        -32700 => Some("Parse error"),
        -32600 => Some("Invalid Request"),
        -32601 => Some("Method not found"),
        -32602 => Some("Invalid params"),
        -32603 => Some("Internal error"),
        // Application codes have their own.
        _ => None,
    };
    if let Some(message) = message {
        assert_eq!(response["error"]["message"], message, "{response}");
    } else {
        assert!(response["error"]["message"].is_string(), "{response}");
    }
    assert_eq!(&response["id"], id, "{response}");
    assert_members(response, &["error", "id", "jsonrpc"]);
}

/// Asserts that `object` has exactly these members (sorted by name).
pub fn assert_members(object: &Value, names: &[&str]) {
    let mut present: Vec<&str> = object
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {object}"))
        .keys()
        .map(String::as_str)
        .collect();
    present.sort_unstable();
    assert_eq!(present, names, "{object}");
    assert_eq!(object["jsonrpc"], "2.0", "{object}");
}

/// The members of a batch response, failing when it is not an array.
pub fn members(response: &Value) -> &[Value] {
    response
        .as_array()
        .unwrap_or_else(|| panic!("not a batch response: {response}"))
}

/// The member of a batch response with this id; exactly one must have it.
pub fn by_id<'a>(response: &'a Value, id: &Value) -> &'a Value {
    let found: Vec<&Value> = members(response)
        .iter()
        .filter(|member| &member["id"] == id)
        .collect();
    assert_eq!(found.len(), 1, "one member with id {id} in {response}");
    found[0]
}
