// A typed call of a method whose return type is an alias of a `Result<T, E>` that is itself
// `Deserialize` (here `E` is): the call could receive the `T` or the whole `Result`, so the caller
// must say which (`let n: u8 = ...`).
use jsonrpc_runtime::client::Client;
use jsonrpc_runtime::{method, Error};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct AppError(String);

impl From<AppError> for Error {
    fn from(error: AppError) -> Error {
        Error::new(-32099, error.0)
    }
}

type Answer = Result<u8, AppError>;

#[method]
fn answer() -> Answer {
    Ok(42)
}

async fn run(client: Client) {
    let _answer = answer::call(&client).await;
}

fn main() {
    let _ = run;
}
