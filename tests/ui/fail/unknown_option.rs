use jsonrpc_runtime::method;

#[method(rename = "ping")]
fn ping() {}

fn main() {}
