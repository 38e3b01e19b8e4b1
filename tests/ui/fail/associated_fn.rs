use jsonrpc_runtime::method;

struct Counter;

impl Counter {
    #[method]
    fn create() -> Self {
        Counter
    }
}

fn main() {}
