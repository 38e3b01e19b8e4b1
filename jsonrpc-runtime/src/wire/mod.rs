//! The wire format: JSON-RPC 2.0 messages as bytes. Reading request bodies (serde_json's reader
//! in [`request`], the fast scanner in [`scan`]), writing responses (a batch's in [`batch`], as
//! its answers come in) and notifications, the error object, and the memory budget the bytes
//! held count against.
//!
//! The bottom of the crate: it may depend on nothing else in it.

pub(crate) mod batch;
pub(crate) mod budget;
pub mod error;
pub(crate) mod location;
pub(crate) mod member_spans;
pub(crate) mod notification;
pub(crate) mod plain;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod scan;
pub(crate) mod simple_result;
