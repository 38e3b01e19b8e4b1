use jsonrpc_runtime::method;

#[method]
fn greet(name: &str) -> String {
    format!("Hello, {name}!")
}

fn main() {}
