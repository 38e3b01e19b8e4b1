//! Raw identifiers: `r#type` is the param `type` and `r#match` the method `match`.

use jsonrpc_runtime::method;

#[method]
fn describe(r#type: String, r#ref: Option<u32>) -> String {
    format!("{type}/{ref:?}", type = r#type, ref = r#ref)
}

#[method]
fn r#match(r#in: Vec<String>) -> usize {
    r#in.len()
}

fn main() {
    assert_eq!(describe::METHOD.name(), "describe");
    assert_eq!(r#match::METHOD.name(), "match");
}
