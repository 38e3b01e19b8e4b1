//! Turning a request's `params` into a method's typed arguments.

use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::request::Key;
use crate::Error;

/// A method argument that takes the whole `params` value as one `T`.
///
/// For methods whose params do not map to a fixed list of names, like the specification's
/// variadic `sum`:
///
/// ```
/// use jsonrpc_runtime::{method, Params};
///
/// /// Adds up any number of integers: `"params": [1, 2, 4]` gives 7.
/// #[method]
/// fn sum(numbers: Params<Vec<i64>>) -> i64 {
///     numbers.iter().sum()
/// }
/// # fn main() {}
/// ```
///
/// A method with a `Params<T>` argument takes no other params (it may still take
/// [`State`](crate::State)). Absent `params` are read as `[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<T>(pub T);

impl<T> Params<T> {
    /// The decoded params.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Params<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Params<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// Decodes the whole params value for a [`Params<T>`] argument.
pub(crate) fn whole<T: DeserializeOwned>(params: Option<&RawValue>) -> Result<Params<T>, Error> {
    let text = params.map_or("[]", RawValue::get);
    serde_json::from_str(text)
        .map(Params)
        .map_err(|e| Error::invalid_params(format!("invalid params: {}", without_position(&e))))
}

/// Hands out a method's params one by one, by position or by name, and checks at the end that
/// none was left over. Used by the code `#[method]` generates.
pub struct ParamsReader<'a> {
    layout: Layout<'a>,
}

enum Layout<'a> {
    Positional {
        values: Vec<&'a RawValue>,
        next: usize,
    },
    Named {
        members: Vec<Member<'a>>,
    },
}

struct Member<'a> {
    name: Key<'a>,
    value: &'a RawValue,
    taken: bool,
}

impl<'a> ParamsReader<'a> {
    /// Reads the params of a request; absent params are an empty list.
    pub fn new(params: Option<&'a RawValue>) -> Result<Self, Error> {
        let Some(params) = params else {
            return Ok(ParamsReader {
                layout: Layout::Positional {
                    values: Vec::new(),
                    next: 0,
                },
            });
        };
        let mut deserializer = serde_json::Deserializer::from_str(params.get());
        let layout = deserializer.deserialize_any(LayoutVisitor).map_err(|e| {
            Error::invalid_params(format!("invalid params: {}", without_position(&e)))
        })?;
        if let Layout::Named { members } = &layout {
            for (index, member) in members.iter().enumerate() {
                if members[..index]
                    .iter()
                    .any(|earlier| earlier.name.0 == member.name.0)
                {
                    return Err(Error::invalid_params(format!(
                        "param `{}` is given twice",
                        member.name.0
                    )));
                }
            }
        }
        Ok(ParamsReader { layout })
    }

    /// The next param: the next value of a positional list, or the member called `name`.
    ///
    /// A param that is absent is decoded as missing, which `Option<T>` reads as `None` and any
    /// other type rejects with ``missing required param `name` ``.
    pub fn next<T: DeserializeOwned>(&mut self, name: &'static str) -> Result<T, Error> {
        let value = match &mut self.layout {
            Layout::Positional { values, next } => {
                let value = values.get(*next).copied();
                *next += 1;
                value
            }
            Layout::Named { members } => members.iter_mut().find(|m| m.name.0 == name).map(|m| {
                m.taken = true;
                m.value
            }),
        };
        let decoded = match value {
            Some(value) => serde_json::from_str(value.get()),
            None => T::deserialize(Missing),
        };
        decoded.map_err(|e| match value {
            Some(_) => Error::invalid_params(format!("param `{name}`: {}", without_position(&e))),
            None => Error::invalid_params(format!("missing required param `{name}`")),
        })
    }

    /// Checks that every param given was used.
    pub fn finish(self) -> Result<(), Error> {
        match self.layout {
            Layout::Positional { values, next } if values.len() > next => {
                Err(Error::invalid_params(format!(
                    "too many params: expected at most {next}, got {}",
                    values.len()
                )))
            }
            Layout::Named { members } => match members.iter().find(|m| !m.taken) {
                Some(unknown) => Err(Error::invalid_params(format!(
                    "unknown param `{}`",
                    unknown.name.0
                ))),
                None => Ok(()),
            },
            Layout::Positional { .. } => Ok(()),
        }
    }
}

struct LayoutVisitor;

impl<'de> Visitor<'de> for LayoutVisitor {
    type Value = Layout<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array or an object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(value) = seq.next_element()? {
            values.push(value);
        }
        Ok(Layout::Positional { values, next: 0 })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some((name, value)) = map.next_entry()? {
            members.push(Member {
                name,
                value,
                taken: false,
            });
        }
        Ok(Layout::Named { members })
    }
}

/// Whether a param of type `T` may be left out (it reads absence as a value, like `Option`).
pub(crate) fn may_be_absent<T: DeserializeOwned>() -> bool {
    T::deserialize(Missing).is_ok()
}

/// The value of an absent param: `Option` reads it as `None`, everything else as an error.
struct Missing;

impl<'de> Deserializer<'de> for Missing {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("missing"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// serde_json's message without its " at line 1 column 5" suffix, which means nothing to a
/// client (the position is inside one param, not inside the request it sent).
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    if error.line() == 0 {
        return message;
    }
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&suffix) {
        Some(bare) => bare.to_owned(),
        None => message,
    }
}
