//! A `Deserialize` struct of the user's called `Headers` is a param, not the HTTP headers: the
//! type decides, not the name. `#[param]` and `#[context]` settle a type that is both.

use jsonrpc_runtime::{method, CallContext, Dispatcher, Error, FromCall, Methods};
use serde::Deserialize;

#[derive(Deserialize)]
struct Headers {
    subject: String,
}

#[method]
fn subject(headers: Headers) -> String {
    headers.subject
}

/// Both `Deserialize` and an extractor.
#[derive(Deserialize)]
struct Locale(String);

impl FromCall for Locale {
    type Rejection = Error;
    fn from_call(_call: &CallContext<'_>) -> Result<Self, Error> {
        Ok(Locale("en".to_owned()))
    }
}

#[method]
fn given(#[param] locale: Locale) -> String {
    locale.0
}

#[method]
fn server_side(#[context] locale: Locale, word: String) -> String {
    format!("{word}@{}", locale.0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let dispatcher = Dispatcher::builder()
        .methods(
            Methods::new()
                .with(subject::METHOD)
                .with(given::METHOD)
                .with(server_side::METHOD),
        )
        .build()
        .unwrap();
    let answer = |body: &str| {
        let bytes = runtime.block_on(dispatcher.dispatch(body.as_bytes())).unwrap();
        String::from_utf8(bytes).unwrap()
    };
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"subject","params":{"headers":{"subject":"hi"}},"id":1}"#),
        r#"{"jsonrpc":"2.0","result":"hi","id":1}"#
    );
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"given","params":["fr"],"id":1}"#),
        r#"{"jsonrpc":"2.0","result":"fr","id":1}"#
    );
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"server_side","params":["x"],"id":1}"#),
        r#"{"jsonrpc":"2.0","result":"x@en","id":1}"#
    );
}
