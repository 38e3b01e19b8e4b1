//! A WebSocket test client that is not ours (tokio-tungstenite), a raw TCP handshake for the
//! cases no well-behaved client can produce, and servers started on ephemeral ports.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The longest any one wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `future`, failing the test if it takes longer than [`TIMEOUT`].
pub async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {TIMEOUT:?} waiting for {what}"))
}

/// A server running on an ephemeral port until the handle is dropped or shut down.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    pub async fn start(builder: jsonrpc_runtime::ServerBuilder) -> Running {
        let server = builder.bind("127.0.0.1:0").await.expect("bind");
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stop: Some(stop),
            done: Some(done),
        }
    }

    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Starts a graceful shutdown; the returned handle resolves when the server has stopped.
    pub fn shut_down(mut self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.done.take().expect("shut down once")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A WebSocket connection speaking JSON text frames.
pub struct Ws {
    pub socket: WebSocketStream<TcpStream>,
}

/// What [`Ws::next_event`] read.
#[derive(Debug)]
pub enum Event {
    Json(Value),
    Closed(Option<u16>),
}

impl Ws {
    pub async fn connect(addr: SocketAddr) -> Ws {
        Ws::connect_with(addr, &[])
            .await
            .expect("the upgrade is accepted")
    }

    /// Connects with a small receive buffer, as a client that reads little would have: the
    /// kernel then holds little of what the server sends it.
    pub async fn connect_small_buffer(addr: SocketAddr) -> Ws {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let tcp = socket.connect(addr).await.expect("connect");
        let request = format!("ws://{addr}/").into_client_request().unwrap();
        let (socket, _) = bounded(
            "the handshake",
            tokio_tungstenite::client_async(request, tcp),
        )
        .await
        .expect("the upgrade is accepted");
        Ws { socket }
    }

    /// Connects with extra request headers; `Err` with the HTTP status when refused.
    pub async fn connect_with(addr: SocketAddr, headers: &[(&str, &str)]) -> Result<Ws, u16> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/").into_client_request().unwrap();
        for (name, value) in headers {
            request.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .unwrap(),
                value.parse().unwrap(),
            );
        }
        let tcp = TcpStream::connect(addr).await.expect("connect");
        match bounded(
            "the handshake",
            tokio_tungstenite::client_async(request, tcp),
        )
        .await
        {
            Ok((socket, _)) => Ok(Ws { socket }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(error) => panic!("handshake failed: {error}"),
        }
    }

    pub async fn send(&mut self, text: impl Into<String>) {
        let text: String = text.into();
        bounded("a send", self.socket.send(Message::Text(text.into())))
            .await
            .expect("send");
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send(value.to_string()).await;
    }

    /// The next JSON message, or the close.
    pub async fn next_event(&mut self) -> Event {
        loop {
            match bounded("a message", self.socket.next()).await {
                Some(Ok(Message::Text(text))) => {
                    return Event::Json(serde_json::from_str(&text).expect("JSON"))
                }
                Some(Ok(Message::Binary(bytes))) => {
                    return Event::Json(serde_json::from_slice(&bytes).expect("JSON"))
                }
                Some(Ok(Message::Close(frame))) => {
                    return Event::Closed(frame.map(|f: CloseFrame| u16::from(f.code)))
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Event::Closed(None),
            }
        }
    }

    /// The next JSON message; fails the test on a close.
    pub async fn next(&mut self) -> Value {
        match self.next_event().await {
            Event::Json(value) => value,
            Event::Closed(code) => panic!("the connection closed ({code:?})"),
        }
    }

    /// A request's answer: messages before it (notifications) are returned too.
    pub async fn call(&mut self, method: &str, params: Value, id: u64) -> (Value, Vec<Value>) {
        self.send_json(
            serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}),
        )
        .await;
        let mut before = Vec::new();
        loop {
            let message = self.next().await;
            if message.get("id") == Some(&Value::from(id)) {
                return (message, before);
            }
            before.push(message);
        }
    }

    /// Subscribes; returns the subscription id.
    pub async fn subscribe(&mut self, method: &str, params: Value, id: u64) -> Value {
        let (answer, _) = self.call(method, params, id).await;
        answer
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("subscribing failed: {answer}"))
    }

    /// Whether a message arrives within `wait`.
    pub async fn quiet_for(&mut self, wait: Duration) -> Option<Value> {
        match tokio::time::timeout(wait, self.socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => Some(serde_json::from_str(&text).unwrap()),
            _ => None,
        }
    }
}

/// Completes a WebSocket handshake by hand and returns the raw socket, for frames no library
/// will send (invalid UTF-8) and peers that never answer pings.
pub async fn raw_handshake(addr: SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        bounded("the handshake answer", tcp.read_exact(&mut byte))
            .await
            .unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // RFC 6455's own example key and answer.
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    tcp
}

/// A masked client frame with `opcode` and `payload` (payloads under 126 bytes).
pub fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// Reads server frames from a raw socket until a close frame (its code) or the end of the
/// connection (`None`).
pub async fn read_until_close(tcp: &mut TcpStream) -> Option<u16> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // Parse what is there: unmasked server frames.
        while buffer.len() >= 2 {
            let opcode = buffer[0] & 0x0f;
            let (len, start) = match buffer[1] & 0x7f {
                126 if buffer.len() >= 4 => {
                    (u16::from_be_bytes([buffer[2], buffer[3]]) as usize, 4)
                }
                127 if buffer.len() >= 10 => (
                    u64::from_be_bytes(buffer[2..10].try_into().unwrap()) as usize,
                    10,
                ),
                126 | 127 => break,
                len => (len as usize, 2),
            };
            if buffer.len() < start + len {
                break;
            }
            if opcode == 8 {
                let payload = &buffer[start..start + len];
                return (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
            }
            buffer.drain(..start + len);
        }
        match bounded("the server to close", tcp.read(&mut chunk)).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}
