//! Shared state (`State<T>`), the start-up checks (missing state, duplicate names), and method
//! sets built by hand.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::{call, error_code};
use jsonrpc_runtime::{method, Dispatcher, Methods, StartupError, State};

#[derive(Default)]
struct Counter(AtomicU64);

struct Greeting(&'static str);

#[method]
fn count(counter: State<Counter>) -> u64 {
    counter.0.fetch_add(1, Ordering::SeqCst) + 1
}

#[method]
async fn hello(name: String, greeting: State<Greeting>) -> String {
    format!("{}, {name}", greeting.0)
}

#[method]
fn ping() -> &'static str {
    "pong"
}

mod twins {
    use jsonrpc_runtime::method;

    #[method(name = "ping")]
    pub fn other_ping() -> &'static str {
        "other pong"
    }
}

fn registered_without_twin() -> Methods {
    Methods::new()
        .with(count::METHOD)
        .with(hello::METHOD)
        .with(ping::METHOD)
}

#[tokio::test]
async fn state_is_shared_by_every_call() {
    let d = Dispatcher::builder()
        .methods(registered_without_twin())
        .state(Counter::default())
        .state(Greeting("Hi"))
        .build()
        .unwrap();
    for expected in 1..=3 {
        let r = call(&d, r#"{"jsonrpc":"2.0","method":"count","id":1}"#)
            .await
            .unwrap();
        assert_eq!(r["result"], expected);
    }
    let r = call(
        &d,
        r#"{"jsonrpc":"2.0","method":"hello","params":["Ada"],"id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(r["result"], "Hi, Ada");
    // State is not a param: it is neither counted nor named.
    let r = call(
        &d,
        r#"{"jsonrpc":"2.0","method":"hello","params":{"name":"Bo"},"id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(r["result"], "Hi, Bo");
    let r = call(
        &d,
        r#"{"jsonrpc":"2.0","method":"count","params":[1],"id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(error_code(&r), -32602);
}

#[tokio::test]
async fn concurrent_calls_lose_no_update() {
    let d = Dispatcher::builder()
        .methods(registered_without_twin())
        .state(Counter::default())
        .state(Greeting("Hi"))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let d = d.clone();
            tokio::spawn(async move {
                for _ in 0..250 {
                    d.dispatch(br#"{"jsonrpc":"2.0","method":"count"}"#).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let r = call(&d, r#"{"jsonrpc":"2.0","method":"count","id":1}"#)
        .await
        .unwrap();
    assert_eq!(r["result"], 1001);
}

#[test]
fn missing_state_fails_at_start_naming_method_and_type() {
    let error = Dispatcher::builder()
        .methods(registered_without_twin())
        .state(Greeting("Hi"))
        .build()
        .err()
        .expect("start-up must fail");
    match &error {
        StartupError::MissingState {
            method, type_name, ..
        } => {
            assert_eq!(*method, "count");
            assert!(type_name.ends_with("Counter"), "{type_name}");
        }
        other => panic!("unexpected error: {other}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("`count`") && message.contains("Counter") && message.contains(".state("),
        "{message}"
    );
}

#[test]
fn duplicate_names_fail_at_start_naming_both_definitions() {
    let error = Dispatcher::builder()
        .state(Counter::default())
        .state(Greeting("Hi"))
        .build()
        .err()
        .expect("the registered set has two `ping`s");
    let StartupError::DuplicateMethod {
        name,
        first,
        second,
    } = &error
    else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(*name, "ping");
    assert_ne!(first, second);
    for location in [first, second] {
        assert!(
            location.file.ends_with("state_and_methods.rs"),
            "{location}"
        );
    }
    let lines = [first.line, second.line];
    assert!(
        lines.contains(&line_of("fn ping()")) && lines.contains(&line_of("fn other_ping()")),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&first.to_string()) && message.contains(&second.to_string()),
        "{message}"
    );
}

/// The line in this file that contains `needle`.
fn line_of(needle: &str) -> u32 {
    let source = include_str!("state_and_methods.rs");
    let index = source
        .lines()
        .position(|line| line.contains(needle) && !line.contains("line_of"))
        .unwrap();
    index as u32 + 1
}

#[tokio::test]
async fn a_hand_built_set_answers_only_its_methods() {
    let d = Dispatcher::builder()
        .methods(Methods::new().with(twins::other_ping::METHOD))
        .build()
        .unwrap();
    let r = call(&d, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#)
        .await
        .unwrap();
    assert_eq!(r["result"], "other pong");
    let r = call(&d, r#"{"jsonrpc":"2.0","method":"count","id":1}"#)
        .await
        .unwrap();
    assert_eq!(error_code(&r), -32601);
    assert_eq!(d.methods().len(), 1);
}

#[test]
fn the_registered_set_holds_every_method() {
    let methods = Methods::registered();
    let mut names: Vec<_> = methods.iter().map(|(name, _)| name).collect();
    names.sort();
    assert_eq!(names, ["count", "hello", "ping"]);
    assert_eq!(methods.get("count").unwrap().location().file, file!());
}
