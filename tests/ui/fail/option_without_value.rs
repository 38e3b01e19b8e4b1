use jsonrpc_runtime::method;

#[method(name)]
fn ping() {}

#[method(group = "a", blocking = true)]
fn pong() {}

fn main() {}
