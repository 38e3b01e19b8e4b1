//! Arbitrary bytes into `Dispatcher::dispatch`, with the default limits.
//!
//! Every response is checked against the JSON-RPC 2.0 specification, and against an
//! independent reading of the request (the `oracle` module below) that says what the answer must
//! be: nothing, one object or an array; how many answers; which ids; how many of each standard
//! error code.

#![no_main]

use std::sync::OnceLock;

use jsonrpc_runtime::{method, Dispatcher, Error, Params, RequestId};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;
use serde_json::Value;

mod common;

use common::{members, response_member, Code};

// The methods under test.

#[method]
fn ping() -> &'static str {
    "pong"
}

#[method]
fn subtract(minuend: i64, subtrahend: i64) -> i64 {
    minuend.wrapping_sub(subtrahend)
}

#[method]
fn greet(name: String, greeting: Option<String>) -> String {
    format!("{}, {name}!", greeting.as_deref().unwrap_or("Hello"))
}

#[method]
fn sum(numbers: Params<Vec<i64>>) -> i64 {
    numbers.iter().fold(0i64, |total, n| total.wrapping_add(*n))
}

#[method]
fn echo(value: Value) -> Value {
    value
}

/// An application error with data; never -32603.
#[method]
fn divide(a: f64, b: f64) -> Result<f64, Error> {
    if b == 0.0 {
        return Err(Error::new(APP_ERROR as i32, "division by zero")
            .with_data(serde_json::json!({ "dividend": a })));
    }
    let quotient = a / b;
    if !quotient.is_finite() {
        return Err(Error::new(APP_ERROR as i32, "not finite"));
    }
    Ok(quotient)
}

/// Panics: the only method (with `fail_later`) that may answer -32603.
#[method]
fn fail() -> i64 {
    panic!("{}", common::EXPECTED_PANIC)
}

#[method]
async fn fail_later() -> i64 {
    tokio::task::yield_now().await;
    panic!("{}", common::EXPECTED_PANIC)
}

/// Suspends once, so that batches mix ready and pending calls.
#[method]
async fn later(n: u64) -> u64 {
    tokio::task::yield_now().await;
    n
}

/// Answers the id as the client sent it: it must equal the response's id.
#[method]
fn which(id: RequestId) -> Option<String> {
    id.as_json().map(str::to_owned)
}

const APP_ERROR: i64 = -32001;
const METHODS: &[&str] = &[
    "ping",
    "subtract",
    "greet",
    "sum",
    "echo",
    "divide",
    "fail",
    "fail_later",
    "later",
    "which",
];
const PANICKING: &[&str] = &["fail", "fail_later"];

struct Harness {
    runtime: tokio::runtime::Runtime,
    dispatcher: Dispatcher,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        common::ignore_expected_panics();
        let dispatcher = Dispatcher::builder()
            .build()
            .expect("the dispatcher builds");
        assert_eq!(dispatcher.methods().len(), METHODS.len());
        Harness {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread runtime"),
            dispatcher,
        }
    })
}

fuzz_target!(|body: &[u8]| {
    let harness = harness();
    let response = harness.runtime.block_on(harness.dispatcher.dispatch(body));
    check(body, response.as_deref());
});

fn check(body: &[u8], response: Option<&[u8]>) {
    let expected = oracle::expect(body);
    let Some(response) = response else {
        assert!(
            matches!(&expected, oracle::Expected::Nothing),
            "no response, but expected {expected:?}"
        );
        return;
    };
    let text = std::str::from_utf8(response).expect("the response is UTF-8");
    let answers: Vec<common::Member> = match members(text) {
        common::Shape::Single(raw) => vec![response_member(raw)],
        common::Shape::Batch(raws) => {
            assert!(!raws.is_empty(), "an empty array response: {text}");
            assert!(
                matches!(&expected, oracle::Expected::Batch(_)),
                "an array response, but expected {expected:?}: {text}"
            );
            raws.into_iter().map(response_member).collect()
        }
    };
    for answer in &answers {
        if let Code::Error(code) = answer.code {
            assert!(
                matches!(code, -32700 | -32600 | -32601 | -32602 | -32603 | APP_ERROR),
                "unexpected error code {code}: {text}"
            );
        }
    }
    match expected {
        oracle::Expected::Nothing => panic!("a notification was answered: {text}"),
        oracle::Expected::ParseError => {
            assert_eq!(answers.len(), 1, "{text}");
            assert_eq!(answers[0].code, Code::Error(-32700), "{text}");
            assert_eq!(answers[0].id, "null", "{text}");
        }
        oracle::Expected::One(call) => {
            assert!(text.starts_with('{'), "a single request got {text}");
            check_one(&call, &answers[0], text);
        }
        oracle::Expected::Batch(calls) => {
            assert!(text.starts_with('['), "a batch got {text}");
            assert_eq!(answers.len(), calls.len(), "{text}");
            // The specification lets a batch's answers come in any order: compare multisets.
            let mut expected_ids: Vec<&str> = calls.iter().map(|c| c.id()).collect();
            let mut actual_ids: Vec<&str> = answers.iter().map(|a| a.id.as_str()).collect();
            expected_ids.sort_unstable();
            actual_ids.sort_unstable();
            assert_eq!(expected_ids, actual_ids, "{text}");
            let count = |code| {
                answers
                    .iter()
                    .filter(|a| a.code == Code::Error(code))
                    .count()
            };
            let invalid = calls
                .iter()
                .filter(|c| matches!(c, oracle::Call::Invalid { .. }))
                .count();
            let unknown = calls
                .iter()
                .filter(|c| matches!(c, oracle::Call::Valid { method, .. } if !METHODS.contains(&method.as_str())))
                .count();
            let panicking = calls
                .iter()
                .filter(|c| matches!(c, oracle::Call::Valid { method, .. } if PANICKING.contains(&method.as_str())))
                .count();
            assert_eq!(count(-32700), 0, "{text}");
            assert_eq!(count(-32600), invalid, "{text}");
            assert_eq!(count(-32601), unknown, "{text}");
            assert!(count(-32603) <= panicking, "{text}");
        }
    }
}

/// One call's answer against what the request says.
fn check_one(call: &oracle::Call, answer: &common::Member, text: &str) {
    assert_eq!(answer.id, call.id(), "{text}");
    match call {
        oracle::Call::Invalid { .. } => assert_eq!(answer.code, Code::Error(-32600), "{text}"),
        oracle::Call::Valid { method, params, .. } => {
            let known = METHODS.contains(&method.as_str());
            match answer.code {
                Code::Error(-32601) => assert!(!known, "{text}"),
                Code::Error(-32603) => assert!(PANICKING.contains(&method.as_str()), "{text}"),
                Code::Error(-32600 | -32700) => panic!("a valid request got {text}"),
                _ => assert!(known, "an unknown method was answered: {text}"),
            }
            if PANICKING.contains(&method.as_str()) && answer.code == Code::Result {
                panic!("a panicking method succeeded: {text}");
            }
            if answer.code == Code::Result {
                let result = answer.result.as_deref().unwrap_or_default();
                match method.as_str() {
                    "ping" => assert_eq!(result, r#""pong""#, "{text}"),
                    // `which` answers the id it was given: the one the response carries.
                    "which" => {
                        let seen: Option<String> = serde_json::from_str(result).expect("a string");
                        assert_eq!(seen.as_deref(), Some(answer.id.as_str()), "{text}");
                    }
                    // The params reached the method intact: a success means they were read
                    // (so serde_json reads them too), and the result follows from them.
                    "echo" | "subtract" | "later" => {
                        let params: Value = serde_json::from_str(params.as_deref().unwrap())
                            .unwrap_or_else(|e| panic!("params that do not read ({e}): {text}"));
                        let param = |index: usize, name: &str| {
                            params
                                .get(index)
                                .or_else(|| params.get(name))
                                .unwrap()
                                .clone()
                        };
                        let expected = match method.as_str() {
                            "echo" => param(0, "value"),
                            "later" => param(0, "n"),
                            _ => {
                                let minuend = param(0, "minuend").as_i64().unwrap();
                                let subtrahend = param(1, "subtrahend").as_i64().unwrap();
                                minuend.wrapping_sub(subtrahend).into()
                            }
                        };
                        assert_eq!(result, serde_json::to_string(&expected).unwrap(), "{text}");
                    }
                    _ => {}
                }
            }
        }
    }
}

/// An independent reading of a request body: what the specification (and serde_json's rules
/// for numbers and escapes) say the answer must be.
mod oracle {
    use super::*;

    #[derive(Debug)]
    pub enum Expected {
        /// A notification, or a batch of notifications only.
        Nothing,
        /// One -32700 object with a null id.
        ParseError,
        /// One response object.
        One(Call),
        /// An array with one answer per call (empty batches are `One`).
        Batch(Vec<Call>),
    }

    /// A request object (or anything else where one was expected) that gets an answer.
    #[derive(Debug)]
    pub enum Call {
        Valid {
            method: String,
            id: String,
            /// The raw params, if any.
            params: Option<String>,
        },
        /// Answered with -32600 and this id (`null` when it was absent or unusable).
        Invalid { id: String },
    }

    impl Call {
        pub fn id(&self) -> &str {
            match self {
                Call::Valid { id, .. } | Call::Invalid { id } => id,
            }
        }
    }

    /// What reading one element gives: an answer, nothing (a notification), or a reason the
    /// whole body is a parse error.
    enum Read {
        Answer(Call),
        Notification,
        Unreadable,
    }

    pub fn expect(body: &[u8]) -> Expected {
        let Ok(text) = std::str::from_utf8(body) else {
            return Expected::ParseError;
        };
        // JSON grammar only (RawValue checks no number range and no escape's meaning).
        let Ok(whole) = serde_json::from_str::<&RawValue>(text) else {
            return Expected::ParseError;
        };
        if common::depth(whole.get()) > jsonrpc_runtime::DEFAULT_MAX_DEPTH {
            return Expected::ParseError;
        }
        match whole.get().as_bytes()[0] {
            b'[' => {
                let elements: Vec<&RawValue> = serde_json::from_str(whole.get()).expect("an array");
                if elements.is_empty() {
                    return Expected::One(Call::Invalid { id: "null".into() });
                }
                assert!(elements.len() <= jsonrpc_runtime::DEFAULT_MAX_BATCH_LEN);
                let mut calls = Vec::new();
                for element in elements {
                    match element.get().as_bytes()[0] {
                        b'{' => match object(element) {
                            Read::Answer(call) => calls.push(call),
                            Read::Notification => {}
                            Read::Unreadable => return Expected::ParseError,
                        },
                        // A nested array is read as ignored values: any JSON will do.
                        b'[' => calls.push(Call::Invalid { id: "null".into() }),
                        _ => match scalar(element) {
                            Read::Unreadable => return Expected::ParseError,
                            _ => calls.push(Call::Invalid { id: "null".into() }),
                        },
                    }
                }
                if calls.is_empty() {
                    Expected::Nothing
                } else {
                    Expected::Batch(calls)
                }
            }
            b'{' => match object(whole) {
                Read::Answer(call) => Expected::One(call),
                Read::Notification => Expected::Nothing,
                Read::Unreadable => Expected::ParseError,
            },
            _ => match scalar(whole) {
                Read::Unreadable => Expected::ParseError,
                _ => Expected::One(Call::Invalid { id: "null".into() }),
            },
        }
    }

    /// A scalar where a request object was expected: a number must be in range and a string's
    /// escapes must decode (serde_json decodes them there), else it is not readable.
    fn scalar(raw: &RawValue) -> Read {
        match serde_json::from_str::<Value>(raw.get()) {
            Ok(_) => Read::Answer(Call::Invalid { id: "null".into() }),
            Err(_) => Read::Unreadable,
        }
    }

    /// Section 4 of the specification, applied to one object.
    fn object(raw: &RawValue) -> Read {
        // Keys are decoded (a key with a lone surrogate escape is not readable); values are not.
        let Ok(common::Pairs(pairs)) = serde_json::from_str::<common::Pairs>(raw.get()) else {
            return Read::Unreadable;
        };
        // The last one wins; more than one makes the request invalid.
        let find = |name: &str| {
            let found: Vec<&RawValue> = pairs
                .iter()
                .filter(|(key, _)| key == name)
                .map(|(_, v)| *v)
                .collect();
            (found.last().copied(), found.len() > 1)
        };
        let (id, id_twice) = find("id");
        let (version, version_twice) = find("jsonrpc");
        let (method, method_twice) = find("method");
        let (params, params_twice) = find("params");
        let id_text = match id {
            None => None,
            Some(id) if valid_id(id) => Some(id.get().to_owned()),
            Some(_) => return Read::Answer(Call::Invalid { id: "null".into() }),
        };
        let invalid = || {
            Read::Answer(Call::Invalid {
                id: id_text.clone().unwrap_or_else(|| "null".into()),
            })
        };
        if id_twice || version_twice || method_twice || params_twice {
            return invalid();
        }
        if version
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
            .as_deref()
            != Some("2.0")
        {
            return invalid();
        }
        let Some(method) = method.and_then(|m| serde_json::from_str::<String>(m.get()).ok()) else {
            return invalid();
        };
        if let Some(params) = params {
            if !matches!(params.get().as_bytes()[0], b'[' | b'{') {
                return invalid();
            }
        }
        match id_text {
            Some(id) => Read::Answer(Call::Valid {
                method,
                id,
                params: params.map(|p| p.get().to_owned()),
            }),
            None => Read::Notification,
        }
    }

    /// A string, a number or null.
    fn valid_id(id: &RawValue) -> bool {
        let text = id.get();
        text == "null"
            || text.starts_with('"')
            || text.starts_with('-')
            || text.as_bytes()[0].is_ascii_digit()
    }
}
