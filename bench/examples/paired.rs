//! Wall-clock time of in-process cases measured side by side, for ratios that hold on a noisy
//! machine: criterion measures one case for seconds, then the next, so a burst of load from
//! elsewhere lands on one case and not the other. Here the cases take turns in short blocks
//! (a few milliseconds each, their order rotated every round), so a burst lands on both, and the
//! ratio of each case to the first is taken within each round, then the median over rounds.
//!
//! ```sh
//! cargo run --release --example paired                        # ping against subtract_named
//! cargo run --release --example paired -- ping subtract ping_awaiting
//! ROUNDS=400 cargo run --release --example paired
//! ```

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use jsonrpc_bench::{bodies, dispatcher};
use jsonrpc_runtime::Dispatcher;

/// How long one block of calls of one case takes, about.
const BLOCK: Duration = Duration::from_millis(4);

/// The request body of a case, as `callgrind.rs` names them.
fn body(case: &str) -> &'static str {
    match case {
        "ping" => bodies::PING,
        "ping_awaiting" => bodies::PING_AWAITING,
        "subtract" => bodies::SUBTRACT_POSITIONAL,
        "subtract_named" => bodies::SUBTRACT_NAMED,
        "not_found" => bodies::NOT_FOUND,
        "parse_error" => bodies::PARSE_ERROR,
        other => panic!("unknown case {other}: ping, ping_awaiting, subtract, subtract_named, not_found, parse_error"),
    }
}

/// Polls a future that never waits (every measured call completes at once) to completion.
///
/// The same as `callgrind.rs`'s, and kept in each example on purpose: moved into the bench
/// library, it was compiled differently and added about 120 instructions to every call.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// Nanoseconds per call over `calls` dispatches of `body`.
fn time_block(dispatcher: &Dispatcher, body: &[u8], calls: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        black_box(run(dispatcher.dispatch(black_box(body))));
    }
    start.elapsed().as_nanos() as f64 / f64::from(calls)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mut cases: Vec<String> = std::env::args().skip(1).collect();
    if cases.is_empty() {
        cases = vec!["ping".into(), "subtract_named".into()];
    }
    let rounds: usize = std::env::var("ROUNDS").map_or(200, |n| n.parse().expect("a count"));
    let dispatcher = dispatcher();
    let bodies: Vec<&[u8]> = cases.iter().map(|case| body(case).as_bytes()).collect();
    // Warm up, and size each case's block to about `BLOCK`.
    let calls: Vec<u32> = bodies
        .iter()
        .map(|body| {
            let per_call = time_block(&dispatcher, body, 200_000);
            (BLOCK.as_nanos() as f64 / per_call).max(1_000.0) as u32
        })
        .collect();
    let mut times = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds {
        for turn in 0..cases.len() {
            let case = (turn + round) % cases.len();
            times[case].push(time_block(&dispatcher, bodies[case], calls[case]));
        }
    }
    println!("{rounds} rounds of blocks of about {BLOCK:?} per case, order rotated each round");
    println!(
        "{:<16} {:>12} {:>12} {:>18}",
        "case", "median ns", "lowest ns", "median ratio"
    );
    for (case, name) in cases.iter().enumerate() {
        let mut ratios: Vec<f64> = (0..rounds)
            .map(|round| times[case][round] / times[0][round])
            .collect();
        let lowest = times[case].iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "{:<16} {:>12.1} {:>12.1} {:>16.3} ×",
            name,
            median(&mut times[case].clone()),
            lowest,
            median(&mut ratios)
        );
    }
}
