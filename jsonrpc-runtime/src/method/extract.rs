//! Extraction by type: how a method argument that is not a param is built from the call.
//!
//! A type that implements [`FromCall`] is a *context argument*: `#[method]` builds it from the
//! call (its state, id, method name, transport request...) instead of reading it from the
//! params. Every built-in context type implements it ([`State<T>`](crate::State),
//! [`RequestId`](crate::RequestId), [`MethodName`](crate::MethodName),
//! [`Headers`](crate::Headers), [`PeerAddr`](crate::PeerAddr),
//! [`Extension<T>`](crate::Extension), [`Peer`](crate::Peer)), and so can any type of yours.
//!
//! The macro cannot see types, only how they are written, so it leaves the choice to the
//! compiler: for each argument it writes a call that method resolution settles by the type
//! itself (the "autoderef specialisation" of [`Probe`]). So `use jsonrpc_runtime::State as
//! RpcState;`, `type Db = State<Pool>;`, a re-export or a type made by `macro_rules!` are all
//! context arguments, and a `Deserialize` struct called `Headers` is a param.

use std::cell::OnceCell;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::method::context::{CallContext, CallInfo};
use crate::method::handler::{Call, RawParams};
use crate::method::params::ParamsReader;
use crate::method::state::StateKey;
use crate::Error;

/// A type a method argument can be built from the call (its params aside), the analogue of
/// axum's `FromRequestParts`; such an argument is not a param.
///
/// Implement it for a type of your own to take it as an argument of any `#[method]` or
/// `#[subscription]`. It may reject the call with a JSON-RPC error, which answers the call
/// before the method runs:
///
/// ```
/// use jsonrpc_runtime::{method, CallContext, Error, FromCall};
///
/// /// The user named by the `x-user` header.
/// struct CurrentUser(String);
///
/// impl FromCall for CurrentUser {
///     type Rejection = Error;
///
///     fn from_call(call: &CallContext<'_>) -> Result<Self, Error> {
///         call.header("x-user")
///             .and_then(|value| value.to_str().ok())
///             .map(|name| CurrentUser(name.to_owned()))
///             .ok_or_else(|| Error::new(-32001, "unauthorized"))
///     }
/// }
///
/// #[method]
/// fn whoami(user: CurrentUser) -> String {
///     user.0
/// }
/// # fn main() {}
/// ```
///
/// An extractor can build on others: `State::<Sessions>::from_call(call)?` inside
/// `from_call` reads shared state. List the state it reads in [`required_states`]
/// (`State::<Sessions>::required_states()`) so that a server that was not given it refuses to
/// start, as it does for a `State<T>` argument.
///
/// A type that is both `Deserialize` and `FromCall` is ambiguous: mark the argument
/// `#[param]` or `#[context]`.
///
/// [`required_states`]: FromCall::required_states
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a context argument: it does not implement `jsonrpc_runtime::FromCall`",
    label = "`#[context]` asks for a type built from the call",
    note = "context arguments are `State<T>`, `RequestId`, `MethodName`, `Headers`, `PeerAddr`, `Extension<T>`, `Peer`, or a type of yours that implements `FromCall`; remove `#[context]` to take a param"
)]
pub trait FromCall: Sized {
    /// The error the extractor rejects a call with; it answers the call.
    type Rejection: Into<Error>;

    /// Builds the argument from the call.
    fn from_call(call: &CallContext<'_>) -> Result<Self, Self::Rejection>;

    /// The state types this extractor reads, which the server checks it was given when it
    /// starts. None by default.
    fn required_states() -> Vec<StateKey> {
        Vec::new()
    }
}

/// Not public API: a type an argument can be decoded into as a param. Any
/// `DeserializeOwned` type; the trait only carries the message for the others.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a param nor a context argument of a JSON-RPC method",
    label = "a param must implement `serde::Deserialize`; a context argument implements `jsonrpc_runtime::FromCall`",
    note = "shared state is `jsonrpc_runtime::State<T>` (not `axum::extract::State<T>`, which is for axum handlers)"
)]
pub trait Param: DeserializeOwned {}

impl<T: DeserializeOwned> Param for T {}

/// Not public API: implemented by no type, so that an argument that is both a param and a
/// context argument is a compile error saying what to write.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is both a param (it implements `Deserialize`) and a context argument (it implements `FromCall`)",
    label = "write `#[param]` or `#[context]` before this argument to say which it is"
)]
pub trait Unambiguous {}

/// Not public API: a call's [`CallContext`], made when the first context argument asks for it
/// and shared by the others. Generated code makes one per call, so that a method with no
/// context argument never makes a context (nor reads its id).
#[doc(hidden)]
pub struct LazyContext<'c, 'a> {
    info: &'c CallInfo<'a>,
    made: OnceCell<CallContext<'a>>,
}

impl<'c, 'a> LazyContext<'c, 'a> {
    /// A context to make from `info` when asked.
    #[inline]
    pub fn new(info: &'c CallInfo<'a>) -> Self {
        LazyContext {
            info,
            made: OnceCell::new(),
        }
    }

    /// The context, made on the first call.
    #[inline]
    pub fn get(&self) -> &CallContext<'a> {
        self.made.get_or_init(|| self.info.context())
    }
}

/// Not public API: the probe generated code settles an argument's kind with.
///
/// For `(&&&Probe::<T>::new()).__jsonrpc_arg(...)`, method resolution tries the receiver
/// `&&&Probe<T>` first, then derefs one level at a time; the first trait that matches wins:
///
/// 1. [`AmbiguousArg`] (for `&&Probe<T>`): `T` is both `FromCall` and `Deserialize`, an error;
/// 2. [`ContextArg`] (for `&Probe<T>`): `T` is `FromCall`, built from the call;
/// 3. [`ParamArg`] (for `Probe<T>`): anything else is a param, and must be `Deserialize`.
///
/// All three traits are imported with `as _` where the probe is used.
#[doc(hidden)]
pub struct Probe<T>(PhantomData<T>);

impl<T> Probe<T> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Probe(PhantomData)
    }
}

/// Not public API: see [`Probe`].
#[doc(hidden)]
pub trait AmbiguousArg<T> {
    fn __jsonrpc_arg(
        &self,
        _call: &LazyContext<'_, '_>,
        _params: &mut crate::method::params::ParamsReader<'_>,
        _slot: usize,
        _name: &'static str,
    ) -> Result<T, Error>
    where
        T: Unambiguous,
    {
        unreachable!("no type implements `Unambiguous`")
    }

    fn __jsonrpc_states(&self) -> Vec<StateKey>;

    fn __jsonrpc_is_param(&self) -> bool {
        false
    }
}

impl<T: FromCall + DeserializeOwned> AmbiguousArg<T> for &&Probe<T> {
    fn __jsonrpc_states(&self) -> Vec<StateKey> {
        T::required_states()
    }
}

/// Not public API: see [`Probe`].
#[doc(hidden)]
pub trait ContextArg<T> {
    fn __jsonrpc_arg(
        &self,
        call: &LazyContext<'_, '_>,
        params: &mut crate::method::params::ParamsReader<'_>,
        slot: usize,
        name: &'static str,
    ) -> Result<T, Error>;

    fn __jsonrpc_states(&self) -> Vec<StateKey>;

    fn __jsonrpc_is_param(&self) -> bool {
        false
    }
}

impl<T: FromCall> ContextArg<T> for &Probe<T> {
    #[inline]
    fn __jsonrpc_arg(
        &self,
        call: &LazyContext<'_, '_>,
        _params: &mut crate::method::params::ParamsReader<'_>,
        _slot: usize,
        _name: &'static str,
    ) -> Result<T, Error> {
        context(call)
    }

    fn __jsonrpc_states(&self) -> Vec<StateKey> {
        T::required_states()
    }
}

/// Not public API: see [`Probe`].
#[doc(hidden)]
pub trait ParamArg<T> {
    #[inline]
    fn __jsonrpc_arg(
        &self,
        _call: &LazyContext<'_, '_>,
        params: &mut crate::method::params::ParamsReader<'_>,
        slot: usize,
        name: &'static str,
    ) -> Result<T, Error>
    where
        T: Param,
    {
        params.next_at(slot, name)
    }

    fn __jsonrpc_states(&self) -> Vec<StateKey> {
        Vec::new()
    }

    fn __jsonrpc_is_param(&self) -> bool {
        true
    }
}

impl<T> ParamArg<T> for Probe<T> {}

/// Not public API: builds a `#[context]` argument (and every context argument the probe finds).
#[doc(hidden)]
#[inline]
pub fn context<T: FromCall>(call: &LazyContext<'_, '_>) -> Result<T, Error> {
    T::from_call(call.get()).map_err(Into::into)
}

/// Not public API: the state keys of a `#[context]` argument.
#[doc(hidden)]
pub fn context_states<T: FromCall>() -> Vec<StateKey> {
    T::required_states()
}

/// Not public API: a type an argument beside `Params<T>` can be: a context argument.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a method that takes `Params<T>` takes no other params, and `{Self}` is not a context argument",
    label = "`Params<T>` is the whole params value: take this value inside it, or make this a context argument",
    note = "context arguments are `State<T>`, `RequestId`, `MethodName`, `Headers`, `PeerAddr`, `Extension<T>`, `Peer`, or a type of yours that implements `FromCall`"
)]
pub trait BesideWholeParams: FromCall {}

impl<T: FromCall> BesideWholeParams for T {}

/// Not public API: builds an argument of a method that takes `Params<T>`, which can only be a
/// context argument.
#[doc(hidden)]
#[inline]
pub fn beside_whole<T: BesideWholeParams>(call: &LazyContext<'_, '_>) -> Result<T, Error> {
    T::from_call(call.get()).map_err(Into::into)
}

/// Not public API: the state keys of an argument beside `Params<T>`.
#[doc(hidden)]
pub fn beside_whole_states<T: BesideWholeParams>() -> Vec<StateKey> {
    T::required_states()
}

/// Not public API: decodes a `#[param]` argument.
#[doc(hidden)]
#[inline]
pub fn param<T: Param>(
    params: &mut crate::method::params::ParamsReader<'_>,
    slot: usize,
    name: &'static str,
) -> Result<T, Error> {
    params.next_at(slot, name)
}

/// Not public API: the type of a whole-params argument, `Params<T>`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `jsonrpc_runtime::Params<T>`",
    label = "an argument written `Params<...>` takes the whole params: it must be `jsonrpc_runtime::Params<T>` with `T: Deserialize`",
    note = "to take a type of yours called `Params` as a param, mark the argument `#[param]`"
)]
pub trait WholeParams: Sized {
    #[doc(hidden)]
    fn __jsonrpc_whole(params: Option<RawParams<'_>>) -> Result<Self, Error>;
}

impl<T: DeserializeOwned> WholeParams for crate::Params<T> {
    fn __jsonrpc_whole(params: Option<RawParams<'_>>) -> Result<Self, Error> {
        crate::method::params::whole(params)
    }
}

impl<T: Send + Sync + 'static> FromCall for crate::State<T> {
    type Rejection = Error;

    #[inline]
    fn from_call(call: &CallContext<'_>) -> Result<Self, Error> {
        call.states.get::<T>().ok_or_else(missing_state::<T>)
    }

    fn required_states() -> Vec<StateKey> {
        vec![StateKey::of::<T>()]
    }
}

#[cold]
fn missing_state<T>() -> Error {
    Error::internal_error().with_data(format!(
        "no state of type `{}` was given",
        std::any::type_name::<T>()
    ))
}

/// Decodes a `Params<T>` argument (any `P: WholeParams`, that is `Params<T>`).
#[inline]
pub fn whole_params<P: WholeParams>(call: &Call<'_>) -> Result<P, Error> {
    P::__jsonrpc_whole(call.params)
}

/// Not public API: checks the params of a method that takes none: absent, `[]` or `{}`.
#[doc(hidden)]
#[inline]
pub fn no_params(params: Option<RawParams<'_>>) -> Result<(), Error> {
    match params {
        None => Ok(()),
        Some(params) => ParamsReader::new(Some(params))?.finish(),
    }
}

/// The reader of a method's params; a method that takes `Params<T>` has none, and its
/// other arguments are context arguments.
#[inline]
pub fn params_reader<'a>(call: &Call<'a>) -> Result<ParamsReader<'a>, Error> {
    ParamsReader::new(call.params)
}
