use jsonrpc_runtime::{method, Params};

#[method]
fn scale(numbers: Params<Vec<i64>>, factor: i64) -> Vec<i64> {
    numbers.iter().map(|n| n * factor).collect()
}

fn main() {}
