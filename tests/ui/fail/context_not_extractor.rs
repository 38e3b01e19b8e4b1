use jsonrpc_runtime::method;

#[method]
fn shout(#[context] word: String) -> String {
    word.to_uppercase()
}

fn main() {}
