//! Context arguments are recognised by their type, not their name: a renamed import, an alias,
//! a re-export and a type made by a macro are all context arguments, and the start-up check for
//! missing state sees through every spelling.

use jsonrpc_runtime::State as RpcState;
use jsonrpc_runtime::{method, Dispatcher, Methods, StartupError, State};

struct Pool(u32);
struct Config(&'static str);
struct Counter(u32);
struct Limits(u32);

/// `use jsonrpc_runtime::State as RpcState;`, as an axum app that has its own `State` writes.
#[method]
fn pool_size(pool: RpcState<Pool>) -> u32 {
    pool.0
}

/// `type Db = State<Pool>;`
type Db = State<Pool>;

#[method]
fn with_alias(db: Db, add: u32) -> u32 {
    db.0 + add
}

/// A re-export under another name, through a module.
mod prelude {
    pub use jsonrpc_runtime::RequestId as CallId;
    pub use jsonrpc_runtime::State as Shared;
}

#[method]
fn reexported(config: prelude::Shared<Config>, id: prelude::CallId) -> String {
    format!("{} {}", config.0, id.as_json().unwrap_or("-"))
}

/// A type written by a macro, and a whole method written by one (`$t:ty` arrives as an opaque
/// type the attribute cannot read).
macro_rules! state_of {
    ($t:ty) => {
        State<$t>
    };
}

#[method]
fn from_type_macro(counter: state_of!(Counter)) -> u32 {
    counter.0
}

macro_rules! getter {
    ($name:ident, $t:ty) => {
        #[method]
        fn $name(value: $t, times: u32) -> u32 {
            value.0 * times
        }
    };
}

getter!(limit, State<Limits>);

#[derive(Clone)]
struct Tenant {
    name: String,
}

/// `Extension<T>`, `Headers` and `MethodName` give their inner value by `Deref`.
#[method]
fn derefs(
    tenant: jsonrpc_runtime::Extension<Tenant>,
    headers: jsonrpc_runtime::Headers,
    name: jsonrpc_runtime::MethodName,
) -> String {
    format!("{} {} {}", tenant.name, headers.len(), name.to_uppercase())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let methods = || {
        Methods::new()
            .with(pool_size::METHOD)
            .with(with_alias::METHOD)
            .with(reexported::METHOD)
            .with(from_type_macro::METHOD)
            .with(limit::METHOD)
    };
    let dispatcher = Dispatcher::builder()
        .methods(methods())
        .state(Pool(5))
        .state(Config("cfg"))
        .state(Counter(7))
        .state(Limits(3))
        .build()
        .unwrap();
    let answer = |body: &str| {
        let bytes = runtime.block_on(dispatcher.dispatch(body.as_bytes())).unwrap();
        String::from_utf8(bytes).unwrap()
    };
    let result = |method: &str, params: &str| {
        answer(&format!(
            r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":1}}"#
        ))
    };
    assert_eq!(result("pool_size", "[]"), r#"{"jsonrpc":"2.0","result":5,"id":1}"#);
    // The state is not a param: `add` is the only one, by position or by name.
    assert_eq!(result("with_alias", "[2]"), r#"{"jsonrpc":"2.0","result":7,"id":1}"#);
    assert_eq!(result("with_alias", r#"{"add":3}"#), r#"{"jsonrpc":"2.0","result":8,"id":1}"#);
    assert_eq!(result("reexported", "[]"), r#"{"jsonrpc":"2.0","result":"cfg 1","id":1}"#);
    assert_eq!(result("from_type_macro", "[]"), r#"{"jsonrpc":"2.0","result":7,"id":1}"#);
    assert_eq!(result("limit", "[2]"), r#"{"jsonrpc":"2.0","result":6,"id":1}"#);

    // Each spelling still counts for the start-up check.
    for (missing, method) in [
        ("Pool", "pool_size"),
        ("Config", "reexported"),
        ("Counter", "from_type_macro"),
        ("Limits", "limit"),
    ] {
        let mut builder = Dispatcher::builder().methods(methods());
        if missing != "Pool" {
            builder = builder.state(Pool(5));
        }
        if missing != "Config" {
            builder = builder.state(Config("cfg"));
        }
        if missing != "Counter" {
            builder = builder.state(Counter(7));
        }
        if missing != "Limits" {
            builder = builder.state(Limits(3));
        }
        match builder.build() {
            Err(StartupError::MissingState {
                method: name,
                type_name,
                ..
            }) => {
                assert_eq!(name, method);
                assert!(type_name.ends_with(missing), "{type_name}");
            }
            other => panic!("expected missing state {missing}, got {:?}", other.err()),
        }
    }
}
