use jsonrpc_runtime::method;

struct Counter;

impl Counter {
    #[method]
    fn count(&self) -> u32 {
        0
    }
}

fn main() {}
