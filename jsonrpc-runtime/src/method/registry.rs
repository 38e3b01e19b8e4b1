//! The method table: every `#[method]` registers itself, and a [`Methods`] set is built from the
//! registrations (or by hand) when a server starts.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::method::describe::MethodDoc;
use crate::method::handler::CallFn;
use crate::method::middleware::Middleware;
use crate::method::state::StateKey;
use crate::wire::location::Location;

/// One JSON-RPC method: its wire name, its entry point and what it needs.
///
/// `#[method]` makes one for each function, reachable as `METHOD` on a hidden type that has the
/// function's name (`ping::METHOD`), and registers it; you only touch it to build a [`Methods`]
/// set by hand.
#[derive(Clone, Copy)]
pub struct MethodDef {
    name: &'static str,
    call: CallFn,
    states: &'static [fn() -> Vec<StateKey>],
    location: Location,
    group: Option<&'static str>,
    describe: Option<DescribeFn>,
    role: Role,
}

/// What a method is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// An ordinary `#[method]`.
    Method,
    /// The subscribe method of a `#[subscription]`.
    Subscribe(SubscriptionNames),
    /// The unsubscribe method of a `#[subscription]`.
    Unsubscribe,
}

/// The other names of a subscription: its unsubscribe method and its notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscriptionNames {
    /// The method that ends a subscription.
    pub unsubscribe: &'static str,
    /// The method name of the subscription's notifications (items and the end).
    pub notification: &'static str,
}

/// The function `#[method]` generates to describe a method for OpenRPC.
type DescribeFn = fn(&mut schemars::SchemaGenerator) -> MethodDoc;

impl MethodDef {
    /// Not public API: called by the code `#[method]` generates.
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        call: CallFn,
        states: &'static [fn() -> Vec<StateKey>],
        file: &'static str,
        line: u32,
    ) -> Self {
        MethodDef {
            name,
            call,
            states,
            location: Location { file, line },
            group: None,
            describe: None,
            role: Role::Method,
        }
    }

    /// Not public API: called by the code `#[subscription]` generates.
    #[doc(hidden)]
    pub const fn __subscription(
        mut self,
        unsubscribe: &'static str,
        notification: &'static str,
    ) -> Self {
        self.role = Role::Subscribe(SubscriptionNames {
            unsubscribe,
            notification,
        });
        self
    }

    /// For a subscribe method (`#[subscription]`), the names of its unsubscribe method and of
    /// its notifications; `None` for any other method.
    pub fn subscription(&self) -> Option<SubscriptionNames> {
        match self.role {
            Role::Subscribe(names) => Some(names),
            _ => None,
        }
    }

    /// Whether this is the unsubscribe method of a subscription.
    pub fn is_unsubscribe(&self) -> bool {
        self.role == Role::Unsubscribe
    }

    /// The unsubscribe method that goes with a subscribe method.
    fn unsubscribe_def(&self, name: &'static str) -> MethodDef {
        MethodDef {
            name,
            call: crate::subscription::start::unsubscribe,
            states: &[],
            location: self.location,
            group: self.group,
            describe: None,
            role: Role::Unsubscribe,
        }
    }

    /// Not public API: called by the code `#[method]` generates.
    #[doc(hidden)]
    pub const fn __with_doc(mut self, describe: DescribeFn) -> Self {
        self.describe = Some(describe);
        self
    }

    /// What the method's definition says about it (doc comment, params, schemas), with shared
    /// schema definitions collected in `generator`.
    pub fn doc(&self, generator: &mut schemars::SchemaGenerator) -> MethodDoc {
        self.describe
            .map(|describe| describe(generator))
            .unwrap_or_default()
    }

    /// Not public API: called by the code `#[method(group = "...")]` generates.
    #[doc(hidden)]
    pub const fn __in_group(mut self, group: &'static str) -> Self {
        self.group = Some(group);
        self
    }

    /// The group the method belongs to (`#[method(group = "admin")]`), if any.
    pub fn group(&self) -> Option<&'static str> {
        self.group
    }

    /// The name clients call the method by.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Where the method is defined.
    pub fn location(&self) -> Location {
        self.location
    }

    pub(crate) fn call(&self) -> CallFn {
        self.call
    }

    pub(crate) fn required_states(&self) -> impl Iterator<Item = StateKey> + '_ {
        self.states.iter().flat_map(|keys| keys())
    }
}

impl fmt::Debug for MethodDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodDef")
            .field("name", &self.name)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// The registration `#[method]` submits for each function.
#[doc(hidden)]
pub struct Registration(pub MethodDef);

inventory::collect!(Registration);

/// A set of methods a server or dispatcher answers.
///
/// [`Methods::registered`] holds every `#[method]` linked into the program, which is what
/// [`serve`](crate::serve) uses. A set can also be built by hand from the `METHOD` handle that
/// `#[method]` puts beside each function, for tests or for servers that must not answer
/// everything:
///
/// ```
/// use jsonrpc_runtime::{method, Methods};
///
/// #[method]
/// fn ping() -> &'static str { "pong" }
///
/// #[method(name = "math.add")]
/// fn add(a: i64, b: i64) -> i64 { a + b }
///
/// let only_ping = Methods::new().with(ping::METHOD);
/// assert!(only_ping.get("ping").is_some());
/// assert!(only_ping.get("math.add").is_none());
/// ```
///
/// Two methods with one name are reported when a server or dispatcher is built from the set,
/// naming both definitions.
///
/// # Registrations that vanish
/// Registration happens at link time. A method defined in a library crate that the program never
/// otherwise refers to may be left out by the linker, and with it its registration. If a crate's
/// methods are missing from [`Methods::registered`], refer to the crate (for example
/// `use my_methods as _;`) or list its methods by hand with [`Methods::with`].
#[derive(Clone, Default)]
pub struct Methods {
    by_name: HashMap<Cow<'static, str>, Entry, BuildHasherDefault<NameHasher>>,
    /// Methods that reused a name already in the set, reported at start-up unless a filter
    /// removes them (or the method they collide with, in which case they take the name).
    duplicates: Vec<(Cow<'static, str>, Entry)>,
}

/// The hasher for looking up method names: the lookup is on every call, and names are short.
/// Eight bytes are mixed at a time (the rotate, xor and multiply of rustc's FxHasher), so a
/// name of up to eight bytes costs one step and its end one more.
///
/// SipHash's protection against collision attacks is not needed here: the table's keys are the
/// server's own method names, fixed at start-up; a client only chooses what to look up, which
/// cannot make the table's chains longer.
#[derive(Clone, Copy, Default)]
pub(crate) struct NameHasher(u64);

impl NameHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((word, after)) = rest.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*word));
            rest = after;
        }
        if !rest.is_empty() {
            self.add(short_word(rest));
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// One to seven bytes as a word, read without a copy loop: from four bytes on, the first four
/// and the last four (overlapping); below, the first, middle and last byte. Each length keeps
/// its own bit, so that the overlaps cannot make two lengths alike.
#[inline]
fn short_word(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let word = match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        (Some(first), Some(last)) => {
            u64::from(u32::from_le_bytes(*first)) | u64::from(u32::from_le_bytes(*last)) << 32
        }
        _ => u64::from(bytes[0]) | u64::from(bytes[len / 2]) << 8 | u64::from(bytes[len - 1]) << 16,
    };
    word ^ (1 << (56 + len))
}

/// A method in a set: its definition and the middleware that runs around it.
#[derive(Clone)]
pub(crate) struct Entry {
    pub def: MethodDef,
    pub middleware: Vec<Arc<dyn Middleware>>,
}

impl Methods {
    /// An empty set.
    pub fn new() -> Self {
        Methods::default()
    }

    /// Every method registered with `#[method]` in the program.
    pub fn registered() -> Self {
        let mut defs: Vec<MethodDef> = inventory::iter::<Registration>
            .into_iter()
            .map(|r| r.0)
            .collect();
        // Registration order is unspecified: sort so that errors and listings are stable.
        defs.sort_by_key(|def| (def.name, def.location));
        defs.into_iter().fold(Methods::new(), Methods::with)
    }

    /// Adds a method, as in `Methods::new().with(ping::METHOD)`.
    pub fn with(mut self, method: MethodDef) -> Self {
        self.insert(method);
        self
    }

    /// Adds a method. A subscription's method brings its unsubscribe method along.
    pub fn insert(&mut self, method: MethodDef) {
        let entry = Entry {
            def: method,
            middleware: Vec::new(),
        };
        self.insert_entry(Cow::Borrowed(method.name), entry);
        if let Some(names) = method.subscription() {
            let unsubscribe = method.unsubscribe_def(names.unsubscribe);
            let entry = Entry {
                def: unsubscribe,
                middleware: Vec::new(),
            };
            self.insert_entry(Cow::Borrowed(names.unsubscribe), entry);
        }
    }

    fn insert_entry(&mut self, name: Cow<'static, str>, entry: Entry) {
        match self.by_name.entry(name) {
            std::collections::hash_map::Entry::Occupied(existing) => {
                self.duplicates.push((existing.key().clone(), entry));
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(entry);
            }
        }
    }

    /// The first name used twice: the name, where the method holding it is defined, and where
    /// the other one is.
    pub(crate) fn first_duplicate(&self) -> Option<(&str, crate::Location, crate::Location)> {
        let (name, entry) = self.duplicates.first()?;
        let first = self.by_name.get(name).map_or(entry.def, |held| held.def);
        Some((name, first.location(), entry.def.location()))
    }

    /// A notification name of a subscription that is also the name of a method, or of another
    /// subscription's notifications: the name, and where the two are defined.
    pub(crate) fn first_notification_clash(
        &self,
    ) -> Option<(&'static str, crate::Location, crate::Location)> {
        let mut subscriptions: Vec<MethodDef> = self
            .by_name
            .values()
            .filter(|entry| entry.def.subscription().is_some())
            .map(|entry| entry.def)
            .collect();
        subscriptions.sort_by_key(|def| (def.name, def.location));
        let mut seen: HashMap<&'static str, crate::Location> = HashMap::new();
        for def in subscriptions {
            let notification = def.subscription()?.notification;
            if let Some(method) = self.by_name.get(notification) {
                return Some((notification, method.def.location(), def.location()));
            }
            if let Some(first) = seen.insert(notification, def.location()) {
                return Some((notification, first, def.location()));
            }
        }
        None
    }

    /// Only the methods of `group` (`#[method(group = "...")]`).
    pub fn group(self, group: &str) -> Self {
        self.filter(|_, def| def.group == Some(group))
    }

    /// Only the methods called one of `names`.
    pub fn only(self, names: &[&str]) -> Self {
        self.filter(|name, _| names.contains(&name))
    }

    /// Only the methods for which `keep(name, method)` is true.
    ///
    /// Two methods with one name are a start-up error only while both are in the set: keeping
    /// one of them (by group, say) resolves the clash.
    pub fn filter(mut self, keep: impl Fn(&str, &MethodDef) -> bool) -> Self {
        self.by_name.retain(|name, entry| keep(name, &entry.def));
        for (name, entry) in std::mem::take(&mut self.duplicates) {
            if keep(&name, &entry.def) {
                self.insert_entry(name, entry);
            }
        }
        self
    }

    /// The same methods, each called by `prefix` followed by its name: `prefixed("admin.")`
    /// serves `shutdown` as `admin.shutdown`.
    pub fn prefixed(self, prefix: &str) -> Self {
        let mut renamed = Methods::new();
        for (name, entry) in self.by_name.into_iter().chain(self.duplicates) {
            renamed.insert_entry(Cow::Owned(format!("{prefix}{name}")), entry);
        }
        renamed
    }

    /// Both sets together; a name in both is reported as a duplicate at start-up.
    pub fn merge(mut self, other: Methods) -> Self {
        for (name, entry) in other.by_name.into_iter().chain(other.duplicates) {
            self.insert_entry(name, entry);
        }
        self
    }

    /// Runs `middleware` around every call of the methods now in the set (after any middleware
    /// added to the set before, and after the dispatcher's own).
    pub fn layer(mut self, middleware: impl Middleware) -> Self {
        let middleware: Arc<dyn Middleware> = Arc::new(middleware);
        let duplicates = self.duplicates.iter_mut().map(|(_, entry)| entry);
        for entry in self.by_name.values_mut().chain(duplicates) {
            entry.middleware.push(Arc::clone(&middleware));
        }
        self
    }

    /// The method called `name`.
    pub fn get(&self, name: &str) -> Option<&MethodDef> {
        self.by_name.get(name).map(|entry| &entry.def)
    }

    /// The method called `name`, with its middleware: the look-up of every call. In line, so
    /// that it does not depend on which code generation unit the caller falls in.
    #[inline]
    pub(crate) fn entry(&self, name: &str) -> Option<&Entry> {
        self.by_name.get(name)
    }

    pub(crate) fn entries_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.by_name.values_mut()
    }

    /// The names the set answers, with their methods, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MethodDef)> {
        self.by_name
            .iter()
            .map(|(name, entry)| (name.as_ref(), &entry.def))
    }

    /// The number of methods.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether the set has no methods.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.by_name.keys().collect();
        names.sort();
        f.debug_struct("Methods").field("names", &names).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn hash(name: &str) -> u64 {
        let mut hasher = NameHasher::default();
        name.hash(&mut hasher);
        hasher.finish()
    }

    /// Every byte of a name, and its length, count: names one byte apart, and names of
    /// different lengths, hash apart.
    #[test]
    fn every_byte_of_a_name_counts() {
        let mut seen = std::collections::HashSet::new();
        for len in 1..=24 {
            let base = "a".repeat(len);
            assert!(
                seen.insert(hash(&base)),
                "length {len} hashes as another length"
            );
            for at in 0..len {
                let mut changed = base.clone().into_bytes();
                changed[at] = b'b';
                let changed = String::from_utf8(changed).expect("ASCII");
                assert_ne!(hash(&base), hash(&changed), "{changed} hashes as {base}");
            }
        }
    }
}
