use jsonrpc_runtime::method;

#[method]
unsafe fn peek(address: usize) -> u8 {
    *(address as *const u8)
}

fn main() {}
