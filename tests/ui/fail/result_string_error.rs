use jsonrpc_runtime::method;

#[method]
fn parse(text: String) -> Result<i64, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

fn main() {}
