//! Plain and async functions, the `name` option, optional params and the return kinds that are
//! serialized directly.

use jsonrpc_runtime::method;

/// No params, no return value: the result is `null`.
#[method]
fn ping() {}

/// A plain value is the result.
#[method]
fn answer() -> u32 {
    42
}

#[method]
async fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend - subtrahend
}

#[method]
async fn idle() {}

#[method(name = "math.add")]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// `Option` params may be left out.
#[method(name = "greet")]
fn greeting(name: String, greeting: Option<String>) -> String {
    format!("{}, {name}!", greeting.as_deref().unwrap_or("Hello"))
}

#[method]
async fn maybe(value: Option<Vec<u8>>) -> Option<usize> {
    value.map(|v| v.len())
}

/// The function stays callable as a function.
fn use_the_functions() {
    ping();
    assert_eq!(answer(), 42);
    assert_eq!(add(1, 2), 3);
    assert_eq!(greeting("Ann".to_owned(), None), "Hello, Ann!");
    let _ = subtract(3, 2);
    let _ = idle();
    let _ = maybe(None);
    assert_eq!(add::METHOD.name(), "math.add");
    assert_eq!(greeting::METHOD.name(), "greet");
}

fn main() {
    use_the_functions();
}
