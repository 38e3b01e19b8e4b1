// How a return value becomes a response is decided by its type, not its name: an alias of
// `Result` still answers `Err` with an error object, and a struct whose name ends in `Result`
// is an ordinary value.
use jsonrpc_runtime::{method, Dispatcher, Error, Methods};

type Answer = Result<u32, Error>;

#[method]
fn fails() -> Answer {
    Err(Error::new(-32001, "boom"))
}

#[derive(serde::Serialize)]
struct SearchResult {
    hits: u32,
}

#[method]
fn search() -> SearchResult {
    SearchResult { hits: 3 }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let dispatcher = Dispatcher::builder()
        .methods(Methods::new().with(fails::METHOD).with(search::METHOD))
        .build()
        .unwrap();
    let answer = |body: &str| {
        let bytes = runtime.block_on(dispatcher.dispatch(body.as_bytes())).unwrap();
        String::from_utf8(bytes).unwrap()
    };
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"fails","id":1}"#),
        r#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"boom"},"id":1}"#
    );
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"search","id":1}"#),
        r#"{"jsonrpc":"2.0","result":{"hits":3},"id":1}"#
    );
}
