//! The black-box conformance suite: raw HTTP/1.1 over TCP against the spec server
//! (`examples/spec_server.rs`), checking the JSON-RPC 2.0 specification and the server's limits.
//!
//! By default the spec server runs in-process on an ephemeral port. To check a running binary
//! instead, point `JSONRPC_SPEC_URL` at it:
//!
//! ```sh
//! cargo run --example spec_server 127.0.0.1:5000 &
//! JSONRPC_SPEC_URL=http://127.0.0.1:5000/ cargo test --test conformance
//! ```
//!
//! Limit tests need a server configured with small limits: they start one in-process in both
//! modes.
//!
//! One module per topic, in `tests/conformance/`.

mod common;

#[path = "../examples/spec_server.rs"]
#[allow(dead_code)]
mod spec_server;

#[path = "conformance/harness.rs"]
mod harness;

#[path = "conformance/spec_examples.rs"]
mod spec_examples;

#[path = "conformance/ids.rs"]
mod ids;

#[path = "conformance/invalid_requests.rs"]
mod invalid_requests;

#[path = "conformance/parse_errors.rs"]
mod parse_errors;

#[path = "conformance/params.rs"]
mod params;

#[path = "conformance/batches.rs"]
mod batches;

#[path = "conformance/errors.rs"]
mod errors;

#[path = "conformance/concurrency.rs"]
mod concurrency;

#[path = "conformance/http.rs"]
mod http;

#[path = "conformance/limits.rs"]
mod limits;

#[path = "conformance/disconnects.rs"]
mod disconnects;
