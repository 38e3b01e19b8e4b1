use std::rc::Rc;

use jsonrpc_runtime::method;

async fn pause() {}

#[method]
async fn count(items: Vec<u32>) -> usize {
    let shared = Rc::new(items);
    pause().await;
    shared.len()
}

fn main() {}
