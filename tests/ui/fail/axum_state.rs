use axum::extract::State;
use jsonrpc_runtime::method;

struct Db;

/// `axum::extract::State` in scope, written where the framework's `State` was meant.
#[method]
fn count(db: State<Db>) -> u32 {
    let _ = db;
    0
}

fn main() {}
