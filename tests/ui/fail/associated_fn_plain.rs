// An associated function that neither takes `self` nor names `Self`: its signature reads like a
// free function's, so the macro reads the source around the attribute to tell, and reports the
// one error there instead of the errors of module items parsed as associated items.
use jsonrpc_runtime::method;

struct Counter;

impl Counter {
    #[method]
    fn count() -> u32 {
        0
    }
}

fn main() {}
