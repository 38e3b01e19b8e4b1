//! A closed-loop `ping` load over one transport: `CONNECTIONS` connections, each sending one
//! request and waiting for its answer, again and again, for `SECONDS`. The same loop for every
//! transport, so that only the transport differs:
//!
//! ```sh
//! stream_load http 127.0.0.1:5100 64 8    # HTTP/1.1 keep-alive POSTs
//! stream_load tcp 127.0.0.1:5101 64 8     # one JSON text per line over TCP
//! stream_load unix /tmp/jsonrpc-bench.sock 64 8
//! ```
//!
//! Prints one line: `transport requests req/s p50_us p99_us`.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

const PING: &str = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
const PONG: &str = r#"{"jsonrpc":"2.0","result":"pong","id":1}"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, transport, addr, connections, seconds] = &args[..] else {
        eprintln!("usage: stream_load http|tcp|unix ADDR CONNECTIONS SECONDS");
        std::process::exit(2);
    };
    let connections: usize = connections.parse().expect("CONNECTIONS");
    let duration = Duration::from_secs(seconds.parse().expect("SECONDS"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let latencies = runtime.block_on(async {
        let deadline = Instant::now() + duration;
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (transport, addr) = (transport.clone(), addr.clone());
            tasks.push(tokio::spawn(async move {
                match transport.as_str() {
                    "http" => {
                        let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                        stream.set_nodelay(true).unwrap();
                        http_loop(stream, &addr, deadline).await
                    }
                    "tcp" => {
                        let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                        stream.set_nodelay(true).unwrap();
                        line_loop(stream, deadline).await
                    }
                    "unix" => {
                        let stream = tokio::net::UnixStream::connect(&addr).await.unwrap();
                        line_loop(stream, deadline).await
                    }
                    other => panic!("unknown transport {other}"),
                }
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    });
    let mut latencies = latencies;
    latencies.sort_unstable();
    let count = latencies.len();
    let percentile = |p: f64| latencies[((count as f64 * p) as usize).min(count - 1)].as_micros();
    println!(
        "{transport} {count} {:.0} {} {}",
        count as f64 / duration.as_secs_f64(),
        percentile(0.50),
        percentile(0.99)
    );
}

/// One JSON text per line: write the request, read one line, check it.
async fn line_loop<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    deadline: Instant,
) -> Vec<Duration> {
    let (reader, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(reader);
    let request = format!("{PING}\n");
    let mut line = String::new();
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let started = Instant::now();
        writer.write_all(request.as_bytes()).await.unwrap();
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line.trim_end(), PONG);
        latencies.push(started.elapsed());
    }
    latencies
}

/// HTTP/1.1 keep-alive: write a fixed POST, read the head and the body by Content-Length.
async fn http_loop(stream: tokio::net::TcpStream, addr: &str, deadline: Instant) -> Vec<Duration> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{PING}",
        PING.len()
    );
    let mut line = String::new();
    let mut body = vec![0u8; PONG.len()];
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let started = Instant::now();
        writer.write_all(request.as_bytes()).await.unwrap();
        let mut length = 0;
        loop {
            line.clear();
            reader.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
        }
        body.resize(length, 0);
        reader.read_exact(&mut body).await.unwrap();
        assert_eq!(body, PONG.as_bytes());
        latencies.push(started.elapsed());
    }
    latencies
}
