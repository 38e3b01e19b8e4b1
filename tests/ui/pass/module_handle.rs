//! A `pub` method in a module: its `METHOD` handle is reachable as `module::name::METHOD`.

mod api {
    use jsonrpc_runtime::method;

    #[method]
    pub fn ping() -> &'static str {
        "pong"
    }

    pub mod math {
        use jsonrpc_runtime::method;

        #[method(name = "math.add")]
        pub async fn add(a: i64, b: i64) -> i64 {
            a + b
        }

        /// `pub(crate)` carries over to the handle too.
        #[method(name = "math.neg")]
        pub(crate) fn neg(a: i64) -> i64 {
            -a
        }
    }
}

fn methods() -> jsonrpc_runtime::Methods {
    jsonrpc_runtime::Methods::new()
        .with(api::ping::METHOD)
        .with(api::math::add::METHOD)
        .with(api::math::neg::METHOD)
}

fn main() {
    let methods = methods();
    assert!(methods.get("ping").is_some());
    assert!(methods.get("math.add").is_some());
    assert!(methods.get("math.neg").is_some());
    assert_eq!(api::ping(), "pong");
    assert_eq!(api::math::add::METHOD.name(), "math.add");
}
