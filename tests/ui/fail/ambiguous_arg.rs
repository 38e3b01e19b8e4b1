use jsonrpc_runtime::{method, CallContext, Error, FromCall};
use serde::Deserialize;

/// Both a param (`Deserialize`) and a context argument (`FromCall`).
#[derive(Deserialize)]
struct Locale(String);

impl FromCall for Locale {
    type Rejection = Error;
    fn from_call(_call: &CallContext<'_>) -> Result<Self, Error> {
        Ok(Locale("en".to_owned()))
    }
}

#[method]
fn greet(locale: Locale, name: String) -> String {
    format!("{name} ({})", locale.0)
}

fn main() {}
