//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod started;

use jsonrpc_runtime::Dispatcher;
use serde_json::Value;

/// Dispatches `body` and parses the response as JSON; `None` when nothing is sent back.
pub async fn call(dispatcher: &Dispatcher, body: &str) -> Option<Value> {
    let bytes = dispatcher.dispatch(body.as_bytes()).await?;
    Some(serde_json::from_slice(&bytes).expect("the response is JSON"))
}

/// Dispatches `body`, expects a response, and returns it as text (for byte-exact checks).
pub async fn call_text(dispatcher: &Dispatcher, body: &str) -> String {
    let bytes = dispatcher
        .dispatch(body.as_bytes())
        .await
        .expect("a response");
    String::from_utf8(bytes).expect("the response is UTF-8")
}

/// The error code of a single error response.
pub fn error_code(response: &Value) -> i64 {
    response["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {response}"))
}

/// The error message of a single error response.
/// The detail of an error response of a standard code: its `data`, a string (the message is
/// the specification's own, such as "Invalid params").
pub fn error_detail(response: &Value) -> &str {
    response["error"]["data"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error with a detail: {response}"))
}

pub fn error_message(response: &Value) -> &str {
    response["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error: {response}"))
}

/// A response read off a raw HTTP/1.1 connection.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }
}

/// Reads one response (headers, then a `Content-Length` body) from a raw connection.
pub async fn read_response<R: tokio::io::AsyncRead + Unpin>(
    reader: &mut tokio::io::BufReader<R>,
) -> RawResponse {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .await
        .expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.expect("a header line");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("a header");
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse::<usize>().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.expect("the body");
    RawResponse {
        status,
        headers,
        body,
    }
}

/// A running test server on an ephemeral port; shuts down when dropped.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start(builder: jsonrpc_runtime::ServerBuilder) -> TestServer {
        let server = builder.bind("127.0.0.1:0").await.expect("the server binds");
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// Asks the server to shut down and returns its task.
    pub fn shutdown(&mut self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        let _ = self.stop.take().unwrap().send(());
        self.handle.take().unwrap()
    }

    /// Opens a raw connection.
    pub async fn connect(&self) -> tokio::io::BufReader<tokio::net::TcpStream> {
        tokio::io::BufReader::new(
            tokio::net::TcpStream::connect(self.addr)
                .await
                .expect("connect"),
        )
    }

    /// POSTs `body` on a new connection and reads the response.
    pub async fn post(&self, body: &str) -> RawResponse {
        let mut connection = self.connect().await;
        send_post(&mut connection, body).await;
        read_response(&mut connection).await
    }
}

/// Writes a POST request with `body` on a raw connection.
pub async fn send_post(connection: &mut tokio::io::BufReader<tokio::net::TcpStream>, body: &str) {
    use tokio::io::AsyncWriteExt;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    connection
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .expect("write");
}
