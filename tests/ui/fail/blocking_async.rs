use jsonrpc_runtime::method;

#[method(blocking)]
async fn slow() -> u32 {
    1
}

fn main() {}
