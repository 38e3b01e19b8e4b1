//! `#[method]` inside a function body: the function and its handle are local items.

use jsonrpc_runtime::{method, Methods};

fn build() -> Methods {
    #[method]
    fn local_ping() -> &'static str {
        "pong"
    }

    #[method(name = "local.add")]
    async fn local_add(a: i64, b: i64) -> i64 {
        a + b
    }

    assert_eq!(local_ping(), "pong");
    Methods::new()
        .with(local_ping::METHOD)
        .with(local_add::METHOD)
}

fn main() {
    let methods = build();
    assert!(methods.get("local_ping").is_some());
    assert!(methods.get("local.add").is_some());
}
