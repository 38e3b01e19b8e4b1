//! The `#[method]` attribute of `jsonrpc-runtime`. Depend on `jsonrpc-runtime`, which re-exports
//! it and documents it; the generated code only works with that crate.
//!
//! The work is split into steps, one file each: `args.rs` reads the attribute's options,
//! `ast.rs` reads the function into a model, `check.rs` applies the rules, `expand.rs` writes the
//! generated code, and `describe.rs` its OpenRPC description; `awaits.rs` tells an `async fn` that never waits; `scope.rs` tells from the source
//! whether the attribute stands in an `impl` or `trait` body.

#![forbid(unsafe_code)]

mod args;
mod ast;
mod awaits;
mod check;
mod describe;
mod expand;
mod scope;

use proc_macro::TokenStream;

/// Turns a function into a JSON-RPC method and registers it. See `jsonrpc_runtime::method`.
#[proc_macro_attribute]
pub fn method(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::method(args.into(), item.into()).into()
}

/// Turns an `async fn` into a JSON-RPC subscription and registers it. See
/// `jsonrpc_runtime::subscription`.
#[proc_macro_attribute]
pub fn subscription(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::subscription(args.into(), item.into()).into()
}
