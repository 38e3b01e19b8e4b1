//! Runs one dispatch case N times, for counting instructions under callgrind (stable on a noisy
//! machine, unlike wall-clock time). `bash callgrind.sh` runs every case twice, with two values of
//! N, and prints the difference per call, which leaves out start-up.
//!
//! ```sh
//! cargo build --release --example callgrind
//! valgrind --tool=callgrind target/release/examples/callgrind ping 10000
//! ```

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use jsonrpc_bench::{bodies, dispatcher, jsonrpsee_batch, jsonrpsee_module, jsonrpsee_single};

/// Polls a future that never waits (every benchmarked call completes at once) to completion,
/// without a runtime in the profile.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().expect("a case: ping, ping_awaiting, subtract, subtract_named, not_found, parse_error, batch10, batch100, batch1000, echo, roundtrip (serde_json alone); jsonrpsee_<case>");
    let count: usize = args.next().map_or(10_000, |n| n.parse().expect("a count"));
    let (library, case) = match case.strip_prefix("jsonrpsee_") {
        Some(case) => ("jsonrpsee", case.to_owned()),
        None => ("ours", case),
    };
    let body = match case.as_str() {
        "ping" => bodies::PING.to_owned(),
        "ping_awaiting" => bodies::PING_AWAITING.to_owned(),
        "subtract" => bodies::SUBTRACT_POSITIONAL.to_owned(),
        "subtract_named" => bodies::SUBTRACT_NAMED.to_owned(),
        "not_found" => bodies::NOT_FOUND.to_owned(),
        "parse_error" => bodies::PARSE_ERROR.to_owned(),
        "batch10" => bodies::ping_batch(10),
        "batch100" => bodies::ping_batch(100),
        "batch1000" => bodies::ping_batch(1_000),
        "echo" => bodies::echo(&bodies::payload_1mib()),
        "roundtrip" => String::new(),
        other => panic!("unknown case {other}"),
    };
    if case == "roundtrip" {
        // The echo reference: the same payload parsed into a `Value` and written out.
        let payload = bodies::payload_1mib();
        for _ in 0..count {
            let value: serde_json::Value = serde_json::from_str(black_box(&payload)).expect("JSON");
            black_box(serde_json::to_vec(&value).expect("serializes"));
        }
        return;
    }
    if library == "ours" {
        let dispatcher = dispatcher();
        for _ in 0..count {
            black_box(run(dispatcher.dispatch(black_box(body.as_bytes()))));
        }
    } else {
        let module = jsonrpsee_module();
        let batch = body.starts_with('[');
        for _ in 0..count {
            if batch {
                black_box(run(jsonrpsee_batch(&module, black_box(&body))));
            } else {
                black_box(run(jsonrpsee_single(&module, black_box(&body))));
            }
        }
    }
}
