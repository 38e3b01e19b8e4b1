//! Subscription ids: what a subscribe call answers, and what items and unsubscribe calls name.

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The id of a subscription: a string (the default, 32 random hex digits) or a number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SubscriptionId {
    /// A numeric id.
    Number(u64),
    /// A string id.
    String(Cow<'static, str>),
}

impl std::fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubscriptionId::Number(n) => write!(f, "{n}"),
            SubscriptionId::String(s) => f.write_str(s),
        }
    }
}

/// Makes the ids of new subscriptions.
pub(crate) type SubscriptionIds = Arc<dyn Fn() -> SubscriptionId + Send + Sync>;

/// The default: 128 random bits from the thread's cryptographically secure generator, as 32
/// lowercase hex digits, so that no client can guess another's id.
pub(crate) fn random_ids() -> SubscriptionIds {
    Arc::new(|| {
        let bits: u128 = rand::random();
        let mut id = String::with_capacity(32);
        let _ = write!(id, "{bits:032x}");
        SubscriptionId::String(Cow::Owned(id))
    })
}
