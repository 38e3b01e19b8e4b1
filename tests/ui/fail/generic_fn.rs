use jsonrpc_runtime::method;

#[method]
fn echo<T: serde::Serialize>(value: T) -> T {
    value
}

fn main() {}
