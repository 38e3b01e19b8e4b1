//! The WebSocket load tool: starts each server given on the command line (one at a time, a fresh
//! process for every run), drives it with the same tokio-tungstenite client, and prints the
//! medians over the rounds as markdown tables, with the ratio of the first server to the second.
//!
//! ```sh
//! cargo build --release --bins
//! target/release/ws_load ours=target/release/ws_ours jsonrpsee=target/release/ws_jsonrpsee
//! ```
//!
//! Every server must take its address as its first argument (`127.0.0.1:0` is passed), print
//! `... listening on ADDR` on stderr, stop on SIGINT, and serve over WebSocket on `/`: `ping`
//! (answers `"pong"`), `subscribe_events` (notification `events`) and `publish(value)`.
//!
//! Scenarios (`--scenarios ping,broadcast,idle`, all by default):
//!
//! - `ping`: `--connections` (64) WebSocket connections, each sending a `ping` and awaiting its
//!   answer in a loop (pipelining depth 1), for `--warmup` (2 s) unmeasured and then
//!   `--duration` (10 s): requests per second, p50 and p99 round trip, and the server's CPU time
//!   (utime + stime from `/proc/PID/stat`) per call. The client's own CPU per call is shown too:
//!   client and server share the machine's cores.
//! - `broadcast`: `--connections` subscribers of `subscribe_events`, and one more connection
//!   publishing a sequence number with `publish` as fast as the server delivers: at most 8
//!   calls in flight, and never more than [`PUBLISH_WINDOW`] items ahead of the slowest
//!   subscriber, so that no subscriber lags behind the server's broadcast channel (a lagging
//!   subscriber, ended by the server with an `error` notification, fails the run). Reports
//!   notifications received per second across all subscribers, items published per second,
//!   and server CPU per notification.
//! - `idle`: the server's VmRSS (`/proc/PID/status`) after one connection came and went, and
//!   again with `--idle` (2,000) open connections, each of which made one `ping`; the
//!   difference divided by the count is the memory per idle connection.
//!
//! With `--attach ADDR` (and `--pid PID` for the CPU and memory figures) it runs each scenario
//! once against a server that is already running and prints `RESULT <scenario> <count>` (calls
//! or notifications counted while measuring): `callgrind_ws.sh` uses that.
//!
//! Rounds (`--rounds`, 3) alternate the order of the servers. Loopback only; every wait is
//! bounded by a timeout, and every server started is stopped (SIGINT, then SIGKILL) on the way
//! out. Client threads: `--client-threads` (1, as `wrk -t1` in load.sh). Before each run the
//! tool waits, up to `--quiet-wait` (20 s), for a second in which other processes use less than
//! a quarter of a core; each run's line shows the CPU others used while it measured, and a run
//! during which they used more than `--max-others` (25 % of one core) is done again, up to
//! `--retries` (2) times. Waits and retries stop once the comparison has run for `--budget`
//! (240 s), so that it ends in about 8 minutes at worst with the defaults (4 1/2 on a quiet
//! machine).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use jsonrpc_bench::ws::PUBLISH_WINDOW;
use serde::de::IgnoredAny;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TcpStream>;
type Result<T, E = String> = std::result::Result<T, E>;

/// How long any single wait for the server may take before the run fails.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Publish calls the publisher keeps in flight.
const PUBLISH_PIPELINE: u64 = 8;

struct Options {
    rounds: usize,
    warmup: Duration,
    duration: Duration,
    connections: usize,
    idle: usize,
    client_threads: usize,
    quiet_wait: Duration,
    max_others: f64,
    retries: usize,
    budget: Duration,
    attach: Option<Target>,
    scenarios: Vec<Scenario>,
    servers: Vec<(String, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    Ping,
    Broadcast,
    Idle,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Ping => "ping",
            Scenario::Broadcast => "broadcast",
            Scenario::Idle => "idle",
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: ws_load [--rounds N] [--warmup SECS] [--duration SECS] [--connections N] \
         [--idle N] [--client-threads N] [--quiet-wait SECS] \
         [--max-others PERCENT] [--retries N] [--budget SECS] [--scenarios ping,broadcast,idle] \
         (NAME=SERVER_BINARY... | --attach ADDR [--pid PID])"
    );
    std::process::exit(2)
}

fn parse_options() -> Options {
    let mut options = Options {
        rounds: 3,
        warmup: Duration::from_secs(2),
        duration: Duration::from_secs(10),
        connections: 64,
        idle: 2_000,
        client_threads: 1,
        quiet_wait: Duration::from_secs(20),
        max_others: 25.0,
        retries: 2,
        budget: Duration::from_secs(240),
        attach: None,
        scenarios: vec![Scenario::Ping, Scenario::Broadcast, Scenario::Idle],
        servers: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        let number = |text: String| -> f64 { text.parse().unwrap_or_else(|_| usage()) };
        match arg.as_str() {
            "--rounds" => options.rounds = number(value()) as usize,
            "--warmup" => options.warmup = Duration::from_secs_f64(number(value())),
            "--duration" => options.duration = Duration::from_secs_f64(number(value())),
            "--connections" => options.connections = number(value()) as usize,
            "--idle" => options.idle = number(value()) as usize,
            "--client-threads" => options.client_threads = (number(value()) as usize).max(1),
            "--quiet-wait" => options.quiet_wait = Duration::from_secs_f64(number(value())),
            "--max-others" => options.max_others = number(value()),
            "--retries" => options.retries = number(value()) as usize,
            "--budget" => options.budget = Duration::from_secs_f64(number(value())),
            "--attach" => {
                let addr = value().parse().unwrap_or_else(|_| usage());
                let pid = options.attach.as_ref().map_or(0, |target| target.pid);
                options.attach = Some(Target { addr, pid });
            }
            "--pid" => {
                let pid = number(value()) as u32;
                let target = options.attach.get_or_insert(Target {
                    addr: "127.0.0.1:5000".parse().expect("an address"),
                    pid: 0,
                });
                target.pid = pid;
            }
            "--scenarios" => {
                options.scenarios = value()
                    .split(',')
                    .map(|name| match name {
                        "ping" => Scenario::Ping,
                        "broadcast" => Scenario::Broadcast,
                        "idle" => Scenario::Idle,
                        _ => usage(),
                    })
                    .collect();
            }
            "--help" | "-h" => usage(),
            spec => match spec.split_once('=') {
                Some((name, path)) => options.servers.push((name.to_owned(), path.to_owned())),
                None => usage(),
            },
        }
    }
    if (options.servers.is_empty() && options.attach.is_none())
        || options.rounds == 0
        || options.connections == 0
    {
        usage();
    }
    options
}

// ---------------------------------------------------------------------------------------------
// The server process.

/// What a scenario drives: the server's address, and its process for the CPU and memory
/// figures (0: not known, those figures are then 0).
struct Target {
    addr: SocketAddr,
    pid: u32,
}

/// A server started for one run; stopped (SIGINT, then SIGKILL after 5 s) when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(path: &str) -> Result<Self> {
        let mut child = Command::new(path)
            .arg("127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot start {path}: {error}"))?;
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        // Reads the server's stderr to its end (so that it never blocks on a full pipe), handing
        // over the address line.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.split("listening on ").nth(1) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.trim().to_owned());
                    }
                }
            }
        });
        let mut server = ServerProcess {
            child,
            addr: "127.0.0.1:0".parse().expect("an address"),
        };
        let line = rx
            .recv_timeout(TIMEOUT)
            .map_err(|_| format!("{path} printed no 'listening on ADDR' line"))?;
        server.addr = line
            .parse()
            .map_err(|_| format!("{path}: not an address: {line}"))?;
        Ok(server)
    }

    fn target(&self) -> Target {
        Target {
            addr: self.addr,
            pid: self.child.id(),
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the pid of a child this process started and has not yet reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields 14 and 15, counted from after the `(comm)` that may hold spaces.
    let after = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| {
        f.iter().map(|v| v.parse::<f64>().unwrap_or(0.0)).sum()
    });
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / hz
}

/// The machine's busy CPU time (all cores, every state but idle and iowait), in seconds.
fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let total: f64 = fields.iter().sum();
    let idle = fields.get(3).copied().unwrap_or(0.0) + fields.get(4).copied().unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (total - idle) / hz
}

/// The figure that is not a result but a warning: the CPU that processes other than the server
/// and the load tool used during the measurement, in percent of one core. Printed with each
/// run, left out of the tables.
const OTHERS: &str = "other processes' CPU %";

/// Not a result either: the calls (or items) counted over the measurement, for
/// `callgrind_ws.sh`.
const COUNT: &str = "count";

/// CPU time over a measurement: the server's, the load tool's, and everyone else's.
struct CpuWindow {
    pid: u32,
    server: f64,
    client: f64,
    machine: f64,
}

impl CpuWindow {
    fn start(pid: u32) -> Self {
        CpuWindow {
            pid,
            server: cpu_seconds(pid),
            client: cpu_seconds(std::process::id()),
            machine: machine_busy_seconds(),
        }
    }

    /// (server seconds, client seconds, others in percent of one core over `elapsed`).
    fn finish(&self, elapsed: f64) -> (f64, f64, f64) {
        let server = cpu_seconds(self.pid) - self.server;
        let client = cpu_seconds(std::process::id()) - self.client;
        let machine = machine_busy_seconds() - self.machine;
        let others = (machine - server - client).max(0.0) / elapsed * 100.0;
        (server, client, others)
    }
}

/// Waits (up to `max`) for a second in which the machine is nearly idle: other processes using
/// less than a quarter of one core. Answers how long it waited.
fn wait_for_quiet(max: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let before = machine_busy_seconds();
        std::thread::sleep(Duration::from_secs(1));
        if machine_busy_seconds() - before < 0.25 || start.elapsed() >= max {
            return start.elapsed();
        }
    }
}

/// A `/proc/PID/status` field in KiB (VmRSS, VmHWM).
fn status_kib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

// ---------------------------------------------------------------------------------------------
// WebSocket helpers.

async fn connect(addr: SocketAddr) -> Result<Ws> {
    let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|error| format!("connect: {error}"))?;
    let _ = tcp.set_nodelay(true);
    // tungstenite zeroes the free part of its read buffer before every read: with the default
    // 128 KiB buffer that memset is most of the client's CPU per message; 8 KiB still takes
    // in many notifications per read.
    let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
    let (ws, _) = tokio::time::timeout(
        TIMEOUT,
        tokio_tungstenite::client_async_with_config(format!("ws://{addr}/"), tcp, Some(config)),
    )
    .await
    .map_err(|_| "handshake timed out".to_owned())?
    .map_err(|error| format!("handshake: {error}"))?;
    Ok(ws)
}

/// The next text (or binary) message, skipping control frames; `None` on timeout.
async fn next_text(ws: &mut Ws, timeout: Duration) -> Result<Option<Vec<u8>>> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let message = match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return Ok(None),
            Ok(None) => return Err("connection closed by the server".into()),
            Ok(Some(Err(error))) => return Err(format!("read: {error}")),
            Ok(Some(Ok(message))) => message,
        };
        match message {
            Message::Text(text) => return Ok(Some(text.as_bytes().to_vec())),
            Message::Binary(bytes) => return Ok(Some(bytes.to_vec())),
            Message::Close(frame) => return Err(format!("closed by the server: {frame:?}")),
            _ => {}
        }
    }
}

/// The next message, or an error after [`TIMEOUT`].
async fn expect_text(ws: &mut Ws) -> Result<Vec<u8>> {
    next_text(ws, TIMEOUT)
        .await?
        .ok_or_else(|| "no answer within the timeout".to_owned())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// One `ping` call, checked.
async fn ping(ws: &mut Ws, id: u64) -> Result<()> {
    ws.send(Message::text(format!(
        r#"{{"jsonrpc":"2.0","method":"ping","id":{id}}}"#
    )))
    .await
    .map_err(|error| format!("send: {error}"))?;
    let answer = expect_text(ws).await?;
    if !contains(&answer, br#""pong""#) {
        return Err(format!(
            "ping answered with {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    Ok(())
}

async fn connect_many(addr: SocketAddr, count: usize, with_ping: bool) -> Result<Vec<Ws>> {
    let mut all = Vec::with_capacity(count);
    // In chunks, so as never to overflow the listen backlog.
    for chunk in 0..count.div_ceil(100) {
        let n = (count - chunk * 100).min(100);
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                tokio::spawn(async move {
                    let mut ws = connect(addr).await?;
                    if with_ping {
                        ping(&mut ws, 0).await?;
                    }
                    Ok::<_, String>(ws)
                })
            })
            .collect();
        for task in tasks {
            all.push(task.await.map_err(|error| error.to_string())??);
        }
    }
    Ok(all)
}

// ---------------------------------------------------------------------------------------------
// Scenarios. Each returns named figures.

type Figures = Vec<(&'static str, f64)>;

/// Depth-1 ping loops on every connection until `until`; the round trips in nanoseconds.
async fn ping_phase(connections: Vec<Ws>, until: Instant) -> Result<(Vec<Ws>, Vec<u64>)> {
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let mut rtts = Vec::with_capacity(65_536);
                let mut id = 1u64;
                while Instant::now() < until {
                    let start = Instant::now();
                    ping(&mut ws, id).await?;
                    rtts.push(start.elapsed().as_nanos() as u64);
                    id += 1;
                }
                Ok::<_, String>((ws, rtts))
            })
        })
        .collect();
    let mut back = Vec::new();
    let mut all = Vec::new();
    for task in tasks {
        let (ws, rtts) = task.await.map_err(|error| error.to_string())??;
        back.push(ws);
        all.extend(rtts);
    }
    Ok((back, all))
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index] as f64
}

async fn scenario_ping(server: &Target, options: &Options) -> Result<Figures> {
    let connections = connect_many(server.addr, options.connections, false).await?;
    let (connections, _) = ping_phase(connections, Instant::now() + options.warmup).await?;
    let window = CpuWindow::start(server.pid);
    let start = Instant::now();
    let (connections, mut rtts) = ping_phase(connections, start + options.duration).await?;
    let elapsed = start.elapsed().as_secs_f64();
    let (cpu, client, others) = window.finish(elapsed);
    drop(connections);
    rtts.sort_unstable();
    let calls = rtts.len() as f64;
    Ok(vec![
        ("req/s", calls / elapsed),
        ("p50 µs", percentile(&rtts, 0.50) / 1e3),
        ("p99 µs", percentile(&rtts, 0.99) / 1e3),
        ("server CPU/call µs", cpu / calls * 1e6),
        ("client CPU/call µs", client / calls * 1e6),
        (OTHERS, others),
        (COUNT, calls),
    ])
}

#[derive(Deserialize)]
struct Notification {
    method: Option<String>,
    params: Option<NotificationParams>,
}

#[derive(Deserialize)]
struct NotificationParams {
    result: Option<u64>,
    error: Option<IgnoredAny>,
    complete: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Answer {
    result: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
}

/// Counts one subscriber's items until `stop`.
async fn subscriber(
    mut ws: Ws,
    received: Arc<Vec<AtomicU64>>,
    index: usize,
    published: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let mut count = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let Some(message) = next_text(&mut ws, Duration::from_millis(100)).await? else {
            continue;
        };
        let notification: Notification = serde_json::from_slice(&message).map_err(|error| {
            format!(
                "subscriber got {error}: {}",
                String::from_utf8_lossy(&message)
            )
        })?;
        let params = match (notification.method.as_deref(), notification.params) {
            (Some("events"), Some(params)) => params,
            _ => {
                return Err(format!(
                    "subscriber got {}",
                    String::from_utf8_lossy(&message)
                ))
            }
        };
        if params.error.is_some() || params.complete.is_some() {
            return Err(format!(
                "subscription ended by the server: {}",
                String::from_utf8_lossy(&message)
            ));
        }
        // Publish calls in flight on one connection may run in any order, so the items come in
        // the order the server ran them: only their count and range are checked.
        match params.result {
            Some(n) if n < published.load(Ordering::Relaxed) => {
                count += 1;
                received[index].store(count, Ordering::Relaxed);
            }
            other => return Err(format!("subscriber got item {other:?}, never published")),
        }
    }
    Ok(())
}

/// Publishes 0, 1, 2, ... until `stop`, within the window and the pipeline depth.
async fn publisher(
    mut ws: Ws,
    received: Arc<Vec<AtomicU64>>,
    stop: Arc<AtomicBool>,
    published: Arc<AtomicU64>,
) -> Result<()> {
    let mut next = 0u64;
    let mut in_flight = 0u64;
    let mut last_answer = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let slowest = received
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .min()
            .unwrap_or(0);
        let mut sent = false;
        while in_flight < PUBLISH_PIPELINE && next - slowest < PUBLISH_WINDOW {
            ws.feed(Message::text(format!(
                r#"{{"jsonrpc":"2.0","method":"publish","params":[{next}],"id":{next}}}"#
            )))
            .await
            .map_err(|error| format!("publish: {error}"))?;
            next += 1;
            in_flight += 1;
            sent = true;
        }
        if sent {
            published.store(next, Ordering::Relaxed);
            ws.flush()
                .await
                .map_err(|error| format!("publish: {error}"))?;
        }
        // An answer, or a millisecond's wait for the subscribers to catch up.
        if let Some(message) = next_text(&mut ws, Duration::from_millis(1)).await? {
            let answer: Answer =
                serde_json::from_slice(&message).map_err(|error| error.to_string())?;
            if answer.error.is_some() || answer.result.is_none() {
                return Err(format!(
                    "publish answered {}",
                    String::from_utf8_lossy(&message)
                ));
            }
            in_flight -= 1;
            last_answer = Instant::now();
        } else if in_flight > 0 && last_answer.elapsed() > TIMEOUT {
            return Err("publish: no answer within the timeout".into());
        }
        let slowest = received
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .min()
            .unwrap_or(0);
        if next - slowest >= PUBLISH_WINDOW && last_answer.elapsed() > TIMEOUT {
            return Err("subscribers stopped receiving".into());
        }
    }
    Ok(())
}

async fn scenario_broadcast(server: &Target, options: &Options) -> Result<Figures> {
    let n = options.connections;
    let mut subscribers = connect_many(server.addr, n, false).await?;
    for ws in &mut subscribers {
        ws.send(Message::text(
            r#"{"jsonrpc":"2.0","method":"subscribe_events","params":[],"id":1}"#,
        ))
        .await
        .map_err(|error| format!("subscribe: {error}"))?;
        let answer = expect_text(ws).await?;
        let answer: Answer = serde_json::from_slice(&answer).map_err(|error| error.to_string())?;
        if answer.result.is_none() {
            return Err(format!("subscribe_events failed: {:?}", answer.error));
        }
    }
    let publisher_ws = connect(server.addr).await?;
    let received: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let published = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks: Vec<_> = subscribers
        .into_iter()
        .enumerate()
        .map(|(index, ws)| {
            tokio::spawn(subscriber(
                ws,
                received.clone(),
                index,
                published.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tasks.push(tokio::spawn(publisher(
        publisher_ws,
        received.clone(),
        stop.clone(),
        published.clone(),
    )));
    let total = |received: &[AtomicU64]| {
        received
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .sum::<u64>()
    };

    tokio::time::sleep(options.warmup).await;
    let (items_before, published_before) = (total(&received), published.load(Ordering::Relaxed));
    let window = CpuWindow::start(server.pid);
    let start = Instant::now();
    // Wakes early if a task fails, so that a broken run does not wait out its duration.
    let failed = tokio::time::timeout(options.duration, async {
        loop {
            if tasks.iter().any(|task| task.is_finished()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .is_ok();
    let elapsed = start.elapsed().as_secs_f64();
    let (cpu, client, others) = window.finish(elapsed);
    let items = (total(&received) - items_before) as f64;
    let published = (published.load(Ordering::Relaxed) - published_before) as f64;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        tokio::time::timeout(TIMEOUT, task)
            .await
            .map_err(|_| "a client task did not stop".to_owned())?
            .map_err(|error| error.to_string())??;
    }
    if failed {
        return Err("a client task stopped early".into());
    }
    Ok(vec![
        ("notifications/s", items / elapsed),
        ("published/s", published / elapsed),
        ("server CPU/item µs", cpu / items * 1e6),
        ("client CPU/item µs", client / items * 1e6),
        (OTHERS, others),
        (COUNT, items),
    ])
}

async fn scenario_idle(server: &Target, options: &Options) -> Result<Figures> {
    // One connection first, so that what the first connection sets up once is in the baseline.
    let mut first = connect(server.addr).await?;
    ping(&mut first, 0).await?;
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let base = status_kib(server.pid, "VmRSS");
    let connections = connect_many(server.addr, options.idle, true).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded = status_kib(server.pid, "VmRSS");
    drop(connections);
    Ok(vec![
        ("RSS idle MiB", base / 1024.0),
        ("RSS loaded MiB", loaded / 1024.0),
        ("per connection KiB", (loaded - base) / options.idle as f64),
    ])
}

// ---------------------------------------------------------------------------------------------

struct Run {
    scenario: Scenario,
    server: usize,
    figures: Figures,
    /// Other processes used at most `--max-others` while it measured.
    quiet: bool,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn format_figure(name: &str, value: f64) -> String {
    if name.ends_with("/s") {
        let whole = format!("{:.0}", value);
        let mut out = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 && c != '-' {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn title(scenario: Scenario, options: &Options) -> String {
    let secs = options.duration.as_secs_f64();
    match scenario {
        Scenario::Ping => format!(
            "`ping` over WebSocket, {} connections, depth 1, {secs} s",
            options.connections
        ),
        Scenario::Broadcast => format!(
            "broadcast to {} subscribers, one publisher, {secs} s",
            options.connections
        ),
        Scenario::Idle => format!("{} idle WebSocket connections", options.idle),
    }
}

/// The 1, 5 and 15 minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or(String::new(), |line| {
        line.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn main() {
    let options = parse_options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.client_threads)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    println!(
        "== {} cores; load average {}; {} rounds, {} s measured after {} s warm-up; {} client thread(s)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(),
        options.rounds,
        options.duration.as_secs_f64(),
        options.warmup.as_secs_f64(),
        options.client_threads,
    );
    if let Some(target) = &options.attach {
        // One run of each scenario against a server started by someone else (callgrind_ws.sh).
        let mut failed = false;
        for &scenario in &options.scenarios {
            let result = runtime.block_on(async {
                match scenario {
                    Scenario::Ping => scenario_ping(target, &options).await,
                    Scenario::Broadcast => scenario_broadcast(target, &options).await,
                    Scenario::Idle => scenario_idle(target, &options).await,
                }
            });
            match result {
                Ok(figures) => {
                    let count = figures.iter().find(|(name, _)| *name == COUNT);
                    println!(
                        "RESULT {} {:.0}",
                        scenario.name(),
                        count.map_or(0.0, |c| c.1)
                    );
                }
                Err(error) => {
                    println!("{} FAILED: {error}", scenario.name());
                    failed = true;
                }
            }
        }
        std::process::exit(i32::from(failed));
    }
    let started = Instant::now();
    let mut runs = Vec::new();
    let mut failures = 0;
    for round in 1..=options.rounds {
        let mut order: Vec<usize> = (0..options.servers.len()).collect();
        if round % 2 == 0 {
            order.reverse();
        }
        for &scenario in &options.scenarios {
            for &index in &order {
                let (name, path) = &options.servers[index];
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    // Past the budget, no more waiting (nor retries): the run must end.
                    let wait = if started.elapsed() < options.budget {
                        options.quiet_wait
                    } else {
                        Duration::ZERO
                    };
                    let waited = wait_for_quiet(wait);
                    if waited > Duration::from_secs(2) {
                        println!(
                            "   (waited {:.0} s for a quiet machine)",
                            waited.as_secs_f64()
                        );
                    }
                    let result = ServerProcess::start(path).and_then(|server| {
                        let server = &server.target();
                        runtime.block_on(async {
                            match scenario {
                                Scenario::Ping => scenario_ping(server, &options).await,
                                Scenario::Broadcast => scenario_broadcast(server, &options).await,
                                Scenario::Idle => scenario_idle(server, &options).await,
                            }
                        })
                    });
                    // Let the server's sockets close before the next one starts.
                    std::thread::sleep(Duration::from_millis(300));
                    let figures = match result {
                        Ok(figures) => figures,
                        Err(error) => {
                            failures += 1;
                            println!(
                                "round {round}  {:<9} {:<10} FAILED: {error}",
                                scenario.name(),
                                name
                            );
                            break;
                        }
                    };
                    let line: Vec<String> = figures
                        .iter()
                        .filter(|(figure, _)| *figure != COUNT)
                        .map(|(figure, value)| {
                            format!("{figure} {}", format_figure(figure, *value))
                        })
                        .collect();
                    println!(
                        "round {round}  {:<9} {:<10} {}",
                        scenario.name(),
                        name,
                        line.join("  ")
                    );
                    let others = figures
                        .iter()
                        .find(|(figure, _)| *figure == OTHERS)
                        .map_or(0.0, |(_, value)| *value);
                    let quiet = others <= options.max_others;
                    runs.push(Run {
                        scenario,
                        server: index,
                        figures,
                        quiet,
                    });
                    if !quiet && attempt <= options.retries && started.elapsed() < options.budget {
                        println!("   (other processes were busy: once more)");
                        continue;
                    }
                    break;
                }
            }
        }
    }
    println!("== after: load average {}", load_average());
    let others: Vec<f64> = runs
        .iter()
        .flat_map(|run| run.figures.iter())
        .filter(|(name, _)| *name == OTHERS)
        .map(|(_, value)| *value)
        .collect();
    if !others.is_empty() {
        let max = others.iter().copied().fold(0.0, f64::max);
        println!(
            "== CPU of other processes during the measurements: median {:.0} %, max {:.0} % of one core",
            median(others),
            max
        );
    }

    for &scenario in &options.scenarios {
        let Some(first) = runs.iter().find(|run| run.scenario == scenario) else {
            continue;
        };

        // Per server: the medians over its quiet runs, or over all its runs if none was quiet.
        let medians: Vec<Option<(Vec<f64>, String)>> = (0..options.servers.len())
            .map(|server| {
                let mine: Vec<&Run> = runs
                    .iter()
                    .filter(|run| run.scenario == scenario && run.server == server)
                    .collect();
                let quiet: Vec<&Run> = mine.iter().copied().filter(|run| run.quiet).collect();
                let (used, note) = if quiet.is_empty() {
                    (
                        mine.clone(),
                        format!("{} of {}, busy", mine.len(), mine.len()),
                    )
                } else {
                    (quiet.clone(), format!("{} of {}", quiet.len(), mine.len()))
                };
                (!used.is_empty()).then(|| {
                    let values = (0..first.figures.len())
                        .map(|i| median(used.iter().map(|run| run.figures[i].1).collect()))
                        .collect();
                    (values, note)
                })
            })
            .collect();
        let columns: Vec<usize> = (0..first.figures.len())
            .filter(|&i| first.figures[i].0 != OTHERS && first.figures[i].0 != COUNT)
            .collect();
        let others_column = (0..first.figures.len()).find(|&i| first.figures[i].0 == OTHERS);
        println!();
        println!("### {}", title(scenario, &options));
        println!();
        let mut header: Vec<&str> = columns.iter().map(|&i| first.figures[i].0).collect();
        if others_column.is_some() {
            header.push("others' CPU %");
        }
        header.push("runs used");
        println!("| server | {} |", header.join(" | "));
        println!("| --- |{}", " ---: |".repeat(header.len()));
        for (server, entry) in medians.iter().enumerate() {
            if let Some((values, note)) = entry {
                let mut cells: Vec<String> = columns
                    .iter()
                    .map(|&i| format_figure(first.figures[i].0, values[i]))
                    .collect();
                if let Some(i) = others_column {
                    cells.push(format!("{:.0}", values[i]));
                }
                cells.push(note.clone());
                println!("| {} | {} |", options.servers[server].0, cells.join(" | "));
            }
        }
        if let (Some(Some((a, _))), Some(Some((b, _)))) = (medians.first(), medians.get(1)) {
            let mut cells: Vec<String> = columns
                .iter()
                .map(|&i| format!("{:.2} ×", a[i] / b[i]))
                .collect();
            if others_column.is_some() {
                cells.push(String::new());
            }
            cells.push(String::new());
            println!(
                "| {} / {} | {} |",
                options.servers[0].0,
                options.servers[1].0,
                cells.join(" | ")
            );
        }
    }
    println!();
    println!(
        "Medians over each server's quiet runs (other processes under {:.0} % of one core while \
         it measured), or over all its runs when none was quiet (\"busy\").",
        options.max_others
    );
    if failures > 0 {
        println!();
        println!("!! {failures} run(s) failed (see above)");
        std::process::exit(1);
    }
}
