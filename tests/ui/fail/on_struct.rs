use jsonrpc_runtime::method;

#[method]
struct Ping;

fn main() {}
