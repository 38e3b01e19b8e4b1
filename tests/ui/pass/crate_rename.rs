//! `crate = "..."` names the runtime when it is known under another name.

extern crate jsonrpc_runtime as renamed;

use renamed::method;

#[method(crate = "renamed")]
fn ping() -> &'static str {
    "pong"
}

#[method(crate = "::renamed", name = "renamed.add")]
async fn add(numbers: renamed::Params<Vec<i64>>) -> i64 {
    numbers.iter().sum()
}

mod nested {
    use renamed::{method, State};

    #[method(name = "nested.get", crate = "renamed")]
    pub fn get(value: State<u32>) -> u32 {
        *value
    }
}

fn main() {
    let _ = renamed::Methods::new()
        .with(ping::METHOD)
        .with(nested::get::METHOD);
}
