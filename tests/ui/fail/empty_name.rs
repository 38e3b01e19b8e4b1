use jsonrpc_runtime::method;

#[method(name = "")]
fn nameless() {}

fn main() {}
