use jsonrpc_runtime::method;

#[method]
fn add((a, b): (i32, i32)) -> i32 {
    a + b
}

fn main() {}
