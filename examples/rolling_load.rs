//! A steady load through a load balancer, to show that restarting the instances behind it loses
//! nothing: `deploy/rolling-restart.sh` runs it against nginx while it restarts three
//! `spec_server` instances one at a time, three times over.
//!
//! ```sh
//! cargo run --example rolling_load -- http://127.0.0.1:7100/ --seconds 60
//! ```
//!
//! It runs until SIGINT or SIGTERM (or `--seconds`), through this crate's own clients:
//!
//! - `--http-tasks N` (default 8) tasks share one HTTP [`Client`], each calling `subtract`
//!   (the answer is checked) and `sleep` with 50 ms in turn;
//! - `--ws-clients N` (default 4) [`WsClient`]s with reconnection on (and the calls a
//!   draining server leaves unanswered sent again, [`Reconnect::resend_on_going_away`]),
//!   each with four tasks making the same calls and two `subscribe_ticks` subscriptions (an
//!   item every 10 ms) whose items are checked to count up by one between the seams where
//!   they resume.
//!
//! Then it prints what was sent, answered correctly and failed, and how many times each
//! subscription resumed. It exits with status 1 if a call failed or was answered wrongly, or a
//! subscription ended, broke its sequence, or resumed fewer than `--expect-resumes N` times
//! (default 0) or not at all after its last seam.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonrpc_runtime::client::{
    Client, ClientError, Reconnect, Subscription, SubscriptionEvent, WsClient,
};

/// How long each `sleep` call sleeps, in milliseconds.
const SLEEP_MS: u64 = 50;
/// The calling tasks of each WebSocket client.
const TASKS_PER_WS_CLIENT: usize = 4;
/// The subscriptions of each WebSocket client.
const SUBSCRIPTIONS_PER_WS_CLIENT: usize = 2;
/// The `subscribe_ticks` params: as good as endless, an item every 10 ms.
const TICKS: (u64, u64) = (1_000_000_000, 10);
/// How many failures are printed as they happen; the rest are only counted.
const FAILURES_SHOWN: u64 = 10;

/// The command line.
struct Options {
    url: String,
    seconds: u64,
    http_tasks: usize,
    ws_clients: usize,
    expect_resumes: u64,
}

/// The counts of one kind of call.
#[derive(Default)]
struct Calls {
    sent: AtomicU64,
    correct: AtomicU64,
    failed: AtomicU64,
}

impl Calls {
    /// Counts one call: `Ok(true)` answered correctly, `Ok(false)` answered wrongly.
    fn record(&self, kind: &str, method: &str, outcome: Result<bool, ClientError>) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let why = match outcome {
            Ok(true) => {
                self.correct.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(false) => "a wrong answer".to_owned(),
            Err(error) => error.to_string(),
        };
        if self.failed.fetch_add(1, Ordering::Relaxed) < FAILURES_SHOWN {
            eprintln!("rolling_load: {kind} {method} failed: {why}");
        }
    }

    fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    fn line(&self, kind: &str) -> String {
        format!(
            "{kind}: {} calls sent, {} answered correctly, {} failed",
            self.sent.load(Ordering::Relaxed),
            self.correct.load(Ordering::Relaxed),
            self.failed()
        )
    }
}

/// What one subscription saw.
#[derive(Debug, Default)]
struct Followed {
    items: u64,
    resumes: u64,
    /// Items read since the last seam (or the start).
    since_resume: u64,
    /// Items that did not follow the one before (or, after a seam, did not start again at 0).
    out_of_sequence: u64,
    /// Why the stream ended, if it did.
    ended: Option<String>,
}

impl Followed {
    /// Whether it kept going: never ended, never broke its sequence, resumed at least
    /// `expected` times and got items after its last resume.
    fn healthy(&self, expected: u64) -> bool {
        self.ended.is_none()
            && self.out_of_sequence == 0
            && self.resumes >= expected
            && self.since_resume > 0
    }
}

#[tokio::main]
async fn main() {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("rolling_load: {message}");
            eprintln!(
                "usage: rolling_load URL [--seconds N] [--http-tasks N] [--ws-clients N] \
                 [--expect-resumes N]"
            );
            std::process::exit(2);
        }
    };
    let http_url = options.url.clone();
    let ws_url = options.url.replacen("http", "ws", 1);
    let stop = Arc::new(AtomicBool::new(false));
    let http = Arc::new(Calls::default());
    let ws = Arc::new(Calls::default());
    let started = Instant::now();
    let mut tasks = Vec::new();

    let client = Client::new(&http_url).unwrap_or_else(|error| fatal("the HTTP client", error));
    for task in 0..options.http_tasks {
        let (client, stop, calls) = (client.clone(), Arc::clone(&stop), Arc::clone(&http));
        tasks.push(tokio::spawn(async move {
            let mut n = task as i64 * 1_000_000;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let difference = client.request::<i64>("subtract", (n, 42)).await;
                calls.record("HTTP", "subtract", difference.map(|d| d == n - 42));
                let slept = client.request::<u64>("sleep", [SLEEP_MS]).await;
                calls.record("HTTP", "sleep", slept.map(|ms| ms == SLEEP_MS));
            }
        }));
    }

    let mut followers = Vec::new();
    for ws_client in 0..options.ws_clients {
        let client = WsClient::builder()
            // This crate's server answers every call it has read before it closes with 1001:
            // the calls unanswered then were never run, and are safe to send again.
            .reconnect(Reconnect::new().resend_on_going_away(true))
            .connect(&ws_url)
            .await
            .unwrap_or_else(|error| fatal("a WebSocket client", error));
        for task in 0..TASKS_PER_WS_CLIENT {
            let (client, stop, calls) = (client.clone(), Arc::clone(&stop), Arc::clone(&ws));
            let base = ((ws_client * TASKS_PER_WS_CLIENT + task) as i64 + 1) * -1_000_000;
            tasks.push(tokio::spawn(async move {
                let mut n = base;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let difference = client.request::<i64>("subtract", (n, 42)).await;
                    calls.record("WebSocket", "subtract", difference.map(|d| d == n - 42));
                    let slept = client.request::<u64>("sleep", [SLEEP_MS]).await;
                    calls.record("WebSocket", "sleep", slept.map(|ms| ms == SLEEP_MS));
                }
            }));
        }
        for _ in 0..SUBSCRIPTIONS_PER_WS_CLIENT {
            let ticks: Subscription<u64> = client
                .subscribe("subscribe_ticks", TICKS, "unsubscribe_ticks")
                .await
                .unwrap_or_else(|error| fatal("subscribing", error));
            let followed = Arc::new(Mutex::new(Followed::default()));
            followers.push(Arc::clone(&followed));
            tokio::spawn(follow(ticks, followed));
        }
    }
    println!(
        "rolling_load: {} HTTP tasks, {} WebSocket clients ({} tasks, {} subscriptions each) on {}",
        options.http_tasks,
        options.ws_clients,
        TASKS_PER_WS_CLIENT,
        SUBSCRIPTIONS_PER_WS_CLIENT,
        options.url
    );

    tokio::select! {
        () = stop_signal() => {}
        () = tokio::time::sleep(Duration::from_secs(options.seconds)) => {}
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }

    let followed: Vec<Followed> = followers
        .iter()
        .map(|followed| std::mem::take(&mut *followed.lock().unwrap()))
        .collect();
    let resumes: Vec<u64> = followed.iter().map(|f| f.resumes).collect();
    let items: u64 = followed.iter().map(|f| f.items).sum();
    let unhealthy = followed
        .iter()
        .filter(|f| !f.healthy(options.expect_resumes))
        .count();
    for (n, f) in followed.iter().enumerate() {
        if !f.healthy(options.expect_resumes) {
            eprintln!("rolling_load: subscription {n} did not keep going: {f:?}");
        }
    }
    println!("rolling_load: ran {:.1} s", started.elapsed().as_secs_f64());
    println!("{}", http.line("HTTP"));
    println!("{}", ws.line("WebSocket"));
    println!(
        "subscriptions: {} with {items} items, resumed {} times in all ({resumes:?} each), \
         {} not resumed",
        followed.len(),
        resumes.iter().sum::<u64>(),
        unhealthy
    );
    if http.failed() > 0 || ws.failed() > 0 || unhealthy > 0 {
        std::process::exit(1);
    }
}

/// Reads a subscription to its end (which should never come), checking that its items count up
/// by one, and from 0 again after each seam.
async fn follow(mut ticks: Subscription<u64>, followed: Arc<Mutex<Followed>>) {
    let mut next = 0;
    while let Some(event) = ticks.next_event().await {
        let mut f = followed.lock().unwrap();
        match event {
            SubscriptionEvent::Item(Ok(tick)) => {
                if tick != next {
                    f.out_of_sequence += 1;
                }
                next = tick + 1;
                f.items += 1;
                f.since_resume += 1;
            }
            SubscriptionEvent::Item(Err(error)) => {
                f.ended = Some(error.to_string());
                return;
            }
            SubscriptionEvent::Resumed => {
                f.resumes += 1;
                f.since_resume = 0;
                next = 0;
            }
        }
    }
    followed.lock().unwrap().ended = Some("the server ended it".to_owned());
}

/// Resolves on SIGINT or (on Unix) SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        url: String::new(),
        seconds: 3600,
        http_tasks: 8,
        ws_clients: 4,
        expect_resumes: 0,
    };
    while let Some(arg) = args.next() {
        let mut number = |name: &str| {
            args.next()
                .and_then(|value| value.parse::<u64>().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--seconds" => options.seconds = number("--seconds")?,
            "--http-tasks" => options.http_tasks = number("--http-tasks")? as usize,
            "--ws-clients" => options.ws_clients = number("--ws-clients")? as usize,
            "--expect-resumes" => options.expect_resumes = number("--expect-resumes")?,
            url if url.starts_with("http://") || url.starts_with("https://") => {
                options.url = url.to_owned()
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.url.is_empty() {
        return Err("give the balancer's URL, e.g. http://127.0.0.1:7100/".to_owned());
    }
    Ok(options)
}

fn fatal(what: &str, error: ClientError) -> ! {
    eprintln!("rolling_load: {what}: {error}");
    std::process::exit(2);
}
