//! Start-up errors read as sentences that say what failed and where, also in the `Debug` form
//! that `fn main() -> std::io::Result<()>` prints.

use jsonrpc_runtime::{method, Methods, Server, State};

struct Hits;

#[method]
fn hits(hits: State<Hits>) -> u32 {
    let _ = hits;
    0
}

#[tokio::test]
async fn an_address_in_use_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let error = Server::builder()
        .methods(Methods::new())
        .bind(addr)
        .await
        .err()
        .expect("the address is taken");
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(
            shown.contains(&format!("cannot listen on {addr}")),
            "{shown}"
        );
        assert!(
            shown.contains("another program is listening there"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn missing_state_names_the_method_its_location_and_the_type() {
    let error = Server::builder()
        .methods(Methods::new().with(hits::METHOD))
        .bind("127.0.0.1:0")
        .await
        .err()
        .expect("no `Hits` was given");
    let debug = format!("{error:?}");
    assert!(
        debug.contains("method `hits` (at tests/startup_errors.rs:9) takes `State<"),
        "{debug}"
    );
    assert!(debug.contains("Hits>`, but no `"), "{debug}");
    assert!(!debug.contains("MissingState {"), "{debug}");
}
