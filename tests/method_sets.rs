//! Method sets built explicitly: by group, by name, with a prefix, merged; different sets on two
//! servers; duplicates after a merge or a prefix are start-up errors.

mod support;

use jsonrpc_runtime::{
    method, middleware, Dispatcher, Error, MethodName, Methods, Server, StartupError, State,
};
use support::{call, post, Running};

#[method]
fn ping() -> &'static str {
    "pong"
}

#[method]
fn echo(text: String) -> String {
    text
}

#[method(group = "admin")]
fn status() -> &'static str {
    "all good"
}

#[method(group = "admin")]
fn whoami(name: MethodName) -> String {
    name.0
}

#[method(group = "metrics")]
fn hits(counter: State<Hits>) -> u64 {
    counter.0
}

struct Hits(u64);

/// A second `status`, in another group: the registered set has two methods with this name.
#[method(name = "status", group = "ops")]
fn ops_status() -> &'static str {
    "ops good"
}

/// A plain method whose name collides with `status` once the admin group is prefixed.
#[method(name = "admin.status")]
fn legacy_admin_status() -> &'static str {
    "legacy"
}

fn names(methods: &Methods) -> Vec<&str> {
    let mut names: Vec<_> = methods.iter().map(|(name, _)| name).collect();
    names.sort();
    names
}

/// The public methods: everything without a group, but not the legacy name.
fn public() -> Methods {
    Methods::registered().filter(|name, def| def.group().is_none() && name != "admin.status")
}

#[test]
fn sets_select_by_group_name_and_predicate() {
    assert_eq!(
        names(&Methods::registered()),
        ["admin.status", "echo", "hits", "ping", "status", "whoami"]
    );
    assert_eq!(
        names(&Methods::registered().group("admin")),
        ["status", "whoami"]
    );
    assert_eq!(
        names(&Methods::registered().group("nobody")),
        Vec::<&str>::new()
    );
    assert_eq!(
        names(&Methods::registered().only(&["ping", "status", "missing"])),
        ["ping", "status"]
    );
    assert_eq!(names(&public()), ["echo", "ping"]);
    let admin = Methods::registered().group("admin").prefixed("admin.");
    assert_eq!(names(&admin), ["admin.status", "admin.whoami"]);
    assert_eq!(admin.get("admin.status").unwrap().name(), "status");
    assert_eq!(admin.get("admin.status").unwrap().group(), Some("admin"));
    assert!(admin.get("status").is_none());
}

#[tokio::test]
async fn a_group_set_answers_its_methods_only() {
    let server =
        Running::server(Server::builder().methods(Methods::registered().group("admin"))).await;
    let reply = post(server.addr, "/", &call("status", "[]", "1")).await;
    assert_eq!(reply.result(), "all good");
    let reply = post(server.addr, "/", &call("ping", "[]", "2")).await;
    assert_eq!(reply.error().0, -32601);
}

#[tokio::test]
async fn a_set_without_a_stateful_method_needs_no_state() {
    // `hits` needs a `Hits`; a set that leaves it out starts without one...
    let server =
        Running::server(Server::builder().methods(Methods::registered().only(&["ping"]))).await;
    let reply = post(server.addr, "/", &call("ping", "[]", "1")).await;
    assert_eq!(reply.result(), "pong");
    // ...and one that keeps it does not.
    let error = Dispatcher::builder()
        .methods(Methods::registered().group("metrics"))
        .build()
        .err()
        .expect("missing state is a start-up error");
    assert!(
        matches!(error, StartupError::MissingState { method: "hits", .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_prefixed_set_answers_under_the_prefix() {
    let methods = public().merge(Methods::registered().group("admin").prefixed("admin."));
    let server = Running::server(Server::builder().methods(methods)).await;
    let reply = post(server.addr, "/", &call("admin.status", "[]", "1")).await;
    assert_eq!(reply.result(), "all good");
    // The method sees the name it was called by.
    let reply = post(server.addr, "/", &call("admin.whoami", "[]", "2")).await;
    assert_eq!(reply.result(), "admin.whoami");
    let reply = post(server.addr, "/", &call("status", "[]", "3")).await;
    assert_eq!(reply.error().0, -32601);
    let reply = post(server.addr, "/", &call("echo", r#"["hi"]"#, "4")).await;
    assert_eq!(reply.result(), "hi");
}

#[tokio::test]
async fn two_servers_on_two_ports_serve_different_sets() {
    let public_server = Running::server(Server::builder().methods(public())).await;
    let admin_server =
        Running::server(Server::builder().methods(Methods::registered().group("admin"))).await;
    assert_ne!(public_server.addr.port(), admin_server.addr.port());

    let cases = [
        (&public_server, "ping", Ok("pong")),
        (&public_server, "status", Err(-32601)),
        (&public_server, "whoami", Err(-32601)),
        (&admin_server, "status", Ok("all good")),
        (&admin_server, "whoami", Ok("whoami")),
        (&admin_server, "ping", Err(-32601)),
        (&admin_server, "echo", Err(-32601)),
    ];
    for (server, method, expected) in cases {
        let reply = post(server.addr, "/", &call(method, r#"[]"#, "1")).await;
        match expected {
            Ok(result) => assert_eq!(reply.result(), result, "{method}"),
            Err(code) => assert_eq!(reply.error().0, code, "{method}"),
        }
    }
}

#[tokio::test]
async fn a_duplicate_after_a_merge_is_a_start_up_error() {
    let methods = public().merge(Methods::registered().only(&["ping"]));
    let error = Server::builder()
        .methods(methods)
        .bind("127.0.0.1:0")
        .await
        .err()
        .expect("a duplicate does not start");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let startup = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<StartupError>())
        .expect("the start-up error inside");
    assert!(
        matches!(startup, StartupError::DuplicateMethod { name, .. } if name == "ping"),
        "{startup}"
    );
}

#[test]
fn a_duplicate_after_a_prefix_is_a_start_up_error_naming_both_definitions() {
    // `status` prefixed with `admin.` collides with the method named `admin.status`.
    let methods = Methods::registered()
        .filter(|_, def| def.group().is_none())
        .merge(Methods::registered().group("admin").prefixed("admin."));
    let error = Dispatcher::builder()
        .methods(methods)
        .build()
        .err()
        .expect("a duplicate does not start");
    let StartupError::DuplicateMethod {
        name,
        first,
        second,
    } = &error
    else {
        panic!("not a duplicate: {error}");
    };
    assert_eq!(name, "admin.status");
    assert_ne!(first, second);
    for location in [first, second] {
        assert!(location.file.ends_with("method_sets.rs"), "{location}");
    }
    let message = error.to_string();
    assert!(message.contains("admin.status"), "{message}");
}

#[test]
fn two_methods_with_one_name_are_a_start_up_error_while_both_are_in_the_set() {
    // `status` (admin) and `status` (ops) are both registered.
    let error = Dispatcher::builder()
        .methods(Methods::registered())
        .state(Hits(0))
        .build()
        .err()
        .expect("two `status` methods do not start");
    assert!(
        matches!(&error, StartupError::DuplicateMethod { name, .. } if name == "status"),
        "{error}"
    );
    // Keeping both in a filtered set is still an error...
    let both = Methods::registered().only(&["status"]);
    assert!(Dispatcher::builder().methods(both).build().is_err());
    // ...and a prefix does not make the clash go away, but names it with the prefix.
    let prefixed = Methods::registered().only(&["status"]).prefixed("x.");
    let error = Dispatcher::builder()
        .methods(prefixed)
        .build()
        .err()
        .unwrap();
    assert!(
        matches!(&error, StartupError::DuplicateMethod { name, .. } if name == "x.status"),
        "{error}"
    );
}

#[tokio::test]
async fn a_set_that_keeps_one_of_two_same_named_methods_starts() {
    let ops = Methods::registered().group("ops");
    assert_eq!(names(&ops), ["status"]);
    let admin_and_ops = Methods::registered()
        .group("admin")
        .prefixed("admin.")
        .merge(Methods::registered().group("ops").prefixed("ops."));
    let server = Running::server(Server::builder().methods(admin_and_ops)).await;
    let reply = post(server.addr, "/", &call("ops.status", "[]", "1")).await;
    assert_eq!(reply.result(), "ops good");
    let reply = post(server.addr, "/", &call("admin.status", "[]", "2")).await;
    assert_eq!(reply.result(), "all good");

    let ops_server = Running::server(Server::builder().methods(ops)).await;
    let reply = post(ops_server.addr, "/", &call("status", "[]", "3")).await;
    assert_eq!(reply.result(), "ops good");
}

#[tokio::test]
async fn middleware_layered_before_a_filter_stays_on_the_method_kept() {
    let closed = Methods::registered()
        .layer(middleware::authorize(|_| Err(Error::new(-32050, "closed"))))
        .group("ops");
    let server = Running::server(Server::builder().methods(closed)).await;
    let reply = post(server.addr, "/", &call("status", "[]", "1")).await;
    assert_eq!(reply.error(), (-32050, "closed".to_owned()));
}
