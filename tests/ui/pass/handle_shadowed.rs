//! A module (or type) with the same name as a method does not clash with the method's hidden
//! handle: the user's item wins, and the method is still registered.

use jsonrpc_runtime::{method, Methods};

mod users {
    pub fn count() -> usize {
        2
    }
}

#[method]
fn users() -> usize {
    users::count()
}

/// A braced struct, in the type namespace only, beside a function of the same name.
struct Item {}

#[method(name = "item")]
#[allow(non_snake_case)]
fn Item() -> &'static str {
    let _ = Item {};
    "item"
}

fn main() {
    assert_eq!(users(), 2);
    let methods = Methods::registered();
    assert!(methods.get("users").is_some());
    assert!(methods.get("item").is_some());
}
