// An associated function that neither takes `self` nor names `Self`: the macro cannot tell it
// from a free function, so rustc reports the generated items an `impl` cannot hold.
use jsonrpc_runtime::method;

struct Counter;

impl Counter {
    #[method]
    fn count() -> u32 {
        0
    }
}

fn main() {}
