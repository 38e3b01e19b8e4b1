//! `Params<T>` takes the whole params value; `State<T>` takes shared state, alone or beside
//! params of either kind.

use std::sync::atomic::{AtomicU64, Ordering};

use jsonrpc_runtime::{method, Params, State};
use serde::Deserialize;

#[derive(Default)]
struct Hits(AtomicU64);

#[derive(Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

#[method]
fn sum(numbers: Params<Vec<i64>>) -> i64 {
    numbers.iter().sum()
}

#[method]
async fn norm(point: Params<Point>) -> f64 {
    point.x.hypot(point.y)
}

#[method]
fn hit(hits: State<Hits>) -> u64 {
    hits.0.fetch_add(1, Ordering::Relaxed) + 1
}

#[method]
async fn add_hits(hits: State<Hits>, by: u64) -> u64 {
    hits.0.fetch_add(by, Ordering::Relaxed) + by
}

/// `State<T>` may sit beside `Params<T>`, on either side.
#[method]
fn count_all(hits: State<Hits>, numbers: Params<Vec<u64>>, also: State<Hits>) -> u64 {
    let _ = also;
    hits.0.fetch_add(numbers.len() as u64, Ordering::Relaxed)
}

/// The wrappers may be written with a path.
#[method]
fn qualified(
    numbers: jsonrpc_runtime::Params<Vec<i64>>,
    hits: jsonrpc_runtime::State<Hits>,
) -> usize {
    let _ = hits;
    numbers.into_inner().len()
}

fn main() {}
