use jsonrpc_runtime::method;

#[method(name = "ping", name = "pong")]
fn ping() {}

fn main() {}
