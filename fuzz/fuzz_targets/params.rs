//! Params extraction: `params` of every shape into methods whose arguments have varied types.
//!
//! An input is `<method>\n<params>`. When `<params>` is a JSON array or object, it is sent as
//! `{"jsonrpc":"2.0","method":<method>,"params":<params>,"id":1}`; anything else is skipped (it
//! would only test the request parser, which the `dispatch` target covers). The answer must be a
//! success or -32602 (or -32700 when the params nest deeper than the limit): never -32603, which
//! would mean that decoding params panicked or that the decoded value did not serialize back.

#![no_main]

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use jsonrpc_runtime::{method, Dispatcher, Params};
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

mod common;

use common::{members, response_member, Code};

// Integers, floats, booleans, strings, chars, options.

#[method]
fn ints(a: u8, b: i16, c: u32, d: i64, e: Option<u64>) -> (u8, i16, u32, i64, Option<u64>) {
    (a, b, c, d, e)
}

#[method]
fn wide(a: i128, b: u128) -> (i128, u128) {
    (a, b)
}

#[method]
fn floats(x: f64, y: f32, z: Option<f64>) -> (f64, f32, Option<f64>) {
    (x, y, z)
}

#[method]
fn text(s: String, c: char, b: bool, o: Option<String>) -> (String, char, bool, Option<String>) {
    (s, c, b, o)
}

/// An optional param before a required one: by position it must be given (as null or a
/// value); by name it may be left out.
#[method]
fn gap(a: Option<i64>, b: i64) -> (Option<i64>, i64) {
    (a, b)
}

#[method]
fn nothing() -> &'static str {
    "nothing"
}

/// Three optional params of any JSON: the answer shows exactly what each one received, which is
/// checked against serde_json's own reading of the params (see `expected_values`).
#[method]
fn values(a: Option<Value>, b: Option<Value>, c: Option<Value>) -> [Option<Value>; 3] {
    [a, b, c]
}

#[method]
fn nested(option: Option<Option<bool>>, list: Vec<Option<String>>, pair: (i8, bool)) -> Value {
    serde_json::json!([option, list, pair])
}

// Structs, enums and std types with their own deserializers.

#[derive(Debug, Serialize, Deserialize)]
struct Outer {
    name: String,
    #[serde(default)]
    tags: Vec<String>,
    inner: Inner,
    maybe: Option<Box<Inner>>,
    kind: Kind,
    #[serde(default)]
    counts: BTreeMap<String, i32>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Inner {
    x: f64,
    #[serde(rename = "Y", default)]
    y: Option<i32>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Unit,
    Newtype(u16),
    Tuple(i32, String),
    Struct { id: u64, on: bool },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Loose {
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<Loose>),
    Map(BTreeMap<String, Loose>),
    Null(()),
    Flag(bool),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "value")]
enum Tagged {
    Point { x: i32, y: i32 },
    Label(String),
}

#[derive(Debug, Serialize, Deserialize)]
struct Flat {
    id: u32,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[method]
fn structs(outer: Outer, loose: Option<Loose>) -> (Outer, Option<Loose>) {
    (outer, loose)
}

#[method]
fn enums(kind: Kind, tagged: Tagged, loose: Loose) -> (Kind, Tagged, Loose) {
    (kind, tagged, loose)
}

#[method]
fn stdlib(
    ip: IpAddr,
    addr: Option<SocketAddr>,
    duration: Duration,
    time: Option<SystemTime>,
) -> Value {
    serde_json::json!([ip, addr, duration, time])
}

#[method]
fn bytes(data: Vec<u8>, boxed: Box<str>, unit: ()) -> (Vec<u8>, Box<str>, ()) {
    (data, boxed, unit)
}

// Params<T>: the whole params value as one T.

#[method]
fn whole_struct(outer: Params<Outer>) -> Outer {
    outer.into_inner()
}

#[method]
fn whole_tuple(tuple: Params<(i64, String, Option<bool>)>) -> (i64, String, Option<bool>) {
    tuple.into_inner()
}

#[method]
fn whole_vec(numbers: Params<Vec<u16>>) -> Vec<u16> {
    numbers.into_inner()
}

#[method]
fn whole_map(map: Params<BTreeMap<String, Loose>>) -> BTreeMap<String, Loose> {
    map.into_inner()
}

#[method]
fn whole_flat(flat: Params<Flat>) -> Flat {
    flat.into_inner()
}

#[method]
fn whole_value(value: Params<Value>) -> Value {
    value.into_inner()
}

#[method]
fn whole_raw(raw: Params<Box<RawValue>>) -> Box<RawValue> {
    raw.into_inner()
}

const METHODS: &[&str] = &[
    "ints",
    "wide",
    "floats",
    "text",
    "gap",
    "nothing",
    "values",
    "nested",
    "structs",
    "enums",
    "stdlib",
    "bytes",
    "whole_struct",
    "whole_tuple",
    "whole_vec",
    "whole_map",
    "whole_flat",
    "whole_value",
    "whole_raw",
];

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

fuzz_target!(|input: &[u8]| {
    let Some(newline) = input.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (Ok(method), Ok(params)) = (
        std::str::from_utf8(&input[..newline]),
        std::str::from_utf8(&input[newline + 1..]),
    ) else {
        return;
    };
    if !METHODS.contains(&method) {
        return;
    }
    // Only an array or an object (JSON grammar; numbers and escapes are the methods' business).
    let Ok(raw) = serde_json::from_str::<&RawValue>(params) else {
        return;
    };
    if !matches!(raw.get().as_bytes()[0], b'[' | b'{') {
        return;
    }
    let body = format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":1}}"#);
    let harness = harness();
    let response = harness
        .runtime
        .block_on(harness.dispatcher.dispatch(body.as_bytes()))
        .expect("a request with an id is answered");
    let text = std::str::from_utf8(&response).expect("the response is UTF-8");
    let common::Shape::Single(member) = members(text) else {
        panic!("one request got an array: {text}");
    };
    let answer = response_member(member);
    assert_eq!(answer.id, "1", "{text}");
    let too_deep = common::depth(raw.get()) + 1 > jsonrpc_runtime::DEFAULT_MAX_DEPTH;
    match answer.code {
        Code::Error(-32700) => assert!(too_deep, "a parse error for valid JSON: {text}"),
        _ if too_deep => panic!("params nested deeper than the limit got {text}"),
        Code::Error(-32602) | Code::Result => {}
        Code::Error(code) => panic!("params got error {code}: {body} -> {text}"),
    }
    let result = answer.result.as_deref();
    match method {
        // The whole params as a Value: a success exactly when serde_json reads them as one,
        // and that value back. (Compared as text: without serde_json's `float_roundtrip`, a
        // float written out and read again may differ in its last bit.)
        "whole_value" => match serde_json::from_str::<Value>(raw.get()) {
            Ok(value) if !too_deep => {
                let expected = serde_json::to_string(&value).unwrap();
                assert_eq!(result, Some(expected.as_str()), "{text}");
            }
            _ => assert_ne!(answer.code, Code::Result, "{text}"),
        },
        // Params by position or by name, each decoded on its own: exactly serde_json's values.
        "values" if !too_deep => match expected_values(raw.get()) {
            Some(expected) => assert_eq!(result, Some(expected.as_str()), "{text}"),
            None => assert_eq!(answer.code, Code::Error(-32602), "{text}"),
        },
        // The params as raw JSON: always a success, byte for byte.
        "whole_raw" if !too_deep => assert_eq!(result, Some(raw.get()), "{text}"),
        "nothing" if answer.code == Code::Result => assert_eq!(result, Some(r#""nothing""#)),
        _ => {}
    }
});

/// What `values(a, b, c)` must answer for `params` (an array or object): its result's JSON text,
/// or `None` for -32602 (more than three elements; a name other than a, b, c or one given twice;
/// a value serde_json cannot read as a `Value`).
fn expected_values(params: &str) -> Option<String> {
    let slots: [Option<&RawValue>; 3] = if params.starts_with('[') {
        let elements: Vec<&RawValue> = serde_json::from_str(params).expect("an array");
        if elements.len() > 3 {
            return None;
        }
        std::array::from_fn(|i| elements.get(i).copied())
    } else {
        // Names are decoded: one with a lone surrogate escape cannot be.
        let common::Pairs(pairs) = serde_json::from_str(params).ok()?;
        let mut slots = [None; 3];
        for (name, value) in pairs {
            let index = ["a", "b", "c"].iter().position(|n| *n == name)?;
            if slots[index].replace(value).is_some() {
                return None;
            }
        }
        slots
    };
    let mut values = Vec::with_capacity(3);
    for slot in slots {
        values.push(match slot {
            Some(raw) => serde_json::from_str::<Value>(raw.get()).ok()?,
            None => Value::Null,
        });
    }
    Some(serde_json::to_string(&values).unwrap())
}
