//! Shared state: values handed to the server at start and given to the methods that ask.

use std::any::{Any, TypeId};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A method argument that gives the method shared state of type `T`, the analogue of
/// jsonrpcserver's `context`.
///
/// The value is handed over once, to [`ServerBuilder::state`](crate::ServerBuilder::state) or
/// [`DispatcherBuilder::state`](crate::DispatcherBuilder::state); every call then sees the same
/// value. Use interior mutability (atomics, a `Mutex`) to change it. A server that was not given
/// a `T` refuses to start, naming the method that needs it.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use jsonrpc_runtime::{method, State};
///
/// #[derive(Default)]
/// struct Hits(AtomicU64);
///
/// /// Counts the calls made so far.
/// #[method]
/// fn hit(hits: State<Hits>) -> u64 {
///     hits.0.fetch_add(1, Ordering::Relaxed) + 1
/// }
/// # fn main() {}
/// ```
pub struct State<T: ?Sized>(Arc<T>);

impl<T: ?Sized> State<T> {
    /// The shared pointer to the state, for keeping it beyond the call (in a spawned task).
    pub fn into_arc(self) -> Arc<T> {
        self.0
    }
}

impl<T: ?Sized> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        State(Arc::clone(&self.0))
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&&*self.0).finish()
    }
}

/// A state type a method needs: what the start-up check compares against what was given. An
/// extractor lists those it reads in [`FromCall::required_states`](crate::FromCall::required_states).
#[derive(Debug, Clone, Copy)]
pub struct StateKey {
    pub(crate) type_id: TypeId,
    pub(crate) type_name: &'static str,
}

impl StateKey {
    /// The key of `T`. Generated code lists these as `fn` pointers, which a `const` can hold.
    pub fn of<T: Any>() -> StateKey {
        StateKey {
            type_id: TypeId::of::<T>(),
            type_name: std::any::type_name::<T>(),
        }
    }

    /// The name of the state type.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }
}

/// The state values a server was given, one per type.
#[derive(Clone, Default)]
pub struct States {
    values: Vec<(TypeId, Arc<dyn Any + Send + Sync>)>,
}

impl States {
    /// Adds `value`, replacing an earlier value of the same type.
    pub(crate) fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        let id = TypeId::of::<T>();
        self.values.retain(|(existing, _)| *existing != id);
        self.values.push((id, Arc::new(value)));
    }

    pub(crate) fn contains(&self, key: &StateKey) -> bool {
        self.values.iter().any(|(id, _)| *id == key.type_id)
    }

    /// The state of type `T`; `None` only for a method set the start-up check did not see.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<State<T>> {
        let id = TypeId::of::<T>();
        let (_, value) = self.values.iter().find(|(existing, _)| *existing == id)?;
        Arc::clone(value).downcast::<T>().ok().map(State)
    }
}
