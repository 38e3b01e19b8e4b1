use jsonrpc_runtime::method;

#[method]
fn shout(#[param] #[context] word: String) -> String {
    word.to_uppercase()
}

fn main() {}
