//! The HTTP transport and the built-in server: [`server`] (the builder, binding, the one-line
//! [`serve`](server::serve)), [`serve`] (the accept loop and the drain), [`service`] (one
//! request, as a `tower::Service`, with WebSocket upgrades), [`detect`] (one connection, its
//! HTTP version told by its first bytes), and the parts that keep connections bounded:
//! [`config`], [`idle`], [`drive`], [`head_deadline`], [`write_timeout`], [`heavy`],
//! [`health`], [`host`].
//!
//! A transport: it may depend on everything below it (the dispatcher, the method model, the
//! session, the wire format), on the shared transport parts ([`shutdown`](crate::shutdown),
//! [`connection`](crate::connection)) and on the other transports it serves beside HTTP
//! ([`ws`](crate::ws), [`stream`](crate::stream)).

pub(crate) mod config;
pub(crate) mod detect;
pub(crate) mod drive;
pub(crate) mod head_deadline;
pub(crate) mod health;
pub(crate) mod heavy;
pub(crate) mod host;
pub(crate) mod idle;
pub(crate) mod serve;
pub(crate) mod server;
pub(crate) mod service;
pub(crate) mod write_timeout;
