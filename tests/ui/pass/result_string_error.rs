//! `Result<T, String>` (and `?` on a `String` or `&str` error) answers a server error, -32000,
//! with that message. (This was a compile error, `tests/ui/fail/result_string_error.rs`.)

use jsonrpc_runtime::{method, Dispatcher, Error, Methods};

#[method]
fn parse(text: String) -> Result<i64, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

fn check(flag: bool) -> Result<(), &'static str> {
    if flag {
        Ok(())
    } else {
        Err("the flag is off")
    }
}

#[method]
fn flagged(flag: bool) -> Result<bool, Error> {
    check(flag)?;
    Ok(flag)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let dispatcher = Dispatcher::builder()
        .methods(Methods::new().with(parse::METHOD).with(flagged::METHOD))
        .build()
        .unwrap();
    let answer = |body: &str| {
        let bytes = runtime.block_on(dispatcher.dispatch(body.as_bytes())).unwrap();
        String::from_utf8(bytes).unwrap()
    };
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"parse","params":["x"],"id":1}"#),
        r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"not a number: x"},"id":1}"#
    );
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"parse","params":["12"],"id":1}"#),
        r#"{"jsonrpc":"2.0","result":12,"id":1}"#
    );
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"flagged","params":[false],"id":1}"#),
        r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"the flag is off"},"id":1}"#
    );
}
