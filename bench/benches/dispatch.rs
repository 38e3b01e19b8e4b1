//! In-process dispatch, bytes in and bytes out: this project's `Dispatcher::dispatch` against
//! jsonrpsee's `RpcModule::raw_json_request`, each pair in one criterion group.
//!
//! ```sh
//! cd bench && cargo bench                 # everything
//! cd bench && cargo bench -- batch        # only the groups whose name contains "batch"
//! ```

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use jsonrpc_bench::{bodies, dispatcher, jsonrpsee_batch, jsonrpsee_module, jsonrpsee_single};
use std::hint::black_box;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// One request object each: both libraries answer it in full.
fn single_calls(c: &mut Criterion) {
    let rt = runtime();
    let ours = dispatcher();
    let theirs = jsonrpsee_module();
    let cases = [
        ("ping", bodies::PING),
        ("ping_awaiting", bodies::PING_AWAITING),
        ("subtract_by_position", bodies::SUBTRACT_POSITIONAL),
        ("subtract_by_name", bodies::SUBTRACT_NAMED),
        ("method_not_found", bodies::NOT_FOUND),
        ("parse_error", bodies::PARSE_ERROR),
    ];
    for (name, body) in cases {
        // Check once that both answer, and answer alike, before measuring.
        let answer = rt
            .block_on(ours.dispatch(body.as_bytes()))
            .expect("an answer");
        let answer = String::from_utf8(answer).expect("UTF-8");
        let reference = rt.block_on(jsonrpsee_single(&theirs, body));
        match name {
            "ping" | "ping_awaiting" => {
                assert_eq!(answer, r#"{"jsonrpc":"2.0","result":"pong","id":1}"#)
            }
            "subtract_by_position" => {
                assert_eq!(answer, r#"{"jsonrpc":"2.0","result":19,"id":1}"#)
            }
            "subtract_by_name" => assert_eq!(answer, r#"{"jsonrpc":"2.0","result":19,"id":3}"#),
            "method_not_found" => assert!(answer.contains("-32601"), "{answer}"),
            _ => assert!(answer.contains("-32700"), "{answer}"),
        }
        let reference = reference.get();
        match name {
            "method_not_found" => assert!(reference.contains("-32601"), "{reference}"),
            "parse_error" => assert!(reference.contains("-32700"), "{reference}"),
            _ => assert!(!reference.contains("error"), "{reference}"),
        }

        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        group.bench_function("jsonrpc-runtime", |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(ours.dispatch(black_box(body.as_bytes())).await) })
        });
        group.bench_function("jsonrpsee", |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(jsonrpsee_single(&theirs, black_box(body)).await) })
        });
        group.finish();
    }
}

/// Batches of pings; the throughput is in calls, so criterion reports the cost per call.
fn batches(c: &mut Criterion) {
    let rt = runtime();
    let ours = dispatcher();
    let theirs = jsonrpsee_module();
    let mut group = c.benchmark_group("batch_ping");
    for n in [10usize, 100, 1_000, 10_000] {
        let body = bodies::ping_batch(n);
        let expected = bodies::pong_batch(n);
        let answer = rt
            .block_on(ours.dispatch(body.as_bytes()))
            .expect("an answer");
        assert_eq!(String::from_utf8(answer).expect("UTF-8"), expected);
        // jsonrpsee writes `id` before `result`: compare the values.
        let reference: serde_json::Value =
            serde_json::from_str(&rt.block_on(jsonrpsee_batch(&theirs, &body))).expect("JSON");
        assert_eq!(
            reference,
            serde_json::from_str::<serde_json::Value>(&expected).unwrap()
        );

        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("jsonrpc-runtime", n), &body, |b, body| {
            b.to_async(&rt)
                .iter(|| async { black_box(ours.dispatch(black_box(body.as_bytes())).await) })
        });
        group.bench_with_input(BenchmarkId::new("jsonrpsee", n), &body, |b, body| {
            b.to_async(&rt)
                .iter(|| async { black_box(jsonrpsee_batch(&theirs, black_box(body)).await) })
        });
    }
    group.finish();
}

/// `echo` of about 1 MiB of JSON, against parsing the same bytes into a `serde_json::Value` and
/// writing it back out: what any JSON layer must at least do with them.
fn echo_1mib(c: &mut Criterion) {
    let rt = runtime();
    let ours = dispatcher();
    let theirs = jsonrpsee_module();
    let payload = bodies::payload_1mib();
    let body = bodies::echo(&payload);
    let answer = rt
        .block_on(ours.dispatch(body.as_bytes()))
        .expect("an answer");
    let expected = format!(r#"{{"jsonrpc":"2.0","result":{payload},"id":1}}"#);
    assert!(answer == expected.as_bytes(), "echo answers its param");
    let reference = rt.block_on(jsonrpsee_single(&theirs, &body));
    assert_eq!(reference.get().len(), expected.len());

    let mut group = c.benchmark_group("echo_1mib");
    group.throughput(Throughput::Bytes(payload.len() as u64));
    group.sample_size(30);
    group.bench_function("serde_json_roundtrip", |b| {
        b.iter(|| {
            let value: serde_json::Value =
                serde_json::from_slice(black_box(payload.as_bytes())).expect("JSON");
            black_box(serde_json::to_vec(&value).expect("serializes"))
        })
    });
    group.bench_function("jsonrpc-runtime", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(ours.dispatch(black_box(body.as_bytes())).await) })
    });
    group.bench_function("jsonrpsee", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(jsonrpsee_single(&theirs, black_box(&body)).await) })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = dispatch;
    config = config();
    targets = single_calls, batches, echo_1mib
}
criterion_main!(dispatch);
