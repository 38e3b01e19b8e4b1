//! A command-line JSON-RPC client, like the seed's `jsonrpcclient.request(url, method)`.
//!
//! ```sh
//! cargo run --example client -- http://127.0.0.1:5000/ ping
//! cargo run --example client -- http://127.0.0.1:5000/ subtract '[42, 23]'
//! cargo run --example client -- -v http://127.0.0.1:5000/ subtract '{"minuend": 42, "subtrahend": 23}'
//! cargo run --example client -- -n http://127.0.0.1:5000/ update '[1, 2, 3]'
//! ```
//!
//! Prints the result as JSON on stdout and exits 0. An error response goes to stderr with exit
//! status 2; any other failure (unreachable server, bad response, bad arguments) with 1.
//!
//! Options: `-v` shows the `-->` request and `<--` response lines (on stderr), `-n` sends a
//! notification (nothing is printed), `-t SECONDS` sets the timeout.

use std::process::ExitCode;
use std::time::Duration;

use jsonrpc_runtime::client::{BlockingClient, ClientError};
use serde_json::Value;

const USAGE: &str = "usage: client [-v] [-n] [-t SECONDS] URL METHOD [PARAMS]
  PARAMS   a JSON array (by position) or object (by name); none if left out
  -v       show the --> request and <-- response lines
  -n       send a notification: no id, no answer
  -t SECS  the timeout (default 30)";

struct Args {
    verbose: bool,
    notify: bool,
    timeout: Option<Duration>,
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
    match run(&args) {
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

fn run(args: &Args) -> Result<Option<Value>, ClientError> {
    let mut builder = BlockingClient::builder(&args.url);
    if let Some(timeout) = args.timeout {
        builder = builder.timeout(timeout);
    }
    let client = builder.build_blocking()?;
    if args.notify {
        client.notify(&args.method, &args.params)?;
        return Ok(None);
    }
    client.request(&args.method, &args.params).map(Some)
}

/// The arguments; `None` when help was asked for.
fn parse_args(mut raw: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let (mut verbose, mut notify, mut timeout) = (false, false, None);
    let mut positional = Vec::new();
    while let Some(arg) = raw.next() {
        match arg.as_str() {
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
    Ok(Some(Args {
        verbose,
        notify,
        timeout,
        url,
        method,
        params,
    }))
}
