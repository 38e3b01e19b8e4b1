//! The method table: every `#[method]` registers itself, and a [`Methods`] set is built from the
//! registrations (or by hand) when a server starts.

use std::collections::HashMap;
use std::fmt;

use crate::handler::CallFn;
use crate::state::StateKey;

/// One JSON-RPC method: its wire name, its entry point and what it needs.
///
/// `#[method]` makes one for each function, as `METHOD` in a module named after the function,
/// and registers it; you only touch it to build a [`Methods`] set by hand.
#[derive(Clone, Copy)]
pub struct MethodDef {
    name: &'static str,
    call: CallFn,
    states: &'static [fn() -> StateKey],
    location: Location,
}

impl MethodDef {
    /// Not public API: called by the code `#[method]` generates.
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        call: CallFn,
        states: &'static [fn() -> StateKey],
        file: &'static str,
        line: u32,
    ) -> Self {
        MethodDef {
            name,
            call,
            states,
            location: Location { file, line },
        }
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
        self.states.iter().map(|key| key())
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

/// A source location: where a method is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The source file, as `file!()` gives it.
    pub file: &'static str,
    /// The line of the function's name.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
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
    by_name: HashMap<&'static str, MethodDef>,
    /// Definitions that reused a name already in the set, reported at start-up.
    pub(crate) duplicates: Vec<(MethodDef, MethodDef)>,
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

    /// Adds a method.
    pub fn insert(&mut self, method: MethodDef) {
        if let Some(existing) = self.by_name.get(method.name) {
            self.duplicates.push((*existing, method));
        } else {
            self.by_name.insert(method.name, method);
        }
    }

    /// The method called `name`.
    pub fn get(&self, name: &str) -> Option<&MethodDef> {
        self.by_name.get(name)
    }

    /// The methods in the set, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &MethodDef> {
        self.by_name.values()
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
