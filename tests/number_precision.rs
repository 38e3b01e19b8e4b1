//! What the README states about numbers: a `serde_json::Value` holds integers beyond 64 bits
//! as floats (precision is lost), `u128` / `i128` params are exact, and a `Box<RawValue>`
//! param passes the text through as it came. Ids are echoed byte for byte in every case.

mod common;

use jsonrpc_runtime::{method, Dispatcher, Methods};
use serde_json::value::RawValue;
use serde_json::Value;

#[method]
fn echo(value: Value) -> Value {
    value
}

#[method]
fn wide(value: u128) -> u128 {
    value
}

#[method]
fn verbatim(value: Box<RawValue>) -> Box<RawValue> {
    value
}

fn dispatcher() -> Dispatcher {
    Dispatcher::builder()
        .methods(
            Methods::new()
                .with(echo::METHOD)
                .with(wide::METHOD)
                .with(verbatim::METHOD),
        )
        .build()
        .unwrap()
}

async fn answer(method: &str, param: &str) -> String {
    let body = format!(
        r#"{{"jsonrpc":"2.0","method":"{method}","params":[{param}],"id":18446744073709551617}}"#
    );
    common::call_text(&dispatcher(), &body).await
}

#[tokio::test]
async fn a_json_value_holds_integers_beyond_64_bits_as_floats() {
    assert_eq!(
        answer("echo", "123456789012345678901234567890").await,
        r#"{"jsonrpc":"2.0","result":1.2345678901234568e+29,"id":18446744073709551617}"#
    );
    // Within 64 bits, exact.
    assert_eq!(
        answer("echo", "18446744073709551615").await,
        r#"{"jsonrpc":"2.0","result":18446744073709551615,"id":18446744073709551617}"#
    );
}

#[tokio::test]
async fn u128_params_and_raw_values_are_exact() {
    assert_eq!(
        answer("wide", "123456789012345678901234567890").await,
        r#"{"jsonrpc":"2.0","result":123456789012345678901234567890,"id":18446744073709551617}"#
    );
    assert_eq!(
        answer("verbatim", "[123456789012345678901234567890, 1e400]").await,
        r#"{"jsonrpc":"2.0","result":[123456789012345678901234567890, 1e400],"id":18446744073709551617}"#
    );
}
