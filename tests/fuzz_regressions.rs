//! Inputs found while fuzzing the dispatcher and params extraction (`fuzz/`), kept as tests.

use std::time::{Duration, Instant};

use jsonrpc_runtime::{method, Dispatcher};
use serde_json::Value;

#[method]
fn pair(a: i64, b: Option<i64>) -> i64 {
    a.wrapping_add(b.unwrap_or(0))
}

async fn answer(body: &str) -> (Value, Duration) {
    let dispatcher = Dispatcher::builder().build().unwrap();
    let started = Instant::now();
    let response = dispatcher
        .dispatch(body.as_bytes())
        .await
        .expect("an answer");
    let elapsed = started.elapsed();
    (serde_json::from_slice(&response).unwrap(), elapsed)
}

/// `params` by name with `count` members `k0`, `k1`, ..., then `extra` as written.
fn many_named_params(count: usize, extra: &str) -> String {
    let members: Vec<String> = (0..count).map(|i| format!(r#""k{i}":0"#)).collect();
    format!(
        r#"{{"jsonrpc":"2.0","method":"pair","params":{{{}{extra}}},"id":1}}"#,
        members.join(",")
    )
}

/// Named params were checked for repeated names pairwise, in time quadratic in the number of
/// members: 200,000 members (a 2.3 MB body, well under the 10 MiB body limit) kept a core busy
/// for 48 s in a release build, and the whole 10 MiB would take minutes. They are now checked in
/// linear time (this test takes well under a second, even unoptimized).
#[tokio::test]
async fn many_named_params_are_answered_in_linear_time() {
    let (response, elapsed) = answer(&many_named_params(200_000, "")).await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert_eq!(response["error"]["data"], "missing required param `a`");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");

    // A repeat at the very end is still found, and named.
    let (response, elapsed) = answer(&many_named_params(200_000, r#","k0":1"#)).await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert_eq!(response["error"]["data"], "param `k0` is given twice");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

/// However many members there are (few are compared pairwise, many through a hash set), the
/// error names the first member whose name was already given.
#[tokio::test]
async fn a_repeated_named_param_is_named_whatever_the_count() {
    // 4 to 104 members in all: each side of every threshold.
    for count in [0, 3, 4, 5, 8, 12, 13, 100] {
        let body = many_named_params(count, r#","a":1,"b":2,"b":3,"a":4"#);
        let body = body.replacen("{,", "{", 1);
        let (response, _) = answer(&body).await;
        assert_eq!(
            response["error"]["data"], "param `b` is given twice",
            "{count} members: {response}"
        );
    }
    let (response, _) =
        answer(r#"{"jsonrpc":"2.0","method":"pair","params":{"b":2,"a":1},"id":1}"#).await;
    assert_eq!(response["result"], 3, "{response}");
}
