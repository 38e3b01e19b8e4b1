//! The method model: what a method is and how it is called. The contract with the code
//! `#[method]` generates ([`handler`]), params and the other arguments ([`params`],
//! [`param_text`], [`extract`], [`context`], [`state`], [`peer`]), method sets ([`registry`]) and their
//! [`middleware`], running one call ([`invoke`]), the method side of subscriptions
//! ([`subscription`]), and the descriptions the OpenRPC document is made of ([`describe`],
//! [`openrpc`]).
//!
//! It may depend on [`session`](crate::session) and [`wire`](crate::wire), never on the
//! dispatcher or a transport.

pub(crate) mod context;
pub(crate) mod describe;
pub(crate) mod extract;
pub(crate) mod handler;
pub(crate) mod invoke;
pub mod middleware;
pub mod openrpc;
pub(crate) mod param_text;
pub(crate) mod params;
pub(crate) mod peer;
pub(crate) mod registry;
pub(crate) mod state;
pub mod subscription;
