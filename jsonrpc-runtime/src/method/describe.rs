//! What `#[method]` records about a method for its OpenRPC description, and the probes the
//! generated code picks a param's or result's schema with. The registry keeps these
//! descriptions with each method; [`openrpc`](super::openrpc) makes a document of them.

use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;

/// What `#[method]` records about a method for its OpenRPC description. Built on demand by a
/// function the macro generates, so it costs nothing unless a document is made.
#[derive(Debug, Clone, Default)]
pub struct MethodDoc {
    /// The doc comment, as written.
    pub docs: &'static str,
    /// The params, in positional order.
    pub params: Vec<ParamDoc>,
    /// Whether the method takes the whole params value as one `Params<T>`.
    pub whole_params: Option<ParamDoc>,
    /// The result's schema, when its type implements `JsonSchema`.
    pub result: Option<Schema>,
    /// The application error codes the method declares, with their messages.
    pub errors: Vec<(i32, &'static str)>,
}

/// One param of a method.
#[derive(Debug, Clone)]
pub struct ParamDoc {
    /// The param's name.
    pub name: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// Its schema, when its type implements `JsonSchema`.
    pub schema: Option<Schema>,
}

impl ParamDoc {
    /// Describes a param (used by generated code).
    pub fn new(name: &'static str, required: bool, schema: Option<Schema>) -> ParamDoc {
        ParamDoc {
            name,
            required,
            schema,
        }
    }
}

/// Not public API: whether a param of the probed type may be left out. A param is required
/// exactly when leaving it out is an error, which is what the dispatcher does with it. Chosen by
/// autoref specialisation, so that a type that cannot be decoded at all is reported once, by the
/// entry point, and not again here.
#[doc(hidden)]
pub trait DecodesAbsence {
    /// Whether absence decodes.
    fn __jsonrpc_may_be_absent(&self) -> bool;
}

impl<T: DeserializeOwned> DecodesAbsence for SchemaProbe<T> {
    fn __jsonrpc_may_be_absent(&self) -> bool {
        crate::method::params::may_be_absent::<T>()
    }
}

/// See [`DecodesAbsence`].
#[doc(hidden)]
pub trait CannotDecode {
    /// Whether absence decodes: never, for a type that does not decode.
    fn __jsonrpc_may_be_absent(&self) -> bool {
        false
    }
}

impl<T: ?Sized> CannotDecode for &SchemaProbe<T> {}

/// Not public API: picks a type's schema function when it implements `JsonSchema`, and a
/// function returning `None` otherwise ("autoref specialisation", as for results).
#[doc(hidden)]
pub struct SchemaProbe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> SchemaProbe<T> {
    /// A probe for `T`.
    pub fn new() -> Self {
        SchemaProbe(PhantomData)
    }
}

impl<T: ?Sized> Default for SchemaProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A function that generates a schema, or does not.
#[doc(hidden)]
pub type SchemaFn = fn(&mut SchemaGenerator) -> Option<Schema>;

/// Chosen when `T: JsonSchema`.
#[doc(hidden)]
pub trait HasSchema {
    /// The schema function.
    fn __jsonrpc_schema(&self) -> SchemaFn;
}

impl<T: JsonSchema + ?Sized> HasSchema for SchemaProbe<T> {
    fn __jsonrpc_schema(&self) -> SchemaFn {
        |generator| Some(generator.subschema_for::<T>())
    }
}

/// Chosen for every other type.
#[doc(hidden)]
pub trait NoSchema {
    /// The schema function.
    fn __jsonrpc_schema(&self) -> SchemaFn;
}

impl<T: ?Sized> NoSchema for &SchemaProbe<T> {
    fn __jsonrpc_schema(&self) -> SchemaFn {
        |_| None
    }
}

/// Not public API: for a `Result<T, E>` return type, the probe of `T`; for any other, of the
/// type itself.
#[doc(hidden)]
pub trait ResultProbe {
    /// The probe of the success value.
    type Value: ?Sized;
    /// The probe.
    fn __jsonrpc_value_probe(&self) -> SchemaProbe<Self::Value> {
        SchemaProbe::new()
    }
}

impl<T, E> ResultProbe for crate::method::handler::Kind<Result<T, E>> {
    type Value = T;
}

/// See [`ResultProbe`].
#[doc(hidden)]
pub trait ValueProbe {
    /// The probe of the value.
    type Value: ?Sized;
    /// The probe.
    fn __jsonrpc_value_probe(&self) -> SchemaProbe<Self::Value> {
        SchemaProbe::new()
    }
}

impl<T> ValueProbe for &crate::method::handler::Kind<T> {
    type Value = T;
}
