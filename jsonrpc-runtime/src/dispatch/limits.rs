//! The limits a dispatcher enforces on what it reads and writes, with their defaults.

/// The default largest number of requests in one batch: 10,000.
pub const DEFAULT_MAX_BATCH_LEN: usize = 10_000;

/// The default deepest nesting of arrays and objects in a body: 128 (serde_json's own limit
/// when it decodes typed values).
pub const DEFAULT_MAX_DEPTH: usize = 128;

/// The default largest response body: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 10 * 1024 * 1024;

/// The default largest number of calls of one batch that run at the same time: 64.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 64;

/// What a dispatcher accepts. Set through the builders; each has a documented default.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_batch_len: usize,
    pub max_depth: usize,
    pub max_response_size: usize,
    pub max_concurrent_calls: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_batch_len: DEFAULT_MAX_BATCH_LEN,
            max_depth: DEFAULT_MAX_DEPTH,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
        }
    }
}
