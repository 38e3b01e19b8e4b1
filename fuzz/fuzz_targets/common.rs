//! Shared by the fuzz targets: reading a response strictly, and letting the methods that panic
//! on purpose do so without stopping the fuzzer.

#![allow(dead_code)]

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The message of the panics the targets' methods raise on purpose.
pub const EXPECTED_PANIC: &str = "fuzz: a panic on purpose";

/// libfuzzer-sys installs a panic hook that aborts the process, so that a panic anywhere is a
/// crash. The dispatcher catches a method's panic and answers -32603: let the panics the
/// targets raise on purpose through to it, and keep aborting on every other panic.
pub fn ignore_expected_panics() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied());
        if message != Some(EXPECTED_PANIC) {
            abort(info);
        }
    }));
}

/// An object's members as written: keys decoded, values raw, repeats kept.
pub struct Pairs<'a>(pub Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Pairs<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, &'de RawValue>()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

/// A response body: one object or an array of them.
pub enum Shape<'a> {
    Single(&'a RawValue),
    Batch(Vec<&'a RawValue>),
}

/// Reads a response body, which must be one JSON text: an object, or an array.
pub fn members(text: &str) -> Shape<'_> {
    let whole: &RawValue = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("the response is not JSON ({e}): {text}"));
    assert_eq!(whole.get(), text, "the response has whitespace around it");
    match text.as_bytes()[0] {
        b'{' => Shape::Single(whole),
        b'[' => Shape::Batch(serde_json::from_str(text).expect("an array")),
        _ => panic!("the response is neither an object nor an array: {text}"),
    }
}

/// Whether a response object is a success or an error, and its error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Result,
    Error(i64),
}

/// One response object.
#[derive(Debug)]
pub struct Member {
    /// The id's raw JSON text.
    pub id: String,
    pub code: Code,
    /// The result's raw JSON text, for a success.
    pub result: Option<String>,
}

/// Reads one response object and checks its form: exactly `"jsonrpc":"2.0"`, then one of
/// `result` or `error`, then `id`, in that order, and a well-formed error object.
pub fn response_member(raw: &RawValue) -> Member {
    let text = raw.get();
    let Pairs(pairs) = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("a response member is not an object ({e}): {text}"));
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        keys == ["jsonrpc", "result", "id"] || keys == ["jsonrpc", "error", "id"],
        "members {keys:?} in {text}"
    );
    assert_eq!(pairs[0].1.get(), r#""2.0""#, "{text}");
    let id = pairs[2].1.get();
    assert!(
        id == "null"
            || id.starts_with('"')
            || id.starts_with('-')
            || id.as_bytes()[0].is_ascii_digit(),
        "the id {id} is not a string, number or null: {text}"
    );
    let (code, result) = if keys[1] == "result" {
        (Code::Result, Some(pairs[1].1.get().to_owned()))
    } else {
        (Code::Error(error_code(pairs[1].1, text)), None)
    };
    Member {
        id: id.to_owned(),
        code,
        result,
    }
}

/// Checks an error object (`code`, `message`, optional `data`, nothing else) and returns its
/// code.
fn error_code(raw: &RawValue, text: &str) -> i64 {
    let Pairs(pairs) = serde_json::from_str(raw.get())
        .unwrap_or_else(|e| panic!("the error is not an object ({e}): {text}"));
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        keys == ["code", "message"] || keys == ["code", "message", "data"],
        "error members {keys:?} in {text}"
    );
    let code: i64 = serde_json::from_str(pairs[0].1.get())
        .unwrap_or_else(|e| panic!("the error code is not an integer ({e}): {text}"));
    let message: String = serde_json::from_str(pairs[1].1.get())
        .unwrap_or_else(|e| panic!("the error message is not a string ({e}): {text}"));
    assert!(!message.is_empty(), "an empty error message: {text}");
    code
}

/// How deep arrays and objects nest in valid JSON text.
pub fn depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    deepest
}
