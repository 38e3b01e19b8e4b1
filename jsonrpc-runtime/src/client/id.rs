//! Request ids and the generators that make them.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A request id: a number or a string. Responses are matched to requests by it.
///
/// It displays as the JSON it is sent as: `7` or `"req-7"`.
// The variants are not called `Number` and `String`: a public item named like a common type
// makes rustc print that type's full path (`std::string::String`) in the compiler messages of
// every crate that depends on this one. Likewise for `ClientError`'s variants.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    /// A numeric id.
    Num(i64),
    /// A string id.
    Str(String),
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Num(number) => write!(f, "{number}"),
            Id::Str(string) => write!(f, "{}", serde_json::Value::from(string.as_str())),
        }
    }
}

impl From<i64> for Id {
    fn from(number: i64) -> Self {
        Id::Num(number)
    }
}

impl From<String> for Id {
    fn from(string: String) -> Self {
        Id::Str(string)
    }
}

impl From<&str> for Id {
    fn from(string: &str) -> Self {
        Id::Str(string.to_owned())
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Id::Num(number) => serializer.serialize_i64(*number),
            Id::Str(string) => serializer.serialize_str(string),
        }
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl serde::de::Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id::Num(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Id, E> {
                i64::try_from(v)
                    .map(Id::Num)
                    .map_err(|_| E::custom("the id is out of range"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id::Str(v.to_owned()))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// Makes the id of each request a client sends.
///
/// The ids of one batch must differ; otherwise any scheme will do. Implemented for closures:
///
/// ```
/// use std::sync::atomic::{AtomicI64, Ordering};
/// use jsonrpc_runtime::client::{Client, Id};
///
/// let next = AtomicI64::new(1000);
/// let client = Client::builder("http://127.0.0.1:5000/")
///     .id_generator(move || Id::Num(next.fetch_add(10, Ordering::Relaxed)))
///     .build()
///     .unwrap();
/// # drop(client);
/// ```
pub trait IdGenerator: Send + Sync + 'static {
    /// The id for the next request.
    fn next_id(&self) -> Id;
}

impl<F: Fn() -> Id + Send + Sync + 'static> IdGenerator for F {
    fn next_id(&self) -> Id {
        self()
    }
}

/// Numeric ids 1, 2, 3, ...: the default.
#[derive(Debug)]
pub struct NumericIds(AtomicI64);

impl NumericIds {
    /// Ids counting up from 1.
    pub fn new() -> Self {
        NumericIds::starting_at(1)
    }

    /// Ids counting up from `first`.
    pub fn starting_at(first: i64) -> Self {
        NumericIds(AtomicI64::new(first))
    }
}

impl Default for NumericIds {
    fn default() -> Self {
        NumericIds::new()
    }
}

impl IdGenerator for NumericIds {
    fn next_id(&self) -> Id {
        Id::Num(self.0.fetch_add(1, Ordering::Relaxed))
    }
}

/// String ids counting up from 1, after a prefix: `"1"`, `"2"`, ... or `"req-1"`, `"req-2"`, ...
#[derive(Debug, Default)]
pub struct StringIds {
    prefix: String,
    next: AtomicU64,
}

impl StringIds {
    /// Ids `"1"`, `"2"`, ...
    pub fn new() -> Self {
        StringIds::with_prefix("")
    }

    /// Ids `"{prefix}1"`, `"{prefix}2"`, ...
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        StringIds {
            prefix: prefix.into(),
            next: AtomicU64::new(1),
        }
    }
}

impl IdGenerator for StringIds {
    fn next_id(&self) -> Id {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Id::Str(format!("{}{n}", self.prefix))
    }
}

/// Random ids shaped like a version 4 UUID: `"3f2b8c1e-9a4d-4e7f-b2c6-0d5e8a1f7c93"`.
///
/// The bits come from the standard library's randomly keyed hasher, mixed with a counter and
/// the clock: unpredictable enough for request ids, not for anything secret.
#[derive(Debug, Default)]
pub struct RandomIds {
    counter: AtomicU64,
}

impl RandomIds {
    /// A generator of random ids.
    pub fn new() -> Self {
        RandomIds::default()
    }

    fn random_u64(&self, salt: u64) -> u64 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        hasher.write_u64(salt);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(nanos);
        hasher.finish()
    }
}

impl IdGenerator for RandomIds {
    fn next_id(&self) -> Id {
        let high = self.random_u64(0x9e37_79b9_7f4a_7c15);
        let low = self.random_u64(high);
        // The version (4) and variant (10xx) bits of a random UUID.
        let high = (high & !0xf000) | 0x4000;
        let low = (low & !(0xc << 60)) | (0x8 << 60);
        Id::Str(format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0xffff,
            low >> 48,
            low & 0xffff_ffff_ffff
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_count_up() {
        let ids = NumericIds::new();
        assert_eq!(ids.next_id(), Id::Num(1));
        assert_eq!(ids.next_id(), Id::Num(2));
        assert_eq!(NumericIds::starting_at(-5).next_id(), Id::Num(-5));
    }

    #[test]
    fn string_ids_count_up_after_the_prefix() {
        let ids = StringIds::with_prefix("req-");
        assert_eq!(ids.next_id(), Id::from("req-1"));
        assert_eq!(ids.next_id(), Id::from("req-2"));
        assert_eq!(StringIds::new().next_id(), Id::from("1"));
    }

    #[test]
    fn random_ids_look_like_uuids_and_differ() {
        let ids = RandomIds::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let Id::Str(id) = ids.next_id() else {
                panic!("not a string")
            };
            let groups: Vec<&str> = id.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
            assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
            assert!(groups[2].starts_with('4'), "{id}");
            assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{id}");
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn ids_display_and_serialize_as_json() {
        assert_eq!(Id::Num(7).to_string(), "7");
        assert_eq!(Id::from("a\"b").to_string(), r#""a\"b""#);
        assert_eq!(serde_json::to_string(&Id::from("x")).unwrap(), r#""x""#);
        assert_eq!(serde_json::from_str::<Id>("12").unwrap(), Id::Num(12));
        assert!(serde_json::from_str::<Id>("1.5").is_err());
        assert!(serde_json::from_str::<Id>("null").is_err());
    }
}
