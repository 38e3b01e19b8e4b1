use jsonrpc_runtime::method;

#[method]
fn show(value: impl std::fmt::Display) -> String {
    value.to_string()
}

fn main() {}
