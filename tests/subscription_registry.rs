//! Subscriptions in the method table: the unsubscribe method comes along with its subscription,
//! and every name a subscription uses (subscribe, unsubscribe, notification) is checked against
//! the others at start-up. Each test builds its method set by hand: the names here clash on
//! purpose.

use jsonrpc_runtime::{method, subscription, Dispatcher, Methods, Sink, StartupError};

#[subscription(
    name = "subscribe_ticks",
    unsubscribe = "unsubscribe_ticks",
    notification = "ticks"
)]
async fn ticks(sink: Sink<u64>) {
    let _ = sink.send(0u64).await;
}

/// A method with the name of `ticks`'s notifications.
#[method(name = "ticks")]
fn ticks_method() {}

/// A method with the name of `ticks`'s unsubscribe method.
#[method(name = "unsubscribe_ticks")]
fn unsubscribe_method() {}

/// Another subscription that sends its items under the same notification name.
#[subscription(
    name = "subscribe_more",
    unsubscribe = "unsubscribe_more",
    notification = "ticks"
)]
async fn more_ticks(sink: Sink<u64>) {
    let _ = sink.send(0u64).await;
}

fn clash(methods: Methods) -> (String, u32, u32) {
    match Dispatcher::builder().methods(methods).build() {
        Err(StartupError::DuplicateMethod {
            name,
            first,
            second,
        }) => (name, first.line, second.line),
        Err(other) => panic!("another error: {other}"),
        Ok(_) => panic!("the clash was not reported"),
    }
}

#[test]
fn a_subscription_brings_its_unsubscribe_method() {
    let methods = Methods::new().with(ticks::METHOD);
    let mut names: Vec<_> = methods.iter().map(|(name, _)| name).collect();
    names.sort();
    assert_eq!(names, ["subscribe_ticks", "unsubscribe_ticks"]);
    let def = methods.get("subscribe_ticks").unwrap();
    let names = def.subscription().unwrap();
    assert_eq!(
        (names.unsubscribe, names.notification),
        ("unsubscribe_ticks", "ticks")
    );
    assert!(methods.get("unsubscribe_ticks").unwrap().is_unsubscribe());
    assert!(Dispatcher::builder().methods(methods).build().is_ok());
}

#[test]
fn an_unsubscribe_name_used_by_a_method_is_a_startup_error() {
    let (name, ..) = clash(
        Methods::new()
            .with(ticks::METHOD)
            .with(unsubscribe_method::METHOD),
    );
    assert_eq!(name, "unsubscribe_ticks");
}

#[test]
fn a_notification_name_used_by_a_method_is_a_startup_error() {
    let (name, first, second) = clash(
        Methods::new()
            .with(ticks::METHOD)
            .with(ticks_method::METHOD),
    );
    assert_eq!(name, "ticks");
    assert_ne!(first, second, "both definitions are named");
}

#[test]
fn two_subscriptions_with_one_notification_name_are_a_startup_error() {
    let (name, ..) = clash(Methods::new().with(ticks::METHOD).with(more_ticks::METHOD));
    assert_eq!(name, "ticks");
}

#[test]
fn prefixing_renames_both_methods_of_a_subscription() {
    let methods = Methods::new().with(ticks::METHOD).prefixed("feed.");
    assert!(methods.get("feed.subscribe_ticks").is_some());
    assert!(methods.get("feed.unsubscribe_ticks").is_some());
}
