//! What the benchmarks, the profiling example and the load-test servers share: the same methods
//! (`ping`, `ping_awaiting`, `subtract`, `echo`) served by this project and by jsonrpsee, and
//! the request bodies they are measured with.

pub mod layers;

use jsonrpc_runtime::{method, Dispatcher, Methods};
use jsonrpsee::core::RpcResult;
use jsonrpsee::types::{ErrorCode, ErrorObject, ErrorObjectOwned, Id};
use jsonrpsee::MethodResponse;
use jsonrpsee::RpcModule;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// Answers "pong", as in the project's `ping_server` example.
#[method]
pub async fn ping() -> &'static str {
    "pong"
}

/// `ping` whose body awaits (a future that is ready at once): what a method future that
/// awaits costs beside `ping`, whose body does not.
#[method]
pub async fn ping_awaiting() -> &'static str {
    std::future::ready("pong").await
}

/// The specification's example: `minuend - subtrahend`, by position or by name.
#[method]
pub fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend - subtrahend
}

/// Answers its param unchanged.
#[method]
pub fn echo(value: Value) -> Value {
    value
}

/// The three methods, in a set built by hand (no reliance on link-time registration).
pub fn methods() -> Methods {
    Methods::new()
        .with(ping::METHOD)
        .with(ping_awaiting::METHOD)
        .with(subtract::METHOD)
        .with(echo::METHOD)
}

/// The dispatcher the benchmarks measure: limits raised so that a batch of 1,000 and a 1 MiB
/// echo (in and out) are allowed; everything else as in a default server.
pub fn dispatcher() -> Dispatcher {
    Dispatcher::builder()
        .methods(methods())
        .max_batch_len(10_000)
        .max_response_size(16 * 1024 * 1024)
        .build()
        .expect("the bench methods build")
}

/// The same methods for jsonrpsee, written as its `#[rpc]` macro would generate them (params by
/// position through `sequence()`, by name through a struct).
pub fn jsonrpsee_module() -> RpcModule<()> {
    #[derive(Deserialize)]
    struct SubtractByName {
        minuend: i64,
        subtrahend: i64,
    }
    let mut module = RpcModule::new(());
    module
        .register_method("ping", |_, _, _| "pong")
        .expect("ping registers");
    module
        .register_async_method("ping_awaiting", |_, _, _| async {
            std::future::ready("pong").await
        })
        .expect("ping_awaiting registers");
    module
        .register_method("subtract", |params, _, _| -> RpcResult<i64> {
            if params.is_object() {
                let named: SubtractByName = params.parse()?;
                return Ok(named.minuend - named.subtrahend);
            }
            let mut seq = params.sequence();
            let minuend: i64 = seq.next()?;
            let subtrahend: i64 = seq.next()?;
            Ok(minuend - subtrahend)
        })
        .expect("subtract registers");
    module
        .register_method("echo", |params, _, _| -> Result<Value, ErrorObjectOwned> {
            params.one::<Value>()
        })
        .expect("echo registers");
    module
}

/// Answers one request object with jsonrpsee's `RpcModule::raw_json_request`, the reference
/// for in-process dispatch. That call does not answer a body that is not JSON (it returns the
/// serde_json error); the -32700 response is then written as jsonrpsee's server writes it.
pub async fn jsonrpsee_single(module: &RpcModule<()>, body: &str) -> Box<RawValue> {
    match module.raw_json_request(body, 1).await {
        Ok((response, _)) => response,
        Err(_) => {
            MethodResponse::error(Id::Null, ErrorObject::from(ErrorCode::ParseError)).into_json()
        }
    }
}

/// Answers a batch with jsonrpsee. `raw_json_request` takes one request object, so the batch is
/// split the way jsonrpsee's server splits it (into raw elements), the calls run one after
/// another as its server runs them, and the answers are joined into an array.
pub async fn jsonrpsee_batch(module: &RpcModule<()>, body: &str) -> String {
    let calls: Vec<&RawValue> = serde_json::from_str(body).expect("a valid batch");
    let mut out = String::with_capacity(calls.len() * 48 + 2);
    out.push('[');
    for (index, call) in calls.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let (response, _) = module
            .raw_json_request(call.get(), 1)
            .await
            .expect("a valid request");
        out.push_str(response.get());
    }
    out.push(']');
    out
}

/// The request bodies measured, by name.
pub mod bodies {
    /// `ping` with id 1.
    pub const PING: &str = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
    /// `ping_awaiting` with id 1.
    pub const PING_AWAITING: &str = r#"{"jsonrpc":"2.0","method":"ping_awaiting","id":1}"#;
    /// `subtract` by position.
    pub const SUBTRACT_POSITIONAL: &str =
        r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#;
    /// `subtract` by name.
    pub const SUBTRACT_NAMED: &str =
        r#"{"jsonrpc":"2.0","method":"subtract","params":{"subtrahend":23,"minuend":42},"id":3}"#;
    /// A method that does not exist.
    pub const NOT_FOUND: &str = r#"{"jsonrpc":"2.0","method":"foobar","id":"1"}"#;
    /// Broken JSON (the specification's parse-error example).
    pub const PARSE_ERROR: &str = r#"{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]"#;

    /// A batch of `n` pings with ids 1..=n.
    pub fn ping_batch(n: usize) -> String {
        let calls: Vec<String> = (1..=n)
            .map(|id| format!(r#"{{"jsonrpc":"2.0","method":"ping","id":{id}}}"#))
            .collect();
        format!("[{}]", calls.join(","))
    }

    /// The answer to [`ping_batch`].
    pub fn pong_batch(n: usize) -> String {
        let answers: Vec<String> = (1..=n)
            .map(|id| format!(r#"{{"jsonrpc":"2.0","result":"pong","id":{id}}}"#))
            .collect();
        format!("[{}]", answers.join(","))
    }

    /// About 1 MiB of ordinary JSON (an array of small records: numbers, strings, booleans,
    /// a nested array), compact, as serde_json writes it.
    pub fn payload_1mib() -> String {
        let mut records = Vec::new();
        let mut size = 2;
        let mut n = 0u64;
        while size < 1024 * 1024 {
            let record = serde_json::json!({
                "id": n,
                "name": format!("item number {n}"),
                "price": (n as f64) * 0.25 + 0.5,
                "active": n.is_multiple_of(3),
                "tags": ["alpha", "beta", format!("t{}", n % 17)],
            });
            size += record.to_string().len() + 1;
            records.push(record);
            n += 1;
        }
        serde_json::to_string(&records).expect("serializes")
    }

    /// An `echo` request whose one param is `payload`.
    pub fn echo(payload: &str) -> String {
        format!(r#"{{"jsonrpc":"2.0","method":"echo","params":[{payload}],"id":1}}"#)
    }
}

/// The multi-thread tokio runtime every load-test server runs on, configured the same way for
/// all three: `JSONRPC_BENCH_WORKERS` worker threads (default 2, the machine's cores).
pub fn server_runtime() -> tokio::runtime::Runtime {
    let workers = std::env::var("JSONRPC_BENCH_WORKERS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(2);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The address to serve on: the first argument, else 127.0.0.1:5000.
pub fn address() -> String {
    std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5000".to_owned())
}

/// What the two WebSocket servers (`ws_ours`, `ws_jsonrpsee`) share with the load tool
/// (`ws_load`): the broadcast behind `subscribe_events` and the connection limit.
pub mod ws {
    /// Capacity of the broadcast channel that feeds `subscribe_events`, in both servers: how
    /// far a subscriber may fall behind the publisher before it lags. The load tool keeps the
    /// publisher at most [`PUBLISH_WINDOW`] items ahead of the slowest subscriber, so no one
    /// lags.
    pub const BROADCAST_CAPACITY: usize = 1024;
    /// How many items the load tool's publisher may be ahead of the slowest subscriber.
    pub const PUBLISH_WINDOW: u64 = 256;
    /// The connection limit of both WebSocket servers: far above the 2,000 idle connections of
    /// the memory scenario (jsonrpsee's default is 100).
    pub const MAX_CONNECTIONS: u32 = 10_000;
}
