//! Turning a request's `params` into a method's typed arguments.

use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::method::param_text::ParamText;
use crate::wire::request::{Key, RawParams};
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
pub(crate) fn whole<T: DeserializeOwned>(
    params: Option<RawParams<'_>>,
) -> Result<Params<T>, Error> {
    let text = params.map_or("[]", RawParams::get);
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
    /// An array, read one element at a time, with no list built: `rest` is the text after the
    /// elements handed out so far (and their comma).
    Elements { rest: &'a str, next: usize },
    /// An object of a few members whose names have no escapes, kept in place: each member's
    /// name and value as byte ranges of `text`.
    FewMembers {
        text: &'a str,
        members: [[Offset; 4]; FEW_MEMBERS],
        len: u8,
        /// Bit `i` is set once member `i` has been handed out.
        taken: u8,
    },
    /// An object whose every member is one of the params the method names (see
    /// [`ParamsReader::with_names`]), read in one pass: `values[i]` is the byte range in `text`
    /// of the value of `names[i]` (so the members' order in the object is that of their
    /// values' starts).
    Known {
        text: &'a str,
        names: &'static [&'static str],
        values: [[Offset; 2]; FEW_MEMBERS],
        /// Bit `i` is set when the object has a member `names[i]`.
        given: u8,
        /// Bit `i` is set once `names[i]` has been handed out.
        taken: u8,
    },
    /// Any other object, read by serde_json.
    Named { members: Vec<Member<'a>> },
    /// Absent params: an empty list.
    Empty { next: usize },
}

impl<'a> Layout<'a> {
    /// An object of known names, none handed out yet.
    #[inline]
    fn known(
        text: &'a str,
        names: &'static [&'static str],
        values: [[Offset; 2]; FEW_MEMBERS],
        given: u8,
    ) -> Self {
        Layout::Known {
            text,
            names,
            values,
            given,
            taken: 0,
        }
    }
}

/// How many members an object may have to be kept in place rather than in a list.
const FEW_MEMBERS: usize = 8;

/// A byte offset into a params object kept in place. Sixteen bits keep the reader small enough
/// to be moved without a `memcpy` call (it is returned by value on every call); longer params
/// objects are read by serde_json, whose cost then dwarfs the difference.
type Offset = u16;

struct Member<'a> {
    name: Key<'a>,
    value: &'a RawValue,
    taken: bool,
}

impl<'a> ParamsReader<'a> {
    /// Reads the params of a request; absent params are an empty list.
    pub fn new(params: Option<RawParams<'a>>) -> Result<Self, Error> {
        let Some(params) = params else {
            return Ok(ParamsReader {
                layout: Layout::Empty { next: 0 },
            });
        };
        // The text is JSON (a `RawParams` is nothing else), so it can be stepped through without
        // checking it again.
        let text = params.get();
        let layout = match text.as_bytes().first() {
            Some(b'[') => Layout::Elements {
                rest: &text[1..],
                next: 0,
            },
            Some(b'{') => match few_members(text) {
                Some(layout) => layout,
                None => serde_layout(text)?,
            },
            _ => serde_layout(text)?,
        };
        let duplicate = match &layout {
            Layout::FewMembers {
                text, members, len, ..
            } => {
                let members = &members[..usize::from(*len)];
                (1..members.len())
                    .find(|&index| {
                        let name = name_bytes(text, &members[index]);
                        members[..index]
                            .iter()
                            .any(|earlier| name_bytes(text, earlier) == name)
                    })
                    .map(|index| name_of(text, &members[index]))
            }
            Layout::Named { members } => {
                first_repeated(members).map(|member| member.name.0.as_ref())
            }
            _ => None,
        };
        if let Some(name) = duplicate {
            return Err(Error::invalid_params(format!(
                "param `{name}` is given twice"
            )));
        }
        Ok(ParamsReader { layout })
    }

    /// Reads the params of a request to a method whose params are `names`, in the order its
    /// arguments take them (every argument that may be a param, context arguments among them).
    ///
    /// The same as [`new`](Self::new), errors included, only faster for the common object:
    /// one whose members are all among `names`. Its members are matched with `names` where
    /// the scanner noted them, or else in a single pass that compares each member's name with
    /// `names` in place. Any other params go to `new`. Each of `names` must be a plain
    /// identifier (no quote, backslash or control character), as `#[method]` gives.
    #[inline(always)]
    pub fn with_names(
        params: Option<RawParams<'a>>,
        names: &'static [&'static str],
    ) -> Result<Self, Error> {
        if let Some(params) = params {
            let text = params.get();
            let layout = match params.member_spans() {
                Some(spans) => spanned_members(text, spans, names),
                None if text.starts_with('{') => known_members(text, names),
                None => None,
            };
            if let Some(layout) = layout {
                return Ok(ParamsReader { layout });
            }
        }
        Self::new(params)
    }

    /// The next param: the next value of a positional list, or the member called `name`.
    ///
    /// A param that is absent is decoded as missing, which `Option<T>` reads as `None` and any
    /// other type rejects with ``missing required param `name` ``.
    pub fn next<T: DeserializeOwned>(&mut self, name: &'static str) -> Result<T, Error> {
        let value = self.text_of(name);
        decode(value, name)
    }

    /// The text of the next param (see [`next`](Self::next)), marked as handed out; `None` when
    /// it is absent. Apart from `next`, and not generic, so that it is compiled once rather than
    /// for every param type.
    fn text_of(&mut self, name: &'static str) -> Option<&'a str> {
        match &mut self.layout {
            Layout::Elements { rest, next } => {
                *next += 1;
                next_element(rest)
            }
            Layout::FewMembers {
                text,
                members,
                len,
                taken,
            } => members[..usize::from(*len)]
                .iter()
                .position(|member| name_bytes(text, member) == name.as_bytes())
                .map(|index| {
                    *taken |= 1 << index;
                    value_of(text, &members[index])
                }),
            Layout::Known {
                text,
                names,
                values,
                given,
                taken,
                ..
            } => index_of(names, name)
                .and_then(|index| take_known(text, values, *given, taken, index)),
            Layout::Named { members } => members.iter_mut().find(|m| m.name.0 == name).map(|m| {
                m.taken = true;
                m.value.get()
            }),
            Layout::Empty { next } => {
                *next += 1;
                None
            }
        }
    }

    /// [`next`](Self::next) for a reader made by [`with_names`](Self::with_names): the param
    /// `names[slot]`, which is `name`.
    ///
    /// `#[method]` knows each argument's place in the names it passes, so for the common
    /// object of known names (its members' values already matched with `names`) this skips
    /// looking `name` up; any other params are read as `next` reads them. A `slot` that does not
    /// hold `name` is looked up too, so a wrong one costs time, never a wrong value.
    #[inline(always)]
    pub fn next_at<T: DeserializeOwned>(
        &mut self,
        slot: usize,
        name: &'static str,
    ) -> Result<T, Error> {
        let value = match &mut self.layout {
            Layout::Known {
                text,
                names,
                values,
                given,
                taken,
            } if names
                .get(slot)
                .is_some_and(|held| std::ptr::eq(*held, name) || *held == name) =>
            {
                take_known(text, values, *given, taken, slot)
            }
            // The other common params, an array, as `text_of` reads it.
            Layout::Elements { rest, next } => {
                *next += 1;
                next_element(rest)
            }
            _ => self.text_of(name),
        };
        decode(value, name)
    }

    /// Checks that every param given was used.
    #[inline]
    pub fn finish(self) -> Result<(), Error> {
        // The usual ends, decided in line: every named param taken, or the array's closing
        // bracket reached.
        let all_taken = match &self.layout {
            Layout::Known { given, taken, .. } => given & !taken == 0,
            Layout::Elements { rest, .. } => rest.starts_with(']'),
            Layout::Empty { .. } => true,
            _ => false,
        };
        if all_taken {
            return Ok(());
        }
        self.check_left_over()
    }

    /// [`finish`](Self::finish) for params it could not decide in line: the first param left
    /// over, if any, is reported.
    fn check_left_over(self) -> Result<(), Error> {
        let unknown = match self.layout {
            Layout::Elements { mut rest, next } => {
                let mut left = 0;
                while next_element(&mut rest).is_some() {
                    left += 1;
                }
                if left > 0 {
                    return Err(too_many_params(next, next + left));
                }
                None
            }
            Layout::FewMembers {
                text,
                members,
                len,
                taken,
            } => (0..usize::from(len))
                .find(|index| taken & (1 << index) == 0)
                .map(|index| name_of(text, &members[index])),
            // The first member left, in the object's order, as `FewMembers` reports it.
            Layout::Known {
                names,
                values,
                given,
                taken,
                ..
            } => (0..names.len())
                .filter(|&index| given & !taken & (1 << index) != 0)
                .min_by_key(|&index| values[index][0])
                .map(|index| names[index]),
            Layout::Named { members } => {
                return match members.iter().find(|m| !m.taken) {
                    Some(unknown) => Err(unknown_param(&unknown.name.0)),
                    None => Ok(()),
                }
            }
            Layout::Empty { .. } => None,
        };
        match unknown {
            Some(name) => Err(unknown_param(name)),
            None => Ok(()),
        }
    }
}

/// Decodes the param `name` from its JSON text, or as missing when it is absent. Always in
/// line: out of line, its call and return cost about 16 instructions per param (callgrind).
#[inline(always)]
fn decode<T: DeserializeOwned>(value: Option<&str>, name: &'static str) -> Result<T, Error> {
    let decoded = match value {
        Some(value) => T::deserialize(ParamText(value)),
        None => T::deserialize(Missing),
    };
    decoded.map_err(|e| param_error(value.is_some(), &e, name))
}

/// The error for the param `name` that did not decode: one given (`given`) that its type
/// rejects, or one that is absent and not optional.
#[cold]
fn param_error(given: bool, error: &serde_json::Error, name: &str) -> Error {
    if given {
        Error::invalid_params(format!("param `{name}`: {}", without_position(error)))
    } else {
        Error::invalid_params(format!("missing required param `{name}`"))
    }
}

#[cold]
fn too_many_params(expected: usize, got: usize) -> Error {
    Error::invalid_params(format!(
        "too many params: expected at most {expected}, got {got}"
    ))
}

#[cold]
fn unknown_param(name: &str) -> Error {
    Error::invalid_params(format!("unknown param `{name}`"))
}

/// Reads params that are neither an array nor an object that [`few_members`] keeps, with
/// serde_json.
fn serde_layout(text: &str) -> Result<Layout<'_>, Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer
        .deserialize_any(LayoutVisitor)
        .map_err(|e| Error::invalid_params(format!("invalid params: {}", without_position(&e))))
}

/// The members of an object (JSON text) in place, when there are at most [`FEW_MEMBERS`] and no
/// name has an escape; `None` otherwise.
fn few_members(text: &str) -> Option<Layout<'_>> {
    let bytes = text.as_bytes();
    Offset::try_from(bytes.len()).ok()?;
    let mut members = [[0; 4]; FEW_MEMBERS];
    let mut len = 0;
    let mut at = skip_blank(bytes, 1);
    if bytes.get(at) != Some(&b'}') {
        loop {
            if bytes.get(at) != Some(&b'"') || len == FEW_MEMBERS {
                return None;
            }
            let name = at + 1;
            let mut end = name;
            loop {
                match *bytes.get(end)? {
                    b'"' => break,
                    b'\\' => return None,
                    _ => end += 1,
                }
            }
            at = skip_blank(bytes, end + 1);
            if bytes.get(at) != Some(&b':') {
                return None;
            }
            let value = skip_blank(bytes, at + 1);
            let value_end = value + value_length(&bytes[value..]);
            members[len] = [name, end, value, value_end].map(|at| at as Offset);
            len += 1;
            at = skip_blank(bytes, value_end);
            if bytes.get(at) != Some(&b',') {
                break;
            }
            at = skip_blank(bytes, at + 1);
        }
    }
    Some(Layout::FewMembers {
        text,
        members,
        len: len as u8,
        taken: 0,
    })
}

/// The members of an object (JSON text) when each is named by one of `names` (at most
/// [`FEW_MEMBERS`] of them), with no name given twice; `None` otherwise, for [`ParamsReader::new`]
/// to read (and to report a repeated or unknown name exactly).
///
/// A member's name is compared as written: a name that matches one of `names` byte for byte and
/// ends with a quote has no escape (none of `names` has a backslash), so it is that name.
#[inline]
fn known_members<'a>(text: &'a str, names: &'static [&'static str]) -> Option<Layout<'a>> {
    let bytes = text.as_bytes();
    if names.len() > FEW_MEMBERS {
        return None;
    }
    Offset::try_from(bytes.len()).ok()?;
    let mut values = [[0; 2]; FEW_MEMBERS];
    let mut given = 0u8;
    let mut at = skip_blank(bytes, 1);
    if bytes.get(at) != Some(&b'}') {
        loop {
            if bytes.get(at) != Some(&b'"') {
                return None;
            }
            let name = bytes.get(at + 1..)?;
            let index = names.iter().position(|candidate| {
                name.get(candidate.len()) == Some(&b'"') && name.starts_with(candidate.as_bytes())
            })?;
            if given & (1 << index) != 0 {
                return None;
            }
            given |= 1 << index;
            at = skip_blank(bytes, at + names[index].len() + 2);
            if bytes.get(at) != Some(&b':') {
                return None;
            }
            let value = skip_blank(bytes, at + 1);
            let value_end = value + value_length(&bytes[value..]);
            values[index] = [value as Offset, value_end as Offset];
            at = skip_blank(bytes, value_end);
            if bytes.get(at) != Some(&b',') {
                break;
            }
            at = skip_blank(bytes, at + 1);
        }
    }
    Some(Layout::known(text, names, values, given))
}

/// [`known_members`] for an object whose members the scanner noted: the same layout, from the
/// noted places rather than a walk of the text.
#[inline]
fn spanned_members<'a>(
    text: &'a str,
    spans: &[[u8; 4]],
    names: &'static [&'static str],
) -> Option<Layout<'a>> {
    if names.len() > FEW_MEMBERS {
        return None;
    }
    let bytes = text.as_bytes();
    let mut values = [[0; 2]; FEW_MEMBERS];
    let mut given = 0u8;
    for &[name_start, name_end, value_start, value_end] in spans {
        let name = bytes.get(usize::from(name_start)..usize::from(name_end))?;
        let index = names
            .iter()
            .position(|candidate| candidate.as_bytes() == name)?;
        if given & (1 << index) != 0 {
            return None;
        }
        given |= 1 << index;
        values[index] = [value_start, value_end].map(Offset::from);
    }
    Some(Layout::known(text, names, values, given))
}

/// The value of the known name at `index` (below `FEW_MEMBERS`) of a `Layout::Known`, marked as
/// handed out; `None` when the object does not have that member.
#[inline(always)]
fn take_known<'a>(
    text: &'a str,
    values: &[[Offset; 2]; FEW_MEMBERS],
    given: u8,
    taken: &mut u8,
    index: usize,
) -> Option<&'a str> {
    let bit = 1 << index;
    if given & bit == 0 {
        return None;
    }
    *taken |= bit;
    let [start, end] = values[index];
    Some(&text[usize::from(start)..usize::from(end)])
}

/// Where `name` is in `names`: by address first, since the names given to
/// [`ParamsReader::next`] (and to [`ParamsReader::next_at`], whose fallback this is) are
/// mostly the literals `#[method]` also gave to [`ParamsReader::with_names`].
#[inline]
fn index_of(names: &[&str], name: &str) -> Option<usize> {
    names
        .iter()
        .position(|candidate| std::ptr::eq(*candidate, name))
        .or_else(|| names.iter().position(|candidate| *candidate == name))
}

fn name_of<'a>(text: &'a str, member: &[Offset; 4]) -> &'a str {
    &text[member[0] as usize..member[1] as usize]
}

/// A member's name as bytes, for comparing.
fn name_bytes<'a>(text: &'a str, member: &[Offset; 4]) -> &'a [u8] {
    &text.as_bytes()[member[0] as usize..member[1] as usize]
}

fn value_of<'a>(text: &'a str, member: &[Offset; 4]) -> &'a str {
    &text[member[2] as usize..member[3] as usize]
}

/// The index of the first byte at or after `at` that is not JSON whitespace.
fn skip_blank(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// `text` without its leading JSON whitespace.
fn skip_whitespace(text: &str) -> &str {
    &text[skip_blank(text.as_bytes(), 0)..]
}

/// The next element of an array whose text after `[` (and after the elements read) is `rest`;
/// `None` at the closing bracket.
fn next_element<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let text = skip_whitespace(rest);
    if text.starts_with(']') || text.is_empty() {
        *rest = text;
        return None;
    }
    let end = value_length(text.as_bytes());
    let element = &text[..end];
    let after = skip_whitespace(&text[end..]);
    *rest = after.strip_prefix(',').unwrap_or(after);
    Some(element)
}

/// The length of the JSON value that `bytes` (valid JSON) starts with.
#[inline]
fn value_length(bytes: &[u8]) -> usize {
    // A number, the most common param, ends at the first byte no number has.
    if let Some(b'-' | b'0'..=b'9') = bytes.first() {
        return bytes
            .iter()
            .position(|byte| !matches!(byte, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
            .unwrap_or(bytes.len());
    }
    nested_value_length(bytes)
}

/// [`value_length`] for any value but a number.
fn nested_value_length(bytes: &[u8]) -> usize {
    let mut depth = 0usize;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    index += if bytes[index] == b'\\' { 2 } else { 1 };
                }
                if depth == 0 {
                    return (index + 1).min(bytes.len());
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                if depth <= 1 {
                    return if depth == 0 { index } else { index + 1 };
                }
                depth -= 1;
            }
            b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return index,
            _ => {}
        }
        index += 1;
    }
    bytes.len()
}

/// The first member whose name an earlier member already has.
///
/// A few members are compared pairwise, with no allocation; more go through a hash set, so that
/// the check costs linear time, not quadratic: comparing every pair of 200,000 members (a 2.3 MB
/// body, well under the default body limit) kept a core busy for 48 s in a release build.
fn first_repeated<'m, 'a>(members: &'m [Member<'a>]) -> Option<&'m Member<'a>> {
    const PAIRWISE_UP_TO: usize = 16;
    if members.len() <= PAIRWISE_UP_TO {
        return members.iter().enumerate().find_map(|(index, member)| {
            members[..index]
                .iter()
                .any(|earlier| earlier.name.0 == member.name.0)
                .then_some(member)
        });
    }
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    members
        .iter()
        .find(|member| !seen.insert(member.name.0.as_ref()))
}

struct LayoutVisitor;

impl<'de> Visitor<'de> for LayoutVisitor {
    type Value = Layout<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array or an object")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::request::{parse_text, Entry, Message};

    /// The params of a request whose `params` member is `params` (JSON text).
    fn with_params<R>(params: &str, read: impl FnOnce(Option<RawParams<'_>>) -> R) -> R {
        let body = format!(r#"{{"jsonrpc":"2.0","method":"m","params":{params},"id":1}}"#);
        match parse_text(&body).expect("JSON") {
            Message::Single(Entry::Call(request)) => read(request.params),
            _ => panic!("not a call: {body}"),
        }
    }

    /// [`with_params`], read by the scanner, which notes where the members of a small object
    /// are; `None` for params the scanner leaves to serde_json.
    fn with_scanned_params<R>(
        params: &str,
        read: impl FnOnce(Option<RawParams<'_>>) -> R,
    ) -> Option<R> {
        let body = format!(r#"{{"jsonrpc":"2.0","method":"m","params":{params},"id":1}}"#);
        match crate::wire::scan::read_common(&body, 64)? {
            Message::Single(Entry::Call(request)) => Some(read(request.params)),
            _ => panic!("not a call: {body}"),
        }
    }

    /// An error as the client sees it: code, message and data.
    fn described(error: &Error) -> String {
        serde_json::to_string(error).expect("an error serializes")
    }

    /// Everything a method sees: each param it takes (by name, in order, as an optional JSON
    /// value or as an integer), then the check for params left over. With `names`, the names
    /// the reader was made with, each param is taken by its slot among them, as `#[method]`
    /// takes it (`next_at`); without, by name alone (`next`).
    fn transcript(
        reader: Result<ParamsReader<'_>, Error>,
        takes: &[&'static str],
        names: Option<&[&'static str]>,
    ) -> String {
        let mut reader = match reader {
            Ok(reader) => reader,
            Err(error) => return format!("new: {}", described(&error)),
        };
        let mut seen = Vec::new();
        for &name in takes {
            let slot = names.map(|names| names.iter().position(|n| *n == name).expect("named"));
            let taken = match (name.starts_with('n'), slot) {
                (true, Some(slot)) => reader.next_at::<i64>(slot, name).map(|n| n.to_string()),
                (true, None) => reader.next::<i64>(name).map(|n| n.to_string()),
                (false, Some(slot)) => reader
                    .next_at::<Option<serde_json::Value>>(slot, name)
                    .map(|v| format!("{v:?}")),
                (false, None) => reader
                    .next::<Option<serde_json::Value>>(name)
                    .map(|v| format!("{v:?}")),
            };
            match taken {
                Ok(value) => seen.push(format!("{name}={value}")),
                Err(error) => {
                    return format!("{} then {name}: {}", seen.join(" "), described(&error))
                }
            }
        }
        match reader.finish() {
            Ok(()) => format!("{} ok", seen.join(" ")),
            Err(error) => format!("{} finish: {}", seen.join(" "), described(&error)),
        }
    }

    /// `with_names` reads every params value as `new` does: the same values, and the same
    /// error first, whatever the object holds. `NAMES` are the method's possible params, with
    /// two context arguments' names among them that are never taken (`ctx`, `ctx2`); `TAKES`
    /// are the params the method takes, in order.
    #[test]
    fn reading_with_names_gives_what_reading_without_them_gives() {
        const NAMES: &[&str] = &["a", "n", "ctx", "b", "ctx2"];
        const TAKES: &[&str] = &["a", "n", "b"];
        let objects = [
            r#"{}"#,
            r#"{"a":1,"n":2,"b":3}"#,
            r#"{"b":[1,{"x":"}"}],"a":{"n":"]"},"n":-7}"#,
            r#" { "n" : 5 , "a" : "s \" t" } "#,
            r#"{"n":5}"#,
            r#"{"a":null,"n":5,"b":null}"#,
            r#"{"a":1,"n":2,"ctx":3}"#,
            r#"{"ctx2":1,"a":1,"n":2,"ctx":3}"#,
            r#"{"ctx":3,"a":1,"n":2,"zz":4}"#,
            r#"{"a":1,"n":2,"zz":4,"ctx":3}"#,
            r#"{"a":1,"a":2,"n":3}"#,
            "{ \"n\" : 5 ,\n\"a\":[1, 2]\t}",
            r#"{"b":{"x":1},"n":-3,"a":"s"}"#,
            r#"{"n":2,"b":true,"n":3}"#,
            r#"{"n":1,"zz":2,"zz":3}"#,
            r#"{"n":"not a number","zz":1}"#,
            r#"{"a":1}"#,
            r#"{"\u0061":1,"n":2}"#,
            r#"{"a\"":1,"n":2}"#,
            r#"{"ab":1,"n":2}"#,
            r#"{"":1,"n":2}"#,
            r#"{"n":1,"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1}"#,
            r#"[1,2,3]"#,
            r#"[1,2,3,4]"#,
            r#"["x"]"#,
        ];
        for params in objects {
            let without = with_params(params, |p| transcript(ParamsReader::new(p), TAKES, None));
            let with = with_params(params, |p| {
                transcript(ParamsReader::with_names(p, NAMES), TAKES, Some(NAMES))
            });
            assert_eq!(with, without, "params {params}");
            // Read by the scanner, with the members it noted.
            let scanned = with_scanned_params(params, |p| {
                transcript(ParamsReader::with_names(p, NAMES), TAKES, Some(NAMES))
            });
            if let Some(scanned) = scanned {
                assert_eq!(scanned, without, "scanned params {params}");
            }
        }
        // Absent params, too.
        let body = r#"{"jsonrpc":"2.0","method":"m","id":1}"#;
        let Ok(Message::Single(Entry::Call(request))) = parse_text(body) else {
            panic!("a call")
        };
        assert_eq!(
            transcript(
                ParamsReader::with_names(request.params, NAMES),
                TAKES,
                Some(NAMES)
            ),
            transcript(ParamsReader::new(request.params), TAKES, None)
        );
    }

    #[test]
    fn an_object_of_known_names_is_read_in_one_pass() {
        with_params(r#"{"b":2,"a":1}"#, |params| {
            let reader = ParamsReader::with_names(params, &["a", "b"]).expect("reads");
            assert!(matches!(reader.layout, Layout::Known { .. }));
        });
        // The same from the members the scanner noted.
        let scanned = with_scanned_params(r#"{"b":2,"a":1}"#, |params| {
            assert!(params.is_some_and(|p| p.member_spans().is_some()));
            let reader = ParamsReader::with_names(params, &["a", "b"]).expect("reads");
            assert!(matches!(reader.layout, Layout::Known { .. }));
        });
        assert!(scanned.is_some(), "the scanner reads the body");
        // A name the method does not know goes the general way (and is reported there).
        with_params(r#"{"b":2,"c":1}"#, |params| {
            let reader = ParamsReader::with_names(params, &["a", "b"]).expect("reads");
            assert!(matches!(reader.layout, Layout::FewMembers { .. }));
        });
    }

    /// A slot that does not hold the name asked for (only a caller other than `#[method]`
    /// could give one) still gives that name's value, looked up by name.
    #[test]
    fn a_wrong_slot_still_gives_the_named_param() {
        let read = |params: &str| {
            with_scanned_params(params, |params| {
                let mut reader = ParamsReader::with_names(params, &["a", "b"]).expect("reads");
                assert!(matches!(reader.layout, Layout::Known { .. }));
                let b: i64 = reader.next_at(0, "b").expect("b");
                let a: i64 = reader.next_at(7, "a").expect("a");
                reader.finish().map(|()| (a, b))
            })
            .expect("the scanner reads the body")
        };
        assert_eq!(read(r#"{"b":2,"a":1}"#).expect("both taken"), (1, 2));
    }

    /// `value_length` ends each value where serde_json's reading of it ends, whatever follows
    /// it in an array or an object.
    #[test]
    fn value_length_ends_where_serde_json_ends() {
        let values = [
            "0",
            "-0",
            "7",
            "42",
            "-1.5e+3",
            "1E-7",
            "2.50",
            "123456789012345678901234567890",
            r#""""#,
            r#""a\"b""#,
            r#""}]""#,
            "[1,[2,{}]]",
            r#"{"a":{"b":"}"}}"#,
            "true",
            "null",
        ];
        for value in values {
            let read: &RawValue = serde_json::from_str(value).expect("valid JSON");
            assert_eq!(read.get(), value);
            for after in ["", ",1", "}", "]", " ,2", "\n}", "\t]"] {
                let text = format!("{value}{after}");
                assert_eq!(value_length(text.as_bytes()), value.len(), "{text:?}");
            }
        }
    }

    /// Params objects too long for the in-place offsets are read by serde_json, with the same
    /// values.
    #[test]
    fn long_params_objects_are_read_the_general_way() {
        let padding = "x".repeat(usize::from(Offset::MAX));
        let params = format!(r#"{{"pad":"{padding}","n":5}}"#);
        with_params(&params, |params| {
            let mut reader = ParamsReader::with_names(params, &["n", "pad"]).expect("reads");
            assert!(matches!(reader.layout, Layout::Named { .. }));
            assert_eq!(reader.next::<i64>("n").expect("n"), 5);
            assert_eq!(
                reader.next::<String>("pad").expect("pad").len(),
                padding.len()
            );
            reader.finish().expect("nothing left");
        });
    }
}
