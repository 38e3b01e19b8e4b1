use jsonrpc_runtime::{method, Params};

#[method]
fn both(numbers: Params<Vec<i64>>, again: Params<Vec<i64>>) -> usize {
    numbers.len() + again.len()
}

fn main() {}
