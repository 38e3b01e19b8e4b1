//! Turning Rust values into a request's `params`: by position or by name, or none at all.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use serde::Serialize;
use serde_json::value::{to_raw_value, RawValue};
use serde_json::{Map, Value};

use crate::client::ClientError;

/// Values that can be a request's `params`: a JSON array (by position), a JSON object (by
/// name), or nothing.
///
/// | Rust value | `params` sent |
/// | --- | --- |
/// | `()` | left out |
/// | `(42, 23)`, tuples of up to 8 `Serialize` values | `[42, 23]` |
/// | `vec![1, 2]`, `[1, 2]`, `&[1, 2][..]` | `[1, 2]` |
/// | a `HashMap`, `BTreeMap` or `serde_json::Map` | `{"minuend": 42, ...}` |
/// | `serde_json::Value` (an array or an object only) | as it is |
/// | [`ByName`]`(a struct)` | the struct's fields by name |
/// | [`ByPosition`]`(a tuple struct)` | the struct's fields by position |
/// | `Option<P>` | `P`'s params, or left out for `None` |
///
/// ```no_run
/// use std::collections::HashMap;
/// use jsonrpc_runtime::client::{ByName, Client};
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Subtract {
///     minuend: i64,
///     subtrahend: i64,
/// }
///
/// # async fn run(client: Client) -> Result<(), jsonrpc_runtime::client::ClientError> {
/// let by_position: i64 = client.request("subtract", (42, 23)).await?;
/// let by_name: i64 = client
///     .request("subtract", ByName(Subtract { minuend: 42, subtrahend: 23 }))
///     .await?;
/// let from_map: i64 = client
///     .request("subtract", HashMap::from([("minuend", 42), ("subtrahend", 23)]))
///     .await?;
/// let none: String = client.request("ping", ()).await?;
/// # Ok(())
/// # }
/// ```
///
/// Implement it for a type of your own by delegating, e.g. to `ByName(self)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the params of a JSON-RPC request",
    label = "params must be a tuple, a Vec, an array, a map, a JSON array or object, `()` for none, or `ByName(value)`",
    note = "a struct is sent by name as `ByName(value)`, or by position as `ByPosition(value)`"
)]
pub trait ToParams {
    /// The params as raw JSON, an array or an object; `None` leaves `params` out of the
    /// request.
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError>;
}

/// Sends a serializable value's fields as params by name: `ByName(point)` sends
/// `{"x": 1.0, "y": 2.0}`. The value must serialize to a JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByName<T>(pub T);

/// Sends a serializable value as params by position: `ByPosition(Point(1.0, 2.0))` sends
/// `[1.0, 2.0]`. The value must serialize to a JSON array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByPosition<T>(pub T);

impl<T: Serialize> ToParams for ByName<T> {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        serialize(&self.0).and_then(|raw| {
            expect(
                raw,
                b'{',
                "ByName needs a value that serializes to a JSON object",
            )
        })
    }
}

impl<T: Serialize> ToParams for ByPosition<T> {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        serialize(&self.0).and_then(|raw| {
            expect(
                raw,
                b'[',
                "ByPosition needs a value that serializes to a JSON array",
            )
        })
    }
}

impl ToParams for () {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        Ok(None)
    }
}

impl<P: ToParams + ?Sized> ToParams for &P {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        (**self).to_params()
    }
}

impl<P: ToParams + ?Sized> ToParams for Box<P> {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        (**self).to_params()
    }
}

impl<P: ToParams> ToParams for Option<P> {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        match self {
            Some(params) => params.to_params(),
            None => Ok(None),
        }
    }
}

/// Tuples are sent by position.
macro_rules! tuple_params {
    ($($name:ident)+) => {
        impl<$($name: Serialize),+> ToParams for ($($name,)+) {
            fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
                serialize(self).map(Some)
            }
        }
    };
}

tuple_params!(A);
tuple_params!(A B);
tuple_params!(A B C);
tuple_params!(A B C D);
tuple_params!(A B C D E);
tuple_params!(A B C D E F);
tuple_params!(A B C D E F G);
tuple_params!(A B C D E F G H);

impl<T: Serialize> ToParams for [T] {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        serialize(self).map(Some)
    }
}

impl<T: Serialize, const N: usize> ToParams for [T; N] {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        serialize(self.as_slice()).map(Some)
    }
}

impl<T: Serialize> ToParams for Vec<T> {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        serialize(self).map(Some)
    }
}

impl<K: Serialize, V: Serialize, S: BuildHasher> ToParams for HashMap<K, V, S> {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        serialize(self).map(Some)
    }
}

impl<K: Serialize, V: Serialize> ToParams for BTreeMap<K, V> {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        serialize(self).map(Some)
    }
}

impl ToParams for Map<String, Value> {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        serialize(self).map(Some)
    }
}

/// A JSON array or object is sent as it is; any other JSON value is refused.
impl ToParams for Value {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        match self {
            Value::Array(_) | Value::Object(_) => serialize(self).map(Some),
            _ => Err(not_structured()),
        }
    }
}

/// Raw JSON text is sent as it is, if it is an array or an object.
impl ToParams for RawValue {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        match self.get().as_bytes().first() {
            Some(b'[' | b'{') => Ok(Some(self.to_owned())),
            _ => Err(not_structured()),
        }
    }
}

fn serialize<T: Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, ClientError> {
    to_raw_value(value).map_err(|error| ClientError::BadParams(error.to_string()))
}

fn expect(
    raw: Box<RawValue>,
    first: u8,
    message: &'static str,
) -> Result<Option<Box<RawValue>>, ClientError> {
    if raw.get().as_bytes().first() == Some(&first) {
        Ok(Some(raw))
    } else {
        Err(ClientError::BadParams(message.to_owned()))
    }
}

#[cold]
fn not_structured() -> ClientError {
    ClientError::BadParams("params must be a JSON array or object".to_owned())
}

/// Not public API: the positional params of a typed call, one argument at a time, whatever
/// their number. Used by the code `#[method]` generates.
#[doc(hidden)]
#[derive(Debug)]
pub struct Positional {
    text: String,
    error: Option<String>,
}

impl Positional {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Positional {
            text: String::from("["),
            error: None,
        }
    }

    /// Appends one param.
    pub fn param<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        if self.error.is_none() {
            match to_raw_value(value) {
                Ok(raw) => {
                    if self.text.len() > 1 {
                        self.text.push(',');
                    }
                    self.text.push_str(raw.get());
                }
                Err(error) => self.error = Some(error.to_string()),
            }
        }
        self
    }
}

impl ToParams for Positional {
    /// No params at all leave `params` out, as for `()`.
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        if let Some(error) = &self.error {
            return Err(ClientError::BadParams(error.clone()));
        }
        if self.text.len() == 1 {
            return Ok(None);
        }
        let text = format!("{}]", self.text);
        RawValue::from_string(text)
            .map(Some)
            .map_err(|error| ClientError::BadParams(error.to_string()))
    }
}

/// Not public API: the params by name of a typed call, one `"name": value` member at a time.
/// Used by the code `#[method]` generates.
#[doc(hidden)]
#[derive(Debug)]
pub struct Named {
    text: String,
    error: Option<String>,
}

impl Named {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Named {
            text: String::from("{"),
            error: None,
        }
    }

    /// Appends one member.
    pub fn param<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Self {
        if self.error.is_none() {
            match to_raw_value(value) {
                Ok(raw) => {
                    if self.text.len() > 1 {
                        self.text.push(',');
                    }
                    let name = serde_json::to_string(name).expect("a string always serializes");
                    self.text.push_str(&name);
                    self.text.push(':');
                    self.text.push_str(raw.get());
                }
                Err(error) => self.error = Some(error.to_string()),
            }
        }
        self
    }
}

impl ToParams for Named {
    /// No params at all leave `params` out, as for `()`.
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        if let Some(error) = &self.error {
            return Err(ClientError::BadParams(error.clone()));
        }
        if self.text.len() == 1 {
            return Ok(None);
        }
        let text = format!("{}}}", self.text);
        RawValue::from_string(text)
            .map(Some)
            .map_err(|error| ClientError::BadParams(error.to_string()))
    }
}

/// Not public API: the value of a `Params<T>` argument, sent as the whole params, serialized
/// when it is made (so that the call borrows nothing). Used by the code `#[method]` generates.
#[doc(hidden)]
#[derive(Debug)]
pub struct Whole(Result<Box<RawValue>, String>);

impl Whole {
    pub fn new<T: Serialize + ?Sized>(value: &T) -> Self {
        Whole(to_raw_value(value).map_err(|error| error.to_string()))
    }
}

impl ToParams for Whole {
    fn to_params(&self) -> Result<Option<Box<RawValue>>, ClientError> {
        match &self.0 {
            Ok(raw) => match raw.get().as_bytes().first() {
                Some(b'[' | b'{') => Ok(Some(raw.clone())),
                _ => Err(not_structured()),
            },
            Err(error) => Err(ClientError::BadParams(error.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(params: impl ToParams) -> Option<String> {
        params
            .to_params()
            .expect("valid params")
            .map(|raw| raw.get().to_owned())
    }

    fn error(params: impl ToParams) -> String {
        match params.to_params() {
            Err(ClientError::BadParams(message)) => message,
            other => panic!("expected a params error, got {other:?}"),
        }
    }

    #[derive(Serialize)]
    struct Named {
        minuend: i64,
        subtrahend: i64,
    }

    #[derive(Serialize)]
    struct Pair(i64, i64);

    #[test]
    fn no_params_are_left_out() {
        assert_eq!(text(()), None);
        assert_eq!(text(None::<Vec<i64>>), None);
        assert_eq!(text(Positional::new()), None);
    }

    #[test]
    fn tuples_arrays_and_vecs_go_by_position() {
        assert_eq!(text((42,)).as_deref(), Some("[42]"));
        assert_eq!(text((42, "a", true)).as_deref(), Some(r#"[42,"a",true]"#));
        assert_eq!(
            text((1, 2, 3, 4, 5, 6, 7, 8)).as_deref(),
            Some("[1,2,3,4,5,6,7,8]")
        );
        assert_eq!(text([1, 2]).as_deref(), Some("[1,2]"));
        assert_eq!(text(&[1, 2][..]).as_deref(), Some("[1,2]"));
        assert_eq!(text(vec!["x"]).as_deref(), Some(r#"["x"]"#));
        assert_eq!(text(Vec::<i64>::new()).as_deref(), Some("[]"));
        assert_eq!(text(Some((1, 2))).as_deref(), Some("[1,2]"));
        assert_eq!(text(ByPosition(Pair(1, 2))).as_deref(), Some("[1,2]"));
    }

    #[test]
    fn maps_and_structs_go_by_name() {
        let named = Named {
            minuend: 42,
            subtrahend: 23,
        };
        assert_eq!(
            text(ByName(&named)).as_deref(),
            Some(r#"{"minuend":42,"subtrahend":23}"#)
        );
        assert_eq!(
            text(BTreeMap::from([("b", 2), ("a", 1)])).as_deref(),
            Some(r#"{"a":1,"b":2}"#)
        );
        assert_eq!(
            text(HashMap::from([("a", 1)])).as_deref(),
            Some(r#"{"a":1}"#)
        );
        let map = json!({ "a": [1] }).as_object().unwrap().clone();
        assert_eq!(text(map).as_deref(), Some(r#"{"a":[1]}"#));
    }

    #[test]
    fn json_values_must_be_arrays_or_objects() {
        assert_eq!(
            text(json!([1, {"a": 2}])).as_deref(),
            Some(r#"[1,{"a":2}]"#)
        );
        assert_eq!(text(json!({})).as_deref(), Some("{}"));
        for scalar in [json!(null), json!(1), json!("a"), json!(true)] {
            assert_eq!(error(scalar), "params must be a JSON array or object");
        }
        let raw = RawValue::from_string(" [1, 2]".to_owned()).unwrap();
        assert_eq!(text(&*raw).as_deref(), Some("[1, 2]"));
        let raw = RawValue::from_string("3".to_owned()).unwrap();
        assert_eq!(error(&*raw), "params must be a JSON array or object");
    }

    #[test]
    fn wrappers_check_the_shape() {
        assert!(error(ByName(Pair(1, 2))).contains("JSON object"));
        assert!(error(ByName(5)).contains("JSON object"));
        assert!(error(ByPosition(Named {
            minuend: 1,
            subtrahend: 2
        }))
        .contains("JSON array"));
        assert_eq!(
            error(Whole::new(&7)),
            "params must be a JSON array or object"
        );
        assert_eq!(text(Whole::new(&vec![1, 2])).as_deref(), Some("[1,2]"));
    }

    #[test]
    fn unserializable_values_are_params_errors() {
        let map = HashMap::from([((1, 2), 3)]);
        assert!(error(map).contains("key must be a string"));
        let positional = Positional::new()
            .param(&1)
            .param(&HashMap::from([((1, 2), 3)]));
        assert!(error(positional).contains("key must be a string"));
    }

    #[test]
    fn named_params_accumulate() {
        // `super::Named`: this module has a struct of that name of its own.
        let params = super::Named::new()
            .param("minuend", &42)
            .param("na\"me", "x")
            .param("none", &None::<i64>);
        assert_eq!(
            text(params).as_deref(),
            Some(r#"{"minuend":42,"na\"me":"x","none":null}"#)
        );
        assert_eq!(text(super::Named::new()), None);
        let named = super::Named::new().param("a", &HashMap::from([((1, 2), 3)]));
        assert!(error(named).contains("key must be a string"));
    }

    #[test]
    fn positional_params_accumulate() {
        let params = Positional::new().param(&42).param("x").param(&None::<i64>);
        assert_eq!(text(params).as_deref(), Some(r#"[42,"x",null]"#));
    }
}
