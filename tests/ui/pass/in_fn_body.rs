//! `#[method]` inside a function body: the function and its handle are local items. The body
//! of an associated function is a block too, not the `impl` block (see `scope.rs` in the macro
//! crate), and an `impl` before a method does not make it associated.

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

struct Server;

impl Server {
    fn build() -> Methods {
        #[method(name = "server.ping")]
        fn ping() -> &'static str {
            "pong"
        }

        Methods::new().with(ping::METHOD)
    }
}

#[method(name = "after_impl")]
fn after_impl() -> &'static str {
    "after"
}

fn main() {
    let methods = build();
    assert!(methods.get("local_ping").is_some());
    assert!(methods.get("local.add").is_some());
    assert!(Server::build().get("server.ping").is_some());
    assert_eq!(after_impl::METHOD.name(), "after_impl");
}
