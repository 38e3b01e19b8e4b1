//! Return types named `...Result`: the `Err` side becomes an error response.

use jsonrpc_runtime::{method, Error, RpcResult};

#[method]
fn divide(a: f64, b: f64) -> Result<f64, Error> {
    if b == 0.0 {
        return Err(Error::new(-32001, "division by zero"));
    }
    Ok(a / b)
}

#[method]
fn full_path(a: i32) -> Result<i32, jsonrpc_runtime::Error> {
    Ok(a)
}

#[method]
async fn checked(a: u8, b: u8) -> RpcResult<u8> {
    a.checked_add(b)
        .ok_or_else(|| Error::invalid_params("overflow"))
}

#[method]
fn qualified_alias() -> jsonrpc_runtime::RpcResult<()> {
    Ok(())
}

#[method]
fn std_result() -> std::result::Result<String, Error> {
    Ok(String::new())
}

/// An application error that converts into a JSON-RPC error.
#[derive(Debug)]
enum MyError {
    NotFound(String),
}

impl From<MyError> for jsonrpc_runtime::Error {
    fn from(error: MyError) -> Self {
        match error {
            MyError::NotFound(what) => Error::new(-32004, format!("{what} not found")),
        }
    }
}

#[method]
fn lookup(key: String) -> Result<u64, MyError> {
    Err(MyError::NotFound(key))
}

#[method]
async fn lookup_later(key: String) -> Result<Vec<u64>, MyError> {
    Err(MyError::NotFound(key))
}

fn main() {}
