//! A command-line JSON-RPC client, like the seed's `jsonrpcclient.request(url, method)`, over
//! HTTP (`http://`, `https://`) or a WebSocket (`ws://`, `wss://`), which can also subscribe.
//!
//! ```sh
//! cargo run --example client -- http://127.0.0.1:5000/ ping
//! cargo run --example client -- http://127.0.0.1:5000/ subtract '[42, 23]'
//! cargo run --example client -- -v http://127.0.0.1:5000/ subtract '{"minuend": 42, "subtrahend": 23}'
//! cargo run --example client -- -n http://127.0.0.1:5000/ update '[1, 2, 3]'
//! cargo run --example client -- ws://127.0.0.1:5000/ ping
//! cargo run --example client -- ws://127.0.0.1:5000/ subscribe_ticks '[3, 10]' --subscribe --take 3
//! ```
//!
//! Prints the result as JSON on stdout and exits 0. An error response goes to stderr with exit
//! status 2; any other failure (unreachable server, bad response, bad arguments) with 1.
//!
//! Options: `-v` shows the `-->` request and `<--` response lines (on stderr), `-n` sends a
//! notification (nothing is printed), `-t SECONDS` sets the timeout, `--cacert FILE` also
//! trusts that root certificate (PEM or DER) for `https://` and `wss://`.
//!
//! With a WebSocket URL, `--subscribe` makes METHOD a subscribe call: each item is printed as
//! one line of JSON as it comes. The client exits 0 when the server ends the subscription, or
//! after the `--take N`-th item, unsubscribing first with `--unsubscribe METHOD` (by default
//! `un` + METHOD, for a METHOD that starts with `subscribe`: `subscribe_ticks` ->
//! `unsubscribe_ticks`).

use std::process::ExitCode;
use std::time::Duration;

use futures_util::StreamExt;
use jsonrpc_runtime::client::{BlockingClient, ClientError, Subscription, WsClient};
use serde_json::Value;

const USAGE: &str = "usage: client [OPTIONS] URL METHOD [PARAMS]
  URL               http://, https://, ws:// or wss://
  PARAMS            a JSON array (by position) or object (by name); none if left out
  -v                show the --> request and <-- response lines
  -n                send a notification: no id, no answer
  -t SECS           the timeout of each call (default 30)
  --cacert FILE     also trust this root certificate (PEM or DER) for https:// and wss://
  --subscribe       (ws:// and wss://) METHOD subscribes: print each item as a JSON line
  --take N          stop after N items, unsubscribing first
  --unsubscribe M   the method that unsubscribes (default: un + METHOD, e.g. unsubscribe_ticks)";

struct Args {
    verbose: bool,
    notify: bool,
    timeout: Option<Duration>,
    root_certificate: Option<Vec<u8>>,
    subscribe: bool,
    take: Option<u64>,
    unsubscribe: Option<String>,
    url: String,
    method: String,
    params: Option<Value>,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(1);
        }
    };
    if args.verbose {
        // The client logs each exchange at debug level; show just those lines, not the
        // debug lines of the HTTP library underneath.
        use tracing_subscriber::prelude::*;
        let lines = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .without_time()
            .with_level(false)
            .with_target(false)
            .with_filter(
                tracing_subscriber::filter::Targets::new()
                    .with_target("jsonrpc_runtime::client", tracing::Level::DEBUG),
            );
        tracing_subscriber::registry().with(lines).init();
    }
    let outcome = if is_websocket(&args.url) {
        run_ws(&args)
    } else {
        run(&args)
    };
    match outcome {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(result)) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(ClientError::Rpc(error)) => {
            eprintln!("error {}: {}", error.code(), error.message());
            if let Some(data) = error.data() {
                eprintln!("data: {data}");
            }
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(1)
        }
    }
}

fn is_websocket(url: &str) -> bool {
    let scheme = url.split("://").next().unwrap_or("");
    scheme.eq_ignore_ascii_case("ws") || scheme.eq_ignore_ascii_case("wss")
}

/// One call over HTTP.
fn run(args: &Args) -> Result<Option<Value>, ClientError> {
    let mut builder = BlockingClient::builder(&args.url);
    if let Some(timeout) = args.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(certificate) = &args.root_certificate {
        builder = builder.add_root_certificate(certificate);
    }
    let client = builder.build_blocking()?;
    if args.notify {
        client.notify(&args.method, &args.params)?;
        return Ok(None);
    }
    client.request(&args.method, &args.params).map(Some)
}

/// One call, or a subscription, over a WebSocket. Items are printed here as they come; the
/// result of a plain call is returned for `main` to print.
fn run_ws(args: &Args) -> Result<Option<Value>, ClientError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| ClientError::InvalidConfig(format!("no runtime: {error}")))?;
    runtime.block_on(async {
        let mut builder = WsClient::builder();
        if let Some(timeout) = args.timeout {
            builder = builder.request_timeout(timeout);
        }
        if let Some(certificate) = &args.root_certificate {
            builder = builder.add_root_certificate(certificate);
        }
        let client = builder.connect(&args.url).await?;
        let outcome = if args.notify {
            client
                .notify(&args.method, &args.params)
                .await
                .map(|()| None)
        } else if args.subscribe {
            subscribe(&client, args).await.map(|()| None)
        } else {
            client.request(&args.method, &args.params).await.map(Some)
        };
        client.close().await;
        outcome
    })
}

/// Prints each item of the subscription as a line of JSON until the server ends it, or until
/// the `--take`-th item, then unsubscribes.
async fn subscribe(client: &WsClient, args: &Args) -> Result<(), ClientError> {
    let unsubscribe = args
        .unsubscribe
        .clone()
        .unwrap_or_else(|| format!("un{}", args.method));
    let mut items: Subscription<Value> = client
        .subscribe(&args.method, &args.params, &unsubscribe)
        .await?;
    if args.take == Some(0) {
        items.unsubscribe().await?;
        return Ok(());
    }
    let mut printed = 0;
    while let Some(item) = items.next().await {
        println!("{}", item?);
        printed += 1;
        if args.take == Some(printed) {
            items.unsubscribe().await?;
            break;
        }
    }
    Ok(())
}

/// The arguments; `None` when help was asked for.
fn parse_args(mut raw: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let (mut verbose, mut notify, mut timeout) = (false, false, None);
    let (mut subscribe, mut take, mut unsubscribe, mut root_certificate) =
        (false, None, None, None);
    let mut positional = Vec::new();
    while let Some(arg) = raw.next() {
        match arg.as_str() {
            "--subscribe" => subscribe = true,
            "--take" => {
                let count = raw.next().ok_or("--take needs a number of items")?;
                take = Some(
                    count
                        .parse::<u64>()
                        .map_err(|_| format!("--take: {count:?} is not a number of items"))?,
                );
            }
            "--unsubscribe" => {
                unsubscribe = Some(raw.next().ok_or("--unsubscribe needs a method name")?);
            }
            "--cacert" => {
                let path = raw.next().ok_or("--cacert needs a file")?;
                let certificate =
                    std::fs::read(&path).map_err(|error| format!("--cacert {path}: {error}"))?;
                root_certificate = Some(certificate);
            }
            "-v" | "--verbose" => verbose = true,
            "-n" | "--notify" => notify = true,
            "-t" | "--timeout" => {
                let seconds = raw.next().ok_or("-t needs a number of seconds")?;
                let seconds: f64 = seconds
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| format!("-t: {seconds:?} is not a number of seconds"))?;
                timeout = Some(Duration::from_secs_f64(seconds));
            }
            "-h" | "--help" => return Ok(None),
            _ if arg.starts_with('-') && arg.len() > 1 => {
                return Err(format!("unknown option {arg}"))
            }
            _ => positional.push(arg),
        }
    }
    let mut positional = positional.into_iter();
    let (Some(url), Some(method)) = (positional.next(), positional.next()) else {
        return Err("URL and METHOD are required".to_owned());
    };
    let params = match positional.next() {
        None => None,
        Some(text) => match serde_json::from_str(&text) {
            Ok(value @ (Value::Array(_) | Value::Object(_))) => Some(value),
            Ok(_) => return Err(format!("PARAMS must be a JSON array or object: {text}")),
            Err(error) => return Err(format!("PARAMS is not JSON ({error}): {text}")),
        },
    };
    if let Some(extra) = positional.next() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    if subscribe || take.is_some() || unsubscribe.is_some() {
        if !is_websocket(&url) {
            return Err("--subscribe, --take and --unsubscribe need a ws:// or wss:// URL".into());
        }
        if !subscribe {
            return Err("--take and --unsubscribe go with --subscribe".to_owned());
        }
        if notify {
            return Err("-n and --subscribe do not go together".to_owned());
        }
        if unsubscribe.is_none() && !method.starts_with("subscribe") {
            return Err(format!(
                "--unsubscribe METHOD is needed: {method:?} does not start with \"subscribe\""
            ));
        }
    }
    Ok(Some(Args {
        verbose,
        notify,
        timeout,
        root_certificate,
        subscribe,
        take,
        unsubscribe,
        url,
        method,
        params,
    }))
}
