use jsonrpc_runtime::method;

#[method(name = "rpc.discover")]
fn discover() {}

fn main() {}
